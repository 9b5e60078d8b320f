package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// heldOffer has a provider of the fixture publish an offer the
// sectarian-drift screening holds, and returns it.
func (s *stack) heldOffer(t testing.TB) marketplace.Offer {
	t.Helper()
	o, err := s.catalogue.CreateOffer(context.Background(), marketplace.Actor{ProviderID: s.fix.languages.ID}, marketplace.Offer{
		ProviderID: s.fix.languages.ID, Certification: marketplace.Certification{Code: "RS9999"}, Title: "Devenez thérapeute énergéticien",
		Description: "Soins énergétiques, harmonisation des chakras, stage résidentiel avec jeûne hydrique.",
		PriceCents:  2500_00, Hours: 60, Modality: marketplace.InPerson, Commune: "69123", Status: marketplace.Published,
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != marketplace.Review {
		t.Fatalf("the offer went to %s, not review", o.Status)
	}
	return o
}

// TestControlPages: only controllers reach the queue and the decision
// form; a decision without a reason changes nothing; a decision is shown
// in the alert's history; the provider reads why its offer is held.
func TestControlPages(t *testing.T) {
	s := newStack(t, true, nil)
	o := s.heldOffer(t)
	alert := "/controles/alertes/sectarian_drift.offer." + o.ID
	provider := s.signedIn(t, auth.Provider, s.fix.languages.ID)
	learner := s.signedIn(t, auth.Learner, "someone")
	for _, ck := range []*http.Cookie{provider, learner} {
		if res, _ := s.get(t, "/controles", ck); res.StatusCode != http.StatusForbidden {
			t.Errorf("queue for a non-controller: %d", res.StatusCode)
		}
		if res, _ := s.get(t, alert, ck); res.StatusCode != http.StatusForbidden {
			t.Errorf("alert for a non-controller: %d", res.StatusCode)
		}
		if res, _ := s.post(t, alert, url.Values{"decision": {"publish_offer"}, "motif": {"moi"}}, sameSite, ck); res.StatusCode != http.StatusForbidden {
			t.Errorf("decision by a non-controller: %d", res.StatusCode)
		}
	}
	ctl := s.signedIn(t, auth.Controller, "dreets-ara")
	res, page := s.get(t, "/controles", ctl)
	if res.StatusCode != 200 || !strings.Contains(page, "Risque de dérive sectaire") || !strings.Contains(page, "Offre en attente") {
		t.Fatalf("queue: %d\n%s", res.StatusCode, page)
	}
	res, page = s.get(t, alert, ctl)
	if res.StatusCode != 200 || !strings.Contains(page, "<mark>jeûne hydrique</mark>") || !strings.Contains(page, "jeûne ou substances") {
		t.Fatalf("alert page: %d\n%s", res.StatusCode, page)
	}
	if res, _ := s.post(t, alert, url.Values{"decision": {"publish_offer"}}, sameSite, ctl); res.StatusCode != http.StatusBadRequest {
		t.Errorf("decision without a reason: %d", res.StatusCode)
	}
	if got, _ := s.store.Offer(context.Background(), o.ID); got.Status != marketplace.Review {
		t.Errorf("a refused decision changed the offer to %s", got.Status)
	}
	// The controller reads the held offer; its provider is sent to why.
	if res, _ := s.get(t, "/formations/"+o.ID, ctl); res.StatusCode != 200 {
		t.Errorf("the controller cannot read the held offer: %d", res.StatusCode)
	}
	if _, page := s.get(t, "/formations/"+o.ID, provider); !strings.Contains(page, `href="/organisme/offres/`+o.ID+`/examen"`) {
		t.Error("the offer page does not send its provider to the review")
	}
	// The provider reads why.
	res, page = s.get(t, "/organisme/offres/"+o.ID+"/examen", provider)
	if res.StatusCode != 200 || !strings.Contains(page, "En attente de l’examen") || !strings.Contains(page, "jeûne hydrique") {
		t.Errorf("provider's examination page: %d\n%s", res.StatusCode, page)
	}
	if res, _ := s.get(t, "/organisme/offres/"+o.ID+"/examen", s.signedIn(t, auth.Provider, s.fix.digital.ID)); res.StatusCode != http.StatusNotFound {
		t.Errorf("another provider's view: %d", res.StatusCode)
	}
	res, _ = s.post(t, alert, url.Values{"decision": {"unpublish_offer"}, "motif": {"Pratiques de soin sans fondement, jeûne prolongé."}}, sameSite, ctl)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("decision: %d", res.StatusCode)
	}
	_, page = s.get(t, alert+"?fait=1", ctl)
	if !strings.Contains(page, "Décision enregistrée") || !strings.Contains(page, "Dépublier l’offre") || !strings.Contains(page, "controller:dreets-ara") {
		t.Errorf("alert after the decision:\n%s", page)
	}
	if got, _ := s.store.Offer(context.Background(), o.ID); got.Status != marketplace.Unpublished {
		t.Errorf("offer %s after the decision", got.Status)
	}
}

// TestInboxShowsWhyPaymentIsHeld: the provider reads the hold's reason on
// the dossier in its inbox.
func TestInboxShowsWhyPaymentIsHeld(t *testing.T) {
	s := newStack(t, true, nil)
	d := marketplace.Dossier{ID: "dossier-held", AccountID: "acct", OfferID: s.fix.english.ID, ProviderID: s.fix.languages.ID, Title: s.fix.english.Title,
		State: marketplace.InTraining, Billing: marketplace.DepositPaid, PriceCents: 1250_00, Version: 1,
		Hold: &marketplace.PaymentHold{By: "controls", Reason: "Paiement suspendu dans l’attente de l’examen d’un contrôleur : formation terminée trop vite."}}
	if _, err := s.store.Apply(context.Background(), marketplace.Op{Key: "k", Fingerprint: "k", Dossier: &d}); err != nil {
		t.Fatal(err)
	}
	_, page := s.get(t, "/organisme/demandes", s.signedIn(t, auth.Provider, s.fix.languages.ID))
	if !strings.Contains(page, "Paiement bloqué.") || !strings.Contains(page, "formation terminée trop vite") {
		t.Errorf("inbox without the hold's reason:\n%s", page)
	}
}
