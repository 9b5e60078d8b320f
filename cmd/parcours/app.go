package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/secrets"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/starter"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/neo4j"
)

// app is every dependency of the service, built once by openApp.
type app struct {
	cfg       config.Config
	log       *slog.Logger
	secrets   *secrets.Secrets
	places    *geo.Gazetteer
	store     marketplace.Store
	bolt      *bolt.Store // set when the embedded backend is in use
	catalogue *marketplace.CatalogueService
	index     *search.Index
	graph     skills.Graph
	tokens    *auth.Tokens
	ping      func(context.Context) error // tells whether the store answers
	closers   []func() error
}

func openApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log, places: geo.Default()}
	var err error
	if a.secrets, err = secrets.Load(cfg.DataDir); err != nil {
		return nil, err
	}
	switch cfg.Store.Driver {
	case "bolt":
		s, err := bolt.Open(filepath.Join(cfg.DataDir, cfg.Store.Bolt.File), cfg.Store.Bolt.LockTimeout)
		if err != nil {
			return nil, err
		}
		a.store, a.bolt, a.ping = s, s, s.Ping
		a.closers = append(a.closers, s.Close)
	default:
		return nil, fmt.Errorf("store.driver %q is not supported", cfg.Store.Driver)
	}
	a.catalogue = marketplace.NewCatalogueService(a.store, a.places, nil)
	a.index = search.New()
	a.catalogue.Observe(a.index)
	switch cfg.Graph.Backend {
	case "embedded":
		gs, ok := a.store.(skills.Store)
		if !ok {
			a.close()
			return nil, fmt.Errorf("graph.backend embedded needs a store that keeps the graph; store.driver %q does not", cfg.Store.Driver)
		}
		if a.graph, err = skills.NewEmbedded(ctx, gs); err != nil {
			a.close()
			return nil, err
		}
	case "neo4j":
		g, err := neo4j.Open(ctx, neo4j.Options{
			URI: cfg.Graph.Neo4j.URI, User: cfg.Graph.Neo4j.User, Password: os.Getenv(config.Neo4jPasswordEnv),
			Database: cfg.Graph.Neo4j.Database, ConnectTimeout: cfg.Graph.Neo4j.ConnectTimeout, QueryTimeout: cfg.Graph.Neo4j.QueryTimeout,
			Log: log,
		})
		if err != nil {
			a.close()
			return nil, fmt.Errorf("connecting to Neo4j at %s: %w", cfg.Graph.Neo4j.URI, err)
		}
		a.graph = g
		a.closers = append(a.closers, func() error { return g.Close(context.Background()) })
	default:
		a.close()
		return nil, fmt.Errorf("graph.backend %q is not supported", cfg.Graph.Backend)
	}
	a.catalogue.Observe(a.graph)
	a.tokens = auth.NewTokens(a.secrets.TokenKey, cfg.Auth.Issuer, cfg.Auth.MaxTTL, nil)
	return a, nil
}

func (a *app) close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	return errors.Join(errs...)
}

// loadDemo writes the demo catalogue into the store, and returns its size.
// The set is deterministic, so loading it again changes nothing.
func (a *app) loadDemo(ctx context.Context) (marketplace.Catalogue, time.Duration, error) {
	start := time.Now()
	cat := demo.Catalogue(demo.Options{
		Seed: a.cfg.Demo.Seed, Providers: a.cfg.Demo.Providers, Offers: a.cfg.Demo.Offers, Now: demoEpoch(start),
	}, a.places)
	err := a.catalogue.Load(ctx, cat)
	return cat, time.Since(start), err
}

// demoEpoch is the reference day of the demo set: the first day of the
// current month, so that a store loaded today and the set regenerated
// later in the month are the same records, while session dates stay ahead.
func demoEpoch(now time.Time) time.Time {
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// storeEmpty reports whether the store holds no provider and no offer.
func (a *app) storeEmpty(ctx context.Context) (bool, error) {
	ps, _, err := a.store.Providers(ctx, marketplace.Page{Limit: 1})
	if err != nil {
		return false, err
	}
	n, err := a.store.CountOffers(ctx, marketplace.OfferFilter{})
	return len(ps) == 0 && n == 0, err
}

// graphBuilder is the capability of a graph backend to take in every
// published offer of the store at start.
type graphBuilder interface {
	Build(ctx context.Context, store marketplace.OfferStore) error
}

// buildGraph gives the graph the store's offers and, in demo mode, the
// starter referential (idempotent: a second start writes nothing).
func (a *app) buildGraph(ctx context.Context) error {
	start := time.Now()
	if b, ok := a.graph.(graphBuilder); ok {
		if err := b.Build(ctx, a.store); err != nil {
			return fmt.Errorf("giving the offers to the skills graph: %w", err)
		}
	}
	if a.cfg.Demo.Enabled {
		rome, rncp, err := starter.Load(ctx, a.graph)
		if err != nil {
			return fmt.Errorf("loading the starter referential: %w", err)
		}
		_, r1, _, _ := rome.Totals()
		_, r2, _, _ := rncp.Totals()
		a.log.Info("starter referential loaded", "records_written", r1+r2)
	}
	c, err := a.graph.Counts(ctx)
	if err != nil {
		return err
	}
	a.log.Info("skills graph ready", "backend", a.cfg.Graph.Backend, "skills", c.Skills, "occupations", c.Occupations,
		"certifications", c.Certifications, "offers", c.Offers, "edges", c.Edges, "duration", time.Since(start))
	return nil
}
