package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// CertificationWire is the certification an offer leads to.
type CertificationWire struct {
	Code  string `json:"code"`
	Kind  string `json:"kind,omitempty"` // output only: RNCP or RS, from the code
	Title string `json:"title,omitempty"`
	Level int    `json:"level,omitempty"`
}

// OfferInput is the body of offer creation and replacement.
type OfferInput struct {
	ProviderID    string            `json:"provider_id"`
	Certification CertificationWire `json:"certification"`
	Title         string            `json:"title"`
	Description   string            `json:"description"`
	Objectives    string            `json:"objectives"`
	Skills        []string          `json:"skills"`
	PriceCents    int64             `json:"price_cents"`
	Hours         int               `json:"hours"`
	Modality      string            `json:"modality"`
	Commune       string            `json:"commune"`
	Status        string            `json:"status"`
}

// Location is a point in WGS84 degrees.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// OfferOutput is an offer as the API shows it.
type OfferOutput struct {
	ID            string            `json:"id"`
	ProviderID    string            `json:"provider_id"`
	Certification CertificationWire `json:"certification"`
	Title         string            `json:"title"`
	Description   string            `json:"description,omitempty"`
	Objectives    string            `json:"objectives,omitempty"`
	Skills        []string          `json:"skills"`
	PriceCents    int64             `json:"price_cents"`
	Hours         int               `json:"hours"`
	Modality      string            `json:"modality"`
	Commune       string            `json:"commune"`
	CommuneName   string            `json:"commune_name,omitempty"`
	Department    string            `json:"department"`
	Region        string            `json:"region"`
	Location      Location          `json:"location"`
	Status        string            `json:"status"`
	Sessions      []SessionOutput   `json:"sessions,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

// OfferList is one page of offers.
type OfferList struct {
	Results    []OfferOutput `json:"results"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

func (in OfferInput) domain(id string) marketplace.Offer {
	skills := in.Skills
	if skills == nil {
		skills = []string{}
	}
	return marketplace.Offer{
		ID: id, ProviderID: in.ProviderID,
		Certification: marketplace.Certification{Code: in.Certification.Code, Title: in.Certification.Title, Level: in.Certification.Level},
		Title:         in.Title, Description: in.Description, Objectives: in.Objectives, Skills: skills,
		PriceCents: in.PriceCents, Hours: in.Hours, Modality: marketplace.Modality(in.Modality),
		Commune: in.Commune, Status: marketplace.Status(in.Status),
	}
}

func (s *Server) offerOutput(o marketplace.Offer) OfferOutput {
	out := OfferOutput{
		ID: o.ID, ProviderID: o.ProviderID,
		Certification: CertificationWire{Code: o.Certification.Code, Kind: string(o.Certification.Kind), Title: o.Certification.Title, Level: o.Certification.Level},
		Title:         o.Title, Description: o.Description, Objectives: o.Objectives, Skills: o.Skills,
		PriceCents: o.PriceCents, Hours: o.Hours, Modality: string(o.Modality),
		Commune: o.Commune, Department: o.Department, Region: o.Region, Location: Location{Lat: o.Lat, Lon: o.Lon},
		Status: string(o.Status), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
	if out.Skills == nil {
		out.Skills = []string{}
	}
	if cm, ok := s.Places.Commune(o.Commune); ok {
		out.CommuneName = cm.Name
	}
	return out
}

// canSeeUnpublished reports whether the caller may see an offer of
// providerID that is not published: its provider, admins and controllers.
func canSeeUnpublished(c *gin.Context, providerID string) bool {
	p, ok := principal(c)
	if !ok {
		return false
	}
	return p.Role == auth.Admin || p.Role == auth.Controller || (p.Role == auth.Provider && p.Acting() == providerID)
}

func (s *Server) listOffers(c *gin.Context) error {
	pg, err := page(c)
	if err != nil {
		return err
	}
	f := marketplace.OfferFilter{
		ProviderID: c.Query("provider_id"), Region: c.Query("region"), Department: c.Query("department"),
		Status: marketplace.Published,
	}
	if raw := c.Query("certification"); raw != "" {
		_, code, ok := marketplace.ParseCertificationCode(raw)
		if !ok {
			return invalid("certification", "must be RNCP or RS followed by digits, e.g. RNCP37674")
		}
		f.Certification = code
	}
	if f.Region != "" {
		if _, ok := s.Places.Region(f.Region); !ok {
			return invalid("region", "unknown region code %q", f.Region)
		}
	}
	if f.Department != "" {
		if _, ok := s.Places.Department(f.Department); !ok {
			return invalid("department", "unknown department code %q", f.Department)
		}
	}
	if raw, ok := c.GetQuery("status"); ok {
		st := marketplace.Status(raw)
		switch {
		case raw == "any":
			st = ""
		case !st.Valid():
			return invalid("status", "must be draft, published, unpublished, review or any")
		}
		if st != marketplace.Published && !canSeeUnpublished(c, f.ProviderID) {
			if _, ok := principal(c); !ok {
				c.Header("WWW-Authenticate", "Bearer")
				return fmt.Errorf("%w to list offers that are not published", errUnauthenticated)
			}
			if f.ProviderID == "" {
				return invalid("provider_id", "is required to list offers that are not published")
			}
			return fmt.Errorf("listing unpublished offers of provider %s: %w", f.ProviderID, marketplace.ErrForbidden)
		}
		f.Status = st
	}
	offers, next, err := s.Catalogue.Store().Offers(c, f, pg)
	if err != nil {
		return err
	}
	out := OfferList{Results: make([]OfferOutput, 0, len(offers)), NextCursor: next}
	for _, o := range offers {
		out.Results = append(out.Results, s.offerOutput(o))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) getOffer(c *gin.Context) error {
	o, err := s.visibleOffer(c)
	if err != nil {
		return err
	}
	sessions, err := s.Catalogue.Store().Sessions(c, o.ID)
	if err != nil {
		return err
	}
	out := s.offerOutput(o)
	for _, ss := range sessions {
		out.Sessions = append(out.Sessions, sessionOutput(ss))
	}
	c.Header("ETag", etag(o.UpdatedAt))
	c.JSON(http.StatusOK, out)
	return nil
}

// visibleOffer returns the offer the path names if the caller may see it;
// an unpublished offer is not found for anyone else, so that its existence
// does not leak.
func (s *Server) visibleOffer(c *gin.Context) (marketplace.Offer, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return marketplace.Offer{}, err
	}
	o, err := s.Catalogue.Store().Offer(c, id)
	if err != nil {
		return marketplace.Offer{}, err
	}
	if o.Status != marketplace.Published && !canSeeUnpublished(c, o.ProviderID) {
		return marketplace.Offer{}, fmt.Errorf("offer %s: %w", id, marketplace.ErrNotFound)
	}
	return o, nil
}

func (s *Server) createOffer(c *gin.Context) error {
	who, err := requireRole(c, auth.Admin, auth.Provider)
	if err != nil {
		return err
	}
	var in OfferInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.ProviderID == "" && who.Role == auth.Provider {
		in.ProviderID = who.Acting()
	}
	if in.ProviderID == "" {
		return invalid("provider_id", "is required")
	}
	o, err := s.Catalogue.CreateOffer(c, actor(who), in.domain(""))
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/offers/"+o.ID)
	c.Header("ETag", etag(o.UpdatedAt))
	c.JSON(http.StatusCreated, s.offerOutput(o))
	return nil
}

func (s *Server) updateOffer(c *gin.Context) error {
	who, err := requireRole(c, auth.Admin, auth.Provider)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := ifMatch(c)
	if err != nil {
		return err
	}
	var in OfferInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	o, err := s.Catalogue.UpdateOffer(c, actor(who), in.domain(id), ifMatch)
	if err != nil {
		return err
	}
	c.Header("ETag", etag(o.UpdatedAt))
	c.JSON(http.StatusOK, s.offerOutput(o))
	return nil
}

func (s *Server) deleteOffer(c *gin.Context) error {
	who, err := requireRole(c, auth.Admin, auth.Provider)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Catalogue.DeleteOffer(c, actor(who), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// etag is a resource version for If-Match: its update time in milliseconds.
func etag(t time.Time) string { return `"` + strconv.FormatInt(t.UnixMilli(), 10) + `"` }

// ifMatch reads an optional If-Match header made by etag; "*" (any
// current version) is the same as no header.
func ifMatch(c *gin.Context) (time.Time, error) {
	h := c.GetHeader("If-Match")
	if h == "" || h == "*" {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil {
		return time.Time{}, invalid("If-Match", "must be an ETag this service returned")
	}
	return time.UnixMilli(ms).UTC(), nil
}
