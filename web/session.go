package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// cookieName holds the bearer token of a browser signed in on the pages.
const cookieName = "parcours_token"

const ctxViewer = "web.viewer"

// viewer is who is signed in, as the banner shows it.
type viewer struct {
	RoleLabel string // in French
	Name      string // the provider's name, or the subject
	Learner   bool   // the menu shows "Mon compte"
	Provider  bool   // the menu shows the provider's inbox
	principal auth.Principal
}

var roleLabels = map[auth.Role]string{
	auth.Learner:    "Apprenant",
	auth.Provider:   "Organisme de formation",
	auth.Employer:   "Employeur",
	auth.Funder:     "Financeur",
	auth.Controller: "Contrôleur",
	auth.Admin:      "Administrateur",
}

// viewer reads the token cookie. A missing, expired or forged token is
// ignored: the page is served as to anyone.
func (p *Pages) viewer(c *gin.Context) {
	if ck, err := c.Request.Cookie(cookieName); err == nil && ck.Value != "" {
		if pr, err := p.Tokens.Verify(ck.Value); err == nil {
			c.Set(ctxViewer, p.describe(c, pr))
		}
	}
	c.Next()
}

// describe names a principal for the banner.
func (p *Pages) describe(ctx context.Context, pr auth.Principal) *viewer {
	v := &viewer{RoleLabel: roleLabels[pr.Role], Name: pr.Subject, principal: pr, Learner: pr.Role == auth.Learner, Provider: pr.Role == auth.Provider}
	if pr.Role == auth.Provider {
		if prov, err := p.Catalogue.Store().Provider(ctx, pr.Subject); err == nil {
			v.Name = prov.Name
		}
	}
	return v
}

func viewerOf(c *gin.Context) *viewer {
	v, _ := c.Get(ctxViewer)
	w, _ := v.(*viewer)
	return w
}

// mayManage reports whether the signed-in viewer may see an offer of the
// provider even when it is not published: its provider or an administrator.
func mayManage(v *viewer, providerID string) bool {
	if v == nil {
		return false
	}
	return v.principal.Role == auth.Admin || v.principal.Role == auth.Provider && v.principal.Subject == providerID
}

// demoView is the data of the demo sign-in page.
type demoView struct {
	Roles     []roleOption
	Providers []providerOption
	Subject   string
	// After a sign-in:
	Token   string
	Example string
	Signed  *viewer
}

type roleOption struct {
	Value, Label, Hint string
	Checked            bool
}

type providerOption struct {
	ID, Name string
	Selected bool
}

var roleHints = map[auth.Role]string{
	auth.Learner:    "cherche une formation et suit ses dossiers",
	auth.Provider:   "publie ses offres et ses sessions",
	auth.Employer:   "publie des offres d’emploi, abonde les comptes",
	auth.Funder:     "finance des formations selon ses règles",
	auth.Controller: "examine les alertes et retire les offres",
	auth.Admin:      "gère les organismes et tout le catalogue",
}

// demoProviders is how many providers the demo sign-in offers to act as.
const demoProviders = 20

func (p *Pages) demoForm(c *gin.Context) (response, error) {
	v, err := p.demoChoices(c, auth.Provider, "", "")
	if err != nil {
		return response{}, err
	}
	return response{page: "demo.html", title: "Connexion de démonstration", nav: "demo", data: v}, nil
}

func (p *Pages) demoChoices(ctx context.Context, role auth.Role, providerID, subject string) (demoView, error) {
	v := demoView{Subject: subject}
	for _, r := range auth.Roles {
		v.Roles = append(v.Roles, roleOption{Value: string(r), Label: roleLabels[r], Hint: roleHints[r], Checked: r == role})
	}
	ps, _, err := p.Catalogue.Store().Providers(ctx, marketplace.Page{Limit: demoProviders})
	if err != nil {
		return demoView{}, err
	}
	for i, pr := range ps {
		v.Providers = append(v.Providers, providerOption{ID: pr.ID, Name: pr.Name, Selected: pr.ID == providerID || providerID == "" && i == 0})
	}
	return v, nil
}

// demoSignIn mints a token for the chosen role and subject, keeps it in an
// HttpOnly cookie for the pages, and shows it once for calls to the API.
func (p *Pages) demoSignIn(c *gin.Context) (response, error) {
	role := auth.Role(c.PostForm("role"))
	if !role.Valid() {
		return response{}, badRequest("Choisissez un des rôles proposés.")
	}
	subject := strings.TrimSpace(c.PostForm("identifiant"))
	providerID := c.PostForm("organisme")
	switch {
	case role == auth.Provider:
		if _, err := p.Catalogue.Store().Provider(c, providerID); errors.Is(err, marketplace.ErrNotFound) {
			return response{}, badRequest("Choisissez un des organismes de formation proposés.")
		} else if err != nil {
			return response{}, err
		}
		subject = providerID
	case subject == "":
		subject = "demo-" + string(role)
	case len(subject) > 64 || strings.ContainsFunc(subject, func(r rune) bool { return r <= ' ' || r > '~' }):
		return response{}, badRequest("L’identifiant doit compter au plus 64 caractères, sans espace ni accent.")
	}
	token, err := p.Tokens.Mint(role, subject, p.TokenTTL)
	if err != nil {
		return response{}, err
	}
	pr, err := p.Tokens.Verify(token)
	if err != nil {
		return response{}, err
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: cookieName, Value: token, Path: "/",
		MaxAge: int(p.TokenTTL.Seconds()), HttpOnly: true, Secure: c.Request.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	// The token is shown in the page: no cache may keep it.
	c.Header("Cache-Control", "no-store")
	v, err := p.demoChoices(c, role, providerID, c.PostForm("identifiant"))
	if err != nil {
		return response{}, err
	}
	v.Token = token
	v.Signed = p.describe(c, pr)
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	v.Example = `curl -H "Authorization: Bearer ` + token + `" ` + scheme + "://" + c.Request.Host + "/api/v1/me"
	return response{page: "demo.html", title: "Connexion de démonstration", nav: "demo", data: v, viewer: v.Signed}, nil
}

// signOut forgets the token cookie and goes back home.
func (p *Pages) signOut(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	c.Redirect(http.StatusSeeOther, "/")
}
