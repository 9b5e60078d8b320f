package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching/recommend"
)

// BenchmarkRecommendationsHTTP serves a learner's stored recommendations
// through the router (token check, the learner's inputs read to see that
// the stored result is current, the result read, the offers checked
// against the search index) on the embedded store, one request at a time,
// and reports the latency percentiles.
func BenchmarkRecommendationsHTTP(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	start := time.Now().AddDate(0, 1, 0).UTC().Truncate(24 * time.Hour)
	if _, err := e.cat.AddSession(ctx, marketplace.Actor{Admin: true}, marketplace.Session{OfferID: e.otherOffer.ID, Start: start, End: start.AddDate(0, 3, 0), Seats: 12}); err != nil {
		b.Fatal(err)
	}
	const learners = 64
	tokens := make([]string, learners)
	for i := range tokens {
		acct := fmt.Sprintf("acc-bench-%02d", i)
		if _, err := e.recs.SetPreferences(ctx, recommend.Preferences{Account: acct, Targets: []string{"M1805"}, Commune: "69123"}); err != nil {
			b.Fatal(err)
		}
		tokens[i] = e.token(b, auth.Learner, acct)
		// The first request computes and stores the result.
		if rec := e.do(req{method: "GET", path: "/api/v1/recommendations/trainings", token: tokens[i]}); rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		rec := e.do(req{method: "GET", path: "/api/v1/recommendations/trainings", token: tokens[i%learners]})
		lat = append(lat, time.Since(t0))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.5), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
