package skills

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/marketplace"
)

// Embedded is the default graph: every record is persisted in a Store (the
// bbolt file) and held in memory, where the queries run as plain Go. It is
// safe for concurrent use: queries share a read lock, writes take the lock
// after the store has accepted them, so memory never holds what the store
// refused.
type Embedded struct {
	store Store

	mu      sync.RWMutex
	skills  map[string]*Skill
	byLabel map[string][]string // folded label -> skill IDs
	occs    map[string]*Occupation
	certs   map[string]*Certification
	jobs    map[string]*JobOffer
	edges   map[string]*Edge
	out     map[Relation]map[string][]*Edge // from -> edges
	in      map[Relation]map[string][]*Edge // to -> edges
	offers  map[string]*Offer
	byCert  map[string][]*Offer // published offers of a certification, by price, hours, ID
	outcome map[string]Outcome
	hiring  map[string]Hiring
}

var _ Graph = (*Embedded)(nil)

// NewEmbedded loads every record of store into memory. A nil store keeps
// the graph in memory only (tests, tools).
func NewEmbedded(ctx context.Context, store Store) (*Embedded, error) {
	g := &Embedded{
		store: store, skills: map[string]*Skill{}, byLabel: map[string][]string{},
		occs: map[string]*Occupation{}, certs: map[string]*Certification{}, jobs: map[string]*JobOffer{},
		edges: map[string]*Edge{}, out: map[Relation]map[string][]*Edge{}, in: map[Relation]map[string][]*Edge{},
		offers: map[string]*Offer{}, byCert: map[string][]*Offer{},
		outcome: map[string]Outcome{}, hiring: map[string]Hiring{},
	}
	if store == nil {
		return g, nil
	}
	err := store.ScanGraph(ctx, func(b Batch) error {
		normalise(&b)
		g.mu.Lock()
		defer g.mu.Unlock()
		g.applyMemory(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading the skills graph: %w", err)
	}
	return g, nil
}

// normalise makes empty slices nil, so that a record read back from the
// store compares equal to the one written.
func normalise(b *Batch) {
	for i := range b.Skills {
		if len(b.Skills[i].AltLabels) == 0 {
			b.Skills[i].AltLabels = nil
		}
	}
	for i := range b.Occupations {
		if len(b.Occupations[i].AltLabels) == 0 {
			b.Occupations[i].AltLabels = nil
		}
	}
	for i := range b.Certifications {
		c := &b.Certifications[i]
		if len(c.Formacodes) == 0 {
			c.Formacodes = nil
		}
		if len(c.Certifiers) == 0 {
			c.Certifiers = nil
		}
	}
}

// Apply implements Graph.
func (g *Embedded) Apply(ctx context.Context, b Batch) (Stats, error) {
	if err := b.Validate(); err != nil {
		return Stats{}, err
	}
	normalise(&b)
	g.mu.Lock()
	defer g.mu.Unlock()
	changed, st := g.diff(b)
	if changed.Len() == 0 {
		return st, nil
	}
	if g.store != nil {
		if err := g.store.PutGraph(ctx, changed); err != nil {
			return Stats{}, err
		}
	}
	g.applyMemory(changed)
	return st, nil
}

// diff keeps the records of b that differ from what the graph holds,
// counting a record repeated in b against its previous copy in b.
func (g *Embedded) diff(b Batch) (Batch, Stats) {
	var out Batch
	var st Stats
	out.Skills = diffList(b.Skills, func(r Skill) string { return r.ID }, func(k string) (any, bool) { v, ok := g.skills[k]; return deref(v), ok }, &st)
	out.Occupations = diffList(b.Occupations, func(r Occupation) string { return r.ID }, func(k string) (any, bool) { v, ok := g.occs[k]; return deref(v), ok }, &st)
	out.Certifications = diffList(b.Certifications, func(r Certification) string { return r.Code }, func(k string) (any, bool) { v, ok := g.certs[k]; return deref(v), ok }, &st)
	out.JobOffers = diffList(b.JobOffers, func(r JobOffer) string { return r.ID }, func(k string) (any, bool) { v, ok := g.jobs[k]; return deref(v), ok }, &st)
	out.Edges = diffList(b.Edges, Edge.Key, func(k string) (any, bool) { v, ok := g.edges[k]; return deref(v), ok }, &st)
	out.Outcomes = diffList(b.Outcomes, Outcome.Key, func(k string) (any, bool) { v, ok := g.outcome[k]; return v, ok }, &st)
	out.Hiring = diffList(b.Hiring, Hiring.Key, func(k string) (any, bool) { v, ok := g.hiring[k]; return v, ok }, &st)
	deleted := map[string]bool{}
	for _, e := range b.DeleteEdges {
		_, ok := g.edges[e.Key()]
		if ok && !deleted[e.Key()] {
			deleted[e.Key()] = true
			out.DeleteEdges = append(out.DeleteEdges, e)
			st.Written++
		} else {
			st.Unchanged++
		}
	}
	return out, st
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// diffList keeps the records of l that differ from the last copy of their
// key, in l or else in the graph (held).
func diffList[T any](l []T, key func(T) string, held func(string) (any, bool), st *Stats) []T {
	var out []T
	var seen map[string]T
	for _, r := range l {
		k := key(r)
		var old any
		ok := false
		if prev, in := seen[k]; in {
			old, ok = prev, true
		} else {
			old, ok = held(k)
		}
		if ok && reflect.DeepEqual(old, r) {
			st.Unchanged++
			continue
		}
		st.Written++
		if seen == nil {
			seen = map[string]T{}
		}
		seen[k] = r
		out = append(out, r)
	}
	return out
}

// applyMemory writes b into memory; g.mu is held.
func (g *Embedded) applyMemory(b Batch) {
	for _, s := range b.Skills {
		if old, ok := g.skills[s.ID]; ok {
			g.unlabel(old)
		}
		s := s
		g.skills[s.ID] = &s
		k := fold.String(s.Label)
		g.byLabel[k] = append(g.byLabel[k], s.ID)
	}
	for _, o := range b.Occupations {
		o := o
		g.occs[o.ID] = &o
	}
	for _, c := range b.Certifications {
		c := c
		g.certs[c.Code] = &c
	}
	for _, j := range b.JobOffers {
		j := j
		g.jobs[j.ID] = &j
	}
	for _, e := range b.DeleteEdges {
		g.deleteEdge(e.Key())
	}
	for _, e := range b.Edges {
		if old, ok := g.edges[e.Key()]; ok {
			*old = e
			continue
		}
		p := &e
		g.edges[e.Key()] = p
		if g.out[e.Rel] == nil {
			g.out[e.Rel], g.in[e.Rel] = map[string][]*Edge{}, map[string][]*Edge{}
		}
		g.out[e.Rel][e.From] = append(g.out[e.Rel][e.From], p)
		g.in[e.Rel][e.To] = append(g.in[e.Rel][e.To], p)
	}
	for _, o := range b.Outcomes {
		g.outcome[o.Key()] = o
	}
	for _, h := range b.Hiring {
		g.hiring[h.Key()] = h
	}
}

func (g *Embedded) unlabel(s *Skill) {
	k := fold.String(s.Label)
	ids := slices.DeleteFunc(g.byLabel[k], func(id string) bool { return id == s.ID })
	if len(ids) == 0 {
		delete(g.byLabel, k)
	} else {
		g.byLabel[k] = ids
	}
}

func (g *Embedded) deleteEdge(key string) {
	e, ok := g.edges[key]
	if !ok {
		return
	}
	delete(g.edges, key)
	drop := func(m map[string][]*Edge, k string) {
		l := slices.DeleteFunc(m[k], func(x *Edge) bool { return x == e })
		if len(l) == 0 {
			delete(m, k)
		} else {
			m[k] = l
		}
	}
	drop(g.out[e.Rel], e.From)
	drop(g.in[e.Rel], e.To)
}

// OfferSaved implements marketplace.Observer: published offers are
// trainings of the graph, others are not.
func (g *Embedded) OfferSaved(o marketplace.Offer, _ []marketplace.Session) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.removeOffer(o.ID)
	if o.Status != marketplace.Published {
		return
	}
	off := &Offer{ID: o.ID, ProviderID: o.ProviderID, Title: o.Title, Certification: o.Certification.Code,
		PriceCents: o.PriceCents, Hours: o.Hours, Region: o.Region}
	g.offers[o.ID] = off
	l := g.byCert[off.Certification]
	i, _ := slices.BinarySearchFunc(l, off, compareOffers)
	g.byCert[off.Certification] = slices.Insert(l, i, off)
}

// OfferDeleted implements marketplace.Observer.
func (g *Embedded) OfferDeleted(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.removeOffer(id)
}

func (g *Embedded) removeOffer(id string) {
	old, ok := g.offers[id]
	if !ok {
		return
	}
	delete(g.offers, id)
	l := g.byCert[old.Certification]
	if i, found := slices.BinarySearchFunc(l, old, compareOffers); found {
		l = slices.Delete(l, i, i+1)
	}
	if len(l) == 0 {
		delete(g.byCert, old.Certification)
	} else {
		g.byCert[old.Certification] = l
	}
}

// compareOffers orders the trainings of one coverage: cheapest, then
// shortest, then by ID so that the order is total.
func compareOffers(a, b *Offer) int {
	return cmp.Or(cmp.Compare(a.PriceCents, b.PriceCents), cmp.Compare(a.Hours, b.Hours), cmp.Compare(a.ID, b.ID))
}

// Build adds every published offer of the marketplace store, as at start.
func (g *Embedded) Build(ctx context.Context, store marketplace.OfferStore) error {
	page := marketplace.Page{Limit: marketplace.MaxPageSize}
	var all []*Offer
	for {
		offers, next, err := store.Offers(ctx, marketplace.OfferFilter{Status: marketplace.Published}, page)
		if err != nil {
			return err
		}
		for _, o := range offers {
			all = append(all, &Offer{ID: o.ID, ProviderID: o.ProviderID, Title: o.Title, Certification: o.Certification.Code,
				PriceCents: o.PriceCents, Hours: o.Hours, Region: o.Region})
		}
		if next == "" {
			break
		}
		page.After = next
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, o := range all {
		g.offers[o.ID] = o
		g.byCert[o.Certification] = append(g.byCert[o.Certification], o)
	}
	for _, l := range g.byCert {
		slices.SortFunc(l, compareOffers)
	}
	return nil
}

// Outcomes returns the employment outcomes of a Formacode, by area kind then area.
func (g *Embedded) Outcomes(formacode string) []Outcome {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []Outcome
	for _, o := range g.outcome {
		if o.Formacode == formacode {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b Outcome) int {
		return cmp.Or(cmp.Compare(a.AreaKind, b.AreaKind), cmp.Compare(a.Area, b.Area), cmp.Compare(a.Year, b.Year))
	})
	return out
}

// HiringIn returns the hiring projects of one employment area, most first.
func (g *Embedded) HiringIn(area string) []Hiring {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []Hiring
	for _, h := range g.hiring {
		if h.Area == area {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Hiring) int {
		return cmp.Or(cmp.Compare(b.Projects, a.Projects), cmp.Compare(a.Job, b.Job), cmp.Compare(a.Year, b.Year))
	})
	return out
}
