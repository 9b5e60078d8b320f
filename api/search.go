package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
)

// SearchResult is one result of a search: an offer (the best of its
// provider's offers for the certification), its relevance and why.
type SearchResult struct {
	Offer       OfferOutput        `json:"offer"`
	Score       float64            `json:"score"`
	Tier        int                `json:"tier"`
	DistanceKm  *float64           `json:"distance_km,omitempty"`
	NextSession string             `json:"next_session,omitempty"`
	AlsoIn      *AlsoIn            `json:"also_in,omitempty"`
	Explanation *ExplanationOutput `json:"explanation,omitempty"`
}

// AlsoIn tells of the provider's other offers for the same certification
// that match the query, grouped under one result.
type AlsoIn struct {
	Count    int          `json:"count"`
	Communes []CommuneRef `json:"communes"`
}

// CommuneRef names a commune.
type CommuneRef struct {
	INSEE string `json:"insee"`
	Name  string `json:"name"`
}

// ExplanationOutput breaks a result's rank into its parts.
type ExplanationOutput struct {
	Points    int          `json:"points"`
	MaxPoints int          `json:"max_points"`
	Terms     []TermOutput `json:"terms"`
	Tier      int          `json:"tier"`
	TierRule  string       `json:"tier_rule"`
	TierSize  int          `json:"tier_size"`
	TieBreak  string       `json:"tie_break"`
	Sort      string       `json:"sort"`
}

// TermOutput says how one word of the query matched.
type TermOutput struct {
	Term    string `json:"term"`
	Matched string `json:"matched,omitempty"`
	Field   string `json:"field,omitempty"`
	How     string `json:"how,omitempty"`
	Points  int    `json:"points"`
	Max     int    `json:"max"`
}

// SearchPage is one page of search results.
type SearchPage struct {
	Results     []SearchResult `json:"results"`
	Total       int            `json:"total"`
	TotalOffers int            `json:"total_offers"`
	Facets      FacetsOutput   `json:"facets"`
	NextCursor  string         `json:"next_cursor,omitempty"`
}

// FacetsOutput counts the matching offers by modality, region,
// certification type, price and duration.
type FacetsOutput struct {
	Modality          []FacetValue  `json:"modality"`
	Region            []FacetValue  `json:"region"`
	CertificationType []FacetValue  `json:"certification_type"`
	Price             []FacetBucket `json:"price"`
	Duration          []FacetBucket `json:"duration"`
}

// FacetValue is one value of a facet and its number of offers.
type FacetValue struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
	Count int    `json:"count"`
}

// FacetBucket is a range [min, max) and its number of offers; no max
// means no upper bound.
type FacetBucket struct {
	Key   string `json:"key"`
	Min   int64  `json:"min"`
	Max   *int64 `json:"max,omitempty"`
	Count int    `json:"count"`
}

// tierRule states how tiers are computed; the explanation repeats it.
const tierRule = "tier = ceil(4 × points / max_points), from 1 to 4; a query without text puts every offer in tier 4"

const tieBreak = "inside a tier, results are ordered by a keyed hash of your address, the normalised query and the result, so equally relevant offers take every place in turn; the key changes every period"

// searchQuery reads and checks the search parameters.
func (s *Server) searchQuery(c *gin.Context) (search.Query, error) {
	var v marketplace.ValidationError
	q := search.Query{Text: strings.TrimSpace(c.Query("q")), Client: c.ClientIP()}
	if !utf8.ValidString(q.Text) || utf8.RuneCountInString(q.Text) > search.MaxQueryRunes {
		v.Add("q", "must be at most %d characters", search.MaxQueryRunes)
	}
	num := func(name string) (float64, bool) {
		raw, ok := c.GetQuery(name)
		if !ok || raw == "" {
			return 0, false
		}
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			v.Add(name, "must be a number")
			return 0, false
		}
		return x, true
	}
	integer := func(name string, lo, hi int64) (int64, bool) {
		raw, ok := c.GetQuery(name)
		if !ok || raw == "" {
			return 0, false
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < lo || n > hi {
			v.Add(name, "must be an integer from %d to %d", lo, hi)
			return 0, false
		}
		return n, true
	}
	commune := c.Query("commune")
	lat, hasLat := num("lat")
	lon, hasLon := num("lon")
	switch {
	case commune != "" && (hasLat || hasLon):
		v.Add("commune", "give either commune or lat and lon, not both")
	case commune != "":
		if !geo.ValidINSEE(commune) {
			v.Add("commune", "%q is not an INSEE commune code (5 characters, e.g. 69123 or 2A004)", commune)
		} else if cm, ok := s.Places.Commune(commune); !ok {
			v.Add("commune", "no commune has the INSEE code %q", commune)
		} else {
			q.Near = &search.Point{Lat: cm.Lat, Lon: cm.Lon}
		}
	case hasLat != hasLon:
		v.Add("lat", "lat and lon go together")
	case hasLat:
		q.Near = &search.Point{Lat: lat, Lon: lon}
	}
	if r, ok := num("radius_km"); ok {
		q.RadiusKm = r
		if r <= 0 {
			v.Add("radius_km", "must be a positive number of kilometres, at most %d", search.MaxRadiusKm)
		}
	}
	q.Modality = marketplace.Modality(c.Query("modality"))
	if p, ok := integer("price_max", 0, marketplace.MaxPriceCents); ok {
		q.PriceMaxCents = &p
	}
	if n, ok := integer("hours_min", 1, marketplace.MaxHours); ok {
		q.HoursMin = int(n)
	}
	if n, ok := integer("hours_max", 1, marketplace.MaxHours); ok {
		q.HoursMax = int(n)
	}
	if raw := c.Query("certification"); raw != "" {
		if _, code, ok := marketplace.ParseCertificationCode(raw); ok {
			q.Certification = code
		} else {
			v.Add("certification", "must be RNCP or RS followed by digits, e.g. RNCP37674")
		}
	}
	q.CertificationKind = marketplace.CertificationKind(c.Query("certification_type"))
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"start_after", &q.StartAfter}, {"start_before", &q.StartBefore}} {
		t, err := parseDate(d.name, c.Query(d.name))
		if err != nil {
			v.Add(d.name, "must be a date YYYY-MM-DD")
		}
		*d.dst = t
	}
	if q.Region = c.Query("region"); q.Region != "" {
		if _, ok := s.Places.Region(q.Region); !ok {
			v.Add("region", "unknown region code %q", q.Region)
		}
	}
	if q.Department = c.Query("department"); q.Department != "" {
		if _, ok := s.Places.Department(q.Department); !ok {
			v.Add("department", "unknown department code %q", q.Department)
		}
	}
	q.Sort = search.Sort(c.Query("sort"))
	q.After = c.Query("cursor")
	max := s.Index.Options().MaxPerPage
	if n, ok := integer("per_page", 1, int64(max)); ok {
		q.Limit = int(n)
	}
	switch raw := c.Query("explain"); raw {
	case "", "false":
	case "true":
		q.Explain = true
	default:
		v.Add("explain", "must be true or false")
	}
	if err := v.Err(); err != nil {
		return q, err
	}
	return q, nil
}

func (s *Server) searchOffers(c *gin.Context) error {
	if s.Index == nil {
		return fmt.Errorf("%w: no search index", errUnavailable)
	}
	q, err := s.searchQuery(c)
	if err != nil {
		return err
	}
	res, err := s.Index.Search(q)
	if err != nil {
		return err
	}
	out := SearchPage{Results: make([]SearchResult, 0, len(res.Hits)), Total: res.Total, TotalOffers: res.TotalOffers, NextCursor: res.Next}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for _, h := range res.Hits {
		r := SearchResult{Offer: s.offerOutput(h.Offer), Score: h.Score, Tier: h.Tier}
		if h.HasDistance {
			d := h.DistanceKm
			r.DistanceKm = &d
		}
		for _, ss := range h.Sessions {
			if !ss.Start.Before(today) {
				r.NextSession = formatDate(ss.Start)
				break
			}
		}
		if h.Others > 0 {
			r.AlsoIn = &AlsoIn{Count: h.Others, Communes: []CommuneRef{}}
			for _, code := range h.OtherCommunes {
				ref := CommuneRef{INSEE: code, Name: code}
				if cm, ok := s.Places.Commune(code); ok {
					ref.Name = cm.Name
				}
				r.AlsoIn.Communes = append(r.AlsoIn.Communes, ref)
			}
		}
		if e := h.Explanation; e != nil {
			x := &ExplanationOutput{Points: e.Points, MaxPoints: e.MaxPoints, Tier: e.Tier, TierRule: tierRule, TierSize: e.TierSize,
				TieBreak: tieBreak, Sort: string(e.Sort), Terms: []TermOutput{}}
			for _, t := range e.Terms {
				x.Terms = append(x.Terms, TermOutput{Term: t.Term, Matched: t.Matched, Field: t.Field, How: t.How, Points: t.Points, Max: t.Max})
			}
			r.Explanation = x
		}
		out.Results = append(out.Results, r)
	}
	out.Facets = s.facetsOutput(res.Facets)
	c.Header("Cache-Control", "private, no-store")
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) facetsOutput(f search.Facets) FacetsOutput {
	out := FacetsOutput{Modality: []FacetValue{}, Region: []FacetValue{}, CertificationType: []FacetValue{}, Price: []FacetBucket{}, Duration: []FacetBucket{}}
	for _, m := range f.Modality {
		out.Modality = append(out.Modality, FacetValue{Value: m.Value, Count: m.Count})
	}
	for _, r := range f.Region {
		fv := FacetValue{Value: r.Value, Count: r.Count}
		if reg, ok := s.Places.Region(r.Value); ok {
			fv.Label = reg.Name
		}
		out.Region = append(out.Region, fv)
	}
	for _, k := range f.CertificationKind {
		out.CertificationType = append(out.CertificationType, FacetValue{Value: k.Value, Count: k.Count})
	}
	bucket := func(b search.BucketCount) FacetBucket {
		fb := FacetBucket{Key: b.Key, Min: b.Min, Count: b.Count}
		if b.Max > 0 {
			m := b.Max
			fb.Max = &m
		}
		return fb
	}
	for _, b := range f.Price {
		out.Price = append(out.Price, bucket(b))
	}
	for _, b := range f.Duration {
		out.Duration = append(out.Duration, bucket(b))
	}
	return out
}

// NeutralityOutput is the published neutrality report.
type NeutralityOutput struct {
	Status      string            `json:"status"` // "computed", or "pending" before the first run
	ComputedAt  *time.Time        `json:"computed_at,omitempty"`
	Queries     int               `json:"queries"`
	Clients     int               `json:"clients"`
	TopK        int               `json:"top_k"`
	KeyRotation string            `json:"key_rotation"`
	ProviderCap int               `json:"provider_cap"`
	Indicators  []IndicatorOutput `json:"indicators"`
	TierRule    string            `json:"tier_rule"`
}

// IndicatorOutput is one neutrality indicator: 0 is perfectly neutral.
type IndicatorOutput struct {
	Name        string   `json:"name"`
	Value       *float64 `json:"value"`
	Formula     string   `json:"formula"`
	Description string   `json:"description"`
	Sample      int      `json:"sample"`
}

// NeutralityReport builds the report from the latest run of m; the web
// page shows the same.
func NeutralityReport(m *search.Monitor, ix *search.Index) NeutralityOutput {
	out := NeutralityOutput{Status: "pending", TierRule: tierRule}
	if ix != nil {
		out.ProviderCap = ix.Options().ProviderCap
		out.KeyRotation = ix.Options().Keys.Period().String()
	}
	ind, ok := search.Indicators{}, false
	if m != nil {
		ind, ok = m.Latest()
	}
	exp := IndicatorOutput{Name: "exposure_disparity", Formula: search.ExposureFormula,
		Description: "How far each provider's share of the top positions, among equally relevant results, is from its share of those results."}
	prec := IndicatorOutput{Name: "systematic_precedence", Formula: search.PrecedenceFormula,
		Description: "How far, for pairs of equally relevant results of different providers, the fraction of orderings in which one comes first is from one half."}
	if ok {
		t := ind.ComputedAt
		out.Status, out.ComputedAt = "computed", &t
		out.Queries, out.Clients, out.TopK = ind.Queries, ind.Clients, ind.TopK
		e, p := ind.ExposureDisparity, ind.SystematicPrecedence
		exp.Value, exp.Sample = &e, ind.ExposureSlots
		prec.Value, prec.Sample = &p, ind.Pairs
	}
	out.Indicators = []IndicatorOutput{exp, prec}
	return out
}

func (s *Server) neutrality(c *gin.Context) error {
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, NeutralityReport(s.Neutrality, s.Index))
	return nil
}
