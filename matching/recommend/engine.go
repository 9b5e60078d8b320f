package recommend

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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
	local   *localCache
	fingerp string
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

// candidate is one offer under consideration for one account.
type candidate struct {
	offer   int32
	similar float64
	skills  float64
	local   float64
	reasons []Reason
}

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
	cands := map[int32]*candidate{}
	get := func(i int32) *candidate {
		c := cands[i]
		if c == nil {
			c = &candidate{offer: i}
			cands[i] = c
		}
		return c
	}
	ok := func(i int32) bool {
		o := &cat.Offers[i]
		return o.Available && !excluded[i] && reachable(o, a.Region)
	}

	// (1) Collaborative filtering: offers followed by people of the
	// account's profile group, scored by the factor model.
	if model != nil {
		if u, found := model.userIndex[a.ID]; found && model.cluster[u] >= 0 {
			cl := model.cluster[u]
			for _, ic := range model.top[cl] {
				if !ok(ic.item) {
					continue
				}
				c := get(ic.item)
				c.similar = clamp01(float64(dot(model.f.User(int(u)), model.f.Item(int(ic.item)))))
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
		covered := map[int32]int{}
		for _, s := range n.Missing {
			for _, i := range cat.bySkill[s] {
				if ok(i) {
					covered[i]++
				}
			}
		}
		for i, k := range covered {
			score := float64(k) / float64(len(n.Missing))
			if !n.Chosen {
				score *= 0.7
			}
			c := get(i)
			if score > c.skills {
				c.skills = score
				text := fmt.Sprintf("Couvre %s des %s qui vous manquent pour %s", frNumber(k), plural(len(n.Missing), "compétence", "compétences"), n.Label)
				if len(n.Missing) == 1 {
					text = fmt.Sprintf("Couvre la compétence qui vous manque pour %s", n.Label)
				}
				if !n.Chosen {
					text += ", un métier proche de votre profil"
				}
				c.reasons = setReason(c.reasons, Reason{Source: Skills, Text: text, Covered: k, Missing: len(n.Missing), Occupation: n.Occupation})
			}
		}
	}
	// (3) Local return: the best offers for the account's job market.
	if cat.market != nil {
		for _, l := range cat.local.top(a.Department, a.Region, opt.Candidates) {
			if ok(l.offer) {
				get(l.offer)
			}
		}
	}

	// Every candidate gets every component that applies to it, with its
	// reason; a component without a true reason adds nothing.
	out := make([]*candidate, 0, len(cands))
	for _, c := range cands {
		if model != nil && c.similar > 0 {
			u := model.userIndex[a.ID]
			people := model.followers(model.cluster[u], c.offer)
			if people > 0 {
				c.reasons = setReason(c.reasons, Reason{Source: Similar, People: people,
					Text: fmt.Sprintf("Suivie par %s au profil proche du vôtre", plural(people, "personne", "personnes"))})
			} else {
				c.similar = 0
			}
		} else if model != nil {
			if u, found := model.userIndex[a.ID]; found && model.cluster[u] >= 0 {
				if people := model.followers(model.cluster[u], c.offer); people > 0 {
					c.similar = clamp01(float64(dot(model.f.User(int(u)), model.f.Item(int(c.offer)))))
					if c.similar > 0 {
						c.reasons = setReason(c.reasons, Reason{Source: Similar, People: people,
							Text: fmt.Sprintf("Suivie par %s au profil proche du vôtre", plural(people, "personne", "personnes"))})
					}
				}
			}
		}
		if cat.market != nil {
			if l, r, found := cat.localScore(&cat.Offers[c.offer], a.Department, a.Region); found {
				c.local = l
				c.reasons = setReason(c.reasons, r)
			}
		}
		if len(c.reasons) > 0 {
			out = append(out, c)
		}
	}
	w := opt.Weights
	type scored struct {
		c     *candidate
		q     int64
		tie   uint64
		score float64
	}
	ss := make([]scored, len(out))
	for i, c := range out {
		s := w.Similar*c.similar + w.Skills*c.skills + w.Local*c.local
		s /= w.Similar + w.Skills + w.Local
		q := int64(math.Round(s * 1000))
		ss[i] = scored{c: c, q: q, tie: tie(cat.Offers[c.offer].ID), score: float64(q) / 1000}
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
		slices.SortFunc(s.c.reasons, func(a, b Reason) int { return cmp.Compare(sourceOrder(a.Source), sourceOrder(b.Source)) })
		items = append(items, Item{Offer: o.ID, Title: o.Title, Score: s.score, Reasons: s.c.reasons})
	}
	return items
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
