// Package storetest is the conformance suite every storage backend passes.
// A backend's test calls Run with a function that opens a fresh, empty store;
// the suite checks the contracts documented on the domain store interfaces.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/marketplace"
)

// Run runs the whole suite; open returns a new empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) marketplace.Store) {
	t.Run("ProviderCRUD", func(t *testing.T) { testProviderCRUD(t, open(t)) })
	t.Run("ProviderSIRETUnique", func(t *testing.T) { testSIRETUnique(t, open(t)) })
	t.Run("ProviderPagination", func(t *testing.T) { testProviderPagination(t, open(t)) })
	t.Run("OfferCRUD", func(t *testing.T) { testOfferCRUD(t, open(t)) })
	t.Run("OfferOptimisticConcurrency", func(t *testing.T) { testOfferConcurrency(t, open(t)) })
	t.Run("OfferFiltersAndPagination", func(t *testing.T) { testOfferFilters(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("LoadCatalogueIdempotent", func(t *testing.T) { testLoad(t, open(t)) })
	t.Run("BadCursor", func(t *testing.T) { testBadCursor(t, open(t)) })
}

// Time is the fixed instant the suite's records are stamped with: stores
// must keep timestamps to the millisecond.
var Time = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// Provider returns a valid provider numbered n, with a valid SIRET.
func Provider(n int) marketplace.Provider {
	return marketplace.Provider{
		ID:        fmt.Sprintf("prov-%04d", n),
		SIRET:     SIRET(n),
		Name:      fmt.Sprintf("Organisme %d", n),
		NDA:       "11755555575",
		Qualiopi:  marketplace.Qualiopi{Certificate: fmt.Sprintf("Q-%d", n), Certifier: "AFNOR", ValidUntil: Time.AddDate(1, 0, 0)},
		Commune:   "75056",
		CreatedAt: Time, UpdatedAt: Time,
	}
}

// SIRET returns a valid SIRET derived from n (Luhn key in the last digit).
func SIRET(n int) string {
	base := fmt.Sprintf("4%012d", n)
	for d := 0; d < 10; d++ {
		s := base + string(rune('0'+d))
		if marketplace.ValidSIRET(s) {
			return s
		}
	}
	panic("unreachable")
}

// Offer returns a valid offer numbered n for a provider.
func Offer(n int, providerID string) marketplace.Offer {
	return marketplace.Offer{
		ID:            fmt.Sprintf("offer-%05d", n),
		ProviderID:    providerID,
		Certification: marketplace.Certification{Kind: marketplace.RS, Code: "RS5517", Title: "TOEIC"},
		Title:         fmt.Sprintf("Anglais professionnel %d", n),
		Skills:        []string{"anglais"},
		PriceCents:    120000,
		Hours:         30,
		Modality:      marketplace.InPerson,
		Commune:       "69123", Department: "69", Region: "84", Lat: 45.76, Lon: 4.83,
		Status:    marketplace.Published,
		CreatedAt: Time, UpdatedAt: Time,
	}
}

func testProviderCRUD(t *testing.T, s marketplace.Store) {
	ctx := context.Background()
	p := Provider(1)
	if _, err := s.Provider(ctx, p.ID); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("Provider before create: err = %v, want ErrNotFound", err)
	}
	if err := s.CreateProvider(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.Provider(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("Provider round trip (-want +got):\n%s", diff)
	}
	if err := s.CreateProvider(ctx, p); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("second create: err = %v, want ErrConflict", err)
	}
	upd := p
	upd.Name = "Nouveau nom"
	upd.UpdatedAt = Time.Add(time.Second)
	if err := s.UpdateProvider(ctx, upd, Time.Add(time.Hour)); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("update with stale version: err = %v, want ErrConflict", err)
	}
	if err := s.UpdateProvider(ctx, upd, Time); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Provider(ctx, p.ID)
	if got.Name != "Nouveau nom" || !got.UpdatedAt.Equal(upd.UpdatedAt) {
		t.Errorf("after update got %q at %v", got.Name, got.UpdatedAt)
	}
	missing := Provider(2)
	if err := s.UpdateProvider(ctx, missing, Time); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("update missing: err = %v, want ErrNotFound", err)
	}
}

func testSIRETUnique(t *testing.T, s marketplace.Store) {
	ctx := context.Background()
	a, b := Provider(1), Provider(2)
	b.SIRET = a.SIRET
	if err := s.CreateProvider(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProvider(ctx, b); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("same SIRET: err = %v, want ErrConflict", err)
	}
	if _, err := s.Provider(ctx, b.ID); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("refused provider was stored: err = %v", err)
	}
	c := Provider(3)
	if err := s.CreateProvider(ctx, c); err != nil {
		t.Fatal(err)
	}
	c2 := c
	c2.SIRET = a.SIRET
	if err := s.UpdateProvider(ctx, c2, c.UpdatedAt); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("update to a taken SIRET: err = %v, want ErrConflict", err)
	}
	// Changing a SIRET frees the old one.
	c3 := c
	c3.SIRET = SIRET(99)
	if err := s.UpdateProvider(ctx, c3, c.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	d := Provider(4)
	d.SIRET = c.SIRET
	if err := s.CreateProvider(ctx, d); err != nil {
		t.Errorf("old SIRET still taken after change: %v", err)
	}
}

func testProviderPagination(t *testing.T, s marketplace.Store) {
	ctx := context.Background()
	var want []string
	for i := 0; i < 25; i++ {
		p := Provider(i)
		want = append(want, p.ID)
		if err := s.CreateProvider(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	page := marketplace.Page{Limit: 10}
	for pages := 0; ; pages++ {
		ps, next, err := s.Providers(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) > 10 {
			t.Fatalf("page of %d, limit 10", len(ps))
		}
		for _, p := range ps {
			got = append(got, p.ID)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		page.After = next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("all pages (-want +got):\n%s", diff)
	}
}

func testOfferCRUD(t *testing.T, s marketplace.Store) {
	ctx := context.Background()
	p := Provider(1)
	if err := s.CreateProvider(ctx, p); err != nil {
		t.Fatal(err)
	}
	o := Offer(1, p.ID)
	if err := s.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOffer(ctx, o); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("second create: err = %v, want ErrConflict", err)
	}
	got, err := s.Offer(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("Offer round trip (-want +got):\n%s", diff)
	}
	upd := o
	upd.Region, upd.Department, upd.Commune = "11", "75", "75056"
	upd.UpdatedAt = Time.Add(time.Second)
	if err := s.UpdateOffer(ctx, upd, Time); err != nil {
		t.Fatal(err)
	}
	// Indexes follow the update: the offer moved region.
	if n, _ := s.CountOffers(ctx, marketplace.OfferFilter{Region: "84"}); n != 0 {
		t.Errorf("old region still lists %d offers", n)
	}
	if n, _ := s.CountOffers(ctx, marketplace.OfferFilter{Region: "11"}); n != 1 {
		t.Errorf("new region lists %d offers, want 1", n)
	}
	if err := s.DeleteOffer(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Offer(ctx, o.ID); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("after delete: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteOffer(ctx, o.ID); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if n, _ := s.CountOffers(ctx, marketplace.OfferFilter{ProviderID: p.ID}); n != 0 {
		t.Errorf("deleted offer still indexed: %d", n)
	}
}

func testOfferConcurrency(t *testing.T, s marketplace.Store) {
	ctx := context.Background()
	o := Offer(1, "prov-0001")
	if err := s.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	// Many writers race to update from the same version: exactly one wins.
	const writers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			u := o
			u.Title = fmt.Sprintf("Version %d", i)
			u.UpdatedAt = Time.Add(time.Duration(i+1) * time.Millisecond)
			err := s.UpdateOffer(ctx, u, o.UpdatedAt)
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, marketplace.ErrConflict):
				t.Errorf("writer %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d writers won from the same version, want 1", wins)
	}
}

func testOfferFilters(t *testing.T, s marketplace.Store) {
	ctx := context.Background()
	type place struct{ commune, dept, region string }
	places := []place{{"75056", "75", "11"}, {"69123", "69", "84"}, {"13055", "13", "93"}}
	want := map[string][]string{}
	for i := 0; i < 60; i++ {
		prov := fmt.Sprintf("prov-%04d", i%3)
		o := Offer(i, prov)
		pl := places[i%len(places)]
		o.Commune, o.Department, o.Region = pl.commune, pl.dept, pl.region
		if i%4 == 0 {
			o.Certification.Code = "RNCP37674"
		}
		if i%5 == 0 {
			o.Status = marketplace.Draft
		}
		if err := s.CreateOffer(ctx, o); err != nil {
			t.Fatal(err)
		}
		if o.Region == "84" && o.Status == marketplace.Published {
			want["region84published"] = append(want["region84published"], o.ID)
		}
		if prov == "prov-0001" && o.Certification.Code == "RNCP37674" {
			want["prov1rncp"] = append(want["prov1rncp"], o.ID)
		}
		want["all"] = append(want["all"], o.ID)
	}
	tests := []struct {
		name string
		f    marketplace.OfferFilter
	}{
		{"region84published", marketplace.OfferFilter{Region: "84", Status: marketplace.Published}},
		{"prov1rncp", marketplace.OfferFilter{ProviderID: "prov-0001", Certification: "RNCP37674"}},
		{"all", marketplace.OfferFilter{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			page := marketplace.Page{Limit: 7}
			for {
				os, next, err := s.Offers(ctx, tt.f, page)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range os {
					got = append(got, o.ID)
				}
				if next == "" {
					break
				}
				page.After = next
			}
			sort.Strings(want[tt.name])
			if diff := cmp.Diff(want[tt.name], got); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
			n, err := s.CountOffers(ctx, tt.f)
			if err != nil || n != len(want[tt.name]) {
				t.Errorf("CountOffers = %d, %v; want %d", n, err, len(want[tt.name]))
			}
		})
	}
}

func testSessions(t *testing.T, s marketplace.Store) {
	ctx := context.Background()
	o := Offer(1, "prov-0001")
	if err := s.CreateOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	late := marketplace.Session{ID: "s2", OfferID: o.ID, Start: Time.AddDate(0, 2, 0), End: Time.AddDate(0, 3, 0), Seats: 12, CreatedAt: Time}
	early := marketplace.Session{ID: "s1", OfferID: o.ID, Start: Time.AddDate(0, 1, 0), End: Time.AddDate(0, 1, 5), Seats: 8, CreatedAt: Time}
	for _, ss := range []marketplace.Session{late, early} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateSession(ctx, early); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("duplicate session: err = %v, want ErrConflict", err)
	}
	orphan := early
	orphan.ID, orphan.OfferID = "s3", "no-such-offer"
	if err := s.CreateSession(ctx, orphan); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("session of missing offer: err = %v, want ErrNotFound", err)
	}
	got, err := s.Sessions(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]marketplace.Session{early, late}, got); diff != "" {
		t.Errorf("sessions by start (-want +got):\n%s", diff)
	}
	if err := s.DeleteSession(ctx, o.ID, "s1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, o.ID, "s1"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteOffer(ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Sessions(ctx, o.ID); len(got) != 0 {
		t.Errorf("sessions survive their offer: %v", got)
	}
}

func testLoad(t *testing.T, s marketplace.Store) {
	l, ok := s.(marketplace.Loader)
	if !ok {
		t.Skip("store has no Loader")
	}
	ctx := context.Background()
	var cat marketplace.Catalogue
	for i := 0; i < 5; i++ {
		cat.Providers = append(cat.Providers, Provider(i))
	}
	for i := 0; i < 120; i++ {
		o := Offer(i, Provider(i%5).ID)
		cat.Offers = append(cat.Offers, o)
		cat.Sessions = append(cat.Sessions, marketplace.Session{ID: fmt.Sprintf("s%d", i), OfferID: o.ID, Start: Time, End: Time, Seats: 5, CreatedAt: Time})
	}
	for range 2 {
		if err := l.LoadCatalogue(ctx, cat); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.CountOffers(ctx, marketplace.OfferFilter{}); n != 120 {
		t.Errorf("after loading twice: %d offers, want 120", n)
	}
	if n, _ := s.CountOffers(ctx, marketplace.OfferFilter{ProviderID: Provider(2).ID}); n != 24 {
		t.Errorf("provider index after loading twice: %d, want 24", n)
	}
	ps, _, _ := s.Providers(ctx, marketplace.Page{Limit: 100})
	if len(ps) != 5 {
		t.Errorf("after loading twice: %d providers, want 5", len(ps))
	}
	ss, _ := s.Sessions(ctx, "offer-00007")
	if len(ss) != 1 {
		t.Errorf("after loading twice: %d sessions of one offer, want 1", len(ss))
	}
	// A provider reusing another's SIRET is refused.
	bad := Provider(9)
	bad.SIRET = Provider(0).SIRET
	if err := l.LoadCatalogue(ctx, marketplace.Catalogue{Providers: []marketplace.Provider{bad}}); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("load with a taken SIRET: err = %v, want ErrConflict", err)
	}
}

func testBadCursor(t *testing.T, s marketplace.Store) {
	ctx := context.Background()
	_, _, err := s.Offers(ctx, marketplace.OfferFilter{}, marketplace.Page{After: "%%%not-base64"})
	if !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("bad offer cursor: err = %v, want ErrInvalid", err)
	}
	_, _, err = s.Providers(ctx, marketplace.Page{After: "!!"})
	if !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("bad provider cursor: err = %v, want ErrInvalid", err)
	}
}
