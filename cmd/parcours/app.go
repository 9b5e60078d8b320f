package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/secrets"
	"github.com/parcours/parcours/store/bolt"
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
	queries   *search.QueryLog // anonymised recent searches, for the neutrality measure
	monitor   *search.Monitor
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
	a.queries = search.NewQueryLog(cfg.Search.Neutrality.LogSize)
	providerCap := cfg.Search.ProviderCap
	if providerCap == 0 {
		providerCap = -1 // the index reads a zero as "the default"
	}
	a.index = search.NewWithOptions(search.Options{
		ProviderCap: providerCap, DefaultPerPage: cfg.Search.DefaultPerPage, MaxPerPage: cfg.Search.MaxPerPage,
		Keys:     search.NewKeys(a.secrets.SearchKey, cfg.Search.KeyRotation, nil),
		QueryLog: a.queries,
	})
	a.catalogue.Observe(a.index)
	n := cfg.Search.Neutrality
	a.monitor = search.NewMonitor(a.index, a.queries, n.Clients, n.Queries, n.TopK)
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
