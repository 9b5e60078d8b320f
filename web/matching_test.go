package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/skills"
)

// jobStack is the service with job matching on, and the matching service.
func jobStack(t testing.TB) (*stack, *matching.Service) {
	t.Helper()
	var svc *matching.Service
	s := newStackWith(t, true, nil, func(d *Deps) {
		var err error
		svc, err = matching.New(matching.Config{Store: d.Sessions.(matching.Store), Graph: d.Graph, Places: d.Places, Log: d.Log})
		if err != nil {
			t.Fatal(err)
		}
		d.Matching = svc
	})
	return s, svc
}

const (
	jobEmployer   = "90123456700013"
	jobLearner    = "acct-web-7781"
	learnerName   = "Maëlle Ortolan"
	learnerEmail  = "maelle.ortolan@secret.example"
	learnerPhone  = "06 55 44 33 22"
	learnerPlace  = "Villeurbanne"
	recruiterMail = "rh@brasserie.example"
)

func jobOfferValues() url.Values {
	return url.Values{"titre": {"Commis de cuisine"}, "metier": {"G1602"},
		"description": {"Vous préparerez les légumes, les viandes et les poissons, réaliserez les cuissons de base et dresserez les assiettes."},
		"commune":     {"Lyon"}, "contrat": {"cdi"}, "heures": {"35"}, "salaire_min": {"22 000"}, "salaire_max": {"25000"},
		"debut": {"2026-09-01"}, "postes": {"2"}, "employeur": {"Brasserie du Parc"}, "contact_nom": {"Paul Martin"}, "contact_courriel": {recruiterMail}}
}

func jobPrefsValues() url.Values {
	return url.Values{"metier1": {"G1602"}, "commune": {learnerPlace}, "rayon": {"20"}, "contrat": {"cdi", "cdd"}, "heures_min": {"30"},
		"heures_max": {"39"}, "disponible": {"2026-08-15"}, "salaire_min": {"20000"}, "contact_nom": {learnerName},
		"contact_courriel": {learnerEmail}, "contact_tel": {learnerPhone}}
}

var location = regexp.MustCompile(`^/emploi/offres/(job-[0-9a-f]+)$`)

// jobPagesMarket posts and publishes an offer through the pages, opts the
// learner in through the pages, and computes the feeds.
func jobPagesMarket(t *testing.T, s *stack, svc *matching.Service) (offerID string, emp, lrn *http.Cookie) {
	t.Helper()
	emp = s.signedIn(t, auth.Employer, jobEmployer)
	lrn = s.signedIn(t, auth.Learner, jobLearner)
	res, body := s.post(t, "/emploi/offres", jobOfferValues(), sameSite, emp)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("posting: %d %.500s", res.StatusCode, body)
	}
	m := location.FindStringSubmatch(res.Header.Get("Location"))
	if m == nil {
		t.Fatalf("redirect to %q", res.Header.Get("Location"))
	}
	offerID = m[1]
	res, body = s.get(t, "/emploi/offres/"+offerID, emp)
	if res.StatusCode != 200 || !strings.Contains(body, "Confirmez les compétences") {
		t.Fatalf("draft page: %d %.500s", res.StatusCode, body)
	}
	ids := regexp.MustCompile(`name="competence" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(ids) < 2 {
		t.Fatalf("suggested skills: %v", ids)
	}
	form := url.Values{"version": {"1"}, "essentielle": {ids[0][1]}}
	var edges []skills.Edge
	for _, id := range ids {
		form.Add("competence", id[1])
		edges = append(edges, skills.Edge{Rel: skills.HasSkill, From: jobLearner, To: id[1], Level: 2, Evidence: skills.Attested})
	}
	if res, body := s.post(t, "/emploi/offres/"+offerID+"/publier", form, sameSite, emp); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publishing: %d %.500s", res.StatusCode, body)
	}
	if _, err := s.pages.Graph.Apply(context.Background(), skills.Batch{Edges: edges}); err != nil {
		t.Fatal(err)
	}
	if res, body := s.post(t, "/emploi/preferences", jobPrefsValues(), sameSite, lrn); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("preferences: %d %.500s", res.StatusCode, body)
	}
	if _, err := svc.RunFeeds(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	return offerID, emp, lrn
}

func pageLeaks(body string) []string {
	body = html.UnescapeString(body)
	var out []string
	for _, s := range []string{learnerName, learnerEmail, learnerPhone, learnerPlace, jobLearner} {
		if strings.Contains(body, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestJobPagesPseudonymous walks every page an employer can open before the
// mutual like: none shows the candidate's name, contact, place or account.
func TestJobPagesPseudonymous(t *testing.T) {
	s, svc := jobStack(t)
	offerID, emp, lrn := jobPagesMarket(t, s, svc)
	res, body := s.get(t, "/emploi/offres/"+offerID, emp)
	pseudo := regexp.MustCompile(`Candidat (C-[A-Z0-9]+)`).FindStringSubmatch(body)
	if res.StatusCode != 200 || pseudo == nil {
		t.Fatalf("candidate feed: %d %.800s", res.StatusCode, body)
	}
	if !strings.Contains(body, "attestée") {
		t.Error("the card does not say the skills are attested")
	}
	for _, path := range []string{"/emploi", "/emploi/offres", "/emploi/offres/" + offerID, "/emploi/mises-en-relation"} {
		res, body := s.get(t, path, emp)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
		if l := pageLeaks(body); len(l) > 0 {
			t.Errorf("%s shows the employer %v before a match", path, l)
		}
	}
	// The employer says yes first: still pseudonymous.
	res, _ = s.post(t, "/emploi/offres/"+offerID+"/candidats/"+pseudo[1], url.Values{"decision": {"oui"}}, sameSite, emp)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("employer decision: %d", res.StatusCode)
	}
	for _, path := range []string{"/emploi/offres/" + offerID, "/emploi/mises-en-relation"} {
		if _, body := s.get(t, path, emp); len(pageLeaks(body)) > 0 {
			t.Errorf("%s shows %v after the employer's yes alone", path, pageLeaks(body))
		}
	}
	// The learner's swipe feed, then their yes opens the match.
	res, body = s.get(t, "/emploi/propositions", lrn)
	if res.StatusCode != 200 || !strings.Contains(body, "Commis de cuisine") || strings.Contains(body, recruiterMail) {
		t.Fatalf("swipe feed: %d %.800s", res.StatusCode, body)
	}
	res, _ = s.post(t, "/emploi/propositions/"+offerID, url.Values{"decision": {"oui"}}, sameSite, lrn)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/emploi/mises-en-relation/m-") {
		t.Fatalf("learner decision: %d to %q", res.StatusCode, loc)
	}
	matchPath := strings.TrimSuffix(loc, "?nouvelle=1")
	_, body = s.get(t, matchPath, emp)
	if !strings.Contains(html.UnescapeString(body), learnerEmail) || !strings.Contains(html.UnescapeString(body), learnerName) {
		t.Errorf("the match page does not show the candidate's contact to the employer: %.800s", body)
	}
	_, body = s.get(t, loc, lrn)
	if !strings.Contains(body, recruiterMail) {
		t.Error("the match page does not show the recruiter to the learner")
	}
	// The thread, and the withdrawal.
	if res, _ := s.post(t, matchPath+"/messages", url.Values{"message": {"Bonjour, passez jeudi à 10 h."}}, sameSite, emp); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("message: %d", res.StatusCode)
	}
	if _, body := s.get(t, matchPath, lrn); !strings.Contains(body, "passez jeudi") {
		t.Error("the learner does not see the message")
	}
	if res, _ := s.post(t, matchPath+"/messages", url.Values{"message": {"  "}}, sameSite, lrn); res.StatusCode != http.StatusBadRequest {
		t.Errorf("empty message: %d", res.StatusCode)
	}
	if res, _ := s.post(t, matchPath+"/retrait", url.Values{}, sameSite, lrn); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdrawal: %d", res.StatusCode)
	}
	if _, body := s.get(t, matchPath, emp); len(pageLeaks(body)) > 0 {
		t.Errorf("a withdrawn match still shows %v", pageLeaks(body))
	}
	// Another employer sees nothing of it.
	other := s.signedIn(t, auth.Employer, "81234567300014")
	if res, _ := s.get(t, matchPath, other); res.StatusCode != http.StatusNotFound {
		t.Errorf("another employer opens the match: %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/emploi/offres/"+offerID, other); res.StatusCode != http.StatusNotFound {
		t.Errorf("another employer opens the offer: %d", res.StatusCode)
	}
}

func TestJobPagesForms(t *testing.T) {
	s, _ := jobStack(t)
	emp := s.signedIn(t, auth.Employer, jobEmployer)
	bad := jobOfferValues()
	bad.Set("commune", "Atlantide")
	bad.Set("salaire_max", "100")
	res, body := s.post(t, "/emploi/offres", bad, sameSite, emp)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Indiquez une commune française.") ||
		!strings.Contains(body, "Le salaire maximum doit être au moins le minimum.") || !strings.Contains(body, `value="Commis de cuisine"`) {
		t.Errorf("a bad offer: %d %.1500s", res.StatusCode, body)
	}
	if res, _ := s.get(t, "/emploi/offres", s.signedIn(t, auth.Employer, "demo-employer")); res.StatusCode != http.StatusForbidden {
		t.Errorf("an employer without a SIRET: %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/emploi/offres", s.signedIn(t, auth.Learner, "x")); res.StatusCode != http.StatusForbidden {
		t.Errorf("a learner on the employer's pages: %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/emploi/propositions"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out: %d", res.StatusCode)
	}
	lrn := s.signedIn(t, auth.Learner, jobLearner)
	badPrefs := jobPrefsValues()
	badPrefs.Del("contrat")
	badPrefs.Set("rayon", "900")
	res, body = s.post(t, "/emploi/preferences", badPrefs, sameSite, lrn)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Cochez au moins un type de contrat.") || !strings.Contains(body, "rayon de 1 à 200") {
		t.Errorf("bad preferences: %d %.1500s", res.StatusCode, body)
	}
	if _, err := s.pages.Matching.Candidate(context.Background(), jobLearner); err == nil {
		t.Error("bad preferences opted the learner in")
	}
	if res, _ := s.post(t, "/emploi/preferences", jobPrefsValues(), sameSite, lrn); res.StatusCode != http.StatusSeeOther {
		t.Fatal(res.StatusCode)
	}
	if res, _ := s.post(t, "/emploi/preferences/pause", url.Values{}, sameSite, lrn); res.StatusCode != http.StatusSeeOther {
		t.Fatal(res.StatusCode)
	}
	if _, body := s.get(t, "/emploi/preferences", lrn); !strings.Contains(body, "en pause") {
		t.Error("the pause is not shown")
	}
	if res, _ := s.post(t, "/emploi/preferences/quitter", url.Values{}, sameSite, lrn); res.StatusCode != http.StatusSeeOther {
		t.Fatal(res.StatusCode)
	}
	if _, err := s.pages.Matching.Candidate(context.Background(), jobLearner); err == nil {
		t.Error("leaving kept the learner")
	}
}

// FuzzCents reads amounts as people type them in the job forms.
func FuzzCents(f *testing.F) {
	for _, s := range []string{"22 000", "2200,50", "1e3", "-5", "€", "", "12.345.678", "NaN", "Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c := cents(s); c < -1 || c > 1e11 {
			t.Errorf("cents(%q) = %d", s, c)
		}
	})
}

func TestCents(t *testing.T) {
	for in, want := range map[string]int64{"22 000": 2_200_000, "2200,50": 220_050, "": 0, "-5": -1, "abc": -1, "30 000 €": 3_000_000} {
		if got := cents(in); got != want {
			t.Errorf("cents(%q) = %d, want %d", in, got, want)
		}
	}
}
