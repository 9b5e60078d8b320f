package search

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
)

// fixedNow is the clock of the tests: keys and session dates depend on it.
var fixedNow = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func testIndex(o Options) *Index {
	o.Keys = NewKeys([]byte("test secret"), 24*time.Hour, func() time.Time { return fixedNow })
	o.Now = func() time.Time { return fixedNow }
	return NewWithOptions(o)
}

// english returns an offer "Anglais" of its own provider, certification
// TOEIC, in Lyon.
func english(id, provider string) marketplace.Offer {
	return marketplace.Offer{
		ID: id, ProviderID: provider, Title: "Anglais professionnel", Status: marketplace.Published,
		Certification: marketplace.Certification{Kind: marketplace.RS, Code: "RS5468", Title: "TOEIC Listening and Reading"},
		Skills:        []string{"Comprendre un message oral"}, Modality: marketplace.InPerson,
		Description: "Cours en petits groupes.", Commune: "69123", Department: "69", Region: "84",
		Lat: 45.758, Lon: 4.835, PriceCents: 120000, Hours: 40,
	}
}

func allIDs(t *testing.T, ix *Index, q Query) []string {
	t.Helper()
	var out []string
	for {
		r, err := ix.Search(q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ids(r)...)
		if r.Next == "" {
			return out
		}
		q.After = r.Next
	}
}

func TestSameClientSameOrderAcrossPages(t *testing.T) {
	ix := testIndex(Options{})
	for i := range 57 {
		ix.OfferSaved(english(fmt.Sprintf("o%02d", i), fmt.Sprintf("p%02d", i)), nil)
	}
	q := Query{Text: "anglais", Client: "203.0.113.7", Limit: 10}
	first := allIDs(t, ix, q)
	if len(first) != 57 {
		t.Fatalf("%d results over the pages, want 57", len(first))
	}
	if again := allIDs(t, ix, q); !slices.Equal(first, again) {
		t.Error("the same client asking again sees another order")
	}
	long, _ := ix.Search(Query{Text: "Anglais !", Client: "203.0.113.7", Limit: 57})
	if diff := cmp.Diff(first, ids(long)); diff != "" {
		t.Errorf("pages of 10 differ from one page of 57 for the same client and query (-pages +long):\n%s", diff)
	}
	other := allIDs(t, ix, Query{Text: "anglais", Client: "198.51.100.40", Limit: 10})
	if slices.Equal(first, other) {
		t.Error("two clients see the same order of 57 equally relevant offers")
	}
	// IPv6 privacy addresses of one /64 are one client.
	a := allIDs(t, ix, Query{Text: "anglais", Client: "2001:db8:1:2::aaaa"})
	b := allIDs(t, ix, Query{Text: "anglais", Client: "2001:db8:1:2:ffff::1"})
	if !slices.Equal(a, b) {
		t.Error("two addresses of one /64 see different orders")
	}
}

func TestKeyRotation(t *testing.T) {
	now := fixedNow
	keys := NewKeys([]byte("k"), time.Hour, func() time.Time { return now })
	ix := NewWithOptions(Options{Keys: keys, Now: func() time.Time { return now }})
	for i := range 30 {
		ix.OfferSaved(english(fmt.Sprintf("o%02d", i), fmt.Sprintf("p%02d", i)), nil)
	}
	q := Query{Text: "anglais", Client: "192.0.2.1", Limit: 10}
	r1, _ := ix.Search(q)
	now = now.Add(time.Hour)
	r2, _ := ix.Search(q)
	if slices.Equal(ids(r1), ids(r2)) {
		t.Error("the order did not change with the key period")
	}
	// A cursor keeps the period it was drawn in.
	q.After = r1.Next
	p2, err := ix.Search(q)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(-time.Hour)
	q.After = ""
	q.Limit = 20
	both, _ := ix.Search(q)
	if diff := cmp.Diff(ids(both)[10:], ids(p2)); diff != "" {
		t.Errorf("page 2 after the rotation does not continue page 1:\n%s", diff)
	}
	now = now.Add(30 * 24 * time.Hour)
	q.After, q.Limit = r1.Next, 10
	if _, err := ix.Search(q); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("a month-old cursor: %v, want an invalid cursor", err)
	}
}

// TestEqualOffersTakeEveryPlaceEvenly draws the order of K equally
// relevant offers for many client addresses and checks with a chi-square
// test that each offer takes each position about equally often.
func TestEqualOffersTakeEveryPlaceEvenly(t *testing.T) {
	const k, clients = 6, 3000
	ix := testIndex(Options{ProviderCap: -1})
	for i := range k {
		ix.OfferSaved(english(fmt.Sprintf("o%d", i), fmt.Sprintf("p%d", i)), nil)
	}
	counts := map[string][]int{}
	for c := range clients {
		ip := fmt.Sprintf("10.%d.%d.%d", c/65536, c/256%256, c%256)
		r, err := ix.Search(Query{Text: "anglais", Client: ip})
		if err != nil {
			t.Fatal(err)
		}
		for pos, id := range ids(r) {
			if counts[id] == nil {
				counts[id] = make([]int, k)
			}
			counts[id][pos]++
		}
	}
	expected := float64(clients) / k
	chi2 := 0.0
	for _, row := range counts {
		for _, n := range row {
			chi2 += (float64(n) - expected) * (float64(n) - expected) / expected
		}
	}
	// (k-1)² = 25 degrees of freedom: the 0.999 quantile is 52.6.
	if chi2 > 52.6 {
		t.Errorf("chi-square = %.1f over %v: positions are not evenly spread", chi2, counts)
	}
	// The test can fail: ties broken by ID give a huge statistic.
	if len(counts) != k {
		t.Fatalf("%d offers seen", len(counts))
	}
}

func TestHigherTierAlwaysFirst(t *testing.T) {
	ix := testIndex(Options{ProviderCap: 2})
	r := rand.New(rand.NewPCG(7, 7))
	titles := []string{"Anglais professionnel", "Anglais et espagnol", "Espagnol", "Anglais des affaires à Lyon"}
	descs := []string{"Cours d'anglais à Lyon.", "Cours du soir.", "Préparation au TOEIC à Lyon.", ""}
	for i := range 300 {
		o := english(fmt.Sprintf("o%03d", i), fmt.Sprintf("p%02d", r.IntN(12)))
		o.Title, o.Description = titles[r.IntN(len(titles))], descs[r.IntN(len(descs))]
		o.Certification.Code = fmt.Sprintf("RS%d", 5000+r.IntN(40))
		ix.OfferSaved(o, nil)
	}
	for c := range 40 {
		q := Query{Text: "anglais lyon", Client: fmt.Sprintf("192.0.2.%d", c), Limit: 7, Explain: true}
		prev := 5
		seen := map[int]bool{}
		for {
			res, err := ix.Search(q)
			if err != nil {
				t.Fatal(err)
			}
			perProvider := map[string]int{}
			for _, h := range res.Hits {
				if h.Tier > prev {
					t.Fatalf("client %d: tier %d after tier %d", c, h.Tier, prev)
				}
				prev = h.Tier
				seen[h.Tier] = true
				perProvider[h.Offer.ProviderID]++
				if h.Explanation == nil || h.Explanation.Tier != h.Tier {
					t.Fatal("no explanation, or one with another tier")
				}
				sum := 0
				for _, tm := range h.Explanation.Terms {
					sum += tm.Points
				}
				if sum != h.Explanation.Points || float64(sum)/float64(h.Explanation.MaxPoints) != h.Score && math.Abs(float64(sum)/float64(h.Explanation.MaxPoints)-h.Score) > 0.001 {
					t.Fatalf("explanation %+v does not add up to score %v", h.Explanation, h.Score)
				}
			}
			if res.Next == "" {
				break
			}
			q.After = res.Next
		}
		if len(seen) < 3 {
			t.Fatalf("only tiers %v: the test catalogue does not exercise the order", seen)
		}
	}
}

func TestProviderCapPerPage(t *testing.T) {
	ix := testIndex(Options{ProviderCap: 2})
	// One provider with 10 certifications, ten providers with one.
	for i := range 10 {
		o := english(fmt.Sprintf("big%d", i), "big")
		o.Certification.Code = fmt.Sprintf("RS%d", 6000+i)
		ix.OfferSaved(o, nil)
		ix.OfferSaved(english(fmt.Sprintf("small%d", i), fmt.Sprintf("small%d", i)), nil)
	}
	for c := range 50 {
		q := Query{Text: "anglais", Client: fmt.Sprintf("198.51.100.%d", c), Limit: 5}
		var pages [][]string // providers of each page
		for {
			res, err := ix.Search(q)
			if err != nil {
				t.Fatal(err)
			}
			var provs []string
			for _, h := range res.Hits {
				provs = append(provs, h.Offer.ProviderID)
			}
			pages = append(pages, provs)
			if res.Next == "" {
				break
			}
			q.After = res.Next
		}
		all := 0
		for i, provs := range pages {
			all += len(provs)
			big := 0
			for _, p := range provs {
				if p == "big" {
					big++
				}
			}
			if big <= 2 {
				continue
			}
			// Over the cap only when nothing else was left to show.
			for _, later := range pages[i+1:] {
				for _, p := range later {
					if p != "big" {
						t.Fatalf("client %d: page %d holds %d results of one provider (cap 2) while %s comes later: %v", c, i, big, p, pages)
					}
				}
			}
		}
		if all != 20 {
			t.Fatalf("%d results over the pages, want 20: the cap lost some", all)
		}
	}
}

func exposure(t *testing.T, ix *Index, q Query, k, clients int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for c := range clients {
		q.Client = SyntheticClients(clients)[c]
		q.Limit = k
		r, err := ix.Search(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range r.Hits {
			out[h.Offer.ID]++
		}
	}
	return out
}

func TestKeywordStuffingDoesNotPay(t *testing.T) {
	ix := testIndex(Options{})
	for i := range 30 {
		ix.OfferSaved(english(fmt.Sprintf("honest%02d", i), fmt.Sprintf("p%02d", i)), nil)
	}
	stuffed := english("stuffed", "stuffer")
	stuffed.Title = "ANGLAIS anglais Anglais MEILLEURE formation anglais PROMO TOEIC anglais business english conversation oral écrit grammaire"
	stuffed.Description = ""
	for range 200 {
		stuffed.Description += "anglais toeic anglais cours intensif anglais certification garantie "
	}
	for i := range 50 {
		stuffed.Skills = append(stuffed.Skills, fmt.Sprintf("anglais compétence %d", i))
	}
	ix.OfferSaved(stuffed, nil)
	honest, _ := ix.Search(Query{Text: "anglais", Client: "192.0.2.1", Explain: true, Limit: 100})
	var honestTier, stuffedTier int
	var honestScore, stuffedScore float64
	for _, h := range honest.Hits {
		if h.Offer.ID == "stuffed" {
			stuffedTier, stuffedScore = h.Tier, h.Score
		} else {
			honestTier, honestScore = h.Tier, h.Score
		}
	}
	if stuffedTier > honestTier || stuffedScore > honestScore {
		t.Errorf("stuffed offer: tier %d score %v; honest: tier %d score %v", stuffedTier, stuffedScore, honestTier, honestScore)
	}
	exp := exposure(t, ix, Query{Text: "anglais"}, 10, 400)
	mean := 0.0
	for id, n := range exp {
		if id != "stuffed" {
			mean += float64(n) / 30
		}
	}
	if float64(exp["stuffed"]) > mean*1.3 {
		t.Errorf("the stuffed offer is on the first page %d times, an honest one %.0f times on average", exp["stuffed"], mean)
	}
}

func TestFloodingIsGrouped(t *testing.T) {
	ix := testIndex(Options{})
	communes := geo.Default().Communes()
	for i := range 60 {
		o := english(fmt.Sprintf("flood%02d", i), "flooder")
		c := communes[i*500]
		o.Commune, o.Lat, o.Lon, o.Department, o.Region = c.INSEE, c.Lat, c.Lon, c.Department, c.Region
		ix.OfferSaved(o, nil)
	}
	for i := range 15 {
		ix.OfferSaved(english(fmt.Sprintf("other%02d", i), fmt.Sprintf("p%02d", i)), nil)
	}
	res, err := ix.Search(Query{Text: "anglais", Client: "192.0.2.9", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 16 || res.TotalOffers != 75 {
		t.Errorf("total %d results of %d offers, want 16 of 75", res.Total, res.TotalOffers)
	}
	for _, h := range res.Hits {
		if h.Offer.ProviderID == "flooder" && (h.Others != 59 || len(h.OtherCommunes) != 5) {
			t.Errorf("the flooder's result: %d others in %v, want 59 and five communes", h.Others, h.OtherCommunes)
		}
	}
	exp := exposure(t, ix, Query{Text: "anglais"}, 5, 400)
	flood := 0
	for id, n := range exp {
		if id[:5] == "flood" {
			flood += n
		}
	}
	// 16 equal results, 5 shown: each is shown 5/16 of the time.
	if want := 400.0 * 5 / 16; float64(flood) > want*1.3 {
		t.Errorf("60 offers of one provider on the first page %d times; one result would be %.0f", flood, want)
	}
}

func TestRadiusNeverExceeded(t *testing.T) {
	ix := testIndex(Options{})
	communes := geo.Default().Communes()
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		c := communes[r.IntN(len(communes))]
		o := english(fmt.Sprintf("o%04d", i), fmt.Sprintf("p%d", i))
		o.Commune, o.Lat, o.Lon, o.Department, o.Region = c.INSEE, c.Lat, c.Lon, c.Department, c.Region
		ix.OfferSaved(o, nil)
	}
	for i := range 60 {
		c := communes[r.IntN(len(communes))]
		radius := []float64{1, 5, 10, 30, 100, 250}[i%6]
		for _, text := range []string{"", "anglais"} {
			q := Query{Text: text, Near: &Point{c.Lat, c.Lon}, RadiusKm: radius, Client: "192.0.2.1", Limit: 100, Sort: SortDistance}
			got := 0
			last := -1.0
			for {
				res, err := ix.Search(q)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range res.Hits {
					d := geo.DistanceKm(c.Lat, c.Lon, h.Offer.Lat, h.Offer.Lon)
					if d > radius || !h.HasDistance || math.Abs(h.DistanceKm-d) > 0.06 {
						t.Fatalf("%s within %g km: %s at %.3f km (shown %.1f)", c.Name, radius, h.Offer.ID, d, h.DistanceKm)
					}
					if d < last-1e-3 {
						t.Fatalf("sorted by distance, %.3f after %.3f", d, last)
					}
					last = d
				}
				got += res.TotalOffers * 0
				if res.Next == "" {
					got = res.Total
					break
				}
				q.After = res.Next
			}
			want := 0
			for d := range ix.docs {
				if ix.alive[d] && geo.DistanceKm(c.Lat, c.Lon, ix.lat[d], ix.lon[d]) <= radius {
					want++
				}
			}
			if got != want {
				t.Fatalf("%s within %g km: %d results, brute force finds %d", c.Name, radius, got, want)
			}
		}
	}
}

func TestFiltersFacetsAndSorts(t *testing.T) {
	ix := testIndex(Options{})
	day := func(d int) time.Time { return fixedNow.AddDate(0, 0, d).Truncate(24 * time.Hour) }
	mk := func(id string, price int64, hours int, m marketplace.Modality, kind marketplace.CertificationKind, start int) {
		o := english(id, "p"+id)
		o.PriceCents, o.Hours, o.Modality = price, hours, m
		o.Certification.Kind = kind
		o.Certification.Code = string(kind) + "1" + id[1:]
		var ss []marketplace.Session
		if start != 0 {
			ss = append(ss, marketplace.Session{ID: "s" + id, OfferID: id, Start: day(start), End: day(start + 5), Seats: 5})
		}
		ss = append(ss, marketplace.Session{ID: "past" + id, OfferID: id, Start: day(-30), End: day(-20), Seats: 5})
		ix.OfferSaved(o, ss)
	}
	mk("a1", 30000, 20, marketplace.InPerson, marketplace.RS, 20)
	mk("b2", 90000, 50, marketplace.Distance, marketplace.RS, 60)
	mk("c3", 250000, 150, marketplace.Mixed, marketplace.RNCP, 10)
	mk("d4", 700000, 600, marketplace.InPerson, marketplace.RNCP, 0)
	p := int64(100000)
	for _, c := range []struct {
		q    Query
		want []string
	}{
		{Query{Sort: SortPrice}, []string{"a1", "b2", "c3", "d4"}},
		{Query{Sort: SortStartDate}, []string{"c3", "a1", "b2", "d4"}},
		{Query{PriceMaxCents: &p, Sort: SortPrice}, []string{"a1", "b2"}},
		{Query{HoursMin: 40, HoursMax: 200, Sort: SortPrice}, []string{"b2", "c3"}},
		{Query{Modality: marketplace.InPerson, Sort: SortPrice}, []string{"a1", "d4"}},
		{Query{CertificationKind: marketplace.RNCP, Sort: SortPrice}, []string{"c3", "d4"}},
		{Query{StartAfter: day(15), StartBefore: day(70), Sort: SortPrice}, []string{"a1", "b2"}},
		{Query{StartBefore: day(15), Sort: SortPrice}, []string{"c3"}},
		{Query{Region: "11"}, nil},
	} {
		res, err := ix.Search(c.q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.want, ids(res)); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", c.q, diff)
		}
	}
	res, _ := ix.Search(Query{})
	want := Facets{
		Modality:          []FacetCount{{"in_person", 2}, {"distance", 1}, {"mixed", 1}},
		Region:            []FacetCount{{"84", 4}},
		CertificationKind: []FacetCount{{"RNCP", 2}, {"RS", 2}},
		Price: []BucketCount{{"0-500eur", 0, 500_00, 1}, {"500-1000eur", 500_00, 1000_00, 1},
			{"2000-5000eur", 2000_00, 5000_00, 1}, {"5000eur+", 5000_00, 0, 1}},
		Duration: []BucketCount{{"0-35h", 0, 35, 1}, {"35-100h", 35, 100, 1}, {"100-400h", 100, 400, 1}, {"400h+", 400, 0, 1}},
	}
	if diff := cmp.Diff(want, res.Facets); diff != "" {
		t.Errorf("facets (-want +got):\n%s", diff)
	}
}

func TestBadQueries(t *testing.T) {
	ix := testIndex(Options{})
	neg := int64(-1)
	for _, c := range []struct {
		q     Query
		field string
	}{
		{Query{Near: &Point{45, 4}, RadiusKm: -3}, "radius_km"},
		{Query{RadiusKm: 10}, "radius_km"},
		{Query{Modality: "online"}, "modality"},
		{Query{Limit: 5000}, "per_page"},
		{Query{PriceMaxCents: &neg}, "price_max"},
		{Query{HoursMin: 50, HoursMax: 10}, "hours_max"},
		{Query{Sort: SortDistance}, "sort"},
		{Query{Sort: "popularity"}, "sort"},
		{Query{Near: &Point{95, 4}}, "lat"},
		{Query{CertificationKind: "CQP"}, "certification_type"},
		{Query{After: "!!"}, "cursor"},
		{Query{StartAfter: fixedNow, StartBefore: fixedNow.AddDate(0, 0, -1)}, "start_before"},
	} {
		_, err := ix.Search(c.q)
		var v *marketplace.ValidationError
		if !errors.As(err, &v) || len(v.Fields) == 0 || v.Fields[0].Field != c.field {
			t.Errorf("%+v: %v, want an error on %s", c.q, err, c.field)
		}
	}
}

func TestTextMatching(t *testing.T) {
	ix := testIndex(Options{})
	add := func(id, title, certCode, certTitle, desc string) {
		o := english(id, "p"+id)
		o.Title, o.Certification.Code, o.Certification.Title, o.Description, o.Skills = title, certCode, certTitle, desc, nil
		ix.OfferSaved(o, nil)
	}
	add("web", "Devenir développeuse web", "RNCP37674", "Développeur web et web mobile", "")
	add("trainer", "Formateur professionnel d'adultes", "RNCP37275", "Formateur professionnel d'adultes", "")
	add("xl", "Tableur : les bases", "RS5252", "TOSA Excel", "")
	add("compta", "Comptabilité", "RNCP37429", "Comptable assistant", "Cours à Lyon 69003.")
	add("b", "Permis B", "RS5436", "Permis de conduire catégorie B", "")
	add("care", "Préparation au DEAS", "RNCP35830", "Diplôme d'État d'aide-soignant", "")
	add("c", "Permis C", "RS5529", "Permis de conduire catégorie C", "")
	for _, c := range []struct {
		text string
		want []string
	}{
		{"développeurs", []string{"web"}},
		{"dwwm", []string{"web"}},
		{"DEAS", []string{"care"}}, // an acronym ending in s
		{"aide-soignant", []string{"care"}},
		{"formation", nil},                 // a stop word alone: everything, but checked below
		{"formateur", []string{"trainer"}}, // formation is not formateur
		{"excel", []string{"xl"}},
		{"compta", []string{"compta"}},
		{"comptabilte", []string{"compta"}}, // a typo
		{"permis b", []string{"b"}},
		{"rncp37674", []string{"web"}},
		{"RNCP 37674", []string{"web"}},
		{"rncp37675", nil}, // no typo tolerance on codes
		{"69003", []string{"compta"}},
		{"69004", nil}, // nor on postcodes
		{"develop", []string{"web"}},
	} {
		res, err := ix.Search(Query{Text: c.text, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(res)
		sort.Strings(got)
		if c.text == "formation" {
			if len(got) != 7 {
				t.Errorf("formation: %v, want every offer", got)
			}
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", c.text, diff)
		}
	}
	// An exact match outranks a typo match.
	res, _ := ix.Search(Query{Text: "comptabilte", Explain: true})
	if len(res.Hits) != 1 || res.Hits[0].Explanation.Terms[0].How != "typo" || res.Hits[0].Tier != 3 {
		t.Errorf("typo match: %+v", res.Hits)
	}
}

func TestUpdatesFollowWrites(t *testing.T) {
	ix := testIndex(Options{})
	o := english("a", "p")
	ix.OfferSaved(o, nil)
	o.Title, o.Skills, o.Certification.Title, o.Description = "Espagnol", nil, "DELE", ""
	ix.OfferSaved(o, nil)
	if r, _ := ix.Search(Query{Text: "anglais"}); r.Total != 0 {
		t.Error("an old word still finds the offer after an update")
	}
	if r, _ := ix.Search(Query{Text: "espagnol"}); r.Total != 1 {
		t.Error("a new word does not find the offer")
	}
	ix.OfferDeleted("a")
	if r, _ := ix.Search(Query{Text: "espagnol"}); r.Total != 0 || ix.Len() != 0 {
		t.Error("a deleted offer is still found")
	}
	// The freed slot is reused and nothing of the old offer remains.
	ix.OfferSaved(english("b", "q"), nil)
	if r, _ := ix.Search(Query{Text: "espagnol"}); r.Total != 0 {
		t.Error("a reused slot carries an old word")
	}
	if r, _ := ix.Search(Query{Text: "anglais"}); r.Total != 1 || r.Hits[0].Offer.ID != "b" {
		t.Errorf("%+v", ids(r))
	}
}

func TestNeutralityIndicators(t *testing.T) {
	ix := testIndex(Options{})
	for i := range 80 {
		ix.OfferSaved(english(fmt.Sprintf("o%02d", i), fmt.Sprintf("p%02d", i%40)), nil)
	}
	for i := range 40 {
		o := english(fmt.Sprintf("x%02d", i), fmt.Sprintf("p%02d", i))
		o.Title = "Espagnol"
		o.Certification.Code = "RS6143"
		ix.OfferSaved(o, nil)
	}
	queries := []Query{{Text: "anglais"}, {Text: "espagnol"}, {}}
	clients := SyntheticClients(200)
	fair, err := Measure(ix.Ranking, queries, clients, 10)
	if err != nil {
		t.Fatal(err)
	}
	if fair.ExposureDisparity > 0.1 || fair.SystematicPrecedence > 0.1 || fair.Pairs == 0 || fair.ExposureSlots == 0 {
		t.Errorf("fair ranker: %+v, want both indicators near 0", fair)
	}
	// Ties broken by offer ID: the same offers first for everyone.
	biased := func(q Query, client string) ([]Ranked, error) {
		r, err := ix.Ranking(q, client)
		sort.SliceStable(r, func(i, j int) bool {
			if r[i].Tier != r[j].Tier {
				return r[i].Tier > r[j].Tier
			}
			return r[i].ID < r[j].ID
		})
		return r, err
	}
	b, err := Measure(biased, queries, clients, 10)
	if err != nil {
		t.Fatal(err)
	}
	if b.ExposureDisparity < 0.3 || b.SystematicPrecedence < 0.9 {
		t.Errorf("biased ranker: %+v, want both indicators clearly above 0", b)
	}
	// The monitor replays logged queries, anonymised.
	log := NewQueryLog(10)
	ix.log = log
	ix.Search(Query{Text: "anglais jean-pierre dupont", Client: "192.0.2.1"})
	if got := log.Recent(5); len(got) != 1 || got[0].Text != "anglais" || got[0].Client != "" {
		t.Errorf("logged %+v, want only the known word, no client", got)
	}
	m := NewMonitor(ix, log, 50, 4, 10)
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ind, ok := m.Latest(); !ok || ind.Queries != 4 || ind.Clients != 50 {
		t.Errorf("monitor: %+v %v", ind, ok)
	}
}

func TestSyntheticClientsAreDocumentationAddresses(t *testing.T) {
	cs := SyntheticClients(200)
	seen := map[string]bool{}
	for _, c := range cs {
		id := clientID(c)
		if seen[id] {
			t.Errorf("%s is the same client as another", c)
		}
		seen[id] = true
		ok := false
		for _, p := range []string{"192.0.2.", "198.51.100.", "203.0.113.", "2001:db8:"} {
			ok = ok || len(c) > len(p) && c[:len(p)] == p
		}
		if !ok {
			t.Errorf("%s is not a documentation address", c)
		}
	}
}
