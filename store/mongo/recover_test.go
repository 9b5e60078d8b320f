package mongo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
)

type observed struct {
	saved   []string
	deleted []string
}

func (o *observed) OfferSaved(of marketplace.Offer, _ []marketplace.Session) {
	o.saved = append(o.saved, of.ID)
}
func (o *observed) OfferDeleted(id string) { o.deleted = append(o.deleted, id) }

// TestRecover finishes an operation a crash interrupted after its debit,
// and undoes one whose remaining debit is no longer covered.
func TestRecover(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	a, hold := marketplace.LearnerAccount("a"), marketplace.HoldAccount("d1")
	credit := marketplace.Op{Key: "seed", At: time.Now(), Kind: marketplace.MoveYearlyCredit, Postings: []marketplace.Posting{
		{Account: marketplace.RightsSource, Cents: -100_00}, {Account: a, Cents: 100_00}}}
	if _, err := s.Apply(ctx, credit); err != nil {
		t.Fatal(err)
	}
	d := marketplace.Dossier{ID: "d1", AccountID: "a", ProviderID: "p", State: marketplace.Accepted, Version: 1}
	op := marketplace.Op{Key: "hold", At: time.Now(), Kind: marketplace.MoveHold, Dossier: &d, Postings: []marketplace.Posting{
		{Account: a, Cents: -60_00}, {Account: hold, Cents: 60_00}}}
	if err := s.Crash(ctx, op, 1); err != nil {
		t.Fatal(err)
	}
	// A second operation crashed before any posting; by recovery time its
	// debit is no longer covered.
	d2 := marketplace.Dossier{ID: "d2", AccountID: "a", ProviderID: "p", State: marketplace.Accepted, Version: 1}
	op2 := marketplace.Op{Key: "hold2", At: time.Now(), Kind: marketplace.MoveHold, Dossier: &d2, Postings: []marketplace.Posting{
		{Account: a, Cents: -50_00}, {Account: marketplace.HoldAccount("d2"), Cents: 50_00}}}
	if err := s.Crash(ctx, op2, 0); err != nil {
		t.Fatal(err)
	}
	n, err := s.Recover(ctx, 0)
	if err != nil || n != 2 {
		t.Fatalf("recovered %d, %v", n, err)
	}
	b, err := s.Balances(ctx, a, hold, marketplace.HoldAccount("d2"), marketplace.RightsSource)
	if err != nil {
		t.Fatal(err)
	}
	if b[a] != 40_00 || b[hold] != 60_00 || b[marketplace.HoldAccount("d2")] != 0 || b[marketplace.RightsSource] != -100_00 {
		t.Errorf("balances after recovery: %v", b)
	}
	if _, err := s.Journal(ctx, "hold"); err != nil {
		t.Errorf("the finished operation is not recorded: %v", err)
	}
	if _, err := s.Journal(ctx, "hold2"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("the undone operation is recorded: %v", err)
	}
	if _, err := s.Dossier(ctx, "d2"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("the undone operation's dossier remains: %v", err)
	}
	// A retry of the finished operation is a replay.
	if applied, err := s.Apply(ctx, op); applied || err != nil {
		t.Errorf("replay after recovery: %v, %v", applied, err)
	}
	bal, fromEntries, err := s.AuditLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for k, v := range bal {
		sum += v
		if fromEntries[k] != v {
			t.Errorf("%s: balance %d, entries %d", k, v, fromEntries[k])
		}
	}
	if sum != 0 {
		t.Errorf("balances sum to %d", sum)
	}
}

// TestChangeFeed: an offer written through one replica's store reaches
// another replica's observer through Poll.
func TestChangeFeed(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	from, err := s.LastChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o := marketplace.Offer{ID: "o1", ProviderID: "p", Title: "Soudure", Status: marketplace.Published}
	if err := s.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOffer(ctx, marketplace.Offer{ID: "o2", ProviderID: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOffer(ctx, "o2"); err != nil {
		t.Fatal(err)
	}
	var obs observed
	next, err := s.Poll(ctx, from, &obs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.saved) != 1 || obs.saved[0] != "o1" || len(obs.deleted) != 1 || obs.deleted[0] != "o2" {
		t.Errorf("observed %+v", obs)
	}
	var again observed
	if last, err := s.Poll(ctx, next, &again, nil); err != nil || last != next || len(again.saved)+len(again.deleted) != 0 {
		t.Errorf("second poll: %d %v %+v", last, err, again)
	}
}
