package web

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
)

// Query texts longer than this are refused: no real search needs more.
const maxQueryRunes = search.MaxQueryRunes

// topCertifications is how many certifications the home page lists.
const topCertifications = 12

// homeView is the data of the home page.
type homeView struct {
	Form           searchForm
	Total          string
	Regions        []regionLink
	Certifications []certLink
}

type regionLink struct {
	Name, URL, Count string
}

type certLink struct {
	Code, Title, Register, URL, Count string
}

func (p *Pages) home(c *gin.Context) (response, error) {
	counts := p.Index.RegionCounts()
	v := homeView{Form: p.form(searchParams{Radius: defaultRadius}, false), Total: count(p.Index.Len(), "formation publiée", "formations publiées")}
	for _, r := range p.Places.Regions() {
		n := counts[r.Code]
		// The 18 regions always appear; overseas collectivities only
		// when they have offers.
		if len(r.Code) != 2 && n == 0 {
			continue
		}
		v.Regions = append(v.Regions, regionLink{Name: r.Name, URL: "/regions/" + r.Code, Count: count(n, "formation", "formations")})
	}
	certs := p.Index.Certifications()
	certs = certs[:min(len(certs), topCertifications)]
	for _, cc := range certs {
		v.Certifications = append(v.Certifications, certLinkOf(cc))
	}
	return response{page: "home.html", nav: "accueil", data: v}, nil
}

func certLinkOf(cc search.CertificationCount) certLink {
	reg := "Répertoire spécifique"
	if cc.Kind == string(marketplace.RNCP) {
		reg = "Répertoire national (RNCP)"
	}
	return certLink{Code: cc.Code, Title: cc.Title, Register: reg, URL: "/certifications/" + cc.Code, Count: count(cc.Offers, "formation", "formations")}
}

// providerName returns a provider's name, or a neutral text when it
// cannot be read: a card is still worth showing.
func (p *Pages) providerName(ctx context.Context, id string) string {
	pr, err := p.Catalogue.Store().Provider(ctx, id)
	if err != nil {
		if !errors.Is(err, marketplace.ErrNotFound) {
			p.Log.WarnContext(ctx, "reading a provider for a page", "provider", id, "err", err)
		}
		return "Organisme non renseigné"
	}
	return pr.Name
}

func (p *Pages) communeName(insee string) string {
	if cm, ok := p.Places.Commune(insee); ok {
		return cm.Name
	}
	return insee
}

// nextSession returns the first session that starts today or later.
func nextSession(ss []marketplace.Session, today time.Time) (marketplace.Session, bool) {
	day := startOfDay(today)
	var best marketplace.Session
	found := false
	for _, s := range ss {
		if !s.Start.Before(day) && (!found || s.Start.Before(best.Start)) {
			best, found = s, true
		}
	}
	return best, found
}

func startOfDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// emptyHints are the suggestions of an empty result list.
var emptyHints = []string{
	"vérifiez l’orthographe des mots ;",
	"essayez des mots plus généraux, ou moins de mots ;",
	"élargissez la recherche à toute la France ou à toutes les modalités ;",
	"parcourez le catalogue par région ou par certification depuis l’accueil.",
}

func (p *Pages) region(c *gin.Context) (response, error) {
	r, ok := p.Places.Region(c.Param("code"))
	if !ok {
		return response{}, notFound("Cette région n’existe pas. Les régions sont listées sur la page d’accueil.")
	}
	cursor := c.Query("page")
	l, err := p.list(c, search.Query{Region: r.Code, After: cursor, Client: c.ClientIP(), Explain: true}, "/regions/"+r.Code, nil)
	if err != nil {
		return response{}, err
	}
	l.Empty = "Aucune formation n’est publiée dans cette région pour le moment."
	v := resultsView{
		Heading: "Formations en région " + r.Name, Form: p.form(searchParams{Region: r.Code, Radius: defaultRadius}, true), List: l,
		Intro: "Toutes les formations publiées dont le lieu est dans la région, dans un ordre tiré au hasard. Précisez votre recherche avec le formulaire.",
	}
	return response{page: "results.html", title: r.Name, data: v}, nil
}

// certificationsView is the data of the page listing every certification.
type certificationsView struct {
	Total string
	Certs []certLink
}

func (p *Pages) certifications(c *gin.Context) (response, error) {
	certs := p.Index.Certifications()
	sort.SliceStable(certs, func(i, j int) bool { return certs[i].Code < certs[j].Code })
	v := certificationsView{Total: count(len(certs), "certification", "certifications")}
	for _, cc := range certs {
		v.Certs = append(v.Certs, certLinkOf(cc))
	}
	return response{page: "certifications.html", title: "Certifications", nav: "certifications", data: v}, nil
}

func (p *Pages) certification(c *gin.Context) (response, error) {
	_, code, ok := marketplace.ParseCertificationCode(c.Param("code"))
	var cert search.CertificationCount
	if ok {
		ok = false
		for _, cc := range p.Index.Certifications() {
			if cc.Code == code {
				cert, ok = cc, true
				break
			}
		}
	}
	if !ok {
		return response{}, notFound("Aucune formation publiée ne prépare à cette certification. La liste des certifications est sur la page « Certifications ».")
	}
	l, err := p.list(c, search.Query{Certification: code, After: c.Query("page"), Client: c.ClientIP(), Explain: true}, "/certifications/"+code, nil)
	if err != nil {
		return response{}, err
	}
	l.Empty = "Aucune formation n’est publiée pour cette certification pour le moment."
	v := resultsView{
		Heading: code + " – " + cert.Title, Form: p.form(searchParams{Certification: code, Radius: defaultRadius}, true), List: l,
		Intro: certLinkOf(cert).Register + ". Toutes les formations publiées qui y préparent, dans un ordre tiré au hasard.",
	}
	return response{page: "results.html", title: code, nav: "certifications", data: v}, nil
}
