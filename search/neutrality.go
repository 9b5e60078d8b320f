package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// QueryLog keeps the latest searches, anonymised, for the neutrality job:
// no client address, no cursor, and of the text only the words the index
// knows exactly (a name or an address typed into the box is not kept);
// places are rounded to about a kilometre. It holds at most its capacity,
// the oldest dropped first. It is safe for concurrent use.
type QueryLog struct {
	mu   sync.Mutex
	ring []Query
	next int
	full bool
}

// NewQueryLog returns a log of at most capacity queries.
func NewQueryLog(capacity int) *QueryLog {
	return &QueryLog{ring: make([]Query, max(capacity, 1))}
}

func (l *QueryLog) add(q Query, terms []qterm) {
	if q.ProviderID != "" || q.Ungrouped {
		return // a provider's page, not a search
	}
	var kept []string
	for _, t := range terms {
		if len(t.alts) > 0 && t.alts[0].how <= howSynonym {
			kept = append(kept, t.text)
		}
	}
	a := Query{
		Text: strings.Join(kept, " "), RadiusKm: q.RadiusKm, Modality: q.Modality, PriceMaxCents: q.PriceMaxCents,
		HoursMin: q.HoursMin, HoursMax: q.HoursMax, Certification: q.Certification, CertificationKind: q.CertificationKind,
		StartAfter: q.StartAfter, StartBefore: q.StartBefore, Region: q.Region, Department: q.Department,
		Sort: SortRelevance, Limit: q.Limit,
	}
	if q.Near != nil {
		a.Near = &Point{math.Round(q.Near.Lat*100) / 100, math.Round(q.Near.Lon*100) / 100}
	} else {
		a.RadiusKm = 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next] = a
	l.next = (l.next + 1) % len(l.ring)
	if l.next == 0 {
		l.full = true
	}
}

// Recent returns up to n distinct queries of the log, newest first.
func (l *QueryLog) Recent(n int) []Query {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := l.next
	if l.full {
		size = len(l.ring)
	}
	seen := map[string]bool{}
	var out []Query
	for k := 1; k <= size && len(out) < n; k++ {
		q := l.ring[(l.next-k+len(l.ring))%len(l.ring)]
		key := fmt.Sprintf("%+v|%v", q, q.Near)
		if q.PriceMaxCents != nil {
			key += fmt.Sprint(*q.PriceMaxCents)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, q)
	}
	return out
}

// Ranked is one result of a complete ordering. ID names the result: its
// provider and certification, since a result groups the offers of one
// provider for one certification.
type Ranked struct {
	ID       string
	Provider string
	Tier     int
}

// Ranker orders every result of a query for a client, as a search would.
type Ranker func(q Query, client string) ([]Ranked, error)

// Ranking returns every result of q for client, in the order a search
// shows them (pages laid end to end). The neutrality job uses it.
func (ix *Index) Ranking(q Query, client string) ([]Ranked, error) {
	q.Client, q.After, q.Explain, q.Ungrouped, q.all = client, "", false, false, true
	if err := ix.check(&q); err != nil {
		return nil, err
	}
	period := ix.keys.current()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	terms := ix.queryTerms(q.Text)
	rk := ix.keys.request(period, client, q.canonical(terms))
	return ix.search(&q, terms, rk, cursor{period: period}).ranked, nil
}

// SyntheticClients returns n client addresses taken from the ranges that
// RFC 5737 and RFC 3849 reserve for documentation (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32), in turn, so that
// no real client is ever imitated. IPv6 ones differ in their /64 prefix,
// the part the tie-break reads.
func SyntheticClients(n int) []string {
	bases := []netip.Addr{netip.MustParseAddr("192.0.2.0"), netip.MustParseAddr("198.51.100.0"), netip.MustParseAddr("203.0.113.0")}
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		switch k := i % 4; {
		case k < 3 && i/4 < 254:
			b := bases[k].As4()
			b[3] = byte(1 + i/4)
			out = append(out, netip.AddrFrom4(b).String())
		default:
			out = append(out, fmt.Sprintf("2001:db8:%x:%x::1", i/65536, i%65536))
		}
	}
	return out
}

// The published formulas of the neutrality indicators.
const (
	ExposureFormula = "For each replayed query q and each relevance tier T: R = the results of tier T, e_p = (results of provider p in R) / |R|, " +
		"E_p = the share of provider p among the top-k positions held by tier T over all synthetic clients. " +
		"D(q,T) = ½ Σ_p |E_p − e_p| (total variation distance). Exposure disparity = Σ n(q,T)·D(q,T) / Σ n(q,T), " +
		"where n(q,T) is the number of top-k positions tier T holds; tiers wholly shown in the top k, or with one provider, are left out."
	PrecedenceFormula = "For each replayed query and each tier, pairs (a, b) of results of different providers are drawn (at most 50); " +
		"f(a,b) = the fraction of the N synthetic clients for whom a comes before b. " +
		"Systematic precedence = √max(0, mean((2f − 1)²) − 1/N): the root mean square of how far f is from ½, " +
		"less what chance alone gives with N clients (1/N), so that a fair random order scores about 0 and an order fixed for every client scores 1."
)

// Indicators are the neutrality indicators of one run; 0 means perfectly
// neutral, 1 the worst.
type Indicators struct {
	ComputedAt           time.Time
	Queries              int // replayed
	Clients              int // synthetic client addresses
	TopK                 int // positions counted for exposure
	ExposureDisparity    float64
	ExposureSlots        int // top-k positions of tiers that counted
	SystematicPrecedence float64
	Pairs                int // pairs of equally relevant results compared
}

// Measure computes the indicators of a ranker over queries replayed from
// clients, counting the first k positions for exposure.
func Measure(rank Ranker, queries []Query, clients []string, k int) (Indicators, error) {
	ind := Indicators{Queries: len(queries), Clients: len(clients), TopK: k}
	var dispSum, slots float64
	var precSum float64
	rng := rand.New(rand.NewPCG(1, 2))
	for _, q := range queries {
		lists := make([][]Ranked, len(clients))
		for i, c := range clients {
			l, err := rank(q, c)
			if err != nil {
				return ind, err
			}
			lists[i] = l
		}
		if len(lists) == 0 || len(lists[0]) == 0 {
			continue
		}
		// Results by tier (tiers depend on the query only).
		byTier := map[int][]Ranked{}
		for _, r := range lists[0] {
			byTier[r.Tier] = append(byTier[r.Tier], r)
		}
		tiers := make([]int, 0, len(byTier))
		for t := range byTier {
			tiers = append(tiers, t)
		}
		sort.Ints(tiers)
		for _, t := range tiers {
			rs := byTier[t]
			provs := map[string]int{}
			for _, r := range rs {
				provs[r.Provider]++
			}
			if len(provs) < 2 {
				continue
			}
			// Exposure.
			seen := map[string]float64{}
			n := 0.0
			for _, l := range lists {
				for _, r := range l[:min(k, len(l))] {
					if r.Tier == t {
						seen[r.Provider]++
						n++
					}
				}
			}
			if n > 0 && int(n) < len(lists)*len(rs) {
				d := 0.0
				for p, m := range provs {
					d += math.Abs(seen[p]/n - float64(m)/float64(len(rs)))
				}
				dispSum += n * d / 2
				slots += n
			}
			// Precedence.
			pos := make([]map[string]int, len(lists))
			for i, l := range lists {
				pos[i] = make(map[string]int, len(l))
				for j, r := range l {
					pos[i][r.ID] = j
				}
			}
			sorted := slices.Clone(rs)
			sort.Slice(sorted, func(a, b int) bool { return sorted[a].ID < sorted[b].ID })
			for tries, pairs := 0, 0; pairs < 50 && tries < 500; tries++ {
				a, b := sorted[rng.IntN(len(sorted))], sorted[rng.IntN(len(sorted))]
				if a.Provider == b.Provider {
					continue
				}
				pairs++
				before := 0
				for i := range lists {
					if pos[i][a.ID] < pos[i][b.ID] {
						before++
					}
				}
				f := float64(before) / float64(len(lists))
				precSum += (2*f - 1) * (2*f - 1)
				ind.Pairs++
			}
		}
	}
	if slots > 0 {
		ind.ExposureDisparity = round3(dispSum / slots)
		ind.ExposureSlots = int(slots)
	}
	if ind.Pairs > 0 && len(clients) > 0 {
		ind.SystematicPrecedence = round3(math.Sqrt(math.Max(0, precSum/float64(ind.Pairs)-1/float64(len(clients)))))
	}
	return ind, nil
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// Monitor runs the neutrality measure on the index and keeps the latest
// indicators. It is safe for concurrent use.
type Monitor struct {
	ix      *Index
	log     *QueryLog
	clients []string
	queries int
	k       int
	now     func() time.Time

	mu   sync.RWMutex
	last *Indicators
}

// NewMonitor returns a monitor replaying up to queries recent queries of
// log (or, while the log is empty, typical queries drawn from the index)
// from clients synthetic addresses, counting the first k positions.
func NewMonitor(ix *Index, log *QueryLog, clients, queries, k int) *Monitor {
	return &Monitor{ix: ix, log: log, clients: SyntheticClients(clients), queries: queries, k: k, now: time.Now}
}

// Run measures the indicators now.
func (m *Monitor) Run(ctx context.Context) error {
	var qs []Query
	if m.log != nil {
		qs = m.log.Recent(m.queries)
	}
	if len(qs) < m.queries {
		qs = append(qs, m.ix.typicalQueries(m.queries-len(qs))...)
	}
	rank := func(q Query, client string) ([]Ranked, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return m.ix.Ranking(q, client)
	}
	ind, err := Measure(rank, qs, m.clients, m.k)
	if err != nil {
		return err
	}
	ind.ComputedAt = m.now().UTC()
	m.mu.Lock()
	m.last = &ind
	m.mu.Unlock()
	return nil
}

// Latest returns the indicators of the last run, if any.
func (m *Monitor) Latest() (Indicators, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.last == nil {
		return Indicators{}, false
	}
	return *m.last, true
}

// typicalQueries returns queries like those learners make, drawn from the
// index's most offered certifications (two words of their title), some
// around large towns, for when too few real queries were logged.
func (ix *Index) typicalQueries(n int) []Query {
	towns := []Point{{48.8566, 2.3522}, {45.7640, 4.8357}, {43.2965, 5.3698}, {43.6047, 1.4442}, {50.6292, 3.0573}, {47.2184, -1.5536}}
	var out []Query
	for i, c := range ix.Certifications() {
		if len(out) >= n {
			break
		}
		ws := words(c.Title)
		ws = ws[:min(2, len(ws))]
		q := Query{Text: strings.Join(ws, " ")}
		if i%2 == 1 {
			t := towns[(i/2)%len(towns)]
			q.Near, q.RadiusKm = &t, 50
		}
		out = append(out, q)
	}
	for i := 0; len(out) < n && i < len(towns); i++ {
		out = append(out, Query{Near: &towns[i], RadiusKm: 30})
	}
	return out
}
