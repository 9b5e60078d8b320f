package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/skills"
)

// The candidate's contact details and identifiers in the job matching
// tests: none may reach an employer before a mutual like.
var (
	secretName    = "Zoé Quintessence"
	secretEmail   = "zoe.quintessence@secret.example"
	secretPhone   = "06 99 88 77 66"
	secretAccount = "acct-zoe-4471"
	secretCommune = "69266"
)

func secrets() []string {
	return []string{secretName, secretEmail, secretPhone, secretAccount, secretCommune}
}

const jobSIRET = "90123456700013"

func jobOfferBody() string {
	return `{"employer_name":"Brasserie du Parc","rome":"G1602","title":"Commis de cuisine",` +
		`"description":"Vous préparerez les légumes, les viandes et les poissons, réaliserez les cuissons de base et dresserez les assiettes.",` +
		`"commune":"69123","contract":"cdi","hours_per_week":35,"salary_min_cents":2200000,"salary_max_cents":2500000,"start":"2026-04-01","seats":2,` +
		`"contact":{"name":"Paul Martin","email":"recrutement@brasserie.example"}}`
}

// jobMarket posts and publishes an offer, opts a learner in with skills,
// and runs the feeds: the offer and the learner are proposed to each other.
func jobMarket(t *testing.T, e *testEnv) (offer api.JobOfferWire, emp, lrn string) {
	t.Helper()
	emp = e.token(t, auth.Employer, jobSIRET)
	lrn = e.token(t, auth.Learner, secretAccount)
	rec := e.do(req{method: "POST", path: "/api/v1/job-offers", token: emp, body: jobOfferBody()})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	draft := decodeAs[api.JobOfferWire](t, rec)
	if len(draft.Suggested) < 2 || draft.Status != "draft" {
		t.Fatalf("draft %+v", draft)
	}
	var conf []string
	for i, s := range draft.Suggested {
		conf = append(conf, fmt.Sprintf(`{"skill_id":%q,"essential":%v}`, s.SkillID, i == 0))
	}
	rec = e.do(req{method: "POST", path: "/api/v1/job-offers/" + draft.ID + "/publish", token: emp,
		body: fmt.Sprintf(`{"version":%d,"skills":[%s]}`, draft.Version, strings.Join(conf, ","))})
	if rec.Code != http.StatusOK {
		t.Fatalf("publish: %d %s", rec.Code, rec.Body)
	}
	offer = decodeAs[api.JobOfferWire](t, rec)
	if offer.Status != "published" {
		t.Fatalf("status %s", offer.Status)
	}
	var edges []skills.Edge
	for _, s := range draft.Suggested {
		edges = append(edges, skills.Edge{Rel: skills.HasSkill, From: secretAccount, To: s.SkillID, Level: 2, Evidence: skills.Attested})
	}
	if _, err := e.graph.Apply(context.Background(), skills.Batch{Edges: edges}); err != nil {
		t.Fatal(err)
	}
	rec = e.do(req{method: "PUT", path: "/api/v1/me/job-preferences", token: lrn, body: fmt.Sprintf(
		`{"occupations":["G1602"],"commune":%q,"radius_km":20,"contracts":["cdi"],"hours_min":30,"hours_max":39,"available_from":"2026-03-15",`+
			`"min_salary_cents":2000000,"contact":{"name":%q,"email":%q,"phone":%q}}`, secretCommune, secretName, secretEmail, secretPhone)})
	if rec.Code != http.StatusOK {
		t.Fatalf("opt in: %d %s", rec.Code, rec.Body)
	}
	if _, err := e.srv.Matching.RunFeeds(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	return offer, emp, lrn
}

func leaks(body string) []string {
	var out []string
	for _, s := range secrets() {
		if strings.Contains(body, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestJobCandidatePseudonymousUntilMutualLike calls every endpoint an
// employer can reach before the match and checks that no contact detail
// or identifier of the candidate is in any answer; then the mutual like
// reveals them (which shows the check can see them).
func TestJobCandidatePseudonymousUntilMutualLike(t *testing.T) {
	testJobPseudonymous(t, newEnv(t))
}

func TestJobCandidatePseudonymousUntilMutualLikeMongo(t *testing.T) {
	testJobPseudonymous(t, newMongoEnv(t))
}

func testJobPseudonymous(t *testing.T, e *testEnv) {
	offer, emp, lrn := jobMarket(t, e)
	rec := e.do(req{method: "GET", path: "/api/v1/job-offers/" + offer.ID + "/candidates", token: emp})
	feed := decodeAs[api.JobCandidateFeed](t, rec)
	if len(feed.Results) != 1 {
		t.Fatalf("employer feed: %s", rec.Body)
	}
	pseudo := feed.Results[0].Pseudonym
	calls := []req{
		{method: "GET", path: "/api/v1/job-offers/" + offer.ID + "/candidates"},
		{method: "GET", path: "/api/v1/job-offers/" + offer.ID + "/candidates?pending=true"},
		{method: "GET", path: "/api/v1/job-offers"},
		{method: "GET", path: "/api/v1/job-offers/" + offer.ID},
		{method: "GET", path: "/api/v1/job-matches"},
		{method: "POST", path: "/api/v1/job-offers/" + offer.ID + "/candidates/" + pseudo + "/decision", body: `{"like":true}`},
		{method: "GET", path: "/api/v1/job-offers/" + offer.ID + "/candidates"},
		{method: "GET", path: "/api/v1/job-matches"},
		{method: "POST", path: "/api/v1/job-skills/extract", body: `{"rome":"G1602","title":"Commis","description":"cuissons de base"}`},
		{method: "GET", path: "/api/v1/me/job-preferences"},
		{method: "GET", path: "/api/v1/me/job-feed"},
		{method: "GET", path: "/api/v1/job-matching/audit?candidate_id=" + secretAccount},
	}
	for _, c := range calls {
		c.token = emp
		rec := e.do(c)
		if rec.Code >= 500 {
			t.Errorf("%s %s: %d", c.method, c.path, rec.Code)
		}
		if l := leaks(rec.Body.String()); len(l) > 0 {
			t.Errorf("%s %s shows the employer %v before a match: %.300s", c.method, c.path, l, rec.Body)
		}
		for k, vs := range rec.Header() {
			if l := leaks(strings.Join(vs, " ")); len(l) > 0 {
				t.Errorf("%s %s: header %s shows %v", c.method, c.path, k, l)
			}
		}
	}
	// The candidate's feed and like: the match opens with both contacts.
	rec = e.do(req{method: "GET", path: "/api/v1/me/job-feed?pending=true", token: lrn})
	if cf := decodeAs[api.JobFeed](t, rec); len(cf.Results) != 1 || cf.Results[0].Offer.Contact != nil {
		t.Fatalf("candidate feed (no recruiter contact before a match): %s", rec.Body)
	}
	rec = e.do(req{method: "POST", path: "/api/v1/me/job-feed/" + offer.ID + "/decision", token: lrn, body: `{"like":true}`})
	d := decodeAs[api.JobDecisionWire](t, rec)
	if d.Match == nil || d.Match.EmployerContact == nil || d.Match.EmployerContact.Email != "recrutement@brasserie.example" {
		t.Fatalf("mutual like: %s", rec.Body)
	}
	rec = e.do(req{method: "GET", path: "/api/v1/job-matches/" + d.Match.ID, token: emp})
	m := decodeAs[api.JobMatchWire](t, rec)
	if m.CandidateContact == nil || m.CandidateContact.Email != secretEmail || m.CandidateContact.Name != secretName {
		t.Errorf("the match does not reveal the candidate: %s", rec.Body)
	}
	// Thread, then withdrawal hides the contact again.
	rec = e.do(req{method: "POST", path: "/api/v1/job-matches/" + d.Match.ID + "/messages", token: emp, body: `{"body":"Bonjour, quand pouvez-vous passer ?"}`})
	if rec.Code != http.StatusCreated {
		t.Fatalf("message: %d %s", rec.Code, rec.Body)
	}
	rec = e.do(req{method: "GET", path: "/api/v1/job-matches/" + d.Match.ID + "/messages", token: lrn})
	if th := decodeAs[api.JobMessageList](t, rec); len(th.Results) != 1 || th.Results[0].From != "employer" {
		t.Errorf("thread: %s", rec.Body)
	}
	other := e.token(t, auth.Employer, "81234567300014")
	problem(t, e.do(req{method: "GET", path: "/api/v1/job-matches/" + d.Match.ID, token: other}), http.StatusNotFound, "")
	problem(t, e.do(req{method: "GET", path: "/api/v1/job-offers/" + offer.ID + "/candidates", token: other}), http.StatusNotFound, "")
	rec = e.do(req{method: "POST", path: "/api/v1/job-matches/" + d.Match.ID + "/withdraw", token: lrn})
	if rec.Code != http.StatusOK {
		t.Fatalf("withdraw: %d %s", rec.Code, rec.Body)
	}
	rec = e.do(req{method: "GET", path: "/api/v1/job-matches/" + d.Match.ID, token: emp})
	if l := leaks(rec.Body.String()); len(l) > 0 {
		t.Errorf("a withdrawn match still shows %v", l)
	}
	problem(t, e.do(req{method: "POST", path: "/api/v1/job-matches/" + d.Match.ID + "/messages", token: emp, body: `{"body":"Toujours là ?"}`}), http.StatusConflict, "")
	// The audit, for a controller.
	rec = e.do(req{method: "GET", path: "/api/v1/job-matching/audit?offer_id=" + offer.ID, token: e.token(t, auth.Controller, "ctl")})
	au := decodeAs[api.JobAuditList](t, rec)
	var actions []string
	for _, a := range au.Results {
		actions = append(actions, a.Action)
	}
	for _, want := range []string{"offer.created", "offer.published_unscreened", "swipe.like", "match.created", "message.sent", "match.withdrawn"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}
}

func TestJobMatchingBadInput(t *testing.T) {
	e := newEnv(t)
	emp := e.token(t, auth.Employer, jobSIRET)
	before := e.snapshot(t)
	for _, c := range []struct {
		r     req
		code  int
		field string
	}{
		{req{method: "POST", path: "/api/v1/job-offers", body: strings.Replace(jobOfferBody(), `"G1602"`, `"cuisine"`, 1)}, 400, "rome"},
		{req{method: "POST", path: "/api/v1/job-offers", body: strings.Replace(jobOfferBody(), `"69123"`, `"99999"`, 1)}, 400, "commune"},
		{req{method: "POST", path: "/api/v1/job-offers", body: strings.Replace(jobOfferBody(), `"2026-04-01"`, `"1er avril"`, 1)}, 400, "start"},
		{req{method: "POST", path: "/api/v1/job-offers", body: strings.Replace(jobOfferBody(), `"seats":2`, `"seats":2,"age_max":30`, 1)}, 400, "age_max"},
		{req{method: "POST", path: "/api/v1/job-offers", body: jobOfferBody(), token: e.token(t, auth.Employer, "demo-employer")}, 403, ""},
		{req{method: "POST", path: "/api/v1/job-offers", body: jobOfferBody(), token: e.token(t, auth.Learner, "x")}, 403, ""},
		{req{method: "PUT", path: "/api/v1/me/job-preferences", token: e.token(t, auth.Learner, "x"),
			body: `{"occupations":[],"commune":"69123","radius_km":500,"contracts":["cdi"],"hours_min":30,"hours_max":20,"available_from":"2026-03-01","contact":{"name":"A","email":"nope"}}`}, 400, "occupations"},
		{req{method: "GET", path: "/api/v1/job-matching/audit", token: e.token(t, auth.Controller, "c")}, 400, "offer_id"},
	} {
		if c.r.token == "" {
			c.r.token = emp
		}
		problem(t, e.do(c.r), c.code, c.field)
	}
	e.unchanged(t, before)
	if l, _ := e.srv.Matching.EmployerOffers(context.Background(), jobSIRET); len(l) != 0 {
		t.Errorf("a refused offer was stored: %d", len(l))
	}
}

// TestOpenAPIJobExamplesPseudonymous checks the documented examples: the
// candidate's contact appears only in a match or in the learner's own
// record, and the card employers see has no field for a contact, an age,
// a photo or an address.
func TestOpenAPIJobExamplesPseudonymous(t *testing.T) {
	doc := loadDoc(t)
	own := map[string]bool{"getJobPreferences": true, "putJobPreferences": true, "pauseJobMatching": true, "resumeJobMatching": true}
	const email = "lea.dupont@example.org"
	var walk func(where string, v any, inMatch bool)
	found := 0
	walk = func(where string, v any, inMatch bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				walk(where+"."+k, sub, inMatch || k == "candidate_contact")
			}
		case []any:
			for i, sub := range x {
				walk(fmt.Sprintf("%s[%d]", where, i), sub, inMatch)
			}
		case string:
			if x == email {
				found++
				if !inMatch {
					t.Errorf("%s shows the candidate's e-mail outside a match", where)
				}
			}
		}
	}
	for _, o := range operations(doc) {
		if !strings.Contains(o.path, "job") || own[o.op.OperationID] {
			continue
		}
		for code, resp := range o.op.Responses.Map() {
			for _, ex := range mediaExamples(o.op.OperationID+" "+code, resp.Value.Content, true) {
				walk(ex.where, ex.value, false)
			}
		}
	}
	if found == 0 {
		t.Error("no match example shows the contact: the walk sees nothing")
	}
	card := doc.Components.Schemas["JobCandidateCard"].Value
	for name := range card.Properties {
		for _, bad := range []string{"name", "mail", "phone", "address", "age", "birth", "photo", "commune", "sex", "gender", "nationality"} {
			if strings.Contains(name, bad) && name != "pseudonym" {
				t.Errorf("JobCandidateCard.%s looks like a personal detail", name)
			}
		}
	}
}

// jobRoutes are the job matching's routes for the routes table
// (api_test.go): every one needs a token.
func (e *testEnv) jobRoutes() []route {
	o := "/api/v1/job-offers/" + e.offer.ID
	m := "/api/v1/job-matches/" + e.offer.ID
	return []route{
		{"POST", "/api/v1/job-offers", jobOfferBody(), false},
		{"GET", "/api/v1/job-offers", "", false},
		{"GET", o, "", false},
		{"PUT", o, jobOfferBody(), false},
		{"POST", o + "/publish", `{"version":1,"skills":[]}`, false},
		{"POST", o + "/close", "", false},
		{"POST", o + "/review", `{"decision":"publish"}`, false},
		{"GET", o + "/candidates", "", false},
		{"POST", o + "/candidates/{pseudonym}/decision", `{"like":true}`, false},
		{"POST", "/api/v1/job-skills/extract", `{"rome":"G1602","title":"x","description":"x"}`, false},
		{"GET", "/api/v1/me/job-preferences", "", false},
		{"PUT", "/api/v1/me/job-preferences", `{}`, false},
		{"DELETE", "/api/v1/me/job-preferences", "", false},
		{"POST", "/api/v1/me/job-preferences/pause", "", false},
		{"POST", "/api/v1/me/job-preferences/resume", "", false},
		{"GET", "/api/v1/me/job-feed", "", false},
		{"POST", "/api/v1/me/job-feed/" + e.offer.ID + "/decision", `{"like":true}`, false},
		{"GET", "/api/v1/job-matches", "", false},
		{"GET", m, "", false},
		{"POST", m + "/withdraw", "", false},
		{"GET", m + "/messages", "", false},
		{"POST", m + "/messages", `{"body":"x"}`, false},
		{"GET", "/api/v1/job-matching/audit?offer_id=x", "", false},
	}
}

func TestJobRoutesWrongRoleIsForbidden(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t)
	byRoute := map[string]route{}
	for _, r := range e.jobRoutes() {
		byRoute[r.method+" "+r.path] = r
	}
	o := "/api/v1/job-offers/" + e.offer.ID
	for _, c := range []struct {
		route string
		role  auth.Role
	}{
		{"POST /api/v1/job-offers", auth.Learner},
		{"POST /api/v1/job-offers", auth.Provider},
		{"GET /api/v1/job-offers", auth.Learner},
		{"POST " + o + "/publish", auth.Learner},
		{"POST " + o + "/review", auth.Employer},
		{"GET " + o + "/candidates", auth.Learner},
		{"POST " + o + "/candidates/{pseudonym}/decision", auth.Learner},
		{"PUT /api/v1/me/job-preferences", auth.Employer},
		{"GET /api/v1/me/job-feed", auth.Employer},
		{"POST /api/v1/me/job-feed/" + e.offer.ID + "/decision", auth.Employer},
		{"GET /api/v1/job-matches", auth.Provider},
		{"GET /api/v1/job-matching/audit?offer_id=x", auth.Employer},
		{"GET /api/v1/job-matching/audit?offer_id=x", auth.Learner},
	} {
		t.Run(string(c.role)+" "+c.route, func(t *testing.T) {
			r, ok := byRoute[c.route]
			if !ok {
				t.Fatalf("no route %s in jobRoutes", c.route)
			}
			problem(t, e.do(req{method: r.method, path: r.path, body: r.body, token: e.token(t, c.role, jobSIRET)}), http.StatusForbidden, "")
		})
	}
	e.unchanged(t, before)
}

// holdAll holds every post, as a screening that flags it would.
type holdAll struct{}

func (holdAll) Screen(context.Context, controls.Text) (controls.Screening, error) {
	return controls.Screening{Hold: true, Score: 1, Findings: []controls.Finding{{Detector: "discrimination", Criterion: "age",
		Field: "description", Passage: "jeune", Explanation: "L’âge est un critère de discrimination.", Score: 1}}}, nil
}

func TestJobPostHeldByScreening(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) {
		svc, err := matching.New(matching.Config{Store: d.Matching.Store(), Graph: d.Graph, Places: d.Places, Screener: holdAll{}})
		if err != nil {
			t.Fatal(err)
		}
		d.Matching = svc
	})
	emp := e.token(t, auth.Employer, jobSIRET)
	draft := decodeAs[api.JobOfferWire](t, e.do(req{method: "POST", path: "/api/v1/job-offers", token: emp, body: jobOfferBody()}))
	rec := e.do(req{method: "POST", path: "/api/v1/job-offers/" + draft.ID + "/publish", token: emp,
		body: fmt.Sprintf(`{"version":%d,"skills":[{"skill_id":%q,"essential":true}]}`, draft.Version, draft.Suggested[0].SkillID)})
	held := decodeAs[api.JobOfferWire](t, rec)
	if held.Status != "held" || held.Screening == nil || !held.Screening.Hold || held.Screening.Findings[0].Criterion != "age" {
		t.Fatalf("a flagged post: %s", rec.Body)
	}
	// Others do not see a held post; a controller does, and releases it.
	problem(t, e.do(req{method: "GET", path: "/api/v1/job-offers/" + draft.ID, token: e.token(t, auth.Learner, "x")}), http.StatusNotFound, "")
	problem(t, e.do(req{method: "POST", path: "/api/v1/job-offers/" + draft.ID + "/review", token: e.token(t, auth.Controller, "ctl"),
		body: `{"decision":"maybe"}`}), http.StatusBadRequest, "decision")
	rec = e.do(req{method: "POST", path: "/api/v1/job-offers/" + draft.ID + "/review", token: e.token(t, auth.Controller, "ctl"), body: `{"decision":"publish","note":"vu"}`})
	if o := decodeAs[api.JobOfferWire](t, rec); o.Status != "published" {
		t.Errorf("after review: %s", rec.Body)
	}
	problem(t, e.do(req{method: "POST", path: "/api/v1/job-offers/" + draft.ID + "/review", token: e.token(t, auth.Controller, "ctl"),
		body: `{"decision":"reject"}`}), http.StatusBadRequest, "reason")
	problem(t, e.do(req{method: "POST", path: "/api/v1/job-offers/" + draft.ID + "/review", token: e.token(t, auth.Controller, "ctl"),
		body: `{"decision":"reject","reason":"trop tard"}`}), http.StatusConflict, "")
}
