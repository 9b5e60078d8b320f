package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// Context keys set by the middleware.
const (
	ctxRequestID = "request_id"
	ctxPrincipal = "principal"
)

// requestID takes a sane X-Request-ID from the client or makes one, and
// echoes it in the response.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if len(id) == 0 || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) {
		var b [12]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

// accessLog writes one structured line per request and feeds the metrics.
// It logs the route pattern and status, never bodies or query strings,
// which may hold personal data.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	s.metrics.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(c.Request.Method, route).Observe(elapsed.Seconds())
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(c.Request.Context(), level, "http",
		slog.String("request_id", c.GetString(ctxRequestID)),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int("bytes", c.Writer.Size()),
		slog.Duration("duration", elapsed),
		slog.String("client", c.ClientIP()),
	)
}

// recover turns a panic into a 500 problem instead of a dropped connection.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			writeProblem(c, s.log, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Next()
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	// HSTS only when browsers reached the service over TLS: over plain
	// HTTP it would be ignored, and on a local run it would pin localhost.
	if c.Request.TLS != nil || strings.HasPrefix(s.PublicURL, "https://") {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	c.Next()
}

// authenticate reads an optional bearer token. A present but invalid token
// is refused at once rather than treated as anonymous, so that a client
// with an expired token learns it. A refused token earns no exemption from
// the rate limit: it is charged like an anonymous request, so that
// guessing tokens is throttled.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	if h == "" {
		c.Next()
		return
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		if s.throttled(c) {
			return
		}
		c.Header("WWW-Authenticate", `Bearer error="invalid_request"`)
		writeProblem(c, s.log, fmt.Errorf("%w: the Authorization header must be \"Bearer <token>\"", auth.ErrInvalidToken))
		return
	}
	p, err := s.Tokens.Verify(strings.TrimSpace(token))
	if err != nil {
		if s.throttled(c) {
			return
		}
		c.Header("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeProblem(c, s.log, err)
		return
	}
	c.Set(ctxPrincipal, p)
	c.Next()
}

// principal returns the request's verified token holder, if any.
func principal(c *gin.Context) (auth.Principal, bool) {
	v, ok := c.Get(ctxPrincipal)
	if !ok {
		return auth.Principal{}, false
	}
	return v.(auth.Principal), true
}

// requireRole returns the principal if it has one of the roles.
func requireRole(c *gin.Context, roles ...auth.Role) (auth.Principal, error) {
	p, ok := principal(c)
	if !ok {
		c.Header("WWW-Authenticate", `Bearer`)
		return auth.Principal{}, errUnauthenticated
	}
	for _, r := range roles {
		if p.Role == r {
			return p, nil
		}
	}
	return auth.Principal{}, fmt.Errorf("role %s may not do this: %w", p.Role, marketplace.ErrForbidden)
}

// limitBody caps the request body; the JSON decoder reports an overflow as errTooLarge.
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.MaxBodyBytes {
		writeProblem(c, s.log, fmt.Errorf("%w: %d bytes, at most %d", errTooLarge, c.Request.ContentLength, s.MaxBodyBytes))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.MaxBodyBytes)
	c.Next()
}

// rateLimit bounds anonymous clients by address. Authenticated clients are
// accountable through their token and are not limited here.
func (s *Server) rateLimit(c *gin.Context) {
	if _, ok := principal(c); ok {
		c.Next()
		return
	}
	if s.throttled(c) {
		return
	}
	c.Next()
}

// throttled takes a token from the client address's bucket, or answers 429
// with Retry-After and reports true.
func (s *Server) throttled(c *gin.Context) bool {
	wait, ok := s.limiter.allow(c.ClientIP())
	if ok {
		return false
	}
	c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeProblem(c, s.log, fmt.Errorf("%w: retry in %s", errRateLimited, wait.Round(time.Millisecond)))
	return true
}

// limiter is a token bucket per client address. Idle buckets are dropped
// so that memory stays bounded by the clients of the last minutes.
type limiter struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	now     func() time.Time
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSec float64, burst int, now func() time.Time) *limiter {
	return &limiter{perSec: rate.Limit(perSec), burst: burst, now: now, buckets: map[string]*bucket{}, swept: now()}
}

// allow takes a token for key, or tells how long to wait for one.
func (l *limiter) allow(key string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 5*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.perSec, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parcours_http_requests_total", Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parcours_http_request_duration_seconds", Help: "HTTP request latency by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}
