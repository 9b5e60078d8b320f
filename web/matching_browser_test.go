package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/parcours/parcours/skills"
)

// newBrowser starts chromium on the stack's pages, as TestBrowser does.
func newBrowser(t *testing.T, s *stack) *browser {
	t.Helper()
	chromium, axe, shots := browserTools(t)
	ts := httptest.NewServer(s.server)
	t.Cleanup(ts.Close)
	var out lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "fr-FR"), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800), chromedp.CombinedOutput(&out))
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: guard}); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromium, err, out.String())
	}
	return &browser{t: t, ctx: ctx, base: ts.URL, axe: string(axe), shots: shots}
}

// TestJobMatchingBrowser goes through the job matching as both sides do:
// the employer posts two offers and confirms their skills, the learner
// opts in and answers the swipe feed with the keyboard and with a touch
// swipe, the employer says yes to the pseudonymous candidate, and both
// meet on the match page and its thread. Every page passes axe-core, the
// CSP and has no script error.
func TestJobMatchingBrowser(t *testing.T) {
	s, svc := jobStack(t)
	b := newBrowser(t, s)
	ctx := context.Background()
	signIn := func(role, subject string) {
		t.Helper()
		b.open("/connexion-demo", 200)
		b.do(chromedp.Click(chromedp.CSS("#role-" + role)))
		b.do(chromedp.SendKeys(chromedp.CSS("#identifiant"), subject))
		b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
	}
	fill := func(sel, value string) {
		t.Helper()
		b.eval(`(function(){var e=document.querySelector(` + jsString(sel) + `); e.value=` + jsString(value) + `; return ""})()`)
	}

	signIn("employer", jobEmployer)
	b.open("/emploi", 200)
	b.check("emploi-01-accueil-employeur")
	var offers []string
	for i, title := range []string{"Commis de cuisine", "Cuisinier de collectivité"} {
		b.open("/emploi/offres", 200)
		if i == 0 {
			b.check("emploi-02-offres")
		}
		v := jobOfferValues()
		v.Set("titre", title)
		for field, value := range v {
			fill("#"+field, value[0])
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#titre"), " H/F"))
		b.navigate(chromedp.Click(chromedp.CSS("form.formulaire button[type=submit]")), 200)
		loc := b.location()
		m := strings.LastIndex(loc, "/emploi/offres/")
		if m < 0 {
			t.Fatalf("after posting: %s (%s)", loc, b.text(".erreur"))
		}
		offers = append(offers, loc[m+len("/emploi/offres/"):])
		if n := b.count(`input[name="competence"]`); n < 2 {
			t.Fatalf("%d suggested skills", n)
		}
		if i == 0 {
			b.check("emploi-03-confirmer-competences")
		}
		b.navigate(chromedp.Click(chromedp.CSS(`form[action$="/publier"] button[type=submit]`)), 200)
		if st := b.text(".chapo .etiquette"); st != "Publiée" {
			t.Fatalf("status %q", st)
		}
	}
	// The learner's skills: what the offers ask, attested.
	o, _ := svc.EmployerOffer(ctx, jobEmployer, offers[0])
	var edges []skills.Edge
	for _, sk := range o.Skills {
		edges = append(edges, skills.Edge{Rel: skills.HasSkill, From: jobLearner, To: sk.SkillID, Level: 2, Evidence: skills.Attested})
	}
	if _, err := s.pages.Graph.Apply(ctx, skills.Batch{Edges: edges}); err != nil {
		t.Fatal(err)
	}

	signIn("learner", jobLearner)
	b.open("/emploi/preferences", 200)
	b.check("emploi-04-preferences")
	p := jobPrefsValues()
	fill("#metier1", "G1602")
	fill("#disponible", p.Get("disponible"))
	for _, f := range []string{"commune", "salaire_min", "contact_nom", "contact_courriel", "contact_tel"} {
		b.do(chromedp.SendKeys(chromedp.CSS("#"+f), p.Get(f)))
	}
	fill("#rayon", "20")
	b.navigate(chromedp.Click(chromedp.CSS(`form[action="/emploi/preferences"] button[type=submit]`)), 200)
	if st := b.text(".statut-ok"); st != "Vos préférences sont enregistrées." {
		t.Fatalf("after saving: %q (%s)", st, b.text(".erreur"))
	}
	if _, err := svc.RunFeeds(ctx, 0); err != nil {
		t.Fatal(err)
	}
	b.open("/emploi/propositions", 200)
	b.waitVisible("#carte-offre")
	b.check("emploi-05-propositions")
	first := b.text("#titre-offre")
	// The keyboard: the left arrow passes.
	b.do(chromedp.Focus(chromedp.CSS("#carte-offre")))
	b.navigate(chromedp.KeyEvent(kb.ArrowLeft), 200)
	second := b.text("#titre-offre")
	if second == "" || second == first {
		t.Fatalf("after passing %q with the left arrow the card shows %q", first, second)
	}
	// Touch: a swipe to the right says yes.
	b.navigate(chromedp.Evaluate[chromedp.Void](`(function(){
	  var c = document.getElementById("carte-offre"), r = c.getBoundingClientRect(), y = r.top + 40;
	  c.dispatchEvent(new PointerEvent("pointerdown", {clientX: r.left + 40, clientY: y, pointerType: "touch", bubbles: true}));
	  c.dispatchEvent(new PointerEvent("pointerup", {clientX: r.left + 260, clientY: y + 10, pointerType: "touch", bubbles: true}));
	})()`), 200)
	if !strings.Contains(b.text("main"), "Aucune nouvelle offre") {
		t.Errorf("after both decisions the feed shows %q", b.text("main"))
	}
	decided := map[string]bool{}
	sw, _ := svc.Store().SwipesByCandidate(ctx, jobLearner)
	for _, x := range sw {
		decided[x.OfferID] = x.Like
	}
	var liked string
	for _, id := range offers {
		if like, ok := decided[id]; !ok {
			t.Errorf("no decision on %s", id)
		} else if like {
			liked = id
		}
	}
	if liked == "" || len(decided) != 2 {
		t.Fatalf("decisions %v: want one pass (keyboard) and one like (touch)", decided)
	}

	signIn("employer", jobEmployer)
	b.open("/emploi/offres/"+liked, 200)
	b.waitVisible(".carte-candidat")
	if body := b.text("main"); strings.Contains(body, learnerName) || strings.Contains(body, learnerEmail) {
		t.Error("the candidate card shows the learner's name or e-mail")
	}
	b.check("emploi-06-candidats")
	b.navigate(chromedp.Click(chromedp.CSS(`.carte-candidat button[value="oui"]`)), 200)
	if !strings.Contains(b.location(), "/emploi/mises-en-relation/m-") {
		t.Fatalf("the mutual yes led to %s", b.location())
	}
	if c := b.text(".contacts"); !strings.Contains(c, learnerName) || !strings.Contains(c, learnerEmail) {
		t.Errorf("match contacts %q", c)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#message"), "Bonjour, pouvez-vous passer jeudi ?"))
	b.navigate(chromedp.Click(chromedp.CSS(`form[action$="/messages"] button[type=submit]`)), 200)
	if m := b.text(".fil-messages"); !strings.Contains(m, "pouvez-vous passer jeudi") {
		t.Errorf("thread %q", m)
	}
	b.check("emploi-07-mise-en-relation")

	signIn("learner", jobLearner)
	b.open("/emploi/mises-en-relation", 200)
	b.check("emploi-08-mises-en-relation")
	b.navigate(chromedp.Click(chromedp.CSS("table.tableau a")), 200)
	if c := b.text(".contacts"); !strings.Contains(c, recruiterMail) {
		t.Errorf("the learner sees %q", c)
	}
	if m := b.text(".fil-messages"); !strings.Contains(m, "pouvez-vous passer jeudi") {
		t.Errorf("the learner's thread %q", m)
	}
	b.check("emploi-09-mise-en-relation-candidat")
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
