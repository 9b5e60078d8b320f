package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/parcours/parcours/marketplace"
)

// testOPUsers are the people of the test OpenID Provider, with
// FranceConnect's identity claims. angela's match the NIR 2 55 08 14 168
// 025 38; bruno's contradict it (a man born in 1985 in Paris).
var testOPUsers = map[string]map[string]string{
	"angela": {"given_name": "Angela", "family_name": "Dubois", "birthdate": "1955-08-20", "gender": "female", "birthplace": "14168", "birthcountry": "99100"},
	"bruno":  {"given_name": "Bruno", "family_name": "Martin", "birthdate": "1985-03-02", "gender": "male", "birthplace": "75112", "birthcountry": "99100"},
	// Members of organisations, at the organisations' provider.
	"claire": {"given_name": "Claire", "family_name": "Lefèvre", "birthdate": "1980-01-01", "gender": "female"},
	"sam":    {"given_name": "Sam", "family_name": "Moreau", "birthdate": "1990-01-01", "gender": "male"},
}

const testOPSecret = "parcours-test-client-secret-0123456789"

// startTestOP runs tools/test-op.mjs (the npm package oidc-provider) on a
// free loopback port for a relying party at rpBase, and returns its issuer.
// It is stopped when the test ends. Without node or the package, the test
// fails under CI=true or PARCOURS_REQUIRE_BROWSER=1 and is skipped loudly
// otherwise.
func startTestOP(t *testing.T, rpBase string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		requireOrSkip(t, "no node (%v)", err)
	}
	root := repoRoot(t)
	module := filepath.Join(root, "build", "npm", "node_modules", "oidc-provider", "lib", "index.js")
	if _, err := os.Stat(module); err != nil {
		requireOrSkip(t, "no oidc-provider at %s (%v)", module, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	issuer := "http://127.0.0.1:" + strconv.Itoa(port)
	cfg := map[string]any{
		"issuer": issuer, "port": port, "users": testOPUsers,
		"clients": []map[string]any{{"client_id": "parcours", "client_secret": testOPSecret,
			"redirect_uris": []string{rpBase + "/connexion/retour"}, "post_logout_redirect_uris": []string{rpBase + "/"}}},
	}
	data, _ := json.Marshal(cfg)
	file := filepath.Join(t.TempDir(), "op.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(root, "tools", "test-op.mjs"), file)
	cmd.Env = append(os.Environ(), "OIDC_PROVIDER_MODULE="+module)
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := sc.Scan() && sc.Text() == "ready"
		ready <- ok
		io.Copy(io.Discard, out)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the test OpenID Provider did not start")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the test OpenID Provider did not start within 30s")
	}
	return issuer
}

// opStack serves the pages on loopback, signed in through a real test
// OpenID Provider.
func opStack(t *testing.T) (*stack, *httptest.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rp := "http://" + ln.Addr().String()
	issuer := startTestOP(t, rp)
	id, err := NewIdentity(context.Background(), []IdentityProvider{{Name: "fc", Label: "S’identifier avec FranceConnect", Issuer: issuer,
		ClientID: "parcours", ClientSecret: testOPSecret, RedirectURL: rp + "/connexion/retour", PostLogoutURL: rp + "/",
		Scopes: []string{"openid", "profile", "birth"}, ACR: "eidas1"}}, nil)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	s := newStackWith(t, false, nil, func(d *Deps) { d.Identity = id })
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.server}}
	ts.Start()
	t.Cleanup(ts.Close)
	return s, ts, issuer
}

// waitLocation waits until the tab's address starts with prefix.
func waitLocation(b *browser, prefix string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasPrefix(b.location(), prefix) {
		if time.Now().After(deadline) {
			b.t.Fatalf("the browser is at %s, not %s", b.location(), prefix)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A state changed on its way back from a real provider is refused; the
// untouched answer is accepted.
func TestTestOPStateTampering(t *testing.T) {
	_, ts, _ := opStack(t)
	run := func(tamper bool) *http.Response {
		jar, _ := cookiejar.New(nil)
		var callback *url.URL
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if r.URL.Path == "/connexion/retour" {
				callback = r.URL
				return http.ErrUseLastResponse
			}
			return nil
		}}
		res, err := c.Get(ts.URL + "/connexion/fournisseur/fc?retour=/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		// The provider's sign-in page posts to itself.
		res, err = c.PostForm(res.Request.URL.String(), url.Values{"login": {"angela"}, "acr": {"eidas1"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if callback == nil {
			t.Fatalf("the provider did not send the browser back (status %d at %s)", res.StatusCode, res.Request.URL)
		}
		q := callback.Query()
		if tamper {
			q.Set("state", flipLast(q.Get("state")))
		}
		callback.RawQuery = q.Encode()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err = c.Get(callback.String())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := run(true); res.StatusCode != http.StatusBadRequest {
		t.Errorf("tampered state: status %d, want 400", res.StatusCode)
	}
	if res := run(false); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connexion/rattachement" {
		t.Errorf("untouched answer: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// Headless Chromium signs in through the real provider: a first-time NIR
// linking refused (claims contradict the NIR) then accepted, a step-up
// before an acceptance, and logout through the provider.
func TestBrowserOpenIDSignIn(t *testing.T) {
	chromium := findChromium(t)
	s, ts, issuer := opStack(t)
	ctx := context.Background()
	// Angela's account exists (opened from her NIR), with a proposal
	// waiting for her acceptance.
	const nir = "255081416802538"
	a, _, err := s.enrol.OpenAccount(ctx, marketplace.Party{Admin: true}, nir, marketplace.Account{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.enrol.Credit(ctx, "seed", a.ID, 5000_00, time.Now()); err != nil {
		t.Fatal(err)
	}
	d, err := s.enrol.Request(ctx, marketplace.Party{AccountID: a.ID}, marketplace.Idem{}, s.fix.english.ID, s.fix.english.ID+"-s2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.enrol.Propose(ctx, marketplace.Party{ProviderID: s.fix.languages.ID}, marketplace.Idem{}, d.ID, 0, ""); err != nil {
		t.Fatal(err)
	}

	var out lockedBuffer
	bctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	bctx, cancelAlloc := chromedp.NewExecAllocator(bctx, chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.CombinedOutput(&out))
	defer cancelAlloc()
	bctx, cancelTab := chromedp.NewContext(bctx)
	defer cancelTab()
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: guard}); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromium, err, out.String())
	}
	b := &browser{t: t, ctx: bctx, base: ts.URL}
	signIn := func(login, acr string) {
		t.Helper()
		b.waitVisible("#login")
		if !strings.HasPrefix(b.location(), issuer+"/interaction/") {
			t.Fatalf("not at the provider: %s", b.location())
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#login"), login), chromedp.SetValue(chromedp.CSS("#acr"), acr))
		b.do(chromedp.Click(chromedp.CSS("#submit")))
	}

	// Bruno's identity contradicts the NIR he types: refused.
	b.open("/connexion", 200)
	b.do(chromedp.Click(chromedp.CSS(".fournisseurs a")))
	signIn("bruno", "eidas1")
	b.waitVisible("#nir")
	if loc := b.location(); loc != ts.URL+"/connexion/rattachement" {
		t.Fatalf("after the first sign-in: %s", loc)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#nir"), nir))
	b.navigate(chromedp.Click(chromedp.CSS(`form[action="/connexion/rattachement"] button`)), 422)
	if msg := b.text("#erreur-nir"); !strings.Contains(msg, "ne correspond pas") {
		t.Fatalf("refused linking: %q", msg)
	}
	if _, err := s.store.Link(ctx, issuer, "bruno"); err == nil {
		t.Fatal("bruno was linked")
	}

	// A fresh browser: Angela links her account.
	if _, err := chromedp.Call(bctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.open("/connexion?retour=/mon-compte", 200)
	b.do(chromedp.Click(chromedp.CSS(".fournisseurs a")))
	signIn("angela", "eidas1")
	b.waitVisible("#nir")
	b.do(chromedp.SendKeys(chromedp.CSS("#nir"), "2 55 08 14 168 025 38"))
	b.do(chromedp.Click(chromedp.CSS(`form[action="/connexion/rattachement"] button`)))
	b.waitVisible("#dossier-" + d.ID)
	if loc := b.location(); loc != ts.URL+"/mon-compte" {
		t.Fatalf("after linking: %s", loc)
	}
	if acct, err := s.store.Link(ctx, issuer, "angela"); err != nil || acct != a.ID {
		t.Fatalf("link %q, %v; want %s", acct, err, a.ID)
	}

	// Accepting needs a step-up: through the provider at eidas2 and back.
	accept := `#dossier-` + d.ID + ` input[value="accepter"] ~ button`
	b.do(chromedp.Click(chromedp.CSS(accept)))
	signIn("angela", "eidas2")
	b.waitVisible(accept)
	if got, _ := s.enrol.Dossier(ctx, marketplace.Party{Admin: true}, d.ID); got.State != marketplace.Validated {
		t.Fatalf("money moved before the step-up: %s", got.State)
	}
	b.do(chromedp.Click(chromedp.CSS(accept)))
	waitLocation(b, ts.URL+"/mon-compte?fait=accepter")
	if got, _ := s.enrol.Dossier(ctx, marketplace.Party{Admin: true}, d.ID); got.State != marketplace.Accepted {
		t.Fatalf("after the step-up: %s", got.State)
	}

	// Logout: here, then at the provider, which asks to confirm and sends
	// the browser back home.
	b.do(chromedp.Click(chromedp.CSS(`form[action="/deconnexion"] button`)))
	waitLocation(b, issuer+"/session/end")
	b.waitVisible("#logout")
	b.do(chromedp.Click(chromedp.CSS("#logout")))
	waitLocation(b, ts.URL+"/")
	b.waitVisible("main")
	if strings.Contains(b.text("body"), "Connecté") {
		t.Error("still signed in after logout")
	}
}
