package recommend

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

func fieldIndex(name string, i int) string { return name + "[" + strconv.Itoa(i) + "]" }

// Weights blend the three recommenders; the zero value uses the defaults.
type Weights struct {
	Similar, Skills, Local float64
}

func (w Weights) withDefaults() Weights {
	if w.Similar == 0 && w.Skills == 0 && w.Local == 0 {
		return Weights{Similar: 0.5, Skills: 0.3, Local: 0.2}
	}
	return w
}

// Options tune the ranking.
type Options struct {
	TopK        int // items kept per account (default 20)
	PerProvider int // at most this many items of one provider (default 3)
	Weights     Weights
	// Candidates bounds each recommender's candidate list (default 200).
	Candidates int
}

func (o Options) withDefaults() Options {
	if o.TopK <= 0 {
		o.TopK = 20
	}
	if o.PerProvider <= 0 {
		o.PerProvider = 3
	}
	if o.Candidates <= 0 {
		o.Candidates = 200
	}
	o.Weights = o.Weights.withDefaults()
	return o
}

// Outcome is a return-to-work rate in one area.
type Outcome struct {
	RatePerMil int
	Leavers    int
	Year       int
	Area       string // the area's French name ("Rhône", "Auvergne-Rhône-Alpes", "France")
}

// Market gives the local labour-market figures the local-return
// recommender weighs. Implementations are safe for concurrent use.
type Market interface {
	// Outcome returns the return-to-work rate six months after trainings
	// of a Formacode domain, in the most local area known around a place
	// (its department, else its region, else the country); false when none
	// is published.
	Outcome(formacode, department, region string) (Outcome, bool)
	// Hires returns the planned hires for an occupation in a region (BMO
	// survey), 0 when unknown.
	Hires(occupation, region string) int
	// RegionName returns a region's French name.
	RegionName(region string) string
}

// Tie orders equally scored offers (search.TieBreak.Of): smaller first.
type Tie func(offerID string) uint64

// Catalogue is the offers a ranking chooses from, indexed once per batch.
// It is read-only once built (its caches are guarded): safe for concurrent
// use.
type Catalogue struct {
	Offers []Offer
	byID   map[string]int32
	// bySkill lists the available offers teaching each skill.
	bySkill map[string][]int32
	market  Market
	// local caches, per area, the available offers ranked by local return.
	local *localCache
	// Per offer, computed once so that a ranking compares integers rather
	// than strings: whether it may be recommended, whether it is followed
	// at a distance, and its region as an index into regions.
	open     []bool
	distance []bool
	region   []int32
	regions  map[string]int32
	// idOrder is each offer's rank in the order of the IDs: comparing
	// two of them is comparing their IDs.
	idOrder []int32
	// skillCache shares skill candidate lists (skillCandidates).
	skillMu    sync.RWMutex
	skillCache map[string][]skillHit
	// scratch holds the rankers' reusable space (*ranker).
	scratch sync.Pool
}

// NewCatalogue indexes offers. market may be nil: the local-return
// recommender then stays silent.
func NewCatalogue(offers []Offer, market Market) *Catalogue {
	c := &Catalogue{Offers: offers, byID: make(map[string]int32, len(offers)), bySkill: map[string][]int32{}, market: market,
		open: make([]bool, len(offers)), distance: make([]bool, len(offers)), region: make([]int32, len(offers)),
		regions: map[string]int32{}, skillCache: map[string][]skillHit{}}
	for i := range offers {
		o := &offers[i]
		c.byID[o.ID] = int32(i)
		r, ok := c.regions[o.Region]
		if !ok {
			r = int32(len(c.regions))
			c.regions[o.Region] = r
		}
		c.region[i], c.distance[i], c.open[i] = r, o.Distance, o.Available
		if !o.Available {
			continue
		}
		for _, s := range o.Teaches {
			c.bySkill[s] = append(c.bySkill[s], int32(i))
		}
	}
	byID := make([]int32, len(offers))
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int { return strings.Compare(offers[a].ID, offers[b].ID) })
	c.idOrder = make([]int32, len(offers))
	for r, i := range byID {
		c.idOrder[i] = int32(r)
	}
	c.local = newLocalCache(c)
	n := len(offers)
	c.scratch.New = func() any { return &ranker{mark: make([]int32, n)} }
	return c
}

// Offer returns an offer by ID.
func (c *Catalogue) Offer(id string) (Offer, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Offer{}, false
	}
	return c.Offers[i], true
}

// reachable tells whether an account in region may follow offer o.
func reachable(o *Offer, region string) bool {
	return region == "" || o.Distance || o.Region == region
}

const (
	anyRegion     = -1 // an account without a region reaches every offer
	unknownRegion = -2 // a region no offer is in: only distance learning
)

// regionOf returns the index of an account's region for reach.
func (c *Catalogue) regionOf(region string) int32 {
	if region == "" {
		return anyRegion
	}
	if r, ok := c.regions[region]; ok {
		return r
	}
	return unknownRegion
}

// reach is reachable for offer i and a region index from regionOf.
func (c *Catalogue) reach(i, region int32) bool {
	return region == anyRegion || c.distance[i] || c.region[i] == region
}

// candidate is one offer under consideration for one account: its score
// by each recommender and what its reasons will state. The reasons' texts
// are written for the top-K alone.
type candidate struct {
	offer   int32
	similar float64
	skills  float64
	local   float64
	people  int   // similar: followers in the account's profile group
	need    int32 // skills: index of the need of the best skills score
	covered int32 // skills: missing skills of that need the offer teaches
}

// skillHit is an offer teaching k of a need's missing skills.
type skillHit struct {
	offer int32
	k     int32
}

// skillCandidates returns the reachable available offers teaching the most
// of the missing skills, by count then ID, at most n. Workers of one region
// lacking the same skills for the same occupation share one list.
func (c *Catalogue) skillCandidates(r *ranker, missing []string, region string, n int) []skillHit {
	key := append(r.key[:0], region...)
	key = strconv.AppendInt(append(key, 0), int64(n), 10)
	for _, s := range missing {
		key = append(append(key, 0), s...)
	}
	r.key = key
	c.skillMu.RLock()
	hits, ok := c.skillCache[string(key)] // no allocation: the conversion is only a lookup
	c.skillMu.RUnlock()
	if ok {
		return hits
	}
	// Count in the ranker's per-offer counts, all zeros between calls;
	// the counted offers are cleared again below.
	if r.count == nil {
		r.count = make([]int32, len(c.Offers))
	}
	reg := c.regionOf(region)
	touched := r.touched[:0]
	for _, s := range missing {
		for _, i := range c.bySkill[s] {
			if c.reach(i, reg) {
				if r.count[i] == 0 {
					touched = append(touched, i)
				}
				r.count[i]++
			}
		}
	}
	hits = make([]skillHit, 0, len(touched))
	for _, i := range touched {
		hits = append(hits, skillHit{i, r.count[i]})
		r.count[i] = 0
	}
	r.touched = touched[:0]
	slices.SortFunc(hits, func(a, b skillHit) int {
		return cmp.Or(cmp.Compare(b.k, a.k), cmp.Compare(c.idOrder[a.offer], c.idOrder[b.offer]))
	})
	hits = slices.Clip(hits[:min(len(hits), n)])
	c.skillMu.Lock()
	if len(c.skillCache) < maxSkillCache {
		c.skillCache[string(key)] = hits
	}
	c.skillMu.Unlock()
	return hits
}

// maxSkillCache bounds the shared skill candidate lists kept in memory.
const maxSkillCache = 200_000

// ranker is the space one ranking works in, reused from one account to
// the next (Catalogue.scratch) so that ranking a population allocates
// little more than the results.
type ranker struct {
	// mark holds, per offer, 0 when the offer is not considered,
	// excludedMark when the account already has a dossier for it, else
	// 1 + its index in cands. It is all zeros between rankings.
	mark      []int32
	excluded  []int32
	cands     []candidate
	scored    []scored
	group     []scored
	providers []providerCount
	// For skillCandidates: the lookup key, and counts per offer (all
	// zeros between calls) with the offers counted.
	key     []byte
	count   []int32
	touched []int32
}

const excludedMark = -1

// scored is a candidate (its index in ranker.cands) with its quantised
// score; tie is computed only for the candidates that reach the top.
type scored struct {
	c   int32
	q   int64
	tie uint64
}

type providerCount struct {
	id string
	n  int
}

// Rank returns the top-K of an account. model may be nil (no
// collaborative filtering yet); tie orders equal scores. It is safe for
// concurrent use.
func Rank(cat *Catalogue, model *Model, a *Account, tie Tie, opt Options) []Item {
	r := cat.scratch.Get().(*ranker)
	items := r.rank(cat, model, a, tie, opt.withDefaults())
	cat.scratch.Put(r)
	return items
}

func (r *ranker) rank(cat *Catalogue, model *Model, a *Account, tie Tie, opt Options) []Item {
	defer r.reset()
	region := cat.regionOf(a.Region)
	for _, e := range a.History {
		if !e.Dossier {
			continue
		}
		if i, ok := cat.byID[e.Offer]; ok && r.mark[i] == 0 {
			r.mark[i] = excludedMark
			r.excluded = append(r.excluded, i)
		}
	}
	ok := func(i int32) bool {
		return cat.open[i] && r.mark[i] != excludedMark && cat.reach(i, region)
	}
	// get returns offer i's candidate, adding it; the pointer is good
	// until the next call.
	get := func(i int32) *candidate {
		if m := r.mark[i]; m > 0 {
			return &r.cands[m-1]
		}
		r.cands = append(r.cands, candidate{offer: i, need: -1})
		r.mark[i] = int32(len(r.cands))
		return &r.cands[len(r.cands)-1]
	}
	user, group := int32(-1), int32(-1)
	if model != nil {
		if u, found := model.userIndex[a.ID]; found && model.cluster[u] >= 0 {
			user, group = u, model.cluster[u]
		}
	}

	// (1) Collaborative filtering: the offers most followed in the
	// account's profile group.
	if group >= 0 {
		for _, ic := range model.top[group] {
			if ok(ic.item) {
				get(ic.item)
			}
		}
	}
	// (2) Skills: offers teaching what the account lacks for its target
	// or nearby occupations.
	for ni := range a.Needs {
		n := &a.Needs[ni]
		if len(n.Missing) == 0 {
			continue
		}
		for _, h := range cat.skillCandidates(r, n.Missing, a.Region, opt.Candidates) {
			if !ok(h.offer) {
				continue
			}
			score := float64(h.k) / float64(len(n.Missing))
			if !n.Chosen {
				score *= nearbyDiscount
			}
			if c := get(h.offer); score > c.skills {
				c.skills, c.need, c.covered = score, int32(ni), h.k
			}
		}
	}
	// (3) Local return: the best offers for the account's job market.
	var area *localArea
	if cat.market != nil {
		area = cat.local.area(a.Department, a.Region)
		for _, l := range area.list[:min(len(area.list), opt.Candidates)] {
			if ok(l.offer) {
				get(l.offer)
			}
		}
	}

	// Every candidate gets every component that applies to it; a
	// component whose reason would not hold adds nothing.
	w := opt.Weights
	var userF []float32
	if group >= 0 {
		userF = model.f.User(int(user))
	}
	ss := r.scored[:0]
	for j := range r.cands {
		c := &r.cands[j]
		if group >= 0 {
			if c.people = model.followers(group, c.offer); c.people > 0 {
				c.similar = clamp01(float64(dot(userF, model.f.Item(int(c.offer)))))
			}
		}
		if area != nil {
			c.local = float64(area.score[c.offer])
		}
		if c.similar == 0 && c.skills == 0 && c.local == 0 {
			continue
		}
		s := (w.Similar*c.similar + w.Skills*c.skills + w.Local*c.local) / (w.Similar + w.Skills + w.Local)
		ss = append(ss, scored{c: int32(j), q: int64(math.Round(s * 1000))})
	}
	r.scored = ss

	// The order is by score, most first, then by tie, then by ID. A heap
	// on the score yields the candidates one score at a time; only those
	// reached get their tie computed and sorted.
	heapify(ss)
	items := make([]Item, 0, opt.TopK)
	for len(items) < opt.TopK && len(ss) > 0 {
		q := ss[0].q
		g := r.group[:0]
		for len(ss) > 0 && ss[0].q == q {
			g = append(g, ss[0])
			ss = heapPop(ss)
		}
		for k := range g {
			g[k].tie = tie(cat.Offers[r.cands[g[k].c].offer].ID)
		}
		slices.SortFunc(g, func(x, y scored) int {
			return cmp.Or(cmp.Compare(x.tie, y.tie), cmp.Compare(cat.idOrder[r.cands[x.c].offer], cat.idOrder[r.cands[y.c].offer]))
		})
		r.group = g
		for _, s := range g {
			if len(items) == opt.TopK {
				break
			}
			c := &r.cands[s.c]
			o := &cat.Offers[c.offer]
			if !r.takeProvider(o.ProviderID, opt.PerProvider) {
				continue
			}
			items = append(items, Item{Offer: o.ID, Title: o.Title, Score: float64(s.q) / 1000, Reasons: cat.reasons(c, a, area)})
		}
	}
	return items
}

// takeProvider counts one more item of a provider, false when it has
// reached the cap already.
func (r *ranker) takeProvider(id string, limit int) bool {
	for k := range r.providers {
		if p := &r.providers[k]; p.id == id {
			if p.n == limit {
				return false
			}
			p.n++
			return true
		}
	}
	if limit <= 0 {
		return false
	}
	r.providers = append(r.providers, providerCount{id, 1})
	return true
}

// reset leaves the ranker ready for the next account.
func (r *ranker) reset() {
	for _, i := range r.excluded {
		r.mark[i] = 0
	}
	for k := range r.cands {
		r.mark[r.cands[k].offer] = 0
	}
	r.excluded, r.cands, r.scored, r.group = r.excluded[:0], r.cands[:0], r.scored[:0], r.group[:0]
	clear(r.providers) // drop the provider IDs
	r.providers = r.providers[:0]
}

// heapify makes h a max-heap on the score.
func heapify(h []scored) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
}

// heapPop removes the top of the max-heap h.
func heapPop(h []scored) []scored {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	siftDown(h, 0)
	return h
}

func siftDown(h []scored, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if rr := l + 1; rr < len(h) && h[rr].q > h[l].q {
			l = rr
		}
		if h[i].q >= h[l].q {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}

// nearbyDiscount weighs an occupation the worker did not choose.
const nearbyDiscount = 0.7

// reasons writes the reasons of a candidate, in source order. area is
// the account's local area (nil without a market).
func (cat *Catalogue) reasons(c *candidate, a *Account, area *localArea) []Reason {
	rs := make([]Reason, 0, 3)
	if c.similar > 0 {
		rs = append(rs, Reason{Source: Similar, People: c.people,
			Text: "Suivie par " + plural(c.people, "personne", "personnes") + " au profil proche du vôtre"})
	}
	if c.skills > 0 {
		n := &a.Needs[c.need]
		k := int(c.covered)
		var text string
		if len(n.Missing) == 1 {
			text = "Couvre la compétence qui vous manque pour " + n.Label
		} else {
			text = "Couvre " + frNumber(k) + " des " + plural(len(n.Missing), "compétence", "compétences") + " qui vous manquent pour " + n.Label
		}
		if !n.Chosen {
			text += ", un métier proche de votre profil"
		}
		rs = append(rs, Reason{Source: Skills, Text: text, Covered: k, Missing: len(n.Missing), Occupation: n.Occupation})
	}
	if c.local > 0 && area != nil {
		if r, ok := area.reason(cat, c.offer, a.Department, a.Region); ok {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	return slices.Clip(rs)
}

func sourceOrder(s Source) int {
	switch s {
	case Similar:
		return 0
	case Skills:
		return 1
	}
	return 2
}

// setReason replaces the reason of r's source, or adds it.
func setReason(rs []Reason, r Reason) []Reason {
	for i := range rs {
		if rs[i].Source == r.Source {
			rs[i] = r
			return rs
		}
	}
	return append(rs, r)
}

func clamp01(x float64) float64 { return max(0, min(1, x)) }

// frNumber writes n the French way: a narrow no-break space between
// thousands.
func frNumber(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + frNumber(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(r)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return frNumber(n) + " " + many
}
