package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// A form posted within a session must carry the session's CSRF token: a
// cross-site page, which cannot read it, is refused even when the browser
// sends the cookie and an Origin that looks right.
func TestCSRFTokenRequired(t *testing.T) {
	s := newStack(t, true, nil)
	f := s.fix
	acct := s.learnerAccount(t, "255081416802538", 5000_00)
	ck := s.signedIn(t, auth.Learner, acct)
	form := url.Values{"cle": {newFormKey()}, "session": {f.english.ID + "-s2"}}
	path := "/formations/" + f.english.ID + "/inscription"
	for _, tt := range []struct {
		name  string
		token string
	}{{"no token", ""}, {"wrong token", strings.Repeat("0", 64)}, {"another session's token", s.csrfOf(t, s.signedIn(t, auth.Learner, acct))}} {
		v := cloneValues(form)
		if tt.token != "" {
			v.Set(csrfField, tt.token)
		}
		res, body := s.postRaw(t, path, v, sameSite, ck)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Action refusée") {
			t.Errorf("%s: status %d", tt.name, res.StatusCode)
		}
	}
	if ds, _, _ := s.enrol.Store().Dossiers(context.Background(), marketplace.DossierFilter{AccountID: acct}, marketplace.Page{}); len(ds) != 0 {
		t.Fatalf("a refused form created %d dossiers", len(ds))
	}
	// Every POST form of a page carries the token; the same form with it
	// goes through.
	_, body := s.get(t, "/formations/"+f.english.ID, ck)
	tok := s.csrfOf(t, ck)
	if n, m := strings.Count(body, `method="post"`), strings.Count(body, `name="csrf" value="`+tok+`"`); n == 0 || n != m {
		t.Errorf("%d POST forms, %d with the session's token", n, m)
	}
	if res, _ := s.post(t, path, form, sameSite, ck); res.StatusCode != http.StatusSeeOther {
		t.Errorf("with the token: status %d", res.StatusCode)
	}
}

func (s *stack) csrfOf(t testing.TB, ck *http.Cookie) string {
	t.Helper()
	se, err := s.store.WebSession(context.Background(), auth.SessionKey(ck.Value))
	if err != nil {
		t.Fatal(err)
	}
	return se.CSRF
}

// Sessions end after the idle timeout and after the absolute one, and
// "se déconnecter partout" ends every session of the holder.
func TestSessionLifetimeAndRevocation(t *testing.T) {
	s := newStack(t, true, nil)
	signedIn := func(ck *http.Cookie) bool {
		_, body := s.get(t, "/", ck)
		return strings.Contains(body, "Connecté")
	}
	now := time.Now()
	idle := s.session(t, auth.Session{Role: auth.Admin, Subject: "a"})
	s.store.TouchWebSession(context.Background(), auth.SessionKey(idle.Value), now.Add(-31*time.Minute))
	if signedIn(idle) {
		t.Error("a session idle for 31 minutes still signs in")
	}
	if _, err := s.store.WebSession(context.Background(), auth.SessionKey(idle.Value)); err == nil {
		t.Error("the idle session is still stored")
	}
	old := s.session(t, auth.Session{Role: auth.Admin, Subject: "a"})
	se, _ := s.store.WebSession(context.Background(), auth.SessionKey(old.Value))
	s.store.DeleteWebSession(context.Background(), se.Key)
	se.Created = now.Add(-13 * time.Hour)
	s.store.CreateWebSession(context.Background(), se)
	if signedIn(old) {
		t.Error("a session opened 13 hours ago still signs in")
	}

	phone, laptop, other := s.signedIn(t, auth.Learner, "l-1"), s.signedIn(t, auth.Learner, "l-1"), s.signedIn(t, auth.Learner, "l-2")
	if !signedIn(phone) || !signedIn(laptop) {
		t.Fatal("fresh sessions do not sign in")
	}
	if res, _ := s.post(t, "/deconnexion-partout", url.Values{}, sameSite, laptop); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", res.StatusCode)
	}
	if signedIn(phone) || signedIn(laptop) {
		t.Error("a session survives signing out everywhere")
	}
	if !signedIn(other) {
		t.Error("signing out everywhere ended another person's session")
	}
}

// Over TLS, or behind a proxy when the public address is https, the
// cookie is __Host-, Secure, and pages carry HSTS.
func TestSecureCookieBehindTLSProxy(t *testing.T) {
	s := newStackWith(t, true, nil, func(d *Deps) { d.PublicURL = "https://parcours.example" })
	res, _ := s.post(t, "/connexion-demo", url.Values{"role": {"admin"}}, sameSite)
	cs := res.Cookies()
	if len(cs) != 1 || cs[0].Name != cookieNameTLS || !cs[0].Secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode || cs[0].Path != "/" {
		t.Fatalf("cookies %v", cs)
	}
	if h := res.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
		t.Errorf("Strict-Transport-Security %q", h)
	}
}
