package verify

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/did"
	"github.com/parcours/parcours/profiles/statuslist"
	"github.com/parcours/parcours/profiles/tlog"
)

// Options are the verifier's own sources of trust, which take precedence
// over what the bundle carries.
type Options struct {
	// Now is the time validity periods are checked at (time.Now if zero).
	Now time.Time
	// Issuers are DID documents obtained independently (e.g. fetched
	// from the issuers' did.json URLs): for an identifier listed here,
	// the bundle's document is ignored.
	Issuers []*did.Document
	// Lookup, if set, is asked for the DID document of the
	// credential's issuer and of the status list's issuer (a server
	// reads its own registry of issuers); a document it returns counts
	// as obtained independently. A nil document with a nil error means
	// "unknown here": the bundle's is used.
	Lookup func(id string) (*did.Document, error)
	// Checkpoint is a signed checkpoint obtained independently (a
	// witness's, or one fetched earlier). When the bundle carries a
	// checkpoint of another size, Consistency must prove that one of
	// the two trees extends the other; with the same size, the roots
	// must be equal.
	Checkpoint []byte
	// Consistency is the log's consistency proof between the bundle's
	// checkpoint and Checkpoint (in either order), as the API returns it.
	Consistency *ConsistencyProof
	// LogKey is the log's verifier key obtained independently, used
	// instead of the bundle's.
	LogKey string
}

// ConsistencyProof is a consistency proof between two tree sizes of the
// log (RFC 9162 §2.1.4), hashes in standard base64 — the JSON the API's
// GET /api/v1/transparency-log/consistency-proof returns.
type ConsistencyProof struct {
	FromSize uint64   `json:"from_size"`
	ToSize   uint64   `json:"to_size"`
	Proof    []string `json:"proof"`
}

// Codes of failed checks other than the credential.Code values the proof
// and key checks carry.
const (
	CodeMissing           = "missing"             // a part the check needs is not in the bundle
	CodeMalformedBundle   = "malformed"           // a part of the bundle cannot be read
	CodeNotYetValid       = "not-yet-valid"       // validFrom is in the future
	CodeExpired           = "expired"             // validUntil has passed
	CodeStatusListIssuer  = "status-list-issuer"  // the status list is signed by someone who may not revoke
	CodeStatusListExpired = "status-list-expired" // the status list's validity has ended: fetch a fresh one
	CodeStatusEntry       = "status-entry"        // the credential's status entry does not match the list
	CodeRevoked           = "revoked"             // the credential's bit is set
	CodeLogKey            = "log-key"             // the log key cannot be read
	CodeCheckpoint        = "checkpoint"          // the checkpoint's signature or text is wrong
	CodeNotIncluded       = "not-included"        // the inclusion proof does not lead to the checkpoint's root
	CodeInconsistent      = "inconsistent"        // the bundle's checkpoint and the verifier's are not one history
)

// Verify runs every check on the bundle and returns the report. It never
// fails: every problem is a failed check. Safe for concurrent use.
func Verify(b *Bundle, opts Options) *Report {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	rep := &Report{}
	add := func(name, status, code, format string, args ...any) {
		rep.Checks = append(rep.Checks, Check{Name: name, Status: status, Code: code, Reason: fmt.Sprintf(format, args...)})
	}
	skip := func(name, why string) { add(name, Skipped, "", "%s", why) }
	defer func() {
		rep.OK = len(rep.Checks) > 0
		for _, c := range rep.Checks {
			rep.OK = rep.OK && c.Status == Pass
		}
	}()

	// Format: the credential and the issuers' documents can be read.
	if b == nil || len(b.Credential) == 0 {
		add(CheckFormat, Fail, CodeMissing, "the bundle carries no credential")
		return rep
	}
	cred, err := credential.Parse(b.Credential)
	if err != nil {
		add(CheckFormat, Fail, CodeMalformedBundle, "%v", err)
		for _, n := range []string{CheckIssuerKey, CheckProof, CheckValidity, CheckStatusList, CheckNotRevoked, CheckCheckpoint, CheckLogInclusion} {
			skip(n, "the credential cannot be read")
		}
		return rep
	}
	rep.CredentialID, rep.Issuer = cred.ID, cred.Issuer
	if s, ok := cred.CredentialSubject["id"].(string); ok {
		rep.Subject = s
	}
	resolver := did.NewResolver()
	trusted := map[string]bool{}
	var badDocs []string
	for i, raw := range b.IssuerDocuments {
		d, err := did.Parse(raw)
		if err != nil {
			badDocs = append(badDocs, fmt.Sprintf("issuer document %d: %v", i+1, err))
			continue
		}
		resolver.Add(d)
	}
	for _, d := range opts.Issuers {
		resolver.Add(d)
		trusted[d.ID] = true
	}
	lookup := func(id string) {
		if opts.Lookup == nil || trusted[id] || id == "" {
			return
		}
		d, err := opts.Lookup(id)
		if err != nil {
			badDocs = append(badDocs, fmt.Sprintf("the DID document of %s: %v", id, err))
			return
		}
		if d != nil && d.ID == id {
			resolver.Add(d)
			trusted[id] = true
		}
	}
	lookup(cred.Issuer)
	if len(b.StatusListCredential) > 0 {
		if list, err := credential.Parse(b.StatusListCredential); err == nil {
			lookup(list.Issuer)
		}
	}
	if len(badDocs) > 0 {
		add(CheckFormat, Fail, CodeMalformedBundle, "%s", badDocs[0])
	} else {
		add(CheckFormat, Pass, "", "a VC Data Model 2.0 credential of type %v issued by %s", cred.Type, cred.Issuer)
	}
	source := func(id string) string {
		if trusted[id] {
			return "its DID document given by the verifier"
		}
		if u, err := did.URL(id); err == nil {
			rep.Warnings = appendOnce(rep.Warnings, fmt.Sprintf("The DID document of %s came with the bundle itself: compare it with %s (give it with --issuers) for an independent check.", id, u))
		}
		return "its DID document carried by the bundle"
	}

	// Issuer key and proof.
	v, err := credential.Verify(b.Credential, resolver)
	var f *credential.Failure
	switch {
	case err == nil:
		add(CheckIssuerKey, Pass, "", "signed with %s, a key of the issuer in service on %s (%s)", v.VerificationMethod, v.Created.Format(time.RFC3339), source(cred.Issuer))
		add(CheckProof, Pass, "", "the %s signature covers every member of the credential and of its proof", credential.Cryptosuite)
	case errors.As(err, &f) && isKeyCode(f.Code):
		if d := resolver.Document(cred.Issuer); d != nil {
			source(cred.Issuer)
		}
		add(CheckIssuerKey, Fail, string(f.Code), "%s", f.Reason)
		skip(CheckProof, "the signature cannot be checked without a valid issuer key")
	case errors.As(err, &f) && f.Code == credential.CodeSignature:
		add(CheckIssuerKey, Pass, "", "the verification method is a key of the issuer in service when the proof says it was made (%s)", source(cred.Issuer))
		add(CheckProof, Fail, string(f.Code), "%s", f.Reason)
	case errors.As(err, &f):
		skip(CheckIssuerKey, "the proof cannot be read")
		add(CheckProof, Fail, string(f.Code), "%s", f.Reason)
	default:
		skip(CheckIssuerKey, "the proof cannot be read")
		add(CheckProof, Fail, CodeMalformedBundle, "%v", err)
	}

	// Validity period.
	switch {
	case !cred.ValidFrom.IsZero() && now.Before(cred.ValidFrom):
		add(CheckValidity, Fail, CodeNotYetValid, "the credential is valid from %s, after now (%s)", cred.ValidFrom.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case !cred.ValidUntil.IsZero() && !now.Before(cred.ValidUntil):
		add(CheckValidity, Fail, CodeExpired, "the credential expired on %s", cred.ValidUntil.Format(time.RFC3339))
	case cred.ValidUntil.IsZero():
		add(CheckValidity, Pass, "", "valid from %s, with no end date", dateOr(cred.ValidFrom, "always"))
	default:
		add(CheckValidity, Pass, "", "valid from %s until %s", dateOr(cred.ValidFrom, "always"), cred.ValidUntil.Format(time.RFC3339))
	}

	checkStatus(rep, add, skip, cred, b, resolver, source, now)
	checkLog(rep, add, skip, b, opts)
	return rep
}

func checkStatus(rep *Report, add func(string, string, string, string, ...any), skip func(string, string),
	cred *credential.Credential, b *Bundle, resolver *did.Resolver, source func(string) string, now time.Time) {
	st := cred.CredentialStatus
	if st == nil {
		add(CheckStatusList, Pass, "", "the credential has no status entry: its issuer did not provide for revoking it")
		add(CheckNotRevoked, Pass, "", "the credential has no status entry and cannot be revoked")
		return
	}
	if len(b.StatusListCredential) == 0 {
		add(CheckStatusList, Fail, CodeMissing, "the credential's revocation status is in %s, which the bundle does not carry", st.StatusListCredential)
		skip(CheckNotRevoked, "no status list to read")
		return
	}
	list, err := credential.Parse(b.StatusListCredential)
	if err != nil {
		add(CheckStatusList, Fail, CodeMalformedBundle, "the status list credential: %v", err)
		skip(CheckNotRevoked, "the status list cannot be read")
		return
	}
	if _, err := credential.Verify(b.StatusListCredential, resolver); err != nil {
		code := CodeMalformedBundle
		var f *credential.Failure
		if errors.As(err, &f) {
			code = string(f.Code)
		}
		add(CheckStatusList, Fail, code, "the status list credential is not authentic: %v", err)
		skip(CheckNotRevoked, "the status list is not authentic")
		return
	}
	// Who may publish the list: the credential's issuer, or the platform
	// of the host serving the list (did:web:HOST).
	var platform string
	if u, err := url.Parse(st.StatusListCredential); err == nil && u.Host != "" {
		platform, _ = did.Platform(u.Host)
	}
	if list.Issuer != cred.Issuer && list.Issuer != platform {
		add(CheckStatusList, Fail, CodeStatusListIssuer, "the status list is signed by %s, which is neither the credential's issuer nor the platform serving the list", list.Issuer)
		skip(CheckNotRevoked, "the status list is not from an authority over this credential")
		return
	}
	if !list.ValidUntil.IsZero() && !now.Before(list.ValidUntil) {
		add(CheckStatusList, Fail, CodeStatusListExpired, "the status list was valid until %s: fetch a fresh one from %s", list.ValidUntil.Format(time.RFC3339), st.StatusListCredential)
		skip(CheckNotRevoked, "the status list is out of date")
		return
	}
	revoked, err := statuslist.Check(*st, b.StatusListCredential)
	if err != nil {
		add(CheckStatusList, Fail, CodeStatusEntry, "%v", err)
		skip(CheckNotRevoked, "the credential's entry cannot be read in the list")
		return
	}
	add(CheckStatusList, Pass, "", "the status list %s is signed by %s (%s)", st.StatusListCredential, list.Issuer, source(list.Issuer))
	asOf := dateOr(list.ValidFrom, "its publication")
	if revoked {
		add(CheckNotRevoked, Fail, CodeRevoked, "the issuer revoked this credential: entry %s of %s is set, as of %s", st.StatusListIndex, st.StatusListCredential, asOf)
		return
	}
	add(CheckNotRevoked, Pass, "", "entry %s of the status list is clear as of %s", st.StatusListIndex, asOf)
}

func checkLog(rep *Report, add func(string, string, string, string, ...any), skip func(string, string), b *Bundle, opts Options) {
	if b.Log == nil && opts.Checkpoint == nil {
		add(CheckCheckpoint, Fail, CodeMissing, "the bundle carries no transparency log proof, so nothing shows the issuance was published")
		skip(CheckLogInclusion, "no log proof")
		return
	}
	key := opts.LogKey
	if key == "" && b.Log != nil {
		key = b.Log.LogKey
		if key != "" {
			rep.Warnings = append(rep.Warnings, "The log's key came with the bundle itself: compare it with the key the platform publishes (give it with --log-key) for an independent check.")
		}
	}
	if key == "" {
		add(CheckCheckpoint, Fail, CodeMissing, "no log key to check the checkpoint's signature with")
		skip(CheckLogInclusion, "the checkpoint is not authenticated")
		return
	}
	verifier, err := tlog.NewVerifier(key)
	if err != nil {
		add(CheckCheckpoint, Fail, CodeLogKey, "%v", err)
		skip(CheckLogInclusion, "the checkpoint is not authenticated")
		return
	}
	note := opts.Checkpoint
	if note == nil {
		note = []byte(b.Log.Checkpoint)
	}
	cp, err := verifier.Open(note)
	if err != nil {
		add(CheckCheckpoint, Fail, CodeCheckpoint, "%v", err)
		skip(CheckLogInclusion, "the checkpoint is not authenticated")
		return
	}
	// With the verifier's own checkpoint, the bundle's must be the same
	// tree or be proven one history with it; the inclusion proof is then
	// checked against the bundle's.
	via := ""
	if opts.Checkpoint != nil && b.Log != nil && b.Log.Checkpoint != "" {
		bcp, err := verifier.Open([]byte(b.Log.Checkpoint))
		if err != nil {
			add(CheckCheckpoint, Fail, CodeCheckpoint, "the bundle's checkpoint: %v", err)
			skip(CheckLogInclusion, "the bundle's checkpoint is not authenticated")
			return
		}
		if err := consistent(bcp, cp, opts.Consistency); err != nil {
			add(CheckCheckpoint, Fail, CodeInconsistent, "%v", err)
			skip(CheckLogInclusion, "the bundle's checkpoint is not proven part of the verifier's log history")
			return
		}
		if bcp.Size != cp.Size {
			via = fmt.Sprintf(", proven consistent with the bundle's checkpoint at %d entries", bcp.Size)
		}
		cp = bcp
	}
	if via != "" {
		add(CheckCheckpoint, Pass, "", "the verifier's checkpoint of the log %s is signed by its key%s", cp.Origin, via)
	} else {
		add(CheckCheckpoint, Pass, "", "checkpoint of the log %s at %d entries, root %s, signed by its key", cp.Origin, cp.Size, cp.Root)
	}

	if b.Log == nil {
		add(CheckLogInclusion, Fail, CodeMissing, "the bundle carries no inclusion proof")
		return
	}
	proof, err := DecodeHashes(b.Log.InclusionProof)
	if err != nil {
		add(CheckLogInclusion, Fail, CodeMalformedBundle, "%v", err)
		return
	}
	entry, err := IssuanceEntry(b.Credential)
	if err != nil {
		add(CheckLogInclusion, Fail, CodeMalformedBundle, "%v", err)
		return
	}
	if err := tlog.VerifyInclusion(tlog.LeafHash(entry), b.Log.Index, cp.Size, proof, cp.Root); err != nil {
		reason := err.Error()
		if opts.Checkpoint != nil && b.Log.Checkpoint == "" {
			reason += " (the checkpoint was given by the verifier: the inclusion proof must be for its size, " + strconv.FormatUint(cp.Size, 10) + ")"
		}
		add(CheckLogInclusion, Fail, CodeNotIncluded, "the issuance of this credential is not proven to be entry %d of the log: %s", b.Log.Index, reason)
		return
	}
	add(CheckLogInclusion, Pass, "", "the issuance of this exact credential is entry %d of the log's %d", b.Log.Index, cp.Size)
}

// consistent checks that two authenticated checkpoints of one log are one
// history: equal roots for equal sizes, else the consistency proof from
// the smaller to the larger.
func consistent(a, b tlog.Checkpoint, p *ConsistencyProof) error {
	if a.Size == b.Size {
		if a.Root != b.Root {
			return fmt.Errorf("the bundle's checkpoint and the verifier's both have %d entries but different roots: the log was rewritten", a.Size)
		}
		return nil
	}
	old, cur := a, b
	if old.Size > cur.Size {
		old, cur = cur, old
	}
	if p == nil {
		return fmt.Errorf("the bundle's checkpoint (%d entries) and the verifier's (%d) differ in size: give the log's consistency proof from %d to %d", a.Size, b.Size, old.Size, cur.Size)
	}
	if p.FromSize != old.Size || p.ToSize != cur.Size {
		return fmt.Errorf("the consistency proof is from %d to %d, the checkpoints need one from %d to %d", p.FromSize, p.ToSize, old.Size, cur.Size)
	}
	hs, err := DecodeHashes(p.Proof)
	if err != nil {
		return fmt.Errorf("the consistency proof: %v", err)
	}
	if err := tlog.VerifyConsistency(old.Size, cur.Size, old.Root, cur.Root, hs); err != nil {
		return fmt.Errorf("the checkpoints at %d and %d entries are not one history: %v", old.Size, cur.Size, err)
	}
	return nil
}

func isKeyCode(c credential.Code) bool {
	switch c {
	case credential.CodeKeyUnknown, credential.CodeKeyNotYetValid, credential.CodeKeyRevoked, credential.CodeKeyController:
		return true
	}
	return false
}

func dateOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
