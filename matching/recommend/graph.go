package recommend

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/skills"
)

// Optional capabilities of a skills graph that the recommender uses when
// the backend has them (the embedded graph does). What a certification
// teaches comes from skills.Teacher, which both backends have.
type (
	certReader interface {
		Certification(ctx context.Context, code string) (skills.Certification, bool)
	}
	outcomeReader interface {
		Outcomes(formacode string) []skills.Outcome
	}
	hiringReader interface {
		Hirings(ctx context.Context) []skills.Hiring
	}
)

// GraphMarket is the Market of the figures ingest imports into the skills
// graph: France Travail's return-to-work rates by Formacode and area, and
// the BMO survey's planned hires by job and employment area. The BMO job
// codes have no published crosswalk to ROME occupations here: a BMO job
// counts for an occupation when its folded label equals the occupation's
// label or one of its job titles. Safe for concurrent use.
type GraphMarket struct {
	places   *geo.Gazetteer
	outcomes outcomeReader

	mu    sync.Mutex
	cache map[string][]skills.Outcome
	hires map[string]int // occupation "|" region ("" for the nation)
}

// NewGraphMarket reads the hiring figures of g; it returns nil when the
// graph keeps no employment figures that the recommender can read.
func NewGraphMarket(ctx context.Context, g skills.Graph, places *geo.Gazetteer) (*GraphMarket, error) {
	or, ok1 := g.(outcomeReader)
	hr, ok2 := g.(hiringReader)
	if !ok1 && !ok2 {
		return nil, nil
	}
	m := &GraphMarket{places: places, outcomes: or, cache: map[string][]skills.Outcome{}, hires: map[string]int{}}
	if !ok2 {
		return m, nil
	}
	occs, err := g.Occupations(ctx)
	if err != nil {
		return nil, err
	}
	byLabel := map[string][]string{}
	for _, o := range occs {
		for _, l := range append([]string{o.Label}, o.AltLabels...) {
			k := fold.String(l)
			if !slices.Contains(byLabel[k], o.ID) {
				byLabel[k] = append(byLabel[k], o.ID)
			}
		}
	}
	hs := hr.Hirings(ctx)
	latest := 0
	for _, h := range hs {
		latest = max(latest, h.Year)
	}
	for _, h := range hs {
		if h.Year != latest {
			continue
		}
		for _, occ := range byLabel[fold.String(h.JobLabel)] {
			m.hires[occ+"|"+h.Region] += h.Projects
			m.hires[occ+"|"] += h.Projects
		}
	}
	return m, nil
}

// Outcome implements Market: the latest published rate of the department,
// else of the region, else of the country.
func (m *GraphMarket) Outcome(fc, dept, region string) (Outcome, bool) {
	if m.outcomes == nil {
		return Outcome{}, false
	}
	m.mu.Lock()
	list, ok := m.cache[fc]
	if !ok {
		list = m.outcomes.Outcomes(fc)
		m.cache[fc] = list
	}
	m.mu.Unlock()
	pick := func(kind skills.AreaKind, area string) (skills.Outcome, bool) {
		var best skills.Outcome
		found := false
		for _, o := range list {
			if o.AreaKind == kind && o.Area == area && !o.Suppressed && (!found || o.Year > best.Year) {
				best, found = o, true
			}
		}
		return best, found
	}
	if o, ok := pick(skills.AreaDepartment, dept); ok && dept != "" {
		name := dept
		if d, ok := m.places.Department(dept); ok {
			name = d.Name
		}
		return Outcome{RatePerMil: o.RatePerMil, Leavers: o.Leavers, Year: o.Year, Area: name}, true
	}
	if o, ok := pick(skills.AreaRegion, region); ok && region != "" {
		return Outcome{RatePerMil: o.RatePerMil, Leavers: o.Leavers, Year: o.Year, Area: m.RegionName(region)}, true
	}
	if o, ok := pick(skills.AreaNational, "FR"); ok {
		return Outcome{RatePerMil: o.RatePerMil, Leavers: o.Leavers, Year: o.Year, Area: "France"}, true
	}
	return Outcome{}, false
}

// Hires implements Market.
func (m *GraphMarket) Hires(occ, region string) int { return m.hires[occ+"|"+region] }

// RegionName implements Market.
func (m *GraphMarket) RegionName(code string) string {
	if r, ok := m.places.Region(code); ok {
		return r.Name
	}
	return code
}

// certInfo is what the graph says of a certification.
type certInfo struct {
	formacodes  []string
	teaches     []string
	occupations []string
}

// graphCerts reads, for each certification, its Formacode domains, the
// skills it teaches and the occupations it prepares for.
func graphCerts(ctx context.Context, g skills.Graph, codes []string) (map[string]*certInfo, error) {
	out := map[string]*certInfo{}
	for _, c := range codes {
		out[c] = &certInfo{}
	}
	occs, err := g.Occupations(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range occs {
		v, err := g.Occupation(ctx, o.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range v.Certifications {
			if ci := out[c.Code]; ci != nil {
				ci.occupations = append(ci.occupations, o.ID)
				if len(ci.formacodes) == 0 {
					ci.formacodes = c.Formacodes
				}
			}
		}
	}
	for code, ci := range out {
		if cr, ok := g.(certReader); ok {
			if c, ok := cr.Certification(ctx, code); ok {
				ci.formacodes = c.Formacodes
			}
		}
		if ct, ok := g.(skills.Teacher); ok {
			ss, err := ct.TaughtBy(ctx, code)
			if err != nil {
				return nil, err
			}
			for _, s := range ss {
				ci.teaches = append(ci.teaches, s.ID)
			}
		}
		slices.Sort(ci.teaches)
		slices.SortFunc(ci.occupations, cmp.Compare)
	}
	return out, nil
}
