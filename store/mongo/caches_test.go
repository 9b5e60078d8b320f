package mongo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/skills"
)

// follower records what the change feed gives a replica's memory.
type follower struct {
	observed
	refreshed []skills.Batch
	reloads   int
	neutral   []search.Indicators
}

func (f *follower) Refresh(b skills.Batch)              { f.refreshed = append(f.refreshed, b) }
func (f *follower) Reload(context.Context) error        { f.reloads++; return nil }
func (f *follower) SetNeutrality(ind search.Indicators) { f.neutral = append(f.neutral, ind) }

// TestGraphAndNeutralityChanges: a graph write reaches followers as the
// records written and the edges deleted; an import too large to list
// makes them reload once; published neutrality figures reach them.
func TestGraphAndNeutralityChanges(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	from, err := s.LastChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	poll := func() *follower {
		t.Helper()
		f := &follower{}
		next, err := s.Poll(ctx, from, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		from = next
		return f
	}
	skill := skills.Skill{ID: "s1", Label: "Soudure", Kind: "savoir-faire"}
	edge := skills.Edge{Rel: skills.HasSkill, From: "learner-1", To: "s1", Level: 2, Evidence: skills.Declared}
	if err := s.PutGraph(ctx, skills.Batch{Skills: []skills.Skill{skill}, Edges: []skills.Edge{edge}}); err != nil {
		t.Fatal(err)
	}
	f := poll()
	if len(f.refreshed) != 1 || len(f.refreshed[0].Skills) != 1 || f.refreshed[0].Skills[0].Label != "Soudure" ||
		len(f.refreshed[0].Edges) != 1 || f.refreshed[0].Edges[0] != edge || f.reloads != 0 {
		t.Fatalf("after a graph write: %+v, %d reloads", f.refreshed, f.reloads)
	}
	if err := s.PutGraph(ctx, skills.Batch{DeleteEdges: []skills.Edge{edge}}); err != nil {
		t.Fatal(err)
	}
	if f = poll(); len(f.refreshed) != 1 || len(f.refreshed[0].DeleteEdges) != 1 || f.refreshed[0].DeleteEdges[0].Key() != edge.Key() {
		t.Fatalf("after an edge deletion: %+v", f.refreshed)
	}
	var big skills.Batch
	for i := range 1200 {
		big.Skills = append(big.Skills, skills.Skill{ID: fmt.Sprint("b", i), Label: fmt.Sprint("Compétence ", i), Kind: "savoir"})
	}
	if err := s.PutGraph(ctx, big); err != nil {
		t.Fatal(err)
	}
	if err := s.PutGraph(ctx, skills.Batch{Skills: []skills.Skill{skill}}); err != nil {
		t.Fatal(err)
	}
	if f = poll(); f.reloads != 1 || len(f.refreshed) != 0 {
		t.Fatalf("after an import: %d reloads, %d refreshes; want one reload covering both writes", f.reloads, len(f.refreshed))
	}
	ind := search.Indicators{ComputedAt: time.Now().UTC().Truncate(time.Millisecond), Queries: 7, ExposureDisparity: 0.125}
	if err := s.PublishNeutrality(ctx, ind); err != nil {
		t.Fatal(err)
	}
	if f = poll(); len(f.neutral) != 1 || !f.neutral[0].ComputedAt.Equal(ind.ComputedAt) || f.neutral[0].ExposureDisparity != 0.125 {
		t.Fatalf("published figures: %+v", f.neutral)
	}
	// Offers still reach the observer alongside.
	if err := s.CreateOffer(ctx, marketplace.Offer{ID: "o1", ProviderID: "p", Status: marketplace.Published}); err != nil {
		t.Fatal(err)
	}
	if f = poll(); len(f.saved) != 1 {
		t.Fatalf("offer: %+v", f.observed)
	}
}
