package web

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
)

// Ratings gives the learners' ratings of offers. The evaluations are not
// part of this package: when Deps.Ratings is nil, cards say there is no
// rating yet.
type Ratings interface {
	// Rating returns the mean rating (1 to 5) and the number of ratings
	// of an offer, and whether it has any.
	Rating(offerID string) (avg float64, count int, ok bool)
}

// The radii the search form offers, in km, and the default.
var radii = []int{5, 10, 20, 30, 50, 100, 200}

const defaultRadius = "30"

// searchForm is the search form as filled in.
type searchForm struct {
	Text       string
	Place      string
	Radii      []option
	Regions    []option
	Modalities []option
	Sorts      []option
	PriceMax   string
	// Kept through the form as hidden fields.
	Hidden  []hidden
	Compact bool // the refine form of result pages
}

type option struct {
	Value, Label string
	Selected     bool
}

type hidden struct{ Name, Value string }

// searchParams are the query parameters the result pages understand, as
// given (French names, readable addresses). Others are ignored.
type searchParams struct {
	Text          string
	Place         string // commune name, postcode or INSEE code
	Radius        string // km
	Region        string
	Certification string
	Kind          string // RNCP or RS
	Modality      string // a key of modalityParams
	PriceMax      string // euros
	HoursMin      string
	HoursMax      string
	Sort          string // a key of sortParams
	Cursor        string
}

// sortParams maps the values of the sort choice to the search's orders.
var sortParams = map[string]search.Sort{
	"pertinence": search.SortRelevance,
	"prix":       search.SortPrice,
	"distance":   search.SortDistance,
	"date":       search.SortStartDate,
}

// values returns the parameters as a query string, without the cursor.
func (sp searchParams) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{
		"q": sp.Text, "lieu": sp.Place, "region": sp.Region, "certification": sp.Certification, "type": sp.Kind,
		"modalite": sp.Modality, "prix_max": sp.PriceMax, "heures_min": sp.HoursMin, "heures_max": sp.HoursMax, "tri": sp.Sort,
	} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if sp.Place != "" && sp.Radius != "" {
		v.Set("rayon", sp.Radius)
	}
	return v
}

// parseSearch reads and checks the search parameters into a query; a
// value that cannot be right is a 400 that says what is wrong.
func (p *Pages) parseSearch(c *gin.Context) (searchParams, search.Query, *geo.Commune, error) {
	sp := searchParams{
		Text:     strings.TrimSpace(c.Query("q")),
		Place:    strings.TrimSpace(c.Query("lieu")),
		Radius:   strings.TrimSpace(c.DefaultQuery("rayon", defaultRadius)),
		Region:   strings.TrimSpace(c.Query("region")),
		Kind:     strings.TrimSpace(c.Query("type")),
		Modality: strings.TrimSpace(c.Query("modalite")),
		PriceMax: strings.TrimSpace(c.Query("prix_max")),
		HoursMin: strings.TrimSpace(c.Query("heures_min")),
		HoursMax: strings.TrimSpace(c.Query("heures_max")),
		Sort:     strings.TrimSpace(c.Query("tri")),
		Cursor:   c.Query("page"),
	}
	q := search.Query{Text: sp.Text, Client: c.ClientIP(), After: sp.Cursor, Explain: true}
	if !utf8.ValidString(sp.Text) || utf8.RuneCountInString(sp.Text) > maxQueryRunes {
		return sp, q, nil, badRequest("La recherche est trop longue : " + strconv.Itoa(maxQueryRunes) + " caractères au plus.")
	}
	var place *geo.Commune
	if sp.Place != "" {
		cm, ok := p.findPlace(sp.Place)
		if !ok {
			return sp, q, nil, badRequest("Le lieu « " + sp.Place + " » n’a pas été trouvé. Indiquez le nom d’une commune ou un code postal, par exemple Lyon ou 69003.")
		}
		place = &cm
		r, err := strconv.Atoi(sp.Radius)
		if err != nil || r < 1 || r > search.MaxRadiusKm {
			return sp, q, nil, badRequest("Le rayon doit être un nombre de kilomètres entre 1 et " + strconv.Itoa(search.MaxRadiusKm) + ".")
		}
		q.Near, q.RadiusKm = &search.Point{Lat: cm.Lat, Lon: cm.Lon}, float64(r)
	}
	if sp.Region != "" {
		if _, ok := p.Places.Region(sp.Region); !ok {
			return sp, q, nil, badRequest("La région demandée n’existe pas. Choisissez une région dans la liste du formulaire de recherche.")
		}
		q.Region = sp.Region
	}
	if cert := strings.TrimSpace(c.Query("certification")); cert != "" {
		_, code, ok := marketplace.ParseCertificationCode(cert)
		if !ok {
			return sp, q, nil, badRequest("Le code de certification doit être RNCP ou RS suivi de chiffres, par exemple RNCP37674.")
		}
		sp.Certification, q.Certification = code, code
	}
	switch sp.Kind {
	case "":
	case "RNCP", "RS":
		q.CertificationKind = marketplace.CertificationKind(sp.Kind)
	default:
		return sp, q, nil, badRequest("Le type de certification doit être RNCP ou RS.")
	}
	if m, ok := modalityParams[sp.Modality]; ok {
		q.Modality = m
	} else if sp.Modality != "" {
		return sp, q, nil, badRequest("La modalité doit être « presentiel », « distance » ou « mixte ».")
	}
	if sp.PriceMax != "" {
		eur, err := strconv.ParseInt(sp.PriceMax, 10, 64)
		if err != nil || eur < 0 || eur > marketplace.MaxPriceCents/100 {
			return sp, q, nil, badRequest("Le prix maximum doit être un nombre entier d’euros, par exemple 1500.")
		}
		cents := eur * 100
		q.PriceMaxCents = &cents
	}
	for _, h := range []struct {
		raw string
		dst *int
	}{{sp.HoursMin, &q.HoursMin}, {sp.HoursMax, &q.HoursMax}} {
		if h.raw == "" {
			continue
		}
		n, err := strconv.Atoi(h.raw)
		if err != nil || n < 1 || n > marketplace.MaxHours {
			return sp, q, nil, badRequest("La durée doit être un nombre d’heures entre 1 et " + strconv.Itoa(marketplace.MaxHours) + ".")
		}
		*h.dst = n
	}
	if sp.Sort != "" {
		s, ok := sortParams[sp.Sort]
		if !ok {
			return sp, q, nil, badRequest("Le tri doit être « pertinence », « prix », « distance » ou « date ».")
		}
		if s == search.SortDistance && place == nil {
			return sp, q, nil, badRequest("Pour trier par distance, indiquez un lieu.")
		}
		q.Sort = s
	}
	return sp, q, place, nil
}

// findPlace resolves what a learner types as a place: an INSEE code, a
// postcode (its first commune) or the start of a commune's name (the most
// populous match).
func (p *Pages) findPlace(s string) (geo.Commune, bool) {
	if cm, ok := p.Places.Commune(strings.ToUpper(s)); ok {
		return cm, true
	}
	if len(s) == 5 && strings.Trim(s, "0123456789") == "" {
		if cs := p.Places.ByPostcode(s); len(cs) > 0 {
			return cs[0], true
		}
		return geo.Commune{}, false
	}
	if cs := p.Places.Search(s, 1); len(cs) > 0 {
		return cs[0], true
	}
	return geo.Commune{}, false
}

// form fills the search form from the parameters.
func (p *Pages) form(sp searchParams, compact bool) searchForm {
	f := searchForm{Text: sp.Text, Place: sp.Place, PriceMax: sp.PriceMax, Compact: compact}
	for _, h := range []hidden{{"certification", sp.Certification}, {"type", sp.Kind}, {"heures_min", sp.HoursMin}, {"heures_max", sp.HoursMax}} {
		if h.Value != "" {
			f.Hidden = append(f.Hidden, h)
		}
	}
	radius := sp.Radius
	if radius == "" {
		radius = defaultRadius
	}
	for _, r := range radii {
		v := strconv.Itoa(r)
		f.Radii = append(f.Radii, option{Value: v, Label: v + nbsp + "km", Selected: v == radius})
	}
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
	f.Sorts = []option{
		{Value: "", Label: "Pertinence", Selected: sp.Sort == "" || sp.Sort == "pertinence"},
		{Value: "prix", Label: "Prix croissant", Selected: sp.Sort == "prix"},
		{Value: "distance", Label: "Distance (avec un lieu)", Selected: sp.Sort == "distance"},
		{Value: "date", Label: "Prochaine session", Selected: sp.Sort == "date"},
	}
	return f
}

// resultsView is the data of the search and browse pages.
type resultsView struct {
	Heading string
	Intro   string
	Form    searchForm
	List    resultList
	Facets  []facetGroup
}

// resultList is one page of results as cards, with its pagination.
type resultList struct {
	Total     int
	TotalText string
	Cards     []card
	NextURL   string
	FirstURL  string // set on the pages after the first
	Empty     string // what to say when nothing matched
	Hints     []string
	Sub       bool // the list is under a second-level heading: cards get h3
	facets    search.Facets
}

// card is one result in a list.
type card struct {
	Title, URL            string
	CertCode, CertTitle   string
	ProviderName          string
	Town                  string
	Distance              string
	Modality, Price, Hour string
	NextSession           string
	Rating                string
	AlsoIn                string
	Why                   *whyView
}

// whyView explains a result's rank in French.
type whyView struct {
	Score   string
	Terms   []string
	Tier    string
	Order   string
	Grouped string
}

// list runs a search and builds its cards; base is the address of the
// page, to which the next cursor is added.
func (p *Pages) list(ctx context.Context, q search.Query, base string, keep url.Values) (resultList, error) {
	res, err := p.Index.Search(q)
	if errors.Is(err, marketplace.ErrInvalid) {
		return resultList{}, badRequest("Le lien de cette page de résultats n’est pas valide ou a expiré. Recommencez la recherche depuis la première page.")
	} else if err != nil {
		return resultList{}, err
	}
	l := resultList{Total: res.Total, TotalText: count(res.Total, "formation", "formations"), facets: res.Facets}
	if res.TotalOffers != res.Total {
		l.TotalText = count(res.Total, "résultat", "résultats") + " (" + count(res.TotalOffers, "formation", "formations") + ")"
	}
	names := map[string]string{}
	today := p.now()
	for _, h := range res.Hits {
		l.Cards = append(l.Cards, p.card(ctx, h, q, names, today))
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

func (p *Pages) card(ctx context.Context, h search.Hit, q search.Query, names map[string]string, today time.Time) card {
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
		Rating: "Pas encore d’avis",
	}
	if o.Modality == marketplace.Distance {
		cd.Town = "à distance (organisme à " + cd.Town + ")"
	}
	if h.HasDistance {
		cd.Distance = "à " + decimal(h.DistanceKm) + nbsp + "km"
	}
	if s, ok := nextSession(h.Sessions, today); ok {
		cd.NextSession = "à partir du " + frenchDate(s.Start)
	} else {
		cd.NextSession = "aucune session programmée"
	}
	if p.Ratings != nil {
		if avg, n, ok := p.Ratings.Rating(o.ID); ok && n > 0 {
			cd.Rating = decimal(avg) + nbsp + "/" + nbsp + "5 (" + count(n, "avis", "avis") + ")"
		}
	}
	if h.Others > 0 {
		var towns []string
		for _, c := range h.OtherCommunes {
			towns = append(towns, p.communeName(c))
		}
		cd.AlsoIn = "Et " + count(h.Others, "autre formation", "autres formations") + " de cet organisme pour cette certification"
		if len(towns) > 0 {
			cd.AlsoIn += ", à " + strings.Join(towns, ", ")
			if h.Others > len(towns) {
				cd.AlsoIn += "…"
			}
		}
		cd.AlsoIn += "."
	}
	if e := h.Explanation; e != nil {
		cd.Why = why(e, h, q)
	}
	return cd
}

// decimal writes a number with one decimal the French way: "12,3".
func decimal(x float64) string {
	return strings.Replace(strconv.FormatFloat(x, 'f', 1, 64), ".", ",", 1)
}

// why explains a result's rank in French.
func why(e *search.Explanation, h search.Hit, q search.Query) *whyView {
	w := &whyView{}
	if e.MaxPoints > 0 {
		w.Score = "Pertinence du texte : " + strconv.Itoa(e.Points) + " points sur " + strconv.Itoa(e.MaxPoints) + "."
		for _, t := range e.Terms {
			var s string
			switch {
			case t.Points == 0:
				s = "« " + t.Term + " » : non trouvé"
			case t.Field == "strong":
				s = "« " + t.Term + " » trouvé dans le titre, la certification ou les compétences"
			default:
				s = "« " + t.Term + " » trouvé seulement dans la description"
			}
			switch t.How {
			case "synonym":
				s += " (sous la forme « " + t.Matched + " »)"
			case "typo":
				s += " (orthographe approchée : « " + t.Matched + " »)"
			case "prefix":
				s += " (début du mot « " + t.Matched + " »)"
			}
			w.Terms = append(w.Terms, s+" : "+strconv.Itoa(t.Points)+" sur "+strconv.Itoa(t.Max)+" points.")
		}
	} else {
		w.Score = "Sans mots-clés, toutes les formations qui répondent aux filtres sont également pertinentes."
	}
	w.Tier = "Niveau de pertinence " + strconv.Itoa(e.Tier) + " sur 4, partagé avec " + count(e.TierSize-1, "autre résultat", "autres résultats") + "."
	switch e.Sort {
	case search.SortPrice:
		w.Order = "Vous avez choisi de trier par prix ; à prix égal, le niveau de pertinence puis un tirage au hasard départagent."
	case search.SortDistance:
		w.Order = "Vous avez choisi de trier par distance ; à distance égale, le niveau de pertinence puis un tirage au hasard départagent."
	case search.SortStartDate:
		w.Order = "Vous avez choisi de trier par date de prochaine session ; à date égale, le niveau de pertinence puis un tirage au hasard départagent."
	default:
		w.Order = "Entre résultats de même niveau, l’ordre est tiré au hasard pour votre connexion : vous le retrouverez en revenant, une autre personne en voit un autre. Aucun organisme ne peut payer pour être mieux placé."
	}
	if h.Others > 0 {
		w.Grouped = "Les " + strconv.Itoa(h.Others+1) + " formations de cet organisme pour cette certification comptent pour un seul résultat, pour qu’aucun organisme n’occupe la page en publiant la même formation dans plusieurs villes."
	}
	return w
}

// facetGroup is one facet of the search page: links that narrow the
// search, each with its number of formations.
type facetGroup struct {
	Title string
	ID    string
	Links []facetLink
}

type facetLink struct {
	Label, URL, Count string
	Active            bool
}

// facets builds the facet links of a search: each narrows the current
// search, or widens it back when active.
func (p *Pages) facets(sp searchParams, f search.Facets) []facetGroup {
	link := func(set map[string]string) string {
		v := sp.values()
		for k, val := range set {
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		if len(v) == 0 {
			return "/recherche"
		}
		return "/recherche?" + v.Encode()
	}
	var out []facetGroup
	modality := facetGroup{Title: "Modalité", ID: "facette-modalite"}
	for _, fc := range f.Modality {
		var key string
		for k, m := range modalityParams {
			if string(m) == fc.Value {
				key = k
			}
		}
		active := sp.Modality == key
		u := link(map[string]string{"modalite": key})
		if active {
			u = link(map[string]string{"modalite": ""})
		}
		modality.Links = append(modality.Links, facetLink{Label: modalityLabel(marketplace.Modality(fc.Value)), URL: u, Count: strconv.Itoa(fc.Count), Active: active})
	}
	out = append(out, modality)
	kind := facetGroup{Title: "Certification", ID: "facette-type"}
	for _, fc := range f.CertificationKind {
		label := "Répertoire spécifique (RS)"
		if fc.Value == string(marketplace.RNCP) {
			label = "Répertoire national (RNCP)"
		}
		active := sp.Kind == fc.Value
		u := link(map[string]string{"type": fc.Value})
		if active {
			u = link(map[string]string{"type": ""})
		}
		kind.Links = append(kind.Links, facetLink{Label: label, URL: u, Count: strconv.Itoa(fc.Count), Active: active})
	}
	out = append(out, kind)
	price := facetGroup{Title: "Prix", ID: "facette-prix"}
	upTo := 0 // formations up to each bucket's maximum
	for _, b := range f.Price {
		upTo += b.Count
		if b.Max == 0 {
			continue // "5 000 € and more" is no maximum
		}
		maxEur := strconv.FormatInt(b.Max/100, 10)
		active := sp.PriceMax == maxEur
		u := link(map[string]string{"prix_max": maxEur})
		if active {
			u = link(map[string]string{"prix_max": ""})
		}
		price.Links = append(price.Links, facetLink{Label: "jusqu’à " + euros(b.Max), URL: u, Count: strconv.Itoa(upTo), Active: active})
	}
	out = append(out, price)
	duration := facetGroup{Title: "Durée", ID: "facette-duree"}
	for _, b := range f.Duration {
		min, max := strconv.FormatInt(max(b.Min, 1), 10), ""
		label := "plus de " + hours(int(b.Min))
		if b.Max > 0 {
			max = strconv.FormatInt(b.Max-1, 10)
			label = "de " + hours(int(b.Min)) + " à " + hours(int(b.Max-1))
			if b.Min == 0 {
				label = "moins de " + hours(int(b.Max))
			}
		}
		active := sp.HoursMin == min && sp.HoursMax == max
		u := link(map[string]string{"heures_min": min, "heures_max": max})
		if active {
			u = link(map[string]string{"heures_min": "", "heures_max": ""})
		}
		duration.Links = append(duration.Links, facetLink{Label: label, URL: u, Count: strconv.Itoa(b.Count), Active: active})
	}
	out = append(out, duration)
	region := facetGroup{Title: "Région", ID: "facette-region"}
	for _, fc := range f.Region {
		r, ok := p.Places.Region(fc.Value)
		if !ok {
			continue
		}
		active := sp.Region == fc.Value
		u := link(map[string]string{"region": fc.Value})
		if active {
			u = link(map[string]string{"region": ""})
		}
		region.Links = append(region.Links, facetLink{Label: r.Name, URL: u, Count: strconv.Itoa(fc.Count), Active: active})
	}
	out = append(out, region)
	kept := out[:0]
	for _, g := range out {
		if len(g.Links) > 0 {
			kept = append(kept, g)
		}
	}
	return kept
}

func (p *Pages) search(c *gin.Context) (response, error) {
	sp, q, place, err := p.parseSearch(c)
	if err != nil {
		return response{}, err
	}
	l, err := p.list(c, q, "/recherche", sp.values())
	if err != nil {
		return response{}, err
	}
	p.note(c, controls.SignalSearch, "")
	l.Empty, l.Hints = "Aucune formation ne correspond à cette recherche.", emptyHints
	v := resultsView{Heading: "Résultats de recherche", Form: p.form(sp, true), List: l, Facets: p.facets(sp, l.facets)}
	title := "Recherche"
	if sp.Text != "" {
		v.Heading = "Résultats pour « " + sp.Text + " »"
		title = sp.Text + " – Recherche"
	}
	var where []string
	if place != nil {
		where = append(where, "à moins de "+strconv.Itoa(int(q.RadiusKm))+nbsp+"km de "+place.Name+" ("+place.Department+")")
	}
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
	if q.PriceMaxCents != nil {
		where = append(where, "jusqu’à "+euros(*q.PriceMaxCents))
	}
	if len(where) > 0 {
		v.Intro = "Filtres : " + strings.Join(where, ", ") + "."
	}
	return response{page: "results.html", title: title, data: v}, nil
}
