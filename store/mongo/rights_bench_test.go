package mongo_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/mongo/mongotest"
	"github.com/parcours/parcours/store/storetest"
)

// BenchmarkYearlyCredits applies yearly credits of distinct learners from
// eight goroutines at once (as the yearly run does with several workers
// or replicas), drawn from the one issuance account of before, or from
// its RightsShards shards: on one account every credit races for that
// account's next entry number.
func BenchmarkYearlyCredits(b *testing.B) {
	for _, v := range []struct {
		name   string
		source func(accountID string) marketplace.LedgerAccount
	}{
		{"one-account", func(string) marketplace.LedgerAccount { return marketplace.RightsSource }},
		{fmt.Sprint(marketplace.RightsShards, "-shards"), marketplace.RightsSourceFor},
	} {
		b.Run(v.name, func(b *testing.B) {
			srv := mongotest.Shared(b)
			ctx := context.Background()
			// Operations queue on the embedded FerretDB: give them time.
			s, err := mongo.New(ctx, srv.Client(), mongo.Config{Database: srv.NewDatabase(), OpTimeout: 5 * time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Database().Drop(context.Background()) })
			var n atomic.Int64
			b.SetParallelism(4) // eight goroutines on two cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					acct := fmt.Sprint("a", n.Add(1))
					key := "credit:" + acct + ":2026"
					op := marketplace.Op{Key: key, Fingerprint: key, At: storetest.Time, Kind: marketplace.MoveYearlyCredit,
						Postings: []marketplace.Posting{{Account: v.source(acct), Cents: -500_00}, {Account: marketplace.LearnerAccount(acct), Cents: 500_00}}}
					if _, err := s.Apply(ctx, op); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(s.RacesLost())/float64(b.N), "races/op")
		})
	}
}
