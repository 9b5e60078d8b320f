package profiles

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/did"
	"github.com/parcours/parcours/skills"
)

// Registration is what an organisation sends to register as an issuer.
type Registration struct {
	SIRET   string
	Kind    IssuerKind
	Name    string
	Custody Custody
	// PublicKey is the issuer's own Ed25519 key as a Multikey
	// ("z6Mk..."), required with OwnKey custody and refused otherwise.
	PublicKey string
}

// RegisterIssuer registers an employer or certifier. With platform custody
// the platform generates its first key; with own custody the issuer's
// public key is recorded.
func (s *Service) RegisterIssuer(ctx context.Context, r Registration) (Issuer, error) {
	var v marketplace.ValidationError
	r.Name = strings.TrimSpace(r.Name)
	if !marketplace.ValidSIRET(r.SIRET) {
		v.Add("siret", "must be a valid SIRET: 14 digits with a valid Luhn key")
	}
	if r.Kind != EmployerIssuer && r.Kind != CertifierIssuer {
		v.Add("kind", "must be employer or certifier")
	}
	text(&v, "name", r.Name, 1, MaxTitleRunes)
	pub, err := s.checkCustody(&v, r.Custody, r.PublicKey)
	if err := v.Err(); err != nil {
		return Issuer{}, err
	}
	if err != nil {
		return Issuer{}, err
	}
	now := s.clock()
	i := Issuer{SIRET: r.SIRET, Kind: r.Kind, Name: r.Name, Custody: r.Custody, CreatedAt: now, UpdatedAt: now, Version: 1}
	k, err := s.makeKey(r.SIRET, r.Custody, pub, now)
	if err != nil {
		return Issuer{}, err
	}
	i.Keys = []IssuerKey{k}
	if err := s.store.CreateIssuer(ctx, i); err != nil {
		return Issuer{}, fmt.Errorf("SIRET %s is already registered: %w", r.SIRET, err)
	}
	return i, nil
}

func (s *Service) checkCustody(v *marketplace.ValidationError, c Custody, publicKey string) (ed25519.PublicKey, error) {
	switch c {
	case PlatformKey:
		if publicKey != "" {
			v.Add("public_key", "only goes with custody \"own\": with \"platform\" the platform makes the key")
		}
	case OwnKey:
		pub, err := credential.DecodeMultikey(publicKey)
		if err != nil {
			v.Add("public_key", "must be an Ed25519 public key as a Multikey (\"z6Mk...\")")
		}
		return pub, nil
	default:
		v.Add("custody", "must be platform (the platform holds the key) or own (you sign yourself)")
	}
	return nil, nil
}

func (s *Service) makeKey(siret string, c Custody, pub ed25519.PublicKey, at time.Time) (IssuerKey, error) {
	if c == PlatformKey {
		return s.notary.newKey(siret, at)
	}
	return IssuerKey{ID: credential.EncodeMultikey(pub), Public: pub, Created: at.UTC().Truncate(time.Second)}, nil
}

// Issuer returns a registered issuer; the platform's own key record
// (PlatformIssuer) is not one (see Notary.PlatformKeys).
func (s *Service) Issuer(ctx context.Context, siret string) (Issuer, error) {
	if siret == PlatformIssuer {
		return Issuer{}, fmt.Errorf("issuer %s: %w", siret, ErrNotFound)
	}
	return s.store.Issuer(ctx, siret)
}

// RotateKey retires the issuer's current key and puts a new one in
// service: a fresh platform-held key, or publicKey (a Multikey) for an
// issuer signing itself. What the old key signed still verifies.
func (s *Service) RotateKey(ctx context.Context, siret, publicKey string) (Issuer, error) {
	for range 5 {
		i, err := s.store.Issuer(ctx, siret)
		if err != nil {
			return Issuer{}, err
		}
		var v marketplace.ValidationError
		pub, _ := s.checkCustody(&v, i.Custody, publicKey)
		if err := v.Err(); err != nil {
			return Issuer{}, err
		}
		if slices.ContainsFunc(i.Keys, func(k IssuerKey) bool { return bytes.Equal(k.Public, pub) }) {
			v.Add("public_key", "is a key the issuer already had: rotate to a new key")
			return Issuer{}, &v
		}
		now := s.clock()
		at := rotationTime(now, i.Keys[len(i.Keys)-1].Created)
		k, err := s.makeKey(siret, i.Custody, pub, at)
		if err != nil {
			return Issuer{}, err
		}
		for n := range i.Keys {
			if i.Keys[n].Retired.IsZero() {
				i.Keys[n].Retired = at
			}
		}
		i.Keys = append(i.Keys, k)
		i.UpdatedAt, i.Version = now, i.Version+1
		err = s.store.UpdateIssuer(ctx, i)
		if errors.Is(err, ErrConflict) {
			continue
		}
		return i, err
	}
	return Issuer{}, fmt.Errorf("issuer %s kept changing: %w", siret, ErrConflict)
}

// rotationTime is when a rotation made at now takes effect: the next whole
// second (after the last key's creation). Proofs carry their creation time
// to the second, so a boundary inside the current second would turn what
// the old key signed earlier in that second into proofs "after
// retirement"; until the boundary, signers keep using the old key, which
// is still in service (Notary.signerOf picks keys by time).
func rotationTime(now, last time.Time) time.Time {
	at := now.UTC().Truncate(time.Second)
	if at.Before(now) {
		at = at.Add(time.Second)
	}
	if !at.After(last) {
		at = last.Add(time.Second)
	}
	return at
}

// Attestation is what an issuer attests about a worker, who is named by
// their NIR (the number employers and certifiers know them by, never kept).
type Attestation struct {
	NIR   string
	Entry Entry
}

// kinds an issuer of each kind may attest.
var attestable = map[IssuerKind][]Kind{
	EmployerIssuer:  {Employment, SkillLine},
	CertifierIssuer: {Certification, SkillLine},
}

// prepare checks an attestation and returns the worker's account, the
// line as it will be stored and its credential record, not yet signed.
func (s *Service) prepare(ctx context.Context, i Issuer, a Attestation) (Entry, Credential, error) {
	var v marketplace.ValidationError
	e := a.Entry
	e.Start, e.End = Day(e.Start), Day(e.End)
	if e.Organisation == "" {
		e.Organisation = i.Name
	}
	if e.SIRET == "" {
		e.SIRET = i.SIRET
	}
	if err := e.Validate(); err != nil {
		var ve *marketplace.ValidationError
		errors.As(err, &ve)
		v.Fields = append(v.Fields, ve.Fields...)
	}
	if e.Kind.Valid() && !slices.Contains(attestable[i.Kind], e.Kind) {
		v.Add("kind", "an %s attests %s lines, not %s", i.Kind, strings.Join(kindNames(attestable[i.Kind]), " or "), e.Kind)
	}
	if e.SIRET != i.SIRET {
		v.Add("siret", "must be the issuer's own SIRET")
	}
	nir, ok := marketplace.NormalizeNIR(a.NIR)
	if !ok {
		v.Add("nir", "must be a valid social security number (15 characters with its key)")
	}
	if err := v.Err(); err != nil {
		return Entry{}, Credential{}, err
	}
	if err := s.checkSkills(ctx, e); err != nil {
		return Entry{}, Credential{}, err
	}
	if s.accounts == nil {
		return Entry{}, Credential{}, fmt.Errorf("no account directory: %w", marketplace.ErrUnavailable)
	}
	person, err := s.accounts.AccountByNIR(ctx, nir)
	if errors.Is(err, ErrNotFound) {
		v.Add("nir", "no training account has this number")
		return Entry{}, Credential{}, &v
	}
	if err != nil {
		return Entry{}, Credential{}, err
	}
	if i.Kind == EmployerIssuer {
		if err := s.checkEmployed(ctx, i.SIRET, person, e); err != nil {
			return Entry{}, Credential{}, err
		}
	}
	now := s.clock()
	e.PersonID, e.Evidence, e.IssuerID, e.Revoked = person, Attested, i.SIRET, false
	e.CreatedAt, e.UpdatedAt = now, now
	// The credential's ID follows from what is attested, so that sending
	// the same attestation twice (a retried request, a file imported
	// again) is refused rather than duplicated.
	id := "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(strings.Join([]string{i.SIRET, person, string(e.Kind), e.Title, e.Code, e.Start.Format(time.DateOnly)}, "\x00"))).String()
	if _, err := s.store.Credential(ctx, id); err == nil {
		return Entry{}, Credential{}, fmt.Errorf("this line is already attested for this worker (credential %s): %w", id, ErrConflict)
	} else if !errors.Is(err, ErrNotFound) {
		return Entry{}, Credential{}, err
	}
	e.ID, e.CredentialID = s.newID(), id
	return e, Credential{ID: id, PersonID: person, IssuerID: i.SIRET, EntryID: e.ID, IssueLeaf: -1, RevokeLeaf: -1}, nil
}

func kindNames(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// checkEmployed refuses an employer's attestation about a worker it never
// declared: the employment declarations (DSN) must show this employer
// employed the worker in a year of the attested period.
func (s *Service) checkEmployed(ctx context.Context, siret, person string, e Entry) error {
	if s.employments == nil {
		return fmt.Errorf("no employment declarations to check against: %w", ErrForbidden)
	}
	years, err := s.employments.EmploymentYears(ctx, person, siret)
	if err != nil {
		return err
	}
	if len(years) == 0 {
		return fmt.Errorf("the employer %s never declared this worker's employment: %w", siret, ErrForbidden)
	}
	first, last := e.Start.Year(), s.now().Year()
	if !e.End.IsZero() {
		last = e.End.Year()
	}
	if e.Start.IsZero() {
		first = last
	}
	for _, y := range years {
		if y >= first && y <= last {
			return nil
		}
	}
	return fmt.Errorf("the employer %s declared this worker only in %v, outside the attested period: %w", siret, years, ErrForbidden)
}

// subjectID names a worker in credentials: their account, never their NIR.
func subjectID(person string) string { return "urn:parcours:learner:" + person }

// credentialTypes names each kind's credential type and French name.
var credentialTypes = map[Kind][2]string{
	Employment:    {"EmploymentCredential", "Attestation d’emploi"},
	Training:      {"TrainingCompletionCredential", "Attestation de formation"},
	Certification: {"CertificationCredential", "Attestation de certification"},
	SkillLine:     {"SkillCredential", "Attestation de compétence"},
}

// unsignedVC is the credential attesting e, issued by issuerDID, before
// its proof.
func (s *Service) unsignedVC(ctx context.Context, e Entry, rec Credential, issuerDID string, status credential.Status, at time.Time) *credential.Credential {
	ct := credentialTypes[e.Kind]
	claim := map[string]any{"kind": string(e.Kind), "title": e.Title}
	if e.Organisation != "" {
		claim["organisation"] = e.Organisation
	}
	if e.SIRET != "" {
		claim["siret"] = e.SIRET
	}
	if e.Code != "" {
		claim["code"] = e.Code
	}
	if !e.Start.IsZero() {
		claim["startDate"] = e.Start.Format(time.DateOnly)
	}
	if !e.End.IsZero() {
		claim["endDate"] = e.End.Format(time.DateOnly)
	}
	if e.Description != "" {
		claim["description"] = e.Description
	}
	if e.Level != 0 {
		claim["level"] = e.Level
	}
	if len(e.Skills) > 0 {
		var list []any
		for _, id := range e.Skills {
			sk := map[string]any{"id": id}
			if s.graph != nil {
				if k, err := s.graph.Skill(ctx, id); err == nil {
					sk["label"] = k.Label
				}
			}
			list = append(list, sk)
		}
		claim["skills"] = list
	}
	key := map[Kind]string{Employment: "employment", Training: "training", Certification: "certification", SkillLine: "skill"}[e.Kind]
	return &credential.Credential{
		Context:           []string{credential.ContextV2},
		ID:                rec.ID,
		Type:              []string{credential.TypeCredential, ct[0]},
		Name:              ct[1],
		Issuer:            issuerDID,
		ValidFrom:         at.UTC().Truncate(time.Second),
		CredentialSubject: map[string]any{"id": subjectID(e.PersonID), key: claim},
		CredentialStatus:  &status,
	}
}

// Attest issues an attestation signed with the key the platform holds for
// the issuer, and adds the attested line to the worker's profile.
func (s *Service) Attest(ctx context.Context, siret string, a Attestation) (Entry, Credential, error) {
	i, err := s.store.Issuer(ctx, siret)
	if err != nil {
		return Entry{}, Credential{}, err
	}
	if i.Custody != PlatformKey {
		return Entry{}, Credential{}, fmt.Errorf("issuer %s signs with its own key: send a signed credential (draft, then submit): %w", siret, ErrConflict)
	}
	e, rec, err := s.prepare(ctx, i, a)
	if err != nil {
		return Entry{}, Credential{}, err
	}
	sign, issuerDID, err := s.signer(i)
	if err != nil {
		return Entry{}, Credential{}, err
	}
	return s.issueLine(ctx, e, rec, issuerDID, sign)
}

// signer returns the signing function of the keys the platform holds for
// an issuer (the key in service at each time) and the issuer's did:web.
func (s *Service) signer(i Issuer) (keyAt, string, error) {
	if _, ok := i.Current(); !ok {
		return nil, "", fmt.Errorf("issuer %s has no key in service: %w", i.SIRET, ErrConflict)
	}
	doc, err := s.notary.IssuerDocument(i)
	if err != nil {
		return nil, "", err
	}
	return s.notary.signerOf(i.SIRET, i.Keys, doc), doc.ID, nil
}

// issueLine allocates the credential's status bit, signs, logs and
// stores it, then adds the line and gives its skills to the graph.
func (s *Service) issueLine(ctx context.Context, e Entry, rec Credential, issuerDID string, sign keyAt) (Entry, Credential, error) {
	es, recs, err := s.issueLines(ctx, []Entry{e}, []Credential{rec}, issuerDID, sign)
	if err != nil {
		return Entry{}, Credential{}, err
	}
	return es[0], recs[0], nil
}

// issueLines issues several lines of one issuer at once: one allocation of
// status bits, one log append per thousand, one store write, then the
// skills of each person concerned to the graph.
func (s *Service) issueLines(ctx context.Context, es []Entry, recs []Credential, issuerDID string, sign keyAt) ([]Entry, []Credential, error) {
	idx, err := s.store.NextStatusIndexes(ctx, len(recs))
	if err != nil {
		return nil, nil, err
	}
	at := s.now()
	vcs := make([]*credential.Credential, len(recs))
	for i := range recs {
		recs[i].StatusIndex = idx[i]
		vcs[i] = s.unsignedVC(ctx, es[i], recs[i], issuerDID, s.notary.statusEntry(idx[i]), at)
	}
	if recs, err = s.notary.issueBatch(ctx, recs, vcs, sign, at); err != nil {
		return nil, nil, err
	}
	if err := s.store.CreateIssued(ctx, recs, es); err != nil {
		return nil, nil, err
	}
	done := map[string]bool{}
	for _, e := range es {
		if done[e.PersonID] {
			continue
		}
		done[e.PersonID] = true
		if err := s.syncSkills(ctx, e.PersonID); err != nil {
			s.log.WarnContext(ctx, "giving attested skills to the skills graph", "person", e.PersonID, "err", err)
		}
	}
	return es, recs, nil
}

// Draft prepares an attestation an issuer signs with its own key: the
// credential exactly as it must be signed (with its ID, status entry and
// dates); Submit accepts it once signed.
func (s *Service) Draft(ctx context.Context, siret string, a Attestation) ([]byte, error) {
	i, err := s.store.Issuer(ctx, siret)
	if err != nil {
		return nil, err
	}
	if i.Custody != OwnKey {
		return nil, fmt.Errorf("the platform holds issuer %s's key: attest directly: %w", siret, ErrConflict)
	}
	e, rec, err := s.prepare(ctx, i, a)
	if err != nil {
		return nil, err
	}
	idx, err := s.store.NextStatusIndexes(ctx, 1)
	if err != nil {
		return nil, err
	}
	rec.StatusIndex = idx[0]
	issuerDID, err := s.notary.IssuerDID(siret)
	if err != nil {
		return nil, err
	}
	vc := s.unsignedVC(ctx, e, rec, issuerDID, s.notary.statusEntry(rec.StatusIndex), s.now())
	doc, err := vc.Marshal()
	if err != nil {
		return nil, err
	}
	rec.State, rec.Document, rec.Pending = Draft, doc, &e
	if err := s.store.CreateCredential(ctx, rec); err != nil {
		return nil, err
	}
	return doc, nil
}

// Submit accepts a credential an own-key issuer signed: the draft it
// received, unchanged, with an eddsa-jcs-2022 proof by its current key.
func (s *Service) Submit(ctx context.Context, siret string, signed []byte) (Entry, Credential, error) {
	i, err := s.store.Issuer(ctx, siret)
	if err != nil {
		return Entry{}, Credential{}, err
	}
	c, err := credential.Parse(signed)
	if err != nil {
		return Entry{}, Credential{}, invalidField("credential", "is not a credential: %v", err)
	}
	rec, err := s.store.Credential(ctx, c.ID)
	if errors.Is(err, ErrNotFound) || err == nil && rec.IssuerID != siret {
		return Entry{}, Credential{}, invalidField("credential.id", "names no draft of this issuer: ask for a draft first")
	}
	if err != nil {
		return Entry{}, Credential{}, err
	}
	if rec.State != Draft || rec.Pending == nil {
		return Entry{}, Credential{}, fmt.Errorf("credential %s is already issued: %w", c.ID, ErrConflict)
	}
	doc, err := s.notary.IssuerDocument(i)
	if err != nil {
		return Entry{}, Credential{}, err
	}
	if _, err := credential.Verify(signed, did.NewResolver(doc)); err != nil {
		return Entry{}, Credential{}, invalidField("credential.proof", "does not verify with the issuer's registered key: %v", err)
	}
	if !sameDocument(signed, rec.Document) {
		return Entry{}, Credential{}, invalidField("credential", "differs from the draft: sign the draft exactly as it was given")
	}
	e := *rec.Pending
	rec.Pending = nil
	if rec, err = s.notary.record(ctx, rec, signed); err != nil {
		return Entry{}, Credential{}, err
	}
	if err := s.store.PutCredential(ctx, rec); err != nil {
		return Entry{}, Credential{}, err
	}
	if err := s.store.CreateProfileEntry(ctx, e); err != nil {
		return Entry{}, Credential{}, err
	}
	if err := s.syncSkills(ctx, e.PersonID); err != nil {
		s.log.WarnContext(ctx, "giving attested skills to the skills graph", "person", e.PersonID, "err", err)
	}
	return e, rec, nil
}

// sameDocument reports whether signed, without its proof, is the draft.
func sameDocument(signed, draft []byte) bool {
	var a, b map[string]any
	if json.Unmarshal(signed, &a) != nil || json.Unmarshal(draft, &b) != nil {
		return false
	}
	delete(a, "proof")
	return reflect.DeepEqual(a, b)
}

func invalidField(field, format string, args ...any) error {
	var v marketplace.ValidationError
	v.Add(field, format, args...)
	return &v
}

// Revoke revokes a credential: its status bit is set and the revocation
// appended to the log; its line stays, marked revoked, and no longer
// counts as attested. Only its issuer may (by = its SIRET, or
// PlatformIssuer for the platform's).
func (s *Service) Revoke(ctx context.Context, by, id, reason string) (Credential, error) {
	reason = strings.TrimSpace(reason)
	var v marketplace.ValidationError
	text(&v, "reason", reason, 1, 500)
	if err := v.Err(); err != nil {
		return Credential{}, err
	}
	c, err := s.store.Credential(ctx, id)
	if err != nil {
		return Credential{}, err
	}
	if c.IssuerID != by {
		return Credential{}, fmt.Errorf("only the credential's issuer may revoke it: %w", ErrForbidden)
	}
	switch c.State {
	case Revoked:
		return c, fmt.Errorf("credential %s is already revoked: %w", id, ErrConflict)
	case Draft:
		return c, fmt.Errorf("credential %s is a draft, never issued: %w", id, ErrConflict)
	}
	if c, err = s.notary.revoke(ctx, c, reason); err != nil {
		return Credential{}, err
	}
	if err := s.store.PutCredential(ctx, c); err != nil {
		return Credential{}, err
	}
	if e, err := s.store.ProfileEntry(ctx, c.PersonID, c.EntryID); err == nil {
		e.Revoked, e.UpdatedAt = true, s.clock()
		if err := s.store.PutProfileEntry(ctx, e); err != nil {
			return c, err
		}
	}
	if err := s.syncSkills(ctx, c.PersonID); err != nil {
		s.log.WarnContext(ctx, "withdrawing revoked skills from the skills graph", "person", c.PersonID, "err", err)
	}
	return c, nil
}

// Catalogue is what the training attestation reads of the marketplace.
type Catalogue interface {
	Offer(ctx context.Context, id string) (marketplace.Offer, error)
	Provider(ctx context.Context, id string) (marketplace.Provider, error)
}

// TrainingID is the ID of the training line a dossier attests.
func TrainingID(dossierID string) string { return "training-" + dossierID }

// AttestTraining issues, signed by the platform, the attestation of a
// training completed in full and evaluated, listing the skills its
// certification covers, and adds the attested line. Attesting a dossier
// again changes nothing (done false).
func (s *Service) AttestTraining(ctx context.Context, cat Catalogue, d marketplace.Dossier) (e Entry, done bool, err error) {
	if d.State != marketplace.ServiceDoneValidated || !d.Evaluated || d.CompletionRate < 100 {
		return Entry{}, false, nil
	}
	id := "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("parcours:training:"+d.ID)).String()
	if _, err := s.store.Credential(ctx, id); err == nil {
		return Entry{}, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Entry{}, false, err
	}
	o, err := cat.Offer(ctx, d.OfferID)
	if err != nil {
		return Entry{}, false, fmt.Errorf("the dossier's offer: %w", err)
	}
	now := s.clock()
	e = Entry{ID: TrainingID(d.ID), PersonID: d.AccountID, Kind: Training, Evidence: Attested, Title: cmpOr(d.Title, o.Title),
		Code: o.Certification.Code, Start: Day(d.SessionStart), End: Day(cmpOrTime(d.ExitedAt, d.SessionEnd)),
		CredentialID: id, IssuerID: PlatformIssuer, CreatedAt: now, UpdatedAt: now}
	if p, err := cat.Provider(ctx, d.ProviderID); err == nil {
		e.Organisation, e.SIRET = p.Name, p.SIRET
	}
	if o.Certification.Title != "" {
		e.Description = "Prépare à : " + o.Certification.Title + " (" + o.Certification.Code + ")"
	}
	if t, ok := s.graph.(skills.Teacher); ok && o.Certification.Code != "" {
		taught, err := t.TaughtBy(ctx, o.Certification.Code)
		if err != nil {
			return Entry{}, false, err
		}
		for _, k := range taught {
			e.Skills = append(e.Skills, k.ID)
		}
		if len(e.Skills) > MaxSkillsPerEntry {
			e.Skills = e.Skills[:MaxSkillsPerEntry]
		}
	}
	if err := e.Validate(); err != nil {
		return Entry{}, false, err
	}
	rec := Credential{ID: id, PersonID: d.AccountID, IssuerID: PlatformIssuer, EntryID: e.ID, IssueLeaf: -1, RevokeLeaf: -1}
	sign, err := s.notary.platformSigner(ctx)
	if err != nil {
		return Entry{}, false, err
	}
	e, _, err = s.issueLine(ctx, e, rec, s.notary.PlatformDID(), sign)
	if errors.Is(err, ErrConflict) {
		return Entry{}, false, nil // a concurrent call attested it first
	}
	return e, err == nil, err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cmpOrTime(a, b time.Time) time.Time {
	if !a.IsZero() {
		return a
	}
	return b
}

// Bundle returns the verification bundle of one of a person's credentials.
func (s *Service) Bundle(ctx context.Context, c Credential) ([]byte, error) {
	b, err := s.notary.Bundle(ctx, c)
	if err != nil {
		return nil, err
	}
	return b.Marshal()
}

// TrainingHook returns the function the enrolment service calls after an
// evaluation (marketplace.EnrolmentService.OnEvaluated): it attests the
// training when the dossier is complete. A failure is logged; the
// attestation can be issued again later, since it is idempotent.
func (s *Service) TrainingHook(cat Catalogue) func(context.Context, marketplace.Dossier) {
	return func(ctx context.Context, d marketplace.Dossier) {
		if _, done, err := s.AttestTraining(ctx, cat, d); err != nil {
			s.log.ErrorContext(ctx, "attesting a completed training", "dossier", d.ID, "err", err)
		} else if done {
			s.log.InfoContext(ctx, "training attested", "dossier", d.ID)
		}
	}
}

// Dossiers lists the dossiers the training attestations catch up on:
// the marketplace's providers and each one's dossiers in a state.
type Dossiers interface {
	Providers(ctx context.Context, page marketplace.Page) ([]marketplace.Provider, string, error)
	Dossiers(ctx context.Context, f marketplace.DossierFilter, page marketplace.Page) ([]marketplace.Dossier, string, error)
}

// CatchUpTrainings attests every completed, evaluated training not yet
// attested: what the evaluation hook missed (a crash between the
// evaluation and the attestation, a store that did not answer). It walks
// the validated dossiers provider by provider, and returns how many it
// attested.
func (s *Service) CatchUpTrainings(ctx context.Context, cat Catalogue, ds Dossiers) (int, error) {
	n := 0
	for pp := (marketplace.Page{Limit: marketplace.MaxPageSize}); ; {
		ps, next, err := ds.Providers(ctx, pp)
		if err != nil {
			return n, err
		}
		for _, p := range ps {
			f := marketplace.DossierFilter{ProviderID: p.ID, State: marketplace.ServiceDoneValidated}
			for dp := (marketplace.Page{Limit: marketplace.MaxPageSize}); ; {
				dd, dnext, err := ds.Dossiers(ctx, f, dp)
				if err != nil {
					return n, err
				}
				for _, d := range dd {
					_, done, err := s.AttestTraining(ctx, cat, d)
					if err != nil {
						return n, fmt.Errorf("dossier %s: %w", d.ID, err)
					}
					if done {
						n++
					}
				}
				if dp.After = dnext; dnext == "" {
					break
				}
			}
		}
		if pp.After = next; next == "" {
			return n, nil
		}
	}
}
