package web

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// fakeOP is a minimal OpenID Provider for the checks that a real one
// cannot be made to fail: it signs the ID token it is told to, tampered
// or not. The end-to-end run against a real provider (oidc-provider) is
// in op_test.go.
type fakeOP struct {
	srv   *httptest.Server
	key   *rsa.PrivateKey
	other *rsa.PrivateKey // signs forged tokens
	mu    sync.Mutex
	// The last authorisation request.
	challenge, nonce, acrValues, prompt string
	// What the next token answer does.
	tamper string // "", "nonce", "audience", "signature", "issuer", "expired"
	acr    string
	claims map[string]any
}

func newFakeOP(t testing.TB) *fakeOP {
	t.Helper()
	op := &fakeOP{acr: "eidas1"}
	var err error
	if op.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if op.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	iss := op.srv.URL
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss, "authorization_endpoint": iss + "/auth", "token_endpoint": iss + "/token",
			"jwks_uri": iss + "/jwks", "end_session_endpoint": iss + "/logout",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		op.mu.Lock()
		defer op.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "good-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != op.challenge {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": op.idToken(t, iss)})
	})
	return op
}

// idToken signs the ID token of the next answer; op.mu is held.
func (op *fakeOP) idToken(t testing.TB, iss string) string {
	now := time.Now()
	c := jwt.Claims{Issuer: iss, Subject: "fc-sub-1", Audience: jwt.Audience{"parcours-test"},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}
	extra := map[string]any{"nonce": op.nonce, "acr": op.acr, "auth_time": now.Unix(),
		"given_name": "Angela", "family_name": "Dubois", "gender": "female", "birthdate": "1955-08-20", "birthplace": "14168", "birthcountry": "99100"}
	for k, v := range op.claims {
		extra[k] = v
	}
	key := op.key
	switch op.tamper {
	case "nonce":
		extra["nonce"] = "another-nonce"
	case "audience":
		c.Audience = jwt.Audience{"another-client"}
	case "signature":
		key = op.other
	case "issuer":
		c.Issuer = "https://evil.example"
	case "expired":
		c.Expiry = jwt.NewNumericDate(now.Add(-time.Hour))
		c.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Hour))
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(c).Claims(extra).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func newOIDCStack(t *testing.T) (*stack, *fakeOP) {
	t.Helper()
	op := newFakeOP(t)
	id, err := NewIdentity(context.Background(), []IdentityProvider{{Name: "fc", Label: "FranceConnect", Issuer: op.srv.URL,
		ClientID: "parcours-test", ClientSecret: "s3cret", RedirectURL: "http://example.com/connexion/retour",
		PostLogoutURL: "http://example.com/", ACR: "eidas1"}}, op.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	s := newStackWith(t, false, nil, func(d *Deps) { d.Identity = id })
	return s, op
}

// begin starts a sign-in and returns the login cookie and the state; the
// fake provider remembers the PKCE challenge and the nonce.
func (s *stack) begin(t *testing.T, op *fakeOP, query string, cookies ...*http.Cookie) (*http.Cookie, string) {
	t.Helper()
	res, _ := s.get(t, "/connexion/fournisseur/fc?"+query, cookies...)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", res.StatusCode)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.String(), op.srv.URL+"/auth?") {
		t.Fatalf("redirect to %q", res.Header.Get("Location"))
	}
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("state") == "" || q.Get("nonce") == "" || q.Get("client_id") != "parcours-test" {
		t.Fatalf("authorisation request lacks PKCE, state or nonce: %v", q)
	}
	op.mu.Lock()
	op.challenge, op.nonce, op.acrValues, op.prompt = q.Get("code_challenge"), q.Get("nonce"), q.Get("acr_values"), q.Get("prompt")
	op.mu.Unlock()
	var login *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "parcours_login" {
			login = c
		}
	}
	if login == nil || !login.HttpOnly || login.SameSite != http.SameSiteLaxMode {
		t.Fatalf("login cookie %v", login)
	}
	return login, q.Get("state")
}

func sessionCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == cookieName && c.MaxAge >= 0 && c.Value != "" {
			return c
		}
	}
	return nil
}

// Tampered answers are refused and open no session: a state that is not
// this browser's, an ID token with another nonce, audience or issuer, one
// signed with another key, an expired one, a code without its PKCE
// verifier, or a replayed callback.
func TestSignInRefusesTamperedAnswers(t *testing.T) {
	s, op := newOIDCStack(t)
	for _, tamper := range []string{"state", "nonce", "audience", "signature", "issuer", "expired", "code", "no login cookie", "replay"} {
		t.Run(tamper, func(t *testing.T) {
			login, state := s.begin(t, op, "retour=/mon-compte")
			op.mu.Lock()
			op.tamper = tamper
			op.mu.Unlock()
			q := url.Values{"state": {state}, "code": {"good-code"}}
			cookies := []*http.Cookie{login}
			switch tamper {
			case "state":
				q.Set("state", flipLast(state))
			case "code":
				q.Set("code", "forged-code")
			case "no login cookie":
				cookies = nil
			case "replay":
				op.mu.Lock()
				op.tamper = ""
				op.mu.Unlock()
				if res, _ := s.get(t, "/connexion/retour?"+q.Encode(), cookies...); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("first callback: %d", res.StatusCode)
				}
			}
			res, body := s.get(t, "/connexion/retour?"+q.Encode(), cookies...)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "La connexion n’a pas abouti") {
				t.Errorf("status %d", res.StatusCode)
			}
			if ck := sessionCookie(res); ck != nil {
				t.Errorf("a refused answer opened a session")
			}
		})
	}
	op.tamper = ""
}

// First sign-in: the NIR is asked once, checked against the identity
// claims (a contradicting one is refused), then linked; the next sign-in
// finds the account from the provider's subject. Step-up before an
// acceptance goes through the provider at eidas2 and back; logout goes
// through the provider's end-session endpoint.
func TestSignInLinkingStepUpAndLogout(t *testing.T) {
	s, op := newOIDCStack(t)
	login, state := s.begin(t, op, "retour=/mon-compte")
	if op.acrValues != "eidas1" {
		t.Errorf("ordinary sign-in asks acr_values %q", op.acrValues)
	}
	res, _ := s.get(t, "/connexion/retour?"+url.Values{"state": {state}, "code": {"good-code"}}.Encode(), login)
	pending := sessionCookie(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connexion/rattachement" || pending == nil {
		t.Fatalf("unlinked identity: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body := s.get(t, "/mon-compte", pending); strings.Contains(body, "Connecté") {
		t.Fatal("signed in before the NIR is linked")
	}
	_, body := s.get(t, "/connexion/rattachement", pending)
	if !strings.Contains(body, "Bonjour Angela") || !strings.Contains(body, `name="csrf"`) {
		t.Fatalf("linking page:\n%.2000s", body)
	}
	// A valid NIR of a man born in 1985 contradicts the identity.
	res, body = s.post(t, "/connexion/rattachement", url.Values{"nir": {"185037512345641"}}, sameSite, pending)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "ne correspond pas à l’identité") || strings.Contains(body, "185037512345641") {
		t.Fatalf("contradicting NIR: %d", res.StatusCode)
	}
	if _, err := s.store.Link(context.Background(), op.srv.URL, "fc-sub-1"); err == nil {
		t.Fatal("a refused NIR was linked")
	}
	res, _ = s.post(t, "/connexion/rattachement", url.Values{"nir": {"2 55 08 14 168 025 38"}}, sameSite, pending)
	learner := sessionCookie(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/mon-compte" || learner == nil {
		t.Fatalf("matching NIR: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	acct, err := s.store.Link(context.Background(), op.srv.URL, "fc-sub-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, body := s.get(t, "/", pending); strings.Contains(body, "Connecté") {
		t.Error("the pending session survives the linking")
	}
	if _, body := s.get(t, "/", learner); !strings.Contains(body, "Connecté : <strong>Apprenant</strong>") {
		t.Error("not signed in after linking")
	}
	// The next sign-in finds the account at once.
	login, state = s.begin(t, op, "retour=/mon-compte")
	res, _ = s.get(t, "/connexion/retour?"+url.Values{"state": {state}, "code": {"good-code"}}.Encode(), login)
	learner = sessionCookie(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/mon-compte" || learner == nil {
		t.Fatalf("second sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	se, _ := s.store.WebSession(context.Background(), auth.SessionKey(learner.Value))
	if se.Subject != acct || se.ACR != "eidas1" {
		t.Fatalf("session %+v", se)
	}
	// That sign-in came from a browser without the device cookie of the
	// first: the account page tells of a new device.
	if _, body := s.get(t, "/mon-compte", learner); !strings.Contains(body, "Connexion depuis un nouvel appareil") {
		t.Error("no notice of the new device")
	}
	if ds, _ := s.store.Devices(context.Background(), acct); len(ds) != 2 {
		t.Errorf("%d devices recorded, want 2", len(ds))
	}

	// An eidas1 sign-in may not accept a proposal: the page sends the
	// learner to the provider at eidas2 and nothing moves.
	ctx := context.Background()
	if err := s.enrol.Credit(ctx, "seed", acct, 5000_00, time.Now()); err != nil {
		t.Fatal(err)
	}
	d, err := s.enrol.Request(ctx, marketplace.Party{AccountID: acct}, marketplace.Idem{}, s.fix.english.ID, s.fix.english.ID+"-s2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.enrol.Propose(ctx, marketplace.Party{ProviderID: s.fix.languages.ID}, marketplace.Idem{}, d.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	accept := url.Values{"action": {"accepter"}, "cle": {newFormKey()}}
	res, _ = s.post(t, "/mon-compte/dossiers/"+d.ID, accept, sameSite, learner)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/connexion/fournisseur/fc?niveau=renforce&retour=") {
		t.Fatalf("acceptance without step-up: %d to %q", res.StatusCode, loc)
	}
	if got, _ := s.enrol.Dossier(ctx, marketplace.Party{Admin: true}, d.ID); got.State != marketplace.Validated {
		t.Fatalf("money moved without step-up: %s", got.State)
	}
	login, state = s.begin(t, op, strings.TrimPrefix(loc, "/connexion/fournisseur/fc?"), learner)
	if op.acrValues != "eidas2" || op.prompt != "login" {
		t.Errorf("step-up asks acr_values %q prompt %q", op.acrValues, op.prompt)
	}
	// A provider answering with eidas1 to a step-up is refused.
	res, _ = s.get(t, "/connexion/retour?"+url.Values{"state": {state}, "code": {"good-code"}}.Encode(), login)
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("step-up answered at eidas1: %d", res.StatusCode)
	}
	login, state = s.begin(t, op, strings.TrimPrefix(loc, "/connexion/fournisseur/fc?"), learner)
	op.mu.Lock()
	op.acr = "eidas2"
	op.mu.Unlock()
	res, _ = s.get(t, "/connexion/retour?"+url.Values{"state": {state}, "code": {"good-code"}}.Encode(), login)
	strong := sessionCookie(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/mon-compte#dossier-"+d.ID || strong == nil {
		t.Fatalf("step-up: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	accept.Set("cle", newFormKey())
	if res, _ = s.post(t, "/mon-compte/dossiers/"+d.ID, accept, sameSite, strong); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/mon-compte?fait=accepter") {
		t.Fatalf("acceptance after step-up: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got, _ := s.enrol.Dossier(ctx, marketplace.Party{Admin: true}, d.ID); got.State != marketplace.Accepted {
		t.Fatalf("after step-up: %s", got.State)
	}

	// Logout ends the session here and at the provider.
	res, _ = s.post(t, "/deconnexion", url.Values{}, sameSite, strong)
	u, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(u.String(), op.srv.URL+"/logout?") || u.Query().Get("id_token_hint") == "" ||
		u.Query().Get("post_logout_redirect_uri") != "http://example.com/" {
		t.Errorf("logout: %d to %q", res.StatusCode, u)
	}
	if _, body := s.get(t, "/", strong); strings.Contains(body, "Connecté") {
		t.Error("still signed in after logout")
	}
}

// The return address after a sign-in stays on this site.
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{"/mon-compte": "/mon-compte", "https://evil.example/": "/", "//evil.example": "/", "/\\evil.example": "/", "": "/", "mon-compte": "/"} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// flipLast changes the last character of a hex string.
func flipLast(s string) string {
	last := "0"
	if strings.HasSuffix(s, "0") {
		last = "1"
	}
	return s[:len(s)-1] + last
}
