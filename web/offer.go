package web

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
)

// offerView is the data of an offer's page.
type offerView struct {
	Title       string
	Unpublished string // the note shown to its provider when the offer is not public
	// ReviewURL, for an offer waiting for review, is where its provider
	// reads why.
	ReviewURL   string
	CertCode    string
	CertTitle   string
	CertLevel   string
	CertURL     string
	Description []string // paragraphs
	Objectives  []string
	Skills      []string
	Price       string
	Hours       string
	Modality    string
	Place       string
	Sessions    []sessionRow
	NextSession string
	Provider    *providerCard
	Ratings     *ratingsView
	Enrol       *enrolView
	EnrolURL    string
}

type sessionRow struct {
	Start, End, Seats string
	Past              bool
}

// providerCard is the provider as an offer's page presents it.
type providerCard struct {
	Name, URL, Town, Qualiopi string
	QualiopiOK                bool
}

var statusNotes = map[marketplace.Status]string{
	marketplace.Draft:       "Cette formation est un brouillon : elle n’est pas publiée. Seuls son organisme et les administrateurs la voient.",
	marketplace.Unpublished: "Cette formation a été retirée : elle n’est plus publiée. Seuls son organisme et les administrateurs la voient.",
	marketplace.Review:      "Cette formation attend l’examen d’un contrôleur avant sa publication. Seuls son organisme, les contrôleurs et les administrateurs la voient.",
}

// offer shows a published offer to anyone. An offer that is not published
// is shown only to its own provider and to administrators; to anyone else
// it does not exist, so the page does not tell that it ever did.
func (p *Pages) offer(c *gin.Context) (response, error) {
	id := c.Param("id")
	p.note(c, controls.SignalVisit, id)
	hit, ok := p.Index.Offer(id)
	if ok {
		// The index keeps no description: the store has the whole offer.
		o, err := p.Catalogue.Store().Offer(c, id)
		if err != nil {
			return response{}, err
		}
		hit.Offer = o
	} else {
		v := viewerOf(c)
		if v == nil {
			return response{}, errOfferNotFound
		}
		o, err := p.Catalogue.Store().Offer(c, id)
		if errors.Is(err, marketplace.ErrNotFound) || err == nil && !mayManage(v, o.ProviderID) {
			return response{}, errOfferNotFound
		} else if err != nil {
			return response{}, err
		}
		ss, err := p.Catalogue.Store().Sessions(c, id)
		if err != nil {
			return response{}, err
		}
		hit = search.Hit{Offer: o, Sessions: ss}
	}
	o := hit.Offer
	v := offerView{
		Title: o.Title, Unpublished: statusNotes[o.Status], ReviewURL: reviewURL(o),
		CertCode: o.Certification.Code, CertTitle: o.Certification.Title,
		Description: paragraphs(o.Description), Objectives: paragraphs(o.Objectives), Skills: o.Skills,
		Price: price(o.PriceCents), Hours: hours(o.Hours), Modality: modalityLabel(o.Modality),
		Place: p.placeName(o.Commune),
	}
	if o.Status == marketplace.Published {
		v.CertURL = "/certifications/" + o.Certification.Code
	}
	switch {
	case o.Certification.Kind == marketplace.RNCP && o.Certification.Level > 0:
		v.CertLevel = "Répertoire national des certifications professionnelles, niveau " + strconv.Itoa(o.Certification.Level)
	case o.Certification.Kind == marketplace.RNCP:
		v.CertLevel = "Répertoire national des certifications professionnelles"
	default:
		v.CertLevel = "Répertoire spécifique"
	}
	if o.Modality == marketplace.Distance {
		v.Place = "À distance – organisme situé à " + v.Place
	}
	today := startOfDay(p.now())
	ss := slices.Clone(hit.Sessions)
	slices.SortFunc(ss, func(a, b marketplace.Session) int { return a.Start.Compare(b.Start) })
	for _, s := range ss {
		v.Sessions = append(v.Sessions, sessionRow{
			Start: frenchDate(s.Start), End: frenchDate(s.End), Seats: count(s.Seats, "place", "places"),
			Past: s.Start.Before(today),
		})
	}
	if s, ok := nextSession(ss, today); ok {
		v.NextSession = "Prochaine session à partir du " + frenchDate(s.Start) + "."
	} else {
		v.NextSession = "Aucune session n’est programmée pour le moment."
	}
	pr, err := p.Catalogue.Store().Provider(c, o.ProviderID)
	switch {
	case err == nil:
		pc := providerCard{Name: pr.Name, URL: "/organismes/" + pr.ID, Town: p.placeName(pr.Commune)}
		pc.Qualiopi, pc.QualiopiOK = p.qualiopi(pr.Qualiopi)
		v.Provider = &pc
	case !errors.Is(err, marketplace.ErrNotFound):
		return response{}, err
	}
	if v.Ratings, err = p.ratings(c, "offer:"+o.ID, o.ID); err != nil {
		return response{}, err
	}
	v.Enrol, v.EnrolURL = p.enrolForm(c, o, ss), "/formations/"+o.ID+"/inscription"
	p.recordView(c, o)
	return response{page: "offer.html", title: o.Title, data: v}, nil
}

var errOfferNotFound = notFound("Cette formation n’existe pas ou n’est plus publiée.")

// placeName names a commune with its department: "Lyon (Rhône)".
func (p *Pages) placeName(insee string) string {
	cm, ok := p.Places.Commune(insee)
	if !ok {
		return "Lieu non renseigné"
	}
	if d, ok := p.Places.Department(cm.Department); ok {
		return cm.Name + " (" + d.Name + ", " + d.Code + ")"
	}
	return cm.Name
}

// qualiopi tells whether a provider's quality certification is in force, in French.
func (p *Pages) qualiopi(q marketplace.Qualiopi) (string, bool) {
	if q.ValidAt(p.now()) {
		return "Certifié Qualiopi jusqu’au " + frenchDate(q.ValidUntil), true
	}
	return "Certification Qualiopi non valide", false
}

// paragraphs splits a text on blank lines, dropping empty paragraphs.
func paragraphs(s string) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			out = append(out, para)
		}
	}
	return out
}

// providerView is the data of a provider's page.
type providerView struct {
	Name, SIRET, NDA    string
	Qualiopi            string
	QualiopiOK          bool
	QualiopiCertificate string
	Town                string
	Description         []string
	Website             string
	List                resultList
	Ratings             *ratingsView
}

// providerPageSize is the number of offers per page on a provider's page,
// where they come below the provider's details.
const providerPageSize = 10

func (p *Pages) provider(c *gin.Context) (response, error) {
	pr, err := p.Catalogue.Store().Provider(c, c.Param("id"))
	if errors.Is(err, marketplace.ErrNotFound) {
		return response{}, notFound("Cet organisme de formation n’existe pas.")
	} else if err != nil {
		return response{}, err
	}
	v := providerView{Name: pr.Name, SIRET: siret(pr.SIRET), NDA: pr.NDA, Description: paragraphs(pr.Description)}
	v.Qualiopi, v.QualiopiOK = p.qualiopi(pr.Qualiopi)
	if v.QualiopiOK {
		v.QualiopiCertificate = pr.Qualiopi.Certificate
		if pr.Qualiopi.Certifier != "" {
			v.QualiopiCertificate += ", délivré par " + pr.Qualiopi.Certifier
		}
	}
	if pr.Commune != "" {
		v.Town = p.placeName(pr.Commune)
	}
	if u, err := url.Parse(pr.Website); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		v.Website = pr.Website
	}
	v.List, err = p.list(c, search.Query{ProviderID: pr.ID, After: c.Query("page"), Limit: providerPageSize, Ungrouped: true, Client: c.ClientIP()}, "/organismes/"+pr.ID, nil)
	if err != nil {
		return response{}, err
	}
	v.List.Empty, v.List.Sub = "Cet organisme n’a aucune formation publiée pour le moment.", true
	if v.Ratings, err = p.ratings(c, "provider:"+pr.ID, ""); err != nil {
		return response{}, err
	}
	return response{page: "provider.html", title: pr.Name, data: v}, nil
}
