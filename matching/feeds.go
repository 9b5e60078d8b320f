package matching

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"time"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/skills"
)

func distance(lat1, lon1, lat2, lon2 float64) float64 { return geo.DistanceKm(lat1, lon1, lat2, lon2) }

// roundKm rounds a distance up to a multiple of step kilometres, so that
// an employer cannot locate a candidate from distances to several offers.
func roundKm(d, step float64) float64 { return math.Max(step, math.Ceil(d/step)*step) }

// ShardOf is the feed shard of a candidate.
func ShardOf(candidateID string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(candidateID))
	return int(h.Sum32() % uint32(max(1, shards)))
}

// heldSkills maps the skills a person holds, and the broader skills they
// imply (up to three levels up, as the graph's gap query counts them), to
// their evidence; attested beats declared. broader caches each skill's
// parents across calls.
func (s *Service) heldSkills(ctx context.Context, person string, broader map[string][]string) (map[string]skills.Evidence, error) {
	held, err := s.cfg.Graph.PersonSkills(ctx, person)
	if err != nil {
		return nil, err
	}
	out := make(map[string]skills.Evidence, len(held)*2)
	put := func(id string, ev skills.Evidence) {
		if out[id] != skills.Attested {
			out[id] = ev
		}
	}
	for _, h := range held {
		level := []string{h.Skill.ID}
		put(h.Skill.ID, h.Evidence)
		for range 3 {
			var next []string
			for _, id := range level {
				ps, ok := broader[id]
				if !ok {
					ns, err := s.cfg.Graph.Neighbours(ctx, id)
					if err != nil && !errors.Is(err, skills.ErrNotFound) {
						return nil, err
					}
					for _, n := range ns {
						if n.Relation == "broader" {
							ps = append(ps, n.Skill.ID)
						}
					}
					broader[id] = ps
				}
				for _, p := range ps {
					put(p, h.Evidence)
				}
				next = append(next, ps...)
			}
			if len(next) == 0 {
				break
			}
			level = next
		}
	}
	return out, nil
}

// FeedStats tells what one run of a feed shard did.
type FeedStats struct {
	Shard      int
	Full       bool // the day turned: the whole shard was planned
	Candidates int  // active candidates of the shard
	Offers     int  // published offers
	Scored     int  // pairs scored positive
	Added      int
	Removed    int
}

// RunFeeds computes one shard's proposals. On the first run of a day it
// plans the whole shard (the daily caps start over); later runs the same
// day are incremental: only candidates and offers changed since the last
// run are scored, within what remains of the caps. A candidate's skills
// changing in the graph is seen at the next daily run. Pairs already
// proposed within KeepDays, or decided by either side, are not proposed
// again. An offer's daily cap is shared evenly among the shards.
func (s *Service) RunFeeds(ctx context.Context, shard int) (FeedStats, error) {
	shards := s.cfg.Shards
	st := FeedStats{Shard: shard}
	if shard < 0 || shard >= shards {
		return st, fieldError("shard", "out of range")
	}
	start := s.now().UTC()
	day := start.Format(time.DateOnly)
	since := start.AddDate(0, 0, -s.cfg.KeepDays+1).Format(time.DateOnly)
	state, err := s.store.FeedState(ctx, shard)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return st, err
	}
	st.Full = state.Day != day

	var offers []JobOffer
	jobIndex := map[string]int{}
	var jobs []Job
	err = s.store.ScanJobOffers(ctx, func(o JobOffer) error {
		if o.Status != OfferPublished {
			return nil
		}
		jobIndex[o.ID] = len(offers)
		offers = append(offers, o)
		jobs = append(jobs, JobOf(&o))
		return nil
	})
	if err != nil {
		return st, err
	}
	var cands []Candidate
	err = s.store.ScanCandidates(ctx, func(c Candidate) error {
		if c.Status == CandidateActive && ShardOf(c.ID, shards) == shard {
			cands = append(cands, c)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	st.Candidates, st.Offers = len(cands), len(offers)
	workerIndex := make(map[string]int, len(cands))
	workers := make([]Worker, len(cands))
	broader := map[string][]string{}
	for i := range cands {
		c := &cands[i]
		workerIndex[c.ID] = i
		held, err := s.heldSkills(ctx, c.ID, broader)
		if err != nil {
			return st, err
		}
		workers[i] = WorkerOf(c, held)
	}

	// What the shard already holds: pairs not to propose again, today's
	// counts, and proposals whose side left.
	existing, err := s.store.ShardProposals(ctx, shard)
	if err != nil {
		return st, err
	}
	skip := map[[2]int]bool{}
	givenW := make([]int, len(workers))
	givenJ := make([]int, len(jobs))
	var remove []Pair
	for _, p := range existing {
		w, okW := workerIndex[p.CandidateID]
		j, okJ := jobIndex[p.OfferID]
		if !okW || !okJ {
			remove = append(remove, p.Pair)
			continue
		}
		if p.Day < since {
			continue // deleted by this run's write
		}
		skip[[2]int{w, j}] = true
		if p.Day == day {
			givenW[w]++
			givenJ[j]++
		}
	}
	for _, c := range cands {
		sw, err := s.decided(ctx, c.ID)
		if err != nil {
			return st, err
		}
		for _, offerID := range sw {
			if j, ok := jobIndex[offerID]; ok {
				skip[[2]int{workerIndex[c.ID], j}] = true
			}
		}
	}
	m := &Market{Workers: workers, Jobs: jobs, Skip: func(w, j int) bool { return skip[[2]int{w, j}] }}
	if !st.Full {
		m.OnlyWorker = func(w int) bool { return !cands[w].UpdatedAt.Before(state.At) }
		m.OnlyJob = func(j int) bool { return !offers[j].UpdatedAt.Before(state.At) }
	}
	edges := m.Edges()
	st.Scored = len(edges)
	caps := s.cfg.Caps
	caps.PerOffer = (caps.PerOffer + shards - 1) / shards
	planned := Plan(edges, len(workers), len(jobs), givenW, givenJ, caps)
	add := make([]Proposal, len(planned))
	for i, e := range planned {
		add[i] = Proposal{Pair: Pair{OfferID: offers[e.J].ID, CandidateID: cands[e.W].ID}, Shard: shard, Day: day,
			Score: round4(e.Score), WorkerFit: round4(e.WFit), JobFit: round4(e.JFit), At: start}
	}
	if err := s.store.ReplaceProposals(ctx, shard, since, remove, add); err != nil {
		return st, err
	}
	st.Added, st.Removed = len(add), len(remove)
	if err := s.store.PutFeedState(ctx, FeedState{Shard: shard, Day: day, At: start}); err != nil {
		return st, err
	}
	return st, nil
}

// decided lists the offers a candidate's pairs were decided on, by
// either side.
func (s *Service) decided(ctx context.Context, candidateID string) ([]string, error) {
	sw, err := s.store.SwipesByCandidate(ctx, candidateID)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(sw))
	for i, x := range sw {
		out[i] = x.OfferID
	}
	return out, nil
}

func round4(x float32) float64 { return math.Round(float64(x)*1e4) / 1e4 }
