package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
)

// get sends a request to the stack and returns the status and body.
func (s *stack) do(t *testing.T, r *http.Request) (*http.Response, string) {
	t.Helper()
	w := httptest.NewRecorder()
	s.server.ServeHTTP(w, r)
	res := w.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (s *stack) get(t *testing.T, path string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return s.do(t, r)
}

// post sends a form as a browser on the site would, with an Origin header
// and, when a cookie opens a session, the session's CSRF token as the page's
// form would carry it.
func (s *stack) post(t *testing.T, path string, form url.Values, origin string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	for _, c := range cookies {
		if c.Name != cookieName {
			continue
		}
		if se, err := s.store.WebSession(context.Background(), auth.SessionKey(c.Value)); err == nil && form.Get(csrfField) == "" {
			form = cloneValues(form)
			form.Set(csrfField, se.CSRF)
		}
	}
	return s.postRaw(t, path, form, origin, cookies...)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// postRaw sends a form as it is.
func (s *stack) postRaw(t *testing.T, path string, form url.Values, origin string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return s.do(t, r)
}

// httptest.NewRequest uses this host.
const sameSite = "http://example.com"

// french writes spaces as the pages do, so tests can spell amounts plainly:
// "1 250 €" in a test matches "1\u202f250\u00a0€" in a page.
func french(s string) string {
	s = regexp.MustCompile(`(\d) (\d{3})`).ReplaceAllString(s, "$1"+thinSpace+"$2")
	return regexp.MustCompile(`(\d) ([\p{L}€])`).ReplaceAllString(s, "$1"+nbsp+"$2")
}

func TestPages(t *testing.T) {
	s := newStack(t, true, nil)
	f := s.fix
	next := time.Now().AddDate(0, 2, 0)
	tests := []struct {
		path   string
		status int
		want   []string
		not    []string
	}{
		{"/", 200, []string{
			"<title>Parcours</title>", `<html lang="fr">`, "Aller au contenu", `<main id="contenu"`,
			`<label for="q">`, `name="q"`, "Rechercher", `<option value="84">Auvergne-Rhône-Alpes</option>`,
			`href="/regions/11">Île-de-France</a>`, french(`href="/regions/06">Mayotte</a><span class="nombre">0 formation</span>`),
			"Le classement ne dépend que de votre recherche",
			`href="/certifications/RS9870"`, "Voir toutes les certifications",
			"Mode démonstration", "Service public de la formation – données de démonstration",
			`href="/api/v1/openapi.json">Documentation de l’API</a>`, `href="/connexion-demo"`,
		}, []string{"Connecté"}},
		{"/recherche?q=anglais", 200, []string{
			"<title>anglais – Recherche – Parcours</title>", "Résultats pour « anglais »",
			// One provider's two offers for one certification: one result.
			french("1 résultat (2 formations)"), "Et 1" + nbsp + "autre formation de cet organisme pour cette certification.",
			"RS9455", "Institut des langues vivantes · ", "À distance", "à partir du " + frenchDate(next),
			"Pas encore d’avis", "<summary>Pourquoi ce rang ?</summary>", "Niveau de pertinence 4 sur 4",
			`<h2 id="titre-facettes">Affiner</h2>`, `href="/recherche?modalite=presentiel&amp;q=anglais"`,
		}, []string{f.withdrawn.Title, "Page suivante"}},
		{"/recherche?q=ANGLAIS&utm_source=x", 200, []string{french("1 résultat (2 formations)")}, nil},
		{"/recherche?q=anglais&lieu=Villeurbanne&rayon=10", 200, []string{french("à 3,1 km"), "à moins de 10" + nbsp + "km de Villeurbanne (69)"}, nil},
		{"/recherche?q=anglais&lieu=Paris&rayon=10", 200, []string{french("0 formation")}, nil},
		{"/recherche?q=anglais&lieu=nulle-part-ici", 400, []string{"n’a pas été trouvé"}, nil},
		{"/recherche?q=anglais&lieu=Lyon&rayon=-4", 400, []string{"Le rayon doit être"}, nil},
		{"/recherche?q=anglais&tri=distance", 400, []string{"Pour trier par distance, indiquez un lieu."}, nil},
		{"/recherche?q=anglais&prix_max=1000&tri=prix", 200, []string{french("1 formation"), f.englishRemote.Title, "Vous avez choisi de trier par prix"}, []string{f.english.Title}},
		{"/recherche?q=anglais&modalite=distance", 200, []string{french("1 formation"), f.englishRemote.Title, "Filtres : modalité à distance."}, []string{f.english.Title}},
		{"/recherche?q=xylophone", 200, []string{french("0 formation"), "Aucune formation ne correspond à cette recherche", "vérifiez l’orthographe"}, nil},
		{"/recherche?certification=rs9870&region=93", 200, []string{french("1 résultat (2 formations)"), "Filtres : région Provence-Alpes-Côte d&#39;Azur, certification RS9870."}, nil},
		{"/recherche?region=99", 400, []string{"Demande incorrecte", "La région demandée n’existe pas"}, nil},
		{"/recherche?certification=ABC", 400, []string{"Le code de certification doit être RNCP ou RS"}, nil},
		{"/recherche?modalite=avion", 400, []string{"La modalité doit être"}, nil},
		{"/recherche?q=anglais&page=%21%21", 400, []string{"Le lien de cette page de résultats n’est pas valide"}, nil},
		{"/recherche?q=" + strings.Repeat("a", 201), 400, []string{"La recherche est trop longue"}, nil},
		{"/regions/84", 200, []string{"Formations en région Auvergne-Rhône-Alpes", french("1 résultat (2 formations)"), `<option value="84" selected>`}, nil},
		{"/regions/99", 404, []string{"Page introuvable", "Cette région n’existe pas"}, nil},
		{"/certifications", 200, []string{"<h1>Certifications</h1>", `href="/certifications/RNCP37674">RNCP37674</a>`, "Répertoire national (RNCP)", french("25 formations")}, []string{"RNCP99979"}},
		{"/certifications/RNCP37674", 200, []string{"RNCP37674 – Développeur web et web mobile", f.web.Title, french("6 900 €"), "Mixte"}, nil},
		{"/certifications/rncp37674", 200, []string{f.web.Title}, nil},
		{"/certifications/RNCP99979", 404, []string{"Aucune formation publiée ne prépare à cette certification"}, nil},
		{"/certifications/pas-un-code", 404, []string{"Page introuvable"}, nil},
		{"/formations/" + f.english.ID, 200, []string{
			"<h1>Anglais professionnel, préparation au TOEIC</h1>", french("1 250 €"), french("35 heures"), "Présentiel",
			"Lyon (Rhône, 69)", "<li>Expression orale</li>", "Une formation pour progresser vite.</p><p>Petits groupes",
			`<a href="/organismes/` + f.languages.ID + `">Institut des langues vivantes</a>`,
			"Certifié Qualiopi jusqu’au 3" + nbsp + "mars " + strconv.Itoa(time.Now().Year()+1),
			"Prochaine session à partir du " + frenchDate(next), "commencée", french("12 places"),
		}, []string{"Formation non publiée"}},
		{"/formations/" + f.englishRemote.ID, 200, []string{"À distance – organisme situé à Lyon (Rhône, 69)"}, nil},
		{"/formations/" + f.draft.ID, 404, []string{"Cette formation n’existe pas ou n’est plus publiée."}, []string{f.draft.Title}},
		{"/formations/" + f.withdrawn.ID, 404, nil, []string{f.withdrawn.Title}},
		{"/formations/inconnue", 404, []string{"Page introuvable"}, nil},
		{"/organismes/" + f.languages.ID, 200, []string{
			"<h1>Institut des langues vivantes</h1>", "Organisme de formation – Lyon (Rhône, 69)",
			siret(f.languages.SIRET), f.languages.NDA, "Certifié Qualiopi jusqu’au", "QUALIOPI-0001, délivré par Bureau Certification Exemple",
			`href="https://organisme.example/"`, "Ses formations publiées", french("27 formations"), `<h3 class="carte-titre">`, "Page suivante",
		}, []string{f.withdrawn.Title}},
		{"/organismes/" + f.lapsed.ID, 200, []string{"Certification Qualiopi non valide", "Cet organisme n’a aucune formation publiée"}, []string{"QUALIOPI-0003"}},
		{"/organismes/inconnu", 404, []string{"Cet organisme de formation n’existe pas."}, nil},
		{"/transparence", 200, []string{"<h1>Transparence du classement</h1>", "Écart d’exposition : la formule", "distance de variation totale", "Préséance systématique",
			"La clé du tirage change chaque jour", "au plus 3 résultats d’un même organisme", `aria-current="page">Transparence du classement`,
			"Les indicateurs n’ont pas encore été calculés"}, nil},
		{"/connexion-demo", 200, []string{"<h1>Connexion de démonstration</h1>", `name="role" value="provider" checked`, "Académie du numérique", `aria-current="page">Connexion démo`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := s.get(t, tt.path)
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if n := strings.Count(body, "<h1"); n != 1 {
				t.Errorf("%d h1 headings, want 1", n)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(body, w) {
					t.Errorf("the page shows %q", w)
				}
			}
			if t.Failed() && testing.Verbose() {
				t.Log(body)
			}
		})
	}
}

func TestTransparencyShowsTheIndicators(t *testing.T) {
	s := newStack(t, false, nil)
	if err := s.monitor.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ind, _ := s.monitor.Latest()
	_, body := s.get(t, "/transparence")
	for _, want := range []string{
		`id="ecart-exposition">` + strings.Replace(strconv.FormatFloat(ind.ExposureDisparity, 'f', 3, 64), ".", ",", 1) + "<",
		`id="preseance">` + strings.Replace(strconv.FormatFloat(ind.SystematicPrecedence, 'f', 3, 64), ".", ",", 1) + "<",
		"rejouées depuis 20" + nbsp + "adresses",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestNoInlineStyleOrScript keeps the pages within the strict CSP, which
// forbids inline styles and scripts.
func TestNoInlineStyleOrScript(t *testing.T) {
	s := newStack(t, true, nil)
	bad := regexp.MustCompile(`<style|style=|<script>|<script [^>]*>[^<]|\son[a-z]+=`)
	for _, path := range []string{"/", "/recherche?q=anglais", "/formations/" + s.fix.english.ID, "/organismes/" + s.fix.languages.ID, "/certifications", "/connexion-demo", "/regions/99", "/transparence"} {
		_, body := s.get(t, path)
		if m := bad.FindString(body); m != "" {
			t.Errorf("%s has inline code %q", path, m)
		}
	}
}

// TestPagination follows the next links of a search: every result once,
// as many as the count says. The demo set gives many providers, so that
// results are not all grouped into a few.
func TestPagination(t *testing.T) {
	cat := demo.Catalogue(demo.Options{Seed: 3, Providers: 30, Offers: 300, Now: time.Now()}, geo.Default())
	s := newStack(t, false, &cat)
	seen := map[string]bool{}
	path := "/recherche?modalite=presentiel"
	link := regexp.MustCompile(`href="(/recherche\?[^"]*)" rel="next"`)
	cardRE := regexp.MustCompile(`<a href="/formations/([^"]+)">`)
	totalRE := regexp.MustCompile(`<strong>([0-9\x{202f}]+)\x{a0}résultats`)
	total := -1
	for pages := 0; path != ""; pages++ {
		if pages > 30 {
			t.Fatal("the pagination does not end")
		}
		res, body := s.get(t, path)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		m := totalRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no total", path)
		}
		n, _ := strconv.Atoi(strings.ReplaceAll(m[1], thinSpace, ""))
		if total >= 0 && n != total {
			t.Errorf("%s: total %d, was %d", path, n, total)
		}
		total = n
		if pages > 0 && !strings.Contains(body, "Première page") {
			t.Errorf("%s: no link back to the first page", path)
		}
		for _, m := range cardRE.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("offer %s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := link.FindStringSubmatch(body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.Contains(path, "modalite=presentiel") {
				t.Errorf("the next link %q loses the query", path)
			}
		}
	}
	if len(seen) != total || total < 25 {
		t.Errorf("%d results over the pages, the count says %d", len(seen), total)
	}
}

func TestDemoSignInIsOnlyInDemoMode(t *testing.T) {
	s := newStack(t, false, nil)
	if res, _ := s.get(t, "/connexion-demo"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /connexion-demo: status %d, want 404", res.StatusCode)
	}
	form := url.Values{"role": {"admin"}}
	if res, _ := s.post(t, "/connexion-demo", form, sameSite); res.StatusCode == http.StatusOK {
		t.Errorf("POST /connexion-demo: status %d", res.StatusCode)
	}
	_, body := s.get(t, "/")
	for _, w := range []string{"Mode démonstration", "données de démonstration", "/connexion-demo"} {
		if strings.Contains(body, w) {
			t.Errorf("the home page shows %q outside demo mode", w)
		}
	}
}

func TestDemoSignIn(t *testing.T) {
	s := newStack(t, true, nil)
	f := s.fix
	res, body := s.post(t, "/connexion-demo", url.Values{"role": {"provider"}, "organisme": {f.digital.ID}}, sameSite)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	var ck *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == cookieName {
			ck = c
		}
	}
	if ck == nil {
		t.Fatal("no session cookie")
	}
	// Lax, not Strict: the OpenID Provider sends the browser back by a
	// cross-site navigation (see setSessionCookie).
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q Secure=%v; want HttpOnly, Lax, /, not Secure over plain HTTP", ck.HttpOnly, ck.SameSite, ck.Path, ck.Secure)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on the page showing the token", cc)
	}
	// The cookie holds a session identifier, not a token; the store keeps
	// only its hash, with the demo's step-up level.
	if _, err := s.tokens.Verify(ck.Value); err == nil {
		t.Error("the cookie holds a bearer token")
	}
	se, err := s.store.WebSession(context.Background(), auth.SessionKey(ck.Value))
	if err != nil || se.Role != auth.Provider || se.Subject != f.digital.ID || se.ACR != "eidas2" || se.CSRF == "" {
		t.Fatalf("session %+v, %v", se, err)
	}
	if _, err := s.store.WebSession(context.Background(), ck.Value); err == nil {
		t.Error("the store is keyed by the cookie's value itself")
	}
	m := regexp.MustCompile(`(?s)<textarea id="jeton"[^>]*>([^<]+)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no token shown")
	}
	token := strings.TrimSpace(m[1])
	p, err := s.tokens.Verify(token)
	if err != nil || p.Role != auth.Provider || p.Subject != f.digital.ID {
		t.Fatalf("token holder %+v, %v", p, err)
	}
	for _, w := range []string{"Authorization: Bearer " + token, "Connecté : <strong>Organisme de formation</strong> – Académie du numérique"} {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}

	// The banner follows the cookie on later pages.
	_, body = s.get(t, "/", ck)
	if !strings.Contains(body, "Connecté : <strong>Organisme de formation</strong> – Académie du numérique") {
		t.Error("the banner does not show who is signed in")
	}
	if strings.Contains(body, token) {
		t.Error("the token is shown again")
	}
	// A provider sees its own draft, with a note; the public does not.
	res, body = s.get(t, "/formations/"+f.draft.ID, ck)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Formation non publiée") || !strings.Contains(body, f.draft.Title) {
		t.Errorf("own draft: status %d", res.StatusCode)
	}
	// Not another provider's.
	if res, _ := s.get(t, "/formations/"+f.draft.ID, s.signedIn(t, auth.Provider, f.languages.ID)); res.StatusCode != http.StatusNotFound {
		t.Errorf("another provider's draft: status %d, want 404", res.StatusCode)
	}
	if res, _ := s.get(t, "/formations/"+f.withdrawn.ID, s.signedIn(t, auth.Admin, "root")); res.StatusCode != http.StatusOK {
		t.Errorf("withdrawn offer seen by an administrator: status %d, want 200", res.StatusCode)
	}
	if res, _ := s.get(t, "/formations/"+f.draft.ID, s.signedIn(t, auth.Learner, "l-1")); res.StatusCode != http.StatusNotFound {
		t.Errorf("draft seen by a learner: status %d, want 404", res.StatusCode)
	}

	// An unknown session is ignored.
	res, body = s.get(t, "/", &http.Cookie{Name: cookieName, Value: ck.Value + "x"})
	if res.StatusCode != http.StatusOK || strings.Contains(body, "Connecté") {
		t.Errorf("forged cookie: status %d, signed in %v", res.StatusCode, strings.Contains(body, "Connecté"))
	}

	// Sign-out clears the cookie.
	res, _ = s.post(t, "/deconnexion", nil, sameSite, ck)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("sign-out: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	cleared := false
	for _, c := range res.Cookies() {
		cleared = cleared || c.Name == cookieName && c.MaxAge < 0
	}
	if !cleared {
		t.Error("sign-out does not clear the cookie")
	}
	if _, err := s.store.WebSession(context.Background(), se.Key); err == nil {
		t.Error("sign-out leaves the session in the store")
	}
	if _, body := s.get(t, "/", ck); strings.Contains(body, "Connecté") {
		t.Error("the old cookie still signs in after sign-out")
	}
}

func TestDemoSignInRoles(t *testing.T) {
	s := newStack(t, true, nil)
	tests := []struct {
		form        url.Values
		status      int
		wantSubject string
	}{
		{url.Values{"role": {"learner"}}, 200, "demo-learner"},
		{url.Values{"role": {"controller"}, "identifiant": {"ctl-42"}}, 200, "ctl-42"},
		{url.Values{"role": {"superuser"}}, 400, ""},
		{url.Values{"role": {"provider"}, "organisme": {"org-99"}}, 400, ""},
		{url.Values{"role": {"employer"}, "identifiant": {"deux mots"}}, 400, ""},
		{url.Values{"role": {"employer"}, "identifiant": {strings.Repeat("x", 65)}}, 400, ""},
	}
	for _, tt := range tests {
		res, body := s.post(t, "/connexion-demo", tt.form, sameSite)
		if res.StatusCode != tt.status {
			t.Errorf("%v: status %d, want %d", tt.form, res.StatusCode, tt.status)
			continue
		}
		if tt.status != 200 {
			if len(res.Cookies()) != 0 {
				t.Errorf("%v: a refused sign-in sets a cookie", tt.form)
			}
			if !strings.Contains(body, "Demande incorrecte") {
				t.Errorf("%v: no French error", tt.form)
			}
			continue
		}
		se, err := s.store.WebSession(context.Background(), auth.SessionKey(res.Cookies()[0].Value))
		if err != nil || se.Subject != tt.wantSubject {
			t.Errorf("%v: subject %q (%v), want %q", tt.form, se.Subject, err, tt.wantSubject)
		}
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	s := newStack(t, true, nil)
	r := httptest.NewRequest(http.MethodPost, "https://example.com/connexion-demo", strings.NewReader("role=admin"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://example.com")
	res, _ := s.do(t, r)
	if cs := res.Cookies(); len(cs) != 1 || !cs[0].Secure || cs[0].Name != cookieNameTLS || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("cookies over TLS %v, want one Secure, HttpOnly, Lax __Host- cookie", cs)
	}
}

func TestPostFromAnotherSiteIsRefused(t *testing.T) {
	s := newStack(t, true, nil)
	form := url.Values{"role": {"admin"}}
	tests := []struct {
		name            string
		origin, referer string
		status          int
	}{
		{"no origin nor referer", "", "", 403},
		{"other origin", "https://evil.example", "", 403},
		{"other port", "http://example.com:8080", "", 403},
		{"null origin, no referer", "null", "", 403},
		{"other referer", "", "https://evil.example/page", 403},
		{"not a web origin", "javascript://example.com", "", 403},
		{"same origin", sameSite, "", 200},
		{"same-site referer", "", sameSite + "/connexion-demo", 200},
	}
	for _, tt := range tests {
		for _, path := range []string{"/connexion-demo", "/deconnexion"} {
			r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				r.Header.Set("Referer", tt.referer)
			}
			res, body := s.do(t, r)
			want := tt.status
			if path == "/deconnexion" && want == 200 {
				want = http.StatusSeeOther
			}
			if res.StatusCode != want {
				t.Errorf("%s, %s: status %d, want %d", tt.name, path, res.StatusCode, want)
			}
			if want == 403 {
				if len(res.Cookies()) != 0 {
					t.Errorf("%s, %s: a refused request changes the cookie", tt.name, path)
				}
				if !strings.Contains(body, "Action refusée") {
					t.Errorf("%s, %s: no French explanation", tt.name, path)
				}
			}
		}
	}
}

func TestEscaping(t *testing.T) {
	s := newStack(t, true, nil)
	o := s.fix.english
	o.Title = `Anglais <script>alert("x")</script>`
	o.Skills = []string{"<b>gras</b>"}
	if _, err := s.catalogue.UpdateOffer(context.Background(), marketplace.Actor{Admin: true}, o, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/formations/" + o.ID, "/recherche?q=anglais", "/recherche?q=%3Cscript%3E"} {
		_, body := s.get(t, path)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>gras") {
			t.Errorf("%s: unescaped text", path)
		}
	}
}

func TestServerErrorPage(t *testing.T) {
	s := newStack(t, true, nil)
	s.store.Close() // every read now fails
	res, body := s.get(t, "/organismes/"+s.fix.languages.ID)
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", res.StatusCode)
	}
	id := res.Header.Get("X-Request-ID")
	for _, w := range []string{"Erreur du service", "Référence de l’incident : <code>" + id + "</code>"} {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	if strings.Contains(body, "database") || strings.Contains(body, "bolt") {
		t.Error("the page shows the internal error")
	}
}

func TestStatic(t *testing.T) {
	s := newStack(t, false, nil)
	_, home := s.get(t, "/")
	css := regexp.MustCompile(`href="(/static/parcours\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home)
	if css == nil {
		t.Fatal("no versioned style sheet link")
	}
	res, body := s.get(t, css[1])
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "--bleu") {
		t.Fatalf("style sheet: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset Cache-Control %q", cc)
	}
	res, _ = s.get(t, "/static/favicon.svg")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || res.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("favicon: status %d, type %q, cache %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	r := httptest.NewRequest(http.MethodGet, "/static/favicon.svg", nil)
	r.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res, _ := s.do(t, r); res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", res.StatusCode)
	}
	for _, path := range []string{"/static/nope.css", "/static/../web.go", "/static/"} {
		if res, _ := s.get(t, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, res.StatusCode)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{euros(125000), "1\u202f250\u00a0€"},
		{euros(89050), "890,50\u00a0€"},
		{euros(5), "0,05\u00a0€"},
		{euros(123456789), "1\u202f234\u202f567,89\u00a0€"},
		{price(0), "Gratuit"},
		{hours(1), "1\u00a0heure"},
		{hours(1200), "1\u202f200\u00a0heures"},
		{count(0, "formation", "formations"), "0\u00a0formation"},
		{count(1000, "formation", "formations"), "1\u202f000\u00a0formations"},
		{frenchDate(time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC)), "12\u00a0janvier 2027"},
		{frenchDate(time.Date(2027, 3, 1, 23, 0, 0, 0, time.UTC)), "1er\u00a0mars 2027"},
		{frenchDate(time.Date(2027, 8, 15, 0, 0, 0, 0, time.UTC)), "15\u00a0août 2027"},
		{siret("12345678900012"), "123\u00a0456\u00a0789\u00a000012"},
		{modalityLabel(marketplace.Distance), "À distance"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if got := paragraphs("a\r\n\r\n\n b \n\n"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("paragraphs = %q", got)
	}
}

// TestDemoCatalogueRenders renders the pages of a demo-mode catalogue,
// whose texts, prices and places are more varied than the fixture's.
func TestDemoCatalogueRenders(t *testing.T) {
	cat := demo.Catalogue(demo.Options{Seed: 1, Providers: 20, Offers: 400, Now: time.Now()}, geo.Default())
	s := newStack(t, true, &cat)
	paths := []string{"/", "/certifications", "/recherche", "/recherche?q=anglais&modalite=mixte"}
	for _, r := range geo.Default().Regions() {
		paths = append(paths, "/regions/"+r.Code)
	}
	for _, c := range s.index.Certifications() {
		paths = append(paths, "/certifications/"+c.Code)
	}
	for _, p := range cat.Providers {
		paths = append(paths, "/organismes/"+p.ID)
	}
	for i, o := range cat.Offers {
		if i%7 == 0 {
			paths = append(paths, "/formations/"+o.ID)
		}
	}
	published := 0
	for _, o := range cat.Offers {
		if o.Status == marketplace.Published {
			published++
		}
	}
	for _, path := range paths {
		res, body := s.get(t, path)
		want := http.StatusOK
		if id, ok := strings.CutPrefix(path, "/formations/"); ok {
			if _, public := s.index.Offer(id); !public {
				want = http.StatusNotFound
			}
		}
		if res.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, res.StatusCode, want)
		}
		if want == http.StatusOK && (!strings.Contains(body, "</html>") || strings.Contains(body, "Erreur du service")) {
			t.Errorf("%s: broken page", path)
		}
	}
	if published == 0 {
		t.Error("the demo catalogue has no published offer")
	}
}

func TestRecoverAndNotFound(t *testing.T) {
	s := newStack(t, false, nil)
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(func(c *gin.Context) { c.Header("X-Request-ID", "req-1"); c.Next() }, s.pages.recover)
	e.GET("/boom", func(*gin.Context) { panic("boom") })
	e.NoRoute(s.pages.NotFound)
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/boom", 500, "Référence de l’incident : <code>req-1</code>"},
		{"/nulle-part", 404, "Cette page n’existe pas, ou plus."},
	} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s: status %d, want %d with %q", tt.path, w.Code, tt.status, tt.want)
		}
	}
}
