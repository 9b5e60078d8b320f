package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

// profileStack is the stack with career profiles, and a learner whose
// profile holds an employment period attested by an employer and a
// declared training.
type profileStack struct {
	*stack
	svc      *profiles.Service
	learner  string
	other    string
	attested profiles.Entry
	declared profiles.Entry
}

const profileNIR = "255081416802538"

var profileEmployer = storetest.SIRET(501)

type lazyAccounts struct{ s **stack }

func (a lazyAccounts) AccountByNIR(ctx context.Context, nir string) (string, error) {
	return profiles.AccountsOf((*a.s).enrol).AccountByNIR(ctx, nir)
}

func newProfileStack(t *testing.T) *profileStack {
	t.Helper()
	var s *stack
	var svc *profiles.Service
	s = newStackWith(t, true, nil, func(d *Deps) {
		_, pk, _ := ed25519.GenerateKey(rand.Reader)
		_, lk, _ := ed25519.GenerateKey(rand.Reader)
		seal := make([]byte, 32)
		rand.Read(seal)
		st := d.Sessions.(*bolt.Store)
		n, err := profiles.NewNotary(profiles.NotaryConfig{Store: st, Log: st.TransparencyLog(), BaseURL: "https://parcours.example",
			PlatformKey: pk, LogKey: lk, SealKey: seal})
		if err != nil {
			t.Fatal(err)
		}
		svc = profiles.NewService(profiles.Config{Store: st, Employments: st, Accounts: lazyAccounts{&s}, Graph: d.Graph, Notary: n})
		d.Profiles = svc
	})
	ps := &profileStack{stack: s, svc: svc}
	ctx := context.Background()
	ps.learner = s.learnerAccount(t, profileNIR, 0)
	ps.other = s.learnerAccount(t, "185037512345641", 0)
	if err := s.store.SaveDeclarations(ctx, []marketplace.Declaration{{AccountID: ps.learner, Year: 2024, EmployerSIRET: profileEmployer, HoursWorked: 1607, FullTimeHours: 1607}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RegisterIssuer(ctx, profiles.Registration{SIRET: profileEmployer, Kind: profiles.EmployerIssuer, Name: "Boulangerie Martin", Custody: profiles.PlatformKey}); err != nil {
		t.Fatal(err)
	}
	var err error
	ps.attested, _, err = svc.Attest(ctx, profileEmployer, profiles.Attestation{NIR: profileNIR, Entry: profiles.Entry{Kind: profiles.Employment,
		Title: "Vendeuse en boulangerie", Start: time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	ps.declared, err = svc.AddDeclared(ctx, ps.learner, profiles.Entry{Kind: profiles.Training, Title: "Anglais professionnel", Organisation: "Langues Plus"})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestProfilePages(t *testing.T) {
	s := newProfileStack(t)
	me := s.signedIn(t, auth.Learner, s.learner)
	res, body := s.get(t, "/mon-profil", me)
	if res.StatusCode != 200 {
		t.Fatalf("/mon-profil: %d", res.StatusCode)
	}
	for _, want := range []string{"Vendeuse en boulangerie", "Attestée par Boulangerie Martin", "Anglais professionnel", "Déclarée par la personne", "Télécharger l’attestation vérifiable"} {
		if !strings.Contains(body, want) {
			t.Errorf("the profile page lacks %q", want)
		}
	}
	// Signed out, or as another learner: no access to this profile.
	if res, _ := s.get(t, "/mon-profil"); res.StatusCode != 401 {
		t.Errorf("signed out: %d", res.StatusCode)
	}
	other := s.signedIn(t, auth.Learner, s.other)
	if _, body := s.get(t, "/mon-profil", other); strings.Contains(body, "Vendeuse") {
		t.Error("another learner sees the profile")
	}
	cred := "/mon-profil/attestations/" + url.PathEscape(s.attested.CredentialID)
	if res, _ := s.get(t, cred, other); res.StatusCode != 404 {
		t.Errorf("another learner downloads the credential: %d", res.StatusCode)
	}
	// A declared line is deleted; an attested one cannot be.
	if res, _ := s.post(t, "/mon-profil/lignes/"+s.attested.ID+"/suppression", url.Values{}, sameSite, me); res.StatusCode != 409 {
		t.Errorf("deleting an attested line: %d", res.StatusCode)
	}
	if res, _ := s.post(t, "/mon-profil/lignes", url.Values{"type": {"employment"}, "intitule": {"Serveur"}}, sameSite, me); res.StatusCode != 400 {
		t.Errorf("an employment without its employer: %d", res.StatusCode)
	}
	// Share only the attested line: the link shows it and nothing else.
	res, body = s.post(t, "/mon-profil/partages", url.Values{"ligne": {s.attested.ID}, "expiration": {time.Now().AddDate(0, 0, 7).Format(time.DateOnly)}}, sameSite, me)
	if res.StatusCode != 201 {
		t.Fatalf("share: %d %s", res.StatusCode, body)
	}
	link := regexp.MustCompile(`value="https?://[^"]*(/profil/partage/[^"]+)"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("no link on the page: %s", body)
	}
	res, body = s.get(t, link[1])
	if res.StatusCode != 200 || !strings.Contains(body, "Vendeuse en boulangerie") || strings.Contains(body, "Anglais professionnel") {
		t.Fatalf("shared page %d shows the wrong lines", res.StatusCode)
	}
	if res, body := s.get(t, link[1]+"/cv"); res.StatusCode != 200 || !strings.Contains(body, "[Attestée]") {
		t.Errorf("CV: %d", res.StatusCode)
	}
	// Download the credential through the link and verify it.
	res, bundle := s.get(t, link[1]+"/attestations/"+url.PathEscape(s.attested.CredentialID))
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d", res.StatusCode)
	}
	if res, body := s.upload(t, bundle); res.StatusCode != 200 || !strings.Contains(body, "Attestation valide") {
		t.Errorf("verifying the downloaded file: %d %s", res.StatusCode, body)
	}
	tampered := strings.Replace(bundle, "Vendeuse en boulangerie", "Directrice", 1)
	if res, body := s.upload(t, tampered); res.StatusCode != 200 || !strings.Contains(body, "Attestation non valide") {
		t.Errorf("verifying a tampered file: %d", res.StatusCode)
	}
	if res, _ := s.upload(t, "pas du JSON"); res.StatusCode != 400 {
		t.Errorf("a file that is no credential: %d", res.StatusCode)
	}
	// The link expires.
	sh, _ := s.svc.Shares(context.Background(), s.learner)
	sh[0].ID, sh[0].Expires = profiles.ShareID("expired-secret"), time.Now().Add(-time.Minute)
	if err := s.store.CreateShareLink(context.Background(), sh[0]); err != nil {
		t.Fatal(err)
	}
	if res, body := s.get(t, "/profil/partage/expired-secret"); res.StatusCode != 410 || !strings.Contains(body, "expiré") {
		t.Errorf("an expired link: %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/profil/partage/nope"); res.StatusCode != 404 {
		t.Errorf("an unknown link: %d", res.StatusCode)
	}
}

// upload sends a file to the verification page.
func (s *stack) upload(t *testing.T, content string) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("fichier", "attestation.json")
	fw.Write([]byte(content))
	w.Close()
	r := httptest.NewRequest(http.MethodPost, "/verifier", &buf)
	r.Header.Set("Content-Type", w.FormDataContentType())
	r.Header.Set("Origin", sameSite)
	return s.do(t, r)
}

// TestProfileBrowser shares a profile, opens the link, downloads a
// credential and verifies it on the verification page, in a browser.
func TestProfileBrowser(t *testing.T) {
	chromium, axe, _ := browserTools(t)
	shots := os.Getenv("PARCOURS_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(t.TempDir(), "screenshots")
	}
	os.MkdirAll(shots, 0o755)
	s := newProfileStack(t)
	ts := httptest.NewServer(s.server)
	defer ts.Close()
	var out lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("lang", "fr-FR"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800), chromedp.CombinedOutput(&out))
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: guard}); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromium, err, out.String())
	}
	b := &browser{t: t, ctx: ctx, base: ts.URL, axe: string(axe), shots: shots}

	// Sign in as the learner through the demo sign-in.
	b.open("/connexion-demo", 200)
	b.do(chromedp.Click(chromedp.CSS("#role-learner")))
	b.do(chromedp.SendKeys(chromedp.CSS("#identifiant"), s.learner))
	b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
	b.navigate(chromedp.Click(chromedp.CSS(`nav a[href="/mon-profil"]`)), 200)
	if h1 := b.text("h1"); h1 != "Mon profil professionnel" {
		t.Fatalf("profile h1 %q", h1)
	}
	if n := b.count(".ligne-attestee .preuve-attestee"); n != 1 {
		t.Errorf("%d attested lines marked, want 1", n)
	}
	if n := b.count(".ligne-declaree .preuve-declaree"); n != 1 {
		t.Errorf("%d declared lines marked, want 1", n)
	}
	b.check("40-mon-profil")

	// Share only the attested line.
	b.do(chromedp.Click(chromedp.CSS("#partage-" + s.declared.ID)))
	b.do(chromedp.SendKeys(chromedp.CSS("#nom"), "Candidature Acme"))
	b.navigate(chromedp.Click(chromedp.CSS(`form[action="/mon-profil/partages"] button[type=submit]`)), 201)
	b.check("41-lien-cree")
	link := b.eval(`document.querySelector("#lien").value`)
	if !strings.HasPrefix(link, ts.URL+"/profil/partage/") {
		t.Fatalf("link %q", link)
	}
	// Signed out, anyone with the link sees the shared line only.
	b.navigate(chromedp.Click(chromedp.CSS(".session button")), 200)
	b.open(strings.TrimPrefix(link, ts.URL), 200)
	if n := b.count(".ligne"); n != 1 {
		t.Errorf("the link shows %d lines, want the 1 shared", n)
	}
	if txt := b.text(".ligne .preuve"); !strings.Contains(txt, "Attestée par Boulangerie Martin") {
		t.Errorf("the shared line reads %q", txt)
	}
	b.check("42-profil-partage")
	b.navigate(chromedp.Click(chromedp.CSS(`a[href$="/cv"]`)), 200)
	if txt := b.text(".cv-preuve"); !strings.Contains(txt, "[Attestée]") {
		t.Errorf("the CV marks the line %q", txt)
	}
	b.check("43-cv")
	// Printed, the CV drops the site's header, menu and buttons but keeps
	// the attested and declared marks.
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if got := b.eval(`[".entete", ".navigation", ".cv-ecran"].map(s => getComputedStyle(document.querySelector(s)).display).join(",")`); got != "none,none,none" {
		t.Errorf("printed, the header, menu and buttons show: %s", got)
	}
	if got := b.eval(`getComputedStyle(document.querySelector(".cv-preuve")).display`); got == "none" {
		t.Error("printed, the attested mark is hidden")
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""}); err != nil {
		t.Fatal(err)
	}
	b.open(strings.TrimPrefix(link, ts.URL), 200)

	// Download the credential as the page's link does, then verify it.
	href := b.eval(`document.querySelector(".ligne-lien a").getAttribute("href")`)
	bundle, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch(`+jsString(href)+`).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.Contains(bundle, `"credential"`) {
		t.Fatalf("downloading %s: %v %.200s", href, err, bundle)
	}
	file := filepath.Join(t.TempDir(), "attestation.json")
	os.WriteFile(file, []byte(bundle), 0o644)
	b.navigate(chromedp.Click(chromedp.CSS(`a[href="/verifier"]`)), 200)
	b.check("44-verifier")
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#fichier"), []string{file}))
	b.navigate(chromedp.Click(chromedp.CSS(`form.depot button[type=submit]`)), 200)
	if v := b.text(".verdict"); !strings.Contains(v, "Attestation valide") {
		t.Errorf("verdict %q", v)
	}
	if n := b.count(".controle-pass"); n != 8 {
		t.Errorf("%d checks passed, want 8", n)
	}
	b.check("45-verification-reussie")
	// A changed byte fails.
	bad := filepath.Join(t.TempDir(), "modifiee.json")
	os.WriteFile(bad, []byte(strings.Replace(bundle, "Vendeuse en boulangerie", "Directrice commerciale", 1)), 0o644)
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#fichier"), []string{bad}))
	b.navigate(chromedp.Click(chromedp.CSS(`form.depot button[type=submit]`)), 200)
	if v := b.text(".verdict"); !strings.Contains(v, "Attestation non valide") {
		t.Errorf("verdict on a changed file %q", v)
	}
	b.check("46-verification-echouee")
}

func TestProfileExportPage(t *testing.T) {
	s := newProfileStack(t)
	me := s.signedIn(t, auth.Learner, s.learner)
	res, body := s.get(t, "/mon-profil/export", me)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d", res.StatusCode)
	}
	for _, want := range []string{`"entries"`, `"credentials"`, `"proof"`, "Vendeuse en boulangerie", "Anglais professionnel"} {
		if !strings.Contains(body, want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	if res, _ := s.get(t, "/mon-profil/export"); res.StatusCode != 401 {
		t.Errorf("export signed out: %d", res.StatusCode)
	}
}
