package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// RunJournalPurge checks marketplace.JournalPurger: only finished records
// under the prefix and older than the cutoff go; a key the service
// derived itself stays; a purged dossier transition sent again moves no
// money.
func RunJournalPurge(t *testing.T, open func(t *testing.T) marketplace.EnrolmentStore) {
	ctx := context.Background()
	s := open(t)
	p, ok := s.(marketplace.JournalPurger)
	if !ok {
		t.Fatal("the store cannot purge its journal")
	}
	now := time.Now().UTC()
	client := func(k string) string { return marketplace.ClientKeyPrefix + "learner:a:" + k }
	op := func(key string, postings ...marketplace.Posting) marketplace.Op {
		return marketplace.Op{Key: key, Fingerprint: key, At: now, Kind: marketplace.MoveYearlyCredit, Postings: postings}
	}
	mustApply(t, s, op("credit:a:2026", marketplace.Posting{Account: marketplace.RightsSource, Cents: -1000_00},
		marketplace.Posting{Account: marketplace.LearnerAccount("a"), Cents: 1000_00}))
	d := marketplace.Dossier{ID: "d1", AccountID: "a", ProviderID: "p", State: marketplace.Accepted, Version: 1}
	hold := op(client("accept"), marketplace.Posting{Account: marketplace.LearnerAccount("a"), Cents: -300_00},
		marketplace.Posting{Account: marketplace.HoldAccount("d1"), Cents: 300_00})
	hold.Kind, hold.Dossier = marketplace.MoveHold, &d
	mustApply(t, s, hold)
	if err := s.SaveResponse(ctx, client("other"), client("other"), 201, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}

	// Nothing is old enough yet.
	if n, err := p.PurgeJournal(ctx, marketplace.ClientKeyPrefix, now.Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("purge of records older than an hour: %d, %v", n, err)
	}
	if _, err := s.Journal(ctx, client("accept")); err != nil {
		t.Fatalf("a recent record was purged: %v", err)
	}
	// An hour later every client record is old enough; the yearly credit's
	// key is not a client's.
	n, err := p.PurgeJournal(ctx, marketplace.ClientKeyPrefix, now.Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("purge: %d records, %v; want 2", n, err)
	}
	for _, k := range []string{client("accept"), client("other")} {
		if _, err := s.Journal(ctx, k); !errors.Is(err, marketplace.ErrNotFound) {
			t.Errorf("%s after the purge: %v", k, err)
		}
	}
	if _, err := s.Journal(ctx, "credit:a:2026"); err != nil {
		t.Errorf("the yearly credit's record was purged: %v", err)
	}
	// The dossier moved on meanwhile; the old acceptance sent again is
	// refused or a no-op, and moves no money.
	d2 := d
	d2.Version, d2.State = 2, marketplace.CanceledByAttendee
	if !mustApply(t, s, marketplace.Op{Key: "cancel", Fingerprint: "cancel", At: now, Dossier: &d2, IfVersion: 1}) {
		t.Fatal("cancel not applied")
	}
	if _, err := s.Apply(ctx, hold); err != nil && !errors.Is(err, marketplace.ErrStale) && !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("the purged acceptance sent again: %v", err)
	}
	if got := bal(t, s, marketplace.LearnerAccount("a")); got != 700_00 {
		t.Errorf("learner balance %d after the purged acceptance was sent again, want 700_00", got)
	}
}
