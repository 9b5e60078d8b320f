package web

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
)

// Query texts longer than this are refused: no real search needs more.
const maxQueryRunes = 200

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

// searchForm is the search form as filled in.
type searchForm struct {
	Text       string
	Regions    []option
	Modalities []option
	// Certification is kept through the form as a hidden field.
	Certification string
	Compact       bool // the refine form of result pages
}

type option struct {
	Value, Label string
	Selected     bool
}

func (p *Pages) home(c *gin.Context) (response, error) {
	counts := p.Index.RegionCounts()
	v := homeView{Form: p.form(searchParams{}, false), Total: count(p.Index.Len(), "formation publiée", "formations publiées")}
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

// searchParams are the query parameters the result pages understand.
// Others are ignored.
type searchParams struct {
	Text          string
	Region        string
	Certification string
	Modality      string // a key of modalityParams
	Cursor        string
}

// values returns the parameters as a query string, without the cursor.
func (sp searchParams) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": sp.Text, "region": sp.Region, "certification": sp.Certification, "modalite": sp.Modality} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// parseSearch reads and checks the search parameters; a value that cannot
// be right is a 400 that says what is wrong.
func (p *Pages) parseSearch(c *gin.Context) (searchParams, error) {
	sp := searchParams{
		Text:     strings.TrimSpace(c.Query("q")),
		Region:   strings.TrimSpace(c.Query("region")),
		Modality: strings.TrimSpace(c.Query("modalite")),
		Cursor:   c.Query("page"),
	}
	if !utf8.ValidString(sp.Text) || utf8.RuneCountInString(sp.Text) > maxQueryRunes {
		return sp, badRequest("La recherche est trop longue : " + strconv.Itoa(maxQueryRunes) + " caractères au plus.")
	}
	if sp.Region != "" {
		if _, ok := p.Places.Region(sp.Region); !ok {
			return sp, badRequest("La région demandée n’existe pas. Choisissez une région dans la liste du formulaire de recherche.")
		}
	}
	if cert := strings.TrimSpace(c.Query("certification")); cert != "" {
		_, code, ok := marketplace.ParseCertificationCode(cert)
		if !ok {
			return sp, badRequest("Le code de certification doit être RNCP ou RS suivi de chiffres, par exemple RNCP37674.")
		}
		sp.Certification = code
	}
	if _, ok := modalityParams[sp.Modality]; sp.Modality != "" && !ok {
		return sp, badRequest("La modalité doit être « presentiel », « distance » ou « mixte ».")
	}
	return sp, nil
}

// form fills the search form from the parameters.
func (p *Pages) form(sp searchParams, compact bool) searchForm {
	f := searchForm{Text: sp.Text, Certification: sp.Certification, Compact: compact}
	f.Regions = append(f.Regions, option{Value: "", Label: "Toute la France", Selected: sp.Region == ""})
	for _, r := range p.Places.Regions() {
		if len(r.Code) == 2 || r.Code == sp.Region {
			f.Regions = append(f.Regions, option{Value: r.Code, Label: r.Name, Selected: r.Code == sp.Region})
		}
	}
	f.Modalities = []option{
		{Value: "", Label: "Toutes", Selected: sp.Modality == ""},
		{Value: "presentiel", Label: "Présentiel", Selected: sp.Modality == "presentiel"},
		{Value: "distance", Label: "À distance", Selected: sp.Modality == "distance"},
		{Value: "mixte", Label: "Mixte", Selected: sp.Modality == "mixte"},
	}
	return f
}

// resultsView is the data of the search and browse pages.
type resultsView struct {
	Heading string
	Intro   string
	Form    searchForm
	List    resultList
}

// resultList is one page of offers as cards, with its pagination.
type resultList struct {
	Total     int
	TotalText string
	Cards     []card
	NextURL   string
	FirstURL  string // set on the pages after the first
	Empty     string // what to say when nothing matched
	Hints     []string
	Sub       bool // the list is under a second-level heading: cards get h3
}

// card is one offer in a list.
type card struct {
	Title, URL            string
	CertCode, CertTitle   string
	ProviderName          string
	Town                  string
	Modality, Price, Hour string
	NextSession           string
}

// list runs a search and builds its cards; base is the address of the
// page, to which the next cursor is added.
func (p *Pages) list(ctx context.Context, q search.Query, base string, keep url.Values) (resultList, error) {
	res, err := p.Index.Search(q)
	if errors.Is(err, marketplace.ErrInvalid) {
		return resultList{}, badRequest("Le lien de cette page de résultats n’est pas valide. Recommencez la recherche depuis la première page.")
	} else if err != nil {
		return resultList{}, err
	}
	l := resultList{Total: res.Total, TotalText: count(res.Total, "formation", "formations")}
	names := map[string]string{}
	today := p.now()
	for _, h := range res.Hits {
		l.Cards = append(l.Cards, p.card(ctx, h, names, today))
	}
	link := func(cursor string) string {
		v := url.Values{}
		for k, vs := range keep {
			v[k] = vs
		}
		if cursor != "" {
			v.Set("page", cursor)
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	if res.Next != "" {
		l.NextURL = link(res.Next)
	}
	if q.After != "" {
		l.FirstURL = link("")
	}
	return l, nil
}

func (p *Pages) card(ctx context.Context, h search.Hit, names map[string]string, today time.Time) card {
	o := h.Offer
	name, ok := names[o.ProviderID]
	if !ok {
		name = p.providerName(ctx, o.ProviderID)
		names[o.ProviderID] = name
	}
	cd := card{
		Title: o.Title, URL: "/formations/" + o.ID,
		CertCode: o.Certification.Code, CertTitle: o.Certification.Title,
		ProviderName: name, Town: p.communeName(o.Commune),
		Modality: modalityLabel(o.Modality), Price: price(o.PriceCents), Hour: hours(o.Hours),
	}
	if s, ok := nextSession(h.Sessions, today); ok {
		cd.NextSession = "à partir du " + frenchDate(s.Start)
	} else {
		cd.NextSession = "aucune session programmée"
	}
	return cd
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

func (p *Pages) search(c *gin.Context) (response, error) {
	sp, err := p.parseSearch(c)
	if err != nil {
		return response{}, err
	}
	q := search.Query{Text: sp.Text, Region: sp.Region, Certification: sp.Certification, Modality: modalityParams[sp.Modality], After: sp.Cursor}
	l, err := p.list(c, q, "/recherche", sp.values())
	if err != nil {
		return response{}, err
	}
	l.Empty, l.Hints = "Aucune formation ne correspond à cette recherche.", emptyHints
	v := resultsView{Heading: "Résultats de recherche", Form: p.form(sp, true), List: l}
	title := "Recherche"
	if sp.Text != "" {
		v.Heading = "Résultats pour « " + sp.Text + " »"
		title = sp.Text + " – Recherche"
	}
	var where []string
	if sp.Region != "" {
		r, _ := p.Places.Region(sp.Region)
		where = append(where, "région "+r.Name)
	}
	if sp.Certification != "" {
		where = append(where, "certification "+sp.Certification)
	}
	if sp.Modality != "" {
		where = append(where, "modalité "+strings.ToLower(modalityLabel(modalityParams[sp.Modality])))
	}
	if len(where) > 0 {
		v.Intro = "Filtres : " + strings.Join(where, ", ") + "."
	}
	return response{page: "results.html", title: title, data: v}, nil
}

func (p *Pages) region(c *gin.Context) (response, error) {
	r, ok := p.Places.Region(c.Param("code"))
	if !ok {
		return response{}, notFound("Cette région n’existe pas. Les régions sont listées sur la page d’accueil.")
	}
	cursor := c.Query("page")
	l, err := p.list(c, search.Query{Region: r.Code, After: cursor}, "/regions/"+r.Code, nil)
	if err != nil {
		return response{}, err
	}
	l.Empty = "Aucune formation n’est publiée dans cette région pour le moment."
	v := resultsView{
		Heading: "Formations en région " + r.Name, Form: p.form(searchParams{Region: r.Code}, true), List: l,
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
	l, err := p.list(c, search.Query{Certification: code, After: c.Query("page")}, "/certifications/"+code, nil)
	if err != nil {
		return response{}, err
	}
	l.Empty = "Aucune formation n’est publiée pour cette certification pour le moment."
	v := resultsView{
		Heading: code + " – " + cert.Title, Form: p.form(searchParams{Certification: code}, true), List: l,
		Intro: certLinkOf(cert).Register + ". Toutes les formations publiées qui y préparent, dans un ordre tiré au hasard.",
	}
	return response{page: "results.html", title: code, nav: "certifications", data: v}, nil
}
