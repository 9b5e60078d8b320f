package api

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/matching/recommend"
	"github.com/parcours/parcours/orgs"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/skills"
)

// Pages registers the web pages on the router; package web provides them.
// Pages share the router's middleware (request IDs, logs, rate limits).
type Pages interface {
	Register(r gin.IRouter)
	// NotFound answers a request for no known page with an HTML page.
	NotFound(c *gin.Context)
}

// Backuper writes a consistent snapshot of the store while it runs.
type Backuper interface {
	Backup(w io.Writer) (int64, error)
}

// Deps is what the API needs. Log, Catalogue, Places and Tokens are required.
type Deps struct {
	Log       *slog.Logger
	Catalogue *marketplace.CatalogueService
	Places    *geo.Gazetteer
	Tokens    *auth.Tokens
	// Index answers searches; without it the search endpoint is
	// unavailable (503).
	Index *search.Index
	// Neutrality, when set, publishes the neutrality indicators it measures.
	Neutrality *search.Monitor
	// Ready reports whether the service can serve (store reachable, demo
	// data loaded); nil means always ready.
	Ready func(ctx context.Context) error
	// Graph, when set, enables the skills graph endpoints (occupations,
	// skills, the learner's skills, gap and passerelles).
	Graph skills.Graph
	// Backup, when set, enables the admin backup endpoint.
	Backup Backuper
	// Pages, when set, adds the web pages.
	Pages Pages
	// Enrolment, when set, adds training accounts, dossiers, top-up rules
	// and payment webhooks.
	Enrolment *marketplace.EnrolmentService
	// PaymentSecrets are the webhook signing secrets by payment provider
	// name; WebhookTolerance bounds the age of a signed webhook.
	PaymentSecrets   map[string][]byte
	WebhookTolerance time.Duration
	// StepUp is the authentication a learner needs to move money
	// (acceptance, cancellation, evaluation); the zero value requires none.
	StepUp auth.StepUp
	// Profiles, when set, adds career profiles: the learner's profile and
	// share links, issuers and attestations, the transparency log,
	// verification and the did:web documents.
	Profiles *profiles.Service
	// Demo tells whether demo mode is on.
	Demo bool
	// MaxBodyBytes bounds request bodies; RatePerSecond and RateBurst bound
	// each client address on public endpoints.
	MaxBodyBytes   int64
	RatePerSecond  float64
	RateBurst      int
	TrustedProxies []string
	// PublicURL is the service's public address; https turns HSTS on even
	// when TLS ends at a proxy.
	PublicURL string
	// Orgs, when set, adds the organisations (members, invitations).
	Orgs *orgs.Service
	// Registry receives the service's metrics; nil makes a new one.
	Registry *prometheus.Registry

	// Matching, when set, adds the job matching endpoints.
	Matching *matching.Service
	// Controls, when set, adds the controllers' review queue, text
	// screening, the providers' view of their offers' review, and notes
	// enrolment requests for the fraud detectors.
	Controls *controls.Service
	// Recommendations, when set, serves the training recommendations;
	// Widget checks the keys of the embeddable widget.
	Recommendations *recommend.Service
	Widget          *recommend.Widget
}

// Server is the HTTP API. It is an http.Handler, safe for concurrent use.
type Server struct {
	Deps
	log     *slog.Logger
	engine  *gin.Engine
	limiter *limiter
	metrics *metrics
}

// New builds the router with every route and middleware.
func New(d Deps) (*Server, error) {
	gin.SetMode(gin.ReleaseMode)
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
		d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.RatePerSecond <= 0 {
		d.RatePerSecond, d.RateBurst = 20, 60
	}
	if d.RateBurst < 1 {
		d.RateBurst = max(1, int(math.Ceil(d.RatePerSecond)))
	}
	s := &Server{Deps: d, log: d.Log, engine: gin.New(), metrics: newMetrics(d.Registry)}
	s.limiter = newLimiter(d.RatePerSecond, d.RateBurst, time.Now)
	if err := s.engine.SetTrustedProxies(d.TrustedProxies); err != nil {
		return nil, err
	}
	s.engine.HandleMethodNotAllowed = true
	s.engine.ContextWithFallback = true
	s.engine.Use(s.requestID, s.accessLog, s.recover, s.securityHeaders)
	s.engine.NoRoute(func(c *gin.Context) {
		// People reach unknown addresses from their browser: they get a page.
		if s.Pages != nil && !isMachinePath(c.Request.URL.Path) {
			s.Pages.NotFound(c)
			return
		}
		writeProblem(c, s.log, errNotFoundRoute)
	})
	s.engine.NoMethod(func(c *gin.Context) { writeProblem(c, s.log, errMethod) })
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Routes lists the registered method and path pairs, Gin style (":id").
func (s *Server) Routes() [][2]string {
	var out [][2]string
	for _, r := range s.engine.Routes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}

func (s *Server) routes() {
	r := s.engine
	r.GET("/healthz", s.handler(s.healthz))
	r.GET("/readyz", s.handler(s.readyz))
	// Metrics reveal traffic and internals: only operators (an admin token,
	// e.g. a long-lived one minted for the Prometheus scraper) may read them.
	metrics := gin.WrapH(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	r.GET("/metrics", s.authenticate, s.handler(func(c *gin.Context) error {
		if _, err := requireRole(c, auth.Admin); err != nil {
			return err
		}
		metrics(c)
		return nil
	}))

	v1 := r.Group("/api/v1", s.authenticate, s.rateLimit, s.limitBody)
	v1.GET("/openapi.json", s.openapi)
	v1.GET("/me", s.handler(s.me))

	v1.GET("/providers", s.handler(s.listProviders))
	v1.POST("/providers", s.handler(s.createProvider))
	v1.GET("/providers/:id", s.handler(s.getProvider))
	v1.PUT("/providers/:id", s.handler(s.updateProvider))

	v1.GET("/offers", s.handler(s.listOffers))
	v1.POST("/offers", s.handler(s.createOffer))
	v1.GET("/offers/:id", s.handler(s.getOffer))
	v1.PUT("/offers/:id", s.handler(s.updateOffer))
	v1.DELETE("/offers/:id", s.handler(s.deleteOffer))
	v1.GET("/offers/:id/sessions", s.handler(s.listSessions))
	v1.POST("/offers/:id/sessions", s.handler(s.createSession))
	v1.DELETE("/offers/:id/sessions/:session_id", s.handler(s.deleteSession))

	v1.GET("/search/offers", s.handler(s.searchOffers))
	v1.GET("/transparency/neutrality", s.handler(s.neutrality))

	v1.GET("/communes", s.handler(s.searchCommunes))
	v1.GET("/communes/:insee", s.handler(s.getCommune))
	v1.GET("/regions", s.handler(s.listRegions))

	if s.Graph != nil {
		v1.GET("/occupations/:code", s.handler(s.getOccupation))
		v1.GET("/occupations/:code/trainings", s.handler(s.occupationTrainings))
		v1.GET("/skills/:id/neighbours", s.handler(s.skillNeighbours))
		v1.GET("/me/skills", s.handler(s.mySkills))
		v1.PUT("/me/skills", s.handler(s.putMySkills))
		v1.GET("/me/gap", s.handler(s.myGap))
		v1.GET("/me/passerelles", s.handler(s.myPasserelles))
	}
	if s.Backup != nil {
		v1.POST("/admin/backup", s.handler(s.backup))
	}
	if s.Recommendations != nil {
		s.recommendationRoutes(v1)
	}
	if s.Enrolment != nil {
		s.moneyRoutes(v1)
		s.contactRoutes(v1)
	}
	if s.Orgs != nil {
		s.orgRoutes(v1)
	}
	if s.Matching != nil {
		s.matchingRoutes(v1)
	}
	if s.Controls != nil {
		s.controlsRoutes(v1)
	}
	if s.Profiles != nil {
		s.profileRoutes(r, v1)
	}
	if s.Pages != nil {
		s.Pages.Register(r.Group("/", s.rateLimit))
	}
}

// isMachinePath reports whether a path belongs to the API or the
// operations endpoints rather than to the web pages.
func isMachinePath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/metrics" || p == "/healthz" || p == "/readyz"
}

func (s *Server) healthz(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
	return nil
}

func (s *Server) readyz(c *gin.Context) error {
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			// The cause stays in the logs: it may name internals.
			s.log.WarnContext(ctx, "not ready", "err", err)
			c.Header("Retry-After", "5")
			return errUnavailable
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
	return nil
}
