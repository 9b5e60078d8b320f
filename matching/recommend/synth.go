package recommend

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// PopulationConfig sizes a generated population; the zero value is the
// evaluation's default.
type PopulationConfig struct {
	Accounts, Offers, Providers int
	Profiles                    int // latent profiles (trade families)
	Regions                     int
	EventsPerAccount            int // mean number of dossiers per account
	Seed                        uint64
}

func (c PopulationConfig) withDefaults() PopulationConfig {
	if c.Accounts <= 0 {
		c.Accounts = 4000
	}
	if c.Offers <= 0 {
		c.Offers = 1500
	}
	if c.Providers <= 0 {
		c.Providers = max(1, c.Offers/8)
	}
	if c.Profiles <= 0 {
		c.Profiles = 16
	}
	if c.Regions <= 0 {
		c.Regions = 6
	}
	if c.EventsPerAccount <= 0 {
		c.EventsPerAccount = 6
	}
	return c
}

// Population is a generated set of workers and trainings with a planted
// structure: each worker belongs to a latent profile (a trade family) and
// a region; they follow mostly the popular trainings of their family in
// their region, some trainings anywhere, lack some of the skills of their
// family's occupation (which some choose as a target), and live in a job
// market where their family's trainings pay off more or less.
type Population struct {
	Offers   []Offer
	Accounts []Account
	Market   *TableMarket
	// Profile is each account's latent profile, in Accounts order.
	Profile []int
}

// TableMarket is a Market read from tables: what the generated population
// and the tests use.
type TableMarket struct {
	Outcomes map[string]Outcome // key formacode "|" department or region or "" (national)
	Hiring   map[string]int     // key occupation "|" region ("" for the nation)
	Regions  map[string]string
}

// Outcome implements Market.
func (t *TableMarket) Outcome(fc, dept, region string) (Outcome, bool) {
	for _, area := range []string{dept, region, ""} {
		if o, ok := t.Outcomes[fc+"|"+area]; ok {
			return o, true
		}
	}
	return Outcome{}, false
}

// Hires implements Market.
func (t *TableMarket) Hires(occ, region string) int { return t.Hiring[occ+"|"+region] }

// RegionName implements Market.
func (t *TableMarket) RegionName(r string) string { return t.Regions[r] }

// Generate builds a population. The same config gives the same population.
func Generate(cfg PopulationConfig) Population {
	cfg = cfg.withDefaults()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xfeed))
	const skillsPerFamily = 8
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pop := Population{Market: &TableMarket{Outcomes: map[string]Outcome{}, Hiring: map[string]int{}, Regions: map[string]string{}}}
	region := func(r int) string { return fmt.Sprintf("R%02d", r) }
	for r := 0; r < cfg.Regions; r++ {
		pop.Market.Regions[region(r)] = fmt.Sprintf("Région %d", r+1)
	}
	famSkill := func(f, s int) string { return fmt.Sprintf("skill:%d:%d", f, s) }
	famOcc := func(f int) string { return fmt.Sprintf("OCC%02d", f) }
	famFC := func(f int) string { return fmt.Sprintf("%05d", 10000+f) }
	for f := 0; f < cfg.Profiles; f++ {
		pop.Market.Outcomes[famFC(f)+"|"] = Outcome{RatePerMil: 400 + rng.IntN(300), Leavers: 1000, Year: 2025, Area: "France"}
		for r := 0; r < cfg.Regions; r++ {
			if rng.IntN(3) > 0 {
				pop.Market.Outcomes[famFC(f)+"|"+region(r)] = Outcome{RatePerMil: 300 + rng.IntN(600), Leavers: 100 + rng.IntN(900), Year: 2025, Area: pop.Market.Regions[region(r)]}
			}
			pop.Market.Hiring[famOcc(f)+"|"+region(r)] = rng.IntN(3000)
		}
	}
	// Offers: each of a family; popularity within a family follows a
	// power law through the offer's appeal.
	type famOffers struct{ byRegion [][]int }
	fams := make([]famOffers, cfg.Profiles)
	for f := range fams {
		fams[f].byRegion = make([][]int, cfg.Regions+1) // last: distance
	}
	appeal := make([]float64, cfg.Offers)
	for i := 0; i < cfg.Offers; i++ {
		f := i % cfg.Profiles
		o := Offer{
			ID: fmt.Sprintf("o%06d", i), ProviderID: fmt.Sprintf("p%05d", rng.IntN(cfg.Providers)),
			Title: fmt.Sprintf("Formation %d", i), Certification: fmt.Sprintf("RNCP%05d", 30000+f*10+rng.IntN(3)),
			Formacodes: []string{famFC(f)}, Available: true, NextSession: now.AddDate(0, 2, 0), PriceCents: int64(500+rng.IntN(3000)) * 100,
			Occupations: []string{famOcc(f)},
		}
		r := rng.IntN(cfg.Regions + 1)
		if r == cfg.Regions {
			o.Distance = true
		} else {
			o.Region, o.Department = region(r), fmt.Sprintf("%s-D%d", region(r), rng.IntN(3))
		}
		for s := 0; s < skillsPerFamily; s++ {
			if rng.Float64() < 0.35 {
				o.Teaches = append(o.Teaches, famSkill(f, s))
			}
		}
		appeal[i] = math.Pow(rng.Float64(), 3)
		fams[f].byRegion[r] = append(fams[f].byRegion[r], i)
		pop.Offers = append(pop.Offers, o)
	}
	// Each (family, region) draws from its offers and the family's
	// distance offers, by appeal: cumulative weights, searched.
	type draw struct {
		ids []int
		cum []float64
	}
	draws := make([][]draw, cfg.Profiles)
	for f := range draws {
		draws[f] = make([]draw, cfg.Regions)
		for r := range draws[f] {
			d := draw{ids: append(slices.Clone(fams[f].byRegion[r]), fams[f].byRegion[cfg.Regions]...)}
			sum := 0.0
			for _, i := range d.ids {
				sum += appeal[i] + 0.01
				d.cum = append(d.cum, sum)
			}
			draws[f][r] = d
		}
	}
	pick := func(d draw) int {
		if len(d.ids) == 0 {
			return rng.IntN(cfg.Offers)
		}
		x := rng.Float64() * d.cum[len(d.cum)-1]
		j, _ := slices.BinarySearch(d.cum, x)
		return d.ids[min(j, len(d.ids)-1)]
	}
	for a := 0; a < cfg.Accounts; a++ {
		f := int(math.Min(float64(cfg.Profiles-1), math.Floor(math.Pow(rng.Float64(), 1.5)*float64(cfg.Profiles))))
		r := rng.IntN(cfg.Regions)
		acct := Account{ID: fmt.Sprintf("a%07d", a), Region: region(r), Department: fmt.Sprintf("%s-D%d", region(r), rng.IntN(3))}
		var missing []string
		for s := 0; s < skillsPerFamily; s++ {
			if rng.Float64() < 0.6 {
				missing = append(missing, famSkill(f, s))
			}
		}
		if len(missing) > 0 {
			acct.Needs = []Need{{Occupation: famOcc(f), Label: fmt.Sprintf("Métier %d", f), Chosen: rng.Float64() < 0.5, Missing: missing}}
		}
		n := 2 + rng.IntN(2*cfg.EventsPerAccount-3)
		seen := map[int]bool{}
		for e := 0; e < n; e++ {
			var i int
			switch x := rng.Float64(); {
			case x < 0.75:
				i = pick(draws[f][r])
			default:
				i = rng.IntN(cfg.Offers)
			}
			if seen[i] {
				continue
			}
			seen[i] = true
			acct.History = append(acct.History, Event{Offer: pop.Offers[i].ID, Weight: 3, Dossier: true, Followed: true, At: now.AddDate(0, 0, -400+e*30)})
		}
		pop.Accounts = append(pop.Accounts, acct)
		pop.Profile = append(pop.Profile, f)
	}
	return pop
}
