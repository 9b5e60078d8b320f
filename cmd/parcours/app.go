package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/matching/recommend"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/secrets"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/starter"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/neo4j"
)

// authStore is what web sign-in needs of a backend.
type authStore interface {
	auth.SessionStore
	auth.LinkStore
	auth.DeviceStore
}

// app is every dependency of the service, built once by openApp.
type app struct {
	cfg     config.Config
	log     *slog.Logger
	secrets *secrets.Secrets
	places  *geo.Gazetteer
	store   marketplace.Store
	bolt    *bolt.Store  // set when the embedded backend is in use
	mongo   *mongo.Store // set when the MongoDB backend is in use
	// sessions keeps web sessions, identity links and devices; every
	// backend sets it.
	sessions  authStore
	catalogue *marketplace.CatalogueService
	enrolment *marketplace.EnrolmentService
	index     *search.Index
	graph     skills.Graph
	queries   *search.QueryLog // anonymised recent searches, for the neutrality measure
	monitor   *search.Monitor
	tokens    *auth.Tokens
	ping      func(context.Context) error // tells whether the store answers
	closers   []func() error

	// Job matching (wire_matching.go).
	matching *matching.Service
	// controls are the automatic controls (fraud, sectarian drift,
	// discrimination) and their review queue (wire_controls.go).
	controls *controls.Service
	// Career profiles (wire_profiles.go).
	profiles *profiles.Service
	// feedFrom is the change feed's position (MongoDB) read before any
	// memory was built from the store: following from it misses no other
	// replica's write (re-applying one is harmless).
	feedFrom int64
	// Training recommendations (wire_recommendations.go): built on first
	// use; progress is where `jobs run` draws its progress bars.
	recsOnce sync.Once
	recs     *recommend.Service
	widget   *recommend.Widget
	recsErr  error
	progress io.Writer
}

func openApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log, places: geo.Default()}
	var err error
	if a.secrets, err = secrets.Load(cfg.DataDir); err != nil {
		return nil, err
	}
	var enrolStore marketplace.EnrolmentStore
	switch cfg.Store.Driver {
	case "bolt":
		s, err := bolt.Open(filepath.Join(cfg.DataDir, cfg.Store.Bolt.File), cfg.Store.Bolt.LockTimeout)
		if err != nil {
			return nil, err
		}
		a.store, a.bolt, a.ping, enrolStore, a.sessions = s, s, s.Ping, s, s
		a.closers = append(a.closers, s.Close)
	case "mongo":
		m := cfg.Store.Mongo
		s, err := mongo.Open(ctx, mongo.Config{URI: m.URI, Database: m.Database, ConnectTimeout: m.ConnectTimeout, OpTimeout: m.OpTimeout})
		if err != nil {
			return nil, err
		}
		a.store, a.mongo, a.ping, enrolStore, a.sessions = s, s, s.Ping, s, s
		a.closers = append(a.closers, s.Close)
		// Every replica must hold the same secrets (tokens, NIR hashes).
		if err := s.CheckKeys(ctx, keyFingerprint(a.secrets)); err != nil {
			s.Close()
			return nil, fmt.Errorf("%w: every replica needs the same %s/%s directory; copy it from a running replica", err, cfg.DataDir, secrets.Dir)
		}
		if a.feedFrom, err = s.LastChange(ctx); err != nil {
			s.Close()
			return nil, err
		}
		// Money operations a crashed replica left half applied. A pass
		// that fails (the database slow to answer while replicas restart)
		// does not keep this one from starting: serve runs the pass again
		// every recover_after, and a pending operation waits for it.
		if n, err := s.Recover(ctx, m.RecoverAfter); err != nil {
			log.Warn("recovering interrupted operations at start; serve tries again every store.mongo.recover_after", "err", err)
		} else if n > 0 {
			log.Info("interrupted money operations recovered", "operations", n)
		}
	default:
		return nil, fmt.Errorf("store.driver %q is not supported", cfg.Store.Driver)
	}
	a.catalogue = marketplace.NewCatalogueService(a.store, a.places, nil)
	if a.controls, err = newControls(a, enrolStore, log); err != nil {
		a.close()
		return nil, err
	}
	a.catalogue.SetGate(a.controls)
	copay, err := config.ParseCoPayments(cfg.Money.CoPayments)
	if err != nil {
		return nil, err
	}
	var schedule []marketplace.CoPayment
	for _, c := range copay {
		schedule = append(schedule, marketplace.CoPayment{From: c.From, Cents: c.Cents})
	}
	var payments marketplace.PaymentProvider = marketplace.WebhookPayments{ProviderName: cfg.Money.Payments.Name}
	if p := cfg.Money.Payments.Provider; p == "demo" || p == "auto" && cfg.Demo.Enabled {
		payments = marketplace.DemoPayments{}
	}
	a.enrolment = marketplace.NewEnrolmentService(enrolStore, a.store, marketplace.EnrolmentConfig{
		NIRKey: a.secrets.NIRKey, CoPayments: schedule, EvaluationReleaseDays: cfg.Money.EvaluationReleaseDays,
		Payments: payments, Log: log, Control: a.controls,
		CoolingOff: cfg.Auth.CoolingOff,
	})
	a.controls.Attach(a.enrolment, a.catalogue)
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
	if err := a.openMatching(ctx); err != nil {
		a.close()
		return nil, fmt.Errorf("job matching: %w", err)
	}
	if err := a.openProfiles(); err != nil {
		a.close()
		return nil, err
	}
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

// demoAccounts are the demo mode's learner accounts: the demo sign-in as
// a learner without an identifier acts as "demo-learner". Their NIRs are
// fictitious but valid; their balances are credited once.
var demoAccounts = []struct {
	id      string
	nir     string
	flags   marketplace.Account
	balance int64
}{
	{"demo-learner", "255081416802538", marketplace.Account{}, 3000_00},
	{"demo-learner-2", "185037512345641", marketplace.Account{JobSeeker: true}, 650_00},
	{"demo-learner-3", "293056912300154", marketplace.Account{LowQualified: true}, 8000_00},
}

// loadDemoAccounts creates the demo learner accounts with their balances;
// running it again changes nothing.
func (a *app) loadDemoAccounts(ctx context.Context, now time.Time) error {
	for _, d := range demoAccounts {
		n, _ := marketplace.NormalizeNIR(d.nir)
		acct := d.flags
		acct.ID, acct.NIRHash, acct.CreatedAt = d.id, marketplace.NIRHash(a.secrets.NIRKey, n), now
		if err := a.enrolment.Store().CreateAccount(ctx, acct); err != nil && !errors.Is(err, marketplace.ErrConflict) {
			return err
		}
		if err := a.enrolment.Credit(ctx, "demo:credit:"+d.id, d.id, d.balance, now); err != nil {
			return err
		}
	}
	return a.loadDemoDossiers(ctx)
}

// loadDemoDossiers gives the demo learner two dossiers: a request awaiting
// its provider and a proposal awaiting the learner, on the first published
// offers with a session far enough ahead. Their idempotency keys make a
// restart change nothing (deadlines then lapse them, as they would).
func (a *app) loadDemoDossiers(ctx context.Context) error {
	learner := marketplace.Party{AccountID: demoAccounts[0].id}
	offers, _, err := a.store.Offers(ctx, marketplace.OfferFilter{Status: marketplace.Published}, marketplace.Page{Limit: 50})
	if err != nil {
		return err
	}
	made := 0
	for _, o := range offers {
		if made == 2 {
			break
		}
		sessions, err := a.store.Sessions(ctx, o.ID)
		if err != nil {
			return err
		}
		for _, s := range sessions {
			if days := s.Start.Sub(time.Now()).Hours() / 24; days < 30 || days > 300 {
				continue
			}
			key := fmt.Sprintf("demo:dossier:%d", made)
			d, err := a.enrolment.Request(ctx, learner, marketplace.Idem{Key: key + ":request", Fingerprint: key}, o.ID, s.ID)
			if err != nil {
				return err
			}
			if made == 1 && d.State == marketplace.NotProcessed {
				provider := marketplace.Party{ProviderID: o.ProviderID}
				if _, err := a.enrolment.Propose(ctx, provider, marketplace.Idem{Key: key + ":propose", Fingerprint: key}, d.ID, 0, ""); err != nil {
					return err
				}
			}
			made++
			break
		}
	}
	return nil
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
