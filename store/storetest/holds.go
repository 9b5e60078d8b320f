package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/parcours/parcours/marketplace"
)

// testHeldPaymentNeverCaptured checks the stores' guard of payment holds:
// an operation paying the provider of a dossier held in the store, or
// writing a held dossier, is refused and changes nothing; after the
// release the same capture goes through; a hold and a capture racing on
// one version never both succeed.
func testHeldPaymentNeverCaptured(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	mustApply(t, s, credit("seed", "a", 1000_00))
	d := marketplace.Dossier{ID: "d1", AccountID: "a", ProviderID: "p", State: marketplace.ServiceDoneDeclared,
		Billing: marketplace.DepositPaid, PriceCents: 600_00, Version: 1,
		Funding: []marketplace.Share{{From: marketplace.LearnerAccount("a"), Cents: 600_00, Kind: "account"}}}
	mustApply(t, s, marketplace.Op{Key: "hold-money", At: Time, Kind: marketplace.MoveHold, Dossier: &d,
		Postings: []marketplace.Posting{{Account: marketplace.LearnerAccount("a"), Cents: -600_00}, {Account: marketplace.HoldAccount("d1"), Cents: 600_00}}})

	held := d
	held.Version, held.Hold = 2, &marketplace.PaymentHold{At: Time, By: "controls", Reason: "prix anormal"}
	mustApply(t, s, marketplace.Op{Key: "hold-payment", At: Time, Dossier: &held, IfVersion: 1})

	capture := func(key string, ifVersion int64, hold *marketplace.PaymentHold) marketplace.Op {
		paid := held
		paid.Version, paid.Hold = ifVersion+1, hold
		paid.State, paid.Billing, paid.PaidCents = marketplace.ServiceDoneValidated, marketplace.Paid, 600_00
		return marketplace.Op{Key: key, At: Time, Kind: marketplace.MoveCapture, Dossier: &paid, IfVersion: ifVersion,
			Postings: []marketplace.Posting{{Account: marketplace.HoldAccount("d1"), Cents: -600_00}, {Account: marketplace.ProviderAccount("p"), Cents: 600_00}}}
	}
	// The stored dossier is held: a capture that clears the hold in its
	// own write is refused all the same.
	if _, err := s.Apply(ctx, capture("capture-1", 2, nil)); !errors.Is(err, marketplace.ErrPaymentHeld) {
		t.Fatalf("capture of a held dossier: %v, want ErrPaymentHeld", err)
	}
	// A capture that writes a held dossier is refused too.
	if _, err := s.Apply(ctx, capture("capture-2", 2, held.Hold)); !errors.Is(err, marketplace.ErrPaymentHeld) {
		t.Fatalf("capture writing a held dossier: %v, want ErrPaymentHeld", err)
	}
	// A payment to a provider outside any dossier is refused.
	loose := marketplace.Op{Key: "loose", At: Time, Kind: marketplace.MoveCapture, Postings: []marketplace.Posting{
		{Account: marketplace.HoldAccount("d1"), Cents: -1}, {Account: marketplace.ProviderAccount("p"), Cents: 1}}}
	if _, err := s.Apply(ctx, loose); !errors.Is(err, marketplace.ErrPaymentHeld) {
		t.Fatalf("payment to a provider without a dossier: %v, want ErrPaymentHeld", err)
	}
	if got := bal(t, s, marketplace.ProviderAccount("p")); got != 0 {
		t.Fatalf("the provider received %d cents while held", got)
	}
	if got := bal(t, s, marketplace.HoldAccount("d1")); got != 600_00 {
		t.Fatalf("hold account %d cents, want 60000", got)
	}
	for _, k := range []string{"capture-1", "capture-2", "loose"} {
		if _, err := s.Journal(ctx, k); !errors.Is(err, marketplace.ErrNotFound) {
			t.Errorf("refused operation %s recorded its key: %v", k, err)
		}
	}
	got, err := s.Dossier(ctx, "d1")
	if err != nil || got.Hold == nil || got.Version != 2 || got.Billing != marketplace.DepositPaid {
		t.Fatalf("dossier after refused captures = %+v, %v", got, err)
	}

	// Released (version 3), the capture goes through.
	released := held
	released.Version, released.Hold = 3, nil
	mustApply(t, s, marketplace.Op{Key: "release", At: Time, Dossier: &released, IfVersion: 2})
	if !mustApply(t, s, capture("capture-3", 3, nil)) {
		t.Fatal("capture after the release was not applied")
	}
	if got := bal(t, s, marketplace.ProviderAccount("p")); got != 600_00 {
		t.Errorf("provider balance after release %d", got)
	}

	// A hold and a capture racing on one version: never both.
	mustApply(t, s, credit("seed-2", "b", 100_00))
	d2 := marketplace.Dossier{ID: "d2", AccountID: "b", ProviderID: "p", State: marketplace.ServiceDoneDeclared,
		Billing: marketplace.DepositPaid, PriceCents: 100_00, Version: 1}
	mustApply(t, s, marketplace.Op{Key: "hold-money-2", At: Time, Kind: marketplace.MoveHold, Dossier: &d2,
		Postings: []marketplace.Posting{{Account: marketplace.LearnerAccount("b"), Cents: -100_00}, {Account: marketplace.HoldAccount("d2"), Cents: 100_00}}})
	h2 := d2
	h2.Version, h2.Hold = 2, &marketplace.PaymentHold{At: Time, By: "ctrl", Reason: "r"}
	p2 := d2
	p2.Version, p2.State, p2.Billing, p2.PaidCents = 2, marketplace.ServiceDoneValidated, marketplace.Paid, 100_00
	var wg sync.WaitGroup
	var holdErr, payErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, holdErr = s.Apply(ctx, marketplace.Op{Key: "race-hold", At: Time, Dossier: &h2, IfVersion: 1})
	}()
	go func() {
		defer wg.Done()
		_, payErr = s.Apply(ctx, marketplace.Op{Key: "race-pay", At: Time, Kind: marketplace.MoveCapture, Dossier: &p2, IfVersion: 1,
			Postings: []marketplace.Posting{{Account: marketplace.HoldAccount("d2"), Cents: -100_00}, {Account: marketplace.ProviderAccount("p"), Cents: 100_00}}})
	}()
	wg.Wait()
	if (holdErr == nil) == (payErr == nil) {
		t.Fatalf("hold %v, capture %v: exactly one must win", holdErr, payErr)
	}
	final, err := s.Dossier(ctx, "d2")
	if err != nil {
		t.Fatal(err)
	}
	paid := bal(t, s, marketplace.ProviderAccount("p")) - 600_00
	if final.Hold != nil && paid != 0 || final.Hold == nil && paid != 100_00 {
		t.Errorf("after the race: hold %v, provider paid %d", final.Hold, paid)
	}
}
