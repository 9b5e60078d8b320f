package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/matching/recommend"
	"github.com/parcours/parcours/orgs"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/starter"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/mongo/mongotest"
	"github.com/parcours/parcours/store/storetest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

// testStore is what both backends offer the server.
type testStore interface {
	marketplace.Store
	marketplace.EnrolmentStore
	skills.Store
	controls.Store
}

// testMaxBody is the body limit of test servers, small so that oversized
// bodies stay cheap to build.
const testMaxBody = 16 << 10

// testEnv is a Server over a fresh bbolt store (or, from newMongoEnv, a
// fresh database of the test MongoDB server), with fixtures: lyon and
// villeurbanne are providers with Qualiopi in force, nocert one without;
// offer is lyon's published offer with session, draft lyon's draft, and
// otherOffer villeurbanne's published offer.
type testEnv struct {
	srv    *api.Server
	store  testStore
	bolt   *bolt.Store // nil on MongoDB
	cat    *marketplace.CatalogueService
	tokens *auth.Tokens
	key    ed25519.PrivateKey
	graph  *skills.Embedded

	// enrol is the money side; shift moves its clock (nanoseconds added
	// to the real time), so that tests can reach a session's start.
	enrol      *marketplace.EnrolmentService
	shift      atomic.Int64
	webhookKey []byte

	index      *search.Index
	neutrality *search.Monitor
	orgs       *orgs.Service

	// ctl is the automatic controls, wired as serve wires them.
	ctl *controls.Service

	// Career profiles (api/profiles_test.go); profileCred is a credential
	// the link shareSecret shares.
	profiles    *profiles.Service
	profileCred string

	recs   *recommend.Service
	widget *recommend.Widget

	lyon, villeurbanne, nocert marketplace.Provider
	offer, draft, otherOffer   marketplace.Offer
	session                    marketplace.Session
}

// newEnv builds a test environment; opts adjust the server's Deps, which
// by default do not rate limit, so that tests may make many requests.
func newEnv(tb testing.TB, opts ...func(*api.Deps)) *testEnv {
	tb.Helper()
	store, err := bolt.Open(filepath.Join(tb.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return newEnvOn(tb, store, store, opts...)
}

// newMongoEnv is newEnv over a fresh database of the MongoDB test server
// that TestMain started. There is no backup route: Deps.Backup is nil.
// Operations may wait long: the embedded FerretDB is slow under -race,
// and the concurrency tests queue hundreds of operations on it.
func newMongoEnv(tb testing.TB, opts ...func(*api.Deps)) *testEnv {
	tb.Helper()
	srv := mongotest.Shared(tb)
	store, err := mongo.New(context.Background(), srv.Client(), mongo.Config{Database: srv.NewDatabase(), OpTimeout: 2 * time.Minute})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Database().Drop(context.Background()) })
	return newEnvOn(tb, store, nil, opts...)
}

// newEnvOn builds a test environment over store; b is the same store when
// it is a bbolt one, and nil otherwise.
func newEnvOn(tb testing.TB, store testStore, b *bolt.Store, opts ...func(*api.Deps)) *testEnv {
	tb.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	e := &testEnv{
		store:  store,
		bolt:   b,
		cat:    marketplace.NewCatalogueService(store, geo.Default(), nil),
		tokens: auth.NewTokens(key, "parcours", 24*time.Hour, nil),
		key:    key,
	}
	g, err := skills.NewEmbedded(context.Background(), store)
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := starter.Load(context.Background(), g); err != nil {
		tb.Fatal(err)
	}
	e.graph = g
	e.cat.Observe(g)
	e.webhookKey = []byte("test-webhook-key-test-webhook-key")
	e.ctl = controls.New(controls.Config{Store: store, Dossiers: store, Catalogue: store, IPKey: []byte("test-ip-key"),
		Now: func() time.Time { return time.Now().Add(time.Duration(e.shift.Load())) }})
	e.cat.SetGate(e.ctl)
	// The enrolment service runs without the real-time dossier control:
	// the money tests move their clock in ways no real training does
	// (controls_test.go wires it where it is tested).
	e.enrol = marketplace.NewEnrolmentService(store, store, marketplace.EnrolmentConfig{
		NIRKey:     []byte("test-nir-key-test-nir-key-test-ni"),
		CoPayments: []marketplace.CoPayment{{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Cents: 102_23}},
		Payments:   marketplace.DemoPayments{},
		Now:        func() time.Time { return time.Now().Add(time.Duration(e.shift.Load())) },
	})
	e.ctl.Attach(e.enrol, e.cat)
	e.index = search.New()
	e.cat.Observe(e.index)
	e.neutrality = search.NewMonitor(e.index, nil, 20, 3, 10)
	e.orgs = orgs.NewService(store.(orgs.Store), store, store.(orgs.Revoker), orgs.Config{})
	// Training recommendations over the same store and graph, with the
	// widget key the OpenAPI examples name.
	rs := store.(storetest.RecommendStore)
	e.recs = recommend.NewService(recommend.Sources{Store: rs, Dossiers: rs, Enrolment: rs, Offers: store, Graph: g, Places: geo.Default()},
		recommend.Config{}, search.NewKeys([]byte("test-search-key"), time.Hour, nil), nil)
	e.recs.SetLive(e.index)
	e.widget = recommend.NewWidget(rs, 0, nil)
	if err := rs.CreateWidgetKey(context.Background(), recommend.WidgetKey{ID: "wk_example", Site: "Exemple", Origins: []string{"https://mairie.example"}, PerMinute: 100000, CreatedAt: time.Now()}); err != nil {
		tb.Fatal(err)
	}
	d := api.Deps{
		Orgs:           e.orgs,
		Graph:          g,
		Log:            slog.New(slog.DiscardHandler),
		Enrolment:      e.enrol,
		PaymentSecrets: map[string][]byte{"card": e.webhookKey},
		Catalogue:      e.cat,
		Places:         geo.Default(),
		Tokens:         e.tokens,
		Index:          e.index,
		Neutrality:     e.neutrality,
		Controls:       e.ctl,

		Recommendations: e.recs,
		Widget:          e.widget,

		StepUp:        auth.StepUp{ACR: "eidas2", MaxAge: 10 * time.Minute},
		MaxBodyBytes:  testMaxBody,
		RatePerSecond: 1e6,
		RateBurst:     1e6,
	}
	if b != nil {
		d.Backup = b
	}
	// Job matching, on the same store and graph (matching_test.go).
	if ms, ok := store.(matching.Store); ok {
		if d.Matching, err = matching.New(matching.Config{Store: ms, Graph: g, Places: geo.Default(), Log: d.Log}); err != nil {
			tb.Fatal(err)
		}
	}
	d.Profiles = e.newProfiles(tb, store) // api/profiles_test.go
	for _, o := range opts {
		o(&d)
	}
	// A controller decides on a held job post through the controls.
	if d.Matching != nil {
		e.ctl.AttachJobPosts(d.Matching)
	}
	if e.srv, err = api.New(d); err != nil {
		tb.Fatal(err)
	}
	e.fixtures(tb)
	return e
}

func (e *testEnv) fixtures(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	admin := marketplace.Actor{Admin: true}
	until := time.Now().AddDate(1, 0, 0).UTC().Truncate(24 * time.Hour)
	mustProvider := func(p marketplace.Provider) marketplace.Provider {
		p, err := e.cat.CreateProvider(ctx, admin, p)
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
	e.lyon = mustProvider(marketplace.Provider{
		SIRET: "90123456700013", Name: "Atelier Numérique Rhône Formation", NDA: "84691234569", Commune: "69123",
		Qualiopi: marketplace.Qualiopi{Certificate: "FR061245-2", Certifier: "AFNOR Certification", ValidUntil: until},
	})
	e.villeurbanne = mustProvider(marketplace.Provider{
		SIRET: "81234567300014", Name: "Compétences Villeurbanne", NDA: "84691187369", Commune: "69266",
		Qualiopi: marketplace.Qualiopi{Certificate: "FR058812-1", Certifier: "Bureau Veritas", ValidUntil: until},
	})
	e.nocert = mustProvider(marketplace.Provider{SIRET: "85392107800012", Name: "Formations du Gier", NDA: "84420871242"})
	mustOffer := func(o marketplace.Offer) marketplace.Offer {
		o, err := e.cat.CreateOffer(ctx, admin, o)
		if err != nil {
			tb.Fatal(err)
		}
		return o
	}
	e.offer = mustOffer(offerFixture(e.lyon.ID, marketplace.Published))
	e.draft = mustOffer(offerFixture(e.lyon.ID, marketplace.Draft))
	e.otherOffer = mustOffer(offerFixture(e.villeurbanne.ID, marketplace.Published))
	s, err := e.cat.AddSession(ctx, admin, marketplace.Session{
		OfferID: e.offer.ID, Start: time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 4, 30, 0, 0, 0, 0, time.UTC), Seats: 14,
	})
	if err != nil {
		tb.Fatal(err)
	}
	e.session = s
}

func offerFixture(providerID string, st marketplace.Status) marketplace.Offer {
	return marketplace.Offer{
		ProviderID:    providerID,
		Certification: marketplace.Certification{Code: "RNCP37674", Title: "Développeur web et web mobile", Level: 5},
		Title:         "Titre professionnel Développeur web et web mobile",
		Skills:        []string{"Maquetter des interfaces utilisateur web ou web mobile"},
		PriceCents:    890000, Hours: 805, Modality: marketplace.Mixed, Commune: "69123", Status: st,
	}
}

// token mints a valid token for role and subject, authenticated just now
// at the level money-moving actions require.
func (e *testEnv) token(tb testing.TB, role auth.Role, subject string) string {
	tb.Helper()
	tok, err := e.tokens.MintAt(role, subject, time.Hour, "eidas2", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// admin, provider... are shorthands for common tokens.
func (e *testEnv) admin(tb testing.TB) string { return e.token(tb, auth.Admin, "ops") }

func (e *testEnv) as(tb testing.TB, p marketplace.Provider) string {
	return e.token(tb, auth.Provider, p.ID)
}

// req is one request to a test server.
type req struct {
	method, path string
	token        string // bearer token; "" for an anonymous request
	auth         string // raw Authorization header, when token is not enough
	body         string
	contentType  string // default application/json when there is a body; "none" for no header
	header       map[string]string
	remote       string // client address; default 192.0.2.1:4711
	chunked      bool   // hide the body's length, as a streaming client does
}

func (r req) build() *http.Request {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
		if r.chunked {
			body = io.MultiReader(body)
		}
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.chunked {
		hr.ContentLength = -1
	}
	switch {
	case r.contentType == "none":
	case r.contentType != "":
		hr.Header.Set("Content-Type", r.contentType)
	case r.body != "":
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.auth != "" {
		hr.Header.Set("Authorization", r.auth)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	hr.RemoteAddr = "192.0.2.1:4711"
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	return hr
}

func (e *testEnv) do(r req) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, r.build())
	return rec
}

// storeState is everything the store holds, to show that a refused
// request wrote nothing. File is a digest of the store file as a backup
// sees it: it changes with any write transaction, even one that leaves the
// records as they were. On MongoDB, which has no such file, it stays zero.
type storeState struct {
	Providers []marketplace.Provider
	Offers    []marketplace.Offer
	Sessions  map[string][]marketplace.Session
	File      [sha256.Size]byte
}

func (e *testEnv) snapshot(tb testing.TB) storeState {
	tb.Helper()
	ctx := context.Background()
	st := storeState{Sessions: map[string][]marketplace.Session{}}
	for pg := (marketplace.Page{Limit: marketplace.MaxPageSize}); ; {
		ps, next, err := e.store.Providers(ctx, pg)
		if err != nil {
			tb.Fatal(err)
		}
		st.Providers = append(st.Providers, ps...)
		if pg.After = next; next == "" {
			break
		}
	}
	for pg := (marketplace.Page{Limit: marketplace.MaxPageSize}); ; {
		os, next, err := e.store.Offers(ctx, marketplace.OfferFilter{}, pg)
		if err != nil {
			tb.Fatal(err)
		}
		st.Offers = append(st.Offers, os...)
		if pg.After = next; next == "" {
			break
		}
	}
	for _, o := range st.Offers {
		ss, err := e.store.Sessions(ctx, o.ID)
		if err != nil {
			tb.Fatal(err)
		}
		st.Sessions[o.ID] = ss
	}
	if e.bolt == nil {
		return st
	}
	var buf bytes.Buffer
	if _, err := e.bolt.Backup(&buf); err != nil {
		tb.Fatal(err)
	}
	st.File = sha256.Sum256(buf.Bytes())
	return st
}

// unchanged fails the test if the store differs from before.
func (e *testEnv) unchanged(tb testing.TB, before storeState) {
	tb.Helper()
	if diff := cmp.Diff(before, e.snapshot(tb)); diff != "" {
		tb.Errorf("the store changed (-before +after):\n%s", diff)
	}
}

// problem decodes and checks an RFC 9457 answer: its status, media type,
// type URI and request ID, and, when field is not "", that errors[] names
// field.
func problem(tb testing.TB, rec *httptest.ResponseRecorder, status int, field string) api.Problem {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("status %d, want %d; body %.400s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		tb.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	var p api.Problem
	if err := dec.Decode(&p); err != nil {
		tb.Fatalf("problem body %.400s: %v", rec.Body, err)
	}
	if p.Status != status || !strings.HasPrefix(p.Type, api.ProblemTypeBase) || p.Title == "" {
		tb.Errorf("problem %+v: want status %d and a type under %s", p, status, api.ProblemTypeBase)
	}
	if id := rec.Header().Get("X-Request-ID"); id == "" || p.RequestID != id {
		tb.Errorf("problem request_id %q, X-Request-ID header %q: want the same, not empty", p.RequestID, id)
	}
	if status == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
		tb.Errorf("401 with WWW-Authenticate %q, want a Bearer challenge", rec.Header().Get("WWW-Authenticate"))
	}
	if field != "" {
		var fields []string
		for _, f := range p.Errors {
			fields = append(fields, f.Field)
		}
		if !slices.Contains(fields, field) {
			tb.Errorf("errors[].field = %q, want %q among them; detail %q", fields, field, p.Detail)
		}
	}
	return p
}

// decode reads a JSON answer into v, refusing unknown fields so that a
// test notices a field it does not know of.
func decode(tb testing.TB, rec *httptest.ResponseRecorder, v any) {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("answer %.400s: %v", rec.Body, err)
	}
}

// jsonBody marshals v, or fails.
func jsonBody(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// with returns a copy of a JSON object body with keys set (a nil value
// removes the key); a key "a.b" reaches into the object a.
func with(tb testing.TB, body string, kv ...any) string {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < len(kv); i += 2 {
		key, v := kv[i].(string), kv[i+1]
		obj := m
		if parent, child, ok := strings.Cut(key, "."); ok {
			sub, _ := obj[parent].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				obj[parent] = sub
			}
			obj, key = sub, child
		}
		if v == nil {
			delete(obj, key)
		} else {
			obj[key] = v
		}
	}
	return jsonBody(tb, m)
}

// raw is a JSON value written as is by with, for values of the wrong type.
type raw = json.RawMessage

// Valid bodies of each kind of input.
func (e *testEnv) providerBody(tb testing.TB) string {
	return jsonBody(tb, api.ProviderInput{
		SIRET: "32165498700015", Name: "Lumière Formation Lyon", NDA: "84691555569", Commune: "69123",
		Qualiopi:    api.QualiopiInput{Certificate: "FR070001-1", Certifier: "AFNOR Certification", ValidUntil: time.Now().AddDate(1, 0, 0).Format(time.DateOnly)},
		Description: "Formations aux métiers de l'image.", Website: "https://lumiere-formation.example", Email: "contact@lumiere-formation.example",
	})
}

func offerBody(tb testing.TB, providerID, status string) string {
	return jsonBody(tb, api.OfferInput{
		ProviderID:    providerID,
		Certification: api.CertificationWire{Code: "RNCP37674", Title: "Développeur web et web mobile", Level: 5},
		Title:         "Titre professionnel Développeur web et web mobile",
		Description:   "Huit mois pour devenir développeur web.",
		Skills:        []string{"Maquetter des interfaces utilisateur web ou web mobile", "Mettre en place une base de données relationnelle"},
		PriceCents:    890000, Hours: 805, Modality: "mixed", Commune: "69123", Status: status,
	})
}

const sessionBody = `{"start":"2026-09-14","end":"2027-04-30","seats":14}`

// expiredToken is a token of this instance that expired an hour ago.
func (e *testEnv) expiredToken(tb testing.TB) string {
	tb.Helper()
	past := auth.NewTokens(e.key, "parcours", 24*time.Hour, func() time.Time { return time.Now().Add(-3 * time.Hour) })
	tok, err := past.Mint(auth.Admin, "ops", 2*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}
