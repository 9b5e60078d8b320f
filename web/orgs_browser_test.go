package web

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/orgs"
)

// Headless Chromium, against two real OpenID Providers on loopback (the
// learners' and the organisations'), goes through the organisation pages
// (an administrator signs in, invites; the invitee accepts through the
// provider; the link is then spent; the administrator removes the member)
// and the learner's contact details (a step-up, then the cooling-off
// notice). Every page is checked with axe-core and for CSP violations.
func TestBrowserOrganisationsAndContact(t *testing.T) {
	chromium, axe, _ := browserTools(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rp := "http://" + ln.Addr().String()
	fcIssuer, proIssuer := startTestOP(t, rp), startTestOP(t, rp)
	id, err := NewIdentity(context.Background(), []IdentityProvider{
		{Name: "fc", Label: "S’identifier avec FranceConnect", Issuer: fcIssuer, ClientID: "parcours", ClientSecret: testOPSecret,
			RedirectURL: rp + "/connexion/retour", PostLogoutURL: rp + "/", Scopes: []string{"openid", "profile", "birth"}, ACR: "eidas1"},
		{Name: "pro", Label: "S’identifier avec ProConnect", Issuer: proIssuer, ClientID: "parcours", ClientSecret: testOPSecret,
			RedirectURL: rp + "/connexion/retour", PostLogoutURL: rp + "/", Scopes: []string{"openid", "profile"}, Kind: KindOrganisations},
	}, nil)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	s := newStackWith(t, false, nil, func(d *Deps) { d.Identity = id })
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.server}}
	ts.Start()
	t.Cleanup(ts.Close)

	ctx := context.Background()
	// Claire administers the organisation of the languages institute.
	o, _, token, err := s.orgs.Create(ctx, auth.Principal{Role: auth.Admin}, orgs.NewOrg{SIRET: s.fix.languages.SIRET, Name: s.fix.languages.Name,
		Role: auth.Provider, ProviderID: s.fix.languages.ID, AdminEmail: "claire@institut.fr"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.orgs.Accept(ctx, token, orgs.Identity{Issuer: proIssuer, Subject: "claire", Name: "Claire Lefèvre"}); err != nil {
		t.Fatal(err)
	}
	// Angela's training account is linked to her FranceConnect identity.
	acct := s.learnerAccount(t, "255081416802538", 1000_00)
	if err := s.store.PutLink(ctx, fcIssuer, "angela", acct); err != nil {
		t.Fatal(err)
	}

	var out lockedBuffer
	bctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	bctx, cancelAlloc := chromedp.NewExecAllocator(bctx, chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "fr-FR"), chromedp.WindowSize(1280, 800), chromedp.UserDataDir(t.TempDir()), chromedp.CombinedOutput(&out))
	defer cancelAlloc()
	bctx, cancelTab := chromedp.NewContext(bctx)
	defer cancelTab()
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: guard}); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromium, err, out.String())
	}
	shots := os.Getenv("PARCOURS_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	b := &browser{t: t, ctx: bctx, base: ts.URL, axe: string(axe), shots: shots}
	signIn := func(issuer, login, acr string) {
		t.Helper()
		b.waitVisible("#login")
		if !strings.HasPrefix(b.location(), issuer+"/interaction/") {
			t.Fatalf("not at %s: %s", issuer, b.location())
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#login"), login), chromedp.SetValue(chromedp.CSS("#acr"), acr))
		b.do(chromedp.Click(chromedp.CSS("#submit")))
	}
	fresh := func() {
		t.Helper()
		if _, err := chromedp.Call(bctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
	}

	// The administrator signs in through the organisations' provider.
	b.open("/connexion", 200)
	b.check("connexion-organisations")
	b.do(chromedp.Click(chromedp.CSS(`.fournisseurs a[href^="/connexion/fournisseur/pro"]`)))
	signIn(proIssuer, "claire", "eidas1")
	b.waitVisible("#membres")
	if loc := b.location(); loc != ts.URL+"/organisation" {
		t.Fatalf("after the sign-in: %s", loc)
	}
	b.check("organisation")
	// She invites Sam; the link is shown once.
	b.do(chromedp.SendKeys(chromedp.CSS("#email"), "sam@institut.fr"))
	b.navigate(chromedp.Click(chromedp.CSS(`form[action="/organisation/invitations"] button`)), 200)
	b.waitVisible("#lien-invitation")
	link := b.text("#lien-invitation")
	if !strings.HasPrefix(link, ts.URL+invitationPrefix) {
		t.Fatalf("invitation link %q", link)
	}
	b.check("organisation-invitation")

	// Sam opens the link in his own browser and signs in to accept.
	fresh()
	b.open(strings.TrimPrefix(link, ts.URL), 200)
	b.check("invitation")
	b.do(chromedp.Click(chromedp.CSS(".fournisseurs a")))
	signIn(proIssuer, "sam", "eidas1")
	b.waitVisible("#accepter")
	if !strings.Contains(b.text("main"), "Sam Moreau") {
		t.Errorf("the invitation page does not name the signed-in identity: %q", b.text("main"))
	}
	b.check("invitation-accepter")
	b.do(chromedp.Click(chromedp.CSS("#accepter")))
	b.waitVisible("#membres")
	if !strings.Contains(b.text(".succes"), "Bienvenue") || b.count("#membres tbody tr") != 2 || b.count(`form[action^="/organisation/membres/"]`) != 0 {
		t.Fatalf("after accepting: %q, %d members", b.text(".succes"), b.count("#membres tbody tr"))
	}
	// The link is spent.
	b.open(strings.TrimPrefix(link, ts.URL), 410)
	b.check("invitation-utilisee")

	// Claire removes Sam.
	fresh()
	b.open("/connexion", 200)
	b.do(chromedp.Click(chromedp.CSS(`.fournisseurs a[href^="/connexion/fournisseur/pro"]`)))
	signIn(proIssuer, "claire", "eidas1")
	b.waitVisible("#membres")
	got, err := s.orgs.Org(ctx, auth.Principal{Role: auth.Admin}, o.ID)
	if err != nil || len(got.Members) != 2 {
		t.Fatalf("members: %+v, %v", got.Members, err)
	}
	var sam string
	for _, m := range got.Members {
		if !m.Admin {
			sam = m.ID
		}
	}
	b.do(chromedp.Click(chromedp.CSS(`form[action="/organisation/membres/` + sam + `/retrait"] button`)))
	waitLocation(b, ts.URL+"/organisation?fait=retrait")
	b.waitVisible("#membres")
	if b.count("#membres tbody tr") != 1 {
		t.Errorf("after the removal: %d members", b.count("#membres tbody tr"))
	}

	// Angela changes her contact details: a step-up first.
	fresh()
	b.open("/connexion?retour=/mon-compte/coordonnees", 200)
	b.do(chromedp.Click(chromedp.CSS(`.fournisseurs a[href^="/connexion/fournisseur/fc"]`)))
	signIn(fcIssuer, "angela", "eidas1")
	b.waitVisible("#iban")
	b.check("coordonnees")
	fill := func(email string) {
		b.do(chromedp.SetValue(chromedp.CSS("#email"), email), chromedp.SetValue(chromedp.CSS("#telephone"), "06 12 34 56 78"),
			chromedp.SetValue(chromedp.CSS("#iban"), "FR76 3000 6000 0112 3456 7890 189"))
		b.do(chromedp.Click(chromedp.CSS(`form[action="/mon-compte/coordonnees"] button`)))
	}
	fill("angela@exemple.fr")
	signIn(fcIssuer, "angela", "eidas2")
	b.waitVisible("#iban")
	if c, _ := s.enrol.Contact(ctx, marketplace.Party{AccountID: acct}, acct); c.Email != "" {
		t.Fatal("the details changed before the step-up")
	}
	fill("angela@exemple.fr")
	waitLocation(b, ts.URL+"/mon-compte/coordonnees?fait=1")
	b.waitVisible(".succes")
	// A change now: the cooling-off notice.
	b.do(chromedp.SetValue(chromedp.CSS("#email"), "angela.dubois@exemple.fr"))
	b.do(chromedp.Click(chromedp.CSS(`form[action="/mon-compte/coordonnees"] button`)))
	b.waitVisible("#delai-securite")
	if !strings.Contains(b.text("#delai-securite"), "aucun achat n’est possible avant le") {
		t.Errorf("cooling-off notice: %q", b.text("#delai-securite"))
	}
	b.check("coordonnees-delai")
	if at, err := s.enrol.ContactChangedAt(ctx, acct); err != nil || at.IsZero() {
		t.Errorf("ContactChangedAt = %v, %v", at, err)
	}
}
