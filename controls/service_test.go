package controls_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/mongo/mongotest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// contacts is a fake of the accounts' details issue.
type contacts map[string]time.Time

func (c contacts) ContactChangedAt(_ context.Context, id string) (time.Time, string, bool, error) {
	t, ok := c[id]
	return t, "bank", ok, nil
}

type env struct {
	store testStore
	clock *clock
	cat   *marketplace.CatalogueService
	enrol *marketplace.EnrolmentService
	ctl   *controls.Service
	prov  marketplace.Provider
	offer marketplace.Offer
	sess  marketplace.Session
	cont  contacts
}

var ctrl = controls.Reviewer{ID: "controleur-1", Controller: true}

// testStore is what a backend gives the controls and the marketplace.
type testStore interface {
	marketplace.Store
	marketplace.EnrolmentStore
	controls.Store
}

func TestMain(m *testing.M) { mongotest.Main(m) }

// backends opens a fresh store of each backend.
var backends = map[string]func(t *testing.T) testStore{
	"bolt": func(t *testing.T) testStore {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "p.db"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"mongo": func(t *testing.T) testStore {
		srv := mongotest.Shared(t)
		s, err := mongo.New(context.Background(), srv.Client(), mongo.Config{Database: srv.NewDatabase()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Database().Drop(context.Background()) })
		return s
	},
}

// onBoth runs a test on each backend.
func onBoth(t *testing.T, f func(t *testing.T, e *env)) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) { f(t, newEnvOn(t, open(t))) })
	}
}

func newEnv(t *testing.T) *env { return newEnvOn(t, backends["bolt"](t)) }

func newEnvOn(t *testing.T, s testStore) *env {
	t.Helper()
	var err error
	e := &env{store: s, clock: &clock{t: time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)}, cont: contacts{}}
	e.ctl = controls.New(controls.Config{Store: s, Dossiers: s, Catalogue: s, Contacts: e.cont, Now: e.clock.now, IPKey: []byte("k")})
	e.cat = marketplace.NewCatalogueService(s, geo.Default(), e.clock.now)
	e.cat.SetGate(e.ctl)
	e.enrol = marketplace.NewEnrolmentService(s, s, marketplace.EnrolmentConfig{NIRKey: []byte("0123456789abcdef"),
		Payments: marketplace.DemoPayments{}, Now: e.clock.now, Control: e.ctl})
	e.ctl.Attach(e.enrol, e.cat)
	ctx := context.Background()
	admin := marketplace.Actor{Admin: true}
	q := marketplace.Qualiopi{Certificate: "Q-1", Certifier: "AFNOR", ValidUntil: e.clock.now().AddDate(2, 0, 0)}
	if e.prov, err = e.cat.CreateProvider(ctx, admin, marketplace.Provider{SIRET: "90123456700013", Name: "Atelier", NDA: "84691234569", Commune: "69123", Qualiopi: q}); err != nil {
		t.Fatal(err)
	}
	if e.offer, err = e.cat.CreateOffer(ctx, marketplace.Actor{ProviderID: e.prov.ID}, marketplace.Offer{
		ProviderID: e.prov.ID, Certification: marketplace.Certification{Code: "RNCP37674", Title: "Développeur web"},
		Title: "Développeur web", Description: "HTML, CSS, JavaScript, bases de données.", PriceCents: 1500_00, Hours: 100,
		Modality: marketplace.Distance, Commune: "69123", Status: marketplace.Published,
	}); err != nil {
		t.Fatal(err)
	}
	if e.offer.Status != marketplace.Published {
		t.Fatalf("an ordinary offer went to %s", e.offer.Status)
	}
	if e.sess, err = e.cat.AddSession(ctx, admin, marketplace.Session{OfferID: e.offer.ID, Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC), Seats: 100}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) learner(t *testing.T, nir string) marketplace.Party {
	a, _, err := e.enrol.OpenAccount(context.Background(), marketplace.Party{Admin: true}, nir, marketplace.Account{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.enrol.Credit(context.Background(), "seed:"+a.ID, a.ID, 3000_00, e.clock.now()); err != nil {
		t.Fatal(err)
	}
	return marketplace.Party{AccountID: a.ID}
}

var n int

func idem() marketplace.Idem {
	n++
	k := time.Now().Format(time.RFC3339Nano) + string(rune('a'+n%26)) + string(rune(n))
	return marketplace.Idem{Key: k, Fingerprint: k}
}

func TestSectarianOfferWaitsForReviewThenControllerDecides(t *testing.T) {
	onBoth(t, testSectarianReview)
}

func testSectarianReview(t *testing.T, e *env) {
	ctx := context.Background()
	o, err := e.cat.CreateOffer(ctx, marketplace.Actor{ProviderID: e.prov.ID}, marketplace.Offer{
		ProviderID: e.prov.ID, Certification: marketplace.Certification{Code: "RS9999"}, Title: "Devenez thérapeute énergéticien",
		Description: "Soins énergétiques, harmonisation des chakras, stage résidentiel avec jeûne hydrique.",
		PriceCents:  2500_00, Hours: 60, Modality: marketplace.InPerson, Commune: "69123", Status: marketplace.Published,
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != marketplace.Review {
		t.Fatalf("status %s, want review", o.Status)
	}
	if flagged, _ := e.ctl.FlaggedOffer(ctx, o.ID); !flagged {
		t.Error("an offer in review is not flagged for recommendations")
	}
	// The provider sees why.
	_, alerts, err := e.ctl.OfferReview(ctx, e.prov.ID, false, o.ID)
	if err != nil || len(alerts) != 1 || alerts[0].Detector != controls.DetectSect || !alerts[0].OfferHeld || len(alerts[0].Findings) == 0 {
		t.Fatalf("OfferReview = %+v, %v", alerts, err)
	}
	if _, _, err := e.ctl.OfferReview(ctx, "another", false, o.ID); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("another provider reads the review: %v", err)
	}
	id := alerts[0].ID
	// Only a controller decides, with a reason.
	if _, _, err := e.ctl.Act(ctx, controls.Reviewer{ID: "x"}, id, controls.ActRequest{Kind: controls.ActPublish, Reason: "ok"}); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("non-controller: %v", err)
	}
	if _, _, err := e.ctl.Act(ctx, ctrl, id, controls.ActRequest{Kind: controls.ActPublish}); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("no reason: %v", err)
	}
	if got, _ := e.store.Offer(ctx, o.ID); got.Status != marketplace.Review {
		t.Errorf("a refused action changed the offer to %s", got.Status)
	}
	a, act, err := e.ctl.Act(ctx, ctrl, id, controls.ActRequest{Kind: controls.ActUnpublish, Reason: "pratiques de soin sans fondement"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != controls.Closed || act.Actor != "controleur-1" || act.Reason == "" || act.At.IsZero() {
		t.Errorf("after the decision: %+v / %+v", a, act)
	}
	if got, _ := e.store.Offer(ctx, o.ID); got.Status != marketplace.Unpublished {
		t.Errorf("offer %s after unpublish", got.Status)
	}
	v, err := e.ctl.View(ctx, ctrl, id)
	if err != nil || len(v.Actions) != 2 || v.Actions[0].Kind != controls.ActAutoReview || v.Actions[1].Kind != controls.ActUnpublish {
		t.Errorf("audit trail: %+v %v", v.Actions, err)
	}
}

func TestAccountTakeoverHoldsPaymentUntilReleased(t *testing.T) {
	onBoth(t, testTakeoverHold)
}

func testTakeoverHold(t *testing.T, e *env) {
	ctx := context.Background()
	learner := e.learner(t, "255081416802538")
	d, err := e.enrol.Request(ctx, learner, idem(), e.offer.ID, e.sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d, err = e.enrol.Propose(ctx, marketplace.Party{ProviderID: e.prov.ID}, idem(), d.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	e.cont[learner.AccountID] = e.clock.now().Add(-2 * time.Hour)
	if d, err = e.enrol.Accept(ctx, learner, idem(), d.ID, true); err != nil {
		t.Fatal(err)
	}
	if d.Hold == nil {
		t.Fatal("the payment was not held after a change of bank details two hours before")
	}
	list, _, err := e.ctl.Queue(ctx, ctrl, controls.AlertFilter{Status: controls.Open}, marketplace.Page{})
	if err != nil || len(list) != 1 || list[0].Detector != controls.DetectTakeover || !list[0].PaymentHeld || list[0].DossierID != d.ID {
		t.Fatalf("queue: %+v %v", list, err)
	}
	if _, _, err := e.ctl.Queue(ctx, controls.Reviewer{ID: "learner"}, controls.AlertFilter{}, marketplace.Page{}); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("queue without the role: %v", err)
	}
	// Train, exit, evaluate: the provider is not paid while held.
	e.clock.set(time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC))
	prov := marketplace.Party{ProviderID: e.prov.ID}
	if d, err = e.enrol.DeclareEntry(ctx, prov, idem(), d.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.set(time.Date(2026, 4, 30, 10, 0, 0, 0, time.UTC))
	if d, err = e.enrol.DeclareExit(ctx, prov, idem(), d.ID, 100, ""); err != nil {
		t.Fatal(err)
	}
	if d, err = e.enrol.Evaluate(ctx, learner, idem(), d.ID, marketplace.Evaluation{Scores: [6]int{4, 4, 4, 4, 4, 4}}); err != nil {
		t.Fatal(err)
	}
	bal, _ := e.store.Balances(ctx, marketplace.ProviderAccount(e.prov.ID))
	if bal[marketplace.ProviderAccount(e.prov.ID)] != 0 || d.Billing == marketplace.Paid {
		t.Fatalf("provider paid while held: %d", bal[marketplace.ProviderAccount(e.prov.ID)])
	}
	a, act, err := e.ctl.Act(ctx, ctrl, list[0].ID, controls.ActRequest{Kind: controls.ActRelease, Reason: "le titulaire confirme le changement de banque"})
	if err != nil {
		t.Fatal(err)
	}
	if a.PaymentHeld || a.Status != controls.Closed || act.Kind != controls.ActRelease {
		t.Errorf("after release: %+v", a)
	}
	bal, _ = e.store.Balances(ctx, marketplace.ProviderAccount(e.prov.ID))
	if bal[marketplace.ProviderAccount(e.prov.ID)] != 1500_00 {
		t.Errorf("provider paid %d after the release", bal[marketplace.ProviderAccount(e.prov.ID)])
	}
}

func TestSuspendedProviderPublishesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := controls.Alert{ID: controls.AlertID(controls.DetectVolume, "provider:"+e.prov.ID), Detector: controls.DetectVolume, Score: 0.8,
		ProviderID: e.prov.ID, Status: controls.Open, Version: 1}
	if err := e.store.SaveAlert(ctx, a, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.ctl.Act(ctx, ctrl, a.ID, controls.ActRequest{Kind: controls.ActSuspend, Reason: "volume de démarchage"}); err != nil {
		t.Fatal(err)
	}
	if o, _ := e.store.Offer(ctx, e.offer.ID); o.Status != marketplace.Unpublished {
		t.Errorf("offer %s after the suspension", o.Status)
	}
	o := e.offer
	o.Status = marketplace.Published
	if _, err := e.cat.UpdateOffer(ctx, marketplace.Actor{ProviderID: e.prov.ID}, o, time.Time{}); !errors.Is(err, marketplace.ErrNotPublishable) {
		t.Errorf("a suspended provider republishes: %v", err)
	}
	if _, _, err := e.ctl.Act(ctx, ctrl, a.ID, controls.ActRequest{Kind: controls.ActRecredit, Reason: "x", AmountCents: 10}); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("re-credit on a provider alert: %v", err)
	}
}

func TestNightlyScanHoldsFastCompletion(t *testing.T) {
	onBoth(t, testNightlyScan)
}

func testNightlyScan(t *testing.T, e *env) {
	ctx := context.Background()
	learner := e.learner(t, "255081416802538")
	d, _ := e.enrol.Request(ctx, learner, idem(), e.offer.ID, e.sess.ID)
	d, _ = e.enrol.Propose(ctx, marketplace.Party{ProviderID: e.prov.ID}, idem(), d.ID, 0, "")
	d, _ = e.enrol.Accept(ctx, learner, idem(), d.ID, true)
	e.clock.set(time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC))
	prov := marketplace.Party{ProviderID: e.prov.ID}
	d, _ = e.enrol.DeclareEntry(ctx, prov, idem(), d.ID)
	// 100 hours declared done on the first day: held at once.
	d, err := e.enrol.DeclareExit(ctx, prov, idem(), d.ID, 100, "")
	if err != nil || d.Hold == nil {
		t.Fatalf("exit after one day: hold %v, %v", d.Hold, err)
	}
	rep, err := e.ctl.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Dossiers != 1 || rep.Offers != 1 || rep.Alerts[controls.DetectFastExit] != 1 {
		t.Errorf("scan report %+v", rep)
	}
	list, _, _ := e.ctl.Queue(ctx, ctrl, controls.AlertFilter{Detector: controls.DetectFastExit}, marketplace.Page{})
	if len(list) != 1 || !list[0].PaymentHeld {
		t.Errorf("queue after the scan: %+v", list)
	}
	// A controller releases the payment: the next night does not hold it again.
	if _, _, err := e.ctl.Act(ctx, ctrl, list[0].ID, controls.ActRequest{Kind: controls.ActRelease, Reason: "formation intensive vérifiée sur place"}); err != nil {
		t.Fatal(err)
	}
	if d, _ = e.store.Dossier(ctx, d.ID); d.Hold != nil {
		t.Fatal("still held after the release")
	}
	if _, err := e.ctl.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _ = e.store.Dossier(ctx, d.ID); d.Hold != nil {
		t.Error("the nightly scan held again a payment a controller released")
	}
	// An imported offer was never screened at publication: the night does it.
	imported := e.offer
	imported.ID, imported.Title = "imported-1", "Devenez thérapeute énergéticien"
	imported.Description = "Soins énergétiques, harmonisation des chakras, stage résidentiel avec jeûne hydrique."
	if err := e.cat.Load(ctx, marketplace.Catalogue{Offers: []marketplace.Offer{imported}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ctl.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	list, _, _ = e.ctl.Queue(ctx, ctrl, controls.AlertFilter{OfferID: "imported-1"}, marketplace.Page{})
	if len(list) != 1 || list[0].Detector != controls.DetectSect || list[0].OfferHeld || list[0].Source != "nightly" {
		t.Errorf("imported offer after the scan: %+v", list)
	}
}

// TestDismissPublishesAnOfferItAloneHeld: an offer held by two detectors
// is published only once both alerts are dismissed.
func TestDismissPublishesAnOfferItAloneHeld(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o, err := e.cat.CreateOffer(ctx, marketplace.Actor{ProviderID: e.prov.ID}, marketplace.Offer{
		ProviderID: e.prov.ID, Certification: marketplace.Certification{Code: "RS9999"}, Title: "Devenez thérapeute énergéticien",
		Description: "Soins énergétiques et stage résidentiel avec jeûne hydrique.", PriceCents: 900_00, Hours: 30,
		Modality: marketplace.InPerson, Commune: "69123", Status: marketplace.Published,
	})
	if err != nil {
		t.Fatal(err)
	}
	o.Objectives = "Réservé aux femmes de moins de 40 ans."
	o.Status = marketplace.Published
	if o, err = e.cat.UpdateOffer(ctx, marketplace.Actor{ProviderID: e.prov.ID}, o, time.Time{}); err != nil || o.Status != marketplace.Review {
		t.Fatalf("update: %s %v", o.Status, err)
	}
	sect, disc := controls.AlertID(controls.DetectSect, "offer:"+o.ID), controls.AlertID(controls.DetectDiscrim, "offer:"+o.ID)
	if _, _, err := e.ctl.Act(ctx, ctrl, sect, controls.ActRequest{Kind: controls.ActDismiss, Reason: "atelier de relaxation sans risque"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.Offer(ctx, o.ID); got.Status != marketplace.Review {
		t.Fatalf("published while the discrimination alert still holds it: %s", got.Status)
	}
	if _, _, err := e.ctl.Act(ctx, ctrl, disc, controls.ActRequest{Kind: controls.ActDismiss, Reason: "erreur de saisie corrigée par téléphone"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.Offer(ctx, o.ID); got.Status != marketplace.Published {
		t.Errorf("offer %s after both alerts were dismissed", got.Status)
	}
}
