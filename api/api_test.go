package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
)

// badInput is a request that must be refused with status, naming field
// (when not ""), and write nothing.
type badInput struct {
	name   string
	r      req
	status int
	field  string
}

// bodyCases are the refusals every endpoint that takes a JSON body makes,
// derived from a valid request r.
func bodyCases(tb testing.TB, endpoint string, r req) []badInput {
	valid := r.body
	at := func(name string, body string, status int, field string, adjust ...func(*req)) badInput {
		c := r
		c.body = body
		for _, a := range adjust {
			a(&c)
		}
		return badInput{endpoint + ": " + name, c, status, field}
	}
	huge := with(tb, valid, "description", strings.Repeat("a", testMaxBody))
	return []badInput{
		at("malformed JSON", `{"title": "Développeur",`, 400, "body"),
		at("syntax error", `{"title" "Développeur"}`, 400, "body"),
		at("not an object", `["RNCP37674"]`, 400, "body"),
		at("a string", `"RNCP37674"`, 400, "body"),
		at("empty body", ``, 400, "body", func(c *req) { c.contentType = "application/json" }),
		at("trailing data", valid+`{}`, 400, "body"),
		at("unknown field", with(tb, valid, "nickname", "x"), 400, "nickname"),
		at("unknown field in other case", with(tb, valid, "Nickname", "x"), 400, "Nickname"),
		at("text/plain", valid, 415, "", func(c *req) { c.contentType = "text/plain" }),
		at("form", valid, 415, "", func(c *req) { c.contentType = "application/x-www-form-urlencoded" }),
		at("no Content-Type", valid, 415, "", func(c *req) { c.contentType = "none" }),
		at("bad Content-Type", valid, 415, "", func(c *req) { c.contentType = "json;;" }),
		at("over the body limit", huge, 413, ""),
		at("over the body limit, streamed", huge, 413, "", func(c *req) { c.chunked = true }),
	}
}

// inputRequests are valid requests to every endpoint that takes a body.
func (e *testEnv) inputRequests(tb testing.TB) map[string]req {
	admin, lyon := e.admin(tb), e.as(tb, e.lyon)
	return map[string]req{
		"create provider":  {method: "POST", path: "/api/v1/providers", token: admin, body: e.providerBody(tb)},
		"replace provider": {method: "PUT", path: "/api/v1/providers/" + e.lyon.ID, token: lyon, body: with(tb, e.providerBody(tb), "siret", e.lyon.SIRET)},
		"create offer":     {method: "POST", path: "/api/v1/offers", token: lyon, body: offerBody(tb, "", "published")},
		"replace offer":    {method: "PUT", path: "/api/v1/offers/" + e.offer.ID, token: lyon, body: offerBody(tb, "", "published")},
		"create session":   {method: "POST", path: "/api/v1/offers/" + e.offer.ID + "/sessions", token: lyon, body: sessionBody},
		"create organisation": {method: "POST", path: "/api/v1/organisations", token: admin,
			body: `{"siret":"73282932000074","name":"Région","role":"funder","admin_email":"chef@region.fr"}`},
	}
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	// Each valid request must be accepted, or the refusals below prove nothing.
	for name := range newEnv(t).inputRequests(t) {
		probe := newEnv(t)
		if rec := probe.do(probe.inputRequests(t)[name]); rec.Code >= 300 {
			t.Fatalf("the valid request to %s is refused: %d %s", name, rec.Code, rec.Body)
		}
	}

	e := newEnv(t)
	admin, lyon := e.admin(t), e.as(t, e.lyon)
	valid := e.inputRequests(t)
	createProvider, replaceProvider := valid["create provider"], valid["replace provider"]
	createOffer, replaceOffer, createSession := valid["create offer"], valid["replace offer"], valid["create session"]

	var cases []badInput
	for name, r := range valid {
		cases = append(cases, bodyCases(t, name, r)...)
	}
	set := func(r req, kv ...any) req {
		r.body = with(t, r.body, kv...)
		return r
	}
	header := func(r req, k, v string) req {
		r.header = map[string]string{k: v}
		return r
	}
	path := func(r req, p string) req {
		r.path = p
		return r
	}
	for _, pr := range []struct {
		name string
		r    req
	}{{"create provider", createProvider}, {"replace provider", replaceProvider}} {
		n, r := pr.name+": ", pr.r
		cases = append(cases, []badInput{
			{n + "SIRET as a number", set(r, "siret", raw(`90123456700013`)), 400, "siret"},
			{n + "SIRET failing Luhn", set(r, "siret", "90123456700014"), 400, "siret"},
			{n + "SIRET with a letter", set(r, "siret", "9012345670001A"), 400, "siret"},
			{n + "SIRET too short", set(r, "siret", "9012345670001"), 400, "siret"},
			{n + "NDA too short", set(r, "nda", "8469123456"), 400, "nda"},
			{n + "no name", set(r, "name", nil), 400, "name"},
			{n + "name with a control character", set(r, "name", "Atelier\x00Rhône"), 400, "name"},
			{n + "unknown commune", set(r, "commune", "99999"), 400, "commune"},
			{n + "arrondissement, not a commune", set(r, "commune", "69381"), 400, "commune"},
			{n + "commune as a number", set(r, "commune", raw(`69123`)), 400, "commune"},
			{n + "Qualiopi as a string", set(r, "qualiopi", "FR061245-2"), 400, "qualiopi"},
			{n + "Qualiopi date that does not exist", set(r, "qualiopi.valid_until", "2027-02-30"), 400, "qualiopi.valid_until"},
			{n + "Qualiopi date in French order", set(r, "qualiopi.valid_until", "30/06/2027"), 400, "qualiopi.valid_until"},
			{n + "Qualiopi date as a number", set(r, "qualiopi.valid_until", raw(`20270630`)), 400, "qualiopi.valid_until"},
			{n + "Qualiopi date without certificate", set(r, "qualiopi.certificate", nil), 400, "qualiopi.certificate"},
			{n + "unknown Qualiopi field", set(r, "qualiopi.grade", "A"), 400, "qualiopi.grade"},
			{n + "website not http", set(r, "website", "ftp://lumiere-formation.example"), 400, "website"},
			{n + "email without @", set(r, "email", "contact.lumiere-formation.example"), 400, "email"},
		}...)
	}
	cases = append(cases, []badInput{
		{"create provider: SIRET taken", set(createProvider, "siret", e.lyon.SIRET), 409, ""},
		{"replace provider: own SIRET change", set(replaceProvider, "siret", "90123456700021"), 400, "siret"},
		{"replace provider: If-Match not an ETag", header(replaceProvider, "If-Match", `"yesterday"`), 400, "If-Match"},
		{"replace provider: bad id", path(replaceProvider, "/api/v1/providers/bad%20id"), 400, "id"},
		{"replace provider: id too long", path(replaceProvider, "/api/v1/providers/"+strings.Repeat("x", 101)), 400, "id"},
		{"replace provider: unknown", path(replaceProvider, "/api/v1/providers/"+marketplace.NewID()), 404, ""},
	}...)
	for _, or := range []struct {
		name string
		r    req
	}{{"create offer", createOffer}, {"replace offer", replaceOffer}} {
		n, r := or.name+": ", or.r
		cases = append(cases, []badInput{
			{n + "price as a string", set(r, "price_cents", "890000"), 400, "price_cents"},
			{n + "price in euros with cents", set(r, "price_cents", 8900.5), 400, "price_cents"},
			{n + "negative price", set(r, "price_cents", -1), 400, "price_cents"},
			{n + "price over the bound", set(r, "price_cents", 10_000_001), 400, "price_cents"},
			{n + "fractional hours", set(r, "hours", 1.5), 400, "hours"},
			{n + "hours overflow", set(r, "hours", raw(`1e100`)), 400, "hours"},
			{n + "no hours", set(r, "hours", nil), 400, "hours"},
			{n + "skills as a string", set(r, "skills", "HTML, CSS"), 400, "skills"},
			{n + "skill as a number", set(r, "skills", raw(`["HTML", 5]`)), 400, "skills"},
			{n + "empty skill", set(r, "skills", []string{"HTML", " "}), 400, "skills[1]"},
			{n + "certification as a string", set(r, "certification", "RNCP37674"), 400, "certification"},
			{n + "no certification", set(r, "certification", nil), 400, "certification.code"},
			{n + "certification code without number", set(r, "certification.code", "RNCP"), 400, "certification.code"},
			{n + "certification code of another register", set(r, "certification.code", "CQP12345"), 400, "certification.code"},
			{n + "certification number too long", set(r, "certification.code", "RNCP1234567"), 400, "certification.code"},
			{n + "certification level as a string", set(r, "certification.level", "5"), 400, "certification.level"},
			{n + "certification level 9", set(r, "certification.level", 9), 400, "certification.level"},
			{n + "unknown certification field", set(r, "certification.rncp", 37674), 400, "certification.rncp"},
			{n + "no title", set(r, "title", " "), 400, "title"},
			{n + "unknown commune", set(r, "commune", "99999"), 400, "commune"},
			{n + "malformed commune", set(r, "commune", "6912"), 400, "commune"},
			{n + "no commune", set(r, "commune", nil), 400, "commune"},
			{n + "unknown modality", set(r, "modality", "online"), 400, "modality"},
			{n + "unknown status", set(r, "status", "archived"), 400, "status"},
			{n + "status as a boolean", set(r, "status", true), 400, "status"},
		}...)
	}
	cases = append(cases, []badInput{
		{"create offer: another provider's id", set(createOffer, "provider_id", e.villeurbanne.ID), 403, ""},
		{"replace offer: another provider's id", set(replaceOffer, "provider_id", e.villeurbanne.ID), 400, "provider_id"},
		{"create offer: unknown provider (admin)", req{method: "POST", path: "/api/v1/offers", token: admin, body: offerBody(t, marketplace.NewID(), "draft")}, 400, "provider_id"},
		{"create offer: no provider (admin)", req{method: "POST", path: "/api/v1/offers", token: admin, body: offerBody(t, "", "draft")}, 400, "provider_id"},
		{"replace offer: moved to another provider (admin)", req{method: "PUT", path: replaceOffer.path, token: admin, body: offerBody(t, e.villeurbanne.ID, "published")}, 400, "provider_id"},
		{"replace offer: If-Match not an ETag", header(replaceOffer, "If-Match", "W/1"), 400, "If-Match"},
		{"replace offer: bad id", path(replaceOffer, "/api/v1/offers/%C3%A9t%C3%A9"), 400, "id"},
		{"replace offer: unknown", path(replaceOffer, "/api/v1/offers/"+marketplace.NewID()), 404, ""},
		{"create session: start that does not exist", set(createSession, "start", "2026-02-30"), 400, "start"},
		{"create session: start in French order", set(createSession, "start", "14/09/2026"), 400, "start"},
		{"create session: start with a time", set(createSession, "start", "2026-09-14T09:00:00Z"), 400, "start"},
		{"create session: no start", set(createSession, "start", nil), 400, "start"},
		{"create session: end as a number", set(createSession, "end", raw(`20270430`)), 400, "end"},
		{"create session: ends before it starts", set(createSession, "end", "2026-09-13"), 400, "end"},
		{"create session: no seats", set(createSession, "seats", 0), 400, "seats"},
		{"create session: seats as a string", set(createSession, "seats", "14"), 400, "seats"},
		{"create session: too many seats", set(createSession, "seats", 10_001), 400, "seats"},
		{"create session: bad offer id", path(createSession, "/api/v1/offers/bad%20id/sessions"), 400, "id"},
		{"create session: unknown offer", path(createSession, "/api/v1/offers/"+marketplace.NewID()+"/sessions"), 404, ""},
		{"delete offer: bad id", req{method: "DELETE", path: "/api/v1/offers/bad%0Aid", token: lyon}, 400, "id"},
		{"delete session: bad session id", req{method: "DELETE", path: "/api/v1/offers/" + e.offer.ID + "/sessions/" + strings.Repeat("9", 101), token: lyon}, 400, "session_id"},
		{"delete session: bad offer id", req{method: "DELETE", path: "/api/v1/offers/b@d/sessions/" + e.session.ID, token: lyon}, 400, "id"},
		{"delete session: unknown", req{method: "DELETE", path: "/api/v1/offers/" + e.offer.ID + "/sessions/" + marketplace.NewID(), token: lyon}, 404, ""},
	}...)
	longCursor := strings.Repeat("A", 201)
	for _, q := range []struct {
		path, field string
	}{
		{"/api/v1/offers?cursor=%21%21%21", "cursor"},
		{"/api/v1/offers?cursor=" + longCursor, "cursor"},
		{"/api/v1/offers?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("a\x00b")), "cursor"},
		{"/api/v1/offers?limit=0", "limit"},
		{"/api/v1/offers?limit=101", "limit"},
		{"/api/v1/offers?limit=ten", "limit"},
		{"/api/v1/offers?limit=-1", "limit"},
		{"/api/v1/offers?region=99", "region"},
		{"/api/v1/offers?department=999", "department"},
		{"/api/v1/offers?certification=XYZ", "certification"},
		{"/api/v1/offers?certification=RNCP", "certification"},
		{"/api/v1/offers?status=archived", "status"},
		{"/api/v1/offers?status=", "status"},
		{"/api/v1/providers?cursor=%25%25", "cursor"},
		{"/api/v1/providers?limit=1000", "limit"},
		{"/api/v1/providers/bad%20id", "id"},
		{"/api/v1/offers/" + strings.Repeat("x", 101), "id"},
		{"/api/v1/offers/bad%20id/sessions", "id"},
		{"/api/v1/communes", "q"},
		{"/api/v1/communes?q=", "q"},
		{"/api/v1/communes?q=" + strings.Repeat("a", 101), "q"},
		{"/api/v1/communes?q=lyon&limit=51", "limit"},
		{"/api/v1/communes?q=lyon&limit=0", "limit"},
		{"/api/v1/communes/ABCDE", "insee"},
		{"/api/v1/communes/99999", "insee"},
		{"/api/v1/communes/2a004", "insee"},
	} {
		cases = append(cases, badInput{"GET " + q.path[:min(len(q.path), 60)], req{method: "GET", path: q.path}, 400, q.field})
	}
	// Organisations (organisations_test.go has the rest).
	createOrg := valid["create organisation"]
	cases = append(cases, []badInput{
		{"create organisation: SIRET failing Luhn", set(createOrg, "siret", "73282932000075"), 400, "siret"},
		{"create organisation: learner role", set(createOrg, "role", "learner"), 400, "role"},
		{"create organisation: no name", set(createOrg, "name", ""), 400, "name"},
		{"create organisation: bad address", set(createOrg, "admin_email", "chef"), 400, "admin_email"},
		{"create organisation: provider without its provider", set(createOrg, "role", "provider"), 400, "provider_id"},
		{"create organisation: another SIRET's provider", set(createOrg, "role", "provider", "provider_id", e.lyon.ID), 400, "provider_id"},
	}...)

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot(t)
			rec := e.do(c.r)
			problem(t, rec, c.status, c.field)
			e.unchanged(t, before)
		})
	}
}

// TestUnknownFieldIsNamedByPath checks the exact field path for unknown
// nested fields, which the JSON decoder reports by key alone.
func TestUnknownFieldIsNamedByPath(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	for _, tc := range []struct {
		body string
		want []api.ProblemField
	}{
		{with(t, e.providerBody(t), "qualiopi.grade", "A"), []api.ProblemField{{Field: "qualiopi.grade", Detail: "is not a known field"}}},
		{with(t, e.providerBody(t), "grade", "A"), []api.ProblemField{{Field: "grade", Detail: "is not a known field"}}},
		{`{"siret":"90123456700013","qualiopi":{"Certificate":"FR1","valid_until":"2027-01-01","grade":"A"}}`, []api.ProblemField{{Field: "qualiopi.grade", Detail: "is not a known field"}}},
	} {
		rec := e.do(req{method: "POST", path: "/api/v1/providers", token: admin, body: tc.body})
		p := problem(t, rec, 400, "")
		if diff := cmp.Diff(tc.want, p.Errors); diff != "" {
			t.Errorf("%s: errors (-want +got):\n%s", tc.body, diff)
		}
	}
	rec := e.do(req{method: "POST", path: "/api/v1/offers", token: e.as(t, e.lyon), body: with(t, offerBody(t, "", "draft"), "certification.rncp", 1)})
	if diff := cmp.Diff([]api.ProblemField{{Field: "certification.rncp", Detail: "is not a known field"}}, problem(t, rec, 400, "").Errors); diff != "" {
		t.Errorf("offer: errors (-want +got):\n%s", diff)
	}
}

// route is one registered endpoint, with a request that would succeed if
// the caller were allowed.
type route struct {
	method, path, body string
	public             bool
}

func (e *testEnv) routes(tb testing.TB) []route {
	o := "/api/v1/offers/" + e.offer.ID
	return append([]route{
		{"GET", "/healthz", "", true},
		{"GET", "/readyz", "", true},
		{"GET", "/metrics", "", false},
		{"GET", "/api/v1/openapi.json", "", true},
		{"GET", "/api/v1/providers", "", true},
		{"GET", "/api/v1/providers/" + e.lyon.ID, "", true},
		{"GET", "/api/v1/offers", "", true},
		{"GET", o, "", true},
		{"GET", o + "/sessions", "", true},
		{"GET", "/api/v1/communes?q=lyon", "", true},
		{"GET", "/api/v1/communes/69123", "", true},
		{"GET", "/api/v1/regions", "", true},
		{"GET", "/api/v1/search/offers?q=developpeur", "", true},
		{"GET", "/api/v1/transparency/neutrality", "", true},
		{"GET", "/api/v1/me", "", false},
		{"POST", "/api/v1/providers", e.providerBody(tb), false},
		{"PUT", "/api/v1/providers/" + e.lyon.ID, with(tb, e.providerBody(tb), "siret", e.lyon.SIRET), false},
		{"POST", "/api/v1/offers", offerBody(tb, e.lyon.ID, "draft"), false},
		{"PUT", o, offerBody(tb, "", "published"), false},
		{"DELETE", o, "", false},
		{"POST", o + "/sessions", sessionBody, false},
		{"DELETE", o + "/sessions/" + e.session.ID, "", false},
		{"POST", "/api/v1/admin/backup", "", false},
		{"GET", "/api/v1/occupations/M1805", "", true},
		{"GET", "/api/v1/occupations/M1805/trainings", "", true},
		{"GET", "/api/v1/skills/" + testSkill + "/neighbours", "", true},
		{"GET", "/api/v1/me/skills", "", false},
		{"PUT", "/api/v1/me/skills", `{"skills":[{"id":"` + testSkill + `","level":2}]}`, false},
		{"GET", "/api/v1/me/gap?occupation=M1805", "", false},
		{"GET", "/api/v1/me/passerelles", "", false},

		// Accounts, dossiers, funders: the IDs only need the right shape
		// here; money_test.go tests each endpoint's rules.
		{"POST", "/api/v1/accounts", `{"nir":"255081416802538"}`, false},
		{"GET", "/api/v1/accounts/" + e.lyon.ID, "", false},
		{"GET", "/api/v1/accounts/" + e.lyon.ID + "/movements", "", false},
		{"GET", "/api/v1/accounts/" + e.lyon.ID + "/dossiers", "", false},
		{"POST", "/api/v1/dossiers", `{}`, false},
		{"GET", "/api/v1/dossiers/" + e.lyon.ID, "", false},
		{"POST", "/api/v1/dossiers/" + e.lyon.ID + "/proposal", `{}`, false},
		{"POST", "/api/v1/dossiers/" + e.lyon.ID + "/refusal", "", false},
		{"POST", "/api/v1/dossiers/" + e.lyon.ID + "/acceptance", `{}`, false},
		{"POST", "/api/v1/dossiers/" + e.lyon.ID + "/cancellation", `{}`, false},
		{"POST", "/api/v1/dossiers/" + e.lyon.ID + "/entry", "", false},
		{"POST", "/api/v1/dossiers/" + e.lyon.ID + "/exit", `{"completion_rate":100}`, false},
		{"POST", "/api/v1/dossiers/" + e.lyon.ID + "/evaluation", `{}`, false},
		{"PUT", "/api/v1/dossiers/" + e.lyon.ID + "/evaluation/visibility", `{"comment_hidden":true}`, false},
		{"GET", "/api/v1/providers/" + e.lyon.ID + "/dossiers", "", false},
		{"GET", o + "/ratings", "", true},
		{"GET", "/api/v1/providers/" + e.lyon.ID + "/ratings", "", true},
		{"GET", "/api/v1/funders/rules", "", false},
		{"POST", "/api/v1/funders/rules", `{"name":"x","funder_kind":"region","percent":50}`, false},
		{"POST", "/api/v1/funders/rules/" + e.lyon.ID + "/budget", `{"amount_cents":100}`, false},
		{"POST", "/api/v1/admin/employment-declarations", `{"csv":""}`, false},
		{"POST", "/api/v1/payments/webhook/card", `{}`, false},

		// Controls: controls_test.go tests their rules.
		{"GET", "/api/v1/controls/alerts", "", false},
		{"GET", "/api/v1/controls/alerts/" + e.lyon.ID, "", false},
		{"POST", "/api/v1/controls/alerts/" + e.lyon.ID + "/actions", `{"kind":"note","reason":"x"}`, false},
		{"POST", "/api/v1/controls/screenings", `{"kind":"job_post","fields":{"title":"Serveur H/F"}}`, false},
		{"GET", o + "/review", "", false},

		// Organisations and contact details: organisations_test.go tests their rules.
		{"POST", "/api/v1/organisations", `{}`, false},
		{"GET", "/api/v1/organisations/" + e.lyon.ID, "", false},
		{"POST", "/api/v1/organisations/" + e.lyon.ID + "/invitations", `{}`, false},
		{"DELETE", "/api/v1/organisations/" + e.lyon.ID + "/members/" + testMember, "", false},
		{"GET", "/api/v1/accounts/" + e.lyon.ID + "/contact", "", false},
		{"PUT", "/api/v1/accounts/" + e.lyon.ID + "/contact", `{}`, false},

		// Training recommendations and the widget (recommendations_test.go).
		{"GET", "/api/v1/recommendations/trainings", "", false},
		{"GET", "/api/v1/me/recommendation-preferences", "", false},
		{"PUT", "/api/v1/me/recommendation-preferences", `{"targets":[],"views_consent":false}`, false},
		{"POST", "/api/v1/me/viewed-offers", `{"offer_id":"x"}`, false},
		{"GET", "/api/v1/widget/trainings?key=wk_example", "", true},
		{"GET", "/api/v1/admin/widget-keys", "", false},
		{"POST", "/api/v1/admin/widget-keys", `{"site":"x","origins":["https://x.example"]}`, false},
		{"DELETE", "/api/v1/admin/widget-keys/" + e.lyon.ID, "", false},
	}, append(e.jobRoutes(), e.profileRouteTable(tb)...)...) // api/matching_test.go, api/profiles_test.go
}

// testMember names an organisation member in the routes table.
const testMember = "member-0001"

// testSkill is a skill of the starter referential.
const testSkill = "rome:900124"

// TestRoutesTableIsComplete keeps the authorization tests in step with
// the server: every registered API route is in testEnv.routes.
func TestRoutesTableIsComplete(t *testing.T) {
	e := newEnv(t)
	ids := strings.NewReplacer(e.lyon.ID, "{id}", e.offer.ID, "{id}", e.session.ID, "{session_id}", "69123", "{insee}",
		"M1805", "{code}", testSkill, "{id}", "webhook/card", "webhook/{provider}", testMember, "{member_id}",
		shareSecret, "{secret}", url.PathEscape(e.profileCred), "{credential_id}", employerSIRET, "{siret}",
		"status-lists/1", "status-lists/{n}", "checkpoints/1", "checkpoints/{size}")
	var listed []string
	for _, r := range e.routes(t) {
		p, _, _ := strings.Cut(r.path, "?")
		listed = append(listed, r.method+" "+ids.Replace(p))
	}
	sort.Strings(listed)
	if diff := cmp.Diff(serverRoutes(t), listed); diff != "" {
		t.Errorf("routes (-registered +in the test table):\n%s", diff)
	}
}

func TestAnonymousAccess(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t)
	for _, r := range e.routes(t) {
		if strings.Contains(r.path, "/payments/webhook/") {
			continue // signed by the payment provider, not a token: TestPaymentWebhook
		}
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			rec := e.do(req{method: r.method, path: r.path, body: r.body})
			if r.public {
				if rec.Code != http.StatusOK {
					t.Errorf("public endpoint answers %d to an anonymous call: %.300s", rec.Code, rec.Body)
				}
				return
			}
			p := problem(t, rec, http.StatusUnauthorized, "")
			if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
				t.Errorf("WWW-Authenticate %q, want Bearer", got)
			}
			if p.Type != api.ProblemTypeBase+"unauthenticated" {
				t.Errorf("type %q", p.Type)
			}
		})
	}
	e.unchanged(t, before)
}

func TestWrongRoleIsForbidden(t *testing.T) {
	e := newEnv(t)
	tok := func(role auth.Role) string { return e.token(t, role, "someone") }
	byRoute := map[string]route{}
	for _, r := range e.routes(t) {
		byRoute[r.method+" "+r.path] = r
	}
	o := "/api/v1/offers/" + e.offer.ID
	for _, c := range []struct {
		route string
		role  auth.Role
	}{
		{"POST /api/v1/providers", auth.Learner},
		{"POST /api/v1/providers", auth.Controller},
		{"POST /api/v1/providers", auth.Funder},
		{"PUT /api/v1/providers/" + e.lyon.ID, auth.Learner},
		{"PUT /api/v1/providers/" + e.lyon.ID, auth.Controller},
		{"POST /api/v1/offers", auth.Learner},
		{"POST /api/v1/offers", auth.Employer},
		{"PUT " + o, auth.Employer},
		{"PUT " + o, auth.Controller},
		{"DELETE " + o, auth.Funder},
		{"POST " + o + "/sessions", auth.Learner},
		{"DELETE " + o + "/sessions/" + e.session.ID, auth.Learner},
		{"POST /api/v1/admin/backup", auth.Controller},
		{"PUT /api/v1/me/skills", auth.Provider},
		{"GET /api/v1/me/skills", auth.Employer},
		{"GET /api/v1/me/gap?occupation=M1805", auth.Provider},
		{"GET /api/v1/me/passerelles", auth.Admin},
		{"GET /api/v1/controls/alerts", auth.Provider},
		{"GET /api/v1/controls/alerts/" + e.lyon.ID, auth.Learner},
		{"POST /api/v1/controls/alerts/" + e.lyon.ID + "/actions", auth.Provider},
		{"POST /api/v1/controls/alerts/" + e.lyon.ID + "/actions", auth.Employer},
		{"POST /api/v1/controls/screenings", auth.Learner},
		{"GET " + o + "/review", auth.Learner},
		{"GET /api/v1/recommendations/trainings", auth.Provider},
		{"PUT /api/v1/me/recommendation-preferences", auth.Employer},
		{"POST /api/v1/admin/widget-keys", auth.Learner},
		{"DELETE /api/v1/admin/widget-keys/" + e.lyon.ID, auth.Controller},
	} {
		t.Run(string(c.role)+" "+c.route, func(t *testing.T) {
			r, ok := byRoute[c.route]
			if !ok {
				t.Fatalf("no route %s", c.route)
			}
			before := e.snapshot(t)
			problem(t, e.do(req{method: r.method, path: r.path, body: r.body, token: tok(c.role)}), http.StatusForbidden, "")
			e.unchanged(t, before)
		})
	}
	// A provider is not an administrator.
	for _, r := range []req{
		{method: "POST", path: "/api/v1/providers", body: e.providerBody(t)},
		{method: "POST", path: "/api/v1/admin/backup"},
	} {
		r.token = e.as(t, e.lyon)
		before := e.snapshot(t)
		problem(t, e.do(r), http.StatusForbidden, "")
		e.unchanged(t, before)
	}
}

// TestProviderCannotTouchAnotherProvider checks object-level
// authorization: villeurbanne may not change lyon or lyon's offers.
func TestProviderCannotTouchAnotherProvider(t *testing.T) {
	testProviderCannotTouchAnotherProvider(t, newEnv(t))
}

func TestProviderCannotTouchAnotherProviderMongo(t *testing.T) {
	testProviderCannotTouchAnotherProvider(t, newMongoEnv(t))
}

func testProviderCannotTouchAnotherProvider(t *testing.T, e *testEnv) {
	other := e.as(t, e.villeurbanne)
	o := "/api/v1/offers/" + e.offer.ID
	before := e.snapshot(t)
	for _, r := range []req{
		{method: "PUT", path: o, body: offerBody(t, "", "draft")},
		{method: "PUT", path: o, body: offerBody(t, e.villeurbanne.ID, "draft")},
		{method: "DELETE", path: o},
		{method: "POST", path: o + "/sessions", body: sessionBody},
		{method: "DELETE", path: o + "/sessions/" + e.session.ID},
		{method: "PUT", path: "/api/v1/providers/" + e.lyon.ID, body: with(t, e.providerBody(t), "siret", e.lyon.SIRET)},
		{method: "POST", path: "/api/v1/offers", body: offerBody(t, e.lyon.ID, "draft")},
		{method: "POST", path: "/api/v1/offers", body: offerBody(t, e.lyon.ID, "published")},
	} {
		t.Run(r.method+" "+r.path+" "+r.body[:min(len(r.body), 40)], func(t *testing.T) {
			r.token = other
			problem(t, e.do(r), http.StatusForbidden, "")
		})
	}
	e.unchanged(t, before)

	// The offer reads as before, to its owner too.
	rec := e.do(req{method: "GET", path: o, token: e.as(t, e.lyon)})
	var got api.OfferOutput
	decode(t, rec, &got)
	if got.Title != e.offer.Title || got.Status != "published" || len(got.Sessions) != 1 || !got.UpdatedAt.Equal(e.offer.UpdatedAt) {
		t.Errorf("offer after refused changes: %+v", got)
	}
}

func TestWhoCreatesOffersForWhom(t *testing.T) { testWhoCreatesOffersForWhom(t, newEnv(t)) }

func TestWhoCreatesOffersForWhomMongo(t *testing.T) { testWhoCreatesOffersForWhom(t, newMongoEnv(t)) }

func testWhoCreatesOffersForWhom(t *testing.T, e *testEnv) {
	for _, c := range []struct {
		name, token, body, wantProvider string
	}{
		{"provider, own id implied", e.as(t, e.lyon), offerBody(t, "", "published"), e.lyon.ID},
		{"provider, own id given", e.as(t, e.villeurbanne), offerBody(t, e.villeurbanne.ID, "draft"), e.villeurbanne.ID},
		{"admin, for a provider", e.admin(t), offerBody(t, e.lyon.ID, "published"), e.lyon.ID},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(req{method: "POST", path: "/api/v1/offers", token: c.token, body: c.body})
			if rec.Code != http.StatusCreated {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var got api.OfferOutput
			decode(t, rec, &got)
			if got.ProviderID != c.wantProvider {
				t.Errorf("provider_id %q, want %q", got.ProviderID, c.wantProvider)
			}
			if loc := rec.Header().Get("Location"); loc != "/api/v1/offers/"+got.ID {
				t.Errorf("Location %q for offer %s", loc, got.ID)
			}
			stored, err := e.store.Offer(context.Background(), got.ID)
			if err != nil || stored.ProviderID != c.wantProvider {
				t.Errorf("stored offer %+v, %v", stored, err)
			}
			// Place fields come from the commune, not from the client.
			want := api.OfferOutput{Commune: "69123", CommuneName: "Lyon", Department: "69", Region: "84"}
			if diff := cmp.Diff(want, api.OfferOutput{Commune: got.Commune, CommuneName: got.CommuneName, Department: got.Department, Region: got.Region}); diff != "" {
				t.Errorf("place (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQualiopiGatesPublication(t *testing.T) {
	e := newEnv(t)
	nocert := e.as(t, e.nocert)

	before := e.snapshot(t)
	p := problem(t, e.do(req{method: "POST", path: "/api/v1/offers", token: nocert, body: offerBody(t, "", "published")}), http.StatusUnprocessableEntity, "")
	if p.Type != api.ProblemTypeBase+"not-publishable" {
		t.Errorf("type %q, want not-publishable", p.Type)
	}
	e.unchanged(t, before)

	rec := e.do(req{method: "POST", path: "/api/v1/offers", token: nocert, body: offerBody(t, "", "draft")})
	if rec.Code != http.StatusCreated {
		t.Fatalf("draft without Qualiopi: %d %s", rec.Code, rec.Body)
	}
	var draft api.OfferOutput
	decode(t, rec, &draft)
	if draft.Status != "draft" {
		t.Errorf("status %q, want draft", draft.Status)
	}

	before = e.snapshot(t)
	problem(t, e.do(req{method: "PUT", path: "/api/v1/offers/" + draft.ID, token: nocert, body: offerBody(t, "", "published")}), http.StatusUnprocessableEntity, "")
	e.unchanged(t, before)

	// A provider whose certification lapses loses its published offers.
	lapsed := with(t, e.providerBody(t), "siret", e.lyon.SIRET, "qualiopi.valid_until", time.Now().AddDate(0, 0, -2).Format(time.DateOnly))
	if rec := e.do(req{method: "PUT", path: "/api/v1/providers/" + e.lyon.ID, token: e.admin(t), body: lapsed}); rec.Code != http.StatusOK {
		t.Fatalf("lapsing lyon's Qualiopi: %d %s", rec.Code, rec.Body)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/offers/" + e.offer.ID}), http.StatusNotFound, "")
	var got api.ProviderOutput
	decode(t, e.do(req{method: "GET", path: "/api/v1/providers/" + e.lyon.ID}), &got)
	if got.CanPublish {
		t.Error("can_publish is true after the certification lapsed")
	}
}

func TestUnpublishedOffersAreHidden(t *testing.T) {
	e := newEnv(t)
	d := "/api/v1/offers/" + e.draft.ID
	lyon, other, admin, controller := e.as(t, e.lyon), e.as(t, e.villeurbanne), e.admin(t), e.token(t, auth.Controller, "dreets-ara")
	for _, c := range []struct {
		name, path, token string
		want              int
	}{
		{"anonymous", d, "", 404},
		{"another provider", d, other, 404},
		{"a learner", d, e.token(t, auth.Learner, "l-1"), 404},
		{"its provider", d, lyon, 200},
		{"an admin", d, admin, 200},
		{"a controller", d, controller, 200},
		{"sessions, anonymous", d + "/sessions", "", 404},
		{"sessions, another provider", d + "/sessions", other, 404},
		{"sessions, its provider", d + "/sessions", lyon, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(req{method: "GET", path: c.path, token: c.token})
			if c.want == 404 {
				problem(t, rec, 404, "")
			} else if rec.Code != c.want {
				t.Errorf("status %d, want %d", rec.Code, c.want)
			}
		})
	}

	list := func(t *testing.T, query, token string) []string {
		t.Helper()
		rec := e.do(req{method: "GET", path: "/api/v1/offers" + query, token: token})
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/v1/offers%s: %d %s", query, rec.Code, rec.Body)
		}
		var l api.OfferList
		decode(t, rec, &l)
		var ids []string
		for _, o := range l.Results {
			ids = append(ids, o.ID)
		}
		return ids
	}
	for _, c := range []struct {
		name, query, token string
		want               []string
	}{
		{"public listing", "", "", []string{e.offer.ID, e.otherOffer.ID}},
		{"public listing with a token", "", lyon, []string{e.offer.ID, e.otherOffer.ID}},
		{"own drafts", "?status=draft&provider_id=" + e.lyon.ID, lyon, []string{e.draft.ID}},
		{"own offers, any status", "?status=any&provider_id=" + e.lyon.ID, lyon, []string{e.offer.ID, e.draft.ID}},
		{"all drafts, admin", "?status=draft", admin, []string{e.draft.ID}},
		{"all drafts, controller", "?status=draft", controller, []string{e.draft.ID}},
		{"another's published offers", "?status=published&provider_id=" + e.lyon.ID, other, []string{e.offer.ID}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, list(t, c.query, c.token)); diff != "" {
				t.Errorf("offers (-want +got):\n%s", diff)
			}
		})
	}
	for _, c := range []struct {
		name, query, token, field string
		want                      int
	}{
		{"another's drafts", "?status=draft&provider_id=" + e.lyon.ID, other, "", 403},
		{"another's offers, any status", "?status=any&provider_id=" + e.lyon.ID, other, "", 403},
		{"drafts anonymously", "?status=draft&provider_id=" + e.lyon.ID, "", "", 401},
		{"all drafts anonymously", "?status=draft", "", "", 401},
		{"all drafts, a provider", "?status=draft", lyon, "provider_id", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			problem(t, e.do(req{method: "GET", path: "/api/v1/offers" + c.query, token: c.token}), c.want, c.field)
		})
	}
}

// alg none and the like: a token the instance did not sign.
func unsignedToken(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + "."
}

func TestBadTokensAreRefused(t *testing.T) {
	e := newEnv(t)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	mint := func(tokens *auth.Tokens) string {
		tok, err := tokens.Mint(auth.Admin, "ops", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := e.admin(t)
	now := time.Now()
	cases := []struct {
		name, header, challenge string
	}{
		{"expired", "Bearer " + e.expiredToken(t), "invalid_token"},
		{"not yet valid", "Bearer " + mint(auth.NewTokens(e.key, "parcours", 24*time.Hour, func() time.Time { return now.Add(time.Hour) })), "invalid_token"},
		{"signed by another key", "Bearer " + mint(auth.NewTokens(otherKey, "parcours", 24*time.Hour, nil)), "invalid_token"},
		{"from another issuer", "Bearer " + mint(auth.NewTokens(e.key, "autre-instance", 24*time.Hour, nil)), "invalid_token"},
		{"unsigned", "Bearer " + unsignedToken(map[string]any{"role": "admin", "sub": "ops", "iss": "parcours", "aud": "parcours", "exp": now.Add(time.Hour).Unix()}), "invalid_token"},
		{"tampered", "Bearer " + valid[:len(valid)-4] + "AAAA", "invalid_token"},
		{"garbage", "Bearer not-a-token", "invalid_token"},
		{"empty bearer", "Bearer ", "invalid_token"},
		{"basic scheme", "Basic b3BzOnNlY3JldA==", "invalid_request"},
		{"no scheme", valid, "invalid_request"},
	}
	for _, c := range cases {
		for _, r := range []req{
			{method: "GET", path: "/api/v1/offers"},
			{method: "GET", path: "/api/v1/me"},
			{method: "POST", path: "/api/v1/offers", body: offerBody(t, e.lyon.ID, "draft")},
			{method: "POST", path: "/api/v1/admin/backup"},
		} {
			t.Run(c.name+" "+r.method+" "+r.path, func(t *testing.T) {
				r.auth = c.header
				before := e.snapshot(t)
				rec := e.do(r)
				problem(t, rec, http.StatusUnauthorized, "")
				if got, want := rec.Header().Get("WWW-Authenticate"), `Bearer error="`+c.challenge+`"`; got != want {
					t.Errorf("WWW-Authenticate %q, want %q", got, want)
				}
				e.unchanged(t, before)
			})
		}
	}
	// The valid token the tampered one came from works.
	if rec := e.do(req{method: "GET", path: "/api/v1/me", token: valid}); rec.Code != http.StatusOK {
		t.Errorf("valid token: %d %s", rec.Code, rec.Body)
	}
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	rec := e.do(req{method: "GET", path: "/api/v1/me", token: e.as(t, e.lyon)})
	var got api.MeOutput
	decode(t, rec, &got)
	if got.Role != "provider" || got.Subject != e.lyon.ID || time.Until(got.Expires) <= 0 || time.Until(got.Expires) > time.Hour+time.Minute {
		t.Errorf("me = %+v", got)
	}
}

// TestIfMatch checks optimistic concurrency: a replacement based on a
// stale version is refused with 409 and changes nothing.
func TestIfMatch(t *testing.T) { testIfMatch(t, newEnv(t)) }

func TestIfMatchMongo(t *testing.T) { testIfMatch(t, newMongoEnv(t)) }

func testIfMatch(t *testing.T, e *testEnv) {
	lyon := e.as(t, e.lyon)
	for _, c := range []struct {
		name, path, body, titleKey string
	}{
		{"offer", "/api/v1/offers/" + e.offer.ID, offerBody(t, "", "published"), "title"},
		{"provider", "/api/v1/providers/" + e.lyon.ID, with(t, e.providerBody(t), "siret", e.lyon.SIRET), "name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			get := func() (string, string) {
				rec := e.do(req{method: "GET", path: c.path, token: lyon})
				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s: %d", c.path, rec.Code)
				}
				return rec.Header().Get("ETag"), rec.Body.String()
			}
			put := func(etag string, title string) *httptest.ResponseRecorder {
				return e.do(req{method: "PUT", path: c.path, token: lyon, body: with(t, c.body, c.titleKey, title), header: map[string]string{"If-Match": etag}})
			}
			v1, _ := get()
			if !regexp.MustCompile(`^"[0-9]+"$`).MatchString(v1) {
				t.Fatalf("ETag %q", v1)
			}
			first := put(v1, "Première version")
			if first.Code != http.StatusOK {
				t.Fatalf("PUT with the current ETag: %d %s", first.Code, first.Body)
			}
			v2, body2 := get()
			if v2 == v1 || first.Header().Get("ETag") != v2 {
				t.Errorf("ETags: read %s, after PUT %s (PUT answered %s)", v1, v2, first.Header().Get("ETag"))
			}
			before := e.snapshot(t)
			problem(t, put(v1, "Version concurrente"), http.StatusConflict, "")
			e.unchanged(t, before)
			if v, body := get(); v != v2 || body != body2 {
				t.Errorf("after the refused PUT: ETag %s, body changed %v", v, body != body2)
			}
			if rec := put(v2, "Deuxième version"); rec.Code != http.StatusOK {
				t.Errorf("PUT with the new ETag: %d %s", rec.Code, rec.Body)
			}
			if rec := put("*", "Troisième version"); rec.Code != http.StatusOK {
				t.Errorf("PUT with If-Match *: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	// A slow refill (one request per 100 s) keeps the test independent of
	// how fast the machine runs it.
	e := newEnv(t, func(d *api.Deps) { d.RatePerSecond, d.RateBurst = 0.01, 2 })
	first := req{method: "GET", path: "/api/v1/offers", remote: "192.0.2.10:1000"}
	for i := range 2 {
		if rec := e.do(first); rec.Code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i+1, rec.Code)
		}
	}
	rec := e.do(first)
	p := problem(t, rec, http.StatusTooManyRequests, "")
	if p.Type != api.ProblemTypeBase+"rate-limited" {
		t.Errorf("type %q", p.Type)
	}
	if n, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || n < 1 || n > 100 {
		t.Errorf("Retry-After %q, want whole seconds from 1 to 100", rec.Header().Get("Retry-After"))
	}
	// Another port of the same address is the same client.
	problem(t, e.do(req{method: "GET", path: "/api/v1/regions", remote: "192.0.2.10:2000"}), http.StatusTooManyRequests, "")

	for _, c := range []struct {
		name string
		r    req
	}{
		{"another address", req{method: "GET", path: "/api/v1/offers", remote: "192.0.2.11:1000"}},
		{"IPv6 client", req{method: "GET", path: "/api/v1/offers", remote: "[2001:db8::1]:1000"}},
		{"authenticated, same address", req{method: "GET", path: "/api/v1/offers", remote: "192.0.2.10:1000", token: e.as(t, e.lyon)}},
		{"health, same address", req{method: "GET", path: "/healthz", remote: "192.0.2.10:1000"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for i := range 5 {
				if i >= 2 && c.r.token == "" && c.r.path != "/healthz" {
					break // fresh anonymous clients get their own burst only
				}
				if rec := e.do(c.r); rec.Code != http.StatusOK {
					t.Fatalf("request %d: %d %s", i+1, rec.Code, rec.Body)
				}
			}
		})
	}

	// Refused tokens are charged as anonymous requests.
	bad := req{method: "GET", path: "/api/v1/offers", remote: "192.0.2.12:1000", auth: "Bearer forged"}
	problem(t, e.do(bad), http.StatusUnauthorized, "")
	problem(t, e.do(bad), http.StatusUnauthorized, "")
	problem(t, e.do(bad), http.StatusTooManyRequests, "")
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	generated := regexp.MustCompile(`^[0-9a-f]{24}$`)
	for _, c := range []struct {
		name, sent string
		kept       bool
	}{
		{"none", "", false},
		{"sane", "req-2026-03-14.0001", true},
		{"uuid", "8c2e51a4-4f1e-4a5e-9d3b-0e6f7a8b9c10", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"with a space", "req 1", false},
		{"not ASCII", "requête-1", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{"/api/v1/regions", "/api/v1/offers/" + marketplace.NewID()} {
				r := req{method: "GET", path: path}
				if c.sent != "" {
					r.header = map[string]string{"X-Request-ID": c.sent}
				}
				rec := e.do(r)
				got := rec.Header().Get("X-Request-ID")
				if c.kept && got != c.sent {
					t.Errorf("%s: X-Request-ID %q, want %q kept", path, got, c.sent)
				}
				if !c.kept && !generated.MatchString(got) {
					t.Errorf("%s: X-Request-ID %q, want a new one", path, got)
				}
				if rec.Code == http.StatusNotFound {
					problem(t, rec, http.StatusNotFound, "") // checks request_id = header
				}
			}
		})
	}
	a, b := e.do(req{method: "GET", path: "/healthz"}), e.do(req{method: "GET", path: "/healthz"})
	if a.Header().Get("X-Request-ID") == b.Header().Get("X-Request-ID") {
		t.Error("two requests got the same generated ID")
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		e.do(req{method: "GET", path: "/api/v1/offers/" + e.offer.ID})
	}
	e.do(req{method: "GET", path: "/api/v1/offers/" + marketplace.NewID()})
	e.do(req{method: "GET", path: "/nowhere"})
	rec := e.do(req{method: "GET", path: "/metrics", token: e.admin(t)})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`parcours_http_requests_total{method="GET",route="/api/v1/offers/:id",status="200"} 3`,
		`parcours_http_requests_total{method="GET",route="/api/v1/offers/:id",status="404"} 1`,
		`parcours_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`parcours_http_request_duration_seconds_count{method="GET",route="/api/v1/offers/:id"} 4`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, e.offer.ID) {
		t.Error("/metrics labels hold an offer id: routes must be patterns")
	}
}

func TestHealth(t *testing.T) {
	errDown := errors.New("store closed")
	for _, c := range []struct {
		name   string
		ready  func(context.Context) error
		path   string
		status int
		body   string
	}{
		{"healthz", nil, "/healthz", 200, `{"status":"ok"}`},
		{"healthz while not ready", func(context.Context) error { return errDown }, "/healthz", 200, `{"status":"ok"}`},
		{"readyz without a check", nil, "/readyz", 200, `{"status":"ready"}`},
		{"readyz, check passes", func(context.Context) error { return nil }, "/readyz", 200, `{"status":"ready"}`},
		{"readyz, check fails", func(context.Context) error { return errDown }, "/readyz", 503, ""},
		{"readyz, check times out", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, "/readyz", 503, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(d *api.Deps) { d.Ready = c.ready })
			rec := e.do(req{method: "GET", path: c.path})
			if c.status != 200 {
				p := problem(t, rec, c.status, "")
				if p.Type != api.ProblemTypeBase+"unavailable" {
					t.Errorf("type %q", p.Type)
				}
				return
			}
			if rec.Code != c.status || rec.Body.String() != c.body {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body, c.status, c.body)
			}
		})
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t)
	problem(t, e.do(req{method: "GET", path: "/api/v1/nowhere"}), http.StatusNotFound, "")
	rec := e.do(req{method: "PATCH", path: "/api/v1/offers/" + e.offer.ID, token: e.admin(t), body: `{}`})
	problem(t, rec, http.StatusMethodNotAllowed, "")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "PUT") || !strings.Contains(allow, "DELETE") {
		t.Errorf("Allow %q, want GET, PUT, DELETE", allow)
	}
}

// validOffer is the fuzz oracle: whether body decodes strictly into an
// offer that the catalogue must accept from the provider p.
func validOffer(body []byte, p marketplace.Provider, places *geo.Gazetteer) bool {
	if len(body) > testMaxBody {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in api.OfferInput
	if dec.Decode(&in) != nil {
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		return false
	}
	if in.ProviderID != "" && in.ProviderID != p.ID {
		return false
	}
	o := marketplace.Offer{
		ProviderID:    p.ID,
		Certification: marketplace.Certification{Code: in.Certification.Code, Title: in.Certification.Title, Level: in.Certification.Level},
		Title:         in.Title, Description: in.Description, Objectives: in.Objectives, Skills: in.Skills,
		PriceCents: in.PriceCents, Hours: in.Hours, Modality: marketplace.Modality(in.Modality), Commune: in.Commune, Status: marketplace.Status(in.Status),
	}
	if o.Validate(func(insee string) bool { _, ok := places.Commune(insee); return ok }) != nil {
		return false
	}
	return o.Status != marketplace.Published || p.CanPublishAt(time.Now())
}

// FuzzCreateOfferBody feeds arbitrary bodies to offer creation: the
// server never fails, and creates an offer exactly when the body is a
// valid offer.
func FuzzCreateOfferBody(f *testing.F) {
	e := newEnv(f)
	token := e.as(f, e.nocert)
	for _, seed := range []string{
		offerBody(f, "", "draft"),
		offerBody(f, e.nocert.ID, "draft"),
		offerBody(f, "", "published"),
		offerBody(f, e.lyon.ID, "draft"),
		`{"certification":{"code":"rs 5487"},"title":"Cybersécurité","hours":14,"modality":"distance","commune":"2A004"}`,
		`{"certification":{"code":"RNCP37674"},"title":"x","hours":1,"modality":"mixed","commune":"69123","skills":null}`,
		`{"certification":{"code":"RNCP37674"},"title":"x","hours":1,"modality":"mixed","commune":"69123","TITLE":"y"}`,
		`{"certification":{"code":"RNCP37674","kind":"RS"},"title":"x","hours":1e3,"modality":"mixed","commune":"97411"}`,
		`{"title":"\u0000","hours":-1}`,
		`{"skills":["a",1]}`,
		`null`, `[]`, `{}`, `{}{}`, `{"a":`, "\xff\xfe", `{"title":"` + strings.Repeat("é", 200) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := e.do(req{method: "POST", path: "/api/v1/offers", token: token, body: string(body), contentType: "application/json"})
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		want := validOffer(body, e.nocert, geo.Default())
		if got := rec.Code == http.StatusCreated; got != want {
			t.Fatalf("status %d for %q, valid offer: %v; answer %s", rec.Code, body, want, rec.Body)
		}
		if rec.Code != http.StatusCreated {
			problem(t, rec, rec.Code, "")
			return
		}
		var o api.OfferOutput
		decode(t, rec, &o)
		if o.ProviderID != e.nocert.ID || o.Status == "published" {
			t.Fatalf("created %+v from %q", o, body)
		}
	})
}
