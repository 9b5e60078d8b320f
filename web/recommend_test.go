package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/matching/recommend"
)

func TestAccountPageRecommendations(t *testing.T) {
	s := newStack(t, false, nil)
	acct := s.learnerAccount(t, "255081416802538", 3000_00)
	ck := s.signedIn(t, auth.Learner, acct)
	res, body := s.get(t, "/mon-compte", ck)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Formations recommandées pour vous") {
		t.Fatalf("account page: %d", res.StatusCode)
	}
	if !strings.Contains(body, "Pas encore de recommandation") {
		t.Error("a new learner without target nor commune is not told how to get recommendations")
	}
	// Choosing a target and a commune (by postcode) brings the web
	// developer training with its reasons.
	res, _ = s.post(t, "/mon-compte/recommandations", url.Values{"metier": {"M1805"}, "commune": {"75001"}, "consentement": {"oui"}}, "http://example.com", ck)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving preferences: %d", res.StatusCode)
	}
	p, _ := s.recs.Preferences(context.Background(), acct)
	if p.Commune != "75056" || len(p.Targets) != 1 || !p.ViewsConsent {
		t.Errorf("preferences %+v", p)
	}
	_, body = s.get(t, "/mon-compte?fait=recommandations", ck)
	for _, want := range []string{"Vos préférences sont enregistrées", `href="/formations/` + s.fix.web.ID + `"`, "Couvre ", "qui vous manquent pour Études et développement informatique", `value="M1805" selected`} {
		if !strings.Contains(french(body), want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	// A consented view of an offer page is recorded.
	s.get(t, "/formations/"+s.fix.english.ID, ck)
	if p, _ := s.recs.Preferences(context.Background(), acct); len(p.Views) != 1 || p.Views[0].Offer != s.fix.english.ID {
		t.Errorf("views %+v", p.Views)
	}
	res, _ = s.post(t, "/mon-compte/recommandations", url.Values{"metier": {"Z9999"}}, "http://example.com", ck)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown occupation: %d", res.StatusCode)
	}
	res, _ = s.post(t, "/mon-compte/recommandations", url.Values{"commune": {"00000"}}, "http://example.com", ck)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown commune: %d", res.StatusCode)
	}
	if p2, _ := s.recs.Preferences(context.Background(), acct); p2.Commune != "75056" || len(p2.Targets) != 1 {
		t.Errorf("a refused form changed the preferences: %+v", p2)
	}
}

func TestWidgetFrame(t *testing.T) {
	s := newStack(t, false, nil)
	ctx := context.Background()
	k, err := s.widget.Issue(ctx, recommend.NewKeyInput{Site: "Mairie", Origins: []string{"https://mairie.example"}})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(referer string, cookies ...*http.Cookie) (*http.Response, string) {
		r, _ := http.NewRequest(http.MethodGet, "/widget/cadre?cle="+k.ID+"&metier=M1805&commune=75056", nil)
		r.Host = "example.com"
		if referer != "" {
			r.Header.Set("Referer", referer)
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		return s.do(t, r)
	}
	res, body := frame("https://mairie.example/page")
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != http.StatusOK || !strings.Contains(csp, "frame-ancestors https://mairie.example;") || res.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("frame for an allowed origin: %d, CSP %q, X-Frame-Options %q", res.StatusCode, csp, res.Header.Get("X-Frame-Options"))
	}
	if !strings.Contains(body, `href="http://example.com/formations/`+s.fix.web.ID+`"`) || !strings.Contains(body, "qu’exige le métier") || !strings.Contains(body, `lang="fr"`) {
		t.Errorf("frame body:\n%s", body)
	}
	// Everywhere else, the CSP is unchanged: no page may be framed.
	res, _ = s.get(t, "/")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("home page CSP %q", csp)
	}
	res, body = frame("https://evil.example/")
	if res.StatusCode != http.StatusForbidden || body != "" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("frame for another origin: %d %q", res.StatusCode, body)
	}
	// The signed-in learner sees their own recommendations.
	acct := s.learnerAccount(t, "255081416802538", 3000_00)
	if _, err := s.recs.SetPreferences(ctx, recommend.Preferences{Account: acct, Targets: []string{"M1805"}, Commune: "75056"}); err != nil {
		t.Fatal(err)
	}
	_, body = frame("https://mairie.example/page", s.signedIn(t, auth.Learner, acct))
	if !strings.Contains(body, "Vos formations recommandées") || !strings.Contains(body, "qui vous manquent") {
		t.Errorf("signed-in frame:\n%s", body)
	}
	if _, err := s.widget.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if res, _ := frame("https://mairie.example/page"); res.StatusCode != http.StatusNotFound {
		t.Errorf("revoked key: %d", res.StatusCode)
	}
	res, body = s.get(t, "/widget.js")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "/widget/cadre?") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("widget.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
