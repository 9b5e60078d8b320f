package verify

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/did"
	"github.com/parcours/parcours/profiles/statuslist"
	"github.com/parcours/parcours/profiles/tlog"
)

const (
	host    = "parcours.example"
	siret   = "12345678901234"
	listURL = "https://parcours.example/status/1"
)

var (
	issued  = time.Date(2026, 2, 10, 14, 0, 0, 0, time.UTC)
	rotated = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	now     = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
)

// world is an instance: the platform and one employer with their keys
// and DID documents, a status list, a transparency log.
type world struct {
	platformDoc, issuerDoc *did.Document
	platformKey, issuerKey ed25519.PrivateKey
	issuerVM, platformVM   string
	list                   *statuslist.List
	log                    *tlog.Log
	signer                 *tlog.Signer
}

func newWorld(t testing.TB) *world {
	w := &world{list: must(statuslist.New(statuslist.MinSize)), log: tlog.New(&tlog.MemoryStore{})}
	pid, _ := did.Platform(host)
	iid, _ := did.Issuer(host, siret)
	w.platformDoc, _ = did.New(pid)
	w.issuerDoc, _ = did.New(iid)
	var pub ed25519.PublicKey
	pub, w.platformKey, _ = ed25519.GenerateKey(nil)
	w.platformVM = must(w.platformDoc.AddKey(pub, issued.AddDate(-1, 0, 0))).ID
	pub, w.issuerKey, _ = ed25519.GenerateKey(nil)
	w.issuerVM = must(w.issuerDoc.AddKey(pub, issued.AddDate(-1, 0, 0))).ID
	w.signer = must(tlog.GenerateSigner(host+"/log", nil))
	// Other entries around ours, so that the proof has some depth.
	for i := range 5 {
		w.log.AppendData(context.Background(), []byte(fmt.Sprintf("earlier entry %d", i)))
	}
	return w
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// issue signs an employment credential at index idx of the status list
// and logs its issuance.
func (w *world) issue(t testing.TB, idx int, key ed25519.PrivateKey, vm string, at time.Time) []byte {
	t.Helper()
	st := statuslist.Entry(listURL, idx)
	c := &credential.Credential{
		Context:   []string{credential.ContextV2},
		ID:        fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", idx),
		Type:      []string{credential.TypeCredential, "EmploymentCredential"},
		Issuer:    w.issuerDoc.ID,
		ValidFrom: at,
		CredentialSubject: map[string]any{
			"id":         "urn:parcours:worker:7",
			"employment": map[string]any{"employer": "Chaudronnerie Martin", "jobTitle": "Soudeuse", "start": "2021-03-01", "end": "2025-12-31"},
		},
		CredentialStatus: &st,
	}
	signed, err := credential.Issue(c, key, vm, at)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := IssuanceEntry(signed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.log.AppendData(context.Background(), entry); err != nil {
		t.Fatal(err)
	}
	w.log.AppendData(context.Background(), []byte("a later entry"))
	return signed
}

// bundle assembles the verification bundle of signed, logged at index.
func (w *world) bundle(t testing.TB, signed []byte, index uint64) *Bundle {
	t.Helper()
	ctx := context.Background()
	lc := must(statuslist.NewCredential(listURL, w.platformDoc.ID, now.Add(-time.Hour), w.list))
	list := must(credential.Issue(lc, w.platformKey, w.platformVM, now.Add(-time.Hour)))
	size := must(w.log.Size(ctx))
	root := must(w.log.Root(ctx, size))
	note := must(w.signer.Sign(tlog.Checkpoint{Origin: w.signer.Name(), Size: size, Root: root}))
	proof := must(w.log.InclusionProof(ctx, index, size))
	return &Bundle{
		Credential:           signed,
		IssuerDocuments:      []json.RawMessage{must(w.issuerDoc.Marshal()), must(w.platformDoc.Marshal())},
		StatusListCredential: list,
		Log:                  &LogProof{Index: index, InclusionProof: EncodeHashes(proof), Checkpoint: string(note), LogKey: w.signer.VerifierKey()},
	}
}

// checkpoint signs the log's checkpoint at size n.
func (w *world) checkpoint(n uint64) []byte {
	root := must(w.log.Root(context.Background(), n))
	return must(w.signer.Sign(tlog.Checkpoint{Origin: w.signer.Name(), Size: n, Root: root}))
}

func (w *world) consistency(from, to uint64) *ConsistencyProof {
	p := must(w.log.ConsistencyProof(context.Background(), from, to))
	return &ConsistencyProof{FromSize: from, ToSize: to, Proof: EncodeHashes(p)}
}

func (w *world) trusted() Options {
	return Options{Now: now, Issuers: []*did.Document{w.issuerDoc, w.platformDoc}, LogKey: w.signer.VerifierKey()}
}

func checkOf(r *Report, name string) Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

func TestValidBundle(t *testing.T) {
	w := newWorld(t)
	signed := w.issue(t, 3, w.issuerKey, w.issuerVM, issued)
	b := w.bundle(t, signed, 5)

	// Through JSON, as a file would carry it.
	js, err := b.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b2, err := ParseBundle(js)
	if err != nil {
		t.Fatal(err)
	}
	rep := Verify(b2, w.trusted())
	if !rep.OK {
		t.Fatalf("valid bundle refused: %+v", rep)
	}
	names := []string{}
	for _, c := range rep.Checks {
		names = append(names, c.Name)
		if c.Status != Pass || c.Reason == "" {
			t.Errorf("check %+v", c)
		}
	}
	if got := strings.Join(names, ","); got != "format,issuer-key,proof,validity-period,status-list,not-revoked,checkpoint-signature,log-inclusion" {
		t.Errorf("checks = %s", got)
	}
	if len(rep.Warnings) != 0 {
		t.Errorf("warnings with independent documents and key: %v", rep.Warnings)
	}
	if rep.Issuer != w.issuerDoc.ID || rep.Subject != "urn:parcours:worker:7" {
		t.Errorf("report header %+v", rep)
	}
	// A server looks the documents up in its own registry.
	lookups := 0
	rep = Verify(b2, Options{Now: now, LogKey: w.signer.VerifierKey(), Lookup: func(id string) (*did.Document, error) {
		lookups++
		return map[string]*did.Document{w.issuerDoc.ID: w.issuerDoc, w.platformDoc.ID: w.platformDoc}[id], nil
	}})
	if !rep.OK || len(rep.Warnings) != 0 || lookups != 2 {
		t.Errorf("with Lookup: ok=%v warnings=%v lookups=%d", rep.OK, rep.Warnings, lookups)
	}
	// Relying on the bundle alone still verifies, with warnings.
	rep = Verify(b2, Options{Now: now})
	if !rep.OK || len(rep.Warnings) < 2 {
		t.Errorf("bundle alone: ok=%v warnings=%v", rep.OK, rep.Warnings)
	}
}

// Every byte of the credential, of the inclusion proof and of the
// checkpoint, changed, makes the report fail with a reason.
func TestBundleEveryChangedByte(t *testing.T) {
	w := newWorld(t)
	signed := w.issue(t, 3, w.issuerKey, w.issuerVM, issued)
	b := w.bundle(t, signed, 5)
	opts := w.trusted()
	if !Verify(b, opts).OK {
		t.Fatal("baseline does not verify")
	}
	mustFail := func(what string, mb *Bundle) {
		t.Helper()
		rep := Verify(mb, opts)
		if rep.OK {
			t.Fatalf("%s: still verifies", what)
		}
		for _, c := range rep.Failed() {
			if c.Reason == "" || c.Code == "" {
				t.Fatalf("%s: failure without reason or code: %+v", what, c)
			}
		}
	}
	canon := must(credential.Canonicalize(signed))
	for i := range canon {
		m := bytes.Clone(canon)
		m[i] ^= 0x01
		mb := *b
		mb.Credential = m
		mustFail(fmt.Sprintf("credential byte %d (%q)", i, canon[i]), &mb)
	}
	for j := range b.Log.InclusionProof {
		hs := must(DecodeHashes(b.Log.InclusionProof))
		for k := range tlog.HashSize {
			c := append([]tlog.Hash{}, hs...)
			c[j][k] ^= 0x01
			mb, lp := *b, *b.Log
			lp.InclusionProof = EncodeHashes(c)
			mb.Log = &lp
			mustFail(fmt.Sprintf("proof hash %d byte %d", j, k), &mb)
		}
	}
	for i := range b.Log.Checkpoint {
		m := []byte(b.Log.Checkpoint)
		m[i] ^= 0x01
		mb, lp := *b, *b.Log
		lp.Checkpoint = string(m)
		mb.Log = &lp
		mustFail(fmt.Sprintf("checkpoint byte %d", i), &mb)
	}
	for _, idx := range []uint64{4, 6, 0} {
		mb, lp := *b, *b.Log
		lp.Index = idx
		mb.Log = &lp
		mustFail(fmt.Sprintf("index %d", idx), &mb)
	}
}

func TestBundleFailures(t *testing.T) {
	w := newWorld(t)
	signed := w.issue(t, 3, w.issuerKey, w.issuerVM, issued)
	opts := w.trusted()

	// The issuer rotates its key; a credential the old key signs after
	// the rotation is refused, one signed before is still valid.
	newPub, newKey, _ := ed25519.GenerateKey(nil)
	newVM := must(w.issuerDoc.Rotate(newPub, rotated)).ID
	late := w.issue(t, 4, w.issuerKey, w.issuerVM, rotated.Add(time.Hour)) // index 7
	fresh := w.issue(t, 5, newKey, newVM, rotated.Add(time.Hour))          // index 9

	forger := must(did.New(w.issuerDoc.ID))
	fpub, fkey, _ := ed25519.GenerateKey(nil)
	fvm := must(forger.AddKey(fpub, issued.AddDate(-1, 0, 0))).ID
	forged := w.issue(t, 8, fkey, fvm, issued) // index 11

	type tc struct {
		name  string
		b     func() *Bundle
		opts  Options
		check string
		code  string
	}
	base := func() *Bundle { return w.bundle(t, signed, 5) }
	tests := []tc{
		{"old credential after rotation", base, opts, "", ""},
		{"new key after rotation", func() *Bundle { return w.bundle(t, fresh, 9) }, opts, "", ""},
		{"old key used after rotation", func() *Bundle { return w.bundle(t, late, 7) }, opts, CheckIssuerKey, string(credential.CodeKeyRevoked)},
		{"forged issuer document, verifier has the real one", func() *Bundle {
			b := w.bundle(t, forged, 11)
			b.IssuerDocuments[0] = must(forger.Marshal())
			return b
		}, opts, CheckIssuerKey, string(credential.CodeKeyUnknown)},
		{"revoked", func() *Bundle {
			w.list.Set(3, true)
			defer w.list.Set(3, false)
			return w.bundle(t, signed, 5)
		}, opts, CheckNotRevoked, CodeRevoked},
		{"no status list", func() *Bundle { b := base(); b.StatusListCredential = nil; return b }, opts, CheckStatusList, CodeMissing},
		{"status list signed by an outsider", func() *Bundle {
			b := base()
			odoc := must(did.New("did:web:outsider.example"))
			opub, okey, _ := ed25519.GenerateKey(nil)
			ovm := must(odoc.AddKey(opub, issued)).ID
			lc := must(statuslist.NewCredential(listURL, odoc.ID, now.Add(-time.Hour), must(statuslist.New(statuslist.MinSize))))
			b.StatusListCredential = must(credential.Issue(lc, okey, ovm, now.Add(-time.Hour)))
			b.IssuerDocuments = append(b.IssuerDocuments, must(odoc.Marshal()))
			return b
		}, opts, CheckStatusList, CodeStatusListIssuer},
		{"status list tampered", func() *Bundle {
			b := base()
			b.StatusListCredential = bytes.Replace(b.StatusListCredential, []byte(`"statusPurpose":"revocation"`), []byte(`"statusPurpose":"suspension"`), 1)
			return b
		}, opts, CheckStatusList, string(credential.CodeSignature)},
		{"status list of another URL", func() *Bundle {
			b := base()
			lc := must(statuslist.NewCredential("https://parcours.example/status/2", w.platformDoc.ID, now, w.list))
			b.StatusListCredential = must(credential.Issue(lc, w.platformKey, w.platformVM, now))
			return b
		}, opts, CheckStatusList, CodeStatusEntry},
		{"not yet valid", base, Options{Now: issued.Add(-time.Hour), Issuers: opts.Issuers, LogKey: opts.LogKey}, CheckValidity, CodeNotYetValid},
		{"no log proof", func() *Bundle { b := base(); b.Log = nil; return b }, opts, CheckCheckpoint, CodeMissing},
		{"another log's key", base, Options{Now: now, Issuers: opts.Issuers, LogKey: must(tlog.GenerateSigner(host+"/log", nil)).VerifierKey()}, CheckCheckpoint, CodeCheckpoint},
		{"unreadable log key", base, Options{Now: now, Issuers: opts.Issuers, LogKey: "nonsense"}, CheckCheckpoint, CodeLogKey},
		{"checkpoint of another size given, no consistency proof", base, Options{Now: now, Issuers: opts.Issuers, LogKey: opts.LogKey, Checkpoint: w.checkpoint(12)}, CheckCheckpoint, CodeInconsistent},
		{"checkpoint given, bundle without checkpoint", func() *Bundle { b := base(); b.Log.Checkpoint = ""; return b }, Options{Now: now, Issuers: opts.Issuers, LogKey: opts.LogKey, Checkpoint: w.checkpoint(12)}, CheckLogInclusion, CodeNotIncluded},
		{"credential logged under another index", func() *Bundle { return w.bundle(t, signed, 7) }, opts, CheckLogInclusion, CodeNotIncluded},
		{"bad issuer document in bundle", func() *Bundle { b := base(); b.IssuerDocuments[0] = []byte(`{}`); return b }, opts, CheckFormat, CodeMalformedBundle},
		{"no credential", func() *Bundle { return &Bundle{} }, opts, CheckFormat, CodeMissing},
		{"not a credential", func() *Bundle { b := base(); b.Credential = []byte(`{"proof":{}}`); return b }, opts, CheckFormat, CodeMalformedBundle},
	}
	for _, tt := range tests {
		rep := Verify(tt.b(), tt.opts)
		if tt.check == "" {
			if !rep.OK {
				t.Errorf("%s: refused: %+v", tt.name, rep.Failed())
			}
			continue
		}
		c := checkOf(rep, tt.check)
		if rep.OK || c.Status != Fail || c.Code != tt.code || c.Reason == "" {
			t.Errorf("%s: ok=%v, %s = %+v; want failure %s (all: %+v)", tt.name, rep.OK, tt.check, c, tt.code, rep.Failed())
		}
	}

	// Without the verifier's documents, the forged bundle is consistent
	// in itself: the report passes but warns that it rests on the bundle.
	b := w.bundle(t, forged, 11)
	b.IssuerDocuments[0] = must(forger.Marshal())
	rep := Verify(b, Options{Now: now, LogKey: opts.LogKey})
	if !rep.OK || len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "came with the bundle") {
		t.Errorf("self-consistent forgery: ok=%v warnings=%v", rep.OK, rep.Warnings)
	}
}

// The verifier holds its own checkpoint (a witness's, an older one):
// the bundle's checkpoint must be proven one history with it.
func TestBundleWithVerifierCheckpoint(t *testing.T) {
	w := newWorld(t)
	signed := w.issue(t, 3, w.issuerKey, w.issuerVM, issued) // entry 5 of 7
	b := w.bundle(t, signed, 5)
	for i := range 20 {
		w.log.AppendData(context.Background(), []byte(fmt.Sprintf("later %d", i)))
	}
	opts := w.trusted()
	with := func(cp []byte, c *ConsistencyProof) Options {
		o := opts
		o.Checkpoint, o.Consistency = cp, c
		return o
	}
	// A fork: the same key signs another tree of the bundle's size.
	fork := tlog.New(&tlog.MemoryStore{})
	for i := range 7 {
		fork.AppendData(context.Background(), []byte(fmt.Sprintf("rewritten %d", i)))
	}
	forkRoot := must(fork.Root(context.Background(), 7))
	forked := must(w.signer.Sign(tlog.Checkpoint{Origin: w.signer.Name(), Size: 7, Root: forkRoot}))
	bad := w.consistency(7, 27)
	bad.Proof[0] = bad.Proof[1]

	tests := []struct {
		name string
		opts Options
		code string // "" = verifies
	}{
		{"same checkpoint", with(w.checkpoint(7), nil), ""},
		{"newer checkpoint with proof", with(w.checkpoint(27), w.consistency(7, 27)), ""},
		{"older checkpoint with proof", with(w.checkpoint(6), w.consistency(6, 7)), ""},
		{"newer checkpoint, no proof", with(w.checkpoint(27), nil), CodeInconsistent},
		{"proof for other sizes", with(w.checkpoint(27), w.consistency(8, 27)), CodeInconsistent},
		{"proof with a changed hash", with(w.checkpoint(27), bad), CodeInconsistent},
		{"forked tree of the same size", with(forked, nil), CodeInconsistent},
		{"unsigned checkpoint", with([]byte("x\n1\nAAAA\n"), nil), CodeCheckpoint},
	}
	for _, tt := range tests {
		rep := Verify(b, tt.opts)
		if tt.code == "" {
			if !rep.OK {
				t.Errorf("%s: %+v", tt.name, rep.Failed())
			}
			continue
		}
		c := checkOf(rep, CheckCheckpoint)
		if rep.OK || c.Code != tt.code || checkOf(rep, CheckLogInclusion).Status != Skipped {
			t.Errorf("%s: ok=%v checkpoint=%+v", tt.name, rep.OK, c)
		}
	}
}

func TestParseBundle(t *testing.T) {
	w := newWorld(t)
	signed := w.issue(t, 3, w.issuerKey, w.issuerVM, issued)
	b, err := ParseBundle(signed)
	if err != nil || !bytes.Equal(b.Credential, signed) || b.Log != nil {
		t.Fatalf("a bare credential: %v %+v", err, b)
	}
	rep := Verify(b, w.trusted())
	if rep.OK || checkOf(rep, CheckProof).Status != Pass || checkOf(rep, CheckCheckpoint).Code != CodeMissing {
		t.Errorf("bare credential report: %+v", rep)
	}
	for _, bad := range []string{`[]`, `{"a":1}`, `{"credential":"x","log":[]}`, `not json`} {
		if _, err := ParseBundle([]byte(bad)); err == nil {
			t.Errorf("ParseBundle(%s) accepted it", bad)
		}
	}
	if _, err := DecodeHashes([]string{"AAAA"}); err == nil {
		t.Error("a short hash was accepted")
	}
}

func TestEntries(t *testing.T) {
	a := must(IssuanceEntry([]byte(`{"b": 1, "a": [1, 2]}`)))
	b := must(IssuanceEntry([]byte(`{"a":[1,2],"b":1}`)))
	if !bytes.Equal(a, b) || string(a) != `{"credential":{"a":[1,2],"b":1},"type":"issuance"}` {
		t.Errorf("issuance entry = %s / %s", a, b)
	}
	r := must(RevocationEntry("urn:x", statuslist.Entry(listURL, 3), issued))
	if !strings.Contains(string(r), `"type":"revocation"`) || !strings.Contains(string(r), `"revoked":"2026-02-10T14:00:00Z"`) {
		t.Errorf("revocation entry = %s", r)
	}
	if _, err := IssuanceEntry([]byte("{")); err == nil {
		t.Error("invalid JSON accepted")
	}
}

func sameCanonical(a, b *Bundle) bool {
	ca, err1 := credential.Canonicalize(a.Credential)
	cb, err2 := credential.Canonicalize(b.Credential)
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}
