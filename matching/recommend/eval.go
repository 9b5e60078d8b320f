package recommend

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"
)

// EvalRow is one recommender's figures in an offline evaluation.
type EvalRow struct {
	Name     string
	HR       float64 // hit rate at 10: share of held-out trainings found in the top 10
	NDCG     float64 // normalised discounted cumulative gain at 10
	Coverage float64 // share of available offers recommended to someone
}

// EvalReport is the result of Evaluate.
type EvalReport struct {
	Accounts, Offers, Interactions, Tested int
	Train                                  time.Duration
	Rows                                   []EvalRow
}

// Row returns the row of a recommender by name.
func (r EvalReport) Row(name string) EvalRow {
	for _, x := range r.Rows {
		if x.Name == name {
			return x
		}
	}
	return EvalRow{}
}

// Write prints the report as a table.
func (r EvalReport) Write(w io.Writer) {
	fmt.Fprintf(w, "population: %d accounts, %d offers, %d interactions; %d accounts tested (leave-last-out); model trained in %v\n",
		r.Accounts, r.Offers, r.Interactions, r.Tested, r.Train.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "recommender\tHR@10\tNDCG@10\tcoverage\t")
	for _, x := range r.Rows {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t\n", x.Name, x.HR, x.NDCG, x.Coverage)
	}
	tw.Flush()
}

// Evaluate runs the leave-last-out protocol on a population: each
// account's last followed training is held out, the model is trained on
// the rest, and each recommender's top 10 is checked for it. The blended
// recommender, each recommender alone, and the popularity and random
// baselines are measured in the same run, on the same split.
func Evaluate(pop Population, cfg ModelConfig, opt Options) EvalReport {
	accounts := make([]Account, len(pop.Accounts))
	held := make([]string, len(pop.Accounts))
	rep := EvalReport{Accounts: len(pop.Accounts), Offers: len(pop.Offers)}
	for i, a := range pop.Accounts {
		a.History = slices.Clone(a.History)
		rep.Interactions += len(a.History)
		if len(a.History) >= 2 {
			last := slices.MaxFunc(a.History, func(x, y Event) int { return x.At.Compare(y.At) })
			held[i] = last.Offer
			a.History = slices.DeleteFunc(a.History, func(e Event) bool { return e.Offer == last.Offer })
			rep.Tested++
		}
		accounts[i] = a
	}
	cat := NewCatalogue(slices.Clone(pop.Offers), pop.Market)
	start := time.Now()
	model := Train(cat, accounts, cfg)
	rep.Train = time.Since(start)

	// Popularity: the most followed offers of the training split.
	counts := make([]int, len(cat.Offers))
	for _, a := range accounts {
		for _, e := range a.History {
			if i, ok := cat.byID[e.Offer]; ok && e.Followed {
				counts[i]++
			}
		}
	}
	popular := make([]int32, len(cat.Offers))
	for i := range popular {
		popular[i] = int32(i)
	}
	slices.SortStableFunc(popular, func(a, b int32) int { return cmp.Compare(counts[b], counts[a]) })

	opt.TopK = 10
	tie := func(account string) Tie {
		return func(offer string) uint64 {
			h := fnv.New64a()
			h.Write([]byte(account + "\x00" + offer))
			return h.Sum64()
		}
	}
	type rec struct {
		name string
		top  func(a *Account) []string
	}
	ranked := func(w Weights, withModel bool) func(a *Account) []string {
		o := opt
		o.Weights = w
		m := model
		if !withModel {
			m = nil
		}
		return func(a *Account) []string {
			var ids []string
			for _, it := range Rank(cat, m, a, tie(a.ID), o) {
				ids = append(ids, it.Offer)
			}
			return ids
		}
	}
	excluded := func(a *Account) map[string]bool {
		x := map[string]bool{}
		for _, e := range a.History {
			if e.Dossier {
				x[e.Offer] = true
			}
		}
		return x
	}
	rng := rand.New(rand.NewPCG(7, 7))
	recs := []rec{
		{"blended", ranked(opt.Weights, true)},
		{"similar only", ranked(Weights{Similar: 1, Skills: 1e-9, Local: 1e-9}, true)},
		{"skills only", ranked(Weights{Skills: 1, Similar: 1e-9, Local: 1e-9}, false)},
		{"local only", ranked(Weights{Local: 1, Similar: 1e-9, Skills: 1e-9}, false)},
		{"popularity", func(a *Account) []string {
			x := excluded(a)
			var ids []string
			for _, i := range popular {
				o := &cat.Offers[i]
				if o.Available && !x[o.ID] && reachable(o, a.Region) {
					ids = append(ids, o.ID)
					if len(ids) == 10 {
						break
					}
				}
			}
			return ids
		}},
		{"random", func(a *Account) []string {
			x := excluded(a)
			var ids []string
			for tries := 0; len(ids) < 10 && tries < 1000; tries++ {
				o := &cat.Offers[rng.IntN(len(cat.Offers))]
				if o.Available && !x[o.ID] && reachable(o, a.Region) && !slices.Contains(ids, o.ID) {
					ids = append(ids, o.ID)
				}
			}
			return ids
		}},
	}
	for _, r := range recs {
		row := EvalRow{Name: r.name}
		shown := map[string]bool{}
		for i := range accounts {
			if held[i] == "" {
				continue
			}
			top := r.top(&accounts[i])
			for _, id := range top {
				shown[id] = true
			}
			if k := slices.Index(top, held[i]); k >= 0 {
				row.HR++
				row.NDCG += 1 / math.Log2(float64(k)+2)
			}
		}
		if rep.Tested > 0 {
			row.HR /= float64(rep.Tested)
			row.NDCG /= float64(rep.Tested)
		}
		avail := 0
		for _, o := range cat.Offers {
			if o.Available {
				avail++
			}
		}
		row.Coverage = float64(len(shown)) / float64(max(1, avail))
		rep.Rows = append(rep.Rows, row)
	}
	return rep
}
