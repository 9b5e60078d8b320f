package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parcours/parcours/auth"
)

func TestOccupationPages(t *testing.T) {
	s := newStack(t, true, nil)
	res, body := s.get(t, "/metiers")
	if res.StatusCode != 200 || !strings.Contains(body, `href="/metiers/M1805"`) || !strings.Contains(body, "Support à l’entreprise") {
		t.Fatalf("occupations list: %d\n%.2000s", res.StatusCode, body)
	}
	_, body = s.get(t, "/metiers?q=comptabilite")
	if !strings.Contains(body, `href="/metiers/M1203"`) || strings.Contains(body, `href="/metiers/M1805"`) {
		t.Errorf("search for comptabilite:\n%.2000s", body)
	}

	res, body = s.get(t, "/metiers/M1805")
	for _, want := range []string{
		"<h1>Études et développement informatique</h1>",
		"Maquetter des interfaces utilisateur",
		`href="/certifications/RNCP37674"`,
		`href="/formations/`, // the fixture's published DWWM offers
		`href="/metiers/M1801"`,
		`href="/connexion-demo"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("occupation page lacks %q", want)
		}
	}
	if res.StatusCode != 200 {
		t.Errorf("status %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/metiers/Z9999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown occupation: %d", res.StatusCode)
	}
}

func TestGapPage(t *testing.T) {
	s := newStack(t, true, nil)
	gapURL := "/metiers/M1805/ce-qui-me-manque"
	if res, body := s.get(t, gapURL); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Connexion requise") {
		t.Errorf("anonymous: %d\n%.1000s", res.StatusCode, body)
	}
	mint := func(role auth.Role, sub string) *http.Cookie { return s.signedIn(t, role, sub) }
	if res, _ := s.get(t, gapURL, mint(auth.Provider, "p")); res.StatusCode != http.StatusForbidden {
		t.Errorf("provider: %d", res.StatusCode)
	}
	me := mint(auth.Learner, "learner-web")
	_, body := s.get(t, "/metiers/M1805", me)
	if !strings.Contains(body, `href="`+gapURL+`"`) {
		t.Error("the occupation page offers no gap link to a learner")
	}
	res, body := s.get(t, gapURL, me)
	if res.StatusCode != 200 || !strings.Contains(body, "vous maîtrisez 0 des") || !strings.Contains(body, `href="/formations/`) {
		t.Fatalf("gap page: %d\n%.3000s", res.StatusCode, body)
	}
	// Ticking two skills saves them and shrinks the gap.
	form := url.Values{"competence": {"rome:900124", "rome:900125"}}
	res, _ = s.post(t, gapURL, form, sameSite, me)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != gapURL+"?enregistre=1" {
		t.Fatalf("save: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = s.get(t, gapURL+"?enregistre=1", me)
	if !strings.Contains(body, "vous maîtrisez 2 des") || !strings.Contains(body, "Vos compétences sont enregistrées") || strings.Count(body, " checked") != 2 {
		t.Errorf("after saving:\n%.3000s", body)
	}
	// A skill of another occupation is refused and changes nothing.
	res, _ = s.post(t, gapURL, url.Values{"competence": {"rome:900001"}}, sameSite, me)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("foreign skill: %d", res.StatusCode)
	}
	// Unticking keeps what was declared for other occupations.
	if res, _ := s.post(t, "/metiers/M1203/ce-qui-me-manque", url.Values{"competence": {"rome:900148"}}, sameSite, me); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save for M1203: %d", res.StatusCode)
	}
	s.post(t, gapURL, url.Values{}, sameSite, me)
	_, body = s.get(t, "/metiers/M1203/ce-qui-me-manque", me)
	if !strings.Contains(body, "vous maîtrisez 1 des") {
		t.Errorf("M1203 lost its declared skill:\n%.2000s", body)
	}
	// From another site, refused.
	if res, _ := s.post(t, gapURL, form, "https://evil.example", me); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d", res.StatusCode)
	}
}
