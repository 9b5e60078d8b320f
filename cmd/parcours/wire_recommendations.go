package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/matching/recommend"
	"github.com/parcours/parcours/search"
)

// The training recommendations: the service and widget the API and the
// pages serve, the sharded batch job, and the offline evaluation.

func init() {
	registerJobs(recommendationJobs)
	registerEvaluation("recommendations", command{
		Summary: "offline evaluation of the training recommendations on a generated population",
		Run:     evalRecommendations,
	})
}

// recommendStore is what a backend provides for the recommendations.
type recommendStore interface {
	recommend.Store
	recommend.DossierScanner
}

// recommendations builds the service and widget once.
func (a *app) recommendations() (*recommend.Service, *recommend.Widget, error) {
	a.recsOnce.Do(func() {
		var rs recommendStore
		switch {
		case a.bolt != nil:
			rs = a.bolt
		case a.mongo != nil:
			rs = a.mongo
		default:
			a.recsErr = errors.New("recommendations: the store keeps no recommendation data")
			return
		}
		ctx := context.Background()
		src := recommend.Sources{Store: rs, Dossiers: rs, Enrolment: a.enrolment.Store(), Offers: a.store, Graph: a.graph,
			Places: a.places, Log: a.log}
		// Offers with an open alert of the automatic controls are left out.
		if a.controls != nil {
			src.Flags = a.controls
		}
		market, err := recommend.NewGraphMarket(ctx, a.graph, a.places)
		if err != nil {
			a.recsErr = err
			return
		}
		if market != nil {
			src.Market = market
		} else {
			a.log.Warn("recommendations: the skills graph backend keeps no employment figures the local-return recommender can read")
		}
		r := a.cfg.Recommendations
		a.recs = recommend.NewService(src, recommend.Config{
			Options: recommend.Options{TopK: r.TopK},
			Model:   recommend.ModelConfig{ALS: recommend.ALSConfig{Factors: r.Factors, Iterations: r.Iterations, Seed: 1}},
			Shards:  r.Shards,
		}, search.NewKeys(a.secrets.SearchKey, a.cfg.Search.KeyRotation, nil), nil)
		a.recs.SetLive(a.index)
		a.widget = recommend.NewWidget(rs, r.WidgetPerMinute, nil)
	})
	return a.recs, a.widget, a.recsErr
}

// recommendationJobs is one job per shard: with MongoDB, each shard's run
// is leased, so that replicas share the shards of a tick; the model is
// trained once per process and run (Config.Retrain).
func recommendationJobs(a *app, log *slog.Logger) ([]jobs.Job, error) {
	svc, _, err := a.recommendations()
	if err != nil {
		return nil, err
	}
	n := svc.Shards()
	var out []jobs.Job
	for k := 0; k < n; k++ {
		name := "recommendations"
		if n > 1 {
			name = fmt.Sprintf("recommendations-%d-of-%d", k+1, n)
		}
		out = append(out, jobs.Job{Name: name, Schedule: a.cfg.Recommendations.Schedule, Run: func(ctx context.Context) error {
			start := time.Now()
			bar := newProgressBar(a.progress, name)
			st, err := svc.Refresh(ctx, k, false, bar.update)
			bar.done()
			if err != nil {
				return err
			}
			log.Info("recommendations refreshed", "shard", k+1, "of", n, "accounts", st.Accounts, "recomputed", st.Recomputed,
				"model", st.Model, "duration", time.Since(start))
			return nil
		}})
	}
	return out, nil
}

// progressBar draws a job's progress on a terminal, and nothing elsewhere.
type progressBar struct {
	w     io.Writer
	label string
	last  time.Time
}

func newProgressBar(w io.Writer, label string) *progressBar {
	f, ok := w.(*os.File)
	if !ok {
		return &progressBar{}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return &progressBar{}
	}
	return &progressBar{w: w, label: label}
}

func (p *progressBar) update(done, total int) {
	if p.w == nil || (time.Since(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := width
	pct := 100
	if total > 0 {
		filled, pct = width*done/total, 100*done/total
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d accounts", p.label, strings.Repeat("#", filled), strings.Repeat(" ", width-filled), pct, done, total)
}

func (p *progressBar) done() {
	if p.w != nil && !p.last.IsZero() {
		fmt.Fprintln(p.w)
	}
}

// evalRecommendations runs the leave-last-out evaluation on a generated
// population and prints HR@10, NDCG@10 and coverage of the blended
// recommender, each recommender alone, and the popularity and random
// baselines.
func evalRecommendations(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval recommendations", flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.Int("accounts", 4000, "generated accounts")
	offers := fs.Int("offers", 1500, "generated offers")
	profiles := fs.Int("profiles", 16, "latent profiles (trade families)")
	seed := fs.Uint64("seed", 1, "generator and model seed")
	factors := fs.Int("factors", 32, "latent factors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pop := recommend.Generate(recommend.PopulationConfig{Accounts: *accounts, Offers: *offers, Profiles: *profiles, Seed: *seed})
	rep := recommend.Evaluate(pop, recommend.ModelConfig{ALS: recommend.ALSConfig{Factors: *factors, Seed: *seed}}, recommend.Options{})
	rep.Write(stdout)
	b, p := rep.Row("blended"), rep.Row("popularity")
	fmt.Fprintf(stdout, "blended / popularity: HR@10 ×%.2f, NDCG@10 ×%.2f\n", b.HR/max(p.HR, 1e-9), b.NDCG/max(p.NDCG, 1e-9))
	return nil
}
