package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// IdentityProvider configures one OpenID Provider learners sign in with
// (FranceConnect, or a compatible one).
type IdentityProvider struct {
	Name         string // in addresses: /connexion/{name}
	Label        string // in French, on the sign-in page
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this service's /connexion/retour, as registered
	// with the provider; PostLogoutURL where the provider's logout sends
	// the browser back.
	RedirectURL, PostLogoutURL string
	Scopes                     []string
	// ACR is the level asked at an ordinary sign-in (e.g. eidas1); the
	// step-up asks for the StepUp level.
	ACR string
	// Kind is who signs in through it: KindLearners (the default), whose
	// identity is linked to a training account by the NIR, or
	// KindOrganisations, whose identity is a member of an organisation.
	Kind string
}

// Identity signs learners, and members of organisations, in through OpenID
// Providers (IdentityProvider.Kind): authorisation code flow with PKCE,
// state and nonce, the ID token checked for issuer,
// audience, lifetime and signature against the provider's published keys.
// It is safe for concurrent use.
type Identity struct {
	providers []*idp
}

type idp struct {
	cfg        IdentityProvider
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string
	client     *http.Client
}

// NewIdentity reads each provider's discovery document. client may be nil
// for http.DefaultClient.
func NewIdentity(ctx context.Context, providers []IdentityProvider, client *http.Client) (*Identity, error) {
	if client == nil {
		client = http.DefaultClient
	}
	ctx = oidc.ClientContext(ctx, client)
	id := &Identity{}
	for _, cfg := range providers {
		if cfg.Kind == "" {
			cfg.Kind = KindLearners
		}
		if cfg.Kind != KindLearners && cfg.Kind != KindOrganisations {
			return nil, fmt.Errorf("identity provider %s: kind %q is neither %s nor %s", cfg.Name, cfg.Kind, KindLearners, KindOrganisations)
		}
		op, err := oidc.NewProvider(ctx, cfg.Issuer)
		if err != nil {
			return nil, fmt.Errorf("identity provider %s: %w", cfg.Name, err)
		}
		var meta struct {
			EndSession string `json:"end_session_endpoint"`
		}
		if err := op.Claims(&meta); err != nil {
			return nil, fmt.Errorf("identity provider %s: %w", cfg.Name, err)
		}
		scopes := cfg.Scopes
		if len(scopes) == 0 {
			scopes = []string{oidc.ScopeOpenID, "profile", "birth"}
		}
		id.providers = append(id.providers, &idp{
			cfg: cfg,
			oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: op.Endpoint(),
				RedirectURL: cfg.RedirectURL, Scopes: scopes},
			verifier:   op.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
			endSession: meta.EndSession,
			client:     client,
		})
	}
	return id, nil
}

// origins lists the providers' web origins, for the Content-Security-Policy.
func (id *Identity) origins() []string {
	var out []string
	for _, p := range id.providers {
		for _, u := range []string{p.oauth.Endpoint.AuthURL, p.endSession} {
			if pu, err := url.Parse(u); err == nil && pu.Host != "" && (pu.Scheme == "https" || pu.Scheme == "http") {
				out = append(out, pu.Scheme+"://"+pu.Host)
			}
		}
	}
	return out
}

func (id *Identity) provider(name string) *idp {
	for _, p := range id.providers {
		if p.cfg.Name == name {
			return p
		}
	}
	return nil
}

func (id *Identity) byIssuer(iss string) *idp {
	for _, p := range id.providers {
		if p.cfg.Issuer == iss {
			return p
		}
	}
	return nil
}

func (p *Pages) registerIdentity(g gin.IRouter) {
	g.GET("/connexion", p.handle(p.signInPage))
	g.GET("/connexion/retour", p.callback)
	g.GET("/connexion/rattachement", p.handle(p.linkForm))
	g.POST("/connexion/rattachement", p.handle(p.link))
	g.GET("/connexion/fournisseur/:name", p.startSignIn)
}

// signInView is the data of the sign-in and NIR linking pages.
type signInView struct {
	Providers []providerLink // learners'
	Orgs      []providerLink // organisations' members'

	Error string
	Name  string // the identity's given name, on the linking page
}

type providerLink struct{ URL, Label string }

func (p *Pages) signInPage(c *gin.Context) (response, error) {
	v := signInView{}
	ret := localPath(c.Query("retour"))
	for _, op := range p.Identity.providers {
		l := providerLink{URL: "/connexion/fournisseur/" + op.cfg.Name + "?retour=" + url.QueryEscape(ret), Label: op.cfg.Label}
		if op.cfg.Kind == KindOrganisations {
			v.Orgs = append(v.Orgs, l)
		} else {
			v.Providers = append(v.Providers, l)
		}
	}
	return response{page: "signin.html", title: "Se connecter", nav: "connexion", data: v}, nil
}

// localPath keeps a return address only when it is a path of this site,
// so that the sign-in cannot be used to send people elsewhere.
func localPath(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.ContainsAny(s, "\r\n") {
		return "/"
	}
	return s
}

// loginCookie carries the identifier of a sign-in under way from
// /connexion/fournisseur to /connexion/retour: the provider's answer is
// accepted only in the browser that asked (no login CSRF).
func (p *Pages) loginCookie(c *gin.Context) string {
	if p.secure(c) {
		return "__Host-parcours-login"
	}
	return "parcours_login"
}

// loginTTL bounds the time a learner may spend at the provider.
const loginTTL = 10 * time.Minute

// startSignIn sends the browser to the provider. ?niveau=renforce asks
// for the step-up level and a fresh authentication.
func (p *Pages) startSignIn(c *gin.Context) {
	op := p.Identity.provider(c.Param("name"))
	if op == nil {
		p.fail(c, notFound("Ce fournisseur d’identité n’existe pas."))
		return
	}
	if err := p.limitIP(c); err != nil {
		p.fail(c, err)
		return
	}
	stepUp := c.Query("niveau") == "renforce" && op.cfg.Kind == KindLearners
	l := &auth.Login{Provider: op.cfg.Name, State: auth.RandomToken(), Nonce: auth.RandomToken(),
		Verifier: oauth2.GenerateVerifier(), ReturnTo: localPath(c.Query("retour")), StepUp: stepUp}
	id, key := auth.NewSessionID()
	now := p.now()
	if err := p.Sessions.CreateWebSession(c, auth.Session{Key: key, Created: now, LastSeen: now, Login: l}); err != nil {
		p.fail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: p.loginCookie(c), Value: id, Path: "/", MaxAge: int(loginTTL.Seconds()),
		HttpOnly: true, Secure: p.secure(c), SameSite: http.SameSiteLaxMode})
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(l.Verifier), oidc.Nonce(l.Nonce)}
	acr := op.cfg.ACR
	if stepUp {
		acr = p.StepUp.ACR
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	if acr != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", acr))
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusSeeOther, op.oauth.AuthCodeURL(l.State, opts...))
}

// errSignIn is shown for any refused answer of a provider; the reason goes
// to the log only.
var errSignIn = &pageError{http.StatusBadRequest, "La connexion n’a pas abouti : la réponse du fournisseur d’identité est invalide ou a expiré. Recommencez depuis la page de connexion."}

// callback receives the provider's answer, checks it, and opens a session,
// or asks for the NIR when the identity is not linked to an account yet.
func (p *Pages) callback(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	refuse := func(reason string, err error) {
		p.Log.WarnContext(c, "sign-in refused", "reason", reason, "err", err)
		p.fail(c, errSignIn)
	}
	if err := p.limitIP(c); err != nil {
		p.fail(c, err)
		return
	}
	ck, err := c.Request.Cookie(p.loginCookie(c))
	http.SetCookie(c.Writer, &http.Cookie{Name: p.loginCookie(c), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: p.secure(c), SameSite: http.SameSiteLaxMode})
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		refuse("no sign-in under way in this browser", err)
		return
	}
	key := auth.SessionKey(ck.Value)
	rec, err := p.Sessions.WebSession(c, key)
	if err != nil || rec.Login == nil {
		refuse("unknown sign-in", err)
		return
	}
	// One answer per request: a replayed callback finds nothing.
	p.Sessions.DeleteWebSession(c, key)
	l := rec.Login
	if p.now().Sub(rec.Created) > loginTTL {
		refuse("sign-in expired", nil)
		return
	}
	if subtle.ConstantTimeCompare([]byte(c.Query("state")), []byte(l.State)) != 1 {
		refuse("state mismatch", nil)
		return
	}
	if e := c.Query("error"); e != "" {
		p.Log.InfoContext(c, "the identity provider refused the sign-in", "error", e)
		p.fail(c, &pageError{http.StatusUnauthorized, "Le fournisseur d’identité n’a pas confirmé votre identité. Vous pouvez réessayer."})
		return
	}
	op := p.Identity.provider(l.Provider)
	if op == nil {
		refuse("provider gone", nil)
		return
	}
	// The request's own context, not Gin's: Gin reuses its Context once the
	// handler returns, while the HTTP client may still hold it.
	ctx := oidc.ClientContext(c.Request.Context(), op.client)
	tok, err := op.oauth.Exchange(ctx, c.Query("code"), oauth2.VerifierOption(l.Verifier))
	if err != nil {
		refuse("code exchange", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	claims, idTok, err := op.check(ctx, raw, l.Nonce)
	if err != nil {
		refuse("id token", err)
		return
	}
	if op.cfg.Kind == KindOrganisations {
		p.orgCallback(c, l, claims, idTok.Issuer, idTok.Subject, raw)
		return
	}
	if l.StepUp && !p.StepUp.Satisfied(auth.Principal{Role: auth.Learner, ACR: claims.ACR, AuthTime: claims.authTime(p.now())}, p.now()) {
		p.Log.WarnContext(c, "step-up not reached", "acr", claims.ACR)
		p.fail(c, &pageError{http.StatusUnauthorized, "Cette action demande une connexion renforcée (FranceConnect+), qui n’a pas été obtenue. Réessayez avec un moyen d’identification renforcé."})
		return
	}
	se := auth.Session{Role: auth.Learner, ACR: claims.ACR, AuthTime: claims.authTime(p.now()), Issuer: idTok.Issuer, IDToken: raw, Identity: idTok.Subject}
	acct, err := p.Links.Link(c, idTok.Issuer, idTok.Subject)
	switch {
	case errors.Is(err, auth.ErrNotLinked):
		se.Claims = map[string]string{"gender": claims.Gender, "birthdate": claims.Birthdate, "birthplace": claims.Birthplace,
			"birthcountry": claims.Birthcountry, "given_name": claims.GivenName, "return": l.ReturnTo}
		if _, err := p.startSession(c, se); err != nil {
			p.fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/connexion/rattachement")
		return
	case err != nil:
		p.fail(c, err)
		return
	}
	se.Subject = acct
	p.noteDevice(c, acct)
	if _, err := p.startSession(c, se); err != nil {
		p.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, l.ReturnTo)
}

// idClaims are the ID token's claims the service reads: FranceConnect's
// identity pivot and the authentication level.
type idClaims struct {
	Nonce        string `json:"nonce"`
	ACR          string `json:"acr"`
	AuthTime     int64  `json:"auth_time"`
	GivenName    string `json:"given_name"`
	FamilyName   string `json:"family_name"`
	UsualName    string `json:"usual_name"` // ProConnect's family name
	Email        string `json:"email"`
	Gender       string `json:"gender"`
	Birthdate    string `json:"birthdate"`
	Birthplace   string `json:"birthplace"`
	Birthcountry string `json:"birthcountry"`
}

func (c idClaims) authTime(now time.Time) time.Time {
	if c.AuthTime == 0 {
		return time.Time{}
	}
	return time.Unix(c.AuthTime, 0)
}

// check verifies an ID token: signature against the provider's keys,
// issuer, audience (this client), expiry (by go-oidc), then the nonce of
// this sign-in.
func (op *idp) check(ctx context.Context, raw, nonce string) (idClaims, *oidc.IDToken, error) {
	var cl idClaims
	if raw == "" {
		return cl, nil, errors.New("no id_token in the token response")
	}
	t, err := op.verifier.Verify(ctx, raw)
	if err != nil {
		return cl, nil, err
	}
	if err := t.Claims(&cl); err != nil {
		return cl, nil, err
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(t.Nonce), []byte(nonce)) != 1 {
		return cl, nil, errors.New("nonce mismatch")
	}
	return cl, t, nil
}

// pendingLink returns the session of a sign-in waiting for its NIR.
func (p *Pages) pendingLink(c *gin.Context) (auth.Session, error) {
	se, ok := p.session(c)
	if !ok || se.Subject != "" || se.Claims == nil || se.Claims["org_pending"] != "" {
		return auth.Session{}, &pageError{http.StatusUnauthorized, "Aucune connexion n’attend de rattachement. Connectez-vous d’abord avec votre fournisseur d’identité."}
	}
	return se, nil
}

func (p *Pages) linkForm(c *gin.Context) (response, error) {
	se, err := p.pendingLink(c)
	if err != nil {
		return response{}, err
	}
	return response{page: "link.html", title: "Rattacher votre compte formation", nav: "connexion", data: signInView{Name: se.Claims["given_name"]}}, nil
}

// link checks the NIR the learner enters against the identity claims and,
// when they agree, links the identity to the training account once for all.
func (p *Pages) link(c *gin.Context) (response, error) {
	se, err := p.pendingLink(c)
	if err != nil {
		return response{}, err
	}
	again := func(msg string) (response, error) {
		return response{status: http.StatusUnprocessableEntity, page: "link.html", title: "Rattacher votre compte formation", nav: "connexion",
			data: signInView{Name: se.Claims["given_name"], Error: msg}}, nil
	}
	// Failed entries are counted in the shared store, per pending
	// sign-in and per training account (whoever tries), so that neither a
	// restart, another replica nor a new sign-in starts the count again.
	if err := p.limitIP(c); err != nil {
		return response{}, err
	}
	pending := "nir-session:" + se.Key
	if err := p.exhausted(c, "pour cette connexion", pending); err != nil {
		return response{}, err
	}
	nir, ok := marketplace.NormalizeNIR(c.PostForm("nir"))
	if !ok {
		if err := p.failed(c, pending); err != nil {
			return response{}, err
		}
		return again("Ce numéro de sécurité sociale n’est pas valide : il compte 15 caractères, clé comprise.")
	}
	account := "nir-account:" + p.Enrolment.NIRHash(nir)
	if err := p.exhausted(c, "pour ce compte", account); err != nil {
		p.Log.WarnContext(c, "sign-in rate limit reached", "scope", "account")
		return response{}, err
	}
	id := marketplace.Identity{Gender: se.Claims["gender"], Birthdate: se.Claims["birthdate"], Birthplace: se.Claims["birthplace"], Birthcountry: se.Claims["birthcountry"]}
	if err := marketplace.MatchNIR(nir, id); err != nil {
		if err := p.failed(c, pending, account); err != nil {
			return response{}, err
		}
		p.Log.WarnContext(c, "NIR linking refused", "reason", err.Error(), "issuer", se.Issuer)
		return again("Ce numéro de sécurité sociale ne correspond pas à l’identité transmise par votre fournisseur d’identité (sexe, année et mois de naissance, lieu de naissance). Vérifiez-le.")
	}
	a, _, err := p.Enrolment.OpenAccount(c, marketplace.Party{Admin: true}, nir, marketplace.Account{})
	if err != nil {
		return response{}, err
	}
	if err := p.Links.PutLink(c, se.Issuer, se.Identity, a.ID); errors.Is(err, auth.ErrLinked) {
		return response{}, &pageError{http.StatusConflict, "Cette identité est déjà rattachée à un autre compte."}
	} else if err != nil {
		return response{}, err
	}
	p.Log.InfoContext(c, "identity linked to a training account", "issuer", se.Issuer)
	ret := localPath(se.Claims["return"])
	p.noteDevice(c, a.ID)
	linked := se
	linked.Subject, linked.Claims = a.ID, nil
	if _, err := p.startSession(c, linked); err != nil {
		return response{}, err
	}
	c.Redirect(http.StatusSeeOther, ret)
	c.Abort()
	return response{}, errRedirected
}

// errRedirected tells handle that the handler has already answered.
var errRedirected = errors.New("redirected")

// logoutURL is the provider's logout address for a session opened through
// it (RP-initiated logout), or "".
func (p *Pages) logoutURL(c *gin.Context, se auth.Session) string {
	if p.Identity == nil || se.IDToken == "" {
		return ""
	}
	op := p.Identity.byIssuer(se.Issuer)
	if op == nil || op.endSession == "" {
		return ""
	}
	q := url.Values{"id_token_hint": {se.IDToken}, "state": {auth.RandomToken()}}
	if op.cfg.PostLogoutURL != "" {
		q.Set("post_logout_redirect_uri", op.cfg.PostLogoutURL)
	}
	return op.endSession + "?" + q.Encode()
}

// stepUpURL is where a learner whose sign-in is too weak or old to move
// money goes: the provider again at the step-up level, then back to ret.
func (p *Pages) stepUpURL(ret string) string {
	if p.Identity == nil {
		return ""
	}
	for _, op := range p.Identity.providers {
		if op.cfg.Kind == KindLearners {
			return "/connexion/fournisseur/" + op.cfg.Name + "?niveau=renforce&retour=" + url.QueryEscape(localPath(ret))
		}
	}
	return ""
}

// deviceCookie names a browser for the new-device notice; it lives long
// and carries no authority.
const deviceCookie = "parcours_device"

// noteDevice records the browser an account signs in from, giving it a
// device cookie when it has none. A new device is logged (never with the
// NIR) and shown on the account page (newDevices).
func (p *Pages) noteDevice(c *gin.Context, accountID string) {
	if p.Devices == nil {
		return
	}
	id := ""
	if ck, err := c.Request.Cookie(deviceCookie); err == nil && len(ck.Value) == 64 {
		id = ck.Value
	} else {
		id = auth.RandomToken()
		http.SetCookie(c.Writer, &http.Cookie{Name: deviceCookie, Value: id, Path: "/", MaxAge: 400 * 24 * 3600,
			HttpOnly: true, Secure: p.secure(c), SameSite: http.SameSiteLaxMode})
	}
	known, err := p.Devices.Devices(c, accountID)
	if err != nil {
		p.Log.ErrorContext(c, "reading devices", "err", err)
		return
	}
	added, err := p.Devices.AddDevice(c, accountID, auth.Device{Key: auth.SessionKey(id), Label: browserLabel(c.Request.UserAgent()), First: p.now()})
	if err != nil {
		p.Log.ErrorContext(c, "recording a device", "err", err)
		return
	}
	if added && len(known) > 0 {
		p.Log.InfoContext(c, "sign-in from a new device", "devices", len(known)+1)
	}
}

// newDeviceWindow is how long a new device is shown on the account page.
const newDeviceWindow = 30 * 24 * time.Hour

// newDevices describes, in French, the devices first seen lately on an
// account that has others.
func (p *Pages) newDevices(c *gin.Context, accountID string) []string {
	if p.Devices == nil {
		return nil
	}
	ds, err := p.Devices.Devices(c, accountID)
	if err != nil || len(ds) < 2 {
		return nil
	}
	var out []string
	for _, d := range ds[:len(ds)-1] { // the oldest device is the first one, not a new one
		if p.now().Sub(d.First) <= newDeviceWindow {
			out = append(out, d.Label+", le "+frenchDate(d.First))
		}
	}
	return out
}

// browserLabel names a browser coarsely from its User-Agent.
func browserLabel(ua string) string {
	for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}} {
		if strings.Contains(ua, b.token) {
			sys := ""
			switch {
			case strings.Contains(ua, "Android"):
				sys = " sur Android"
			case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
				sys = " sur iOS"
			case strings.Contains(ua, "Windows"):
				sys = " sous Windows"
			case strings.Contains(ua, "Mac OS"):
				sys = " sur Mac"
			case strings.Contains(ua, "Linux"):
				sys = " sous Linux"
			}
			return "Navigateur " + b.name + sys
		}
	}
	return "Appareil inconnu"
}
