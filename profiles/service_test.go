package profiles_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/did"
	"github.com/parcours/parcours/profiles/statuslist"
	"github.com/parcours/parcours/profiles/tlog"
	"github.com/parcours/parcours/profiles/verify"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/graphtest"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

// Fictitious NIRs with valid keys.
const (
	nirAlice = "255081416802538"
	nirBob   = "185037512345641"
)

type accounts map[string]string

func (a accounts) AccountByNIR(_ context.Context, nir string) (string, error) {
	if id, ok := a[nir]; ok {
		return id, nil
	}
	return "", marketplace.ErrNotFound
}

type env struct {
	svc   *profiles.Service
	store *bolt.Store
	graph *skills.Embedded
	clock *time.Time
	ctx   context.Context
	// platform is the configured platform key, which seeds the store's.
	platform ed25519.PrivateKey
}

var (
	employer  = storetest.SIRET(101)
	employer2 = storetest.SIRET(102)
	certifier = storetest.SIRET(103)
)

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "p.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	g, err := skills.NewEmbedded(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Apply(ctx, graphtest.Batch()); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clock := &now
	nowf := func() time.Time { return *clock }
	_, pk, _ := ed25519.GenerateKey(rand.Reader)
	_, lk, _ := ed25519.GenerateKey(rand.Reader)
	seal := make([]byte, 32)
	rand.Read(seal)
	n, err := profiles.NewNotary(profiles.NotaryConfig{Store: st, Log: st.TransparencyLog(), BaseURL: "https://parcours.example",
		PlatformKey: pk, LogKey: lk, SealKey: seal, Now: nowf})
	if err != nil {
		t.Fatal(err)
	}
	// Alice was declared by the first employer in 2023 and 2024.
	if err := st.SaveDeclarations(ctx, []marketplace.Declaration{
		{AccountID: "alice", Year: 2023, EmployerSIRET: employer, HoursWorked: 1600, FullTimeHours: 1607},
		{AccountID: "alice", Year: 2024, EmployerSIRET: employer, HoursWorked: 1600, FullTimeHours: 1607},
	}); err != nil {
		t.Fatal(err)
	}
	svc := profiles.NewService(profiles.Config{Store: st, Employments: st, Accounts: accounts{nirAlice: "alice", nirBob: "bob"},
		Graph: g, Notary: n, Now: nowf})
	return &env{svc: svc, store: st, graph: g, clock: clock, ctx: ctx, platform: pk}
}

func fieldsOf(err error) []string {
	var v *marketplace.ValidationError
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return out
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDeclaredLines(t *testing.T) {
	e := newEnv(t)
	bad := []struct {
		name  string
		entry profiles.Entry
		field string
	}{
		{"no kind", profiles.Entry{Title: "x"}, "kind"},
		{"no title", profiles.Entry{Kind: profiles.Training}, "title"},
		{"employment without employer", profiles.Entry{Kind: profiles.Employment, Title: "Serveur", Start: day("2020-01-01")}, "organisation"},
		{"end before start", profiles.Entry{Kind: profiles.Training, Title: "x", Start: day("2020-02-01"), End: day("2020-01-01")}, "end"},
		{"bad SIRET", profiles.Entry{Kind: profiles.Training, Title: "x", SIRET: "12345678901234"}, "siret"},
		{"skill without level", profiles.Entry{Kind: profiles.SkillLine, Title: "Go", Code: "s:go"}, "level"},
		{"unknown skill", profiles.Entry{Kind: profiles.Training, Title: "x", Skills: []string{"s:nope"}}, "skills[0]"},
	}
	for _, c := range bad {
		_, err := e.svc.AddDeclared(e.ctx, "alice", c.entry)
		if !errors.Is(err, marketplace.ErrInvalid) || !strings.Contains(strings.Join(fieldsOf(err), ","), c.field) {
			t.Errorf("%s: got %v, want a field error on %s", c.name, err, c.field)
		}
	}
	if es, _ := e.svc.Profile(e.ctx, "alice"); len(es) != 0 {
		t.Fatalf("refused lines were stored: %d", len(es))
	}
	l, err := e.svc.AddDeclared(e.ctx, "alice", profiles.Entry{Kind: profiles.Employment, Title: " Serveuse ", Organisation: "Café du port", Start: day("2019-05-01"), End: day("2020-08-31")})
	if err != nil {
		t.Fatal(err)
	}
	if l.Evidence != profiles.Declared || l.Title != "Serveuse" || l.PersonID != "alice" {
		t.Fatalf("declared line: %+v", l)
	}
	l.Title = "Serveuse en salle"
	if _, err := e.svc.UpdateDeclared(e.ctx, "alice", l.ID, l); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateDeclared(e.ctx, "bob", l.ID, l); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("another learner updating alice's line: got %v, want ErrNotFound", err)
	}
	if err := e.svc.DeleteDeclared(e.ctx, "bob", l.ID); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("another learner deleting alice's line: got %v, want ErrNotFound", err)
	}
	if err := e.svc.DeleteDeclared(e.ctx, "alice", l.ID); err != nil {
		t.Fatal(err)
	}
	if es, _ := e.svc.Profile(e.ctx, "alice"); len(es) != 0 {
		t.Fatalf("deleted line still listed: %d", len(es))
	}
}

func registerEmployer(t *testing.T, e *env, siret string) profiles.Issuer {
	t.Helper()
	i, err := e.svc.RegisterIssuer(e.ctx, profiles.Registration{SIRET: siret, Kind: profiles.EmployerIssuer, Name: "Boulangerie Martin", Custody: profiles.PlatformKey})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func employment(nir string) profiles.Attestation {
	return profiles.Attestation{NIR: nir, Entry: profiles.Entry{Kind: profiles.Employment, Title: "Boulangère", Start: day("2023-02-01"), End: day("2024-12-31"), Skills: []string{"s:cpt"}}}
}

func TestEmployerCannotAttestUndeclaredWorker(t *testing.T) {
	e := newEnv(t)
	registerEmployer(t, e, employer)
	registerEmployer(t, e, employer2)
	if _, _, err := e.svc.Attest(e.ctx, employer2, employment(nirAlice)); !errors.Is(err, marketplace.ErrForbidden) {
		t.Fatalf("an employer that never declared alice: got %v, want ErrForbidden", err)
	}
	if _, _, err := e.svc.Attest(e.ctx, employer, employment(nirBob)); !errors.Is(err, marketplace.ErrForbidden) {
		t.Fatalf("a worker the employer never declared: got %v, want ErrForbidden", err)
	}
	old := employment(nirAlice)
	old.Entry.Start, old.Entry.End = day("2015-01-01"), day("2016-12-31")
	if _, _, err := e.svc.Attest(e.ctx, employer, old); !errors.Is(err, marketplace.ErrForbidden) {
		t.Fatalf("a period outside the declared years: got %v, want ErrForbidden", err)
	}
	if es, _ := e.svc.Profile(e.ctx, "alice"); len(es) != 0 {
		t.Fatalf("refused attestations left lines: %+v", es)
	}
	if n, _ := e.store.TransparencyLog().Size(e.ctx); n != 0 {
		t.Fatalf("refused attestations were logged: %d entries", n)
	}
	if _, _, err := e.svc.Attest(e.ctx, employer, employment(nirAlice)); err != nil {
		t.Fatalf("the declaring employer: %v", err)
	}
}

func TestAttestVerifyAndRevoke(t *testing.T) {
	e := newEnv(t)
	registerEmployer(t, e, employer)
	line, cred, err := e.svc.Attest(e.ctx, employer, employment(nirAlice))
	if err != nil {
		t.Fatal(err)
	}
	if line.Evidence != profiles.Attested || line.CredentialID != cred.ID || line.Organisation != "Boulangerie Martin" {
		t.Fatalf("attested line: %+v", line)
	}
	if _, _, err := e.svc.Attest(e.ctx, employer, employment(nirAlice)); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("the same attestation again: got %v, want ErrConflict", err)
	}
	// The attested skill is in the graph as attested evidence.
	held, _ := e.graph.PersonSkills(e.ctx, "alice")
	if len(held) != 1 || held[0].Skill.ID != "s:cpt" || held[0].Evidence != skills.Attested {
		t.Fatalf("skills held after the attestation: %+v", held)
	}
	// The credential verifies with the issuer's DID document, and its
	// issuance is in the checkpoint's tree.
	data, err := e.svc.Bundle(e.ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	b, err := verify.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	checkBundle(t, b)
	// Revoke: only the issuer may; then the status list shows it.
	if _, err := e.svc.Revoke(e.ctx, employer2, cred.ID, "erreur"); !errors.Is(err, marketplace.ErrForbidden) {
		t.Fatalf("revocation by another issuer: got %v, want ErrForbidden", err)
	}
	if _, err := e.svc.Revoke(e.ctx, employer, cred.ID, ""); !errors.Is(err, marketplace.ErrInvalid) {
		t.Fatalf("revocation without a reason: got %v", err)
	}
	rc, err := e.svc.Revoke(e.ctx, employer, cred.ID, "période saisie par erreur")
	if err != nil {
		t.Fatal(err)
	}
	if rc.State != profiles.Revoked || rc.RevokeLeaf != rc.IssueLeaf+1 {
		t.Fatalf("revoked credential: %+v", rc)
	}
	list, err := e.svc.Notary().StatusListCredential(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := credential.Parse(cred.Document)
	if revoked, err := statuslist.Check(*c.CredentialStatus, list); err != nil || !revoked {
		t.Fatalf("status after revocation: %v, %v", revoked, err)
	}
	got, _ := e.svc.Entry(e.ctx, "alice", line.ID)
	if !got.Revoked {
		t.Fatal("the line of a revoked credential is not marked revoked")
	}
	if held, _ := e.graph.PersonSkills(e.ctx, "alice"); len(held) != 0 {
		t.Fatalf("a revoked attestation still vouches for skills: %+v", held)
	}
}

// checkBundle verifies a bundle's parts with the cryptographic packages.
func checkBundle(t *testing.T, b *verify.Bundle) {
	t.Helper()
	r := did.NewResolver()
	for _, raw := range b.IssuerDocuments {
		d, err := did.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		r.Add(d)
	}
	if _, err := credential.Verify(b.Credential, r); err != nil {
		t.Fatalf("the credential does not verify: %v", err)
	}
	if _, err := credential.Verify(b.StatusListCredential, r); err != nil {
		t.Fatalf("the status list does not verify: %v", err)
	}
	v, err := tlog.NewVerifier(b.Log.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := v.Open([]byte(b.Log.Checkpoint))
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	entry, _ := verify.IssuanceEntry(b.Credential)
	proof, err := verify.DecodeHashes(b.Log.InclusionProof)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.VerifyInclusion(tlog.LeafHash(entry), b.Log.Index, cp.Size, proof, cp.Root); err != nil {
		t.Fatalf("inclusion: %v", err)
	}
}

func TestKeyRotationKeepsOldCredentialsValid(t *testing.T) {
	e := newEnv(t)
	registerEmployer(t, e, employer)
	_, before, err := e.svc.Attest(e.ctx, employer, employment(nirAlice))
	if err != nil {
		t.Fatal(err)
	}
	*e.clock = e.clock.Add(time.Hour)
	i, err := e.svc.RotateKey(e.ctx, employer, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(i.Keys) != 2 || i.Keys[0].Retired.IsZero() {
		t.Fatalf("keys after rotation: %+v", i.Keys)
	}
	*e.clock = e.clock.Add(time.Hour)
	a := employment(nirAlice)
	a.Entry.Title = "Cheffe boulangère"
	_, after, err := e.svc.Attest(e.ctx, employer, a)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := e.svc.Notary().IssuerDocument(i)
	r := did.NewResolver(doc)
	for _, c := range []profiles.Credential{before, after} {
		if _, err := credential.Verify(c.Document, r); err != nil {
			t.Fatalf("credential %s after the rotation: %v", c.ID, err)
		}
	}
	var p struct {
		Proof credential.Proof `json:"proof"`
	}
	json.Unmarshal(before.Document, &p)
	vm1 := p.Proof.VerificationMethod
	json.Unmarshal(after.Document, &p)
	if p.Proof.VerificationMethod == vm1 {
		t.Fatal("the credential issued after the rotation is signed with the retired key")
	}
}

func TestOwnKeyIssuer(t *testing.T) {
	e := newEnv(t)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := e.svc.RegisterIssuer(e.ctx, profiles.Registration{SIRET: certifier, Kind: profiles.CertifierIssuer, Name: "Certif Pro", Custody: profiles.OwnKey, PublicKey: "zNotAKey"}); !errors.Is(err, marketplace.ErrInvalid) || fieldsOf(err)[0] != "public_key" {
		t.Fatalf("a bad public key: %v", err)
	}
	i, err := e.svc.RegisterIssuer(e.ctx, profiles.Registration{SIRET: certifier, Kind: profiles.CertifierIssuer, Name: "Certif Pro", Custody: profiles.OwnKey, PublicKey: credential.EncodeMultikey(pub)})
	if err != nil {
		t.Fatal(err)
	}
	a := profiles.Attestation{NIR: nirBob, Entry: profiles.Entry{Kind: profiles.Certification, Title: "TOSA Excel", Code: "RS5252", Start: day("2025-06-10"), Skills: []string{"s:excel"}}}
	if _, _, err := e.svc.Attest(e.ctx, certifier, a); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("platform signing for an own-key issuer: %v", err)
	}
	draft, err := e.svc.Draft(e.ctx, certifier, a)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := e.svc.Notary().IssuerDocument(i)
	vm, _ := doc.Current(*e.clock)
	signed, err := credential.Sign(draft, priv, vm.ID, *e.clock)
	if err != nil {
		t.Fatal(err)
	}
	// A changed claim: the proof no longer matches.
	tampered := []byte(strings.Replace(string(signed), "TOSA Excel", "TOSA Expert", 1))
	if _, _, err := e.svc.Submit(e.ctx, certifier, tampered); !errors.Is(err, marketplace.ErrInvalid) || fieldsOf(err)[0] != "credential.proof" {
		t.Fatalf("tampered credential: %v", err)
	}
	// Signed by another key.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	forged, _ := credential.Sign(draft, other, vm.ID, *e.clock)
	if _, _, err := e.svc.Submit(e.ctx, certifier, forged); !errors.Is(err, marketplace.ErrInvalid) {
		t.Fatalf("credential signed by another key: %v", err)
	}
	// A different document, correctly signed: refused as not the draft.
	var m map[string]any
	json.Unmarshal(draft, &m)
	m["name"] = "Autre chose"
	changed, _ := json.Marshal(m)
	resigned, _ := credential.Sign(changed, priv, vm.ID, *e.clock)
	if _, _, err := e.svc.Submit(e.ctx, certifier, resigned); !errors.Is(err, marketplace.ErrInvalid) || fieldsOf(err)[0] != "credential" {
		t.Fatalf("a signed document other than the draft: %v", err)
	}
	line, c, err := e.svc.Submit(e.ctx, certifier, signed)
	if err != nil {
		t.Fatal(err)
	}
	if line.PersonID != "bob" || line.Evidence != profiles.Attested || c.State != profiles.Issued || string(c.Document) != string(signed) {
		t.Fatalf("submitted: %+v %+v", line, c)
	}
	if _, _, err := e.svc.Submit(e.ctx, certifier, signed); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("submitting twice: %v", err)
	}
}

func TestShareLinks(t *testing.T) {
	e := newEnv(t)
	a, _ := e.svc.AddDeclared(e.ctx, "alice", profiles.Entry{Kind: profiles.Training, Title: "Anglais"})
	b, _ := e.svc.AddDeclared(e.ctx, "alice", profiles.Entry{Kind: profiles.Training, Title: "Espagnol"})
	other, _ := e.svc.AddDeclared(e.ctx, "bob", profiles.Entry{Kind: profiles.Training, Title: "Allemand"})
	if _, _, err := e.svc.CreateShare(e.ctx, "alice", []string{a.ID, other.ID}, e.clock.Add(time.Hour), ""); !errors.Is(err, marketplace.ErrInvalid) || fieldsOf(err)[0] != "entry_ids[1]" {
		t.Fatalf("sharing another's line: %v", err)
	}
	if _, _, err := e.svc.CreateShare(e.ctx, "alice", []string{a.ID}, e.clock.Add(-time.Hour), ""); !errors.Is(err, marketplace.ErrInvalid) || fieldsOf(err)[0] != "expires_at" {
		t.Fatalf("a past expiry: %v", err)
	}
	secret, sh, err := e.svc.CreateShare(e.ctx, "alice", []string{a.ID}, e.clock.Add(48*time.Hour), "Candidature")
	if err != nil {
		t.Fatal(err)
	}
	if sh.ID == secret || strings.Contains(sh.ID, secret) {
		t.Fatal("the stored link ID reveals its secret")
	}
	_, es, err := e.svc.Shared(e.ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].ID != a.ID {
		t.Fatalf("the link shows %+v, want only the chosen line", es)
	}
	_ = b
	if _, _, err := e.svc.Shared(e.ctx, secret+"x"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("a wrong secret: %v", err)
	}
	*e.clock = e.clock.Add(49 * time.Hour)
	if _, _, err := e.svc.Shared(e.ctx, secret); !errors.Is(err, profiles.ErrExpired) {
		t.Fatalf("an expired link: got %v, want ErrExpired", err)
	}
}

func TestTrainingAttestation(t *testing.T) {
	e := newEnv(t)
	cat := fakeCatalogue{}
	d := marketplace.Dossier{ID: "d1", AccountID: "alice", OfferID: "o1", ProviderID: "p1", Title: "Développeur web", State: marketplace.ServiceDoneValidated,
		Evaluated: true, CompletionRate: 100, SessionStart: day("2025-09-01"), SessionEnd: day("2026-02-27"), ExitedAt: day("2026-02-27")}
	partial := d
	partial.CompletionRate = 60
	if _, done, err := e.svc.AttestTraining(e.ctx, cat, partial); err != nil || done {
		t.Fatalf("a training not completed must not be attested: %v %v", done, err)
	}
	line, done, err := e.svc.AttestTraining(e.ctx, cat, d)
	if err != nil || !done {
		t.Fatalf("attesting: %v %v", done, err)
	}
	if line.Kind != profiles.Training || line.IssuerID != profiles.PlatformIssuer || len(line.Skills) == 0 || line.Code != "RNCP37674" {
		t.Fatalf("training line: %+v", line)
	}
	if _, done, err := e.svc.AttestTraining(e.ctx, cat, d); err != nil || done {
		t.Fatalf("attesting twice must change nothing: %v %v", done, err)
	}
	held, _ := e.graph.PersonSkills(e.ctx, "alice")
	if len(held) != len(line.Skills) {
		t.Fatalf("the graph holds %d skills, the certification covers %d", len(held), len(line.Skills))
	}
	for _, h := range held {
		if h.Evidence != skills.Attested {
			t.Fatalf("skill %s held as %s", h.Skill.ID, h.Evidence)
		}
	}
	es, _ := e.svc.Profile(e.ctx, "alice")
	if len(es) != 1 {
		t.Fatalf("%d lines after attesting twice", len(es))
	}
}

type fakeCatalogue struct{}

func (fakeCatalogue) Offer(_ context.Context, id string) (marketplace.Offer, error) {
	return marketplace.Offer{ID: id, Title: "Développeur web", Certification: marketplace.Certification{Kind: marketplace.RNCP, Code: "RNCP37674", Title: "Développeur web et web mobile"}}, nil
}

func (fakeCatalogue) Provider(_ context.Context, id string) (marketplace.Provider, error) {
	return marketplace.Provider{ID: id, Name: "École du code", SIRET: storetest.SIRET(300)}, nil
}

func TestBulkAttestation(t *testing.T) {
	e := newEnv(t)
	registerEmployer(t, e, employer)
	csv := "nir;job_title;start_date;end_date;skills\n" +
		nirAlice + ";Boulangère;2023-02-01;2023-12-31;s:cpt\n" +
		nirAlice + ";;2024-01-01;;\n" +
		nirBob + ";Vendeur;2023-01-01;;\n" +
		"123;Vendeur;2023-01-01;;\n" +
		nirAlice + ";Vendeuse;2024-13-01;;\n" +
		nirAlice + ";Boulangère;2023-02-01;2023-12-31;s:cpt\n"
	rep, err := e.svc.AttestBulk(e.ctx, employer, strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		field string
		code  string
	}{{2, "", ""}, {3, "job_title", "invalid-input"}, {4, "nir", "forbidden"}, {5, "nir", "invalid-input"}, {6, "start_date", "invalid-input"}, {7, "", "conflict"}}
	if rep.Issued != 1 || rep.Refused != 5 || len(rep.Lines) != len(want) {
		t.Fatalf("report: %+v", rep)
	}
	for i, w := range want {
		l := rep.Lines[i]
		if l.Line != w.line || l.Field != w.field || l.Code != w.code {
			t.Errorf("line %d: %+v, want field %q code %q", w.line, l, w.field, w.code)
		}
		if strings.Contains(l.Error, nirAlice) || strings.Contains(l.Error, nirBob) {
			t.Errorf("line %d quotes a NIR: %s", w.line, l.Error)
		}
	}
	if _, err := e.svc.AttestBulk(e.ctx, employer, strings.NewReader("nir;title\n")); !errors.Is(err, marketplace.ErrInvalid) {
		t.Fatalf("unknown column: %v", err)
	}
}

type fakeDossiers struct{ ds []marketplace.Dossier }

func (f fakeDossiers) Providers(context.Context, marketplace.Page) ([]marketplace.Provider, string, error) {
	return []marketplace.Provider{{ID: "p1"}}, "", nil
}

func (f fakeDossiers) Dossiers(_ context.Context, flt marketplace.DossierFilter, _ marketplace.Page) ([]marketplace.Dossier, string, error) {
	var out []marketplace.Dossier
	for _, d := range f.ds {
		if d.ProviderID == flt.ProviderID && d.State == flt.State {
			out = append(out, d)
		}
	}
	return out, "", nil
}

// The catch-up attests what the evaluation hook missed, once.
func TestCatchUpTrainings(t *testing.T) {
	e := newEnv(t)
	done := marketplace.Dossier{ID: "d1", AccountID: "alice", OfferID: "o1", ProviderID: "p1", State: marketplace.ServiceDoneValidated,
		Evaluated: true, CompletionRate: 100, SessionStart: day("2025-09-01"), SessionEnd: day("2026-02-27")}
	notEvaluated := done
	notEvaluated.ID, notEvaluated.Evaluated = "d2", false
	src := fakeDossiers{[]marketplace.Dossier{done, notEvaluated}}
	n, err := e.svc.CatchUpTrainings(e.ctx, fakeCatalogue{}, src)
	if err != nil || n != 1 {
		t.Fatalf("catch-up: %d, %v; want 1 attested", n, err)
	}
	if n, err := e.svc.CatchUpTrainings(e.ctx, fakeCatalogue{}, src); err != nil || n != 0 {
		t.Fatalf("second catch-up: %d, %v; want 0", n, err)
	}
	if _, err := e.svc.Entry(e.ctx, "alice", profiles.TrainingID("d1")); err != nil {
		t.Fatalf("the caught-up line: %v", err)
	}
}
