package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// signedIn returns the cookie of a new session for role and subject,
// signed in just now at the step-up level.
func (s *stack) signedIn(t testing.TB, role auth.Role, subject string) *http.Cookie {
	t.Helper()
	return s.session(t, auth.Session{Role: role, Subject: subject, ACR: "eidas2", AuthTime: time.Now()})
}

// session stores a session and returns its cookie.
func (s *stack) session(t testing.TB, se auth.Session) *http.Cookie {
	t.Helper()
	id, key := auth.NewSessionID()
	now := time.Now()
	se.Key, se.Created, se.LastSeen, se.CSRF = key, now, now, auth.RandomToken()
	if err := s.store.CreateWebSession(context.Background(), se); err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: cookieName, Value: id}
}

// learnerAccount opens an account with a balance and returns its ID.
func (s *stack) learnerAccount(t *testing.T, nir string, balance int64) string {
	t.Helper()
	ctx := context.Background()
	a, _, err := s.enrol.OpenAccount(ctx, marketplace.Party{Admin: true}, nir, marketplace.Account{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.enrol.Credit(ctx, "seed:"+a.ID, a.ID, balance, time.Now()); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

var formKey = regexp.MustCompile(`name="cle" value="([^"]+)"`)

// key returns the first form key of a page.
func key(t *testing.T, page string) string {
	t.Helper()
	m := formKey.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no form key in the page")
	}
	return m[1]
}

// TestEnrolmentPages follows a dossier through the pages without a
// browser: request from the offer page, proposal from the provider's
// inbox, acceptance from the account page, entry, exit, evaluation.
func TestEnrolmentPages(t *testing.T) {
	s := newStack(t, true, nil)
	acct := s.learnerAccount(t, "255081416802538", 3000_00)
	learner := s.signedIn(t, auth.Learner, acct)
	provider := s.signedIn(t, auth.Provider, s.fix.languages.ID)
	offer := "/formations/" + s.fix.english.ID

	res, page := s.get(t, offer)
	if res.StatusCode != 200 || !strings.Contains(page, "connectez-vous en tant qu’apprenant") {
		t.Fatalf("offer page for a visitor: %d", res.StatusCode)
	}
	_, page = s.get(t, offer, learner)
	if !strings.Contains(page, `action="/formations/`+s.fix.english.ID+`/inscription"`) || strings.Contains(page, s.fix.english.ID+"-s1") {
		t.Fatal("no enrolment form, or a past session offered")
	}
	form := url.Values{"cle": {key(t, page)}, "session": {s.fix.english.ID + "-s2"}}
	res, _ = s.post(t, offer+"/inscription", form, sameSite, learner)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/mon-compte?fait=demande" {
		t.Fatalf("enrol: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// The same form sent twice makes one request.
	s.post(t, offer+"/inscription", form, sameSite, learner)
	_, page = s.get(t, "/mon-compte", learner)
	if n := strings.Count(page, `class="dossier"`); n != 1 {
		t.Fatalf("%d dossiers after sending the form twice", n)
	}
	if !strings.Contains(page, french("3 000 €")) || !strings.Contains(page, "Demande envoyée à l’organisme") && !strings.Contains(page, "Demande envoyée à l&#39;organisme") {
		t.Errorf("account page: balance or state missing")
	}

	// A form from another site is refused.
	if res, _ := s.post(t, "/organisme/demandes/x", url.Values{"action": {"proposer"}}, "https://evil.example", provider); res.StatusCode != 403 {
		t.Errorf("cross-site post: %d", res.StatusCode)
	}
	ds, _, _ := s.enrol.Dossiers(context.Background(), marketplace.Party{Admin: true}, marketplace.DossierFilter{AccountID: acct}, marketplace.Page{})
	id := ds[0].ID
	_, page = s.get(t, "/organisme/demandes", provider)
	if !strings.Contains(page, "Proposer au prix de l’offre") {
		t.Fatal("no proposal button in the inbox")
	}
	step := func(path string, values url.Values, cookie *http.Cookie) {
		t.Helper()
		values.Set("cle", newFormKey())
		res, page := s.post(t, path, values, sameSite, cookie)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s %v: %d %s", path, values, res.StatusCode, page)
		}
	}
	step("/organisme/demandes/"+id, url.Values{"action": {"proposer"}}, provider)
	step("/mon-compte/dossiers/"+id, url.Values{"action": {"accepter"}}, learner)
	_, page = s.get(t, "/mon-compte", learner)
	if !strings.Contains(page, french("1 852,23 €")) { // 3 000 - (1 250 - 102.23)
		t.Errorf("balance after acceptance not shown")
	}
	// Another provider sees nothing of it and cannot act on it.
	other := s.signedIn(t, auth.Provider, s.fix.digital.ID)
	if _, page := s.get(t, "/organisme/demandes", other); strings.Contains(page, id) {
		t.Error("another provider sees the dossier")
	}
	if res, _ := s.post(t, "/organisme/demandes/"+id, url.Values{"action": {"entree"}, "cle": {newFormKey()}}, sameSite, other); res.StatusCode != 404 {
		t.Errorf("another provider declaring the entry: %d", res.StatusCode)
	}
	// Another learner neither.
	stranger := s.signedIn(t, auth.Learner, s.learnerAccount(t, "185037512345641", 0))
	if res, _ := s.post(t, "/mon-compte/dossiers/"+id, url.Values{"action": {"annuler"}, "cle": {newFormKey()}}, sameSite, stranger); res.StatusCode != 404 {
		t.Errorf("another learner cancelling: %d", res.StatusCode)
	}

	s.shift.Store(int64(61 * 24 * time.Hour)) // the session has started
	step("/organisme/demandes/"+id, url.Values{"action": {"entree"}}, provider)
	step("/organisme/demandes/"+id, url.Values{"action": {"sortie"}, "taux": {"100"}, "motif": {""}}, provider)
	res, page = s.get(t, "/mon-compte/dossiers/"+id+"/evaluation", learner)
	if res.StatusCode != 200 || strings.Count(page, `type="radio"`) != 30 {
		t.Fatalf("evaluation form: %d", res.StatusCode)
	}
	step("/mon-compte/dossiers/"+id+"/evaluation", url.Values{"reception": {"5"}, "content": {"4"}, "trainers": {"5"}, "resources": {"4"}, "support": {"5"}, "overall": {"5"}, "commentaire": {"Très concret"}}, learner)
	d, _ := s.enrol.Store().Dossier(context.Background(), id)
	if d.State != marketplace.ServiceDoneValidated || d.PaidCents != s.fix.english.PriceCents {
		t.Errorf("dossier %s, paid %d", d.State, d.PaidCents)
	}
	_, page = s.get(t, offer)
	if !strings.Contains(page, "Avis des stagiaires") || !strings.Contains(page, "Très concret") || !strings.Contains(page, french("1 évaluation")) {
		t.Error("the offer page does not show the evaluation")
	}
	_, page = s.get(t, "/organismes/"+s.fix.languages.ID)
	if !strings.Contains(page, "Avis des stagiaires") {
		t.Error("the provider page does not show the ratings")
	}
	// A second evaluation is refused with a French page naming the step.
	if res, page := s.post(t, "/mon-compte/dossiers/"+id+"/evaluation", url.Values{"cle": {newFormKey()}, "reception": {"1"}, "content": {"1"}, "trainers": {"1"}, "resources": {"1"}, "support": {"1"}, "overall": {"1"}}, sameSite, learner); res.StatusCode != 409 || !strings.Contains(page, "Service fait") {
		t.Errorf("second evaluation: %d", res.StatusCode)
	}
}

func TestAccountPageNeedsALearner(t *testing.T) {
	s := newStack(t, true, nil)
	if res, _ := s.get(t, "/mon-compte"); res.StatusCode != 403 {
		t.Errorf("anonymous: %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/mon-compte", s.signedIn(t, auth.Provider, s.fix.languages.ID)); res.StatusCode != 403 {
		t.Errorf("provider: %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/organisme/demandes", s.signedIn(t, auth.Learner, "x")); res.StatusCode != 403 {
		t.Errorf("learner in the inbox: %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/mon-compte", s.signedIn(t, auth.Learner, "no-such-account")); res.StatusCode != 404 {
		t.Errorf("learner without account: %d", res.StatusCode)
	}
}
