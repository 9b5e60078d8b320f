package skills

import (
	"cmp"
	"context"
	"slices"
)

// Certification returns a certification by code, and whether the graph
// knows it: the training recommendations read its Formacode domains.
func (g *Embedded) Certification(_ context.Context, code string) (Certification, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	c, ok := g.certs[code]
	if !ok {
		return Certification{}, false
	}
	return *c, true
}

// Hirings returns every hiring record (BMO survey), by year, area and
// job: the training recommendations weigh an area's hiring needs.
func (g *Embedded) Hirings(context.Context) []Hiring {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]Hiring, 0, len(g.hiring))
	for _, h := range g.hiring {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b Hiring) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Area, b.Area), cmp.Compare(a.Job, b.Job))
	})
	return out
}
