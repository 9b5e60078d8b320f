package search_test

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/search/searchbench"
)

var benchIndex *search.Index

// builtIndex indexes the catalogue once and lets the catalogue go, so
// that the heap holds what a serving process holds: the index.
func builtIndex(b *testing.B) *search.Index {
	if benchIndex == nil {
		offers, sessions := searchbench.Published()
		ix := search.New()
		for _, o := range offers {
			ix.OfferSaved(o, sessions[o.ID])
		}
		benchIndex = ix
		runtime.GC()
	}
	return benchIndex
}

// BenchmarkSearchIndexBuild indexes the published offers of the
// 300,000-offer catalogue into an empty index, one by one as the
// catalogue's observer does, and reports the heap it holds per offer.
func BenchmarkSearchIndexBuild(b *testing.B) {
	offers, sessions := searchbench.Published()
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ix := search.New()
		start := time.Now()
		for _, o := range offers {
			ix.OfferSaved(o, sessions[o.ID])
		}
		b.ReportMetric(time.Since(start).Seconds(), "build-s")
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(offers)), "heap-B/offer")
		b.ReportMetric(float64(len(offers)), "offers")
		runtime.KeepAlive(ix)
	}
}

// BenchmarkSearch runs the fixed query mix on the 300,000-offer
// catalogue, first pages of 20 with facets, and reports the median and
// 99th percentile latency of each kind of query.
func BenchmarkSearch(b *testing.B) {
	ix := builtIndex(b)
	for _, kind := range searchbench.Kinds {
		qs := searchbench.Queries(kind, 240)
		b.Run(kind, func(b *testing.B) {
			var took []time.Duration
			i := 0
			for b.Loop() {
				q := qs[i%len(qs)]
				q.Client = searchbench.Client(i)
				start := time.Now()
				res, err := ix.Search(q)
				took = append(took, time.Since(start))
				if err != nil || (kind != searchbench.Text100Filters && len(res.Hits) == 0) {
					b.Fatalf("%+v: %v, %d hits", q, err, len(res.Hits))
				}
				i++
			}
			reportLatency(b, took)
		})
	}
}

func reportLatency(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
