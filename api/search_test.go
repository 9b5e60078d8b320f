package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/marketplace"
)

// addEnglish publishes n equally relevant offers of n providers through
// the catalogue, so that the index learns them from the writes.
func (e *testEnv) addEnglish(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	admin := marketplace.Actor{Admin: true}
	for i := range n {
		o := offerFixture(e.lyon.ID, marketplace.Published)
		o.Title = "Anglais professionnel"
		o.Certification = marketplace.Certification{Code: fmt.Sprintf("RS%d", 7000+i), Title: "TOEIC Listening and Reading"}
		o.Skills = nil
		if _, err := e.cat.CreateOffer(ctx, admin, o); err != nil {
			t.Fatal(err)
		}
	}
}

func searchPage(t *testing.T, e *testEnv, path, remote string, header map[string]string) api.SearchPage {
	t.Helper()
	rec := e.do(req{method: "GET", path: path, remote: remote, header: header})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	var out api.SearchPage
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func resultIDs(p api.SearchPage) []string {
	var out []string
	for _, r := range p.Results {
		out = append(out, r.Offer.ID)
	}
	return out
}

// allPages follows next_cursor to the end.
func allPages(t *testing.T, e *testEnv, path, remote string, header map[string]string) []string {
	t.Helper()
	var out []string
	cursor := ""
	for {
		p := path
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		page := searchPage(t, e, p, remote, header)
		out = append(out, resultIDs(page)...)
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

func TestSearchOrderFollowsTheClientAddress(t *testing.T) {
	e := newEnv(t)
	e.addEnglish(t, 40)
	path := "/api/v1/search/offers?q=anglais&per_page=7"
	a := allPages(t, e, path, "198.51.100.7:5000", nil)
	if len(a) != 40 {
		t.Fatalf("%d results, want 40", len(a))
	}
	if again := allPages(t, e, path, "198.51.100.7:6000", nil); !slices.Equal(a, again) {
		t.Error("the same address sees another order")
	}
	if other := allPages(t, e, path, "203.0.113.9:5000", nil); slices.Equal(a, other) {
		t.Error("another address sees the same order of 40 equal offers")
	}
	// X-Forwarded-For from a client that is not a configured proxy is
	// ignored: it cannot choose its order.
	spoof := allPages(t, e, path, "198.51.100.7:5000", map[string]string{"X-Forwarded-For": "203.0.113.9"})
	if !slices.Equal(a, spoof) {
		t.Error("an untrusted X-Forwarded-For changed the order")
	}
	// From a configured proxy, it names the client.
	proxied := newEnv(t, func(d *api.Deps) { d.TrustedProxies = []string{"10.0.0.0/8"} })
	proxied.addEnglish(t, 40)
	x := allPages(t, proxied, path, "10.1.2.3:5000", map[string]string{"X-Forwarded-For": "203.0.113.9"})
	y := allPages(t, proxied, path, "10.1.2.3:5000", map[string]string{"X-Forwarded-For": "198.51.100.7"})
	if slices.Equal(x, y) {
		t.Error("behind a trusted proxy, two clients see the same order")
	}
}

func TestSearchFollowsWrites(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/search/offers?q=boulanger"
	if p := searchPage(t, e, path, "", nil); p.Total != 0 {
		t.Fatalf("%d results before the offer exists", p.Total)
	}
	o := offerFixture(e.lyon.ID, marketplace.Published)
	o.Title = "CAP Boulanger"
	created, err := e.cat.CreateOffer(context.Background(), marketplace.Actor{Admin: true}, o)
	if err != nil {
		t.Fatal(err)
	}
	if p := searchPage(t, e, path, "", nil); p.Total != 1 || p.Results[0].Offer.ID != created.ID {
		t.Fatalf("after creation: %+v", p)
	}
	if err := e.cat.DeleteOffer(context.Background(), marketplace.Actor{Admin: true}, created.ID); err != nil {
		t.Fatal(err)
	}
	if p := searchPage(t, e, path, "", nil); p.Total != 0 {
		t.Fatalf("after deletion: %+v", p)
	}
}

func TestSearchBadParameters(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t)
	for _, c := range []struct{ query, field string }{
		{"commune=69123&radius_km=-1", "radius_km"},
		{"radius_km=10", "radius_km"},
		{"modality=online", "modality"},
		{"commune=6912", "commune"},
		{"commune=99999", "commune"},
		{"commune=69123&lat=45&lon=4", "commune"},
		{"lat=45", "lat"},
		{"lat=95&lon=4", "lat"},
		{"per_page=1000000", "per_page"},
		{"per_page=0", "per_page"},
		{"price_max=-3", "price_max"},
		{"hours_min=500&hours_max=20", "hours_max"},
		{"certification=ABC", "certification"},
		{"certification_type=CQP", "certification_type"},
		{"start_after=2026-02-30", "start_after"},
		{"region=99", "region"},
		{"sort=popularity", "sort"},
		{"sort=distance", "sort"},
		{"explain=yes", "explain"},
		{"cursor=xyz", "cursor"},
	} {
		rec := e.do(req{method: "GET", path: "/api/v1/search/offers?" + c.query})
		problem(t, rec, http.StatusBadRequest, c.field)
	}
	e.unchanged(t, before)
}

func TestSearchResultsCarryDistanceGroupsAndExplanations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Two more offers of lyon for the same certification, elsewhere: one
	// result that is "also in" two places.
	for _, cm := range []string{"69266", "69259"} {
		o := offerFixture(e.lyon.ID, marketplace.Published)
		o.Commune = cm
		if _, err := e.cat.CreateOffer(ctx, marketplace.Actor{Admin: true}, o); err != nil {
			t.Fatal(err)
		}
	}
	p := searchPage(t, e, "/api/v1/search/offers?q=DWWM&commune=69123&radius_km=30&explain=true", "", nil)
	if p.Total != 2 || p.TotalOffers != 4 {
		t.Fatalf("total %d results of %d offers, want 2 of 4: %s", p.Total, p.TotalOffers, resultIDs(p))
	}
	for _, r := range p.Results {
		if r.DistanceKm == nil || *r.DistanceKm > 30 || r.Explanation == nil || r.Tier != 4 || r.Explanation.Terms[0].How != "exact" {
			t.Errorf("result %+v %+v: want a distance, tier 4 and an exact match of the acronym", r, r.Explanation)
		}
		if r.Offer.ProviderID == e.lyon.ID && (r.AlsoIn == nil || r.AlsoIn.Count != 2 || len(r.AlsoIn.Communes) != 2) {
			t.Errorf("lyon's result: also_in %+v, want two other places", r.AlsoIn)
		}
	}
	if len(p.Facets.Modality) != 1 || p.Facets.Modality[0].Count != 4 || p.Facets.Region[0].Label == "" {
		t.Errorf("facets %+v", p.Facets)
	}
}

func TestNeutralityPublished(t *testing.T) {
	e := newEnv(t)
	e.addEnglish(t, 12)
	var pending api.NeutralityOutput
	rec := e.do(req{method: "GET", path: "/api/v1/transparency/neutrality"})
	if err := json.Unmarshal(rec.Body.Bytes(), &pending); err != nil || pending.Status != "pending" || pending.Indicators[0].Value != nil {
		t.Fatalf("before a run: %s %v", rec.Body, err)
	}
	if err := e.neutrality.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var done api.NeutralityOutput
	rec = e.do(req{method: "GET", path: "/api/v1/transparency/neutrality"})
	if err := json.Unmarshal(rec.Body.Bytes(), &done); err != nil || done.Status != "computed" || done.Clients != 20 {
		t.Fatalf("after a run: %s %v", rec.Body, err)
	}
	for _, ind := range done.Indicators {
		if ind.Value == nil || *ind.Value < 0 || *ind.Value > 1 || ind.Formula == "" {
			t.Errorf("indicator %+v", ind)
		}
	}
}
