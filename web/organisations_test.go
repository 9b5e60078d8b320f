package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/orgs"
)

// newOrgOIDCStack is a stack whose one identity provider ("fc", so that
// begin works) is the organisations'.
func newOrgOIDCStack(t *testing.T, opt func(*Deps)) (*stack, *fakeOP) {
	t.Helper()
	op := newFakeOP(t)
	id, err := NewIdentity(context.Background(), []IdentityProvider{{Name: "fc", Label: "ProConnect", Issuer: op.srv.URL,
		ClientID: "parcours-test", ClientSecret: "s3cret", RedirectURL: "http://example.com/connexion/retour",
		PostLogoutURL: "http://example.com/", Kind: KindOrganisations}}, op.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	s := newStackWith(t, false, nil, func(d *Deps) {
		d.Identity = id
		if opt != nil {
			opt(d)
		}
	})
	return s, op
}

func (s *stack) callback(t *testing.T, login *http.Cookie, state string, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	res, _ := s.get(t, "/connexion/retour?"+url.Values{"state": {state}, "code": {"good-code"}}.Encode(), append([]*http.Cookie{login}, cookies...)...)
	return res
}

// A member of an organisation signs in through the organisations'
// provider with the role and organisation of their membership; an
// invitation is accepted once, after signing in; an identity of no
// organisation is refused.
func TestOrganisationSignInAndInvitation(t *testing.T) {
	s, op := newOrgOIDCStack(t, nil)
	ctx := context.Background()
	o, _, token, err := s.orgs.Create(ctx, auth.Principal{Role: auth.Admin}, orgs.NewOrg{SIRET: s.fix.languages.SIRET, Name: "Institut",
		Role: auth.Provider, ProviderID: s.fix.languages.ID, AdminEmail: "chef@institut.fr"})
	if err != nil {
		t.Fatal(err)
	}
	page := invitationPrefix + token
	res, body := s.get(t, page)
	if res.StatusCode != 200 || !strings.Contains(body, "Invitation à rejoindre Institut") || !strings.Contains(body, "/connexion/fournisseur/fc?retour="+url.QueryEscape(page)) {
		t.Fatalf("invitation page: %d\n%.1500s", res.StatusCode, body)
	}
	// Accepting needs an identity signed in through the organisations'
	// provider: not anonymous, not a learner's identity waiting for its NIR.
	if res, _ := s.post(t, page, url.Values{}, sameSite); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("accepting anonymously: %d", res.StatusCode)
	}
	learnerPending := s.session(t, auth.Session{Issuer: "https://franceconnect.example", Identity: "fc-1", Claims: map[string]string{"gender": "female", "given_name": "Ana"}})
	if res, _ := s.post(t, page, url.Values{}, sameSite, learnerPending); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a learner's pending identity accepts: %d", res.StatusCode)
	}
	login, state := s.begin(t, op, "retour="+url.QueryEscape(page))
	res = s.callback(t, login, state)
	pending := sessionCookie(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page || pending == nil {
		t.Fatalf("sign-in for the invitation: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// The pending identity is no one yet: not a learner waiting for a NIR either.
	if res, _ := s.get(t, "/connexion/rattachement", pending); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a pending organisation identity reaches the NIR page: %d", res.StatusCode)
	}
	if res, _ := s.get(t, "/organisation", pending); res.StatusCode != http.StatusForbidden {
		t.Errorf("a pending identity reaches the organisation page: %d", res.StatusCode)
	}
	_, body = s.get(t, page, pending)
	if !strings.Contains(body, "Angela Dubois") || !strings.Contains(body, `id="accepter"`) {
		t.Fatalf("invitation page, signed in:\n%.2000s", body)
	}
	// A cross-site post without the token does nothing.
	if res, _ := s.postRaw(t, page, url.Values{}, sameSite, pending); res.StatusCode != http.StatusForbidden {
		t.Errorf("accepting without the CSRF token: %d", res.StatusCode)
	}
	res, _ = s.post(t, page, url.Values{}, sameSite, pending)
	member := sessionCookie(res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/organisation?fait=bienvenue" || member == nil {
		t.Fatalf("accepting: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	se, err := s.store.WebSession(ctx, auth.SessionKey(member.Value))
	if err != nil || se.Role != auth.Provider || se.Org != o.ID || !se.OrgAdmin || se.Subject == "" {
		t.Fatalf("member session: %+v, %v", se, err)
	}
	_, body = s.get(t, "/organisation?fait=bienvenue", member)
	for _, want := range []string{"Bienvenue", "Institut", "Angela Dubois", `action="/organisation/invitations"`, "Mon organisation"} {
		if !strings.Contains(body, want) {
			t.Errorf("organisation page lacks %q", want)
		}
	}
	// The member acts for its provider: the provider's inbox is its own.
	if res, _ := s.get(t, "/organisme/demandes", member); res.StatusCode != 200 {
		t.Errorf("the member's inbox: %d", res.StatusCode)
	}
	// Used once.
	if res, body := s.get(t, page); res.StatusCode != http.StatusGone || !strings.Contains(body, "a expiré ou a déjà été utilisée") {
		t.Errorf("a used invitation: %d", res.StatusCode)
	}
	// The next sign-in finds the membership at once.
	login, state = s.begin(t, op, "")
	res = s.callback(t, login, state)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/organisation" || sessionCookie(res) == nil {
		t.Fatalf("member sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Invite someone; the link is shown once.
	res, body = s.post(t, "/organisation/invitations", url.Values{"email": {"sam@institut.fr"}}, sameSite, member)
	if res.StatusCode != 200 || !strings.Contains(body, "http://example.com"+invitationPrefix) || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("invite: %d\n%.1500s", res.StatusCode, body)
	}
	if res, body := s.post(t, "/organisation/invitations", url.Values{"email": {"pas une adresse"}}, sameSite, member); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "adresse électronique n’est pas valide") {
		t.Errorf("a bad address: %d", res.StatusCode)
	}
	// The last administrator cannot leave.
	if res, body := s.post(t, "/organisation/membres/"+se.Subject+"/retrait", url.Values{}, sameSite, member); res.StatusCode != http.StatusConflict || !strings.Contains(body, "au moins un administrateur") {
		t.Errorf("removing the last administrator: %d", res.StatusCode)
	}
	// Removed from the organisation (by a platform administrator), the
	// identity no longer signs in for it, and its sessions end.
	if err := s.orgs.Remove(ctx, auth.Principal{Role: auth.Admin}, o.ID, se.Subject); err == nil {
		t.Fatal("removed the last administrator")
	}
	_, inv2, err := s.orgs.Invite(ctx, auth.Principal{Role: auth.Admin}, o.ID, "b@institut.fr", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.orgs.Accept(ctx, inv2, orgs.Identity{Issuer: "https://other", Subject: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := s.orgs.Remove(ctx, auth.Principal{Role: auth.Admin}, o.ID, se.Subject); err != nil {
		t.Fatal(err)
	}
	if _, body := s.get(t, "/", member); strings.Contains(body, "Connecté") {
		t.Error("the removed member's session goes on")
	}
	login, state = s.begin(t, op, "")
	res = s.callback(t, login, state)
	if res.StatusCode != http.StatusForbidden || sessionCookie(res) != nil {
		t.Errorf("an identity of no organisation signs in: %d", res.StatusCode)
	}
}

// Sign-in requests are limited per client address, and failed NIR entries
// per account, in the store: a restarted (or another) replica keeps the
// count. A refusal says so in French with Retry-After.
func TestSignInLimitsArePersistent(t *testing.T) {
	limits := SignInLimits{PerIP: auth.Limit{Max: 12, Window: time.Hour}, PerAccount: auth.Limit{Max: 3, Window: time.Hour}}
	s, op := newOIDCStack(t)
	s.pages.SignInLimits = limits
	// Three wrong NIR entries for Angela's account, from three sign-ins.
	nir := "255081416802538"
	op.mu.Lock()
	op.claims = map[string]any{"birthdate": "1956-08-20"} // contradicts the NIR
	op.mu.Unlock()
	for range 3 {
		login, state := s.begin(t, op, "")
		res, _ := s.get(t, "/connexion/retour?"+url.Values{"state": {state}, "code": {"good-code"}}.Encode(), login)
		pending := sessionCookie(res)
		if res, _ := s.post(t, "/connexion/rattachement", url.Values{"nir": {nir}}, sameSite, pending); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong NIR: %d", res.StatusCode)
		}
	}
	// A restart: new pages over the same store.
	d := s.pages.Deps
	pages, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Deps{Log: d.Log, Catalogue: d.Catalogue, Places: d.Places, Tokens: d.Tokens, Pages: pages, Enrolment: d.Enrolment, Index: d.Index,
		RatePerSecond: 10000, RateBurst: 10000})
	if err != nil {
		t.Fatal(err)
	}
	restarted := &stack{server: srv, pages: pages, store: s.store, enrol: s.enrol, fix: s.fix}
	op.mu.Lock()
	op.claims = nil // now the identity matches
	op.mu.Unlock()
	login, state := restarted.begin(t, op, "")
	res, _ := restarted.get(t, "/connexion/retour?"+url.Values{"state": {state}, "code": {"good-code"}}.Encode(), login)
	pending := sessionCookie(res)
	res, body := restarted.post(t, "/connexion/rattachement", url.Values{"nir": {nir}}, sameSite, pending)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Trop de tentatives de connexion pour ce compte") || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after the limit, on a restarted replica: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if _, err := s.store.Link(context.Background(), op.srv.URL, "fc-sub-1"); err == nil {
		t.Fatal("linked past the limit")
	}
	// Per address: the requests above count (3 per sign-in, 12 in all, the
	// limit); the next ones are refused.
	restarted.get(t, "/connexion/fournisseur/fc")
	res, body = restarted.get(t, "/connexion/fournisseur/fc")
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "depuis votre adresse") {
		t.Fatalf("per-address limit: %d", res.StatusCode)
	}
	if ra := res.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
}

// Changing contact or bank details needs a step-up, refuses bad input in
// French, and a change holds purchases with a message saying until when.
func TestContactPage(t *testing.T) {
	s := newStack(t, false, nil)
	acct := s.learnerAccount(t, "255081416802538", 5000_00)
	weak := s.session(t, auth.Session{Role: auth.Learner, Subject: acct, ACR: "eidas1", AuthTime: time.Now()})
	strong := s.signedIn(t, auth.Learner, acct)
	if res, _ := s.get(t, "/mon-compte/coordonnees"); res.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous: %d", res.StatusCode)
	}
	res, body := s.get(t, "/mon-compte/coordonnees", weak)
	if res.StatusCode != 200 || !strings.Contains(body, `action="/mon-compte/coordonnees"`) {
		t.Fatalf("page: %d", res.StatusCode)
	}
	form := url.Values{"email": {"angela@exemple.fr"}, "telephone": {"06 12 34 56 78"}, "iban": {"FR76 3000 6000 0112 3456 7890 189"}}
	// Without a provider to step up with, a weak sign-in is refused.
	if res, _ := s.post(t, "/mon-compte/coordonnees", form, sameSite, weak); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("weak sign-in: %d", res.StatusCode)
	}
	if c, _ := s.enrol.Contact(context.Background(), marketplace.Party{AccountID: acct}, acct); c.Email != "" {
		t.Fatal("details changed without a step-up")
	}
	bad := url.Values{"email": {"angela@exemple.fr"}, "telephone": {""}, "iban": {"FR76 3000 6000 0112 3456 7890 188"}}
	if res, body := s.post(t, "/mon-compte/coordonnees", bad, sameSite, strong); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "IBAN invalide") || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("bad IBAN: %d", res.StatusCode)
	}
	if res, _ := s.post(t, "/mon-compte/coordonnees", form, sameSite, strong); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving: %d", res.StatusCode)
	}
	_, body = s.get(t, "/mon-compte/coordonnees?fait=1", strong)
	if !strings.Contains(body, "enregistrées") || !strings.Contains(body, "FR76 •••• 0189") || strings.Contains(body, "FR7630006000011234567890189") || strings.Contains(body, "delai-securite") {
		t.Errorf("after the first details:\n%.2000s", body)
	}
	// A change (the IBAN field left empty keeps the IBAN) starts the cooling-off.
	if res, _ := s.post(t, "/mon-compte/coordonnees", url.Values{"email": {"autre@exemple.fr"}, "telephone": {""}, "iban": {""}}, sameSite, strong); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("changing: %d", res.StatusCode)
	}
	c, _ := s.enrol.Contact(context.Background(), marketplace.Party{AccountID: acct}, acct)
	if c.IBAN != "FR7630006000011234567890189" || c.ChangedAt.IsZero() {
		t.Errorf("after the change: %+v", c)
	}
	_, body = s.get(t, "/mon-compte/coordonnees", strong)
	if !strings.Contains(body, `id="delai-securite"`) || !strings.Contains(body, "aucun achat n’est possible avant le") {
		t.Errorf("no cooling-off notice:\n%.2000s", body)
	}
	// An acceptance now is refused with the date.
	ctx := context.Background()
	d, err := s.enrol.Request(ctx, marketplace.Party{AccountID: acct}, marketplace.Idem{}, s.fix.english.ID, s.fix.english.ID+"-s2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.enrol.Propose(ctx, marketplace.Party{ProviderID: s.fix.languages.ID}, marketplace.Idem{}, d.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	res, body = s.post(t, "/mon-compte/dossiers/"+d.ID, url.Values{"action": {"accepter"}, "cle": {"k1"}, "reste": {"oui"}}, sameSite, strong)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "aucun achat n’est possible avant le") {
		t.Errorf("acceptance during the cooling-off: %d", res.StatusCode)
	}
}

// In demo mode a visitor signed in as a provider, employer, funder or
// controller administers the organisation they act for, so that the
// organisation pages can be tried; what they may act on is unchanged.
func TestDemoSignInMakesTheOrganisation(t *testing.T) {
	s := newStack(t, true, nil)
	res, _ := s.post(t, "/connexion-demo", url.Values{"role": {"provider"}, "organisme": {s.fix.languages.ID}}, sameSite)
	ck := sessionCookie(res)
	if res.StatusCode != 200 || ck == nil {
		t.Fatalf("demo sign-in: %d", res.StatusCode)
	}
	se, _ := s.store.WebSession(context.Background(), auth.SessionKey(ck.Value))
	if se.Subject != s.fix.languages.ID || se.Org != s.fix.languages.ID || !se.OrgAdmin {
		t.Fatalf("demo provider session: %+v", se)
	}
	_, body := s.get(t, "/organisation", ck)
	for _, want := range []string{s.fix.languages.Name, "Organisme de formation", "(vous)", `action="/organisation/invitations"`} {
		if !strings.Contains(body, want) {
			t.Errorf("demo organisation page lacks %q", want)
		}
	}
	// Signing in again keeps one organisation and one member.
	s.post(t, "/connexion-demo", url.Values{"role": {"provider"}, "organisme": {s.fix.languages.ID}}, sameSite)
	o, err := s.orgs.Org(context.Background(), auth.Principal{Role: auth.Admin}, s.fix.languages.ID)
	if err != nil || len(o.Members) != 1 || o.SIRET != s.fix.languages.SIRET {
		t.Errorf("organisation after two sign-ins: %+v, %v", o, err)
	}
	// A funder: its organisation has a valid SIRET of its own.
	res, _ = s.post(t, "/connexion-demo", url.Values{"role": {"funder"}, "identifiant": {"region-ara"}}, sameSite)
	if res.StatusCode != 200 {
		t.Fatalf("demo funder: %d", res.StatusCode)
	}
	f, err := s.orgs.Org(context.Background(), auth.Principal{Role: auth.Admin}, "region-ara")
	if err != nil || !marketplace.ValidSIRET(f.SIRET) || f.Role != auth.Funder {
		t.Errorf("demo funder organisation: %+v, %v", f, err)
	}
}
