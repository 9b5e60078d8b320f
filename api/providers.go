package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// ProviderInput is the body of provider creation and replacement.
type ProviderInput struct {
	SIRET       string        `json:"siret"`
	Name        string        `json:"name"`
	NDA         string        `json:"nda"`
	Qualiopi    QualiopiInput `json:"qualiopi"`
	Commune     string        `json:"commune"`
	Description string        `json:"description"`
	Website     string        `json:"website"`
	Email       string        `json:"email"`
}

// QualiopiInput is a provider's quality certification on the wire.
type QualiopiInput struct {
	Certificate string `json:"certificate,omitempty"`
	Certifier   string `json:"certifier,omitempty"`
	ValidUntil  string `json:"valid_until,omitempty"` // YYYY-MM-DD; omitted when not certified
}

// ProviderOutput is a provider as the API shows it.
type ProviderOutput struct {
	ID          string        `json:"id"`
	SIRET       string        `json:"siret"`
	Name        string        `json:"name"`
	NDA         string        `json:"nda"`
	Qualiopi    QualiopiInput `json:"qualiopi"`
	CanPublish  bool          `json:"can_publish"`
	Commune     string        `json:"commune,omitempty"`
	Description string        `json:"description,omitempty"`
	Website     string        `json:"website,omitempty"`
	Email       string        `json:"email,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

// ProviderList is one page of providers.
type ProviderList struct {
	Results    []ProviderOutput `json:"results"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

func (in ProviderInput) domain(id string) (marketplace.Provider, error) {
	until, err := parseDate("qualiopi.valid_until", in.Qualiopi.ValidUntil)
	if err != nil {
		return marketplace.Provider{}, err
	}
	return marketplace.Provider{
		ID: id, SIRET: in.SIRET, Name: in.Name, NDA: in.NDA,
		Qualiopi: marketplace.Qualiopi{Certificate: in.Qualiopi.Certificate, Certifier: in.Qualiopi.Certifier, ValidUntil: until},
		Commune:  in.Commune, Description: in.Description, Website: in.Website, Email: in.Email,
	}, nil
}

func providerOutput(p marketplace.Provider, now time.Time) ProviderOutput {
	return ProviderOutput{
		ID: p.ID, SIRET: p.SIRET, Name: p.Name, NDA: p.NDA,
		Qualiopi:   QualiopiInput{Certificate: p.Qualiopi.Certificate, Certifier: p.Qualiopi.Certifier, ValidUntil: formatDate(p.Qualiopi.ValidUntil)},
		CanPublish: p.CanPublishAt(now),
		Commune:    p.Commune, Description: p.Description, Website: p.Website, Email: p.Email,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

// actor turns a principal into the catalogue's notion of who acts.
func actor(p auth.Principal) marketplace.Actor {
	switch p.Role {
	case auth.Admin:
		return marketplace.Actor{Admin: true}
	case auth.Provider:
		return marketplace.Actor{ProviderID: p.Acting()}
	}
	return marketplace.Actor{}
}

func page(c *gin.Context) (marketplace.Page, error) {
	n, err := queryInt(c, "limit", marketplace.DefaultPageSize, 1, marketplace.MaxPageSize)
	if err != nil {
		return marketplace.Page{}, err
	}
	cursor := c.Query("cursor")
	if len(cursor) > 200 {
		return marketplace.Page{}, invalid("cursor", "is not a cursor this service returned")
	}
	return marketplace.Page{After: cursor, Limit: n}, nil
}

func (s *Server) listProviders(c *gin.Context) error {
	pg, err := page(c)
	if err != nil {
		return err
	}
	ps, next, err := s.Catalogue.Store().Providers(c, pg)
	if err != nil {
		return err
	}
	out := ProviderList{Results: make([]ProviderOutput, 0, len(ps)), NextCursor: next}
	now := time.Now()
	for _, p := range ps {
		out.Results = append(out.Results, providerOutput(p, now))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) getProvider(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.Catalogue.Store().Provider(c, id)
	if err != nil {
		return err
	}
	c.Header("ETag", etag(p.UpdatedAt))
	c.JSON(http.StatusOK, providerOutput(p, time.Now()))
	return nil
}

func (s *Server) createProvider(c *gin.Context) error {
	who, err := requireRole(c, auth.Admin)
	if err != nil {
		return err
	}
	var in ProviderInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := in.domain("")
	if err != nil {
		return err
	}
	p, err = s.Catalogue.CreateProvider(c, actor(who), p)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/providers/"+p.ID)
	c.Header("ETag", etag(p.UpdatedAt))
	c.JSON(http.StatusCreated, providerOutput(p, time.Now()))
	return nil
}

func (s *Server) updateProvider(c *gin.Context) error {
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
	var in ProviderInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	p, err := in.domain(id)
	if err != nil {
		return err
	}
	p, err = s.Catalogue.UpdateProvider(c, actor(who), p, ifMatch)
	if err != nil {
		return err
	}
	c.Header("ETag", etag(p.UpdatedAt))
	c.JSON(http.StatusOK, providerOutput(p, time.Now()))
	return nil
}
