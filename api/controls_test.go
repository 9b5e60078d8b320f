package api_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

// TestControlsNeedTheControllerRole: the queue, an alert and the actions
// answer only controllers and administrators; every other role gets 403
// and nothing changes.
func TestControlsNeedTheControllerRole(t *testing.T) {
	e := newEnv(t)
	held := e.heldOffer(t)
	alertPath := "/api/v1/controls/alerts/" + url.PathEscape("sectarian_drift.offer."+held)
	before := e.snapshot(t)
	for _, tok := range []string{
		e.as(t, e.lyon), e.token(t, auth.Learner, "acct-1"), e.token(t, auth.Employer, "emp"), e.token(t, auth.Funder, "region"),
	} {
		problem(t, e.do(req{method: "GET", path: "/api/v1/controls/alerts", token: tok}), http.StatusForbidden, "")
		problem(t, e.do(req{method: "GET", path: alertPath, token: tok}), http.StatusForbidden, "")
		problem(t, e.do(req{method: "POST", path: alertPath + "/actions", token: tok,
			body: `{"kind":"publish_offer","reason":"je valide moi-même"}`}), http.StatusForbidden, "")
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/controls/alerts"}), http.StatusUnauthorized, "")
	e.unchanged(t, before)

	ctl := e.token(t, auth.Controller, "dreets-ara")
	var list api.AlertList
	decode(t, e.do(req{method: "GET", path: "/api/v1/controls/alerts", token: ctl}), &list)
	if len(list.Alerts) != 1 || list.Alerts[0].Detector != "sectarian_drift" || !list.Alerts[0].OfferHeld || len(list.Alerts[0].Findings) == 0 {
		t.Fatalf("queue = %+v", list)
	}
	// Bad input names the field and changes nothing.
	problem(t, e.do(req{method: "POST", path: alertPath + "/actions", token: ctl, body: `{"kind":"publish_offer"}`}), http.StatusBadRequest, "reason")
	problem(t, e.do(req{method: "POST", path: alertPath + "/actions", token: ctl, body: `{"kind":"pay_twice","reason":"x"}`}), http.StatusBadRequest, "kind")
	problem(t, e.do(req{method: "POST", path: alertPath + "/actions", token: ctl, body: `{"kind":"recredit_account","reason":"x","amount_cents":100}`}), http.StatusBadRequest, "kind")
	problem(t, e.do(req{method: "GET", path: "/api/v1/controls/alerts?status=maybe", token: ctl}), http.StatusBadRequest, "status")
	e.unchanged(t, before)

	var res api.ActionResult
	decode(t, e.do(req{method: "POST", path: alertPath + "/actions", token: ctl, body: `{"kind":"publish_offer","reason":"Formation de sophrologie encadrée, aucun signal réel."}`}), &res)
	if res.Alert.Status != "closed" || res.Action.Actor != "controller:dreets-ara" || res.Action.Kind != "publish_offer" {
		t.Errorf("decision = %+v", res)
	}
	var detail api.AlertDetail
	decode(t, e.do(req{method: "GET", path: alertPath, token: e.admin(t)}), &detail)
	if len(detail.Actions) != 2 || detail.Actions[1].Reason == "" || detail.Actions[1].At.IsZero() {
		t.Errorf("audit trail = %+v", detail.Actions)
	}
	var o api.OfferOutput
	decode(t, e.do(req{method: "GET", path: "/api/v1/offers/" + held, token: e.as(t, e.lyon)}), &o)
	if o.Status != "published" {
		t.Errorf("offer %s after publish_offer", o.Status)
	}
}

// heldOffer has the Lyon provider publish an offer the sectarian-drift
// detector holds, and returns its ID.
func (e *testEnv) heldOffer(t *testing.T) string {
	t.Helper()
	body := with(t, offerBody(t, e.lyon.ID, "published"), "title", "Devenez thérapeute énergéticien",
		"description", "Soins énergétiques, harmonisation des chakras, stage résidentiel avec jeûne hydrique.")
	rec := e.do(req{method: "POST", path: "/api/v1/offers", token: e.as(t, e.lyon), body: body})
	var o api.OfferOutput
	decode(t, rec, &o)
	if rec.Code != http.StatusCreated || o.Status != "review" {
		t.Fatalf("publishing a sectarian offer: %d %s", rec.Code, rec.Body)
	}
	return o.ID
}

func TestProviderSeesWhyItsOfferIsHeld(t *testing.T) {
	e := newEnv(t)
	held := e.heldOffer(t)
	var r api.OfferReviewOutput
	decode(t, e.do(req{method: "GET", path: "/api/v1/offers/" + held + "/review", token: e.as(t, e.lyon)}), &r)
	if r.Status != "review" || len(r.Alerts) != 1 || len(r.Alerts[0].Findings) == 0 || len(r.Alerts[0].Evidence) != 0 {
		t.Fatalf("review = %+v", r)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/offers/" + held + "/review", token: e.as(t, e.villeurbanne)}), http.StatusNotFound, "")
}

func TestScreeningShowsPassageAndCriterion(t *testing.T) {
	e := newEnv(t)
	var sc controls.Screening
	decode(t, e.do(req{method: "POST", path: "/api/v1/controls/screenings", token: e.token(t, auth.Employer, "emp"),
		body: `{"kind":"job_post","fields":{"title":"Serveur H/F","description":"Nationalité française exigée."}}`}), &sc)
	if !sc.Hold || len(sc.Findings) != 1 || sc.Findings[0].Criterion != "origin" || sc.Findings[0].Passage != "Nationalité française exigée" {
		t.Errorf("screening = %+v", sc)
	}
	problem(t, e.do(req{method: "POST", path: "/api/v1/controls/screenings", token: e.token(t, auth.Employer, "emp"),
		body: `{"kind":"poem","fields":{"title":"x"}}`}), http.StatusBadRequest, "kind")
	problem(t, e.do(req{method: "POST", path: "/api/v1/controls/screenings", token: e.token(t, auth.Learner, "a"),
		body: `{"kind":"job_post","fields":{"title":"x"}}`}), http.StatusForbidden, "")
}

// TestDossierShowsItsHold: a held dossier says why, to whoever may read it.
func TestDossierShowsItsHold(t *testing.T) {
	e := newEnv(t)
	d := marketplace.Dossier{ID: "dossier-held", AccountID: "acct-1", OfferID: e.offer.ID, ProviderID: e.lyon.ID, Title: e.offer.Title,
		State: marketplace.InTraining, Billing: marketplace.DepositPaid, PriceCents: 890000, Version: 1,
		Hold: &marketplace.PaymentHold{At: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), By: "controls", Reason: "Paiement suspendu : formation terminée trop vite."}}
	if _, err := e.store.Apply(context.Background(), marketplace.Op{Key: "k", Fingerprint: "k", Dossier: &d}); err != nil {
		t.Fatal(err)
	}
	var out api.DossierOutput
	decode(t, e.do(req{method: "GET", path: "/api/v1/dossiers/dossier-held", token: e.as(t, e.lyon)}), &out)
	if out.Hold == nil || out.Hold.Reason != d.Hold.Reason || !out.Hold.Since.Equal(d.Hold.At) {
		t.Errorf("hold = %+v", out.Hold)
	}
}
