package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/orgs"
)

// member mints a token for a member of an organisation, as the sign-in
// through the organisations' provider gives one.
func (e *testEnv) member(tb testing.TB, role auth.Role, memberID, orgID string, admin bool) string {
	tb.Helper()
	tok, err := e.tokens.MintPrincipal(auth.Principal{Role: role, Subject: memberID, Org: orgID, OrgAdmin: admin}, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// tokenOf returns the token at the end of an invitation link.
func tokenOf(tb testing.TB, url string) string {
	tb.Helper()
	_, tok, ok := strings.Cut(url, api.InvitationPath)
	if !ok || tok == "" {
		tb.Fatalf("invitation link %q", url)
	}
	return tok
}

func TestOrganisationsThroughTheAPI(t *testing.T) {
	testOrganisationsThroughTheAPI(t, newEnv(t, func(d *api.Deps) { d.PublicURL = "https://parcours.example" }))
}

func TestOrganisationsThroughTheAPIMongo(t *testing.T) {
	testOrganisationsThroughTheAPI(t, newMongoEnv(t, func(d *api.Deps) { d.PublicURL = "https://parcours.example" }))
}

func testOrganisationsThroughTheAPI(t *testing.T, e *testEnv) {
	ctx := context.Background()
	body := fmt.Sprintf(`{"siret":%q,"name":"Atelier","role":"provider","provider_id":%q,"admin_email":"chef@atelier.fr"}`, e.lyon.SIRET, e.lyon.ID)
	// Only platform administrators create organisations.
	if rec := e.do(req{method: "POST", path: "/api/v1/organisations", token: e.as(t, e.lyon), body: body}); rec.Code != http.StatusForbidden {
		t.Fatalf("a provider creates an organisation: %d", rec.Code)
	}
	rec := e.do(req{method: "POST", path: "/api/v1/organisations", token: e.admin(t), body: body})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	created := decodeAs[api.OrgCreated](t, rec)
	if created.Organisation.ID != e.lyon.ID || !created.Invitation.Admin || !strings.HasPrefix(created.Invitation.URL, "https://parcours.example/organisation/invitation/") {
		t.Fatalf("created: %+v", created)
	}
	// The first administrator accepts (on the web page, after signing in).
	_, chief, err := e.orgs.Accept(ctx, tokenOf(t, created.Invitation.URL), orgs.Identity{Issuer: "https://pro", Subject: "chief", Name: "Claire"})
	if err != nil {
		t.Fatal(err)
	}
	chiefTok := e.member(t, auth.Provider, chief.ID, e.lyon.ID, true)
	path := "/api/v1/organisations/" + e.lyon.ID
	rec = e.do(req{method: "POST", path: path + "/invitations", token: chiefTok, body: `{"email":"staff@atelier.fr"}`})
	if rec.Code != http.StatusCreated {
		t.Fatalf("invite: %d %s", rec.Code, rec.Body)
	}
	inv := decodeAs[api.InvitationOutput](t, rec)
	_, staff, err := e.orgs.Accept(ctx, tokenOf(t, inv.URL), orgs.Identity{Issuer: "https://pro", Subject: "staff", Name: "Sam"})
	if err != nil || staff.Admin {
		t.Fatalf("staff accepts: %+v, %v", staff, err)
	}
	staffTok := e.member(t, auth.Provider, staff.ID, e.lyon.ID, false)
	if me := decodeAs[api.MeOutput](t, e.do(req{method: "GET", path: "/api/v1/me", token: chiefTok})); me.Org != e.lyon.ID || !me.OrgAdmin || me.Subject != chief.ID {
		t.Errorf("me: %+v", me)
	}

	// Object-level checks use the organisation: its members edit its
	// provider's offers, not another's.
	offer := offerBody(t, "", "published")
	if rec := e.do(req{method: "PUT", path: "/api/v1/offers/" + e.offer.ID, token: staffTok, body: offer}); rec.Code != http.StatusOK {
		t.Errorf("a member edits its provider's offer: %d %s", rec.Code, rec.Body)
	}
	before := e.snapshot(t)
	if rec := e.do(req{method: "PUT", path: "/api/v1/offers/" + e.otherOffer.ID, token: staffTok, body: offer}); rec.Code != http.StatusForbidden {
		t.Errorf("a member edits another provider's offer: %d", rec.Code)
	}
	// A member who is not an administrator neither invites nor removes;
	// another organisation sees nothing.
	other := e.member(t, auth.Funder, "m-x", "other-org", true)
	for name, r := range map[string]req{
		"staff invites":      {method: "POST", path: path + "/invitations", token: staffTok, body: `{"email":"x@atelier.fr"}`},
		"staff removes":      {method: "DELETE", path: path + "/members/" + chief.ID, token: staffTok},
		"other org reads":    {method: "GET", path: path, token: other},
		"other org removes":  {method: "DELETE", path: path + "/members/" + staff.ID, token: other},
		"a learner invites":  {method: "POST", path: path + "/invitations", token: e.token(t, auth.Learner, "acct"), body: `{"email":"x@atelier.fr"}`},
		"bad invitation":     {method: "POST", path: path + "/invitations", token: chiefTok, body: `{"email":"pas une adresse"}`},
		"last admin removed": {method: "DELETE", path: path + "/members/" + chief.ID, token: chiefTok},
	} {
		want := http.StatusForbidden
		switch name {
		case "bad invitation":
			want = http.StatusBadRequest
		case "last admin removed":
			want = http.StatusConflict
		}
		p := problem(t, e.do(r), want, "")
		if name == "last admin removed" && !strings.Contains(p.Detail, "at least one administrator") {
			t.Errorf("%s: detail %q", name, p.Detail)
		}
	}
	e.unchanged(t, before)
	got := decodeAs[api.OrgOutput](t, e.do(req{method: "GET", path: path, token: staffTok}))
	if len(got.Members) != 2 {
		t.Fatalf("members: %+v", got.Members)
	}
	if rec := e.do(req{method: "DELETE", path: path + "/members/" + staff.ID, token: chiefTok}); rec.Code != http.StatusNoContent {
		t.Fatalf("remove: %d %s", rec.Code, rec.Body)
	}
	if _, _, err := e.orgs.SignIn(ctx, "https://pro", "staff"); err == nil {
		t.Error("a removed member still signs in")
	}
	if rec := e.do(req{method: "POST", path: "/api/v1/organisations", token: e.admin(t), body: body}); rec.Code != http.StatusConflict {
		t.Errorf("a second organisation for the same provider: %d", rec.Code)
	}
}

// Changing contact or bank details needs a step-up; a change of details
// already given holds acceptances for the cooling-off period, with a
// problem that says until when.
func TestContactDetailsThroughTheAPI(t *testing.T) { testContactDetails(t, newEnv) }

func TestContactDetailsThroughTheAPIMongo(t *testing.T) { testContactDetails(t, newMongoEnv) }

func testContactDetails(t *testing.T, newEnv func(testing.TB, ...func(*api.Deps)) *testEnv) {
	var shift atomic.Int64
	e := newEnv(t, func(d *api.Deps) {
		d.Enrolment = marketplace.NewEnrolmentService(d.Enrolment.Store(), d.Catalogue.Store(), marketplace.EnrolmentConfig{
			NIRKey:     []byte("test-nir-key-test-nir-key-test-ni"),
			CoPayments: []marketplace.CoPayment{{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Cents: 102_23}},
			Payments:   marketplace.DemoPayments{},
			CoolingOff: 72 * time.Hour,
			Now:        func() time.Time { return time.Now().Add(time.Duration(shift.Load())) },
		})
	})
	f := e.money(t, 10000_00, false)
	path := "/api/v1/accounts/" + f.learner + "/contact"
	first := `{"email":"angela@exemple.fr","phone":"06 12 34 56 78","iban":"FR76 3000 6000 0112 3456 7890 189"}`
	weak := mustMint(t, e.tokens, f.learner, "eidas1", time.Now())
	before := e.snapshot(t)
	if p := problem(t, e.do(req{method: "PUT", path: path, token: weak, body: first}), 401, ""); p.Type != api.ProblemTypeBase+"step-up-required" {
		t.Errorf("weak sign-in: %s", p.Type)
	}
	problem(t, e.do(req{method: "PUT", path: path, token: f.strTok, body: first}), 403, "")
	problem(t, e.do(req{method: "PUT", path: path, token: f.learnerTok, body: `{"email":"x","phone":"","iban":"FR7630006000011234567890188"}`}), 400, "iban")
	e.unchanged(t, before)
	if c, _ := e.enrol.Contact(context.Background(), marketplace.Party{AccountID: f.learner}, f.learner); c.Email != "" {
		t.Fatalf("refused changes wrote %+v", c)
	}
	rec := e.do(req{method: "PUT", path: path, token: f.learnerTok, body: first})
	if rec.Code != 200 {
		t.Fatalf("first details: %d %s", rec.Code, rec.Body)
	}
	c := decodeAs[api.ContactOutput](t, rec)
	if c.Phone != "+33612345678" || c.IBAN != "FR76 •••• 0189" || c.CoolingOffUntil != nil {
		t.Errorf("first details: %+v", c)
	}
	id := e.requestAndPropose(t, f)
	rec = e.do(req{method: "PUT", path: path, token: f.learnerTok, body: `{"email":"autre@exemple.fr","phone":"","iban":"DE89 3704 0044 0532 0130 00"}`})
	c = decodeAs[api.ContactOutput](t, rec)
	if rec.Code != 200 || c.CoolingOffUntil == nil || c.ChangedAt == nil {
		t.Fatalf("change: %d %+v", rec.Code, c)
	}
	p := problem(t, e.do(req{method: "POST", path: "/api/v1/dossiers/" + id + "/acceptance", token: f.learnerTok, body: `{"accept_remainder":true}`, header: newKey()}), 409, "")
	if p.Type != api.ProblemTypeBase+"cooling-off" || p.Until == nil || !p.Until.Equal(*c.CoolingOffUntil) {
		t.Errorf("acceptance during the cooling-off: %+v", p)
	}
	shift.Store(int64(73 * time.Hour))
	e.post(t, "/api/v1/dossiers/"+id+"/acceptance", f.learnerTok, `{"accept_remainder":true}`, 200)
}

func TestOrganisationsConformance(t *testing.T) {
	doc := loadDoc(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	f := e.money(t, 1000_00, false)
	o, _, token, err := e.orgs.Create(context.Background(), auth.Principal{Role: auth.Admin}, orgs.NewOrg{SIRET: e.villeurbanne.SIRET, Name: "Compétences", Role: auth.Provider, ProviderID: e.villeurbanne.ID, AdminEmail: "a@b.fr"})
	if err != nil {
		t.Fatal(err)
	}
	_, chief, err := e.orgs.Accept(context.Background(), token, orgs.Identity{Issuer: "https://pro", Subject: "c"})
	if err != nil {
		t.Fatal(err)
	}
	chiefTok := e.member(t, auth.Provider, chief.ID, o.ID, true)
	orgPath := "/api/v1/organisations/" + o.ID
	contact := "/api/v1/accounts/" + f.learner + "/contact"
	runConformance(t, doc, router, e, []conformanceCall{
		{name: "create organisation", r: req{method: "POST", path: "/api/v1/organisations", token: e.admin(t),
			body: `{"siret":"73282932000074","name":"Région","role":"funder","admin_email":"chef@region.fr"}`}, status: 201},
		{name: "create organisation, bad SIRET", r: req{method: "POST", path: "/api/v1/organisations", token: e.admin(t),
			body: `{"siret":"73282932000075","name":"Région","role":"funder","admin_email":"chef@region.fr"}`}, status: 400},
		{name: "get organisation", r: req{method: "GET", path: orgPath, token: chiefTok}, status: 200},
		{name: "me, a member", r: req{method: "GET", path: "/api/v1/me", token: chiefTok}, status: 200},
		{name: "get organisation, another's", r: req{method: "GET", path: orgPath, token: e.as(t, e.lyon)}, status: 403},
		{name: "invite", r: req{method: "POST", path: orgPath + "/invitations", token: chiefTok, body: `{"email":"x@y.fr","admin":true}`}, status: 201},
		{name: "remove the last admin", r: req{method: "DELETE", path: orgPath + "/members/" + chief.ID, token: chiefTok}, status: 409},
		{name: "remove an unknown member", r: req{method: "DELETE", path: orgPath + "/members/nobody", token: chiefTok}, status: 404},
		{name: "get contact", r: req{method: "GET", path: contact, token: f.learnerTok}, status: 200},
		{name: "put contact", r: req{method: "PUT", path: contact, token: f.learnerTok, body: `{"email":"a@b.fr","phone":"0612345678","iban":"FR7630006000011234567890189"}`}, status: 200},
		{name: "put contact again", r: req{method: "PUT", path: contact, token: f.learnerTok, body: `{"email":"c@d.fr","phone":"","iban":""}`}, status: 200},
		{name: "put contact, weak sign-in", r: req{method: "PUT", path: contact, token: mustMint(t, e.tokens, f.learner, "", time.Time{}), body: `{"email":"a@b.fr","phone":"","iban":""}`}, status: 401},
		{name: "get contact, another's", r: req{method: "GET", path: contact, token: f.strTok}, status: 403},
	})
}
