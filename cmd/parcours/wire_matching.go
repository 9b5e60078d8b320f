package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/matching/skillmodel"
	"github.com/parcours/parcours/skills"
)

// The two-sided job matching: its service (built by openMatching, called
// from openApp), its sharded feed job and its offline evaluation.

func init() {
	registerJobs(func(a *app, log *slog.Logger) ([]jobs.Job, error) {
		if a.matching == nil {
			return nil, nil
		}
		var out []jobs.Job
		for shard := range a.matching.Shards() {
			out = append(out, jobs.Job{
				Name:     fmt.Sprintf("matching-feeds-%d-of-%d", shard+1, a.matching.Shards()),
				Schedule: a.cfg.Matching.Schedule,
				Run: func(ctx context.Context) error {
					st, err := a.matching.RunFeeds(ctx, shard)
					if st.Added > 0 || st.Removed > 0 || st.Full {
						log.Info("job matching feeds computed", "shard", shard, "full", st.Full, "candidates", st.Candidates,
							"offers", st.Offers, "scored", st.Scored, "added", st.Added, "removed", st.Removed)
					}
					return err
				},
			})
		}
		return out, nil
	})
	registerEvaluation("matching", command{
		Summary: "two-sided job matching on a generated market: reciprocal scorer vs one-sided baseline",
		Run:     evalMatching,
	})
}

// openMatching builds the job matching service on the app's store and
// skills graph.
func (a *app) openMatching(ctx context.Context) error {
	var store matching.Store
	switch {
	case a.bolt != nil:
		store = a.bolt
	case a.mongo != nil:
		if err := a.mongo.EnsureMatchingIndexes(ctx); err != nil {
			return err
		}
		store = a.mongo
	default:
		return nil
	}
	m := a.cfg.Matching
	var model matching.SkillModel
	if m.SkillModel.BaseURL != "" {
		model = skillmodel.New(m.SkillModel.BaseURL, m.SkillModel.Model, os.Getenv(config.SkillModelKeyEnv), nil)
	}
	extractor := matching.NewExtractor(a.graph, matching.ExtractorOptions{Model: model, Timeout: m.SkillModel.Timeout, Log: a.log})
	// The discrimination screening of job posts: a held post opens an
	// alert in the controllers' queue. A nil screener (no controls) would
	// publish unscreened and log a warning on each post.
	var screener controls.Screener
	if a.controls != nil {
		screener = a.controls
	}
	svc, err := matching.New(matching.Config{
		Store: store, Graph: a.graph, Places: a.places, Extractor: extractor, Screener: screener, Log: a.log,
		Caps:   matching.Caps{PerOffer: m.PerOffer, PerCandidate: m.PerCandidate, Floor: matching.DefaultCaps.Floor},
		Shards: m.Shards, KeepDays: m.KeepDays, SwipesPerHour: m.SwipesPerHour, MessagesPerHour: m.MessagesPerHour,
	})
	if err != nil {
		return err
	}
	a.matching = svc
	// A controller publishes or rejects a held post from its alert: the
	// controls reach the job matching through controls.JobPosts.
	if a.controls != nil {
		a.controls.AttachJobPosts(svc)
	}
	return nil
}

func evalMatching(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval matching", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := matching.DefaultMarket
	caps := matching.DefaultCaps
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the generated market")
	fs.IntVar(&o.Candidates, "candidates", o.Candidates, "candidates in the market")
	fs.IntVar(&o.Offers, "offers", o.Offers, "job offers in the market")
	fs.IntVar(&o.Occupations, "occupations", o.Occupations, "occupations (ROME codes) in the market")
	fs.IntVar(&caps.PerOffer, "per-offer", caps.PerOffer, "proposals per offer per day")
	fs.IntVar(&caps.PerCandidate, "per-candidate", caps.PerCandidate, "proposals per candidate per day")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Candidates < 1 || o.Offers < 1 || o.Occupations < 1 || caps.PerOffer < 1 || caps.PerCandidate < 1 {
		return fmt.Errorf("eval matching: the sizes and caps must be positive")
	}
	matching.Evaluate(o, caps).Write(stdout)
	return nil
}

// demoOccupations are the starter referential's occupations the demo job
// market posts offers for.
var demoOccupations = []string{"G1602", "N1103", "K2204", "D1505", "J1501", "M1607", "N4105", "F1703"}

// loadDemoJobs writes the demo job market (offers of the demo employers,
// candidates with their skills, the demo learner opted in near Lyon) and
// computes its feeds once, so that the pages show proposals at once. The
// market is deterministic; the demo learner's own choices are kept.
func (a *app) loadDemoJobs(ctx context.Context) error {
	if a.matching == nil {
		return nil
	}
	loader, ok := a.matching.Store().(matching.MarketLoader)
	if !ok {
		return nil
	}
	learner := demoAccounts[0].id
	if _, err := a.matching.Candidate(ctx, learner); err == nil {
		learner = "" // already in: keep their preferences
	}
	var occs []string
	for _, code := range demoOccupations {
		if _, err := a.graph.Occupation(ctx, code); err == nil {
			occs = append(occs, code)
		}
	}
	offers, cands, edges, err := matching.DemoMarket(ctx, a.graph, a.places, occs, time.Now(), learner)
	if err != nil || len(offers) == 0 {
		return err
	}
	if _, err := a.graph.Apply(ctx, skills.Batch{Edges: edges}); err != nil {
		return err
	}
	if err := loader.LoadMarket(ctx, offers, cands); err != nil {
		return err
	}
	added := 0
	for shard := range a.matching.Shards() {
		st, err := a.matching.RunFeeds(ctx, shard)
		if err != nil {
			return err
		}
		added += st.Added
	}
	a.log.Info("demo job market loaded", "offers", len(offers), "candidates", len(cands), "proposals", added,
		"employer_siret", matching.DemoEmployers[0].SIRET)
	return nil
}
