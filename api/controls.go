package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

// controlsRoutes registers the controllers' review queue, the screening of
// texts before publication and a provider's view of its offer's review.
func (s *Server) controlsRoutes(v1 *gin.RouterGroup) {
	v1.GET("/controls/alerts", s.handler(s.listAlerts))
	v1.GET("/controls/alerts/:id", s.handler(s.getAlert))
	v1.POST("/controls/alerts/:id/actions", s.handler(s.actOnAlert))
	v1.POST("/controls/screenings", s.handler(s.screenText))
	v1.GET("/offers/:id/review", s.handler(s.offerReview))
}

// reviewer is the request's controller (or administrator).
func reviewer(c *gin.Context) (controls.Reviewer, error) {
	p, err := requireRole(c, auth.Controller, auth.Admin)
	if err != nil {
		return controls.Reviewer{}, err
	}
	return controls.Reviewer{ID: string(p.Role) + ":" + p.Subject, Controller: true}, nil
}

// EvidenceOutput is one fact an alert rests on.
type EvidenceOutput struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// AlertOutput is an alert as the queue shows it.
type AlertOutput struct {
	ID            string             `json:"id"`
	Detector      string             `json:"detector"`
	DetectorLabel string             `json:"detector_label"`
	Score         float64            `json:"score"`
	Status        string             `json:"status"`
	Reasons       []string           `json:"reasons"`
	Evidence      []EvidenceOutput   `json:"evidence"`
	Findings      []controls.Finding `json:"findings"`
	DossierID     string             `json:"dossier_id,omitempty"`
	OfferID       string             `json:"offer_id,omitempty"`
	ProviderID    string             `json:"provider_id,omitempty"`
	AccountID     string             `json:"account_id,omitempty"`
	JobPostID     string             `json:"job_post_id,omitempty"`
	PaymentHeld   bool               `json:"payment_held"`
	OfferHeld     bool               `json:"offer_held"`
	Source        string             `json:"source"`
	CreatedAt     time.Time          `json:"created_at"`
	UpdatedAt     time.Time          `json:"updated_at"`
}

func alertOutput(a controls.Alert) AlertOutput {
	out := AlertOutput{ID: a.ID, Detector: a.Detector, DetectorLabel: controls.DetectorLabel(a.Detector), Score: a.Score,
		Status: string(a.Status), Reasons: a.Reasons, Evidence: []EvidenceOutput{}, Findings: a.Findings,
		DossierID: a.DossierID, OfferID: a.OfferID, ProviderID: a.ProviderID, AccountID: a.AccountID, JobPostID: a.JobPostID,
		PaymentHeld: a.PaymentHeld, OfferHeld: a.OfferHeld, Source: a.Source, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	if out.Findings == nil {
		out.Findings = []controls.Finding{}
	}
	for _, e := range a.Evidence {
		out.Evidence = append(out.Evidence, EvidenceOutput(e))
	}
	return out
}

// AlertList is a page of the queue, highest score first.
type AlertList struct {
	Alerts     []AlertOutput `json:"alerts"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

func (s *Server) listAlerts(c *gin.Context) error {
	who, err := reviewer(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", marketplace.DefaultPageSize, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	f := controls.AlertFilter{Status: controls.Status(c.DefaultQuery("status", string(controls.Open))), Detector: c.Query("detector"),
		ProviderID: c.Query("provider_id"), AccountID: c.Query("account_id"), OfferID: c.Query("offer_id")}
	if f.Status == "any" {
		f.Status = ""
	}
	list, next, err := s.Controls.Queue(c, who, f, marketplace.Page{After: c.Query("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	out := AlertList{Alerts: []AlertOutput{}, NextCursor: next}
	for _, a := range list {
		out.Alerts = append(out.Alerts, alertOutput(a))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// ActionOutput is one entry of an alert's audit trail.
type ActionOutput struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Label       string    `json:"label"`
	Actor       string    `json:"actor"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
	AmountCents int64     `json:"amount_cents,omitempty"`
}

func actionOutput(a controls.Action) ActionOutput {
	return ActionOutput{ID: a.ID, Kind: string(a.Kind), Label: a.Kind.Label(), Actor: a.Actor, Reason: a.Reason, At: a.At, AmountCents: a.AmountCents}
}

// AlertDetail is an alert with its audit trail and the history of its
// provider and account.
type AlertDetail struct {
	Alert             AlertOutput    `json:"alert"`
	Actions           []ActionOutput `json:"actions"`
	ProviderHistory   []AlertOutput  `json:"provider_history"`
	AccountHistory    []AlertOutput  `json:"account_history"`
	Dossier           *DossierOutput `json:"dossier,omitempty"`
	ProviderSuspended bool           `json:"provider_suspended"`
	JobPost           *JobPostOutput `json:"job_post,omitempty"`
}

// JobPostOutput is the job post an alert is about, as it stands now: its
// text, which the alert's findings quote.
type JobPostOutput struct {
	ID            string    `json:"id"`
	EmployerSIRET string    `json:"employer_siret"`
	EmployerName  string    `json:"employer_name,omitempty"`
	Title         string    `json:"title"`
	Description   string    `json:"description"`
	Status        string    `json:"status"`
	Held          bool      `json:"held"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func (s *Server) getAlert(c *gin.Context) error {
	who, err := reviewer(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.Controls.View(c, who, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, alertDetail(v))
	return nil
}

func alertDetail(v controls.AlertView) AlertDetail {
	out := AlertDetail{Alert: alertOutput(v.Alert), Actions: []ActionOutput{}, ProviderHistory: []AlertOutput{}, AccountHistory: []AlertOutput{},
		ProviderSuspended: v.Suspension != nil}
	for _, a := range v.Actions {
		out.Actions = append(out.Actions, actionOutput(a))
	}
	for _, a := range v.ProviderHistory {
		out.ProviderHistory = append(out.ProviderHistory, alertOutput(a))
	}
	for _, a := range v.AccountHistory {
		out.AccountHistory = append(out.AccountHistory, alertOutput(a))
	}
	if v.Dossier != nil {
		d := dossierOutput(*v.Dossier)
		out.Dossier = &d
	}
	if p := v.JobPost; p != nil {
		out.JobPost = &JobPostOutput{ID: p.ID, EmployerSIRET: p.EmployerSIRET, EmployerName: p.EmployerName, Title: p.Title,
			Description: p.Description, Status: p.Status, Held: p.Held, UpdatedAt: p.UpdatedAt}
	}
	return out
}

// ActionInput is a controller's decision on an alert.
type ActionInput struct {
	Kind        string `json:"kind"`
	Reason      string `json:"reason"`
	AmountCents int64  `json:"amount_cents"`
}

// ActionResult is the alert after a decision, and the decision as audited.
type ActionResult struct {
	Alert  AlertOutput  `json:"alert"`
	Action ActionOutput `json:"action"`
}

func (s *Server) actOnAlert(c *gin.Context) error {
	who, err := reviewer(c)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in ActionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	a, act, err := s.Controls.Act(c, who, id, controls.ActRequest{Kind: controls.ActionKind(in.Kind), Reason: in.Reason, AmountCents: in.AmountCents})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ActionResult{Alert: alertOutput(a), Action: actionOutput(act)})
	return nil
}

// ScreeningInput is a text to screen before publication.
type ScreeningInput struct {
	Kind          string            `json:"kind"`
	Fields        map[string]string `json:"fields"`
	Certification string            `json:"certification"`
}

// maxScreenRunes bounds the text of one screening.
const maxScreenRunes = 20000

func (s *Server) screenText(c *gin.Context) error {
	if _, err := requireRole(c, auth.Provider, auth.Employer, auth.Controller, auth.Admin); err != nil {
		return err
	}
	var in ScreeningInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var v marketplace.ValidationError
	if in.Kind != controls.KindOffer && in.Kind != controls.KindJobPost {
		v.Add("kind", "must be training_offer or job_post")
	}
	total := 0
	for k, t := range in.Fields {
		total += len([]rune(t))
		if k == "" || len(k) > 50 {
			v.Add("fields", "field names must have 1 to 50 characters")
		}
	}
	if len(in.Fields) == 0 {
		v.Add("fields", "at least one field is required")
	} else if total > maxScreenRunes {
		v.Add("fields", "the texts must total at most %d characters", maxScreenRunes)
	}
	if err := v.Err(); err != nil {
		return err
	}
	// A screening asked through the API is advice to its author: it opens
	// no alert (no Ref); the publication itself is screened again.
	sc, err := s.Controls.Screen(c, controls.Text{Kind: in.Kind, Fields: in.Fields, Certification: in.Certification})
	if err != nil {
		return err
	}
	if sc.Findings == nil {
		sc.Findings = []controls.Finding{}
	}
	c.JSON(http.StatusOK, sc)
	return nil
}

// OfferReviewOutput tells a provider where its offer stands with the
// controls and why.
type OfferReviewOutput struct {
	OfferID string        `json:"offer_id"`
	Status  string        `json:"status"`
	Alerts  []AlertOutput `json:"alerts"`
}

func (s *Server) offerReview(c *gin.Context) error {
	p, err := requireRole(c, auth.Provider, auth.Controller, auth.Admin)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	provider := ""
	if p.Role == auth.Provider {
		provider = p.Subject
	}
	o, alerts, err := s.Controls.OfferReview(c, provider, p.Role != auth.Provider, id)
	if err != nil {
		return err
	}
	out := OfferReviewOutput{OfferID: o.ID, Status: string(o.Status), Alerts: []AlertOutput{}}
	for _, a := range alerts {
		ao := alertOutput(a)
		if p.Role == auth.Provider {
			// A provider sees the findings and reasons, not the internal
			// scores' evidence.
			ao.Evidence = []EvidenceOutput{}
		}
		out.Alerts = append(out.Alerts, ao)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// deviceCookie is the browser's device cookie (set by the web sign-in),
// "" for other clients.
func deviceCookie(c *gin.Context) string {
	v, err := c.Cookie("parcours_device")
	if err != nil {
		return ""
	}
	return v
}
