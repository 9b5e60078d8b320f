package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/matching/recommend"
	"github.com/parcours/parcours/orgs"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/skills"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps is what the pages need. Every field but Demo, TokenTTL, Ratings and
// Neutrality is required.
type Deps struct {
	Log       *slog.Logger
	Catalogue *marketplace.CatalogueService
	Index     *search.Index
	Places    *geo.Gazetteer
	Tokens    *auth.Tokens
	// Graph, when set, adds the occupation pages (/metiers).
	Graph skills.Graph
	// Enrolment, when set, adds the account, enrolment and inbox pages.
	Enrolment *marketplace.EnrolmentService
	Demo      bool          // demo mode: the demo sign-in exists only then
	TokenTTL  time.Duration // lifetime of demo sign-in tokens
	// Ratings, when set, gives the offers' ratings shown on result cards.
	Ratings Ratings
	// Neutrality, when set, gives the figures of the transparency page.
	Neutrality *search.Monitor
	// Sessions keeps the web sessions; Links the identities linked to
	// training accounts (OpenID sign-in).
	Sessions auth.SessionStore
	Links    auth.LinkStore
	// Devices, when set, remembers the browsers each account signed in
	// from through the identity provider and tells the learner of new ones.
	Devices auth.DeviceStore
	// SessionIdle and SessionMax end a session after that long without a
	// request, and that long after the sign-in, whatever the activity.
	SessionIdle, SessionMax time.Duration
	// StepUp is the sign-in a learner needs to move money (auth.StepUp).
	StepUp auth.StepUp
	// Identity, when set, offers sign-in through OpenID Providers.
	Identity *Identity
	// PublicURL is the service's public address; https makes cookies
	// Secure even when TLS ends at a proxy.
	PublicURL string

	// Matching, when set with Graph, adds the job matching pages (/emploi).
	Matching *matching.Service
	// Controls, when set, adds the controllers' review pages and the
	// providers' view of their offers' review, and notes learners'
	// searches, visits and enrolments for the fraud detectors.
	Controls *controls.Service
	// Orgs, when set, adds the organisation pages (members, invitations)
	// and the sign-in of members through the organisations' providers.
	Orgs *orgs.Service
	// Attempts keeps the sign-in counters in the store the replicas
	// share; SignInLimits bounds them (zero: DefaultSignInLimits).
	Attempts     auth.AttemptStore
	SignInLimits SignInLimits
	// Profiles, when set, adds the career profile pages (/mon-profil, the
	// shared profile and CV, /verifier).
	Profiles *profiles.Service
	// Recommendations, when set, adds the recommendations section of the
	// learner's page; Widget, the embeddable widget (widget.js).
	Recommendations *recommend.Service
	Widget          *recommend.Widget
}

// Pages is the set of HTML pages. It implements api.Pages. It is safe for
// concurrent use once built by New.
type Pages struct {
	Deps
	pages  map[string]*template.Template
	assets map[string]asset
	now    func() time.Time
}

// asset is one embedded static file with its content hash, which versions
// its address so that browsers may cache it for long.
type asset struct {
	data []byte
	hash string
}

// The page templates; each is parsed together with layout.html and parts.html.
var pageNames = []string{
	"home.html", "results.html", "certifications.html", "offer.html",
	"provider.html", "demo.html", "error.html", "occupations.html", "occupation.html", "gap.html",
	"account.html", "inbox.html", "evaluation.html", "signin.html", "link.html",
	"transparence.html",
	"organisation.html", "invitation.html", "contact.html",
}

// New checks the dependencies, loads the static assets and parses the
// templates once.
func New(d Deps) (*Pages, error) {
	switch {
	case d.Log == nil:
		return nil, errors.New("web: Deps.Log is required")
	case d.Catalogue == nil:
		return nil, errors.New("web: Deps.Catalogue is required")
	case d.Index == nil:
		return nil, errors.New("web: Deps.Index is required")
	case d.Places == nil:
		return nil, errors.New("web: Deps.Places is required")
	case d.Tokens == nil:
		return nil, errors.New("web: Deps.Tokens is required")
	case d.Demo && d.TokenTTL <= 0:
		return nil, errors.New("web: Deps.TokenTTL must be positive in demo mode")
	case d.Sessions == nil || d.Links == nil:
		return nil, errors.New("web: Deps.Sessions and Deps.Links are required")
	case d.Attempts == nil:
		return nil, errors.New("web: Deps.Attempts is required (sign-in limits)")
	}
	if d.SignInLimits == (SignInLimits{}) {
		d.SignInLimits = DefaultSignInLimits
	}
	if d.SessionIdle <= 0 {
		d.SessionIdle = 30 * time.Minute
	}
	if d.SessionMax <= 0 {
		d.SessionMax = 12 * time.Hour
	}
	p := &Pages{Deps: d, pages: map[string]*template.Template{}, assets: map[string]asset{}, now: time.Now}
	err := fs.WalkDir(staticFS, "static", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		p.assets[strings.TrimPrefix(name, "static/")] = asset{data: data, hash: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: reading the static files: %w", err)
	}
	funcs := template.FuncMap{"asset": p.assetURL}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/money-parts.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("web: parsing %s: %w", name, err)
		}
		p.pages[name] = t
	}
	return p, nil
}

// assetURL returns the versioned address of a static file. An unknown file
// fails the template, which the tests render.
func (p *Pages) assetURL(name string) (string, error) {
	a, ok := p.assets[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + a.hash, nil
}

// Register adds the pages to the router. It implements api.Pages.
func (p *Pages) Register(r gin.IRouter) {
	g := r.Group("", p.recover, p.formTargets, p.viewer, p.sameOrigin)
	g.GET("/", p.handle(p.home))
	g.GET("/recherche", p.handle(p.search))
	g.GET("/regions/:code", p.handle(p.region))
	g.GET("/certifications", p.handle(p.certifications))
	g.GET("/certifications/:code", p.handle(p.certification))
	g.GET("/formations/:id", p.handle(p.offer))
	g.GET("/organismes/:id", p.handle(p.provider))
	g.GET("/transparence", p.handle(p.transparency))
	g.POST("/deconnexion", p.signOut)
	g.POST("/deconnexion-partout", p.signOutEverywhere)
	if p.Identity != nil {
		p.registerIdentity(g)
	}
	if p.Graph != nil {
		g.GET("/metiers", p.handle(p.occupations))
		g.GET("/metiers/:code", p.handle(p.occupation))
		g.GET("/metiers/:code/ce-qui-me-manque", p.handle(p.gap))
		g.POST("/metiers/:code/ce-qui-me-manque", p.saveGap)
	}
	if p.Demo {
		g.GET("/connexion-demo", p.handle(p.demoForm))
		g.POST("/connexion-demo", p.handle(p.demoSignIn))
	}
	g.GET("/static/*file", p.static)
	if p.Enrolment != nil {
		p.registerMoney(g)
		p.registerContact(g)
	}
	if p.Orgs != nil {
		p.registerOrgs(g)
	}
	if p.Matching != nil && p.Graph != nil {
		p.registerMatching(g)
	}
	if p.Controls != nil {
		p.registerControls(g)
	}
	if p.Profiles != nil {
		p.registerProfiles(g)
	}
	if p.Recommendations != nil {
		p.registerRecommendations(g)
	}
}

// NotFound writes the French 404 page. A router may use it for the
// addresses no route matches.
func (p *Pages) NotFound(c *gin.Context) {
	p.fail(c, notFound("Cette page n’existe pas, ou plus."))
}

// response is what a page handler produces: a template and its data.
type response struct {
	status int    // 0 means 200
	page   string // template name
	title  string // the page's own part of <title>; "" for the bare service name
	nav    string // the current navigation entry
	data   any
	// viewer, set by the demo sign-in, replaces the cookie's holder in the
	// banner of the page that sets the cookie.
	viewer *viewer
}

// view is what the layout template renders.
type view struct {
	Title     string
	Nav       string
	Demo      bool
	SignIn    bool // the OpenID sign-in is offered
	Jobs      bool // the job matching pages exist
	Viewer    *viewer
	RequestID string
	Data      any
	Profiles  bool // the career profile pages exist
}

// handle adapts a page handler to Gin: an error is rendered as an error
// page, so that no handler writes an error status itself.
func (p *Pages) handle(h func(c *gin.Context) (response, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := h(c)
		if errors.Is(err, errRedirected) {
			return
		}
		if err != nil {
			p.fail(c, err)
			return
		}
		p.render(c, res)
	}
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 page rather than half a page.
func (p *Pages) render(c *gin.Context, res response) {
	v := view{Title: res.title, Nav: res.nav, Demo: p.Demo, SignIn: p.Identity != nil, Viewer: res.viewer, RequestID: c.Writer.Header().Get("X-Request-ID"), Data: res.data}
	v.Jobs = p.Matching != nil && p.Graph != nil
	v.Profiles = p.Profiles != nil
	if v.Viewer == nil {
		v.Viewer = viewerOf(c)
	}
	var buf bytes.Buffer
	if err := p.pages[res.page].ExecuteTemplate(&buf, "layout", v); err != nil {
		if res.page == "error.html" {
			// The error page itself failed: say so in plain text.
			p.Log.ErrorContext(c, "rendering the error page", "err", err)
			c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("Erreur du service.\n"))
			return
		}
		p.fail(c, fmt.Errorf("rendering %s: %w", res.page, err))
		return
	}
	status := res.status
	if status == 0 {
		status = http.StatusOK
	}
	out := buf.Bytes()
	if se, ok := p.session(c); ok {
		out = withCSRF(out, se.CSRF)
	}
	h := c.Writer.Header()
	// Pages carry who is signed in: no shared cache may keep them. A
	// handler may have asked for less caching still.
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "private, no-cache")
	}
	h.Add("Vary", "Cookie")
	c.Data(status, "text/html; charset=utf-8", out)
}

// csrfField is the name of the form field carrying the session's CSRF token.
const csrfField = "csrf"

// withCSRF adds the session's CSRF token to every POST form of a page. It
// works on the rendered page rather than in each template so that no form,
// including one added later, can forget it. The token is hex: it needs
// no escaping.
func withCSRF(page []byte, token string) []byte {
	field := []byte(`<input type="hidden" name="` + csrfField + `" value="` + token + `">`)
	var out bytes.Buffer
	out.Grow(len(page) + 8*len(field))
	for {
		i := bytes.Index(page, []byte("<form"))
		if i < 0 {
			out.Write(page)
			return out.Bytes()
		}
		j := bytes.IndexByte(page[i:], '>')
		if j < 0 {
			out.Write(page)
			return out.Bytes()
		}
		tag := page[i : i+j+1]
		out.Write(page[:i+j+1])
		if bytes.Contains(tag, []byte(`method="post"`)) {
			out.Write(field)
		}
		page = page[i+j+1:]
	}
}

// pageError is an error shown to the user with its own status and message.
type pageError struct {
	status  int
	message string // French, for the user
}

func (e *pageError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.message) }

func notFound(msg string) error   { return &pageError{http.StatusNotFound, msg} }
func badRequest(msg string) error { return &pageError{http.StatusBadRequest, msg} }
func forbidden(msg string) error  { return &pageError{http.StatusForbidden, msg} }

// errorView is the data of the error page.
type errorView struct {
	Status  int
	Heading string
	Message string
	Home    bool // suggest going back home
}

// fail renders err as a French error page. It is the only place where an
// error becomes a status: page errors carry theirs, the marketplace's
// ErrNotFound is a 404, and anything else is a 500 whose cause is logged
// and hidden.
func (p *Pages) fail(c *gin.Context, err error) {
	v := errorView{Status: http.StatusInternalServerError, Home: true}
	var pe *pageError
	var tm *tooMany
	switch {
	case errors.As(err, &tm):
		v.Status, v.Message = http.StatusTooManyRequests, tm.message()
		c.Header("Retry-After", tm.retryAfter())
	case errors.As(err, &pe):
		v.Status, v.Message = pe.status, pe.message
	case errors.Is(err, marketplace.ErrNotFound):
		v.Status, v.Message = http.StatusNotFound, "Cette page n’existe pas, ou plus."
	default:
		p.Log.ErrorContext(c, "page failed", "request_id", c.Writer.Header().Get("X-Request-ID"), "path", c.FullPath(), "err", err)
		v.Message = "Le service n’a pas pu afficher cette page. Réessayez dans quelques instants ; si le problème persiste, signalez-le en citant la référence ci-dessous."
	}
	switch v.Status {
	case http.StatusBadRequest:
		v.Heading = "Demande incorrecte"
	case http.StatusUnauthorized:
		v.Heading = "Connexion requise"
	case http.StatusForbidden:
		v.Heading = "Action refusée"
	case http.StatusConflict:
		v.Heading = "Action impossible"
	case http.StatusNotFound:
		v.Heading = "Page introuvable"
	case http.StatusGone:
		v.Heading = "Lien expiré"
	case http.StatusTooManyRequests:
		v.Heading = "Trop de tentatives"
	default:
		v.Heading = "Erreur du service"
	}
	c.Header("Cache-Control", "no-store")
	p.render(c, response{status: v.Status, page: "error.html", title: v.Heading, data: v})
	c.Abort()
}

// recover turns a panic in a page into the French 500 page, when nothing
// has been written yet; otherwise it lets the router's own recovery act.
func (p *Pages) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler || c.Writer.Written() {
				panic(v)
			}
			p.fail(c, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Next()
}

// formTargets lets forms lead to the identity providers: a step-up or a
// logout answers a form with a redirect to the provider, and browsers
// apply the Content-Security-Policy's form-action to such redirects.
func (p *Pages) formTargets(c *gin.Context) {
	if p.Identity != nil {
		h := c.Writer.Header()
		if csp := h.Get("Content-Security-Policy"); csp != "" {
			h.Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+strings.Join(p.Identity.origins(), " "), 1))
		}
	}
	c.Next()
}

// sameOrigin refuses state-changing requests that do not come from a page
// of this site. The cookie is SameSite=Lax as well; checking Origin (or
// Referer, which older browsers send instead) covers browsers that ignore
// SameSite and same-site attackers on sibling hosts.
func (p *Pages) sameOrigin(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	src := c.GetHeader("Origin")
	if src == "" || src == "null" {
		src = c.GetHeader("Referer")
	}
	u, err := url.Parse(src)
	if src == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.EqualFold(u.Host, c.Request.Host) {
		p.fail(c, forbidden("Ce formulaire doit être envoyé depuis une page de ce site. Rechargez la page et réessayez."))
		return
	}
	// Within a session, the form must also carry the session's token: a
	// page of another site cannot read it, whatever the browser does with
	// Origin and SameSite.
	if se, ok := p.session(c); ok {
		got := c.PostForm(csrfField)
		if subtle.ConstantTimeCompare([]byte(got), []byte(se.CSRF)) != 1 {
			p.fail(c, forbidden("Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page et réessayez."))
			return
		}
	}
	c.Next()
}

// static serves the embedded assets. An address with the current version
// may be cached for a year; any other for five minutes, revalidated by ETag.
func (p *Pages) static(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean(c.Param("file")), "/")
	a, ok := p.assets[name]
	if !ok {
		p.fail(c, notFound("Ce fichier n’existe pas."))
		return
	}
	h := c.Writer.Header()
	if c.Query("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	h.Set("ETag", `"`+a.hash+`"`)
	http.ServeContent(c.Writer, c.Request, name, time.Time{}, bytes.NewReader(a.data))
}
