package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/orgs"
)

// orgRoutes registers the organisations: creation by platform
// administrators, members, invitations and removals by the organisation's
// administrators. Invitations are accepted on the web page the link leads
// to, where the invitee signs in through the organisations' provider.
func (s *Server) orgRoutes(v1 *gin.RouterGroup) {
	v1.POST("/organisations", s.handler(s.createOrg))
	v1.GET("/organisations/:id", s.handler(s.getOrg))
	v1.POST("/organisations/:id/invitations", s.handler(s.inviteMember))
	v1.DELETE("/organisations/:id/members/:member_id", s.handler(s.removeMember))
}

// OrgInput creates an organisation.
type OrgInput struct {
	SIRET      string `json:"siret"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	ProviderID string `json:"provider_id"`
	AdminEmail string `json:"admin_email"`
}

// MemberOutput is a member as the API shows it; the identity at the
// provider is not shown.
type MemberOutput struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Email   string    `json:"email"`
	Admin   bool      `json:"admin"`
	AddedAt time.Time `json:"added_at"`
}

// OrgOutput is an organisation with its members.
type OrgOutput struct {
	ID        string         `json:"id"`
	SIRET     string         `json:"siret"`
	Name      string         `json:"name"`
	Role      string         `json:"role"`
	Members   []MemberOutput `json:"members"`
	CreatedAt time.Time      `json:"created_at"`
}

// InvitationInput invites a person.
type InvitationInput struct {
	Email string `json:"email"`
	Admin bool   `json:"admin"`
}

// InvitationOutput is a new invitation: its link holds the token, shown
// this once.
type InvitationOutput struct {
	OrgID   string    `json:"organisation_id"`
	Email   string    `json:"email"`
	Admin   bool      `json:"admin"`
	URL     string    `json:"url"`
	Expires time.Time `json:"expires_at"`
}

// OrgCreated is an organisation and the invitation of its first administrator.
type OrgCreated struct {
	Organisation OrgOutput        `json:"organisation"`
	Invitation   InvitationOutput `json:"invitation"`
}

func orgOutput(o orgs.Organisation) OrgOutput {
	out := OrgOutput{ID: o.ID, SIRET: o.SIRET, Name: o.Name, Role: string(o.Role), CreatedAt: o.CreatedAt, Members: []MemberOutput{}}
	for _, m := range o.Members {
		out.Members = append(out.Members, MemberOutput{ID: m.ID, Name: m.Name, Email: m.Email, Admin: m.Admin, AddedAt: m.AddedAt})
	}
	return out
}

// InvitationPath is the web page an invitation's link leads to.
const InvitationPath = "/organisation/invitation/"

// invitationOutput gives the link under server.public_url, or, when it is
// not set (a local run), under the address the request reached.
func (s *Server) invitationOutput(c *gin.Context, inv orgs.Invitation, token string) InvitationOutput {
	base := strings.TrimSuffix(s.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if c.Request.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + c.Request.Host
	}
	return InvitationOutput{OrgID: inv.OrgID, Email: inv.Email, Admin: inv.Admin, Expires: inv.Expires, URL: base + InvitationPath + token}
}

func (s *Server) createOrg(c *gin.Context) error {
	who, err := requireRole(c, auth.Roles...)
	if err != nil {
		return err
	}
	var in OrgInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	o, inv, token, err := s.Orgs.Create(c, who, orgs.NewOrg{SIRET: in.SIRET, Name: in.Name, Role: auth.Role(in.Role), ProviderID: in.ProviderID, AdminEmail: in.AdminEmail})
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/organisations/"+o.ID)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, OrgCreated{Organisation: orgOutput(o), Invitation: s.invitationOutput(c, inv, token)})
	return nil
}

func (s *Server) getOrg(c *gin.Context) error {
	who, err := requireRole(c, auth.Roles...)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.Orgs.Org(c, who, id)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, orgOutput(o))
	return nil
}

func (s *Server) inviteMember(c *gin.Context) error {
	who, err := requireRole(c, auth.Roles...)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in InvitationInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	inv, token, err := s.Orgs.Invite(c, who, id, in.Email, in.Admin)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, s.invitationOutput(c, inv, token))
	return nil
}

func (s *Server) removeMember(c *gin.Context) error {
	who, err := requireRole(c, auth.Roles...)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	member, err := pathID(c, "member_id")
	if err != nil {
		return err
	}
	if err := s.Orgs.Remove(c, who, id, member); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
