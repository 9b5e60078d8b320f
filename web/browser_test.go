package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
)

// The browser tests drive Debian's chromium through the DevTools protocol
// against the whole service on a loopback test server. On every page they
// visit they run axe-core (WCAG 2.1 A and AA rules), check that the page
// broke no Content-Security-Policy rule and threw no script error, and save
// a full-page screenshot.
//
// Environment:
//
//	PARCOURS_CHROMIUM            the browser (default /usr/bin/chromium)
//	PARCOURS_AXE                 axe.min.js (default build/npm/node_modules/axe-core/axe.min.js
//	                             under the repository root; scripts/install-test-deps installs it)
//	PARCOURS_SCREENSHOTS         where to save the screenshots (default: a temporary directory)
//	PARCOURS_UPDATE_SCREENSHOT=1 also write the home page, 1280×800, to docs/screenshot.png
//	PARCOURS_REQUIRE_BROWSER=1   fail, rather than skip, when the browser or axe is missing;
//	                             CI=true does the same
const defaultChromium = "/usr/bin/chromium"

// requireOrSkip stops the test when a browser-test dependency is missing:
// a failure in CI, where a skipped browser test would hide a broken page,
// and a loud skip elsewhere.
func requireOrSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if browserRequired() {
		t.Fatalf("%s (the browser tests are required here; run scripts/install-test-deps)", msg)
	}
	t.Log("\n" + strings.Repeat("*", 72) + "\n* BROWSER TESTS SKIPPED: " + msg + "\n* Run scripts/install-test-deps to install chromium and axe-core.\n" + strings.Repeat("*", 72))
	t.Skip("BROWSER TESTS SKIPPED: " + msg)
}

func browserRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("PARCOURS_REQUIRE_BROWSER") == "1"
}

// findChromium returns the browser every browser test drives
// (PARCOURS_CHROMIUM, else Debian's chromium); it skips a short run, and
// skips (fails in CI) when the browser is missing.
func findChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() && !browserRequired() {
		t.Skip("the browser tests are not short")
	}
	chromium := os.Getenv("PARCOURS_CHROMIUM")
	if chromium == "" {
		chromium = defaultChromium
	}
	if _, err := exec.LookPath(chromium); err != nil {
		requireOrSkip(t, "no browser at %s (%v)", chromium, err)
	}
	return chromium
}

// browserTools returns what the browser tests need beside the browser:
// axe-core's script (PARCOURS_AXE, else the npm test tools) and a folder
// for screenshots (PARCOURS_SCREENSHOTS, else a temporary one).
func browserTools(t *testing.T) (chromium string, axe []byte, shots string) {
	t.Helper()
	chromium = findChromium(t)
	axePath := os.Getenv("PARCOURS_AXE")
	if axePath == "" {
		axePath = filepath.Join(repoRoot(t), "build", "npm", "node_modules", "axe-core", "axe.min.js")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		requireOrSkip(t, "no axe-core at %s (%v)", axePath, err)
	}
	shots = os.Getenv("PARCOURS_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return chromium, axe, shots
}

// repoRoot walks up from the working directory to the directory of go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// browser drives one tab and checks each page it reaches.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	axe   string
	shots string
}

// guard is run in every document before its own scripts: it records CSP
// violations and uncaught script errors for check.
const guard = `window.__parcoursProblems = [];
document.addEventListener("securitypolicyviolation", e =>
  window.__parcoursProblems.push("CSP: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline code") + " at " + e.sourceFile + ":" + e.lineNumber));
window.addEventListener("error", e => window.__parcoursProblems.push("script error: " + e.message));`

func TestBrowser(t *testing.T) {
	root := repoRoot(t)
	chromium, axe, shots := browserTools(t)
	t.Logf("screenshots in %s", shots)

	// A realistic catalogue, as in demo mode, beside the fixture.
	cat := demo.Catalogue(demo.Options{Seed: 1, Providers: 20, Offers: 400, Now: time.Now()}, geo.Default())
	// The job matching is on, its posts screened by the controls, for the
	// review of a held job post from the queue (web/jobreview_test.go).
	var jobs *matching.Service
	s := newStackWith(t, true, &cat, screenedJobs(t, &jobs))
	ts := httptest.NewServer(s.server)
	defer ts.Close()

	var out lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(&out),
	)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: guard}); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromium, err, out.String())
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, base: ts.URL, axe: string(axe), shots: shots}

	// A harness that could not see a violation would pass any page.
	t.Run("axe sees violations", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(`data:text/html,<title>x</title><img src="x.png"><button></button>`))
		serious := 0
		for _, v := range b.audit("bad page") {
			if v.Impact == "serious" || v.Impact == "critical" {
				serious++
			}
		}
		if serious == 0 {
			t.Fatal("axe-core finds nothing wrong with a page without lang, alt text nor button name")
		}
	})

	t.Run("search to offer to provider", func(t *testing.T) {
		b.t = t
		b.open("/", 200)
		b.waitVisible("h1")
		if h1 := b.text("h1"); h1 != "Trouver une formation professionnelle" {
			t.Errorf("home h1 %q", h1)
		}
		if n := b.count("#titre-regions + ul a"); n < 18 {
			t.Errorf("%d regions listed, want 18 or more", n)
		}
		b.waitVisible("#titre-regions + ul")
		b.check("01-accueil")
		if os.Getenv("PARCOURS_UPDATE_SCREENSHOT") == "1" {
			b.saveReadmeScreenshot(filepath.Join(root, "docs", "screenshot.png"))
		}

		b.do(chromedp.SendKeys(chromedp.CSS("#q"), "anglais"))
		b.navigate(chromedp.Click(chromedp.CSS("form.recherche button[type=submit]")), 200)
		if loc := b.location(); !strings.Contains(loc, "/recherche?q=anglais") {
			t.Errorf("search went to %s", loc)
		}
		if c := b.text(".compte"); !regexp.MustCompile(`^\d[\d\s]* (formations?|résultats? \(\d[\d\s]* formations?\))$`).MatchString(c) {
			t.Errorf("results count %q", c)
		}
		if n := b.count(".carte"); n < 1 {
			t.Fatal("no result card")
		}
		b.check("02-recherche-anglais")

		title := b.text(".carte-titre a")
		b.navigate(chromedp.Click(chromedp.CSS(".carte-titre a")), 200)
		if h1 := b.text("h1"); h1 != title {
			t.Errorf("offer page h1 %q, want the card's title %q", h1, title)
		}
		if p := b.text(".prix"); !strings.HasSuffix(p, "€") && p != "Gratuit" {
			t.Errorf("offer price %q", p)
		}
		provider := b.text(".organisme-nom a")
		if provider == "" {
			t.Fatal("no provider link on the offer page")
		}
		b.check("03-formation")

		b.navigate(chromedp.Click(chromedp.CSS(".organisme-nom a")), 200)
		if h1 := b.text("h1"); h1 != provider {
			t.Errorf("provider page h1 %q, want %q", h1, provider)
		}
		if q := b.text(".essentiel .qualiopi-ok, .essentiel .qualiopi-ko"); !strings.Contains(q, "Qualiopi") {
			t.Errorf("provider Qualiopi status %q", q)
		}
		b.check("04-organisme")
	})

	t.Run("search near a place", func(t *testing.T) {
		b.t = t
		b.open("/recherche?q=anglais", 200)
		b.do(chromedp.SendKeys(chromedp.CSS("#lieu"), "Lyon"))
		b.eval(`document.querySelector("#rayon").value = "50"`)
		b.navigate(chromedp.Click(chromedp.CSS("form.recherche button[type=submit]")), 200)
		if loc := b.location(); !strings.Contains(loc, "lieu=Lyon") || !strings.Contains(loc, "rayon=50") {
			t.Errorf("search went to %s", loc)
		}
		if n := b.count(".carte"); n < 1 {
			t.Fatal("no result near Lyon")
		}
		d := b.text(".carte-distance")
		m := regexp.MustCompile(`^à (\d+),(\d) km$`).FindStringSubmatch(strings.ReplaceAll(d, "\u00a0", " "))
		if m == nil {
			t.Fatalf("distance %q", d)
		}
		if km, _ := strconv.Atoi(m[1]); km > 50 {
			t.Errorf("a result %s km away in a 50 km search", m[1])
		}
		b.waitVisible(".facettes")
		if n := b.count(".facettes h3"); n < 3 {
			t.Errorf("%d facets shown, want modality, certification, price, duration, region", n)
		}
		if open := b.eval(`String(document.querySelector(".pourquoi").open)`); open != "false" {
			t.Error("the explanation is open before it is asked for")
		}
		b.do(chromedp.Click(chromedp.CSS(".pourquoi summary")))
		if open := b.eval(`String(document.querySelector(".pourquoi").open)`); open != "true" {
			t.Error("clicking « Pourquoi ce rang ? » does not open the explanation")
		}
		b.waitVisible(".pourquoi p")
		if why := b.text(".pourquoi"); !strings.Contains(why, "Niveau de pertinence") {
			t.Errorf("explanation %q", why)
		}
		b.check("14-recherche-autour-de-lyon")

		b.navigate(chromedp.Click(chromedp.CSS("#facette-modalite + ul a")), 200)
		if loc := b.location(); !strings.Contains(loc, "modalite=") || !strings.Contains(loc, "lieu=Lyon") {
			t.Errorf("the facet went to %s", loc)
		}
		b.check("15-facette")

		b.open("/transparence", 200)
		if h1 := b.text("h1"); h1 != "Transparence du classement" {
			t.Errorf("transparency h1 %q", h1)
		}
		b.check("16-transparence")
	})

	t.Run("browse", func(t *testing.T) {
		b.t = t
		b.open("/", 200)
		b.navigate(chromedp.Click(chromedp.CSS(`a[href="/regions/84"]`)), 200)
		if h1 := b.text("h1"); h1 != "Formations en région Auvergne-Rhône-Alpes" {
			t.Errorf("region page h1 %q", h1)
		}
		if n := b.count(".carte"); n < 1 {
			t.Error("no offer in the region")
		}
		b.check("05-region")

		b.navigate(chromedp.Click(chromedp.CSS(`a[href="/certifications"]`)), 200)
		b.check("06-certifications")
		b.navigate(chromedp.Click(chromedp.CSS(`.tableau a`)), 200)
		b.check("07-certification")

		b.open("/regions/99", 404)
		if h1 := b.text("h1"); h1 != "Page introuvable" {
			t.Errorf("404 page h1 %q", h1)
		}
		b.check("08-introuvable")
		b.open("/recherche?region=99", 400)
		b.check("09-demande-incorrecte")
	})

	t.Run("keyboard", func(t *testing.T) {
		b.t = t
		b.open("/", 200)
		b.do(chromedp.KeyEvent(kb.Tab))
		if got := b.eval(`document.activeElement.textContent`); got != "Aller au contenu" {
			t.Errorf("the first Tab focuses %q, want the skip link", got)
		}
		if top := b.eval(`String(document.activeElement.getBoundingClientRect().top >= 0)`); top != "true" {
			t.Error("the focused skip link is not visible")
		}
		b.do(chromedp.KeyEvent(kb.Enter))
		if got := b.eval(`document.activeElement.id`); got != "contenu" {
			t.Errorf("the skip link moves the focus to %q, want the main content", got)
		}
	})

	t.Run("demo sign-in", func(t *testing.T) {
		b.t = t
		b.open("/connexion-demo", 200)
		b.check("10-connexion-demo")
		b.do(chromedp.Click(chromedp.CSS("#role-provider")))
		name := b.eval(`document.querySelector("#organisme").selectedOptions[0].textContent`)
		b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
		if banner := b.text(".session p"); banner != "Connecté : Organisme de formation – "+name {
			t.Errorf("banner %q after signing in as %q", banner, name)
		}
		if tok := b.eval(`document.querySelector("#jeton").value`); strings.Count(tok, ".") != 2 {
			t.Errorf("the page does not show the token: %q", tok)
		}
		if c := b.eval(`document.cookie`); strings.Contains(c, cookieName) {
			t.Error("the token cookie is readable from scripts")
		}
		b.check("11-connecte")

		b.open("/", 200)
		if banner := b.text(".session p"); !strings.Contains(banner, name) {
			t.Errorf("banner %q on the next page", banner)
		}
		b.navigate(chromedp.Click(chromedp.CSS(".session button")), 200)
		if n := b.count(".session"); n != 0 {
			t.Error("still signed in after signing out")
		}
	})

	t.Run("occupation and gap", func(t *testing.T) {
		b.t = t
		b.open("/", 200)
		b.navigate(chromedp.Click(chromedp.CSS(`nav a[href="/metiers"]`)), 200)
		if n := b.count(".liste-liens a"); n < 60 {
			t.Errorf("%d occupations listed, want 60 or more", n)
		}
		b.check("14-metiers")
		b.navigate(chromedp.Click(chromedp.CSS(`a[href="/metiers/M1805"]`)), 200)
		if h1 := b.text("h1"); h1 != "Études et développement informatique" {
			t.Errorf("occupation h1 %q", h1)
		}
		if n := b.count(".competences li"); n < 10 {
			t.Errorf("%d required skills shown", n)
		}
		if n := b.count(".carte"); n < 1 {
			t.Error("no training teaches the occupation")
		}
		b.check("15-metier")

		b.open("/connexion-demo", 200)
		b.do(chromedp.Click(chromedp.CSS("#role-learner")))
		b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
		b.open("/metiers/M1805", 200)
		b.navigate(chromedp.Click(chromedp.CSS(`a[href="/metiers/M1805/ce-qui-me-manque"]`)), 200)
		if h1 := b.text("h1"); h1 != "Ce qu’il me manque pour ce métier" {
			t.Errorf("gap page h1 %q", h1)
		}
		before := b.text(".chapo")
		b.check("16-ce-qui-me-manque")
		b.do(chromedp.Click(chromedp.CSS("#e0")), chromedp.Click(chromedp.CSS("#e1")))
		b.navigate(chromedp.Click(chromedp.CSS(".fiche-cote form button[type=submit]")), 200)
		if after := b.text(".chapo"); !strings.Contains(after, "vous maîtrisez 2 des") {
			t.Errorf("after ticking two skills: %q (before: %q)", after, before)
		}
		if n := b.count("input[name=competence]:checked"); n != 2 {
			t.Errorf("%d skills ticked after saving, want 2", n)
		}
		b.check("17-ce-qui-me-manque-enregistre")
		b.navigate(chromedp.Click(chromedp.CSS(".session button")), 200)
	})

	// The enrolment journey through the pages: a learner asks for a
	// session, the provider proposes, the learner accepts, the provider
	// declares entry and exit, the learner evaluates, the provider is paid.
	t.Run("enrolment journey", func(t *testing.T) {
		b.t = t
		ctx := context.Background()
		acct := s.learnerAccount(t, "255081416802538", 5000_00)
		signIn := func(role, subject string) {
			t.Helper()
			b.open("/connexion-demo", 200)
			b.do(chromedp.Click(chromedp.CSS("#role-" + role)))
			if subject != "" {
				b.do(chromedp.SendKeys(chromedp.CSS("#identifiant"), subject))
			}
			b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
		}
		// The provider the demo sign-in offers first, and one of its
		// offers with a session far enough ahead for a proposal.
		b.open("/connexion-demo", 200)
		providerID := b.eval(`document.querySelector("#organisme").selectedOptions[0].value`)
		var offerID, sessionID string
		offers, _, err := s.catalogue.Store().Offers(ctx, marketplace.OfferFilter{ProviderID: providerID, Status: marketplace.Published}, marketplace.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
	find:
		for _, o := range offers {
			ss, _ := s.catalogue.Store().Sessions(ctx, o.ID)
			for _, ss := range ss {
				if ss.Start.After(time.Now().AddDate(0, 0, 25)) && ss.Start.Before(time.Now().AddDate(0, 0, 300)) {
					offerID, sessionID = o.ID, ss.ID
					break find
				}
			}
		}
		if offerID == "" {
			t.Fatalf("provider %s has no offer with a session 25 to 300 days ahead", providerID)
		}

		signIn("learner", acct)
		if n := b.count(`nav a[href="/mon-compte"]`); n != 1 {
			t.Error("no Mon compte link for a learner")
		}
		b.open("/formations/"+offerID, 200)
		b.do(chromedp.Click(chromedp.CSS("#session-" + sessionID)))
		b.check("21-formation-inscription")
		b.navigate(chromedp.Click(chromedp.CSS(`form[action$="/inscription"] button[type=submit]`)), 200)
		if loc := b.location(); !strings.Contains(loc, "/mon-compte") {
			t.Fatalf("after the request: %s", loc)
		}
		if st := b.text(".dossier .etape"); st != "Demande envoyée à l’organisme" {
			t.Errorf("state %q", st)
		}
		b.check("22-mon-compte-demande")

		signIn("provider", "")
		// Demo mode: the visitor administers the provider's organisation.
		b.open("/organisation", 200)
		b.check("23b-organisation")
		b.open("/organisme/demandes", 200)
		b.check("23-demandes")
		b.navigate(chromedp.Click(chromedp.CSS(`.dossier form input[value="proposer"] ~ button`)), 200)
		if st := b.text(".dossier .etape"); st != "Proposition de l’organisme à accepter" {
			t.Errorf("state after the proposal %q", st)
		}

		signIn("learner", acct)
		b.open("/mon-compte", 200)
		b.check("24-mon-compte-proposition")
		b.do(chromedp.Click(chromedp.CSS(`.dossier input[name="reste"]`)))
		b.navigate(chromedp.Click(chromedp.CSS(`.dossier form input[value="accepter"] ~ button`)), 200)
		if st := b.text(".dossier .etape"); st != "Inscription acceptée" {
			t.Errorf("state after the acceptance %q", st)
		}
		if bal := b.text(".solde"); bal == "5 000 €" {
			t.Error("the balance did not change after the acceptance")
		}

		d, _, err := s.enrol.Store().Dossiers(ctx, marketplace.DossierFilter{AccountID: acct}, marketplace.Page{})
		if err != nil || len(d) != 1 {
			t.Fatalf("dossiers %v %v", d, err)
		}
		s.shift.Store(int64(d[0].SessionStart.Sub(time.Now()) + 36*time.Hour)) // the session has started
		signIn("provider", "")
		b.open("/organisme/demandes", 200)
		b.navigate(chromedp.Click(chromedp.CSS(`.dossier form input[value="entree"] ~ button`)), 200)
		b.check("25-demandes-en-formation")
		b.navigate(chromedp.Click(chromedp.CSS(`.dossier form.formulaire-ligne button`)), 200)
		if st := b.text(".dossier .etape"); st != "Formation terminée, à évaluer" {
			t.Errorf("state after the exit %q", st)
		}

		signIn("learner", acct)
		b.open("/mon-compte", 200)
		b.navigate(chromedp.Click(chromedp.CSS(`.dossier a[href$="/evaluation"]`)), 200)
		b.check("26-evaluation")
		for _, c := range marketplace.Criteria {
			b.do(chromedp.Click(chromedp.CSS(`label[for="` + c + `-5"]`)))
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#commentaire"), "Formateurs disponibles."))
		b.navigate(chromedp.Click(chromedp.CSS(`form[action$="/evaluation"] button[type=submit]`)), 200)
		if st := b.text(".dossier .etape"); st != "Service fait, organisme payé" {
			t.Errorf("state after the evaluation %q", st)
		}
		b.check("27-mon-compte-paye")
		bal, _ := s.enrol.Store().Balances(ctx, marketplace.ProviderAccount(providerID))
		if bal[marketplace.ProviderAccount(providerID)] != d[0].PriceCents {
			t.Errorf("provider paid %d, want %d", bal[marketplace.ProviderAccount(providerID)], d[0].PriceCents)
		}
		b.open("/formations/"+offerID, 200)
		if avis := b.text("#titre-avis + p"); !strings.Contains(avis, "5,0 / 5") || !strings.Contains(avis, "1 évaluation") {
			t.Errorf("ratings on the offer page %q", avis)
		}
		b.check("28-formation-avis")
		s.shift.Store(0)
	})

	// The controllers' review: the queue, an alert with its passages, a
	// decision with its reason, the history; the provider's view.
	t.Run("control review", func(t *testing.T) {
		b.t = t
		held := s.heldOffer(t)
		signIn := func(role string) {
			t.Helper()
			b.open("/connexion-demo", 200)
			b.do(chromedp.Click(chromedp.CSS("#role-" + role)))
			b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
		}
		signIn("controller")
		b.open("/controles", 200)
		if h1 := b.text("h1"); h1 != "Alertes à examiner" {
			t.Errorf("queue h1 %q", h1)
		}
		if n := b.count("#file-alertes tbody tr"); n != 1 {
			t.Errorf("%d alerts in the queue, want 1", n)
		}
		b.check("29-controles")
		b.navigate(chromedp.Click(chromedp.CSS(`#file-alertes a`)), 200)
		if n := b.count("#passages mark"); n < 2 {
			t.Errorf("%d passages shown, want the flagged ones", n)
		}
		b.check("30-controle-alerte")
		b.do(chromedp.SetValue(chromedp.CSS("#decision-choix"), "publish_offer"),
			chromedp.SendKeys(chromedp.CSS("#motif"), "Atelier de relaxation encadré, aucun signal réel après examen."))
		b.navigate(chromedp.Click(chromedp.CSS(`#decision button[type=submit]`)), 200)
		if msg := b.text(".succes"); msg != "Décision enregistrée." {
			t.Errorf("after the decision %q", msg)
		}
		if h := b.text("#historique"); !strings.Contains(h, "Publier l’offre après examen") || !strings.Contains(h, "aucun signal réel") {
			t.Errorf("history %q", h)
		}
		b.check("31-controle-decision")
		b.open("/organisme/offres/"+held.ID+"/examen", 200)
		if st := b.text("#etat-offre"); st != "Publiée." {
			t.Errorf("offer state after publication %q", st)
		}
		b.check("32-offre-examen")

		// A job post the discrimination screening held: the controller
		// reads it with its passages marked and rejects it; the employer
		// reads the reason on its offer's page.
		post, _ := heldJobPost(t, jobs)
		b.open("/controles", 200)
		if n := b.count("#file-alertes tbody tr"); n != 1 {
			t.Errorf("%d alerts in the queue, want the job post's", n)
		}
		b.navigate(chromedp.Click(chromedp.CSS(`#file-alertes a`)), 200)
		if n := b.count("#annonce mark"); n < 2 {
			t.Errorf("%d passages marked in the post, want the flagged ones", n)
		}
		if st := b.text("#etat-annonce"); !strings.HasPrefix(st, "En attente de votre décision") {
			t.Errorf("job post state %q", st)
		}
		b.check("33-controle-offre-emploi")
		reason := "Les critères d’âge et de nationalité sont interdits : publiez une nouvelle offre sans eux."
		b.do(chromedp.SetValue(chromedp.CSS("#decision-choix"), "reject_job_post"), chromedp.SendKeys(chromedp.CSS("#motif"), reason))
		b.navigate(chromedp.Click(chromedp.CSS(`#decision button[type=submit]`)), 200)
		if msg := b.text(".succes"); msg != "Décision enregistrée." {
			t.Errorf("after the rejection %q", msg)
		}
		if st := b.text("#etat-annonce"); st != "Refusée" {
			t.Errorf("job post state after the rejection %q", st)
		}
		if h := b.text("#historique"); !strings.Contains(h, "Refuser l’offre d’emploi") || !strings.Contains(h, "controller:") {
			t.Errorf("history %q", h)
		}
		b.open("/connexion-demo", 200)
		b.do(chromedp.Click(chromedp.CSS("#role-employer")), chromedp.SendKeys(chromedp.CSS("#identifiant"), jobEmployer))
		b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
		b.open("/emploi/offres/"+post.ID, 200)
		if got := b.text("#motif-refus"); got != reason {
			t.Errorf("the employer reads %q, want the controller's reason", got)
		}
		b.check("34-emploi-offre-refusee")
	})

	t.Run("narrow screen", func(t *testing.T) {
		b.t = t
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(1)))
		defer b.do(chromedp.EmulateViewport(1280, 800))
		b.open("/", 200)
		if w := b.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
			t.Error("the home page scrolls sideways on a phone")
		}
		b.check("12-accueil-mobile")
		b.open("/formations/"+s.fix.english.ID, 200)
		if w := b.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
			t.Error("the offer page scrolls sideways on a phone")
		}
		b.check("13-formation-mobile")
	})
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// open loads a page and checks its status.
func (b *browser) open(path string, status int64) {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("opening %s: %v", path, err)
	}
	if res.Status != status {
		b.t.Fatalf("%s: status %d, want %d", path, res.Status, status)
	}
}

// navigate runs an action that loads a new page, such as a click on a link
// or a submit button, and checks the new page's status.
func (b *browser) navigate(a chromedp.Action[chromedp.Void], status int64) {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, a)
	if err != nil {
		b.t.Fatalf("navigating: %v", err)
	}
	if res.Status != status {
		b.t.Fatalf("%s: status %d, want %d", res.URL, res.Status, status)
	}
}

func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("%s is not visible: %v", sel, err)
	}
}

// eval evaluates an expression whose value is a string.
func (b *browser) eval(js string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// text returns the rendered text of the first element matching sel, with
// spaces of every kind made plain.
func (b *browser) text(sel string) string {
	b.t.Helper()
	js, _ := json.Marshal(sel)
	v := b.eval(`(document.querySelector(` + string(js) + `) || {innerText: ""}).innerText`)
	return strings.Join(strings.Fields(v), " ")
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	js, _ := json.Marshal(sel)
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+string(js)+`).length`))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// axeViolation is the part of an axe-core result the test reports.
type axeViolation struct {
	ID      string     `json:"id"`
	Impact  string     `json:"impact"`
	Help    string     `json:"help"`
	HelpURL string     `json:"helpUrl"`
	Targets [][]string `json:"targets"`
}

const axeRun = `axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"], resultTypes: ["violations"]})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : String(t)))})))`

// audit runs axe-core on the current page.
func (b *browser) audit(name string) []axeViolation {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
		b.t.Fatalf("%s: injecting axe-core: %v", name, err)
	}
	vs, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: running axe-core: %v", name, err)
	}
	return vs
}

// check runs axe-core on the current page and fails on serious or
// critical violations, fails on CSP violations and script errors, and
// saves a full-page screenshot named name.
func (b *browser) check(name string) {
	b.t.Helper()
	for _, v := range b.audit(name) {
		msg := fmt.Sprintf("%s: axe %s (%s): %s\n    %s\n    at %v", name, v.ID, v.Impact, v.Help, v.HelpURL, v.Targets)
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
	problems, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`window.__parcoursProblems || ["the guard script did not run"]`))
	if err != nil {
		b.t.Fatal(err)
	}
	for _, p := range problems {
		b.t.Errorf("%s: %s", name, p)
	}
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("%s: screenshot: %v", name, err)
	}
	file := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// saveReadmeScreenshot writes the first screen of the current page, at
// 1280×800, for the README.
func (b *browser) saveReadmeScreenshot(file string) {
	b.t.Helper()
	shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil {
		b.t.Fatal(err)
	}
	if cfg.Width != 1280 || cfg.Height != 800 {
		b.t.Fatalf("README screenshot is %d×%d, want 1280×800", cfg.Width, cfg.Height)
	}
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("wrote %s (%d KB)", file, len(shot)/1024)
}

// lockedBuffer collects the browser's output from its goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
