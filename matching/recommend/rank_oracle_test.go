package recommend

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// rankOracle is the straightforward ranking (maps, a full sort, no cache
// and no scratch space), kept as the oracle of Rank: Rank must return
// exactly what it returns.
func rankOracle(cat *Catalogue, model *Model, a *Account, tie Tie, opt Options) []Item {
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
	if group >= 0 {
		for _, ic := range model.top[group] {
			if ok(ic.item) {
				get(ic.item)
			}
		}
	}
	for ni := range a.Needs {
		n := &a.Needs[ni]
		if len(n.Missing) == 0 {
			continue
		}
		count := map[int32]int32{}
		for _, s := range n.Missing {
			for _, i := range cat.bySkill[s] {
				if reachable(&cat.Offers[i], a.Region) {
					count[i]++
				}
			}
		}
		var hits []skillHit
		for i, k := range count {
			hits = append(hits, skillHit{i, k})
		}
		slices.SortFunc(hits, func(x, y skillHit) int {
			return cmp.Or(cmp.Compare(y.k, x.k), strings.Compare(cat.Offers[x.offer].ID, cat.Offers[y.offer].ID))
		})
		for _, h := range hits[:min(len(hits), opt.Candidates)] {
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
	local := map[int32]float32{}
	if cat.market != nil {
		var list []localEntry
		for i := range cat.Offers {
			o := &cat.Offers[i]
			if !o.Available || !reachable(o, a.Region) {
				continue
			}
			best, found, hires := cat.localFigures(o, a.Department, a.Region)
			if s := localValue(best, found, hires); s > 0 {
				local[int32(i)] = float32(s)
				list = append(list, localEntry{int32(i), s})
			}
		}
		slices.SortFunc(list, func(x, y localEntry) int {
			return cmp.Or(cmp.Compare(y.score, x.score), strings.Compare(cat.Offers[x.offer].ID, cat.Offers[y.offer].ID))
		})
		for _, l := range list[:min(len(list), 1000, opt.Candidates)] {
			if ok(l.offer) {
				get(l.offer)
			}
		}
	}
	w := opt.Weights
	type scored struct {
		c   *candidate
		q   int64
		tie uint64
	}
	var ss []scored
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
		ss = append(ss, scored{c: c, q: int64(math.Round(s * 1000)), tie: tie(cat.Offers[c.offer].ID)})
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
		items = append(items, Item{Offer: o.ID, Title: o.Title, Score: float64(s.q) / 1000, Reasons: reasonsOracle(cat, s.c, a)})
	}
	return items
}

func reasonsOracle(cat *Catalogue, c *candidate, a *Account) []Reason {
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

// TestRankMatchesOracle ranks every account of generated populations with
// Rank and with the straightforward oracle, under several options, tie
// orders (a hash, and one making every score a tie) and some offers
// unavailable, and wants exactly the same items, scores and reasons.
func TestRankMatchesOracle(t *testing.T) {
	zero := func(string) Tie { return func(string) uint64 { return 0 } }
	cases := []struct {
		name   string
		pop    PopulationConfig
		opt    Options
		tie    func(string) Tie
		closed int // every closed-th offer unavailable (0: none)
		model  bool
	}{
		{"defaults", PopulationConfig{Accounts: 1500, Offers: 600, Regions: 5, Profiles: 16, Seed: 11}, Options{}, benchTie, 0, true},
		{"ties and closed offers", PopulationConfig{Accounts: 1200, Offers: 500, Regions: 4, Profiles: 12, Seed: 12}, Options{}, zero, 7, true},
		{"tight caps", PopulationConfig{Accounts: 1000, Offers: 400, Regions: 3, Profiles: 8, Seed: 13}, Options{TopK: 7, PerProvider: 1, Candidates: 30}, benchTie, 5, true},
		{"wide", PopulationConfig{Accounts: 800, Offers: 500, Regions: 6, Profiles: 10, Seed: 14}, Options{TopK: 80, PerProvider: 40, Candidates: 400, Weights: Weights{Similar: 1, Skills: 1, Local: 1}}, benchTie, 0, true},
		{"no model", PopulationConfig{Accounts: 600, Offers: 300, Regions: 4, Profiles: 8, Seed: 15}, Options{}, benchTie, 3, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pop := Generate(tc.pop)
			if tc.closed > 0 {
				for i := range pop.Offers {
					pop.Offers[i].Available = i%tc.closed != 0
				}
			}
			cat := NewCatalogue(pop.Offers, pop.Market)
			var model *Model
			if tc.model {
				model = Train(cat, pop.Accounts, ModelConfig{ALS: ALSConfig{Seed: tc.pop.Seed}})
			}
			items, reasons := 0, map[Source]int{}
			// Twice: the second pass ranks from warm caches and reused
			// scratch space.
			for pass := 0; pass < 2; pass++ {
				for i := range pop.Accounts {
					a := &pop.Accounts[i]
					got := Rank(cat, model, a, tc.tie(a.ID), tc.opt)
					want := rankOracle(cat, model, a, tc.tie(a.ID), tc.opt)
					if diff := gocmp.Diff(want, got); diff != "" {
						t.Fatalf("pass %d, account %s (-oracle +Rank):\n%s", pass, a.ID, diff)
					}
					if pass == 0 {
						items += len(got)
						for _, it := range got {
							for _, r := range it.Reasons {
								reasons[r.Source]++
							}
						}
					}
				}
			}
			// The comparison means something only if every recommender spoke.
			if items == 0 || reasons[Skills] == 0 || reasons[Local] == 0 || (tc.model && reasons[Similar] == 0) {
				t.Fatalf("too little compared: %d items, reasons %v", items, reasons)
			}
		})
	}
}
