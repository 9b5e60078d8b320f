package bolt_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/bolt"
)

// BenchmarkStore measures the embedded store holding the demo set (300
// providers, 20,000 offers): the reads behind the offer page and the
// region listing, and one synced offer creation.
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	cat := demo.Catalogue(demo.Options{Seed: 1, Providers: 300, Offers: 20000}, nil)
	s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.LoadCatalogue(ctx, cat); err != nil {
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
	// What GET /api/v1/offers?region=84&limit=20 asks of the store.
	b.Run("OffersByRegion", func(b *testing.B) {
		f := marketplace.OfferFilter{Region: "84", Status: marketplace.Published}
		for b.Loop() {
			offers, _, err := s.Offers(ctx, f, marketplace.Page{Limit: 20})
			if err != nil || len(offers) != 20 {
				b.Fatalf("%d offers, %v", len(offers), err)
			}
		}
	})
	// Each creation is one bbolt transaction, fsynced before it returns.
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
