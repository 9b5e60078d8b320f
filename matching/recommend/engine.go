package recommend

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// It is read-only once built: safe for concurrent use.
type Catalogue struct {
	Offers []Offer
	byID   map[string]int32
	// bySkill lists the available offers teaching each skill.
	bySkill map[string][]int32
	market  Market
	// local caches, per area, the available offers ranked by local return.
	local *localCache
	// skillCache shares skill candidate lists (skillCandidates).
	skillCache  sync.Map
	skillCacheN atomic.Int64
}

// NewCatalogue indexes offers. market may be nil: the local-return
// recommender then stays silent.
func NewCatalogue(offers []Offer, market Market) *Catalogue {
	c := &Catalogue{Offers: offers, byID: make(map[string]int32, len(offers)), bySkill: map[string][]int32{}, market: market}
	for i := range offers {
		o := &offers[i]
		c.byID[o.ID] = int32(i)
		if !o.Available {
			continue
		}
		for _, s := range o.Teaches {
			c.bySkill[s] = append(c.bySkill[s], int32(i))
		}
	}
	c.local = newLocalCache(c)
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
func (c *Catalogue) skillCandidates(missing []string, region string, n int) []skillHit {
	key := region + "\x00" + strings.Join(missing, "\x00")
	if v, ok := c.skillCache.Load(key); ok {
		return v.([]skillHit)
	}
	count := map[int32]int32{}
	for _, s := range missing {
		for _, i := range c.bySkill[s] {
			if reachable(&c.Offers[i], region) {
				count[i]++
			}
		}
	}
	hits := make([]skillHit, 0, len(count))
	for i, k := range count {
		hits = append(hits, skillHit{i, k})
	}
	slices.SortFunc(hits, func(a, b skillHit) int {
		return cmp.Or(cmp.Compare(b.k, a.k), strings.Compare(c.Offers[a.offer].ID, c.Offers[b.offer].ID))
	})
	hits = hits[:min(len(hits), n)]
	if c.skillCacheN.Add(1) < maxSkillCache {
		c.skillCache.Store(key, hits)
	}
	return hits
}

// maxSkillCache bounds the shared skill candidate lists kept in memory.
const maxSkillCache = 200_000

// Rank returns the top-K of an account. model may be nil (no
// collaborative filtering yet); tie orders equal scores. It is safe for
// concurrent use.
func Rank(cat *Catalogue, model *Model, a *Account, tie Tie, opt Options) []Item {
	opt = opt.withDefaults()
	excluded := map[int32]bool{}
	for _, e := range a.History {
		if i, ok := cat.byID[e.Offer]; ok && e.Dossier {
			excluded[i] = true
		}
	}
	cands := make(map[int32]*candidate, 3*opt.Candidates)
	get := func(i int32) *candidate {
		c := cands[i]
		if c == nil {
			c = &candidate{offer: i, need: -1}
			cands[i] = c
		}
		return c
	}
	ok := func(i int32) bool {
		o := &cat.Offers[i]
		return o.Available && !excluded[i] && reachable(o, a.Region)
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
		for _, h := range cat.skillCandidates(n.Missing, a.Region, opt.Candidates) {
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
	var local map[int32]float32
	if cat.market != nil {
		area := cat.local.area(a.Department, a.Region)
		local = area.score
		for _, l := range area.list[:min(len(area.list), opt.Candidates)] {
			if ok(l.offer) {
				get(l.offer)
			}
		}
	}

	// Every candidate gets every component that applies to it; a
	// component whose reason would not hold adds nothing.
	w := opt.Weights
	type scored struct {
		c   *candidate
		q   int64
		tie uint64
	}
	ss := make([]scored, 0, len(cands))
	for _, c := range cands {
		if group >= 0 {
			if c.people = model.followers(group, c.offer); c.people > 0 {
				c.similar = clamp01(float64(dot(model.f.User(int(user)), model.f.Item(int(c.offer)))))
			}
		}
		c.local = float64(local[c.offer])
		if c.similar == 0 && c.skills == 0 && c.local == 0 {
			continue
		}
		s := (w.Similar*c.similar + w.Skills*c.skills + w.Local*c.local) / (w.Similar + w.Skills + w.Local)
		ss = append(ss, scored{c: c, q: int64(math.Round(s * 1000))})
	}
	for i := range ss {
		ss[i].tie = tie(cat.Offers[ss[i].c.offer].ID)
	}
	slices.SortFunc(ss, func(x, y scored) int {
		return cmp.Or(cmp.Compare(y.q, x.q), cmp.Compare(x.tie, y.tie), strings.Compare(cat.Offers[x.c.offer].ID, cat.Offers[y.c.offer].ID))
	})
	perProvider := map[string]int{}
	items := make([]Item, 0, opt.TopK)
	for _, s := range ss {
		if len(items) == opt.TopK {
			break
		}
		o := &cat.Offers[s.c.offer]
		if perProvider[o.ProviderID] == opt.PerProvider {
			continue
		}
		perProvider[o.ProviderID]++
		items = append(items, Item{Offer: o.ID, Title: o.Title, Score: float64(s.q) / 1000, Reasons: cat.reasons(s.c, a)})
	}
	return items
}

// nearbyDiscount weighs an occupation the worker did not choose.
const nearbyDiscount = 0.7

// reasons writes the reasons of a candidate, in source order.
func (cat *Catalogue) reasons(c *candidate, a *Account) []Reason {
	var rs []Reason
	if c.similar > 0 {
		rs = append(rs, Reason{Source: Similar, People: c.people,
			Text: fmt.Sprintf("Suivie par %s au profil proche du vôtre", plural(c.people, "personne", "personnes"))})
	}
	if c.skills > 0 {
		n := &a.Needs[c.need]
		k := int(c.covered)
		text := fmt.Sprintf("Couvre %s des %s qui vous manquent pour %s", frNumber(k), plural(len(n.Missing), "compétence", "compétences"), n.Label)
		if len(n.Missing) == 1 {
			text = fmt.Sprintf("Couvre la compétence qui vous manque pour %s", n.Label)
		}
		if !n.Chosen {
			text += ", un métier proche de votre profil"
		}
		rs = append(rs, Reason{Source: Skills, Text: text, Covered: k, Missing: len(n.Missing), Occupation: n.Occupation})
	}
	if c.local > 0 {
		if _, r, ok := cat.localScore(&cat.Offers[c.offer], a.Department, a.Region); ok {
			rs = append(rs, r)
		}
	}
	return rs
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
