package matching

import (
	"cmp"
	"slices"
)

// Caps bound the proposals made in one day, so that popular offers and
// candidates are not flooded while others see nobody.
type Caps struct {
	// PerOffer is the most candidates proposed for one offer per day,
	// PerCandidate the most offers proposed to one candidate.
	PerOffer     int
	PerCandidate int
	// Floor lets an offer that fits at least one candidate get its best
	// one even when every fitting candidate has reached PerCandidate, up
	// to this many proposals over the candidate's cap.
	Floor int
}

// DefaultCaps are the caps the service runs with unless configured.
var DefaultCaps = Caps{PerOffer: 20, PerCandidate: 10, Floor: 2}

// Edge is a scored pair, by index in a plan's workers and jobs.
type Edge struct {
	W, J              int32
	Score, WFit, JFit float32
}

// Market is a plan's input: the scorer's view of both sides, with what
// each already received today.
type Market struct {
	Workers []Worker
	Jobs    []Job
	// Skip, when set, leaves a pair out (already decided, matched, or
	// already proposed).
	Skip func(w, j int) bool
	// Only, when set, restricts the pairs scored to those where Only
	// reports true for the worker or the job (the incremental run: only
	// what changed).
	OnlyWorker func(w int) bool
	OnlyJob    func(j int) bool
	// Given counts the proposals each worker and job already holds today.
	GivenWorker []int
	GivenJob    []int
}

// Edges scores every pair that the blocking lets through: a worker is only
// scored against the jobs of the occupations they want, since any other
// job scores 0. Pairs scoring 0 are left out.
func (m *Market) Edges() []Edge {
	byROME := map[string][]int32{}
	for j := range m.Jobs {
		byROME[m.Jobs[j].ROME] = append(byROME[m.Jobs[j].ROME], int32(j))
	}
	var edges []Edge
	for w := range m.Workers {
		wk := &m.Workers[w]
		onlyW := m.OnlyWorker == nil || m.OnlyWorker(w)
		for _, o := range wk.Occupations {
			for _, j := range byROME[o] {
				if !onlyW && (m.OnlyJob == nil || !m.OnlyJob(int(j))) {
					continue
				}
				if m.Skip != nil && m.Skip(w, int(j)) {
					continue
				}
				s, wf, jf := Score(wk, &m.Jobs[j])
				if s > 0 {
					edges = append(edges, Edge{W: int32(w), J: j, Score: float32(s), WFit: float32(wf), JFit: float32(jf)})
				}
			}
		}
	}
	return edges
}

// Plan chooses the day's proposals among edges under the caps. It first
// gives every job that fits someone its best available candidate, scarce
// jobs first (the floor), then fills by decreasing score while both sides
// are under their caps. Ties are broken by indexes, so a plan is
// deterministic.
func Plan(edges []Edge, nWorkers, nJobs int, givenWorker, givenJob []int, caps Caps) []Edge {
	wCount := make([]int, nWorkers)
	jCount := make([]int, nJobs)
	copy(wCount, givenWorker)
	copy(jCount, givenJob)
	slices.SortFunc(edges, func(a, b Edge) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(a.J, b.J); c != 0 {
			return c
		}
		return cmp.Compare(a.W, b.W)
	})
	taken := make([]bool, len(edges))
	var out []Edge

	// The floor: for each job with no proposal yet, its best edge.
	// Edges are sorted by score, so the first edge seen per job is its
	// best; scarce jobs (fewest edges) choose first.
	perJob := make([][]int32, nJobs)
	for i, e := range edges {
		if jCount[e.J] == 0 {
			perJob[e.J] = append(perJob[e.J], int32(i))
		}
	}
	order := make([]int32, 0, nJobs)
	for j := range perJob {
		if len(perJob[j]) > 0 {
			order = append(order, int32(j))
		}
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(len(perJob[a]), len(perJob[b])) })
	for _, j := range order {
		pick := -1
		for _, i := range perJob[j] {
			if wCount[edges[i].W] < caps.PerCandidate {
				pick = int(i)
				break
			}
		}
		if pick < 0 {
			for _, i := range perJob[j] {
				if wCount[edges[i].W] < caps.PerCandidate+caps.Floor {
					pick = int(i)
					break
				}
			}
		}
		if pick < 0 {
			continue
		}
		taken[pick] = true
		wCount[edges[pick].W]++
		jCount[j]++
		out = append(out, edges[pick])
	}
	perJob = nil

	for i, e := range edges {
		if taken[i] || jCount[e.J] >= caps.PerOffer || wCount[e.W] >= caps.PerCandidate {
			continue
		}
		wCount[e.W]++
		jCount[e.J]++
		out = append(out, e)
	}
	return out
}
