package api

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/orgs"
	"github.com/parcours/parcours/profiles"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
	// State is the dossier's current state when an action is not allowed in it.
	State string `json:"state,omitempty"`
	// Until is when a cooling-off period ends (purchases after a change
	// of contact or bank details).
	Until *time.Time `json:"until,omitempty"`
}

// ProblemField names one input field at fault.
type ProblemField struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// ProblemTypeBase prefixes problem type URIs; each type is documented at
// that address in the OpenAPI document's description.
const ProblemTypeBase = "https://parcours.example/problems/"

// Errors the HTTP layer raises itself.
var (
	errUnauthenticated = errors.New("a valid bearer token is required")
	errStepUp          = errors.New("a stronger or more recent authentication is required")
	errNotFoundRoute   = errors.New("no such resource")
	errMethod          = errors.New("method not allowed")
	errTooLarge        = errors.New("request body too large")
	errUnsupportedType = errors.New("unsupported media type")
	errRateLimited     = errors.New("too many requests")
	errUnavailable     = errors.New("service unavailable")
)

// errorTable maps errors to statuses and problem types, first match wins.
// It is the only place where an error becomes a status.
var errorTable = []struct {
	err    error
	status int
	slug   string
	title  string
}{
	{marketplace.ErrInvalid, http.StatusBadRequest, "invalid-input", "The request has invalid fields"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too-large", "The request body is too large"},
	{errUnsupportedType, http.StatusUnsupportedMediaType, "unsupported-media-type", "The request body must be application/json"},
	{errUnauthenticated, http.StatusUnauthorized, "unauthenticated", "Authentication required"},
	{errStepUp, http.StatusUnauthorized, "step-up-required", "A stronger or more recent authentication is required"},
	{auth.ErrInvalidToken, http.StatusUnauthorized, "unauthenticated", "Authentication required"},
	{marketplace.ErrForbidden, http.StatusForbidden, "forbidden", "Not allowed"},
	{marketplace.ErrNotFound, http.StatusNotFound, "not-found", "Not found"},
	{profiles.ErrExpired, http.StatusGone, "expired", "The link has expired"},
	{errNotFoundRoute, http.StatusNotFound, "not-found", "Not found"},
	{errMethod, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"},
	{marketplace.ErrIdempotencyMismatch, http.StatusUnprocessableEntity, "idempotency-key-reused", "The Idempotency-Key was used for a different request"},
	{marketplace.ErrInsufficientBalance, http.StatusConflict, "insufficient-balance", "The balance does not cover this"},
	{marketplace.ErrInvalidState, http.StatusConflict, "invalid-state", "Not allowed in the dossier's current state"},
	{marketplace.ErrBadSignature, http.StatusUnauthorized, "bad-signature", "The webhook signature is missing, wrong or too old"},
	{marketplace.ErrConflict, http.StatusConflict, "conflict", "Conflict with the current state"},
	{marketplace.ErrNotPublishable, http.StatusUnprocessableEntity, "not-publishable", "The offer cannot be published"},
	{errRateLimited, http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	{matching.ErrRateLimited, http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	{matching.ErrNotActive, http.StatusConflict, "conflict", "Conflict with the current state"},
	// Organisations and contact details (issue 5).
	{marketplace.ErrCoolingOff, http.StatusConflict, "cooling-off", "Purchases wait after a change of contact or bank details"},
	{orgs.ErrInvitationGone, http.StatusGone, "invitation-gone", "The invitation has expired or has already been used"},
	{orgs.ErrNotMember, http.StatusForbidden, "forbidden", "Not allowed"},
	{errUnavailable, http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
	{marketplace.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
}

// problemFor builds the problem for err; unknown errors are 500s whose
// detail is hidden from the client and logged instead.
func problemFor(err error) Problem {
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			p := Problem{Type: ProblemTypeBase + row.slug, Title: row.title, Status: row.status, Detail: err.Error()}
			var se *marketplace.StateError
			if errors.As(err, &se) {
				p.State = string(se.State)
			}
			var co *marketplace.CoolingOffError
			if errors.As(err, &co) {
				until := co.Until.UTC()
				p.Until = &until
			}
			var v *marketplace.ValidationError
			if errors.As(err, &v) {
				for _, f := range v.Fields {
					p.Errors = append(p.Errors, ProblemField{Field: f.Field, Detail: f.Reason})
				}
			}
			return p
		}
	}
	return Problem{Type: ProblemTypeBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "an unexpected error happened; quote the request_id when reporting it"}
}

// writeProblem sends err as problem+json and records it for the access log.
func writeProblem(c *gin.Context, log *slog.Logger, err error) {
	p := problemFor(err)
	p.Instance = c.Request.URL.Path
	p.RequestID = c.GetString(ctxRequestID)
	if p.Status >= 500 {
		log.ErrorContext(c.Request.Context(), "request failed", "request_id", p.RequestID, "err", err)
	}
	c.Header("Content-Type", "application/problem+json")
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(p.Status, p)
}

// handler adapts a handler that returns an error to Gin: a non-nil error is
// written as a problem, so that no handler writes an error status itself.
func (s *Server) handler(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			writeProblem(c, s.log, err)
		}
	}
}
