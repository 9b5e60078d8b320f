package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/ingest"
	"github.com/parcours/parcours/marketplace"
)

// moneyRoutes registers training accounts, dossiers, top-up rules,
// ratings and the payment webhook. Every POST that moves money goes
// through idempotent.
func (s *Server) moneyRoutes(v1 *gin.RouterGroup) {
	v1.POST("/accounts", s.handler(s.openAccount))
	v1.GET("/accounts/:id", s.handler(s.getAccount))
	v1.GET("/accounts/:id/movements", s.handler(s.listMovements))
	v1.GET("/accounts/:id/dossiers", s.handler(s.listAccountDossiers))

	v1.POST("/dossiers", s.idempotent, s.handler(s.requestDossier))
	v1.GET("/dossiers/:id", s.handler(s.getDossier))
	v1.POST("/dossiers/:id/proposal", s.idempotent, s.handler(s.proposeDossier))
	v1.POST("/dossiers/:id/refusal", s.idempotent, s.handler(s.refuseDossier))
	v1.POST("/dossiers/:id/acceptance", s.idempotent, s.handler(s.acceptDossier))
	v1.POST("/dossiers/:id/cancellation", s.idempotent, s.handler(s.cancelDossier))
	v1.POST("/dossiers/:id/entry", s.idempotent, s.handler(s.entryDossier))
	v1.POST("/dossiers/:id/exit", s.idempotent, s.handler(s.exitDossier))
	v1.POST("/dossiers/:id/evaluation", s.idempotent, s.handler(s.evaluateDossier))
	v1.PUT("/dossiers/:id/evaluation/visibility", s.handler(s.moderateEvaluation))
	v1.GET("/providers/:id/dossiers", s.handler(s.listProviderDossiers))

	v1.GET("/offers/:id/ratings", s.handler(s.offerRatings))
	v1.GET("/providers/:id/ratings", s.handler(s.providerRatings))

	v1.GET("/funders/rules", s.handler(s.listRules))
	v1.POST("/funders/rules", s.handler(s.createRule))
	v1.POST("/funders/rules/:id/budget", s.idempotent, s.handler(s.fundRule))

	v1.POST("/admin/employment-declarations", s.handler(s.importDeclarations))
	v1.POST("/payments/webhook/:provider", s.handler(s.paymentWebhook))
}

// party maps a token holder to the enrolment service's notion of who acts.
// A learner token's subject is the account ID; an employer acts as a
// funder (employers top up their employees' accounts).
func party(p auth.Principal) marketplace.Party {
	switch p.Role {
	case auth.Admin:
		return marketplace.Party{Admin: true}
	case auth.Controller:
		return marketplace.Party{Controller: true}
	case auth.Learner:
		return marketplace.Party{AccountID: p.Subject}
	case auth.Provider:
		return marketplace.Party{ProviderID: p.Acting()}
	case auth.Funder, auth.Employer:
		return marketplace.Party{FunderID: p.Acting()}
	}
	return marketplace.Party{}
}

// steppedUp refuses a learner whose authentication is too weak or too old
// to move money from their account (auth.StepUp): accepting a proposal
// spends it, cancelling re-credits it or forfeits fees, evaluating releases
// the payment to the provider. It answers 401 with an RFC 9470 challenge,
// which tells the client to have the learner sign in again at the level
// required. Other roles pass: they act for an accountable organisation.
func (s *Server) steppedUp(c *gin.Context) error {
	p, ok := principal(c)
	if !ok || s.StepUp.Satisfied(p, time.Now()) {
		return nil
	}
	c.Header("WWW-Authenticate", s.StepUp.Challenge())
	return fmt.Errorf("%w: this action needs a sign-in at level %s or above within %s", errStepUp, s.StepUp.ACR, s.StepUp.MaxAge)
}

func (s *Server) who(c *gin.Context) (marketplace.Party, error) {
	p, err := requireRole(c, auth.Roles...)
	if err != nil {
		return marketplace.Party{}, err
	}
	return party(p), nil
}

// AccountInput opens an account.
type AccountInput struct {
	NIR          string `json:"nir"`
	LowQualified bool   `json:"low_qualified"`
	Disabled     bool   `json:"disabled"`
	JobSeeker    bool   `json:"job_seeker"`
}

// AccountOutput is an account with its balance; the NIR is never shown.
type AccountOutput struct {
	ID           string    `json:"id"`
	BalanceCents int64     `json:"balance_cents"`
	LowQualified bool      `json:"low_qualified"`
	Disabled     bool      `json:"disabled"`
	JobSeeker    bool      `json:"job_seeker"`
	CreatedAt    time.Time `json:"created_at"`
}

func accountOutput(a marketplace.AccountView) AccountOutput {
	return AccountOutput{ID: a.ID, BalanceCents: a.BalanceCents, LowQualified: a.LowQualified, Disabled: a.Disabled, JobSeeker: a.JobSeeker, CreatedAt: a.CreatedAt}
}

func (s *Server) openAccount(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	var in AccountInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	a, created, err := s.Enrolment.OpenAccount(c, who, in.NIR, marketplace.Account{LowQualified: in.LowQualified, Disabled: in.Disabled, JobSeeker: in.JobSeeker})
	if err != nil {
		return err
	}
	view, err := s.Enrolment.Account(c, who, a.ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.Header("Location", "/api/v1/accounts/"+a.ID)
	c.JSON(status, accountOutput(view))
	return nil
}

func (s *Server) getAccount(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.Enrolment.Account(c, who, id)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, accountOutput(a))
	return nil
}

// MovementOutput is one ledger entry of an account.
type MovementOutput struct {
	Seq          uint64    `json:"seq"`
	Kind         string    `json:"kind"`
	AmountCents  int64     `json:"amount_cents"`
	BalanceCents int64     `json:"balance_cents"`
	DossierID    string    `json:"dossier_id,omitempty"`
	At           time.Time `json:"at"`
}

// MovementList is a page of movements, newest first.
type MovementList struct {
	Results    []MovementOutput `json:"results"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

func (s *Server) listMovements(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pg, err := page(c)
	if err != nil {
		return err
	}
	es, next, err := s.Enrolment.Movements(c, who, id, pg)
	if err != nil {
		return err
	}
	out := MovementList{Results: make([]MovementOutput, 0, len(es)), NextCursor: next}
	for _, e := range es {
		out.Results = append(out.Results, MovementOutput{Seq: e.Seq, Kind: string(e.Kind), AmountCents: e.Cents, BalanceCents: e.Balance, DossierID: e.DossierID, At: e.At})
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
	return nil
}

// ShareOutput is a part of a dossier's funding.
type ShareOutput struct {
	Kind  string `json:"kind"`
	Cents int64  `json:"cents"`
}

// DossierOutput is a dossier as the API shows it.
type DossierOutput struct {
	ID             string        `json:"id"`
	AccountID      string        `json:"account_id"`
	OfferID        string        `json:"offer_id"`
	SessionID      string        `json:"session_id"`
	ProviderID     string        `json:"provider_id"`
	Title          string        `json:"title"`
	State          string        `json:"state"`
	StateLabel     string        `json:"state_label"`
	Billing        string        `json:"billing"`
	Reason         string        `json:"reason,omitempty"`
	PriceCents     int64         `json:"price_cents"`
	SessionStart   string        `json:"session_start"`
	SessionEnd     string        `json:"session_end"`
	Funding        []ShareOutput `json:"funding"`
	ExternalCents  int64         `json:"external_cents"`
	PaymentID      string        `json:"payment_id,omitempty"`
	CompletionRate int           `json:"completion_rate"`
	ExitReason     string        `json:"exit_reason,omitempty"`
	PaidCents      int64         `json:"paid_cents"`
	NextStep       string        `json:"next_step,omitempty"`
	Deadline       string        `json:"deadline,omitempty"`
	Evaluated      bool          `json:"evaluated"`
	RequestedAt    time.Time     `json:"requested_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	Version        int64         `json:"version"`
	// Hold is set while a control holds the payment to the provider.
	Hold *HoldOutput `json:"hold,omitempty"`
}

// HoldOutput says why a dossier's payment is held, and since when.
type HoldOutput struct {
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
}

func dossierOutput(d marketplace.Dossier) DossierOutput {
	out := DossierOutput{
		ID: d.ID, AccountID: d.AccountID, OfferID: d.OfferID, SessionID: d.SessionID, ProviderID: d.ProviderID, Title: d.Title,
		State: string(d.State), StateLabel: d.State.Label(), Billing: string(d.Billing), Reason: d.Reason, PriceCents: d.PriceCents,
		SessionStart: formatDate(d.SessionStart), SessionEnd: formatDate(d.SessionEnd), Funding: []ShareOutput{},
		ExternalCents: d.ExternalCents, PaymentID: d.PaymentID, CompletionRate: d.CompletionRate, ExitReason: string(d.ExitReason),
		PaidCents: d.PaidCents, NextStep: d.NextStep(), Evaluated: d.Evaluated, RequestedAt: d.RequestedAt, UpdatedAt: d.UpdatedAt, Version: d.Version,
	}
	if !d.Deadline.IsZero() {
		out.Deadline = formatDate(d.Deadline)
	}
	for _, sh := range d.Funding {
		out.Funding = append(out.Funding, ShareOutput{Kind: sh.Kind, Cents: sh.Cents})
	}
	if d.Hold != nil {
		out.Hold = &HoldOutput{Since: d.Hold.At, Reason: d.Hold.Reason}
	}
	return out
}

// DossierList is a page of dossiers in creation order.
type DossierList struct {
	Results    []DossierOutput `json:"results"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

func (s *Server) listDossiers(c *gin.Context, f marketplace.DossierFilter) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	pg, err := page(c)
	if err != nil {
		return err
	}
	f.State = marketplace.DossierState(c.Query("state"))
	ds, next, err := s.Enrolment.Dossiers(c, who, f, pg)
	if err != nil {
		return err
	}
	out := DossierList{Results: make([]DossierOutput, 0, len(ds)), NextCursor: next}
	for _, d := range ds {
		out.Results = append(out.Results, dossierOutput(d))
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) listAccountDossiers(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.listDossiers(c, marketplace.DossierFilter{AccountID: id})
}

func (s *Server) listProviderDossiers(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.listDossiers(c, marketplace.DossierFilter{ProviderID: id})
}

func (s *Server) getDossier(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Enrolment.Dossier(c, who, id)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, dossierOutput(d))
	return nil
}

// DossierRequest asks to enrol in a session of an offer.
type DossierRequest struct {
	OfferID   string `json:"offer_id"`
	SessionID string `json:"session_id"`
}

func (s *Server) requestDossier(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	var in DossierRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := s.Enrolment.Request(c, who, dossierIdem(c, http.StatusCreated), in.OfferID, in.SessionID)
	if err != nil {
		return err
	}
	if s.Controls != nil {
		s.Controls.Note(c, d.AccountID, controls.SignalEnrol, d.OfferID, c.ClientIP(), deviceCookie(c))
	}
	c.Header("Location", "/api/v1/dossiers/"+d.ID)
	writeDossier(c, http.StatusCreated, d)
	return nil
}

// dossierAction runs one transition on the dossier of the path.
func (s *Server) dossierAction(c *gin.Context, body any, act func(who marketplace.Party, idem marketplace.Idem, id string) (marketplace.Dossier, error)) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if body != nil {
		if err := decodeOptionalJSON(c, body); err != nil {
			return err
		}
	}
	d, err := act(who, dossierIdem(c, http.StatusOK), id)
	if err != nil {
		return err
	}
	writeDossier(c, http.StatusOK, d)
	return nil
}

// decodeOptionalJSON decodes a JSON body when there is one.
func decodeOptionalJSON(c *gin.Context, v any) error {
	if c.Request.ContentLength == 0 && c.GetHeader("Content-Type") == "" {
		return nil
	}
	return decodeJSON(c, v)
}

// ProposalInput is the provider's proposal; both fields are optional.
type ProposalInput struct {
	PriceCents int64  `json:"price_cents"`
	SessionID  string `json:"session_id"`
}

func (s *Server) proposeDossier(c *gin.Context) error {
	var in ProposalInput
	return s.dossierAction(c, &in, func(who marketplace.Party, idem marketplace.Idem, id string) (marketplace.Dossier, error) {
		return s.Enrolment.Propose(c, who, idem, id, in.PriceCents, in.SessionID)
	})
}

func (s *Server) refuseDossier(c *gin.Context) error {
	return s.dossierAction(c, nil, func(who marketplace.Party, idem marketplace.Idem, id string) (marketplace.Dossier, error) {
		return s.Enrolment.Refuse(c, who, idem, id)
	})
}

// AcceptanceInput is the learner's acceptance.
type AcceptanceInput struct {
	// AcceptRemainder agrees to pay outside what the account and top-ups
	// do not cover beyond the co-payment.
	AcceptRemainder bool `json:"accept_remainder"`
}

func (s *Server) acceptDossier(c *gin.Context) error {
	if err := s.steppedUp(c); err != nil {
		return err
	}
	var in AcceptanceInput
	return s.dossierAction(c, &in, func(who marketplace.Party, idem marketplace.Idem, id string) (marketplace.Dossier, error) {
		return s.Enrolment.Accept(c, who, idem, id, in.AcceptRemainder)
	})
}

// CancellationInput gives a cancellation's reason.
type CancellationInput struct {
	Reason string `json:"reason"`
}

func (s *Server) cancelDossier(c *gin.Context) error {
	if err := s.steppedUp(c); err != nil {
		return err
	}
	var in CancellationInput
	return s.dossierAction(c, &in, func(who marketplace.Party, idem marketplace.Idem, id string) (marketplace.Dossier, error) {
		return s.Enrolment.Cancel(c, who, idem, id, in.Reason)
	})
}

func (s *Server) entryDossier(c *gin.Context) error {
	return s.dossierAction(c, nil, func(who marketplace.Party, idem marketplace.Idem, id string) (marketplace.Dossier, error) {
		return s.Enrolment.DeclareEntry(c, who, idem, id)
	})
}

// ExitInput declares the end of a training.
type ExitInput struct {
	CompletionRate *int   `json:"completion_rate"`
	Reason         string `json:"reason"`
}

func (s *Server) exitDossier(c *gin.Context) error {
	var in ExitInput
	return s.dossierAction(c, &in, func(who marketplace.Party, idem marketplace.Idem, id string) (marketplace.Dossier, error) {
		if in.CompletionRate == nil {
			return marketplace.Dossier{}, invalid("completion_rate", "is required: a percentage from 0 to 100")
		}
		return s.Enrolment.DeclareExit(c, who, idem, id, *in.CompletionRate, marketplace.ExitReason(in.Reason))
	})
}

// EvaluationInput is a learner's evaluation, scores from 1 to 5.
type EvaluationInput struct {
	Reception int    `json:"reception"`
	Content   int    `json:"content"`
	Trainers  int    `json:"trainers"`
	Resources int    `json:"resources"`
	Support   int    `json:"support"`
	Overall   int    `json:"overall"`
	Comment   string `json:"comment"`
}

func (s *Server) evaluateDossier(c *gin.Context) error {
	if err := s.steppedUp(c); err != nil {
		return err
	}
	var in EvaluationInput
	return s.dossierAction(c, &in, func(who marketplace.Party, idem marketplace.Idem, id string) (marketplace.Dossier, error) {
		return s.Enrolment.Evaluate(c, who, idem, id, marketplace.Evaluation{
			Scores: [6]int{in.Reception, in.Content, in.Trainers, in.Resources, in.Support, in.Overall}, Comment: in.Comment})
	})
}

// VisibilityInput hides or shows an evaluation's comment.
type VisibilityInput struct {
	CommentHidden bool `json:"comment_hidden"`
}

func (s *Server) moderateEvaluation(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in VisibilityInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := s.Enrolment.SetCommentHidden(c, who, id, in.CommentHidden); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// RatingsOutput sums the evaluations of an offer or a provider.
type RatingsOutput struct {
	Count    int                `json:"count"`
	Averages map[string]float64 `json:"averages"`
	Comments []CommentOutput    `json:"comments"`
}

// CommentOutput is a visible comment of an evaluation.
type CommentOutput struct {
	Overall int       `json:"overall"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

func ratingsOutput(r marketplace.Ratings, evals []marketplace.Evaluation) RatingsOutput {
	out := RatingsOutput{Count: r.Count, Averages: map[string]float64{}, Comments: []CommentOutput{}}
	for i, name := range marketplace.Criteria {
		out.Averages[name] = float64(int(r.Average(i)*100+0.5)) / 100
	}
	for _, e := range evals {
		if e.Comment != "" && !e.CommentHidden {
			out.Comments = append(out.Comments, CommentOutput{Overall: e.Scores[5], Comment: e.Comment, At: e.At})
		}
	}
	return out
}

func (s *Server) offerRatings(c *gin.Context) error {
	o, err := s.visibleOffer(c)
	if err != nil {
		return err
	}
	r, err := s.Enrolment.Store().Ratings(c, "offer:"+o.ID)
	if err != nil {
		return err
	}
	evals, err := s.Enrolment.Store().Evaluations(c, o.ID, 20)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ratingsOutput(r, evals))
	return nil
}

func (s *Server) providerRatings(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Catalogue.Store().Provider(c, id); err != nil {
		return err
	}
	r, err := s.Enrolment.Store().Ratings(c, "provider:"+id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ratingsOutput(r, nil))
	return nil
}

// RuleInput is a funder's top-up rule.
type RuleInput struct {
	Name            string   `json:"name"`
	FunderKind      string   `json:"funder_kind"`
	Percent         int      `json:"percent"`
	CapCents        int64    `json:"cap_cents"`
	JobSeekersOnly  bool     `json:"job_seekers_only"`
	MaxBalanceCents int64    `json:"max_balance_cents"`
	Certifications  []string `json:"certifications"`
}

// RuleOutput is a rule with its budget.
type RuleOutput struct {
	ID              string    `json:"id"`
	FunderID        string    `json:"funder_id"`
	Name            string    `json:"name"`
	FunderKind      string    `json:"funder_kind"`
	Percent         int       `json:"percent"`
	CapCents        int64     `json:"cap_cents"`
	JobSeekersOnly  bool      `json:"job_seekers_only"`
	MaxBalanceCents int64     `json:"max_balance_cents"`
	Certifications  []string  `json:"certifications"`
	Active          bool      `json:"active"`
	BudgetCents     int64     `json:"budget_cents"`
	CreatedAt       time.Time `json:"created_at"`
}

// RuleList is a funder's rules.
type RuleList struct {
	Results []RuleOutput `json:"results"`
}

func ruleOutput(r marketplace.RuleView) RuleOutput {
	certs := r.Certifications
	if certs == nil {
		certs = []string{}
	}
	return RuleOutput{ID: r.ID, FunderID: r.FunderID, Name: r.Name, FunderKind: string(r.FunderKind), Percent: r.Percent, CapCents: r.CapCents,
		JobSeekersOnly: r.JobSeekersOnly, MaxBalanceCents: r.MaxBalanceCents, Certifications: certs, Active: r.Active, BudgetCents: r.BudgetCents, CreatedAt: r.CreatedAt}
}

func (s *Server) createRule(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	var in RuleInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.Enrolment.CreateRule(c, who, marketplace.TopUpRule{Name: in.Name, FunderKind: marketplace.FunderKind(in.FunderKind), Percent: in.Percent,
		CapCents: in.CapCents, JobSeekersOnly: in.JobSeekersOnly, MaxBalanceCents: in.MaxBalanceCents, Certifications: in.Certifications})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, ruleOutput(marketplace.RuleView{TopUpRule: r}))
	return nil
}

func (s *Server) listRules(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	rules, err := s.Enrolment.Rules(c, who)
	if err != nil {
		return err
	}
	out := RuleList{Results: make([]RuleOutput, 0, len(rules))}
	for _, r := range rules {
		out.Results = append(out.Results, ruleOutput(r))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// BudgetInput funds a rule's budget.
type BudgetInput struct {
	AmountCents int64 `json:"amount_cents"`
}

func (s *Server) fundRule(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in BudgetInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.Enrolment.FundBudget(c, who, idemOf(c), id, in.AmountCents)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ruleOutput(r))
	return nil
}

// DeclarationsInput is an employment declarations file, as CSV text in
// the format of docs/employment-declarations.md.
type DeclarationsInput struct {
	CSV string `json:"csv"`
}

// ImportOutput counts what an import did.
type ImportOutput struct {
	Declarations    int `json:"declarations"`
	AccountsCreated int `json:"accounts_created"`
}

func (s *Server) importDeclarations(c *gin.Context) error {
	who, err := s.who(c)
	if err != nil {
		return err
	}
	if !who.Admin {
		return fmt.Errorf("importing declarations: %w", marketplace.ErrForbidden)
	}
	var in DeclarationsInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	rows, err := ingest.ParseEmployment(strings.NewReader(in.CSV))
	if err != nil {
		return invalid("csv", "%s", err.Error())
	}
	res, err := s.Enrolment.ImportDeclarations(c, who, rows)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ImportOutput{Declarations: res.Declarations, AccountsCreated: res.AccountsCreated})
	return nil
}

// WebhookHeader carries a payment webhook's signature.
const WebhookHeader = "Parcours-Signature"

// PaymentEvent is what a payment provider posts to the webhook.
type PaymentEvent struct {
	ID          string `json:"id"`
	Type        string `json:"type"` // payment.succeeded; other types are acknowledged and ignored
	PaymentID   string `json:"payment_id"`
	AmountCents int64  `json:"amount_cents"`
}

// WebhookOutput acknowledges a webhook.
type WebhookOutput struct {
	Status string `json:"status"` // processed or ignored
}

func (s *Server) paymentWebhook(c *gin.Context) error {
	name := c.Param("provider")
	secret, ok := s.PaymentSecrets[name]
	if !ok || len(secret) == 0 {
		return fmt.Errorf("payment provider %q: %w", name, marketplace.ErrNotFound)
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return decodeError(err)
	}
	tolerance := s.WebhookTolerance
	if tolerance <= 0 {
		tolerance = 5 * time.Minute
	}
	if err := marketplace.VerifyWebhook(secret, c.GetHeader(WebhookHeader), body, time.Now(), tolerance); err != nil {
		c.Header("WWW-Authenticate", WebhookHeader)
		return err
	}
	var ev PaymentEvent
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return decodeError(err)
	}
	if ev.ID == "" || len(ev.ID) > 200 {
		return invalid("id", "is required: the event's unique identifier")
	}
	if ev.Type != "payment.succeeded" {
		c.JSON(http.StatusOK, WebhookOutput{Status: "ignored"})
		return nil
	}
	_, err = s.Enrolment.ConfirmPayment(c, "webhook:"+name+":"+ev.ID, name, ev.PaymentID, ev.AmountCents)
	if errors.Is(err, marketplace.ErrIdempotencyMismatch) {
		return fmt.Errorf("event %s was already received with other content: %w", ev.ID, err)
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, WebhookOutput{Status: "processed"})
	return nil
}
