package web

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching/recommend"
	"github.com/parcours/parcours/orgs"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/starter"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

// stack is the whole service as serve builds it, on a temporary store.
type stack struct {
	server    *api.Server
	pages     *Pages
	store     *bolt.Store
	catalogue *marketplace.CatalogueService
	index     *search.Index
	monitor   *search.Monitor
	tokens    *auth.Tokens
	enrol     *marketplace.EnrolmentService
	orgs      *orgs.Service
	// shift moves the enrolment service's clock (nanoseconds added to the
	// real time), so that tests can reach a session's start.
	shift *atomic.Int64
	fix   fixture
	// ctl is the automatic controls and their review.
	ctl *controls.Service
	// recs and widget are the training recommendations and their widget.
	recs   *recommend.Service
	widget *recommend.Widget
}

// newStack builds the service over a fresh store holding the fixture
// catalogue, plus extra when not nil (the browser tests add a larger set).
func newStack(t testing.TB, demoMode bool, extra *marketplace.Catalogue) *stack {
	t.Helper()
	return newStackWith(t, demoMode, extra, nil)
}

// newStackWith is newStack with the pages' Deps adjusted by opt.
func newStackWith(t testing.TB, demoMode bool, extra *marketplace.Catalogue, opt func(*Deps)) *stack {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	places := geo.Default()
	cat := marketplace.NewCatalogueService(store, places, nil)
	ix := search.New()
	cat.Observe(ix)
	graph, err := skills.NewEmbedded(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := starter.Load(context.Background(), graph); err != nil {
		t.Fatal(err)
	}
	cat.Observe(graph)
	fix := newFixture(time.Now())
	if err := cat.Load(context.Background(), fix.catalogue); err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		if err := cat.Load(context.Background(), *extra); err != nil {
			t.Fatal(err)
		}
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tokens := auth.NewTokens(key, "parcours-test", 24*time.Hour, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	monitor := search.NewMonitor(ix, nil, 20, 3, 10)
	shift := new(atomic.Int64)
	enrol := marketplace.NewEnrolmentService(store, store, marketplace.EnrolmentConfig{
		NIRKey:     []byte("web-test-nir-key-web-test-nir-ke"),
		CoPayments: []marketplace.CoPayment{{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Cents: 102_23}},
		Payments:   marketplace.DemoPayments{},
		CoolingOff: 72 * time.Hour,
		Now:        func() time.Time { return time.Now().Add(time.Duration(shift.Load())) },
	})
	// The controls screen publications and serve the review pages; the
	// enrolment journey runs without the real-time dossier control, whose
	// rules the controls package tests.
	ctl := controls.New(controls.Config{Store: store, Dossiers: store, Catalogue: store, IPKey: []byte("web-test-ip-key"), Log: log})
	cat.SetGate(ctl)
	ctl.Attach(enrol, cat)
	orgService := orgs.NewService(store, store, store, orgs.Config{})
	recs := recommend.NewService(recommend.Sources{Store: store, Dossiers: store, Enrolment: store, Offers: store, Graph: graph, Places: places, Log: log},
		recommend.Config{}, search.NewKeys([]byte("web-test-search-key"), time.Hour, nil), nil)
	recs.SetLive(ix)
	widget := recommend.NewWidget(store, 0, nil)
	d := Deps{Log: log, Catalogue: cat, Index: ix, Places: places, Tokens: tokens, Enrolment: enrol, Demo: demoMode, TokenTTL: time.Hour, Graph: graph, Neutrality: monitor,
		Sessions: store, Links: store, Devices: store, Attempts: store, Orgs: orgService, StepUp: auth.StepUp{ACR: "eidas2", MaxAge: 10 * time.Minute}, Controls: ctl,
		Recommendations: recs, Widget: widget}
	if opt != nil {
		opt(&d)
	}
	pages, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Deps{
		Log: log, Catalogue: cat, Places: places, Tokens: tokens, Pages: pages, Demo: demoMode, Graph: graph, Enrolment: enrol, Index: ix, Neutrality: monitor,
		// The browser loads a page and its assets quickly; the limit
		// itself is api's business and tested there.
		RatePerSecond: 10000, RateBurst: 10000, PublicURL: d.PublicURL, Controls: ctl,
		Recommendations: d.Recommendations, Widget: d.Widget,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &stack{server: srv, pages: pages, store: store, catalogue: cat, index: ix, monitor: monitor, tokens: tokens, enrol: enrol, orgs: orgService, shift: shift, fix: fix, ctl: ctl,
		recs: recs, widget: widget}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// fixture is a small catalogue whose records the tests name.
type fixture struct {
	catalogue marketplace.Catalogue
	// Providers: languages (Lyon, certified), digital (Paris, certified),
	// lapsed (Rennes, certification expired).
	languages, digital, lapsed marketplace.Provider
	// Offers: english (published, in person, 1 250 €), englishRemote
	// (published, distance), web (published, mixed), draft (not published,
	// of digital), withdrawn (unpublished, of languages).
	english, englishRemote, web, draft, withdrawn marketplace.Offer
	// spanish offers: enough for two pages of results.
	spanish []marketplace.Offer
}

// spanishOffers is more than one page of results (20).
const spanishOffers = 25

func newFixture(now time.Time) fixture {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	places := geo.Default()
	var f fixture
	provider := func(n int, name, commune string, validUntil time.Time) marketplace.Provider {
		return marketplace.Provider{
			ID: fmt.Sprintf("org-%02d", n), SIRET: storetest.SIRET(n), Name: name, NDA: fmt.Sprintf("%011d", 84691234500+n),
			Qualiopi: marketplace.Qualiopi{Certificate: fmt.Sprintf("QUALIOPI-%04d", n), Certifier: "Bureau Certification Exemple", ValidUntil: validUntil},
			Commune:  commune, Description: "Organisme de formation de démonstration.\n\nIl forme des adultes depuis 1998.",
			Website: "https://organisme.example/", CreatedAt: day, UpdatedAt: day,
		}
	}
	f.languages = provider(1, "Institut des langues vivantes", "69123", time.Date(day.Year()+1, 3, 3, 0, 0, 0, 0, time.UTC))
	f.digital = provider(2, "Académie du numérique", "75056", day.AddDate(1, 0, 0))
	f.lapsed = provider(3, "Centre de formation Armor", "35238", day.AddDate(0, -2, 0))
	f.catalogue.Providers = []marketplace.Provider{f.languages, f.digital, f.lapsed}

	n := 0
	offer := func(p marketplace.Provider, cert marketplace.Certification, title, commune string, m marketplace.Modality, cents int64, hours int, st marketplace.Status) marketplace.Offer {
		n++
		o := marketplace.Offer{
			ID: fmt.Sprintf("offre-%03d", n), ProviderID: p.ID, Certification: cert, Title: title,
			Description: "Une formation pour progresser vite.\n\nPetits groupes, formateurs certifiés.",
			Objectives:  "Atteindre le niveau visé et passer la certification.",
			Skills:      []string{"Expression orale", "Compréhension écrite"},
			PriceCents:  cents, Hours: hours, Modality: m, Commune: commune, Status: st,
			CreatedAt: day, UpdatedAt: day,
		}
		o.Department, o.Region, o.Lat, o.Lon, _ = places.Place(commune)
		f.catalogue.Offers = append(f.catalogue.Offers, o)
		f.catalogue.Sessions = append(f.catalogue.Sessions,
			marketplace.Session{ID: o.ID + "-s1", OfferID: o.ID, Start: day.AddDate(0, 0, -10), End: day.AddDate(0, 0, 5), Seats: 8, CreatedAt: day},
			marketplace.Session{ID: o.ID + "-s2", OfferID: o.ID, Start: day.AddDate(0, 2, 0), End: day.AddDate(0, 3, 0), Seats: 12, CreatedAt: day},
		)
		return o
	}
	toeic := marketplace.Certification{Kind: marketplace.RS, Code: "RS9455", Title: "Test of English for International Communication (TOEIC)"}
	webDev := marketplace.Certification{Kind: marketplace.RNCP, Code: "RNCP37674", Title: "Développeur web et web mobile", Level: 5}
	paie := marketplace.Certification{Kind: marketplace.RNCP, Code: "RNCP99979", Title: "Gestionnaire de paie", Level: 5}
	dele := marketplace.Certification{Kind: marketplace.RS, Code: "RS9870", Title: "Diplôme d’espagnol langue étrangère (DELE)"}
	f.english = offer(f.languages, toeic, "Anglais professionnel, préparation au TOEIC", "69123", marketplace.InPerson, 125000, 35, marketplace.Published)
	f.englishRemote = offer(f.languages, toeic, "Anglais des affaires à distance", "69123", marketplace.Distance, 89050, 40, marketplace.Published)
	f.web = offer(f.digital, webDev, "Développeur web et web mobile", "75056", marketplace.Mixed, 690000, 700, marketplace.Published)
	f.draft = offer(f.digital, paie, "Gestionnaire de paie, en alternance", "75056", marketplace.InPerson, 450000, 400, marketplace.Draft)
	f.withdrawn = offer(f.languages, toeic, "Anglais intensif (retirée)", "69123", marketplace.InPerson, 99000, 30, marketplace.Unpublished)
	towns := []string{"13055", "31555", "33063", "44109", "59350", "67482", "35238", "45234", "21231", "76540", "2A004", "97209", "97411"}
	for i := range spanishOffers {
		f.spanish = append(f.spanish, offer(f.languages, dele, fmt.Sprintf("Espagnol, niveau %d", i+1), towns[i%len(towns)], marketplace.InPerson, int64(50000+1000*i), 20+i, marketplace.Published))
	}
	return f
}
