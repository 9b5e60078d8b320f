package skills

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/marketplace"
)

// maxBroaderDepth is how far below a required skill a held skill still
// covers it: holding "Java" covers "programming languages" two levels up.
const maxBroaderDepth = 3

// Skill implements Graph.
func (g *Embedded) Skill(_ context.Context, id string) (Skill, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	s, ok := g.skills[id]
	if !ok {
		return Skill{}, fmt.Errorf("skill %s: %w", id, ErrNotFound)
	}
	return *s, nil
}

// SkillsByLabel implements Graph.
func (g *Embedded) SkillsByLabel(_ context.Context, label string) ([]Skill, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []Skill
	for _, id := range g.byLabel[fold.String(label)] {
		out = append(out, *g.skills[id])
	}
	slices.SortFunc(out, func(a, b Skill) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// requirements returns the known skills a node requires, essential first
// then by label then ID; g.mu is held.
func (g *Embedded) requirements(from string) []Requirement {
	var out []Requirement
	for _, e := range g.out[Requires][from] {
		if s, ok := g.skills[e.To]; ok {
			out = append(out, Requirement{Skill: *s, Essential: e.Essential})
		}
	}
	SortRequirements(out)
	return out
}

// SortRequirements puts requirements in the documented order: essential
// first, then by label, then by ID.
func SortRequirements(r []Requirement) {
	slices.SortFunc(r, func(a, b Requirement) int {
		if a.Essential != b.Essential {
			if a.Essential {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Skill.Label, b.Skill.Label), cmp.Compare(a.Skill.ID, b.Skill.ID))
	})
}

// Occupations implements Graph.
func (g *Embedded) Occupations(context.Context) ([]Occupation, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]Occupation, 0, len(g.occs))
	for _, o := range g.occs {
		out = append(out, *o)
	}
	SortOccupations(out)
	return out, nil
}

// SortOccupations orders occupations by label then ID.
func SortOccupations(o []Occupation) {
	slices.SortFunc(o, func(a, b Occupation) int { return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.ID, b.ID)) })
}

// Occupation implements Graph.
func (g *Embedded) Occupation(_ context.Context, id string) (OccupationView, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	o, ok := g.occs[id]
	if !ok {
		return OccupationView{}, fmt.Errorf("occupation %s: %w", id, ErrNotFound)
	}
	v := OccupationView{Occupation: *o, Requires: g.requirements(id)}
	for _, e := range g.in[Prepares][id] {
		if c, ok := g.certs[e.From]; ok {
			v.Certifications = append(v.Certifications, *c)
		}
	}
	slices.SortFunc(v.Certifications, func(a, b Certification) int { return cmp.Compare(a.Code, b.Code) })
	return v, nil
}

// Neighbours implements Graph.
func (g *Embedded) Neighbours(_ context.Context, id string) ([]Neighbour, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if _, ok := g.skills[id]; !ok {
		return nil, fmt.Errorf("skill %s: %w", id, ErrNotFound)
	}
	seen := map[string]bool{}
	var out []Neighbour
	add := func(other, rel string) {
		s, ok := g.skills[other]
		if !ok || seen[rel+"\x00"+other] {
			return
		}
		seen[rel+"\x00"+other] = true
		out = append(out, Neighbour{Skill: *s, Relation: rel})
	}
	for _, e := range g.out[Broader][id] {
		add(e.To, "broader")
	}
	for _, e := range g.in[Broader][id] {
		add(e.From, "narrower")
	}
	for _, e := range g.out[Related][id] {
		add(e.To, "related")
	}
	for _, e := range g.in[Related][id] {
		add(e.From, "related")
	}
	SortNeighbours(out)
	return out, nil
}

var relationOrder = map[string]int{"broader": 0, "narrower": 1, "related": 2}

// SortNeighbours puts neighbours in the order Graph.Neighbours documents.
func SortNeighbours(n []Neighbour) {
	slices.SortFunc(n, func(a, b Neighbour) int {
		return cmp.Or(cmp.Compare(relationOrder[a.Relation], relationOrder[b.Relation]),
			cmp.Compare(a.Skill.Label, b.Skill.Label), cmp.Compare(a.Skill.ID, b.Skill.ID))
	})
}

// NearOccupations implements Graph.
func (g *Embedded) NearOccupations(_ context.Context, id string, limit int) ([]Near, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if _, ok := g.occs[id]; !ok {
		return nil, fmt.Errorf("occupation %s: %w", id, ErrNotFound)
	}
	mine := g.knownRequired(id)
	shared := map[string]int{}
	for _, e := range g.out[Requires][id] {
		if _, ok := g.skills[e.To]; !ok {
			continue
		}
		for _, back := range g.in[Requires][e.To] {
			if back.From != id {
				if _, ok := g.occs[back.From]; ok {
					shared[back.From]++
				}
			}
		}
	}
	out := make([]Near, 0, len(shared))
	for other, n := range shared {
		union := mine + g.knownRequired(other) - n
		out = append(out, Near{Occupation: *g.occs[other], Shared: n, Similarity: round3(float64(n) / float64(union))})
	}
	SortNear(out)
	return out[:min(len(out), Limit(limit))], nil
}

// SortNear puts near occupations in the order Graph.NearOccupations documents.
func SortNear(n []Near) {
	slices.SortFunc(n, func(a, b Near) int {
		return cmp.Or(cmp.Compare(b.Similarity, a.Similarity), cmp.Compare(b.Shared, a.Shared),
			cmp.Compare(a.Occupation.Label, b.Occupation.Label), cmp.Compare(a.Occupation.ID, b.Occupation.ID))
	})
}

// round3 rounds a similarity to three decimals, so that backends computing
// it in another order agree.
func round3(x float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 3, 64), 64)
	return f
}

func (g *Embedded) knownRequired(id string) int {
	n := 0
	for _, e := range g.out[Requires][id] {
		if _, ok := g.skills[e.To]; ok {
			n++
		}
	}
	return n
}

// PersonSkills implements Graph.
func (g *Embedded) PersonSkills(_ context.Context, person string) ([]Held, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.held(person), nil
}

func (g *Embedded) held(person string) []Held {
	var out []Held
	for _, e := range g.out[HasSkill][person] {
		if s, ok := g.skills[e.To]; ok {
			out = append(out, Held{Skill: *s, Level: e.Level, Evidence: e.Evidence})
		}
	}
	SortHeld(out)
	return out
}

// SortHeld orders held skills by label then ID.
func SortHeld(h []Held) {
	slices.SortFunc(h, func(a, b Held) int {
		return cmp.Or(cmp.Compare(a.Skill.Label, b.Skill.Label), cmp.Compare(a.Skill.ID, b.Skill.ID))
	})
}

// SetDeclaredSkills implements Graph.
func (g *Embedded) SetDeclaredSkills(ctx context.Context, person string, skills []Held) error {
	if person == "" {
		return fmt.Errorf("person: %w", ErrInvalid)
	}
	g.mu.RLock()
	b, err := DeclaredChanges(person, skills, g.held(person), func(id string) bool { _, ok := g.skills[id]; return ok })
	g.mu.RUnlock()
	if err != nil {
		return err
	}
	_, err = g.Apply(ctx, b)
	return err
}

// DeclaredChanges computes the writes of SetDeclaredSkills, the same for
// every backend: the declared skills of want, except those already
// attested, replace the person's current declared skills. known tells
// whether a skill ID is in the referential.
func DeclaredChanges(person string, want []Held, current []Held, known func(string) bool) (Batch, error) {
	var v marketplace.ValidationError
	var b Batch
	seen := map[string]bool{}
	attested := map[string]bool{}
	for _, h := range current {
		if h.Evidence == Attested {
			attested[h.Skill.ID] = true
		}
	}
	for i, h := range want {
		switch {
		case !known(h.Skill.ID):
			v.Add(fmt.Sprintf("skills[%d].id", i), "no skill %q in the referential", h.Skill.ID)
		case h.Level < 1 || h.Level > MaxLevel:
			v.Add(fmt.Sprintf("skills[%d].level", i), "must be 1 to %d", MaxLevel)
		case seen[h.Skill.ID]:
			v.Add(fmt.Sprintf("skills[%d].id", i), "skill %q is listed twice", h.Skill.ID)
		default:
			seen[h.Skill.ID] = true
			if !attested[h.Skill.ID] {
				b.Edges = append(b.Edges, Edge{Rel: HasSkill, From: person, To: h.Skill.ID, Level: h.Level, Evidence: Declared})
			}
		}
	}
	for _, h := range current {
		if h.Evidence == Declared && !seen[h.Skill.ID] {
			b.DeleteEdges = append(b.DeleteEdges, Edge{Rel: HasSkill, From: person, To: h.Skill.ID, Level: h.Level, Evidence: h.Evidence})
		}
	}
	if err := v.Err(); err != nil {
		return Batch{}, err
	}
	return b, nil
}

// Holding is the held skill that covers a required one.
type Holding struct {
	Held     string
	Evidence Evidence
}

// Cover maps each skill a person's skills cover to the held skill that
// covers it best: attested evidence first, then the smaller skill ID, so
// that every backend names the same one.
type Cover map[string]Holding

// Add notes that held (with its evidence) covers the skill covered.
func (c Cover) Add(covered, held string, ev Evidence) {
	old, ok := c[covered]
	if !ok || ev != old.Evidence && ev == Attested || ev == old.Evidence && held < old.Held {
		c[covered] = Holding{Held: held, Evidence: ev}
	}
}

// Gap fills gap with the requirements, covered or missing.
func (c Cover) Gap(gap Gap, reqs []Requirement) Gap {
	for _, r := range reqs {
		if h, ok := c[r.Skill.ID]; ok {
			gap.Covered = append(gap.Covered, Covered{Requirement: r, By: h.Held, Evidence: h.Evidence})
		} else {
			gap.Missing = append(gap.Missing, r)
		}
	}
	gap.Required = len(gap.Covered) + len(gap.Missing)
	return gap
}

// TargetNode checks a target and returns its node ID and its kind,
// "occupation" or "job_offer".
func TargetNode(t Target) (id, kind string, err error) {
	switch {
	case t.Occupation != "" && t.JobOffer == "":
		return t.Occupation, "occupation", nil
	case t.JobOffer != "" && t.Occupation == "":
		return t.JobOffer, "job_offer", nil
	}
	var v marketplace.ValidationError
	v.Add("occupation", "give exactly one of occupation and job_offer")
	return "", "", &v
}

// Weights gives each needed skill its weight in a Trainings query: 2 when
// essential, 1 when optional; a skill listed twice keeps the higher.
func Weights(need []Requirement) map[string]int {
	w := map[string]int{}
	for _, r := range need {
		x := 1
		if r.Essential {
			x = 2
		}
		w[r.Skill.ID] = max(w[r.Skill.ID], x)
	}
	return w
}

func (g *Embedded) coverage(person string) Cover {
	c := Cover{}
	for _, e := range g.out[HasSkill][person] {
		if _, ok := g.skills[e.To]; !ok {
			continue
		}
		frontier := []string{e.To}
		for depth := 0; depth <= maxBroaderDepth && len(frontier) > 0; depth++ {
			var next []string
			for _, s := range frontier {
				if _, ok := g.skills[s]; ok {
					c.Add(s, e.To, e.Evidence)
				}
				for _, up := range g.out[Broader][s] {
					next = append(next, up.To)
				}
			}
			frontier = next
		}
	}
	return c
}

// Gap implements Graph.
func (g *Embedded) Gap(_ context.Context, person string, t Target) (Gap, error) {
	id, kind, err := TargetNode(t)
	if err != nil {
		return Gap{}, err
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	gap := Gap{Target: t}
	if o, ok := g.occs[id]; ok && kind == "occupation" {
		gap.Label = o.Label
	} else if j, ok := g.jobs[id]; ok && kind == "job_offer" {
		gap.Label = j.Title
	} else {
		return Gap{}, fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	return g.coverage(person).Gap(gap, g.requirements(id)), nil
}

// MaxPerProvider bounds the trainings of one provider in a Trainings
// answer, so that a provider publishing the same training in many towns
// (offer flooding) does not fill the list.
const MaxPerProvider = 2

// Trainings implements Graph.
func (g *Embedded) Trainings(_ context.Context, need []Requirement, q TrainingQuery) ([]Training, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	weight := Weights(need)
	type certScore struct {
		code    string
		score   int
		teaches []string
	}
	scores := map[string]*certScore{}
	for id, w := range weight {
		for _, e := range g.in[Teaches][id] {
			if len(g.byCert[e.From]) == 0 {
				continue
			}
			cs := scores[e.From]
			if cs == nil {
				cs = &certScore{code: e.From}
				scores[e.From] = cs
			}
			cs.score += w
			cs.teaches = append(cs.teaches, id)
		}
	}
	ranked := make([]*certScore, 0, len(scores))
	for _, cs := range scores {
		slices.Sort(cs.teaches)
		ranked = append(ranked, cs)
	}
	slices.SortFunc(ranked, func(a, b *certScore) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.code, b.code)) })
	limit := q.limit()
	var out []Training
	perProvider := map[string]int{}
	// Certifications of equal coverage are merged: their offers, each list
	// already by price, hours and ID, interleave in that order.
	for i := 0; i < len(ranked) && len(out) < limit; {
		j := i
		for j < len(ranked) && ranked[j].score == ranked[i].score {
			j++
		}
		tier := ranked[i:j]
		pos := make([]int, len(tier))
		for len(out) < limit {
			best := -1
			for k, cs := range tier {
				l := g.byCert[cs.code]
				for pos[k] < len(l) && q.Region != "" && l[pos[k]].Region != q.Region {
					pos[k]++
				}
				if pos[k] < len(l) && (best < 0 || compareOffers(l[pos[k]], g.byCert[tier[best].code][pos[best]]) < 0) {
					best = k
				}
			}
			if best < 0 {
				break
			}
			cs := tier[best]
			o := g.byCert[cs.code][pos[best]]
			pos[best]++
			if perProvider[o.ProviderID] >= MaxPerProvider {
				continue
			}
			perProvider[o.ProviderID]++
			out = append(out, Training{Offer: *o, Teaches: cs.teaches, Coverage: cs.score})
		}
		i = j
	}
	return out, nil
}

// Passerelles implements Graph. Only the occupations requiring a skill the
// person covers can be passerelles, so the scan starts from those skills
// rather than from every occupation.
func (g *Embedded) Passerelles(_ context.Context, person string, limit int) ([]Passerelle, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	c := g.coverage(person)
	seen := map[string]bool{}
	var out []Passerelle
	for s := range c {
		for _, back := range g.in[Requires][s] {
			o, ok := g.occs[back.From]
			if !ok || seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			p := Passerelle{Occupation: *o}
			for _, e := range g.out[Requires][o.ID] {
				if _, ok := g.skills[e.To]; !ok {
					continue
				}
				p.Required++
				if _, ok := c[e.To]; ok {
					p.Covered++
				} else {
					p.Missing++
					if e.Essential {
						p.MissingEssential++
					}
				}
			}
			out = append(out, p)
		}
	}
	SortPasserelles(out)
	return out[:min(len(out), Limit(limit))], nil
}

// SortPasserelles puts passerelles in the order Graph.Passerelles documents.
func SortPasserelles(p []Passerelle) {
	slices.SortFunc(p, func(a, b Passerelle) int {
		return cmp.Or(cmp.Compare(a.MissingEssential, b.MissingEssential), cmp.Compare(a.Missing, b.Missing),
			cmp.Compare(b.Covered, a.Covered), cmp.Compare(a.Occupation.Label, b.Occupation.Label), cmp.Compare(a.Occupation.ID, b.Occupation.ID))
	})
}

// Counts implements Graph.
func (g *Embedded) Counts(context.Context) (Counts, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return Counts{Skills: len(g.skills), Occupations: len(g.occs), Certifications: len(g.certs), JobOffers: len(g.jobs),
		Offers: len(g.offers), Edges: len(g.edges), Outcomes: len(g.outcome), Hiring: len(g.hiring)}, nil
}

// TaughtBy lists the skills a certification teaches, by label.
func (g *Embedded) TaughtBy(_ context.Context, code string) ([]Skill, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []Skill
	for _, e := range g.out[Teaches][code] {
		if s, ok := g.skills[e.To]; ok {
			out = append(out, *s)
		}
	}
	slices.SortFunc(out, func(a, b Skill) int { return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}
