package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/matching/skillmodel"
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
	// The discrimination screening of job posts: the controls package's
	// Screener, wired here when the controls issue lands; nil publishes
	// unscreened and logs a warning on each post.
	var screener controls.Screener
	svc, err := matching.New(matching.Config{
		Store: store, Graph: a.graph, Places: a.places, Extractor: extractor, Screener: screener, Log: a.log,
		Caps:   matching.Caps{PerOffer: m.PerOffer, PerCandidate: m.PerCandidate, Floor: matching.DefaultCaps.Floor},
		Shards: m.Shards, KeepDays: m.KeepDays, SwipesPerHour: m.SwipesPerHour, MessagesPerHour: m.MessagesPerHour,
	})
	if err != nil {
		return err
	}
	a.matching = svc
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
