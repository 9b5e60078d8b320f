package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/web"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("serve", stderr, &cf)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()

	start := time.Now()
	changes := a.feedFrom // the change feed's position before memory was built
	if err := a.index.Build(ctx, a.store); err != nil {
		return fmt.Errorf("building the search index: %w", err)
	}
	log.Info("search index built", "offers", a.index.Len(), "duration", time.Since(start))
	if err := a.buildGraph(ctx); err != nil {
		return err
	}

	// Loading the demo set after the build indexes it through the catalogue's observers.
	if cfg.Demo.Enabled {
		empty, err := a.storeEmpty(ctx)
		if err != nil {
			return err
		}
		if empty {
			cat, took, err := a.loadDemo(ctx)
			if err != nil {
				return fmt.Errorf("loading the demo data: %w", err)
			}
			log.Info("demo data loaded", "providers", len(cat.Providers), "offers", len(cat.Offers), "sessions", len(cat.Sessions), "duration", took)
		}
		if err := a.loadDemoAccounts(ctx, demoEpoch(time.Now())); err != nil {
			return fmt.Errorf("creating the demo accounts: %w", err)
		}
		if err := a.loadDemoJobs(ctx); err != nil {
			return fmt.Errorf("loading the demo job market: %w", err)
		}
		if err := a.loadDemoProfiles(ctx); err != nil {
			return fmt.Errorf("creating the demo career profile: %w", err)
		}
	}
	// Certifications may have lapsed while the service was down.
	if n, err := a.catalogue.UnpublishLapsed(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("unpublished offers of providers without valid Qualiopi", "offers", n)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if a.matching != nil {
		reg.MustRegister(a.matching.Collectors()...)
	}
	sched := jobs.New(log, reg)
	if err := sched.Add(jobs.Job{Name: "unpublish-lapsed-qualiopi", Schedule: "10 0 * * *", Run: func(ctx context.Context) error {
		n, err := a.catalogue.UnpublishLapsed(ctx)
		if n > 0 {
			log.Info("unpublished offers of providers without valid Qualiopi", "offers", n)
		}
		return err
	}}); err != nil {
		return err
	}

	if err := sched.Add(jobs.Job{Name: "credit-yearly-rights", Schedule: cfg.Money.CreditSchedule, Run: func(ctx context.Context) error {
		n, err := a.enrolment.CreditYearlyRights(ctx)
		if n > 0 {
			log.Info("yearly rights credited", "accounts", n)
		}
		return err
	}}); err != nil {
		return err
	}
	if err := sched.Add(jobs.Job{Name: "dossier-deadlines", Schedule: cfg.Money.DeadlineSchedule, Run: func(ctx context.Context) error {
		n, err := a.enrolment.EnforceDeadlines(ctx)
		if n > 0 {
			log.Info("dossier deadlines enforced", "dossiers", n)
		}
		return err
	}}); err != nil {
		return err
	}
	// The neutrality indicators: measured on schedule, and once at start
	// so that the transparency page has figures early.
	if err := sched.Add(jobs.Job{Name: "search-neutrality", Schedule: cfg.Search.Neutrality.Schedule, Run: a.measureNeutrality}); err != nil {
		return err
	}

	// Expired web sessions, and sign-ins abandoned at the provider, are
	// deleted when next read; this sweeps those never read again.
	if err := sched.Add(jobs.Job{Name: "sweep-web-sessions", Schedule: "*/10 * * * *", Run: func(ctx context.Context) error {
		now := time.Now()
		n, err := a.sessions.SweepWebSessions(ctx, now.Add(-cfg.Auth.Sessions.IdleTimeout), now.Add(-cfg.Auth.Sessions.MaxAge))
		if n > 0 {
			log.Info("expired web sessions deleted", "sessions", n)
		}
		return err
	}}); err != nil {
		return err
	}
	areaJobs, err := a.areaJobs(log)
	if err != nil {
		return err
	}
	for _, j := range areaJobs {
		if err := sched.Add(j); err != nil {
			return err
		}
	}
	stepUp := auth.StepUp{ACR: cfg.Auth.StepUp.ACR, MaxAge: cfg.Auth.StepUp.MaxAge}
	identity, err := newIdentity(ctx, cfg)
	if err != nil {
		return err
	}
	orgService := a.newOrgs()
	recs, widget, err := a.recommendations()
	if err != nil {
		return err
	}
	pages, err := web.New(web.Deps{
		Log: log, Catalogue: a.catalogue, Index: a.index, Places: a.places, Tokens: a.tokens, Enrolment: a.enrolment,
		Demo: cfg.Demo.Enabled, TokenTTL: cfg.Auth.TokenTTL, Graph: a.graph, Neutrality: a.monitor, Ratings: a.enrolment,
		Sessions: a.sessions, Links: a.sessions, Devices: a.sessions, SessionIdle: cfg.Auth.Sessions.IdleTimeout, SessionMax: cfg.Auth.Sessions.MaxAge,
		StepUp: stepUp, Identity: identity, PublicURL: cfg.Server.PublicURL,
		Matching: a.matching,
		Controls: a.controls,
		Orgs:     orgService, Attempts: a.orgStore(), SignInLimits: signInLimits(cfg),
		Profiles:        a.profiles,
		Recommendations: recs, Widget: widget,
	})
	if err != nil {
		return err
	}
	srv, err := api.New(api.Deps{
		Log: log, Catalogue: a.catalogue, Places: a.places, Tokens: a.tokens,
		Enrolment:        a.enrolment,
		PaymentSecrets:   map[string][]byte{cfg.Money.Payments.Name: a.secrets.PaymentWebhookKey},
		WebhookTolerance: cfg.Money.Payments.WebhookTolerance,
		Index:            a.index, Neutrality: a.monitor,
		Ready:  a.ping,
		Backup: backup(a.bolt), Pages: pages, Demo: cfg.Demo.Enabled, Graph: a.graph, StepUp: stepUp,
		Profiles:     a.profiles,
		MaxBodyBytes: cfg.Server.MaxBodyBytes, RatePerSecond: cfg.RateLimit.PerSecond, RateBurst: cfg.RateLimit.Burst,
		TrustedProxies: cfg.Server.TrustedProxies, Registry: reg, PublicURL: cfg.Server.PublicURL,
		Matching:        a.matching,
		Controls:        a.controls,
		Orgs:            orgService,
		Recommendations: recs, Widget: widget,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       cfg.Server.ReadTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	if a.mongo != nil {
		// Other replicas' writes reach this one's search index through
		// the change feed; interrupted money operations are recovered.
		bg, stopBG := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer func() { stopBG(); wg.Wait() }()
		wg.Add(2)
		go func() {
			defer wg.Done()
			a.followReplicas(bg, changes, log)
		}()
		go func() {
			defer wg.Done()
			t := time.NewTicker(cfg.Store.Mongo.RecoverAfter)
			defer t.Stop()
			for {
				select {
				case <-bg.Done():
					return
				case <-t.C:
				}
				if n, err := a.mongo.Recover(bg, cfg.Store.Mongo.RecoverAfter); err != nil && bg.Err() == nil {
					log.Warn("recovering interrupted operations", "err", err)
				} else if n > 0 {
					log.Info("interrupted money operations recovered", "operations", n)
				}
			}
		}()
		sched.SetLocker(a.mongo.Locker(hostID()))
	}
	sched.Start()
	var first sync.WaitGroup
	first.Go(func() { sched.RunNow("search-neutrality") })
	defer first.Wait()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "Parcours is serving on http://%s/\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "demo", cfg.Demo.Enabled, "store", cfg.Store.Driver)

	select {
	case err := <-served:
		sched.Stop()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests", "timeout", cfg.Server.ShutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout)
	defer cancel()
	err = hs.Shutdown(shutCtx)
	sched.Stop()
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	log.Info("stopped")
	return err
}

// newIdentity reads the OpenID Provider's discovery document when one is
// configured; nil means no OpenID sign-in.
func newIdentity(ctx context.Context, cfg config.Config) (*web.Identity, error) {
	o := cfg.Auth.OIDC
	base := strings.TrimSuffix(cfg.Server.PublicURL, "/")
	var providers []web.IdentityProvider
	if o.Issuer != "" {
		providers = append(providers, web.IdentityProvider{
			Name: "franceconnect", Label: o.Label, Issuer: o.Issuer, ClientID: o.ClientID,
			ClientSecret: os.Getenv(config.OIDCClientSecretEnv),
			RedirectURL:  base + "/connexion/retour", PostLogoutURL: base + "/",
			Scopes: o.Scopes, ACR: o.ACR,
		})
	}
	providers = append(providers, orgProvider(cfg, base, os.Getenv(config.OrgOIDCClientSecretEnv))...)
	if len(providers) == 0 {
		return nil, nil
	}
	// No deadline on ctx: go-oidc keeps it to fetch the provider's keys
	// later; the client's timeout bounds each request.
	return web.NewIdentity(ctx, providers, &http.Client{Timeout: 10 * time.Second})
}

// backup is the embedded store as the API's backup capability, nil (no
// backup route) with another backend: MongoDB is backed up by its own tools.
func backup(s *bolt.Store) api.Backuper {
	if s == nil {
		return nil
	}
	return s
}

// hostID names this process among the replicas holding job leases.
func hostID() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%d", h, os.Getpid(), time.Now().UnixNano())
}
