package matching_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/matching"
)

func TestDemoMarket(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	occs := []string{"G1602", "N1103", "K2204"}
	offers, cands, edges, err := matching.DemoMarket(ctx, e.graph, geo.Default(), occs, now, "demo-learner")
	if err != nil {
		t.Fatal(err)
	}
	o2, c2, e2, _ := matching.DemoMarket(ctx, e.graph, geo.Default(), occs, now, "demo-learner")
	if !cmp.Equal(offers, o2) || !cmp.Equal(cands, c2) || !cmp.Equal(edges, e2) {
		t.Error("the demo market is not deterministic")
	}
	if _, err := e.graph.Apply(ctx, skillsBatch(edges)); err != nil {
		t.Fatal(err)
	}
	if err := e.store.LoadMarket(ctx, offers, cands); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RunFeeds(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if f, _ := e.svc.CandidateFeed(ctx, "demo-learner", true); len(f) == 0 {
		t.Error("the demo learner gets no offer")
	}
	if f, _ := e.svc.OfferFeed(ctx, matching.DemoEmployers[0].SIRET, offers[0].ID, true); len(f) == 0 {
		t.Error("the first demo offer gets no candidate")
	}
}
