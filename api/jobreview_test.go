package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/matching"
)

// The review of a held job post from the controllers' queue: the
// screening (the real controls) holds a discriminatory post and opens an
// alert; a controller reads the post on the alert and rejects or
// publishes it; the employer reads the outcome and the reason.

// screenedByControls has the job matching screen posts with the controls.
func screenedByControls() func(*api.Deps) {
	return func(d *api.Deps) {
		svc, err := matching.New(matching.Config{Store: d.Matching.Store(), Graph: d.Graph, Places: d.Places, Screener: d.Controls})
		if err != nil {
			panic(err)
		}
		d.Matching = svc
	}
}

const heldPostDesc = "Rejoignez notre jeune équipe dynamique : moins de 30 ans, nationalité française exigée. Vous préparerez les légumes, les viandes et les poissons."

// heldJobPost has the employer publish a post the discrimination
// screening holds; it returns the post and the path of its alert.
func heldJobPost(t *testing.T, e *testEnv, emp string) (api.JobOfferWire, string) {
	t.Helper()
	body := strings.Replace(jobOfferBody(), `"title":"Commis de cuisine"`, `"title":"Serveuse"`, 1)
	body = strings.Replace(body, `"description":"Vous préparerez les légumes, les viandes et les poissons, réaliserez les cuissons de base et dresserez les assiettes."`,
		fmt.Sprintf(`"description":%q`, heldPostDesc), 1)
	draft := decodeAs[api.JobOfferWire](t, e.do(req{method: "POST", path: "/api/v1/job-offers", token: emp, body: body}))
	if len(draft.Suggested) == 0 {
		t.Fatalf("no suggested skill: %+v", draft)
	}
	rec := e.do(req{method: "POST", path: "/api/v1/job-offers/" + draft.ID + "/publish", token: emp,
		body: fmt.Sprintf(`{"version":%d,"skills":[{"skill_id":%q,"essential":true}]}`, draft.Version, draft.Suggested[0].SkillID)})
	held := decodeAs[api.JobOfferWire](t, rec)
	if held.Status != "held" {
		t.Fatalf("the post is not held: %s", rec.Body)
	}
	return held, "/api/v1/controls/alerts/" + url.PathEscape(controls.AlertID(controls.DetectDiscrim, "job_post:"+held.ID))
}

func TestControllerRejectsJobPostFromQueue(t *testing.T) {
	testRejectFromQueue(t, newEnv(t, screenedByControls()))
}

func TestControllerRejectsJobPostFromQueueMongo(t *testing.T) {
	testRejectFromQueue(t, newMongoEnv(t, screenedByControls()))
}

func testRejectFromQueue(t *testing.T, e *testEnv) {
	emp := e.token(t, auth.Employer, jobSIRET)
	held, alertPath := heldJobPost(t, e, emp)
	ctl := e.token(t, auth.Controller, "dreets-ara")

	// The alert shows the post's text, which the findings quote.
	var detail api.AlertDetail
	decode(t, e.do(req{method: "GET", path: alertPath, token: ctl}), &detail)
	if p := detail.JobPost; p == nil || p.ID != held.ID || p.Description != heldPostDesc || !p.Held || p.Status != "held" {
		t.Fatalf("the alert's post: %+v", detail.JobPost)
	}
	quoted := false
	for _, f := range detail.Alert.Findings {
		quoted = quoted || f.Field == "description" && strings.Contains(heldPostDesc, f.Passage)
	}
	if !quoted {
		t.Errorf("no finding quotes the post's description: %+v", detail.Alert.Findings)
	}

	// Other roles may not decide; bad input names the field; nothing changes.
	before := e.snapshot(t)
	reject := `{"kind":"reject_job_post","reason":"Critères d’âge et de nationalité interdits (article 225-1 du code pénal)."}`
	for _, tok := range []string{emp, e.token(t, auth.Learner, "acct-1"), e.as(t, e.lyon), e.token(t, auth.Funder, "region")} {
		problem(t, e.do(req{method: "POST", path: alertPath + "/actions", token: tok, body: reject}), http.StatusForbidden, "")
		problem(t, e.do(req{method: "POST", path: "/api/v1/job-offers/" + held.ID + "/review", token: tok,
			body: `{"decision":"publish","reason":"je me publie"}`}), http.StatusForbidden, "")
	}
	problem(t, e.do(req{method: "POST", path: alertPath + "/actions", token: ctl, body: `{"kind":"reject_job_post"}`}), http.StatusBadRequest, "reason")
	problem(t, e.do(req{method: "POST", path: alertPath + "/actions", token: ctl, body: `{"kind":"publish_offer","reason":"x"}`}), http.StatusBadRequest, "kind")
	e.unchanged(t, before)
	if o := decodeAs[api.JobOfferWire](t, e.do(req{method: "GET", path: "/api/v1/job-offers/" + held.ID, token: emp})); o.Status != "held" || o.Review != nil {
		t.Fatalf("a refused decision changed the post: %+v", o)
	}

	var res api.ActionResult
	decode(t, e.do(req{method: "POST", path: alertPath + "/actions", token: ctl, body: reject}), &res)
	if res.Alert.Status != "closed" || res.Alert.OfferHeld || res.Action.Kind != "reject_job_post" || res.Action.Actor != "controller:dreets-ara" {
		t.Errorf("decision = %+v", res)
	}
	// The employer reads the outcome and the reason; nobody else sees the post.
	o := decodeAs[api.JobOfferWire](t, e.do(req{method: "GET", path: "/api/v1/job-offers/" + held.ID, token: emp}))
	if o.Status != "rejected" || o.Review == nil || o.Review.Outcome != "rejected" || !strings.Contains(o.Review.Reason, "225-1") || o.Review.At.IsZero() {
		t.Errorf("the employer's post after the rejection: %+v %+v", o, o.Review)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/job-offers/" + held.ID, token: e.token(t, auth.Learner, "acct-1")}), http.StatusNotFound, "")
	// Both audit trails say who, when and why.
	decode(t, e.do(req{method: "GET", path: alertPath, token: e.admin(t)}), &detail)
	last := detail.Actions[len(detail.Actions)-1]
	if last.Kind != "reject_job_post" || last.Actor != "controller:dreets-ara" || last.At.IsZero() || last.Reason == "" || detail.JobPost.Status != "rejected" {
		t.Errorf("controls audit: %+v, post %+v", detail.Actions, detail.JobPost)
	}
	var audit api.JobAuditList
	decode(t, e.do(req{method: "GET", path: "/api/v1/job-matching/audit?offer_id=" + held.ID, token: ctl}), &audit)
	ev := audit.Results[len(audit.Results)-1]
	if ev.Action != "offer.review.rejected" || ev.Actor != "controller:dreets-ara" || !strings.Contains(ev.Detail, "225-1") {
		t.Errorf("matching audit: %+v", ev)
	}
	// The decision is taken: deciding again is a conflict.
	problem(t, e.do(req{method: "POST", path: "/api/v1/job-offers/" + held.ID + "/review", token: ctl,
		body: `{"decision":"publish","reason":"finalement"}`}), http.StatusConflict, "")
}

func TestControllerPublishesJobPostThroughReviewEndpoint(t *testing.T) {
	e := newEnv(t, screenedByControls())
	emp := e.token(t, auth.Employer, jobSIRET)
	held, alertPath := heldJobPost(t, e, emp)
	// The job matching's review endpoint decides through the controls:
	// the alert closes with the decision in its trail.
	rec := e.do(req{method: "POST", path: "/api/v1/job-offers/" + held.ID + "/review", token: e.admin(t),
		body: `{"decision":"publish","reason":"Fausse alerte : l’employeur a corrigé l’annonce par téléphone."}`})
	if o := decodeAs[api.JobOfferWire](t, rec); o.Status != "published" || o.Review == nil || o.Review.Outcome != "published" || o.Review.Reason != "" {
		t.Fatalf("after publication: %s", rec.Body)
	}
	var detail api.AlertDetail
	decode(t, e.do(req{method: "GET", path: alertPath, token: e.token(t, auth.Controller, "c")}), &detail)
	last := detail.Actions[len(detail.Actions)-1]
	if detail.Alert.Status != "closed" || last.Kind != "publish_job_post" || last.Actor != "admin:ops" {
		t.Errorf("the alert after the publication: %s, %+v", detail.Alert.Status, last)
	}
	if o := decodeAs[api.JobOfferWire](t, e.do(req{method: "GET", path: "/api/v1/job-offers/" + held.ID, token: e.token(t, auth.Learner, "acct-1")})); o.Status != "published" {
		t.Errorf("a learner does not see the published post: %+v", o)
	}
}
