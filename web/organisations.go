package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/orgs"
)

// Kinds of identity providers: learners sign in through the State's
// federation (FranceConnect); members of organisations through the
// organisations' provider (ProConnect, or a company's own).
const (
	KindLearners      = "learners"
	KindOrganisations = "organisations"
)

// SignInLimits bound the sign-in, counted in the shared store
// (Deps.Attempts) so that neither a restart nor another replica resets them.
type SignInLimits struct {
	// PerIP bounds the sign-in requests of one client address: starting a
	// sign-in, the provider's answer, NIR entries, invitation acceptances.
	PerIP auth.Limit
	// PerAccount bounds the failed NIR entries for one training account
	// (whoever tries), and for one pending sign-in.
	PerAccount auth.Limit
}

// DefaultSignInLimits are the limits when none are configured.
var DefaultSignInLimits = SignInLimits{
	PerIP:      auth.Limit{Max: 60, Window: 15 * time.Minute},
	PerAccount: auth.Limit{Max: 5, Window: 15 * time.Minute},
}

// tooMany is a refused attempt: a French message and how long to wait
// (the Retry-After header).
type tooMany struct {
	wait time.Duration
	what string // "depuis votre adresse", "pour ce compte"...
}

func (e *tooMany) Error() string {
	return fmt.Sprintf("too many attempts %s: retry in %s", e.what, e.wait)
}

func (e *tooMany) message() string {
	n := int(math.Ceil(e.wait.Minutes()))
	return "Trop de tentatives de connexion " + e.what + ". Par sécurité, réessayez dans " + count(n, "minute", "minutes") + "."
}

func (e *tooMany) retryAfter() string { return strconv.Itoa(int(math.Ceil(e.wait.Seconds()))) }

// limitIP counts a sign-in request of the client address, and refuses it
// past the limit.
func (p *Pages) limitIP(c *gin.Context) error {
	wait, err := auth.Limiter{Store: p.Attempts}.Take(c, "signin-ip:"+c.ClientIP(), p.SignInLimits.PerIP, p.now())
	if err != nil {
		return err
	}
	if wait > 0 {
		p.Log.WarnContext(c, "sign-in rate limit reached", "scope", "ip")
		return &tooMany{wait: wait, what: "depuis votre adresse"}
	}
	return nil
}

// exhausted refuses when any of keys has used up its failures (PerAccount).
func (p *Pages) exhausted(ctx context.Context, what string, keys ...string) error {
	for _, k := range keys {
		wait, err := auth.Limiter{Store: p.Attempts}.Exhausted(ctx, k, p.SignInLimits.PerAccount, p.now())
		if err != nil {
			return err
		}
		if wait > 0 {
			return &tooMany{wait: wait, what: what}
		}
	}
	return nil
}

// failed counts a failure under each key.
func (p *Pages) failed(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if _, err := (auth.Limiter{Store: p.Attempts}).Take(ctx, k, p.SignInLimits.PerAccount, p.now()); err != nil {
			return err
		}
	}
	return nil
}

// invitationPrefix is the address of an invitation's page.
const invitationPrefix = "/organisation/invitation/"

func (p *Pages) registerOrgs(g gin.IRouter) {
	g.GET("/organisation", p.handle(p.orgPage))
	g.POST("/organisation/invitations", p.handle(p.invite))
	g.POST("/organisation/membres/:id/retrait", p.handle(p.removeMember))
	g.GET(invitationPrefix+":token", p.handle(p.invitationPage))
	g.POST(invitationPrefix+":token", p.handle(p.acceptInvitation))
}

// orgCallback ends the sign-in of an organisation's member: the identity
// is mapped to its membership (role and organisation in the session). An
// identity of no organisation may only go on to accept an invitation.
func (p *Pages) orgCallback(c *gin.Context, l *auth.Login, cl idClaims, issuer, subject, rawIDToken string) {
	now := p.now()
	if p.Orgs == nil {
		p.fail(c, errSignIn)
		return
	}
	o, m, err := p.Orgs.SignIn(c, issuer, subject)
	if errors.Is(err, orgs.ErrNotMember) {
		if !strings.HasPrefix(l.ReturnTo, invitationPrefix) {
			p.Log.InfoContext(c, "organisation sign-in of an identity of no organisation")
			p.fail(c, forbidden("Votre identité n’est rattachée à aucune organisation sur Parcours. Demandez une invitation à l’administrateur de votre organisation."))
			return
		}
		family := cl.FamilyName
		if family == "" {
			family = cl.UsualName
		}
		name := strings.TrimSpace(cl.GivenName + " " + family)
		if name == "" {
			name = cl.Email
		}
		se := auth.Session{ACR: cl.ACR, AuthTime: cl.authTime(now), Issuer: issuer, IDToken: rawIDToken, Identity: subject,
			Claims: map[string]string{"org_pending": "1", "name": name}}
		if _, err := p.startSession(c, se); err != nil {
			p.fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, l.ReturnTo)
		return
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	pr := orgs.Principal(o, m)
	se := auth.Session{Role: pr.Role, Subject: pr.Subject, Org: pr.Org, OrgAdmin: pr.OrgAdmin, ACR: cl.ACR, AuthTime: cl.authTime(now),
		Issuer: issuer, IDToken: rawIDToken, Identity: subject}
	if _, err := p.startSession(c, se); err != nil {
		p.fail(c, err)
		return
	}
	ret := l.ReturnTo
	if ret == "/" {
		ret = "/organisation"
	}
	c.Redirect(http.StatusSeeOther, ret)
}

// orgView is the data of the organisation page.
type orgView struct {
	Org       orgs.Organisation
	RoleLabel string
	SIRET     string
	Me        string // the viewer's member ID
	Admin     bool   // the viewer administers it
	Members   []memberRow
	// NewLink is an invitation just made, shown once; NewEmail whom for.
	NewLink, NewEmail, NewExpires string
	Done                          string
	Error                         string
}

type memberRow struct {
	ID, Name, Email, Added string
	Admin, Me              bool
}

// member returns the signed-in member of an organisation, or an error page.
func member(c *gin.Context) (auth.Principal, error) {
	v := viewerOf(c)
	if v == nil || v.principal.Org == "" {
		return auth.Principal{}, forbidden("Cette page est réservée aux membres d’une organisation. Connectez-vous avec le compte de votre organisation.")
	}
	return v.principal, nil
}

func (p *Pages) orgView(c *gin.Context, pr auth.Principal) (orgView, error) {
	o, err := p.Orgs.Org(c, pr, pr.Org)
	if err != nil {
		return orgView{}, err
	}
	v := orgView{Org: o, RoleLabel: roleLabels[o.Role], SIRET: siret(o.SIRET), Me: pr.Subject, Admin: pr.OrgAdmin}
	for _, m := range o.Members {
		v.Members = append(v.Members, memberRow{ID: m.ID, Name: m.Name, Email: m.Email, Added: frenchDate(m.AddedAt), Admin: m.Admin, Me: m.ID == pr.Subject})
	}
	return v, nil
}

func (p *Pages) orgPage(c *gin.Context) (response, error) {
	pr, err := member(c)
	if err != nil {
		return response{}, err
	}
	v, err := p.orgView(c, pr)
	if err != nil {
		return response{}, err
	}
	switch c.Query("fait") {
	case "retrait":
		v.Done = "Le membre a été retiré ; ses sessions sont fermées."
	case "bienvenue":
		v.Done = "Bienvenue : vous êtes membre de " + v.Org.Name + "."
	}
	return response{page: "organisation.html", title: "Mon organisation", nav: "organisation", data: v}, nil
}

func (p *Pages) invite(c *gin.Context) (response, error) {
	pr, err := member(c)
	if err != nil {
		return response{}, err
	}
	email := strings.TrimSpace(c.PostForm("email"))
	inv, token, err := p.Orgs.Invite(c, pr, pr.Org, email, c.PostForm("admin") == "oui")
	var ve *marketplace.ValidationError
	if errors.As(err, &ve) {
		v, verr := p.orgView(c, pr)
		if verr != nil {
			return response{}, verr
		}
		v.Error = "Cette adresse électronique n’est pas valide : saisissez une adresse comme prenom.nom@exemple.fr."
		return response{status: http.StatusUnprocessableEntity, page: "organisation.html", title: "Mon organisation", nav: "organisation", data: v}, nil
	}
	if errors.Is(err, marketplace.ErrForbidden) {
		return response{}, forbidden("Seuls les administrateurs de l’organisation peuvent inviter.")
	}
	if err != nil {
		return response{}, err
	}
	v, err := p.orgView(c, pr)
	if err != nil {
		return response{}, err
	}
	v.NewLink = strings.TrimSuffix(p.publicBase(c), "/") + invitationPrefix + token
	v.NewEmail, v.NewExpires = inv.Email, frenchDate(inv.Expires)
	// The link holds the token: no cache may keep the page.
	c.Header("Cache-Control", "no-store")
	return response{page: "organisation.html", title: "Mon organisation", nav: "organisation", data: v}, nil
}

// publicBase is the service's address as the browser sees it.
func (p *Pages) publicBase(c *gin.Context) string {
	if p.PublicURL != "" {
		return p.PublicURL
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

func (p *Pages) removeMember(c *gin.Context) (response, error) {
	pr, err := member(c)
	if err != nil {
		return response{}, err
	}
	switch err := p.Orgs.Remove(c, pr, pr.Org, c.Param("id")); {
	case errors.Is(err, orgs.ErrLastAdmin):
		return response{}, &pageError{http.StatusConflict, "Une organisation doit garder au moins un administrateur : invitez-en un autre avant de retirer celui-ci."}
	case errors.Is(err, marketplace.ErrForbidden):
		return response{}, forbidden("Seuls les administrateurs de l’organisation peuvent retirer un membre.")
	case errors.Is(err, marketplace.ErrNotFound):
		return response{}, notFound("Ce membre ne fait pas, ou plus, partie de l’organisation.")
	case err != nil:
		return response{}, err
	}
	if c.Param("id") == pr.Subject {
		c.Redirect(http.StatusSeeOther, "/")
	} else {
		c.Redirect(http.StatusSeeOther, "/organisation?fait=retrait")
	}
	c.Abort()
	return response{}, errRedirected
}

// invitationView is the data of an invitation's page.
type invitationView struct {
	OrgName, RoleLabel, Email, Expires string
	Admin                              bool
	Action                             string // the form's address
	// Pending is the name of the identity signed in to accept; Providers
	// the organisations' providers to sign in with first.
	Pending   string
	Signed    bool // someone is signed in already, with another account
	Providers []providerLink
}

// pendingOrg returns a session signed in through an organisations'
// provider whose identity belongs to no organisation yet.
func (p *Pages) pendingOrg(c *gin.Context) (auth.Session, bool) {
	se, ok := p.session(c)
	if !ok || se.Subject != "" || se.Claims["org_pending"] == "" {
		return auth.Session{}, false
	}
	return se, true
}

func invitationError(err error) error {
	switch {
	case errors.Is(err, orgs.ErrInvitationGone):
		return &pageError{http.StatusGone, "Cette invitation a expiré ou a déjà été utilisée. Demandez-en une nouvelle à l’administrateur de votre organisation."}
	case errors.Is(err, marketplace.ErrNotFound):
		return notFound("Cette invitation n’existe pas. Vérifiez le lien reçu.")
	case errors.Is(err, marketplace.ErrConflict):
		return &pageError{http.StatusConflict, "Cette identité est déjà membre d’une organisation sur Parcours."}
	}
	return err
}

func (p *Pages) invitationPage(c *gin.Context) (response, error) {
	c.Header("Cache-Control", "no-store")
	token := c.Param("token")
	inv, o, err := p.Orgs.Pending(c, token)
	if err != nil {
		return response{}, invitationError(err)
	}
	v := invitationView{OrgName: o.Name, RoleLabel: roleLabels[o.Role], Email: inv.Email, Expires: frenchDate(inv.Expires), Admin: inv.Admin,
		Action: invitationPrefix + url.PathEscape(token)}
	if se, ok := p.pendingOrg(c); ok {
		v.Pending = se.Claims["name"]
		if v.Pending == "" {
			v.Pending = "votre identité"
		}
	} else if viewerOf(c) != nil {
		v.Signed = true
	} else if p.Identity != nil {
		for _, op := range p.Identity.providers {
			if op.cfg.Kind == KindOrganisations {
				v.Providers = append(v.Providers, providerLink{URL: "/connexion/fournisseur/" + op.cfg.Name + "?retour=" + url.QueryEscape(v.Action), Label: op.cfg.Label})
			}
		}
	}
	return response{page: "invitation.html", title: "Invitation à rejoindre " + o.Name, nav: "organisation", data: v}, nil
}

func (p *Pages) acceptInvitation(c *gin.Context) (response, error) {
	if err := p.limitIP(c); err != nil {
		return response{}, err
	}
	se, ok := p.pendingOrg(c)
	if !ok {
		return response{}, &pageError{http.StatusUnauthorized, "Connectez-vous d’abord avec le compte de votre organisation, depuis la page de l’invitation."}
	}
	o, m, err := p.Orgs.Accept(c, c.Param("token"), orgs.Identity{Issuer: se.Issuer, Subject: se.Identity, Name: se.Claims["name"]})
	if err != nil {
		return response{}, invitationError(err)
	}
	p.Log.InfoContext(c, "invitation accepted", "organisation", o.ID)
	pr := orgs.Principal(o, m)
	joined := se
	joined.Role, joined.Subject, joined.Org, joined.OrgAdmin, joined.Claims = pr.Role, pr.Subject, pr.Org, pr.OrgAdmin, nil
	if _, err := p.startSession(c, joined); err != nil {
		return response{}, err
	}
	c.Redirect(http.StatusSeeOther, "/organisation?fait=bienvenue")
	c.Abort()
	return response{}, errRedirected
}

// demoOrg makes a demo visitor of a provider, employer, funder or
// controller the administrator of the organisation they act for, so that
// the organisation pages can be tried in demo mode. What they may do is
// unchanged (the organisation's ID is the one they acted as); a failure
// is logged and the sign-in goes on without an organisation.
func (p *Pages) demoOrg(c *gin.Context, holder *auth.Principal) {
	if p.Orgs == nil || !orgs.OrgRole(holder.Role) {
		return
	}
	name, siret := "Démo – "+roleLabels[holder.Role], ""
	if holder.Role == auth.Provider {
		if prov, err := p.Catalogue.Store().Provider(c, holder.Subject); err == nil {
			name, siret = prov.Name, prov.SIRET
		}
	}
	o, err := p.Orgs.DemoMember(c, holder.Role, holder.Subject, name, siret)
	if err != nil {
		p.Log.WarnContext(c, "demo sign-in without an organisation", "err", err)
		return
	}
	holder.Org, holder.OrgAdmin = o.ID, true
}
