package recommend

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestProvidersCannotBuyPlacement changes everything a provider controls
// besides what its training is (price, provider, title) and checks that
// no score moves.
func TestProvidersCannotBuyPlacement(t *testing.T) {
	pop := Generate(PopulationConfig{Accounts: 600, Offers: 300, Seed: 3})
	cat := NewCatalogue(pop.Offers, pop.Market)
	model := Train(cat, pop.Accounts, ModelConfig{ALS: ALSConfig{Seed: 3}})
	bought := slices.Clone(pop.Offers)
	for i := range bought {
		bought[i].PriceCents = int64(i%7) * 100
		bought[i].Title = fmt.Sprintf("MEILLEURE FORMATION %d", i)
		bought[i].ProviderID = fmt.Sprintf("sponsor-%d", i) // one offer each: no provider cap either
	}
	catB := NewCatalogue(bought, pop.Market)
	modelB := Train(catB, pop.Accounts, ModelConfig{ALS: ALSConfig{Seed: 3}})
	scores := func(c *Catalogue, m *Model, a *Account) map[string]float64 {
		out := map[string]float64{}
		for _, it := range Rank(c, m, a, func(string) uint64 { return 0 }, Options{TopK: 100, PerProvider: 100}) {
			out[it.Offer] = it.Score
		}
		return out
	}
	for i := 0; i < 50; i++ {
		a := &pop.Accounts[i]
		if diff := cmp.Diff(scores(cat, model, a), scores(catB, modelB, a)); diff != "" {
			t.Fatalf("account %s: scores moved with price, title or provider (-before +after):\n%s", a.ID, diff)
		}
	}
}

// TestNeverRecommendsFollowedOrUnavailable checks the rules on a whole
// generated population.
func TestNeverRecommendsFollowedOrUnavailable(t *testing.T) {
	pop := Generate(PopulationConfig{Accounts: 800, Offers: 400, Seed: 5})
	for i := range pop.Offers {
		pop.Offers[i].Available = i%5 != 0
	}
	cat := NewCatalogue(pop.Offers, pop.Market)
	model := Train(cat, pop.Accounts, ModelConfig{ALS: ALSConfig{Seed: 5}})
	for i := range pop.Accounts {
		a := &pop.Accounts[i]
		items := Rank(cat, model, a, func(string) uint64 { return 0 }, Options{})
		if len(items) == 0 {
			t.Fatalf("account %s: nothing recommended", a.ID)
		}
		for _, it := range items {
			o, _ := cat.Offer(it.Offer)
			if !o.Available {
				t.Fatalf("account %s: unavailable %s recommended", a.ID, it.Offer)
			}
			if !reachable(&o, a.Region) {
				t.Fatalf("account %s in %s: %s in %s, not at a distance", a.ID, a.Region, o.ID, o.Region)
			}
			for _, e := range a.History {
				if e.Offer == it.Offer {
					t.Fatalf("account %s: %s already followed", a.ID, it.Offer)
				}
			}
			if len(it.Reasons) == 0 {
				t.Fatalf("account %s: %s without a reason", a.ID, it.Offer)
			}
		}
	}
}
