package matching_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/store/bolt"
)

// heldGraph is a skills graph that only knows who holds what: the feed
// job reads nothing else.
type heldGraph struct {
	matching.SkillGraph
	held map[string][]skills.Held
}

func (g heldGraph) PersonSkills(_ context.Context, id string) ([]skills.Held, error) {
	return g.held[id], nil
}
func (g heldGraph) Neighbours(context.Context, string) ([]skills.Neighbour, error) {
	return nil, nil
}

// marketRecords turns a generated market into stored records and the
// skills their candidates hold.
func marketRecords(m *matching.GeneratedMarket, now time.Time) ([]matching.JobOffer, []matching.Candidate, map[string][]skills.Held) {
	offers := make([]matching.JobOffer, len(m.Jobs))
	for i, j := range m.Jobs {
		o := matching.JobOffer{ID: fmt.Sprintf("job-%07d", i), EmployerSIRET: "90123456700013", ROME: j.ROME, Title: "Offre",
			Lat: j.Lat, Lon: j.Lon, Contract: j.Contract, HoursPerWeek: j.HoursPerWeek, SalaryMinCents: j.SalaryMinCents,
			SalaryMaxCents: j.SalaryMaxCents, Start: j.Start, Seats: 1, Status: matching.OfferPublished, CreatedAt: now, UpdatedAt: now, Version: 1}
		for _, s := range j.Essential {
			o.Skills = append(o.Skills, matching.OfferSkill{SkillID: s, Essential: true})
		}
		for _, s := range j.Optional {
			o.Skills = append(o.Skills, matching.OfferSkill{SkillID: s})
		}
		offers[i] = o
	}
	cands := make([]matching.Candidate, len(m.Workers))
	held := make(map[string][]skills.Held, len(m.Workers))
	for i, w := range m.Workers {
		id := fmt.Sprintf("acct-%07d", i)
		cands[i] = matching.Candidate{ID: id, Status: matching.CandidateActive, Pseudonym: id, CreatedAt: now, UpdatedAt: now, Version: 1,
			Preferences: matching.Preferences{Occupations: w.Occupations, Lat: w.Lat, Lon: w.Lon, RadiusKm: int(w.RadiusKm), Contracts: w.Contracts,
				HoursMin: w.HoursMin, HoursMax: w.HoursMax, AvailableFrom: w.AvailableFrom, MinSalaryCents: w.MinSalaryCents}}
		for s, ev := range w.Skills {
			held[id] = append(held[id], skills.Held{Skill: skills.Skill{ID: s}, Level: 2, Evidence: ev})
		}
	}
	return offers, cands, held
}

// BenchmarkFeedJob is the daily run of the feed job over the whole market
// in one shard, on the embedded store: reading every offer and candidate,
// the candidates' skills, scoring, planning under the caps and writing the
// day's proposals. peak-heap-MiB is the largest live heap seen during the
// runs, sampled every 50 ms.
func BenchmarkFeedJob(b *testing.B) {
	for _, size := range []struct{ candidates, offers, occupations int }{
		{10_000, 2_000, 100},
		{30_000, 6_000, 150},
		{100_000, 20_000, 300},
	} {
		b.Run(fmt.Sprintf("candidates=%d/offers=%d", size.candidates, size.offers), func(b *testing.B) {
			ctx := context.Background()
			m := matching.GenerateMarket(matching.MarketOptions{Seed: 7, Candidates: size.candidates, Offers: size.offers,
				Occupations: size.occupations, SkillsPerOccupation: 12})
			now := time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
			offers, cands, held := marketRecords(m, now)
			st, err := bolt.Open(filepath.Join(b.TempDir(), "p.db"), time.Second)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			if err := st.LoadMarket(ctx, offers, cands); err != nil {
				b.Fatal(err)
			}
			offers, cands, m = nil, nil, nil
			var day atomic.Int64
			svc, err := matching.New(matching.Config{Store: st, Graph: heldGraph{held: held}, Places: geo.Default(), KeepDays: 1,
				Now: func() time.Time { return now.AddDate(0, 0, int(day.Load())) }})
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > peak.Load() {
						peak.Store(ms.HeapAlloc)
					}
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
			})
			var added int
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				fs, err := svc.RunFeeds(ctx, 0)
				if err != nil {
					b.Fatal(err)
				}
				if !fs.Full || fs.Added == 0 {
					b.Fatalf("run %+v", fs)
				}
				added = fs.Added
				day.Add(1) // the next run is a new day: a full run again
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(added), "proposals")
		})
	}
}
