package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/storetest"
)

func TestJournalPurgeConformance(t *testing.T) {
	storetest.RunJournalPurge(t, func(t *testing.T) marketplace.EnrolmentStore { return open(t) })
}

// TestPurgeChanges: entries every live replica has read go; a replica
// left behind by the retention purge rebuilds instead of missing changes;
// the latest entry stays, so that a starting replica reads the feed's
// position.
func TestPurgeChanges(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for i := range 5 {
		if err := s.CreateOffer(ctx, marketplace.Offer{ID: fmt.Sprint("o", i), ProviderID: "p", Title: "Soudure", Status: marketplace.Published}); err != nil {
			t.Fatal(err)
		}
	}
	last, err := s.LastChange(ctx)
	if err != nil || last != 5 {
		t.Fatalf("LastChange = %d, %v", last, err)
	}
	changes := s.Database().Collection("changes")
	count := func() int64 {
		n, err := changes.CountDocuments(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	now := time.Now()
	// Replica a has read everything, b up to 2; c was last heard of two
	// minutes ago (dead: it does not hold the purge back).
	for id, seq := range map[string]int64{"a": 5, "b": 2} {
		if err := s.RecordPosition(ctx, id, seq, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordPosition(ctx, "c", 0, now.Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	n, err := s.PurgeChanges(ctx, now.Add(-time.Hour))
	if err != nil || n != 1 || count() != 4 {
		t.Fatalf("purged %d, %v, %d left; want entry 1 purged, 4 left", n, err, count())
	}
	// b goes on from 2 without a rebuild.
	rebuilt := 0
	rebuild := func(context.Context) error { rebuilt++; return nil }
	var obs observed
	next, err := s.Poll(ctx, 2, &obs, rebuild)
	if err != nil || next != 5 || rebuilt != 0 || len(obs.saved) != 3 {
		t.Fatalf("b's poll: next %d, %v, %d rebuilds, saw %v", next, err, rebuilt, obs.saved)
	}
	// A day later everything but the latest entry is past the retention;
	// b, still at 2, rebuilds and goes on from the latest.
	n, err = s.PurgeChanges(ctx, now.Add(time.Hour))
	if err != nil || n != 3 || count() != 1 {
		t.Fatalf("retention purge: %d, %v, %d left; want 3 purged, the latest kept", n, err, count())
	}
	obs = observed{}
	next, err = s.Poll(ctx, 2, &obs, rebuild)
	if err != nil || next != 5 || rebuilt != 1 {
		t.Fatalf("a replica behind the purge: next %d, %v, %d rebuilds; want a rebuild and 5", next, err, rebuilt)
	}
	if last, err := s.LastChange(ctx); err != nil || last != 5 {
		t.Errorf("LastChange after the purges = %d, %v", last, err)
	}
	// c's position, older than the retention, was forgotten.
	if n, _ := s.Database().Collection("replicas").CountDocuments(ctx, bson.M{"_id": "c"}); n != 0 {
		t.Error("the dead replica's position is kept")
	}
}

// TestPurgeLeasesAndClaims: old leases and claims go, recent ones stay,
// and a writer of a version whose claim was purged is still refused.
func TestPurgeLeasesAndClaims(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	l := s.Locker("r1").WithTTL(time.Second)
	lease, _, err := l.Lock(ctx, "job", time.Now())
	if err != nil || lease == nil {
		t.Fatalf("lock: %v", err)
	}
	if err := lease.Done(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if n, err := s.PurgeLeases(ctx, now.Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("purged %d recent leases, %v", n, err)
	}
	if n, err := s.PurgeLeases(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("purged %d old leases, %v; want 1", n, err)
	}

	o := marketplace.Offer{ID: "o1", ProviderID: "p", Title: "Soudure", Status: marketplace.Published, UpdatedAt: storetest.Time}
	if err := s.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	v2 := o
	v2.Title, v2.UpdatedAt = "Soudure TIG", storetest.Time.Add(time.Second)
	if err := s.UpdateOffer(ctx, v2, o.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeClaims(ctx, now.Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("purged %d recent claims, %v", n, err)
	}
	if n, err := s.PurgeClaims(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("purged %d old claims, %v; want 1", n, err)
	}
	stale := o
	stale.Title = "Soudure à l'arc"
	if err := s.UpdateOffer(ctx, stale, o.UpdatedAt); !errors.Is(err, marketplace.ErrStale) && !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("a writer of the first version after its claim was purged: %v", err)
	}
	got, err := s.Offer(ctx, "o1")
	if err != nil || got.Title != "Soudure TIG" {
		t.Errorf("offer = %q, %v", got.Title, err)
	}
}
