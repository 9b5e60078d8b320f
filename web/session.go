package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// The session cookie holds a random session identifier; the record is
// in the store (auth.SessionStore). Over TLS its name carries the __Host-
// prefix, which browsers accept only for a Secure, host-only cookie with
// Path=/, so that a sibling host cannot plant one.
const (
	cookieName    = "parcours_session"
	cookieNameTLS = "__Host-parcours"
)

const (
	ctxViewer  = "web.viewer"
	ctxSession = "web.session"
)

// viewer is who is signed in, as the banner shows it.
type viewer struct {
	RoleLabel string // in French
	Name      string // the provider's name, or the subject
	Learner   bool   // the menu shows "Mon compte"
	Provider  bool   // the menu shows the provider's inbox
	// Controller: the menu shows the controls' review queue.
	Controller bool
	Org        bool // the menu shows the organisation's page
	principal  auth.Principal
}

var roleLabels = map[auth.Role]string{
	auth.Learner:    "Apprenant",
	auth.Provider:   "Organisme de formation",
	auth.Employer:   "Employeur",
	auth.Funder:     "Financeur",
	auth.Controller: "Contrôleur",
	auth.Admin:      "Administrateur",
}

// secure reports whether the request reached the service over TLS, or
// the service says it is public over https (behind a proxy ending TLS).
func (p *Pages) secure(c *gin.Context) bool {
	return c.Request.TLS != nil || strings.HasPrefix(p.PublicURL, "https://")
}

func (p *Pages) cookieName(c *gin.Context) string {
	if p.secure(c) {
		return cookieNameTLS
	}
	return cookieName
}

// setSessionCookie sets the session cookie. It is HttpOnly (no script
// reads it), Secure behind TLS, and SameSite=Lax rather than Strict: the
// OpenID Provider sends the browser back to /connexion/retour, and then on
// to the page it came from, by cross-site top-level navigations, on which
// a Strict cookie would not be sent, so the learner would look signed out
// on arrival. Lax still keeps the cookie off cross-site POSTs, and every
// form also carries the session's CSRF token (csrf).
func (p *Pages) setSessionCookie(c *gin.Context, id string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: p.cookieName(c), Value: id, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: p.secure(c), SameSite: http.SameSiteLaxMode,
	})
}

// session returns the request's live session, or false. A session past
// its idle or absolute lifetime is deleted.
func (p *Pages) session(c *gin.Context) (auth.Session, bool) {
	if v, ok := c.Get(ctxSession); ok {
		return v.(auth.Session), true
	}
	ck, err := c.Request.Cookie(p.cookieName(c))
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return auth.Session{}, false
	}
	key := auth.SessionKey(ck.Value)
	se, err := p.Sessions.WebSession(c, key)
	if err != nil {
		if !errors.Is(err, auth.ErrNoSession) {
			p.Log.ErrorContext(c, "reading a session", "err", err)
		}
		return auth.Session{}, false
	}
	now := p.now()
	if now.Sub(se.LastSeen) > p.SessionIdle || now.Sub(se.Created) > p.SessionMax {
		p.Sessions.DeleteWebSession(c, key)
		return auth.Session{}, false
	}
	// Recording every request would make each page a write: a minute's
	// precision is enough for an idle timeout of many minutes.
	if now.Sub(se.LastSeen) > time.Minute {
		se.LastSeen = now
		p.Sessions.TouchWebSession(c, key, now)
	}
	c.Set(ctxSession, se)
	return se, true
}

// principalOf is the session's holder. A demo session counts as freshly
// stepped up at every request: the demo has no identity provider to send
// the learner back to, and it must let visitors try the whole lifecycle.
func (p *Pages) principalOf(se auth.Session) auth.Principal {
	pr := se.Principal()
	if se.Issuer == demoIssuer {
		pr.AuthTime = p.now()
	}
	return pr
}

// demoIssuer marks the sessions the demo sign-in opens.
const demoIssuer = "demo"

// viewer reads the session cookie. A missing, expired or unknown session
// is ignored: the page is served as to anyone. A session still waiting for
// its NIR (OpenID sign-in of an unlinked identity) has no holder yet.
func (p *Pages) viewer(c *gin.Context) {
	if se, ok := p.session(c); ok && se.Subject != "" {
		c.Set(ctxViewer, p.describe(c, p.principalOf(se)))
	}
	c.Next()
}

// startSession opens a new session for a holder and sets its cookie. The
// identifier is always new, so that one planted before the sign-in is
// worthless (session fixation); the request's previous session ends.
func (p *Pages) startSession(c *gin.Context, se auth.Session) (auth.Session, error) {
	if old, ok := p.session(c); ok {
		p.Sessions.DeleteWebSession(c, old.Key)
	}
	id, key := auth.NewSessionID()
	now := p.now()
	se.Key, se.Created, se.LastSeen, se.CSRF = key, now, now, auth.RandomToken()
	if err := p.Sessions.CreateWebSession(c, se); err != nil {
		return auth.Session{}, err
	}
	p.setSessionCookie(c, id, int(p.SessionMax.Seconds()))
	c.Set(ctxSession, se)
	return se, nil
}

// describe names a principal for the banner.
func (p *Pages) describe(ctx context.Context, pr auth.Principal) *viewer {
	v := &viewer{RoleLabel: roleLabels[pr.Role], Name: pr.Subject, principal: pr, Learner: pr.Role == auth.Learner, Provider: pr.Role == auth.Provider,
		Controller: pr.Role == auth.Controller || pr.Role == auth.Admin, Org: pr.Org != ""}
	if pr.Role == auth.Provider {
		if prov, err := p.Catalogue.Store().Provider(ctx, pr.Acting()); err == nil {
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
// provider even when it is not published: its provider, an administrator,
// or a controller (who reviews offers held before publication).
func mayManage(v *viewer, providerID string) bool {
	if v == nil {
		return false
	}
	return v.principal.Role == auth.Admin || v.principal.Role == auth.Controller ||
		v.principal.Role == auth.Provider && v.principal.Acting() == providerID
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
	// Demo only: the demo sign-in counts as a FranceConnect+ (eidas2)
	// sign-in, so that demo learners can spend; the token shown for the
	// API says so too.
	now := p.now()
	holder := auth.Principal{Role: role, Subject: subject, ACR: "eidas2", AuthTime: now}
	p.demoOrg(c, &holder)
	token, err := p.Tokens.MintPrincipal(holder, p.TokenTTL)
	if err != nil {
		return response{}, err
	}
	pr, err := p.Tokens.Verify(token)
	if err != nil {
		return response{}, err
	}
	if _, err := p.startSession(c, auth.Session{Role: role, Subject: subject, ACR: "eidas2", AuthTime: now, Issuer: demoIssuer,
		Org: holder.Org, OrgAdmin: holder.OrgAdmin}); err != nil {
		return response{}, err
	}
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

// signOut ends the session and goes back home; after an OpenID sign-in,
// through the provider's logout (RP-initiated logout), so that the
// provider's own session ends too.
func (p *Pages) signOut(c *gin.Context) {
	p.endSessions(c, false)
}

// signOutEverywhere revokes every session of the holder, on every device.
func (p *Pages) signOutEverywhere(c *gin.Context) {
	p.endSessions(c, true)
}

func (p *Pages) endSessions(c *gin.Context, everywhere bool) {
	se, ok := p.session(c)
	p.setSessionCookie(c, "", -1)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	if everywhere && se.Subject != "" {
		n, err := p.Sessions.DeleteWebSessions(c, se.Holder())
		if err != nil {
			p.fail(c, err)
			return
		}
		p.Log.InfoContext(c, "all sessions revoked", "role", se.Role, "sessions", n)
	} else if err := p.Sessions.DeleteWebSession(c, se.Key); err != nil {
		p.fail(c, err)
		return
	}
	if u := p.logoutURL(c, se); u != "" {
		c.Redirect(http.StatusSeeOther, u)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}
