package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/tlog"
	"github.com/parcours/parcours/profiles/verify"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/mongo"
)

// newProfiles builds the career profiles service over the test store, with
// the training attestation hooked to evaluations.
func (e *testEnv) newProfiles(tb testing.TB, store testStore) *profiles.Service {
	tb.Helper()
	var logs profiles.LogStore
	switch s := store.(type) {
	case *bolt.Store:
		logs = s.TransparencyLog()
	case *mongo.Store:
		logs = s.TransparencyLog()
	default:
		tb.Fatalf("no transparency log on %T", store)
	}
	ps := store.(interface {
		profiles.Store
		profiles.Employments
	})
	_, pk, _ := ed25519.GenerateKey(rand.Reader)
	_, lk, _ := ed25519.GenerateKey(rand.Reader)
	seal := make([]byte, 32)
	rand.Read(seal)
	now := func() time.Time { return time.Now().Add(time.Duration(e.shift.Load())) }
	n, err := profiles.NewNotary(profiles.NotaryConfig{Store: ps, Log: logs, BaseURL: "https://parcours.example", PlatformKey: pk, LogKey: lk, SealKey: seal, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	svc := profiles.NewService(profiles.Config{Store: ps, Employments: ps, Accounts: profiles.AccountsOf(e.enrol), Graph: e.graph, Notary: n, Now: now})
	e.enrol.OnEvaluated(svc.TrainingHook(store))
	e.profiles = svc
	e.profileFixtures(tb, svc, ps)
	return svc
}

// shareSecret opens the fixture share link.
const shareSecret = "fixture-share-link-secret"

// fixtureNIR is the worker of the fixture attestation, distinct from the
// money fixture's learners.
const fixtureNIR = "184017512346747"

// profileFixtures registers the employer, attests one line of a fixture
// worker, publishes a checkpoint and shares the line under shareSecret,
// so that every public profile endpoint has something to serve.
func (e *testEnv) profileFixtures(tb testing.TB, svc *profiles.Service, ps interface {
	profiles.Store
	profiles.Employments
}) {
	ctx := context.Background()
	acct, _, err := e.enrol.OpenAccount(ctx, marketplace.Party{Admin: true}, fixtureNIR, marketplace.Account{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.store.SaveDeclarations(ctx, []marketplace.Declaration{{AccountID: acct.ID, Year: 2024, EmployerSIRET: employerSIRET, HoursWorked: 1607, FullTimeHours: 1607}}); err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.RegisterIssuer(ctx, profiles.Registration{SIRET: employerSIRET, Kind: profiles.EmployerIssuer, Name: "Boulangerie Martin", Custody: profiles.PlatformKey}); err != nil {
		tb.Fatal(err)
	}
	line, cred, err := svc.Attest(ctx, employerSIRET, profiles.Attestation{NIR: fixtureNIR, Entry: profiles.Entry{Kind: profiles.Employment, Title: "Vendeuse", Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := svc.Notary().Publish(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := ps.CreateShareLink(ctx, profiles.Share{ID: profiles.ShareID(shareSecret), PersonID: acct.ID, EntryIDs: []string{line.ID},
		Expires: time.Now().AddDate(1, 0, 0), Created: time.Now()}); err != nil {
		tb.Fatal(err)
	}
	e.profileCred = cred.ID
}

// An employer of the fixtures: a valid SIRET distinct from the providers'.
const employerSIRET = "44306184100047"

func TestLearnerProfileCRUD(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 0, false)
	base := "/api/v1/me/profile/entries"
	// Bad input names the field and stores nothing.
	for _, c := range []struct{ body, field string }{
		{`{"kind":"job","title":"x"}`, "kind"},
		{`{"kind":"training","title":""}`, "title"},
		{`{"kind":"training","title":"x","start_date":"2024-02-30"}`, "start_date"},
		{`{"kind":"employment","title":"Serveur","start_date":"2020-01-01"}`, "organisation"},
		{`{"kind":"training","title":"x","colour":"red"}`, "colour"},
	} {
		problem(t, e.do(req{method: "POST", path: base, token: f.learnerTok, body: c.body}), 400, c.field)
	}
	if p := decodeAs[api.ProfileOutput](t, e.do(req{method: "GET", path: "/api/v1/me/profile", token: f.learnerTok})); len(p.Entries) != 0 {
		t.Fatalf("refused lines stored: %+v", p)
	}
	rec := e.do(req{method: "POST", path: base, token: f.learnerTok, body: `{"kind":"training","title":"Anglais professionnel","organisation":"Langues Plus","start_date":"2021-09-01","end_date":"2021-12-15"}`})
	if rec.Code != 201 {
		t.Fatalf("declare: %d %s", rec.Code, rec.Body)
	}
	var line api.ProfileEntry
	decode(t, rec, &line)
	if line.Evidence != "declared" || line.Title != "Anglais professionnel" {
		t.Fatalf("line %+v", line)
	}
	// Another learner can neither see, change nor delete it.
	if p := decodeAs[api.ProfileOutput](t, e.do(req{method: "GET", path: "/api/v1/me/profile", token: f.strTok})); len(p.Entries) != 0 {
		t.Fatalf("another learner sees %+v", p.Entries)
	}
	problem(t, e.do(req{method: "PUT", path: base + "/" + line.ID, token: f.strTok, body: `{"kind":"training","title":"pris"}`}), 404, "")
	problem(t, e.do(req{method: "DELETE", path: base + "/" + line.ID, token: f.strTok}), 404, "")
	// Other roles have no profile.
	problem(t, e.do(req{method: "GET", path: "/api/v1/me/profile", token: f.lyonTok}), 403, "")
	problem(t, e.do(req{method: "GET", path: "/api/v1/me/profile"}), 401, "")
	if rec := e.do(req{method: "PUT", path: base + "/" + line.ID, token: f.learnerTok, body: `{"kind":"training","title":"Anglais B2"}`}); rec.Code != 200 {
		t.Fatalf("update: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(req{method: "DELETE", path: "/api/v1/me/profile/declared", token: f.learnerTok}); rec.Code != 200 || decodeAs[api.DeletedOutput](t, rec).Deleted != 1 {
		t.Fatalf("delete declared: %d %s", rec.Code, rec.Body)
	}
}

// employerFixture registers an employer with a platform-held key, declares
// the fixture learner's employment by it, and returns its token.
func (e *testEnv) employerFixture(t *testing.T, f moneyFixture) string {
	t.Helper()
	tok := e.token(t, auth.Employer, employerSIRET)
	// The fixtures registered it already: a second registration conflicts.
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers", token: tok, body: `{"siret":"` + employerSIRET + `","kind":"employer","name":"Boulangerie Martin","custody":"platform"}`}), 409, "")
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers", token: tok, body: `{"siret":"90123456700013","kind":"employer","name":"Autre","custody":"platform"}`}), 403, "")
	return tok
}

func (e *testEnv) declare(t *testing.T, nir, siret string, year int) {
	t.Helper()
	csv := fmt.Sprintf("nir,year,employer_siret,hours_worked,full_time_hours\n%s,%d,%s,1607,1607\n", nir, year, siret)
	body, _ := json.Marshal(map[string]string{"csv": csv})
	if rec := e.do(req{method: "POST", path: "/api/v1/admin/employment-declarations", token: e.admin(t), body: string(body)}); rec.Code != 200 {
		t.Fatalf("declarations: %d %s", rec.Code, rec.Body)
	}
}

const attestBody = `{"nir":"255081416802538","entry":{"kind":"employment","title":"Boulangère","start_date":"2023-02-01","end_date":"2024-12-31"}}`

func TestAttestShareDownloadVerify(t *testing.T) { testAttestShareDownloadVerify(t, newEnv(t)) }

func TestAttestShareDownloadVerifyMongo(t *testing.T) {
	testAttestShareDownloadVerify(t, newMongoEnv(t))
}

func testAttestShareDownloadVerify(t *testing.T, e *testEnv) {
	f := e.money(t, 0, false)
	emp := e.employerFixture(t, f)
	path := "/api/v1/issuers/" + employerSIRET
	// Another employer's token may not act for this SIRET.
	problem(t, e.do(req{method: "POST", path: path + "/attestations", token: e.token(t, auth.Employer, "90123456700013"), body: attestBody}), 403, "")
	// Never declared: refused.
	problem(t, e.do(req{method: "POST", path: path + "/attestations", token: emp, body: attestBody}), 403, "")
	problem(t, e.do(req{method: "POST", path: path + "/attestations", token: emp, body: `{"nir":"255081416802538","entry":{"kind":"employment","title":"","start_date":"2023-02-01"}}`}), 400, "entry.title")
	e.declare(t, "255081416802538", employerSIRET, 2024)
	rec := e.do(req{method: "POST", path: path + "/attestations", token: emp, body: attestBody})
	if rec.Code != 201 {
		t.Fatalf("attest: %d %s", rec.Code, rec.Body)
	}
	var att api.AttestationOutput
	decode(t, rec, &att)
	if att.Entry.Evidence != "attested" || att.Credential.State != "issued" {
		t.Fatalf("attestation %+v", att)
	}
	// The learner sees it, shares it, and the link shows it to anyone.
	p := decodeAs[api.ProfileOutput](t, e.do(req{method: "GET", path: "/api/v1/me/profile", token: f.learnerTok}))
	if len(p.Entries) != 1 || p.Entries[0].CredentialID != att.Credential.ID {
		t.Fatalf("profile %+v", p)
	}
	problem(t, e.do(req{method: "POST", path: "/api/v1/me/shares", token: f.strTok, body: `{"entry_ids":["` + att.Entry.ID + `"],"expires_at":"` + time.Now().Add(time.Hour).Format(time.RFC3339) + `"}`}), 400, "entry_ids[0]")
	rec = e.do(req{method: "POST", path: "/api/v1/me/shares", token: f.learnerTok, body: `{"entry_ids":["` + att.Entry.ID + `"],"expires_at":"` + time.Now().Add(48*time.Hour).Format(time.RFC3339) + `"}`})
	if rec.Code != 201 {
		t.Fatalf("share: %d %s", rec.Code, rec.Body)
	}
	var sh api.ShareLinkOutput
	decode(t, rec, &sh)
	if sh.Secret == "" || !strings.HasSuffix(sh.URL, "/profil/partage/"+sh.Secret) {
		t.Fatalf("share %+v", sh)
	}
	shared := decodeAs[api.SharedProfileOutput](t, e.do(req{method: "GET", path: "/api/v1/shared/" + sh.Secret}))
	if len(shared.Entries) != 1 || shared.Entries[0].Evidence != "attested" {
		t.Fatalf("shared %+v", shared)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/shared/nope"}), 404, "")
	// The stranger cannot download the learner's credential; the learner can.
	cpath := "/api/v1/me/credentials/" + url.PathEscape(att.Credential.ID)
	problem(t, e.do(req{method: "GET", path: cpath, token: f.strTok}), 404, "")
	rec = e.do(req{method: "GET", path: cpath, token: f.learnerTok})
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %s", rec.Code, rec.Header())
	}
	bundle := rec.Body.String()
	b, err := verify.ParseBundle([]byte(bundle))
	if err != nil || b.Log == nil || len(b.IssuerDocuments) != 2 {
		t.Fatalf("bundle: %v %+v", err, b)
	}
	// Also through the link.
	if rec := e.do(req{method: "GET", path: "/api/v1/shared/" + sh.Secret + "/credentials/" + url.PathEscape(att.Credential.ID)}); rec.Code != 200 {
		t.Fatalf("shared download: %d", rec.Code)
	}
	// The verification endpoint returns a report for the bundle, and a
	// failing one for a tampered copy.
	rep := decodeAs[verify.Report](t, e.do(req{method: "POST", path: "/api/v1/verify", body: bundle}))
	if !rep.OK || len(rep.Checks) != 8 {
		t.Fatalf("the downloaded bundle does not verify: %+v", rep)
	}
	tampered := strings.Replace(bundle, "Boulangère", "Boulangère en chef", 1)
	if rep := decodeAs[verify.Report](t, e.do(req{method: "POST", path: "/api/v1/verify", body: tampered})); rep.OK || len(rep.Failed()) == 0 || rep.Failed()[0].Name != verify.CheckProof {
		t.Fatalf("a tampered credential: %+v", rep)
	}
	problem(t, e.do(req{method: "POST", path: "/api/v1/verify", body: `[1]`}), 400, "body")
	// Revocation by the issuer shows in the status list.
	problem(t, e.do(req{method: "POST", path: path + "/revocations", token: emp, body: `{"credential_id":"` + att.Credential.ID + `"}`}), 400, "reason")
	if rec := e.do(req{method: "POST", path: path + "/revocations", token: emp, body: `{"credential_id":"` + att.Credential.ID + `","reason":"erreur"}`}); rec.Code != 200 {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(req{method: "GET", path: "/api/v1/status-lists/1"}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "BitstringStatusListCredential") {
		t.Fatalf("status list: %d", rec.Code)
	}
	// The bundle downloaded before the revocation now fails on revocation.
	if rep := decodeAs[verify.Report](t, e.do(req{method: "POST", path: "/api/v1/verify", body: bundle})); rep.OK || rep.Failed()[0].Name != verify.CheckNotRevoked {
		t.Fatalf("a revoked credential: %+v", rep)
	}
	// The link expires.
	e.shift.Store(int64(49 * time.Hour))
	problem(t, e.do(req{method: "GET", path: "/api/v1/shared/" + sh.Secret}), 410, "")
	// The export holds the line and its credential.
	x := decodeAs[api.ExportOutput](t, e.do(req{method: "GET", path: "/api/v1/me/profile/export", token: f.learnerTok}))
	if len(x.Entries) != 1 || len(x.Credentials) != 1 || x.Credentials[0].State != "revoked" || len(x.Shares) != 1 {
		t.Fatalf("export %+v", x)
	}
}

func TestTransparencyLogEndpoints(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 0, false)
	emp := e.employerFixture(t, f)
	e.declare(t, "255081416802538", employerSIRET, 2024)
	for i := range 5 {
		body := strings.Replace(attestBody, "Boulangère", fmt.Sprintf("Poste %d", i), 1)
		if rec := e.do(req{method: "POST", path: "/api/v1/issuers/" + employerSIRET + "/attestations", token: emp, body: body}); rec.Code != 201 {
			t.Fatalf("attest: %d %s", rec.Code, rec.Body)
		}
		if i == 1 {
			if _, _, err := e.profiles.Notary().Publish(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, _, err := e.profiles.Notary().Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	var cp api.CheckpointOutput
	decode(t, e.do(req{method: "GET", path: "/api/v1/transparency-log/checkpoint"}), &cp)
	if cp.Size != 6 {
		t.Fatalf("checkpoint %+v", cp)
	}
	v, _ := tlog.NewVerifier(cp.LogKey)
	head, err := v.Open([]byte(cp.Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	if rec := e.do(req{method: "GET", path: "/api/v1/transparency-log/checkpoint", header: map[string]string{"Accept": "text/plain"}}); rec.Body.String() != cp.Checkpoint {
		t.Errorf("the checkpoint as text: %q, want the note %q", rec.Body, cp.Checkpoint)
	}
	var old api.CheckpointOutput
	decode(t, e.do(req{method: "GET", path: "/api/v1/transparency-log/checkpoints/3"}), &old)
	oldHead, _ := v.Open([]byte(old.Checkpoint))
	var cons api.ProofOutput
	decode(t, e.do(req{method: "GET", path: "/api/v1/transparency-log/consistency-proof?from_size=3&to_size=6"}), &cons)
	hs, _ := verify.DecodeHashes(cons.Proof)
	if err := tlog.VerifyConsistency(3, 6, oldHead.Root, head.Root, hs); err != nil {
		t.Fatalf("consistency: %v", err)
	}
	var inc api.ProofOutput
	decode(t, e.do(req{method: "GET", path: "/api/v1/transparency-log/inclusion-proof?index=3&size=6"}), &inc)
	hs, _ = verify.DecodeHashes(inc.Proof)
	leaf, _ := verify.DecodeHashes([]string{inc.LeafHash})
	if err := tlog.VerifyInclusion(leaf[0], 3, 6, hs, head.Root); err != nil {
		t.Fatalf("inclusion: %v", err)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/transparency-log/inclusion-proof?index=6&size=6"}), 400, "index")
	problem(t, e.do(req{method: "GET", path: "/api/v1/transparency-log/inclusion-proof?index=1&size=9"}), 400, "size")
	problem(t, e.do(req{method: "GET", path: "/api/v1/transparency-log/checkpoints/4"}), 404, "")
	// The DID documents.
	if rec := e.do(req{method: "GET", path: "/.well-known/did.json"}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "did:web:parcours.example") {
		t.Fatalf("platform DID: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(req{method: "GET", path: "/issuers/" + employerSIRET + "/did.json"}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "issuers:"+employerSIRET) {
		t.Fatalf("issuer DID: %d %s", rec.Code, rec.Body)
	}
	problem(t, e.do(req{method: "GET", path: "/issuers/90123456700013/did.json"}), 404, "")
}

// A completed, evaluated dossier attests its training automatically.
func TestTrainingAttestedOnEvaluation(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 10000_00, false)
	id := e.requestAndPropose(t, f)
	path := "/api/v1/dossiers/" + id
	e.post(t, path+"/acceptance", f.learnerTok, `{"accept_remainder":false}`, 200)
	e.shift.Store(int64(31 * 24 * time.Hour))
	e.post(t, path+"/entry", f.lyonTok, "", 200)
	e.post(t, path+"/exit", f.lyonTok, `{"completion_rate":100}`, 200)
	if p := decodeAs[api.ProfileOutput](t, e.do(req{method: "GET", path: "/api/v1/me/profile", token: f.learnerTok})); len(p.Entries) != 0 {
		t.Fatalf("attested before the evaluation: %+v", p)
	}
	e.post(t, path+"/evaluation", f.learnerTok, `{"reception":5,"content":4,"trainers":5,"resources":4,"support":5,"overall":5}`, 200)
	p := decodeAs[api.ProfileOutput](t, e.do(req{method: "GET", path: "/api/v1/me/profile", token: f.learnerTok}))
	if len(p.Entries) != 1 || p.Entries[0].Kind != "training" || p.Entries[0].Evidence != "attested" || p.Entries[0].Issuer != "platform" || p.Entries[0].Code != e.offer.Certification.Code {
		t.Fatalf("profile after the evaluation: %+v", p.Entries)
	}
	held, _ := e.graph.PersonSkills(context.Background(), f.learner)
	if len(p.Entries[0].Skills) > 0 && len(held) == 0 {
		t.Fatal("the attested skills did not reach the skills graph")
	}
	_ = marketplace.ServiceDoneValidated
}

// An issuer with its own key: draft, sign, submit; rotate; bulk refused
// (it signs itself); an administrator revokes the platform's attestation.
func TestOwnKeyIssuerThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 0, false)
	const certSIRET = "73282932000074"
	tok := e.token(t, auth.Employer, certSIRET)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers", token: tok, body: `{"siret":"` + certSIRET + `","kind":"certifier","name":"Certif Pro","custody":"own"}`}), 400, "public_key")
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers", token: tok, body: `{"siret":"73282932000075","kind":"certifier","name":"Certif Pro","custody":"platform"}`}), 403, "")
	rec := e.do(req{method: "POST", path: "/api/v1/issuers", token: tok, body: `{"siret":"` + certSIRET + `","kind":"certifier","name":"Certif Pro","custody":"own","public_key":"` + credential.EncodeMultikey(pub) + `"}`})
	if rec.Code != 201 {
		t.Fatalf("register: %d %s", rec.Code, rec.Body)
	}
	iss := decodeAs[api.IssuerOutput](t, rec)
	body := `{"nir":"255081416802538","entry":{"kind":"certification","title":"TOSA Excel","code":"RS5252","start_date":"2025-06-10"}}`
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers/" + certSIRET + "/attestations", token: tok, body: body}), 409, "")
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers/" + certSIRET + "/drafts", token: tok, body: `{"nir":"255081416802538","entry":{"kind":"employment","title":"x","organisation":"y","start_date":"2025-06-10"}}`}), 400, "entry.kind")
	rec = e.do(req{method: "POST", path: "/api/v1/issuers/" + certSIRET + "/drafts", token: tok, body: body})
	if rec.Code != 201 {
		t.Fatalf("draft: %d %s", rec.Code, rec.Body)
	}
	signed, err := credential.Sign(rec.Body.Bytes(), priv, iss.Keys[0].ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers/" + certSIRET + "/credentials", token: tok, body: `{"credential":` + strings.Replace(string(signed), "TOSA Excel", "TOSA Word", 1) + `}`}), 400, "credential.proof")
	rec = e.do(req{method: "POST", path: "/api/v1/issuers/" + certSIRET + "/credentials", token: tok, body: `{"credential":` + string(signed) + `}`})
	if rec.Code != 201 {
		t.Fatalf("submit: %d %s", rec.Code, rec.Body)
	}
	att := decodeAs[api.AttestationOutput](t, rec)
	// The learner's bundle of it verifies.
	b := e.do(req{method: "GET", path: "/api/v1/me/credentials/" + url.PathEscape(att.Credential.ID), token: f.learnerTok})
	if rep := decodeAs[verify.Report](t, e.do(req{method: "POST", path: "/api/v1/verify", body: b.Body.String()})); !rep.OK {
		t.Fatalf("the submitted credential does not verify: %+v", rep.Failed())
	}
	// Rotation to a new own key.
	pub2, _, _ := ed25519.GenerateKey(rand.Reader)
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers/" + certSIRET + "/keys", token: tok, body: `{"public_key":"` + credential.EncodeMultikey(pub) + `"}`}), 400, "public_key")
	time.Sleep(time.Second) // key windows are to the second
	rec = e.do(req{method: "POST", path: "/api/v1/issuers/" + certSIRET + "/keys", token: tok, body: `{"public_key":"` + credential.EncodeMultikey(pub2) + `"}`})
	if rot := decodeAs[api.IssuerOutput](t, rec); rec.Code != 200 || len(rot.Keys) != 2 || rot.Keys[0].RetiredAt == nil {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	// What the retired key signed still verifies.
	if rep := decodeAs[verify.Report](t, e.do(req{method: "POST", path: "/api/v1/verify", body: b.Body.String()})); !rep.OK {
		t.Fatalf("after the rotation: %+v", rep.Failed())
	}
	// A certifier signing itself sends no bulk file.
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers/" + certSIRET + "/attestations/bulk", token: tok, body: `{"csv":"nir;job_title;start_date\n"}`}), 403, "")
	// Only administrators use the admin revocation.
	problem(t, e.do(req{method: "POST", path: "/api/v1/admin/revocations", token: tok, body: `{"credential_id":"` + att.Credential.ID + `","reason":"x"}`}), 403, "")
	problem(t, e.do(req{method: "POST", path: "/api/v1/admin/revocations", token: e.admin(t), body: `{"credential_id":"urn:uuid:nope","reason":"x"}`}), 400, "credential_id")
	if rec := e.do(req{method: "POST", path: "/api/v1/admin/revocations", token: e.admin(t), body: `{"credential_id":"` + att.Credential.ID + `","reason":"certification frauduleuse"}`}); rec.Code != 200 {
		t.Fatalf("admin revocation: %d %s", rec.Code, rec.Body)
	}
}

func TestBulkThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 0, false)
	emp := e.employerFixture(t, f)
	e.declare(t, "255081416802538", employerSIRET, 2024)
	csv := "nir;job_title;start_date;end_date\n255081416802538;Boulangère;2024-01-02;2024-06-30\n185037512345641;Vendeur;2024-01-02;\n"
	body, _ := json.Marshal(map[string]string{"csv": csv})
	rec := e.do(req{method: "POST", path: "/api/v1/issuers/" + employerSIRET + "/attestations/bulk", token: emp, body: string(body)})
	if rec.Code != 200 {
		t.Fatalf("bulk: %d %s", rec.Code, rec.Body)
	}
	var rep api.BulkOutput
	decode(t, rec, &rep)
	if rep.Issued != 1 || rep.Refused != 1 || rep.Lines[0].Status != "issued" || rep.Lines[1].Field != "nir" || rep.Lines[1].Code != "forbidden" {
		t.Fatalf("report %+v", rep)
	}
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers/" + employerSIRET + "/attestations/bulk", token: emp, body: `{"csv":"nir;title\n"}`}), 400, "csv")
}

// profileRouteTable lists the career profile routes for the route table
// of api_test.go, on the fixtures of profileFixtures.
func (e *testEnv) profileRouteTable(tb testing.TB) []route {
	cred := url.PathEscape(e.profileCred)
	iss := "/api/v1/issuers/" + employerSIRET
	return []route{
		{"GET", "/api/v1/me/profile", "", false},
		{"POST", "/api/v1/me/profile/entries", `{"kind":"training","title":"x"}`, false},
		{"PUT", "/api/v1/me/profile/entries/" + e.lyon.ID, `{"kind":"training","title":"x"}`, false},
		{"DELETE", "/api/v1/me/profile/entries/" + e.lyon.ID, "", false},
		{"DELETE", "/api/v1/me/profile/declared", "", false},
		{"GET", "/api/v1/me/profile/export", "", false},
		{"GET", "/api/v1/me/credentials/" + cred, "", false},
		{"GET", "/api/v1/me/shares", "", false},
		{"POST", "/api/v1/me/shares", `{"entry_ids":["x"],"expires_at":"2030-01-01T00:00:00Z"}`, false},
		{"DELETE", "/api/v1/me/shares/" + e.lyon.ID, "", false},
		{"GET", "/api/v1/shared/" + shareSecret, "", true},
		{"GET", "/api/v1/shared/" + shareSecret + "/credentials/" + cred, "", true},
		{"POST", "/api/v1/verify", `{"credential":{"proof":{}}}`, true},
		{"POST", "/api/v1/issuers", `{"siret":"` + employerSIRET + `","kind":"employer","name":"x","custody":"platform"}`, false},
		{"GET", iss, "", true},
		{"POST", iss + "/keys", `{}`, false},
		{"POST", iss + "/attestations", attestBody, false},
		{"POST", iss + "/attestations/bulk", `{"csv":""}`, false},
		{"POST", iss + "/drafts", attestBody, false},
		{"POST", iss + "/credentials", `{"credential":{}}`, false},
		{"POST", iss + "/revocations", `{"credential_id":"x","reason":"x"}`, false},
		{"POST", "/api/v1/admin/revocations", `{"credential_id":"x","reason":"x"}`, false},
		{"GET", "/api/v1/admin/platform-keys", "", false},
		{"POST", "/api/v1/admin/platform-keys", "", false},
		{"GET", "/api/v1/status-lists/1", "", true},
		{"GET", "/api/v1/transparency-log/checkpoint", "", true},
		{"GET", "/api/v1/transparency-log/checkpoints/1", "", true},
		{"GET", "/api/v1/transparency-log/inclusion-proof?index=0&size=1", "", true},
		{"GET", "/api/v1/transparency-log/consistency-proof?from_size=1&to_size=1", "", true},
	}
}

// A training provider registers as a certifier for its own SIRET only;
// a learner closes a share link and it stops opening.
func TestProviderCertifierAndClosedLink(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 0, false)
	problem(t, e.do(req{method: "POST", path: "/api/v1/issuers", token: f.lyonTok, body: `{"siret":"` + e.villeurbanne.SIRET + `","kind":"certifier","name":"x","custody":"platform"}`}), 403, "")
	if rec := e.do(req{method: "POST", path: "/api/v1/issuers", token: f.lyonTok, body: `{"siret":"` + e.lyon.SIRET + `","kind":"certifier","name":"Atelier Numérique","custody":"platform"}`}); rec.Code != 201 {
		t.Fatalf("provider registering its SIRET: %d %s", rec.Code, rec.Body)
	}
	body := `{"nir":"255081416802538","entry":{"kind":"certification","title":"Développeur web","code":"RNCP37674","start_date":"2025-06-10"}}`
	rec := e.do(req{method: "POST", path: "/api/v1/issuers/" + e.lyon.SIRET + "/attestations", token: f.lyonTok, body: body})
	if rec.Code != 201 {
		t.Fatalf("certifier attesting: %d %s", rec.Code, rec.Body)
	}
	att := decodeAs[api.AttestationOutput](t, rec)
	rec = e.do(req{method: "POST", path: "/api/v1/me/shares", token: f.learnerTok, body: `{"entry_ids":["` + att.Entry.ID + `"],"expires_at":"` + time.Now().Add(time.Hour).Format(time.RFC3339) + `"}`})
	sh := decodeAs[api.ShareLinkOutput](t, rec)
	list := decodeAs[api.ShareLinkList](t, e.do(req{method: "GET", path: "/api/v1/me/shares", token: f.learnerTok}))
	if len(list.Items) != 1 || list.Items[0].Secret != "" {
		t.Fatalf("the list of links: %+v (the secret must not be shown again)", list)
	}
	problem(t, e.do(req{method: "DELETE", path: "/api/v1/me/shares/" + sh.ID, token: f.strTok}), 404, "")
	if rec := e.do(req{method: "DELETE", path: "/api/v1/me/shares/" + sh.ID, token: f.learnerTok}); rec.Code != 204 {
		t.Fatalf("closing the link: %d", rec.Code)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/shared/" + sh.Secret}), 404, "")
}
