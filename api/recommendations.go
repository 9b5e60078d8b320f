package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/matching/recommend"
)

// ReasonWire is one reason a training is recommended: a French sentence
// and the figures it states.
type ReasonWire struct {
	Source     string `json:"source"`
	Text       string `json:"text"`
	People     int    `json:"people,omitempty"`
	Covered    int    `json:"covered_skills,omitempty"`
	Missing    int    `json:"missing_skills,omitempty"`
	Occupation string `json:"occupation,omitempty"`
	RatePerMil int    `json:"return_rate_per_mil,omitempty"`
	Area       string `json:"area,omitempty"`
	Hires      int    `json:"planned_hires,omitempty"`
}

// RecommendedTraining is one recommended offer.
type RecommendedTraining struct {
	OfferID string       `json:"offer_id"`
	Title   string       `json:"title"`
	Score   float64      `json:"score"`
	Reasons []ReasonWire `json:"reasons"`
}

// RecommendationsOutput is a learner's recommended trainings.
type RecommendationsOutput struct {
	Items      []RecommendedTraining `json:"items"`
	ComputedAt time.Time             `json:"computed_at"`
	Model      string                `json:"model,omitempty"`
}

// WidgetTrainingsOutput is what the widget shows an anonymous visitor.
type WidgetTrainingsOutput struct {
	Items []RecommendedTraining `json:"items"`
}

// RecommendationPreferences are a learner's targets, commune and consent.
type RecommendationPreferences struct {
	Targets      []string   `json:"targets"`
	Commune      string     `json:"commune"`
	ViewsConsent bool       `json:"views_consent"`
	Views        int        `json:"views_recorded"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

// RecommendationPreferencesInput replaces a learner's preferences.
type RecommendationPreferencesInput struct {
	Targets      []string `json:"targets"`
	Commune      string   `json:"commune"`
	ViewsConsent *bool    `json:"views_consent"`
}

// ViewInput reports a viewed offer.
type ViewInput struct {
	OfferID string `json:"offer_id"`
}

// ViewOutput tells whether the view was recorded (only with consent).
type ViewOutput struct {
	Recorded bool `json:"recorded"`
}

// WidgetKeyWire is a widget key as administrators see it.
type WidgetKeyWire struct {
	ID        string     `json:"id"`
	Site      string     `json:"site"`
	Origins   []string   `json:"origins"`
	PerMinute int        `json:"per_minute"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// WidgetKeyInput issues a widget key.
type WidgetKeyInput struct {
	Site      string   `json:"site"`
	Origins   []string `json:"origins"`
	PerMinute int      `json:"per_minute"`
}

// WidgetKeysOutput lists the widget keys.
type WidgetKeysOutput struct {
	Keys []WidgetKeyWire `json:"keys"`
}

func (s *Server) recommendationRoutes(v1 gin.IRouter) {
	v1.GET("/recommendations/trainings", s.handler(s.myRecommendations))
	v1.GET("/me/recommendation-preferences", s.handler(s.myRecommendationPreferences))
	v1.PUT("/me/recommendation-preferences", s.handler(s.putRecommendationPreferences))
	v1.POST("/me/viewed-offers", s.handler(s.viewedOffer))
	if s.Widget != nil {
		v1.GET("/widget/trainings", s.handler(s.widgetTrainings))
		v1.GET("/admin/widget-keys", s.handler(s.listWidgetKeys))
		v1.POST("/admin/widget-keys", s.handler(s.createWidgetKey))
		v1.DELETE("/admin/widget-keys/:id", s.handler(s.revokeWidgetKey))
	}
}

func itemsWire(items []recommend.Item) []RecommendedTraining {
	out := make([]RecommendedTraining, 0, len(items))
	for _, it := range items {
		w := RecommendedTraining{OfferID: it.Offer, Title: it.Title, Score: it.Score, Reasons: []ReasonWire{}}
		for _, r := range it.Reasons {
			w.Reasons = append(w.Reasons, ReasonWire{Source: string(r.Source), Text: r.Text, People: r.People, Covered: r.Covered,
				Missing: r.Missing, Occupation: r.Occupation, RatePerMil: r.RatePerMil, Area: r.Area, Hires: r.Hires})
		}
		out = append(out, w)
	}
	return out
}

func (s *Server) myRecommendations(c *gin.Context) error {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return err
	}
	r, err := s.Recommendations.ForAccount(c, p.Subject)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "private, no-store")
	c.JSON(http.StatusOK, RecommendationsOutput{Items: itemsWire(r.Items), ComputedAt: r.ComputedAt, Model: r.Model})
	return nil
}

func prefsWire(p recommend.Preferences) RecommendationPreferences {
	out := RecommendationPreferences{Targets: p.Targets, Commune: p.Commune, ViewsConsent: p.ViewsConsent, Views: len(p.Views)}
	if out.Targets == nil {
		out.Targets = []string{}
	}
	if !p.UpdatedAt.IsZero() {
		out.UpdatedAt = &p.UpdatedAt
	}
	return out
}

func (s *Server) myRecommendationPreferences(c *gin.Context) error {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return err
	}
	prefs, err := s.Recommendations.Preferences(c, p.Subject)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, prefsWire(prefs))
	return nil
}

func (s *Server) putRecommendationPreferences(c *gin.Context) error {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return err
	}
	var in RecommendationPreferencesInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Targets == nil {
		return invalid("targets", "is required (an empty list clears the targets)")
	}
	if in.ViewsConsent == nil {
		return invalid("views_consent", "is required: true to let your page views refine your recommendations")
	}
	prefs, err := s.Recommendations.SetPreferences(c, recommend.Preferences{Account: p.Subject, Targets: in.Targets, Commune: in.Commune, ViewsConsent: *in.ViewsConsent})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, prefsWire(prefs))
	return nil
}

func (s *Server) viewedOffer(c *gin.Context) error {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return err
	}
	var in ViewInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.OfferID == "" {
		return invalid("offer_id", "is required")
	}
	ok, err := s.Recommendations.RecordView(c, p.Subject, in.OfferID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ViewOutput{Recorded: ok})
	return nil
}

// widgetTrainings serves the widget's anonymous context to the pages of
// the key's allowed origins: CORS is granted to those origins only.
func (s *Server) widgetTrainings(c *gin.Context) error {
	origin := c.GetHeader("Origin")
	if _, err := s.Widget.Authorize(c, c.Query("key"), origin); err != nil {
		if errors.Is(err, recommend.ErrRateLimited) {
			c.Header("Retry-After", "60")
			return fmt.Errorf("%w: %v", errRateLimited, err)
		}
		return err
	}
	limit := 5
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 20 {
			return invalid("limit", "must be from 1 to 20")
		}
		limit = n
	}
	commune := c.Query("commune")
	if commune != "" {
		if _, ok := s.Places.Commune(commune); !ok {
			return invalid("commune", "unknown INSEE commune code %q", commune)
		}
	}
	occupation := c.Query("occupation")
	if occupation != "" && s.Graph != nil {
		if _, err := s.Graph.Occupation(c, occupation); err != nil {
			return invalid("occupation", "unknown occupation %q", occupation)
		}
	}
	items, err := s.Recommendations.ForContext(c, occupation, commune, c.ClientIP(), limit)
	if err != nil {
		return err
	}
	if origin != "" {
		c.Header("Access-Control-Allow-Origin", origin)
	}
	c.Header("Vary", "Origin")
	c.Header("Cache-Control", "private, max-age=300")
	c.JSON(http.StatusOK, WidgetTrainingsOutput{Items: itemsWire(items)})
	return nil
}

func keyWire(k recommend.WidgetKey) WidgetKeyWire {
	w := WidgetKeyWire{ID: k.ID, Site: k.Site, Origins: k.Origins, PerMinute: k.PerMinute, CreatedAt: k.CreatedAt}
	if k.Revoked() {
		w.RevokedAt = &k.RevokedAt
	}
	return w
}

func (s *Server) listWidgetKeys(c *gin.Context) error {
	if _, err := requireRole(c, auth.Admin); err != nil {
		return err
	}
	keys, err := s.Widget.Keys(c)
	if err != nil {
		return err
	}
	out := WidgetKeysOutput{Keys: []WidgetKeyWire{}}
	for _, k := range keys {
		out.Keys = append(out.Keys, keyWire(k))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) createWidgetKey(c *gin.Context) error {
	if _, err := requireRole(c, auth.Admin); err != nil {
		return err
	}
	var in WidgetKeyInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	k, err := s.Widget.Issue(c, recommend.NewKeyInput{Site: in.Site, Origins: in.Origins, PerMinute: in.PerMinute})
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/admin/widget-keys/"+k.ID)
	c.JSON(http.StatusCreated, keyWire(k))
	return nil
}

func (s *Server) revokeWidgetKey(c *gin.Context) error {
	if _, err := requireRole(c, auth.Admin); err != nil {
		return err
	}
	k, err := s.Widget.Revoke(c, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, keyWire(k))
	return nil
}
