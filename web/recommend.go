package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching/recommend"
)

// The training recommendations on the learner's page, the form of their
// preferences, and the embeddable widget: widget.js, which a partner site
// includes, and the frame it opens, isolated from the site's page.

func (p *Pages) registerRecommendations(g gin.IRouter) {
	g.POST("/mon-compte/recommandations", p.act(p.saveRecommendationPreferences))
	if p.Widget != nil {
		g.GET("/widget.js", p.widgetScript)
		g.GET("/widget/cadre", p.widgetFrame)
	}
}

// recoItem is one recommended training as a page shows it.
type recoItem struct {
	Title, URL string
	Reasons    []string
}

// recoOption is an occupation the learner may choose.
type recoOption struct {
	Code, Label string
	Selected    bool
}

// recoView is the recommendations section of the learner's page.
type recoView struct {
	Items       []recoItem
	Unavailable bool
	Occupations []recoOption
	Commune     string
	Consent     bool
}

func recoItems(items []recommend.Item, base string) []recoItem {
	out := make([]recoItem, 0, len(items))
	for _, it := range items {
		r := recoItem{Title: it.Title, URL: base + "/formations/" + url.PathEscape(it.Offer)}
		for _, reason := range it.Reasons {
			r.Reasons = append(r.Reasons, reason.Text)
		}
		out = append(out, r)
	}
	return out
}

// recommendationsSection builds the section of the learner's page. A
// failure does not fail the page: the section says the list is
// unavailable.
func (p *Pages) recommendationsSection(c *gin.Context, account string) *recoView {
	if p.Recommendations == nil {
		return nil
	}
	v := &recoView{}
	r, err := p.Recommendations.ForAccount(c, account)
	if err != nil {
		p.Log.ErrorContext(c, "recommendations for the account page", "err", err)
		v.Unavailable = true
	} else {
		v.Items = recoItems(r.Items[:min(len(r.Items), 6)], "")
	}
	prefs, err := p.Recommendations.Preferences(c, account)
	if err == nil {
		v.Commune, v.Consent = prefs.Commune, prefs.ViewsConsent
	}
	if p.Graph != nil {
		occs, err := p.Graph.Occupations(c)
		if err == nil {
			target := ""
			if len(prefs.Targets) > 0 {
				target = prefs.Targets[0]
			}
			for _, o := range occs {
				v.Occupations = append(v.Occupations, recoOption{Code: o.ID, Label: o.Label, Selected: o.ID == target})
			}
		}
	}
	return v
}

// saveRecommendationPreferences stores the learner's target occupation,
// commune (INSEE code or postcode) and consent.
func (p *Pages) saveRecommendationPreferences(c *gin.Context) (string, error) {
	who, err := party(c, auth.Learner)
	if err != nil {
		return "", err
	}
	var targets []string
	if m := c.PostForm("metier"); m != "" {
		targets = []string{m}
	}
	commune := strings.TrimSpace(c.PostForm("commune"))
	if commune != "" {
		// A postcode first (what people know; INSEE codes overlap them),
		// the most populous commune it serves; else an INSEE code.
		if cs := p.Places.ByPostcode(commune); len(cs) > 0 {
			best := cs[0]
			for _, c := range cs[1:] {
				if c.Population > best.Population {
					best = c
				}
			}
			commune = best.INSEE
		} else if _, ok := p.Places.Commune(commune); !ok {
			return "", badRequest("Commune inconnue : indiquez son code postal ou son code INSEE (5 chiffres).")
		}
	}
	_, err = p.Recommendations.SetPreferences(c, recommend.Preferences{Account: who.AccountID, Targets: targets, Commune: commune, ViewsConsent: c.PostForm("consentement") == "oui"})
	if err != nil {
		return "", err
	}
	return "/mon-compte?fait=recommandations#titre-recommandations", nil
}

// widgetScriptSource opens the frame where the script stands. The frame's
// address is the script's own origin: the instance that served it.
const widgetScriptSource = `(function () {
  "use strict";
  var s = document.currentScript;
  if (!s) { return; }
  var base = new URL(s.src, window.location.href);
  var q = new URLSearchParams();
  q.set("cle", s.getAttribute("data-key") || "");
  if (s.getAttribute("data-occupation")) { q.set("metier", s.getAttribute("data-occupation")); }
  if (s.getAttribute("data-commune")) { q.set("commune", s.getAttribute("data-commune")); }
  var f = document.createElement("iframe");
  f.src = base.origin + "/widget/cadre?" + q.toString();
  f.title = "Formations recommandées par Parcours";
  f.className = "parcours-widget";
  f.style.border = "0";
  f.style.width = "100%";
  f.style.maxWidth = "42rem";
  f.style.height = "22rem";
  f.style.display = "block";
  window.addEventListener("message", function (e) {
    if (e.origin !== base.origin || e.source !== f.contentWindow || !e.data) { return; }
    var h = Number(e.data.parcoursHeight);
    if (h > 0) { f.style.height = Math.min(2000, Math.ceil(h)) + "px"; }
  });
  s.parentNode.insertBefore(f, s.nextSibling);
})();
`

// widgetScript serves widget.js. It may be included by any site; the keys
// decide where its frame shows anything.
func (p *Pages) widgetScript(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Header("Cross-Origin-Resource-Policy", "cross-origin")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", []byte(widgetScriptSource))
}

// widgetView is the data of the widget's frame.
type widgetView struct {
	Items    []recoItem
	Personal bool // the signed-in learner's own recommendations
	Base     string
	CSS, JS  string
}

var widgetTemplate = template.Must(template.ParseFS(templateFS, "templates/widget.html"))

// widgetFrame renders the widget's frame: the signed-in learner's own
// recommendations when the browser sends their session, else those of the
// anonymous context (occupation and commune). Only the key's origins may
// frame it (CSP frame-ancestors): another site's frame stays empty.
func (p *Pages) widgetFrame(c *gin.Context) {
	h := c.Writer.Header()
	h.Del("X-Frame-Options")
	h.Set("Cache-Control", "private, no-store")
	h.Add("Vary", "Cookie")
	deny := func(status int) {
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		c.Data(status, "text/plain; charset=utf-8", nil)
	}
	// The embedding page's origin, when the browser tells it: a frame
	// asked for by another site gets nothing, even before the browser
	// applies frame-ancestors.
	origin := ""
	if ref, err := url.Parse(c.GetHeader("Referer")); err == nil && ref.Host != "" && !strings.EqualFold(ref.Host, c.Request.Host) {
		origin = ref.Scheme + "://" + ref.Host
	}
	k, err := p.Widget.Authorize(c, c.Query("cle"), origin)
	switch {
	case errors.Is(err, recommend.ErrRateLimited):
		h.Set("Retry-After", "60")
		deny(http.StatusTooManyRequests)
		return
	case errors.Is(err, marketplace.ErrForbidden):
		deny(http.StatusForbidden)
		return
	case errors.Is(err, marketplace.ErrNotFound), errors.Is(err, marketplace.ErrInvalid):
		deny(http.StatusNotFound)
		return
	case err != nil:
		p.Log.ErrorContext(c, "widget key", "err", err)
		deny(http.StatusServiceUnavailable)
		return
	}
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors "+
		strings.Join(k.Origins, " ")+"; form-action 'none'; base-uri 'none'")
	v := widgetView{Base: "", CSS: "", JS: ""}
	if css, err := p.assetURL("widget.css"); err == nil {
		v.CSS = css
	}
	if js, err := p.assetURL("widget-frame.js"); err == nil {
		v.JS = js
	}
	scheme := "http"
	if c.Request.TLS != nil || strings.HasPrefix(p.PublicURL, "https://") {
		scheme = "https"
	}
	v.Base = scheme + "://" + c.Request.Host
	if p.PublicURL != "" {
		v.Base = strings.TrimSuffix(p.PublicURL, "/")
	}
	var items []recommend.Item
	if vw := viewerOf(c); vw != nil && vw.principal.Role == auth.Learner {
		r, ferr := p.Recommendations.ForAccount(c, vw.principal.Subject)
		items, err, v.Personal = r.Items, ferr, true
	} else {
		commune := c.Query("commune")
		if _, ok := p.Places.Commune(commune); !ok {
			commune = ""
		}
		occupation := c.Query("metier")
		if occupation != "" && p.Graph != nil {
			if _, oerr := p.Graph.Occupation(c, occupation); oerr != nil {
				occupation = ""
			}
		}
		items, err = p.Recommendations.ForContext(c, occupation, commune, c.ClientIP(), 5)
	}
	if err != nil {
		p.Log.ErrorContext(c, "widget recommendations", "err", err)
	}
	v.Items = recoItems(items[:min(len(items), 5)], v.Base)
	var buf bytes.Buffer
	if err := widgetTemplate.ExecuteTemplate(&buf, "widget", v); err != nil {
		p.Log.ErrorContext(c, "rendering the widget", "err", err)
		deny(http.StatusInternalServerError)
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// recordView records that a signed-in learner viewed a published offer;
// the store keeps it only when they consented. A failure is logged, never
// shown: the page does not depend on it.
func (p *Pages) recordView(c *gin.Context, o marketplace.Offer) {
	vw := viewerOf(c)
	if p.Recommendations == nil || vw == nil || vw.principal.Role != auth.Learner || o.Status != marketplace.Published {
		return
	}
	if _, err := p.Recommendations.RecordView(c, vw.principal.Subject, o.ID); err != nil {
		p.Log.WarnContext(c, "recording an offer view", "err", err)
	}
}
