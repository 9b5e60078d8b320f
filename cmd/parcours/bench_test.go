package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/store/bolt"
)

// demoOptions is the shipped demo set: 300 providers, 20,000 offers.
func demoOptions() demo.Options {
	d := config.Default().Demo
	return demo.Options{Seed: d.Seed, Providers: d.Providers, Offers: d.Offers, Now: demoEpoch(time.Now())}
}

// BenchmarkDemoSet measures the three steps of a first start in demo mode,
// each on its own: generating the set, loading it into a fresh bbolt store,
// and building the search index from that store.
func BenchmarkDemoSet(b *testing.B) {
	ctx := context.Background()
	places := geo.Default()
	opts := demoOptions()
	b.Run("generate", func(b *testing.B) {
		for b.Loop() {
			demo.Catalogue(opts, places)
		}
	})
	cat := demo.Catalogue(opts, places)
	b.Run("load", func(b *testing.B) {
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			path := filepath.Join(dir, fmt.Sprintf("parcours-%d.db", i))
			s, err := bolt.Open(path, time.Second)
			if err != nil {
				b.Fatal(err)
			}
			catalogue := marketplace.NewCatalogueService(s, places, nil)
			b.StartTimer()
			if err := catalogue.Load(ctx, cat); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			s.Close()
			os.Remove(path)
			b.StartTimer()
		}
	})
	b.Run("index", func(b *testing.B) {
		s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if err := s.LoadCatalogue(ctx, cat); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := search.New().Build(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHTTP measures the whole service, as `parcours serve` runs it,
// holding the demo set, under concurrent keep-alive clients on loopback.
// Each request is timed; the benchmark reports the throughput and the
// 50th, 99th and 99.9th percentile latencies. Client and server share the
// machine, and allocations count both.
func BenchmarkHTTP(b *testing.B) {
	dir := b.TempDir()
	published := loadDemoDir(b, dir)
	base := serveInProcess(b, dir)

	offer := func(r *rand.Rand) string { return base + "/api/v1/offers/" + published[r.IntN(len(published))] }
	for _, clients := range []int{8, 32} {
		b.Run(fmt.Sprintf("offer/clients=%d", clients), func(b *testing.B) { hammer(b, clients, offer) })
	}
	listing := func(*rand.Rand) string { return base + "/api/v1/offers?region=84&limit=20" }
	b.Run("listing/clients=8", func(b *testing.B) { hammer(b, 8, listing) })
	home := func(*rand.Rand) string { return base + "/" }
	b.Run("home/clients=8", func(b *testing.B) { hammer(b, 8, home) })
}

// loadDemoDir loads the demo set into a data directory as serve does on
// first start, and returns the IDs of the offers it will serve: those
// published once lapsed certifications are taken into account.
func loadDemoDir(b *testing.B, dir string) []string {
	b.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = dir
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	if _, _, err := a.loadDemo(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := a.catalogue.UnpublishLapsed(ctx); err != nil {
		b.Fatal(err)
	}
	var ids []string
	for pg := (marketplace.Page{Limit: marketplace.MaxPageSize}); ; {
		offers, next, err := a.store.Offers(ctx, marketplace.OfferFilter{Status: marketplace.Published}, pg)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range offers {
			ids = append(ids, o.ID)
		}
		if next == "" {
			return ids
		}
		pg.After = next
	}
}

// serveInProcess runs `parcours serve` on dir with demo mode off and the
// rate limits out of the way, and returns its base URL. It stops at the
// end of the benchmark.
func serveInProcess(b *testing.B, dir string) string {
	b.Helper()
	b.Setenv("PARCOURS_CONFIG", "")
	b.Setenv("PARCOURS_DEMO_ENABLED", "false")
	b.Setenv("PARCOURS_RATE_LIMIT_PER_SECOND", "1e9")
	b.Setenv("PARCOURS_RATE_LIMIT_BURST", "1000000000")
	ctx, cancel := context.WithCancel(context.Background())
	addr := &addrWatch{ch: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, addr, io.Discard) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addr.ch:
		return "http://" + a
	case err := <-done:
		b.Fatalf("serve exited: %v", err)
	case <-time.After(2 * time.Minute):
		b.Fatal("serve did not start within 2 minutes")
	}
	return ""
}

// addrWatch is serve's standard output: it picks the listening address
// from the line that announces it.
type addrWatch struct {
	once sync.Once
	ch   chan string
}

func (w *addrWatch) Write(p []byte) (int, error) {
	if _, rest, ok := strings.Cut(string(p), "serving on http://"); ok {
		addr, _, _ := strings.Cut(rest, "/")
		w.once.Do(func() { w.ch <- addr })
	}
	return len(p), nil
}

// hammer makes b.N GET requests from clients concurrent keep-alive clients,
// each taking its next URL from url, and reports throughput and latency
// percentiles. Every response must be 200.
func hammer(b *testing.B, clients int, url func(*rand.Rand) string) {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		times = make([][]time.Duration, clients)
	)
	b.ResetTimer()
	start := time.Now()
	for i := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), uint64(b.N)))
			for next.Add(1) <= int64(b.N) {
				u := url(r)
				t0 := time.Now()
				resp, err := client.Get(u)
				if err != nil {
					b.Error(err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				times[i] = append(times[i], time.Since(t0))
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Errorf("GET %s: %s %v", u, resp.Status, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(times...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	percentile := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(all)))) - 1
		return float64(all[max(i, 0)]) / float64(time.Microsecond)
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(percentile(0.50), "p50-µs")
	b.ReportMetric(percentile(0.99), "p99-µs")
	b.ReportMetric(percentile(0.999), "p999-µs")
}
