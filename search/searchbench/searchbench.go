// Package searchbench holds what the search benchmarks share: the
// benchmark catalogue (the demo set at the size of the national
// catalogue) and the fixed mix of queries, so that Parcours and the Bleve
// comparison (module bench/bleve) measure the same work.
package searchbench

import (
	"time"

	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
)

// Size of the benchmark catalogue: about the national CPF catalogue.
const (
	Offers    = 300_000
	Providers = 4_500
)

// Now is the reference instant of the benchmark catalogue.
var Now = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Catalogue returns the benchmark catalogue, generated anew (about a
// second): it is not kept, so that a benchmark that has indexed it can
// let the garbage collector reclaim it.
func Catalogue() marketplace.Catalogue {
	return demo.Catalogue(demo.Options{Seed: 1, Providers: Providers, Offers: Offers, Now: Now}, geo.Default())
}

// Published returns the published offers of the catalogue and the
// sessions of each, by offer ID.
func Published() ([]marketplace.Offer, map[string][]marketplace.Session) {
	c := Catalogue()
	sessions := map[string][]marketplace.Session{}
	for _, s := range c.Sessions {
		sessions[s.OfferID] = append(sessions[s.OfferID], s)
	}
	var out []marketplace.Offer
	for _, o := range c.Offers {
		if o.Status == marketplace.Published {
			out = append(out, o)
		}
	}
	return out, sessions
}

// The kinds of queries of the mix.
const (
	Text           = "text"
	Text30km       = "text+30km"
	Text100Filters = "text+100km+filters"
	Filters        = "filters"
	France         = "france"
)

// Kinds lists the kinds in report order.
var Kinds = []string{Text, Text30km, Text100Filters, Filters, France}

// Texts are what learners type, from one common word to a few.
var Texts = []string{
	"anglais", "développeur web", "caces", "comptabilité", "permis b", "excel",
	"aide soignant", "sauveteur secouriste", "cuisine", "espagnol", "management équipe", "toeic",
}

// Towns are the centres of place queries.
var Towns = []search.Point{
	{Lat: 48.8566, Lon: 2.3522}, {Lat: 45.7640, Lon: 4.8357}, {Lat: 43.2965, Lon: 5.3698}, {Lat: 43.6047, Lon: 1.4442},
	{Lat: 50.6292, Lon: 3.0573}, {Lat: 47.2184, Lon: -1.5536}, {Lat: 48.5734, Lon: 7.7521}, {Lat: 44.8378, Lon: -0.5792},
	{Lat: 48.1173, Lon: -1.6778}, {Lat: 45.1885, Lon: 5.7245}, {Lat: 49.2583, Lon: 4.0317}, {Lat: 47.3220, Lon: 5.0415},
}

var regions = []string{"84", "11", "93", "76", "32", "52", "44", "75", "53", "28", "24", "27"}

// Queries returns n queries of a kind, varied (text, town, filters) and
// deterministic. Each is a first page of 20 results.
func Queries(kind string, n int) []search.Query {
	out := make([]search.Query, n)
	price := int64(300_000)
	for i := range out {
		q := search.Query{Limit: 20}
		t := Towns[i%len(Towns)]
		switch kind {
		case Text:
			q.Text = Texts[i%len(Texts)]
		case Text30km:
			q.Text = Texts[i%len(Texts)]
			q.Near, q.RadiusKm = &t, 30
		case Text100Filters:
			q.Text = Texts[i%len(Texts)]
			q.Near, q.RadiusKm = &t, 100
			q.Modality = marketplace.InPerson
			if i%2 == 0 {
				q.Modality = marketplace.Mixed
			}
			q.PriceMaxCents = &price
			q.HoursMax = 400
		case Filters:
			q.Region = regions[i%len(regions)]
			q.Modality = []marketplace.Modality{marketplace.InPerson, marketplace.Distance, marketplace.Mixed}[i%3]
			q.PriceMaxCents = &price
		case France:
		}
		out[i] = q
	}
	return out
}

// Client returns the i-th client address of the benchmark (documentation
// range), so that tie-break keys vary as in real traffic.
func Client(i int) string {
	return search.SyntheticClients(250)[i%250]
}
