package mongo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/storetest"
)

// BenchmarkMongoStore measures the MongoDB backend on the test server
// (embedded FerretDB over SQLite, loopback) holding the demo set: the same
// reads and write as the embedded store's BenchmarkStore, and Apply of a
// yearly credit (journal, two entries, done: five round trips).
func BenchmarkMongoStore(b *testing.B) {
	ctx := context.Background()
	s := open(b)
	storetest.BenchCatalogue(b, s, demo.Catalogue(demo.Options{Seed: 1, Providers: 300, Offers: 20000}, nil))
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
