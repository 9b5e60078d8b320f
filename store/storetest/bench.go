package storetest

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/parcours/parcours/marketplace"
)

// BenchCatalogue loads cat into s and measures, as sub-benchmarks, what the
// catalogue's pages ask of a store: an offer read (alone and in
// parallel), an offer's sessions, the first page of a region (what
// GET /api/v1/offers?region=84&limit=20 reads), and one offer creation.
// Every backend's benchmark calls it, so their figures compare.
func BenchCatalogue(b *testing.B, s marketplace.Store, cat marketplace.Catalogue) {
	ctx := context.Background()
	l, ok := s.(marketplace.Loader)
	if !ok {
		b.Fatal("the store cannot load a catalogue")
	}
	if err := l.LoadCatalogue(ctx, cat); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, len(cat.Offers))
	for i, o := range cat.Offers {
		ids[i] = o.ID
	}
	b.Run("Offer", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		for b.Loop() {
			if _, err := s.Offer(ctx, ids[r.IntN(len(ids))]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("OfferParallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 2))
			for pb.Next() {
				if _, err := s.Offer(ctx, ids[r.IntN(len(ids))]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("Sessions", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		for b.Loop() {
			if _, err := s.Sessions(ctx, ids[r.IntN(len(ids))]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("OffersByRegion", func(b *testing.B) {
		f := marketplace.OfferFilter{Region: "84", Status: marketplace.Published}
		for b.Loop() {
			offers, _, err := s.Offers(ctx, f, marketplace.Page{Limit: 20})
			if err != nil || len(offers) != 20 {
				b.Fatalf("%d offers, %v", len(offers), err)
			}
		}
	})
	b.Run("CreateOffer", func(b *testing.B) {
		o := cat.Offers[0]
		for b.Loop() {
			o.ID = marketplace.NewID()
			if err := s.CreateOffer(ctx, o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
