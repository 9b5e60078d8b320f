package matching

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/parcours/parcours/skills"
)

// MarketOptions shape a generated market.
type MarketOptions struct {
	Seed        uint64
	Candidates  int
	Offers      int
	Occupations int // ROME codes in the market
	// SkillsPerOccupation is the size of each occupation's skill pool.
	SkillsPerOccupation int
}

// DefaultMarket is the market `parcours eval matching` generates.
var DefaultMarket = MarketOptions{Seed: 1, Candidates: 3000, Offers: 600, Occupations: 30, SkillsPerOccupation: 12}

// evalCities are the employment centres of the generated market: far
// enough apart that a radius keeps a candidate in one, with a skewed size.
var evalCities = []struct {
	lat, lon float64
	weight   int
}{
	{48.857, 2.352, 10}, {45.764, 4.836, 4}, {43.297, 5.370, 4}, {43.605, 1.444, 3}, {50.629, 3.057, 3},
	{44.838, -0.579, 3}, {47.218, -1.554, 3}, {48.573, 7.752, 2}, {48.117, -1.678, 2}, {43.611, 3.877, 2},
}

// GeneratedMarket is a market with planted preferences: the decisions each
// side would take if shown a pair. Candidates state their true
// preferences; employers judge on skills; both decide with some noise.
type GeneratedMarket struct {
	Workers []Worker
	Jobs    []Job
	seed    uint64
}

// GenerateMarket builds a market; the same options give the same market.
func GenerateMarket(o MarketOptions) *GeneratedMarket {
	r := rand.New(rand.NewPCG(o.Seed, 0x6d61726b6574))
	now := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	rome := func(i int) string { return fmt.Sprintf("M%04d", 1000+i) }
	skill := func(occ, n int) string { return fmt.Sprintf("sk:%d:%d", occ, n) }
	// Occupation popularity is skewed: the first ones draw more of both
	// sides, as in real markets.
	pickOcc := func() int { return int(math.Floor(float64(o.Occupations) * math.Pow(r.Float64(), 1.6))) }
	totalWeight := 0
	for _, c := range evalCities {
		totalWeight += c.weight
	}
	pickCity := func() (float64, float64) {
		n := r.IntN(totalWeight)
		for _, c := range evalCities {
			if n < c.weight {
				return c.lat + (r.Float64()-0.5)*0.3, c.lon + (r.Float64()-0.5)*0.4
			}
			n -= c.weight
		}
		panic("unreachable")
	}
	m := &GeneratedMarket{seed: o.Seed}
	for range o.Offers {
		occ := pickOcc()
		lat, lon := pickCity()
		lo := int64(18_000+r.IntN(27_000)) * 100
		j := Job{ROME: rome(occ), Lat: lat, Lon: lon, Contract: Contracts[r.IntN(len(Contracts))],
			HoursPerWeek: 20 + r.IntN(20), SalaryMinCents: lo, SalaryMaxCents: lo + int64(r.IntN(8_000))*100,
			Start: now.AddDate(0, 0, 15+r.IntN(75))}
		perm := r.Perm(o.SkillsPerOccupation)
		for _, s := range perm[:3] {
			j.Essential = append(j.Essential, skill(occ, s))
		}
		for _, s := range perm[3:6] {
			j.Optional = append(j.Optional, skill(occ, s))
		}
		m.Jobs = append(m.Jobs, j)
	}
	for range o.Candidates {
		occ := pickOcc()
		lat, lon := pickCity()
		w := Worker{Lat: lat, Lon: lon, RadiusKm: float64(10 + r.IntN(40)), Skills: map[string]skills.Evidence{},
			HoursMin: 15 + r.IntN(15), MinSalaryCents: int64(18_000+r.IntN(22_000)) * 100,
			AvailableFrom: now.AddDate(0, 0, r.IntN(90))}
		w.HoursMax = w.HoursMin + 5 + r.IntN(15)
		w.Occupations = []string{rome(occ)}
		for range r.IntN(3) {
			if o2 := rome(pickOcc()); !slices.Contains(w.Occupations, o2) {
				w.Occupations = append(w.Occupations, o2)
			}
		}
		for _, ci := range r.Perm(len(Contracts))[:1+r.IntN(3)] {
			w.Contracts = append(w.Contracts, Contracts[ci])
		}
		for _, s := range r.Perm(o.SkillsPerOccupation)[:2+r.IntN(7)] {
			ev := skills.Declared
			if r.IntN(2) == 0 {
				ev = skills.Attested
			}
			w.Skills[skill(occ, s)] = ev
		}
		m.Workers = append(m.Workers, w)
	}
	return m
}

// noise is a pair's deterministic decision noise, uniform in [-0.15, 0.15].
func (m *GeneratedMarket) noise(side byte, w, j int) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%c/%d/%d", m.seed, side, w, j)
	return (float64(h.Sum64()%10_001)/10_000 - 0.5) * 0.3
}

// Likes tells the planted decisions of both sides on a pair: the worker
// likes a job that meets their preferences and appeals enough; the
// employer likes a worker whose skills cover the job well enough.
func (m *GeneratedMarket) Likes(w, j int) (worker, employer bool) {
	wk, jb := &m.Workers[w], &m.Jobs[j]
	wf := WorkerFit(wk, jb)
	worker = wf > 0 && wf+m.noise('w', w, j) >= 0.6
	employer = JobFit(wk, jb)+m.noise('e', w, j) >= 0.45
	return worker, employer
}

// Outcome is one method's result on a generated market.
type Outcome struct {
	Method             string
	Proposals          int
	Mutual             int
	MutualRate         float64 // Mutual / Proposals
	CandidateSuccess10 float64 // share of candidates with a mutual like among their 10 best proposals
	OfferSuccess10     float64 // share of offers with a mutual like among their 10 best proposals
	CandidatesReached  float64 // share of candidates with at least one proposal
	OffersReached      float64 // share of offers with at least one proposal
	// FittingOffersUnreached counts offers that fit at least one candidate
	// (a positive reciprocal score) yet got no proposal.
	FittingOffersUnreached int
	MaxPerOffer            int
	MaxPerCandidate        int
}

// Evaluation compares the reciprocal scorer under congestion control with
// a one-sided baseline (each offer's best candidates by job fit alone, as
// a job board ranking for employers would do).
type Evaluation struct {
	Options    MarketOptions
	Caps       Caps
	Reciprocal Outcome
	Baseline   Outcome
}

// Evaluate generates a market and measures both methods on it.
func Evaluate(o MarketOptions, caps Caps) Evaluation {
	m := GenerateMarket(o)
	mk := &Market{Workers: m.Workers, Jobs: m.Jobs}
	edges := mk.Edges()
	fits := make([]bool, len(m.Jobs))
	for _, e := range edges {
		fits[e.J] = true
	}
	recip := Plan(edges, len(m.Workers), len(m.Jobs), nil, nil, caps)
	ev := Evaluation{Options: o, Caps: caps}
	ev.Reciprocal = m.outcome("reciprocal", recip, fits)

	// The baseline: per offer, the PerOffer best candidates by job fit,
	// whatever they want; no cap per candidate.
	var base []Edge
	for j := range m.Jobs {
		var best []Edge
		for w := range m.Workers {
			if f := JobFit(&m.Workers[w], &m.Jobs[j]); f > 0 {
				best = append(best, Edge{W: int32(w), J: int32(j), Score: float32(f), JFit: float32(f)})
			}
		}
		slices.SortFunc(best, func(a, b Edge) int {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
			return cmp.Compare(a.W, b.W)
		})
		base = append(base, best[:min(len(best), caps.PerOffer)]...)
	}
	ev.Baseline = m.outcome("one-sided baseline", base, fits)
	return ev
}

func (m *GeneratedMarket) outcome(method string, props []Edge, fits []bool) Outcome {
	out := Outcome{Method: method, Proposals: len(props)}
	byW := make([][]Edge, len(m.Workers))
	byJ := make([][]Edge, len(m.Jobs))
	mutual := map[[2]int32]bool{}
	for _, e := range props {
		byW[e.W] = append(byW[e.W], e)
		byJ[e.J] = append(byJ[e.J], e)
		if a, b := m.Likes(int(e.W), int(e.J)); a && b {
			out.Mutual++
			mutual[[2]int32{e.W, e.J}] = true
		}
	}
	if out.Proposals > 0 {
		out.MutualRate = float64(out.Mutual) / float64(out.Proposals)
	}
	best := func(es []Edge) {
		slices.SortFunc(es, func(a, b Edge) int { return cmp.Compare(b.Score, a.Score) })
	}
	var cs, cr int
	for _, es := range byW {
		out.MaxPerCandidate = max(out.MaxPerCandidate, len(es))
		if len(es) > 0 {
			cr++
		}
		best(es)
		for _, e := range es[:min(10, len(es))] {
			if mutual[[2]int32{e.W, e.J}] {
				cs++
				break
			}
		}
	}
	var os, or int
	for j, es := range byJ {
		out.MaxPerOffer = max(out.MaxPerOffer, len(es))
		if len(es) > 0 {
			or++
		} else if fits[j] {
			out.FittingOffersUnreached++
		}
		best(es)
		for _, e := range es[:min(10, len(es))] {
			if mutual[[2]int32{e.W, e.J}] {
				os++
				break
			}
		}
	}
	out.CandidateSuccess10 = float64(cs) / float64(max(1, len(m.Workers)))
	out.CandidatesReached = float64(cr) / float64(max(1, len(m.Workers)))
	out.OfferSuccess10 = float64(os) / float64(max(1, len(m.Jobs)))
	out.OffersReached = float64(or) / float64(max(1, len(m.Jobs)))
	return out
}

// Write prints the evaluation as a table.
func (e Evaluation) Write(w io.Writer) {
	fmt.Fprintf(w, "Job matching on a generated market: %d candidates, %d offers, %d occupations (seed %d)\n",
		e.Options.Candidates, e.Options.Offers, e.Options.Occupations, e.Options.Seed)
	fmt.Fprintf(w, "caps: %d proposals per offer, %d per candidate per day (floor +%d)\n\n", e.Caps.PerOffer, e.Caps.PerCandidate, e.Caps.Floor)
	fmt.Fprintf(w, "%-20s %9s %7s %8s %10s %10s %10s %10s %9s %8s %8s\n", "method", "proposals", "mutual", "rate",
		"cand@10", "offer@10", "cand≥1", "offer≥1", "unreached", "max/off", "max/cand")
	for _, o := range []Outcome{e.Reciprocal, e.Baseline} {
		fmt.Fprintf(w, "%-20s %9d %7d %7.1f%% %9.1f%% %9.1f%% %9.1f%% %9.1f%% %9d %8d %8d\n", o.Method, o.Proposals, o.Mutual,
			100*o.MutualRate, 100*o.CandidateSuccess10, 100*o.OfferSuccess10, 100*o.CandidatesReached, 100*o.OffersReached,
			o.FittingOffersUnreached, o.MaxPerOffer, o.MaxPerCandidate)
	}
	if e.Baseline.MutualRate > 0 {
		fmt.Fprintf(w, "\nmutual-match rate: reciprocal / baseline = %.2f\n", e.Reciprocal.MutualRate/e.Baseline.MutualRate)
	}
}
