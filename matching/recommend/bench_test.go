package recommend

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// benchSize reads a size from the environment, for the large runs that
// docs/benchmarks.md reports (scripts/bench-recommend).
func benchSize(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchTie(account string) Tie {
	return func(offer string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(account + "\x00" + offer))
		return h.Sum64()
	}
}

// cpuTime is the CPU time the process used so far (user and system): on
// a shared machine, throughput per CPU-second is what one dedicated core
// would do, whatever the other processes took.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkBatch is the scheduled batch on a generated population: train
// the model, then rank every account on every core. Sizes come from
// PARCOURS_BENCH_RECO_ACCOUNTS, _OFFERS and _EVENTS (mean dossiers per
// account); run it once (-benchtime=1x). It reports the training time, the
// memory the catalogue and model hold, and the ranking throughput per core.
func BenchmarkBatch(b *testing.B) {
	accounts := benchSize("PARCOURS_BENCH_RECO_ACCOUNTS", 20_000)
	offers := benchSize("PARCOURS_BENCH_RECO_OFFERS", 6_000)
	events := benchSize("PARCOURS_BENCH_RECO_EVENTS", 10)
	before := heapMB()
	pop := Generate(PopulationConfig{Accounts: accounts, Offers: offers, EventsPerAccount: events, Regions: 13, Profiles: 64, Seed: 1})
	interactions := 0
	for _, a := range pop.Accounts {
		interactions += len(a.History)
	}
	gen := heapMB()
	b.ResetTimer()
	for range b.N {
		start, cpu0 := time.Now(), cpuTime()
		cat := NewCatalogue(pop.Offers, pop.Market)
		model := Train(cat, pop.Accounts, ModelConfig{ALS: ALSConfig{Seed: 1}})
		train, trainCPU := time.Since(start), cpuTime()-cpu0
		held := heapMB() - gen
		ptrs := make([]*Account, len(pop.Accounts))
		for i := range pop.Accounts {
			ptrs[i] = &pop.Accounts[i]
		}
		start, cpu0 = time.Now(), cpuTime()
		items, ranked := 0, 0
		err := RankAll(context.Background(), cat, model, ptrs, benchTie, Options{}, time.Now(), func(rs []Result) error {
			for _, r := range rs {
				items += len(r.Items)
			}
			ranked += len(rs)
			return nil
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
		rank, rankCPU := time.Since(start), cpuTime()-cpu0
		rs := ptrs[:ranked]
		cores := runtime.GOMAXPROCS(0)
		b.ReportMetric(float64(interactions), "interactions")
		b.ReportMetric(train.Seconds(), "train-s")
		b.ReportMetric(held, "model+catalogue-MB")
		b.ReportMetric(gen-before, "population-MB")
		b.ReportMetric(rank.Seconds(), "rank-s")
		b.ReportMetric(float64(len(rs))/rank.Seconds()/float64(cores), "accounts/s/core")
		b.ReportMetric(trainCPU.Seconds(), "train-cpu-s")
		b.ReportMetric(rankCPU.Seconds(), "rank-cpu-s")
		b.ReportMetric(float64(len(rs))/rankCPU.Seconds(), "accounts/cpu-s")
		b.ReportMetric(float64(items)/float64(len(rs)), "items/account")
		if testing.Verbose() {
			fmt.Printf("accounts %d, offers %d, interactions %d, cores %d: train %v (CPU %v), rank %v (CPU %v)\n", accounts, offers, interactions, cores, train, trainCPU, rank, rankCPU)
		}
	}
}

// BenchmarkRank ranks one account at a time on one core, over a model of
// 20,000 accounts and 6,000 offers.
func BenchmarkRank(b *testing.B) {
	pop := Generate(PopulationConfig{Accounts: 20_000, Offers: 6_000, EventsPerAccount: 10, Regions: 13, Profiles: 64, Seed: 1})
	cat := NewCatalogue(pop.Offers, pop.Market)
	model := Train(cat, pop.Accounts, ModelConfig{ALS: ALSConfig{Seed: 1}})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a := &pop.Accounts[i%len(pop.Accounts)]
		Rank(cat, model, a, benchTie(a.ID), Options{})
	}
}

// BenchmarkTrain trains the model on 20,000 accounts and 6,000 offers.
func BenchmarkTrain(b *testing.B) {
	pop := Generate(PopulationConfig{Accounts: 20_000, Offers: 6_000, EventsPerAccount: 10, Regions: 13, Profiles: 64, Seed: 1})
	cat := NewCatalogue(pop.Offers, pop.Market)
	b.ResetTimer()
	for b.Loop() {
		Train(cat, pop.Accounts, ModelConfig{ALS: ALSConfig{Seed: 1}})
	}
}
