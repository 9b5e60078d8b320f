package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// withSessionAhead gives the Villeurbanne offer a session ahead, so that
// it may be recommended.
func (e *testEnv) withSessionAhead(t *testing.T) {
	t.Helper()
	start := time.Now().AddDate(0, 2, 0).UTC().Truncate(24 * time.Hour)
	_, err := e.cat.AddSession(context.Background(), marketplace.Actor{Admin: true}, marketplace.Session{
		OfferID: e.otherOffer.ID, Start: start, End: start.AddDate(0, 3, 0), Seats: 12})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMyRecommendations(t *testing.T) { testMyRecommendations(t, newEnv(t)) }

// TestMyRecommendationsMongo is the same on MongoDB (FerretDB).
func TestMyRecommendationsMongo(t *testing.T) { testMyRecommendations(t, newMongoEnv(t)) }

func testMyRecommendations(t *testing.T, e *testEnv) {
	e.withSessionAhead(t)
	learner := e.token(t, auth.Learner, "acc-reco")
	problem(t, e.do(req{method: "GET", path: "/api/v1/recommendations/trainings"}), http.StatusUnauthorized, "")
	problem(t, e.do(req{method: "GET", path: "/api/v1/recommendations/trainings", token: e.as(t, e.lyon)}), http.StatusForbidden, "")

	// Cold start with a target and a commune: the offer teaching the
	// occupation comes with its skills reason; the one with a past
	// session only never does.
	before := e.snapshot(t)
	problem(t, e.do(req{method: "PUT", path: "/api/v1/me/recommendation-preferences", token: learner,
		body: `{"targets":["M1805","Z9999"],"commune":"69123","views_consent":false}`}), http.StatusBadRequest, "targets[1]")
	problem(t, e.do(req{method: "PUT", path: "/api/v1/me/recommendation-preferences", token: learner,
		body: `{"targets":["M1805"],"commune":"99999","views_consent":false}`}), http.StatusBadRequest, "commune")
	problem(t, e.do(req{method: "PUT", path: "/api/v1/me/recommendation-preferences", token: learner,
		body: `{"targets":["M1805"],"commune":"69123"}`}), http.StatusBadRequest, "views_consent")
	e.unchanged(t, before)
	if p, _ := e.recs.Preferences(context.Background(), "acc-reco"); len(p.Targets) != 0 {
		t.Fatalf("a refused change was kept: %+v", p)
	}
	rec := e.do(req{method: "PUT", path: "/api/v1/me/recommendation-preferences", token: learner,
		body: `{"targets":["M1805"],"commune":"69123","views_consent":false}`})
	if rec.Code != http.StatusOK {
		t.Fatalf("put preferences: %d %s", rec.Code, rec.Body)
	}
	rec = e.do(req{method: "GET", path: "/api/v1/recommendations/trainings", token: learner})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	out := decodeAs[api.RecommendationsOutput](t, rec)
	if len(out.Items) != 1 || out.Items[0].OfferID != e.otherOffer.ID {
		t.Fatalf("items %+v", out.Items)
	}
	found := false
	for _, r := range out.Items[0].Reasons {
		if r.Source == "skills" && r.Occupation == "M1805" && strings.HasPrefix(r.Text, "Couvre ") && r.Covered > 0 && r.Missing >= r.Covered {
			found = true
		}
	}
	if !found {
		t.Errorf("no skills reason: %+v", out.Items[0].Reasons)
	}

	// Views count only with consent.
	view := req{method: "POST", path: "/api/v1/me/viewed-offers", token: learner, body: `{"offer_id":"` + e.offer.ID + `"}`}
	if v := decodeAs[api.ViewOutput](t, e.do(view)); v.Recorded {
		t.Error("a view was recorded without consent")
	}
	problem(t, e.do(req{method: "POST", path: "/api/v1/me/viewed-offers", token: learner, body: `{"offer_id":"nope"}`}), http.StatusBadRequest, "offer_id")
	e.do(req{method: "PUT", path: "/api/v1/me/recommendation-preferences", token: learner, body: `{"targets":["M1805"],"commune":"69123","views_consent":true}`})
	if v := decodeAs[api.ViewOutput](t, e.do(view)); !v.Recorded {
		t.Error("a consented view was not recorded")
	}
	p := decodeAs[api.RecommendationPreferences](t, e.do(req{method: "GET", path: "/api/v1/me/recommendation-preferences", token: learner}))
	if p.Views != 1 || !p.ViewsConsent || p.Commune != "69123" {
		t.Errorf("preferences %+v", p)
	}
	p = decodeAs[api.RecommendationPreferences](t, e.do(req{method: "PUT", path: "/api/v1/me/recommendation-preferences", token: learner,
		body: `{"targets":[],"commune":"","views_consent":false}`}))
	if p.Views != 0 || len(p.Targets) != 0 {
		t.Errorf("after withdrawing consent: %+v", p)
	}
}

func TestWidgetKeysAndCORS(t *testing.T) {
	e := newEnv(t)
	e.withSessionAhead(t)
	admin := e.admin(t)
	problem(t, e.do(req{method: "POST", path: "/api/v1/admin/widget-keys", token: e.token(t, auth.Learner, "x"),
		body: `{"site":"Mairie","origins":["https://mairie.example"]}`}), http.StatusForbidden, "")
	problem(t, e.do(req{method: "POST", path: "/api/v1/admin/widget-keys", token: admin,
		body: `{"site":"Mairie","origins":["https://mairie.example/page"]}`}), http.StatusBadRequest, "origins[0]")
	rec := e.do(req{method: "POST", path: "/api/v1/admin/widget-keys", token: admin,
		body: `{"site":"Mairie","origins":["https://Mairie.example"],"per_minute":2}`})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	k := decodeAs[api.WidgetKeyWire](t, rec)
	if k.Origins[0] != "https://mairie.example" || k.PerMinute != 2 || !strings.HasPrefix(k.ID, "wk_") {
		t.Errorf("key %+v", k)
	}
	call := func(origin string) *httptest.ResponseRecorder {
		h := map[string]string{}
		if origin != "" {
			h["Origin"] = origin
		}
		return e.do(req{method: "GET", path: "/api/v1/widget/trainings?key=" + k.ID + "&occupation=M1805&commune=69123", header: h})
	}
	rec = call("https://mairie.example")
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "https://mairie.example" {
		t.Fatalf("allowed origin: %d %q %s", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), rec.Body)
	}
	if w := decodeAs[api.WidgetTrainingsOutput](t, rec); len(w.Items) != 1 || w.Items[0].OfferID != e.otherOffer.ID {
		t.Errorf("widget items %+v", w.Items)
	}
	rec = call("https://evil.example")
	problem(t, rec, http.StatusForbidden, "")
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS granted to an origin the key does not allow")
	}
	// The budget of 2 a minute is spent by the two calls above.
	problem(t, call("https://mairie.example"), http.StatusTooManyRequests, "")

	rec = e.do(req{method: "DELETE", path: "/api/v1/admin/widget-keys/" + k.ID, token: admin})
	if rec.Code != http.StatusOK || decodeAs[api.WidgetKeyWire](t, rec).RevokedAt == nil {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	problem(t, call("https://mairie.example"), http.StatusNotFound, "")
	problem(t, e.do(req{method: "DELETE", path: "/api/v1/admin/widget-keys/nope", token: admin}), http.StatusNotFound, "")
	list := decodeAs[api.WidgetKeysOutput](t, e.do(req{method: "GET", path: "/api/v1/admin/widget-keys", token: admin}))
	if len(list.Keys) != 2 {
		t.Errorf("keys %+v", list)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/widget/trainings?key=wk_example&commune=99999"}), http.StatusBadRequest, "commune")
}
