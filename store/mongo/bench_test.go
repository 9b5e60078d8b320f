package mongo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/marketplace"
)

// BenchmarkMongoStore measures the MongoDB backend on the test server
// (embedded FerretDB over SQLite, loopback) holding the demo set: the same
// reads and write as the embedded store's BenchmarkStore, and Apply of a
// yearly credit (journal, two entries, done: five round trips).
func BenchmarkMongoStore(b *testing.B) {
	ctx := context.Background()
	cat := demo.Catalogue(demo.Options{Seed: 1, Providers: 300, Offers: 20000}, nil)
	s := open(b)
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
	b.Run("ApplyCredit", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			op := marketplace.Op{Key: fmt.Sprint("bench-", i), Kind: marketplace.MoveYearlyCredit, Postings: []marketplace.Posting{
				{Account: marketplace.RightsSource, Cents: -1}, {Account: marketplace.LearnerAccount(fmt.Sprint(i % 1000)), Cents: 1}}}
			if _, err := s.Apply(ctx, op); err != nil {
				b.Fatal(err)
			}
		}
	})
}
