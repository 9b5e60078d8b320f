package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// moneyFixture is a learner with an account, a session of e.offer starting
// in 30 days and the tokens of the parties.
type moneyFixture struct {
	learner, stranger    string // account IDs
	learnerTok, strTok   string
	lyonTok, villeTok    string
	adminTok, controlTok string
	session              marketplace.Session
}

var idemN atomic.Int64

func newKey() map[string]string {
	return map[string]string{"Idempotency-Key": fmt.Sprintf("key-%d", idemN.Add(1))}
}

func (e *testEnv) money(tb testing.TB, balance int64, jobSeeker bool) moneyFixture {
	tb.Helper()
	ctx := context.Background()
	f := moneyFixture{adminTok: e.admin(tb), lyonTok: e.as(tb, e.lyon), villeTok: e.as(tb, e.villeurbanne), controlTok: e.token(tb, auth.Controller, "ctl")}
	open := func(nir string) string {
		a, _, err := e.enrol.OpenAccount(ctx, marketplace.Party{Admin: true}, nir, marketplace.Account{JobSeeker: jobSeeker})
		if err != nil {
			tb.Fatal(err)
		}
		if balance > 0 {
			if err := e.enrol.Credit(ctx, "seed:"+a.ID, a.ID, balance, time.Now()); err != nil {
				tb.Fatal(err)
			}
		}
		return a.ID
	}
	f.learner, f.stranger = open("255081416802538"), open("185037512345641")
	f.learnerTok, f.strTok = e.token(tb, auth.Learner, f.learner), e.token(tb, auth.Learner, f.stranger)
	start := time.Now().AddDate(0, 0, 30).UTC().Truncate(24 * time.Hour)
	s, err := e.cat.AddSession(ctx, marketplace.Actor{Admin: true}, marketplace.Session{OfferID: e.offer.ID, Start: start, End: start.AddDate(0, 1, 0), Seats: 500})
	if err != nil {
		tb.Fatal(err)
	}
	f.session = s
	return f
}

func decodeAs[T any](tb testing.TB, rec *httptest.ResponseRecorder) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		tb.Fatalf("%v: %s", err, rec.Body)
	}
	return v
}

// post makes a money-moving POST with a fresh key and wants status.
func (e *testEnv) post(tb testing.TB, path, token, body string, status int) *httptest.ResponseRecorder {
	tb.Helper()
	rec := e.do(req{method: "POST", path: path, token: token, body: body, header: newKey()})
	if rec.Code != status {
		tb.Fatalf("POST %s: %d, want %d: %s", path, rec.Code, status, rec.Body)
	}
	return rec
}

func (e *testEnv) requestAndPropose(tb testing.TB, f moneyFixture) string {
	tb.Helper()
	rec := e.post(tb, "/api/v1/dossiers", f.learnerTok, fmt.Sprintf(`{"offer_id":%q,"session_id":%q}`, e.offer.ID, f.session.ID), 201)
	d := decodeAs[api.DossierOutput](tb, rec)
	e.post(tb, "/api/v1/dossiers/"+d.ID+"/proposal", f.lyonTok, `{}`, 200)
	return d.ID
}

func TestLifecycleThroughTheAPI(t *testing.T) { testLifecycleThroughTheAPI(t, newEnv(t)) }

func TestLifecycleThroughTheAPIMongo(t *testing.T) { testLifecycleThroughTheAPI(t, newMongoEnv(t)) }

func testLifecycleThroughTheAPI(t *testing.T, e *testEnv) {
	f := e.money(t, 10000_00, false)
	id := e.requestAndPropose(t, f)
	path := "/api/v1/dossiers/" + id
	d := decodeAs[api.DossierOutput](t, e.post(t, path+"/acceptance", f.learnerTok, `{"accept_remainder":false}`, 200))
	if d.State != "accepted" || d.Billing != "depositPaid" || d.ExternalCents != 102_23 {
		t.Fatalf("accepted: %+v", d)
	}
	e.shift.Store(int64(31 * 24 * time.Hour))
	e.post(t, path+"/entry", f.lyonTok, "", 200)
	e.post(t, path+"/exit", f.lyonTok, `{"completion_rate":100}`, 200)
	d = decodeAs[api.DossierOutput](t, e.post(t, path+"/evaluation", f.learnerTok,
		`{"reception":5,"content":4,"trainers":5,"resources":4,"support":5,"overall":5,"comment":"Formateurs disponibles"}`, 200))
	if d.State != "serviceDoneValidated" || d.PaidCents != e.offer.PriceCents {
		t.Errorf("after evaluation: %+v", d)
	}
	r := decodeAs[api.RatingsOutput](t, e.do(req{method: "GET", path: "/api/v1/offers/" + e.offer.ID + "/ratings"}))
	if r.Count != 1 || r.Averages["content"] != 4 || len(r.Comments) != 1 {
		t.Errorf("ratings %+v", r)
	}
	// A controller hides the comment.
	if rec := e.do(req{method: "PUT", path: path + "/evaluation/visibility", token: f.controlTok, body: `{"comment_hidden":true}`}); rec.Code != 204 {
		t.Fatalf("hide: %d %s", rec.Code, rec.Body)
	}
	r = decodeAs[api.RatingsOutput](t, e.do(req{method: "GET", path: "/api/v1/offers/" + e.offer.ID + "/ratings"}))
	if len(r.Comments) != 0 || r.Count != 1 {
		t.Errorf("hidden comment still shown: %+v", r)
	}
	acct := decodeAs[api.AccountOutput](t, e.do(req{method: "GET", path: "/api/v1/accounts/" + f.learner, token: f.learnerTok}))
	if want := int64(10000_00) - (e.offer.PriceCents - 102_23); acct.BalanceCents != want {
		t.Errorf("balance %d, want %d", acct.BalanceCents, want)
	}
	mv := decodeAs[api.MovementList](t, e.do(req{method: "GET", path: "/api/v1/accounts/" + f.learner + "/movements", token: f.learnerTok}))
	if len(mv.Results) != 2 || mv.Results[0].Kind != "hold" || mv.Results[1].Kind != "yearly_credit" {
		t.Errorf("movements %+v", mv.Results)
	}
}

// Two hundred acceptances at once against a balance covering one
// training: exactly one is accepted, the others are refused with 409, and
// the balance is spent once.
func TestConcurrentAcceptancesThroughHTTP(t *testing.T) {
	testConcurrentAcceptancesThroughHTTP(t, newEnv(t))
}

func testConcurrentAcceptancesThroughHTTP(t *testing.T, e *testEnv) {
	f := e.money(t, e.offer.PriceCents, true) // a job seeker pays no co-payment
	ctx := context.Background()
	var ids []string
	for i := 0; i < 200; i++ {
		d, err := e.enrol.Request(ctx, marketplace.Party{AccountID: f.learner}, marketplace.Idem{}, e.offer.ID, f.session.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.enrol.Propose(ctx, marketplace.Party{ProviderID: e.lyon.ID}, marketplace.Idem{}, d.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	srv := httptest.NewServer(e.srv)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	types := map[string]int{}
	start := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// A 503 (the store could not answer in time under this burst)
			// acknowledges nothing: the client sends the same request
			// again with the same key, as Retry-After invites it to.
			var p api.Problem
			var resp *http.Response
			for attempt := 0; ; attempt++ {
				hr, _ := http.NewRequest("POST", srv.URL+"/api/v1/dossiers/"+id+"/acceptance", strings.NewReader(`{}`))
				hr.Header.Set("Authorization", "Bearer "+f.learnerTok)
				hr.Header.Set("Content-Type", "application/json")
				hr.Header.Set("Idempotency-Key", fmt.Sprintf("accept-%d", i))
				var err error
				if resp, err = client.Do(hr); err != nil {
					t.Error(err)
					return
				}
				p = api.Problem{}
				json.NewDecoder(resp.Body).Decode(&p)
				resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable || attempt == 5 {
					break
				}
			}
			mu.Lock()
			codes[resp.StatusCode]++
			types[p.Type]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if codes[200] != 1 || codes[409] != 199 || types[api.ProblemTypeBase+"insufficient-balance"] != 199 {
		t.Errorf("statuses %v, problem types %v: want one 200 and 199 insufficient-balance 409s", codes, types)
	}
	acct := decodeAs[api.AccountOutput](t, e.do(req{method: "GET", path: "/api/v1/accounts/" + f.learner, token: f.learnerTok}))
	if acct.BalanceCents != 0 {
		t.Errorf("balance %d", acct.BalanceCents)
	}
}

// The same dossier accepted by 200 concurrent requests with distinct keys
// is held once; the others see the state it reached.
func TestConcurrentAcceptancesOfOneDossier(t *testing.T) {
	testConcurrentAcceptancesOfOneDossier(t, newEnv(t), 200)
}

// On MongoDB, fewer requests: the embedded FerretDB is slow under -race,
// and 200 concurrent acceptances of distinct dossiers are covered above.
func TestConcurrentAcceptancesOfOneDossierMongo(t *testing.T) {
	testConcurrentAcceptancesOfOneDossier(t, newMongoEnv(t), 20)
}

func testConcurrentAcceptancesOfOneDossier(t *testing.T, e *testEnv, n int) {
	f := e.money(t, 100000_00, true)
	id := e.requestAndPropose(t, f)
	var wg sync.WaitGroup
	var ok, conflict atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := e.do(req{method: "POST", path: "/api/v1/dossiers/" + id + "/acceptance", token: f.learnerTok, body: `{}`, header: newKey()})
			switch rec.Code {
			case 200:
				ok.Add(1)
			case 409:
				if p := decodeAs[api.Problem](t, rec); p.State != "accepted" {
					t.Errorf("problem %+v", p)
				}
				conflict.Add(1)
			default:
				t.Errorf("%d %s", rec.Code, rec.Body)
			}
		}()
	}
	wg.Wait()
	acct := decodeAs[api.AccountOutput](t, e.do(req{method: "GET", path: "/api/v1/accounts/" + f.learner, token: f.learnerTok}))
	if ok.Load() != 1 || conflict.Load() != int64(n-1) || acct.BalanceCents != 100000_00-e.offer.PriceCents {
		t.Errorf("%d accepted, %d conflicts, balance %d", ok.Load(), conflict.Load(), acct.BalanceCents)
	}
}

func TestIdempotencyKey(t *testing.T) { testIdempotencyKey(t, newEnv(t)) }

func TestIdempotencyKeyMongo(t *testing.T) { testIdempotencyKey(t, newMongoEnv(t)) }

func testIdempotencyKey(t *testing.T, e *testEnv) {
	f := e.money(t, 100000_00, true)
	body := fmt.Sprintf(`{"offer_id":%q,"session_id":%q}`, e.offer.ID, f.session.ID)
	rec := e.do(req{method: "POST", path: "/api/v1/dossiers", token: f.learnerTok, body: body})
	if p := decodeAs[api.Problem](t, rec); rec.Code != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "Idempotency-Key" {
		t.Errorf("without a key: %d %s", rec.Code, rec.Body)
	}
	key := map[string]string{"Idempotency-Key": "abc-123"}
	first := e.do(req{method: "POST", path: "/api/v1/dossiers", token: f.learnerTok, body: body, header: key})
	again := e.do(req{method: "POST", path: "/api/v1/dossiers", token: f.learnerTok, body: body, header: key})
	if first.Code != 201 || again.Code != 201 || first.Body.String() != again.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %d %d %q\n%s\n%s", first.Code, again.Code, again.Header().Get("Idempotent-Replayed"), first.Body, again.Body)
	}
	list := decodeAs[api.DossierList](t, e.do(req{method: "GET", path: "/api/v1/accounts/" + f.learner + "/dossiers", token: f.learnerTok}))
	if len(list.Results) != 1 {
		t.Errorf("%d dossiers after a replayed request", len(list.Results))
	}
	other := e.do(req{method: "POST", path: "/api/v1/dossiers", token: f.learnerTok, body: body + " ", header: key})
	if p := decodeAs[api.Problem](t, other); other.Code != 422 || p.Type != api.ProblemTypeBase+"idempotency-key-reused" {
		t.Errorf("same key, other body: %d %s", other.Code, other.Body)
	}
	// Keys are scoped by holder: another learner's same key is a new request.
	if rec := e.do(req{method: "POST", path: "/api/v1/dossiers", token: f.strTok, body: body, header: key}); rec.Code != 201 {
		t.Errorf("another holder's key: %d %s", rec.Code, rec.Body)
	}
}

func TestForbiddenTransitionIs409NamingTheState(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 100000_00, true)
	id := e.requestAndPropose(t, f)
	for _, tc := range []struct{ action, token, body string }{
		{"proposal", f.lyonTok, `{}`},
		{"entry", f.lyonTok, ""},
		{"exit", f.lyonTok, `{"completion_rate":100}`},
		{"evaluation", f.learnerTok, `{"reception":5,"content":5,"trainers":5,"resources":5,"support":5,"overall":5}`},
	} {
		rec := e.do(req{method: "POST", path: "/api/v1/dossiers/" + id + "/" + tc.action, token: tc.token, body: tc.body, header: newKey()})
		p := decodeAs[api.Problem](t, rec)
		if rec.Code != 409 || p.State != "validated" || p.Type != api.ProblemTypeBase+"invalid-state" || !strings.Contains(p.Detail, "dossier is in state validated") {
			t.Errorf("%s in validated: %d %s", tc.action, rec.Code, rec.Body)
		}
	}
}

// Every dossier and account endpoint refuses other learners and other
// providers without telling whether the resource exists.
func TestMoneyAuthorization(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 100000_00, true)
	id := e.requestAndPropose(t, f)
	d := "/api/v1/dossiers/" + id
	acct := "/api/v1/accounts/" + f.learner
	funderTok := e.token(t, auth.Funder, "region")
	tests := []struct {
		name, method, path, token, body string
		status                          int
	}{
		{"account of another learner", "GET", acct, f.strTok, "", 404},
		{"account as a provider", "GET", acct, f.lyonTok, "", 404},
		{"movements of another learner", "GET", acct + "/movements", f.strTok, "", 404},
		{"dossiers of another learner", "GET", acct + "/dossiers", f.strTok, "", 404},
		{"dossier of another learner", "GET", d, f.strTok, "", 404},
		{"dossier of another provider", "GET", d, f.villeTok, "", 404},
		{"dossier as a funder", "GET", d, funderTok, "", 404},
		{"inbox of another provider", "GET", "/api/v1/providers/" + e.lyon.ID + "/dossiers", f.villeTok, "", 403},
		{"inbox as a learner", "GET", "/api/v1/providers/" + e.lyon.ID + "/dossiers", f.learnerTok, "", 403},
		{"propose another provider's dossier", "POST", d + "/proposal", f.villeTok, `{}`, 404},
		{"refuse another provider's dossier", "POST", d + "/refusal", f.villeTok, "", 404},
		{"accept another learner's dossier", "POST", d + "/acceptance", f.strTok, `{}`, 404},
		{"accept as the provider", "POST", d + "/acceptance", f.lyonTok, `{}`, 403},
		{"cancel another learner's dossier", "POST", d + "/cancellation", f.strTok, `{}`, 404},
		{"cancel as another provider", "POST", d + "/cancellation", f.villeTok, `{}`, 404},
		{"entry by another provider", "POST", d + "/entry", f.villeTok, "", 404},
		{"exit by another provider", "POST", d + "/exit", f.villeTok, `{"completion_rate":100}`, 404},
		{"evaluate another learner's dossier", "POST", d + "/evaluation", f.strTok, `{"reception":5,"content":5,"trainers":5,"resources":5,"support":5,"overall":5}`, 404},
		{"hide a comment as a learner", "PUT", d + "/evaluation/visibility", f.learnerTok, `{"comment_hidden":true}`, 403},
		{"open an account as a learner", "POST", "/api/v1/accounts", f.learnerTok, `{"nir":"255081416802538"}`, 403},
		{"import declarations as a provider", "POST", "/api/v1/admin/employment-declarations", f.lyonTok, `{"csv":""}`, 403},
		{"create a rule as a learner", "POST", "/api/v1/funders/rules", f.learnerTok, `{"name":"x","funder_kind":"region","percent":50}`, 403},
		{"anonymous dossier", "GET", d, "", "", 401},
		{"anonymous acceptance", "POST", d + "/acceptance", "", `{}`, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(req{method: tt.method, path: tt.path, token: tt.token, body: tt.body, header: newKey()})
			if rec.Code != tt.status {
				t.Errorf("%d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
		})
	}
	// Nothing moved: the dossier is still awaiting the learner.
	got, _ := e.enrol.Store().Dossier(context.Background(), id)
	if got.State != marketplace.Validated {
		t.Errorf("state %s", got.State)
	}
	// A rule of one funder cannot be funded by another.
	other := e.token(t, auth.Funder, "other")
	r := decodeAs[api.RuleOutput](t, e.do(req{method: "POST", path: "/api/v1/funders/rules", token: funderTok, body: `{"name":"Région","funder_kind":"region","percent":50}`}))
	if rec := e.do(req{method: "POST", path: "/api/v1/funders/rules/" + r.ID + "/budget", token: other, body: `{"amount_cents":100}`, header: newKey()}); rec.Code != 404 {
		t.Errorf("funding another funder's rule: %d", rec.Code)
	}
}

func TestPaymentWebhook(t *testing.T) {
	e := newEnv(t)
	// A provider whose confirmations come by webhook only.
	svc := marketplace.NewEnrolmentService(e.store, e.store, marketplace.EnrolmentConfig{
		NIRKey: []byte("k"), CoPayments: []marketplace.CoPayment{{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Cents: 102_23}},
		Payments: marketplace.WebhookPayments{ProviderName: "card"},
	})
	hooked := newEnvWith(t, e, svc)
	f := hooked.money(t, 100000_00, false)
	id := hooked.requestAndPropose(t, f)
	d := decodeAs[api.DossierOutput](t, hooked.post(t, "/api/v1/dossiers/"+id+"/acceptance", f.learnerTok, `{}`, 200))
	if d.Billing != "depositWait" || d.PaymentID == "" {
		t.Fatalf("%+v", d)
	}
	event := fmt.Sprintf(`{"id":"evt_1","type":"payment.succeeded","payment_id":%q,"amount_cents":10223}`, d.PaymentID)
	send := func(body string, at time.Time, key []byte) *httptest.ResponseRecorder {
		return hooked.do(req{method: "POST", path: "/api/v1/payments/webhook/card", body: body,
			header: map[string]string{"Parcours-Signature": marketplace.SignWebhook(key, at, []byte(body))}})
	}
	if rec := send(event, time.Now(), []byte("wrong")); rec.Code != 401 {
		t.Errorf("bad signature: %d", rec.Code)
	}
	if rec := send(event, time.Now().Add(-time.Hour), hooked.webhookKey); rec.Code != 401 {
		t.Errorf("old timestamp: %d", rec.Code)
	}
	for i := 0; i < 2; i++ {
		if rec := send(event, time.Now(), hooked.webhookKey); rec.Code != 200 {
			t.Fatalf("webhook %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	got := decodeAs[api.DossierOutput](t, hooked.do(req{method: "GET", path: "/api/v1/dossiers/" + id, token: f.learnerTok}))
	if got.Billing != "depositPaid" {
		t.Errorf("billing %s", got.Billing)
	}
	bal, _ := e.store.Balances(context.Background(), marketplace.HoldAccount(id))
	if bal[marketplace.HoldAccount(id)] != e.offer.PriceCents {
		t.Errorf("hold %d after a replayed webhook, want the price once", bal[marketplace.HoldAccount(id)])
	}
}

// newEnvWith is a server over e's store with another enrolment service.
func newEnvWith(t *testing.T, e *testEnv, svc *marketplace.EnrolmentService) *testEnv {
	t.Helper()
	srv, err := api.New(api.Deps{Log: slog.New(slog.DiscardHandler), Catalogue: e.cat, Places: nil, Tokens: e.tokens,
		Enrolment: svc, PaymentSecrets: map[string][]byte{"card": e.webhookKey}, MaxBodyBytes: testMaxBody, RatePerSecond: 1e6, RateBurst: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	n := &testEnv{srv: srv, store: e.store, bolt: e.bolt, cat: e.cat, tokens: e.tokens, key: e.key, enrol: svc, webhookKey: e.webhookKey,
		lyon: e.lyon, villeurbanne: e.villeurbanne, nocert: e.nocert, offer: e.offer, draft: e.draft, otherOffer: e.otherOffer, session: e.session}
	return n
}

// The NIR never reaches the logs or the store file, in any spelling.
func TestNIRNeverStoredOrLogged(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(d *api.Deps) {
		d.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	admin := e.admin(t)
	nir := "2 55 08 14 168 025 38"
	for i := 0; i < 2; i++ {
		if rec := e.do(req{method: "POST", path: "/api/v1/accounts", token: admin, body: fmt.Sprintf(`{"nir":%q}`, nir)}); rec.Code != 201 && rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	csv := "nir,year,employer_siret,hours_worked,full_time_hours\\n185037512345641,2025,90123456700013,1607,1607\\n"
	if rec := e.do(req{method: "POST", path: "/api/v1/admin/employment-declarations", token: admin, body: `{"csv":"` + csv + `"}`}); rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	// A bad NIR is refused without being echoed.
	rec := e.do(req{method: "POST", path: "/api/v1/accounts", token: admin, body: `{"nir":"255081416802539"}`})
	if rec.Code != 400 || strings.Contains(rec.Body.String(), "255081416802539") {
		t.Errorf("bad NIR: %d %s", rec.Code, rec.Body)
	}
	path := e.bolt.Path()
	e.bolt.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"255081416802538", nir, "185037512345641", "2550814168025"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("the store file holds %q", s)
		}
		if strings.Contains(logs.String(), s) {
			t.Errorf("the logs hold %q", s)
		}
	}
	if logs.Len() == 0 {
		t.Error("no logs captured: the test would prove nothing")
	}
}

// TestMoneyOpenAPIConformance checks real exchanges of the money
// endpoints against the document.
func TestMoneyOpenAPIConformance(t *testing.T) {
	doc := loadDoc(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	f := e.money(t, 10000_00, false)
	id := e.requestAndPropose(t, f)
	d := "/api/v1/dossiers/" + id
	funder := e.token(t, auth.Funder, "region")
	rule := decodeAs[api.RuleOutput](t, e.do(req{method: "POST", path: "/api/v1/funders/rules", token: funder, body: `{"name":"Région","funder_kind":"region","percent":50}`}))
	k := func() map[string]string { return newKey() }
	eval := `{"reception":5,"content":4,"trainers":5,"resources":4,"support":5,"overall":5,"comment":"Très bien"}`
	calls := []conformanceCall{
		{name: "open account", r: req{method: "POST", path: "/api/v1/accounts", token: f.adminTok, body: `{"nir":"2 93 05 69 123 001 54"}`}, status: 201},
		{name: "open existing account", r: req{method: "POST", path: "/api/v1/accounts", token: f.adminTok, body: `{"nir":"293056912300154"}`}, status: 200},
		{name: "open account, bad NIR", r: req{method: "POST", path: "/api/v1/accounts", token: f.adminTok, body: `{"nir":"293056912300155"}`}, status: 400},
		{name: "account", r: req{method: "GET", path: "/api/v1/accounts/" + f.learner, token: f.learnerTok}, status: 200},
		{name: "movements", r: req{method: "GET", path: "/api/v1/accounts/" + f.learner + "/movements?limit=5", token: f.learnerTok}, status: 200},
		{name: "account's dossiers", r: req{method: "GET", path: "/api/v1/accounts/" + f.learner + "/dossiers", token: f.learnerTok}, status: 200},
		{name: "inbox", r: req{method: "GET", path: "/api/v1/providers/" + e.lyon.ID + "/dossiers?state=validated", token: f.lyonTok}, status: 200},
		{name: "request without key", r: req{method: "POST", path: "/api/v1/dossiers", token: f.learnerTok, body: fmt.Sprintf(`{"offer_id":%q,"session_id":%q}`, e.offer.ID, f.session.ID)}, status: 400, offDoc: true},
		{name: "accept", r: req{method: "POST", path: d + "/acceptance", token: f.learnerTok, body: `{}`, header: k()}, status: 200},
		{name: "accept again", r: req{method: "POST", path: d + "/acceptance", token: f.learnerTok, body: `{}`, header: k()}, status: 409},
		{name: "dossier", r: req{method: "GET", path: d, token: f.lyonTok}, status: 200},
		{name: "exit before entry", r: req{method: "POST", path: d + "/exit", token: f.lyonTok, body: `{"completion_rate":100}`, header: k()}, status: 409},
		{name: "rules", r: req{method: "GET", path: "/api/v1/funders/rules", token: funder}, status: 200},
		{name: "fund", r: req{method: "POST", path: "/api/v1/funders/rules/" + rule.ID + "/budget", token: funder, body: `{"amount_cents":100000}`, header: map[string]string{"Idempotency-Key": "fund-1"}}, status: 200},
		{name: "fund, key reused", r: req{method: "POST", path: "/api/v1/funders/rules/" + rule.ID + "/budget", token: funder, body: `{"amount_cents":200000}`, header: map[string]string{"Idempotency-Key": "fund-1"}}, status: 422},
		{name: "import", r: req{method: "POST", path: "/api/v1/admin/employment-declarations", token: f.adminTok, body: `{"csv":"nir,year,employer_siret,hours_worked,full_time_hours\n255081416802538,2025,90123456700013,1607,1607\n"}`}, status: 200},
		{name: "offer ratings", r: req{method: "GET", path: "/api/v1/offers/" + e.offer.ID + "/ratings"}, status: 200},
		{name: "provider ratings", r: req{method: "GET", path: "/api/v1/providers/" + e.lyon.ID + "/ratings"}, status: 200},
	}
	runConformance(t, doc, router, e, calls)
	e.shift.Store(int64(31 * 24 * time.Hour))
	runConformance(t, doc, router, e, []conformanceCall{
		{name: "entry", r: req{method: "POST", path: d + "/entry", token: f.lyonTok, header: k()}, status: 200},
		{name: "exit", r: req{method: "POST", path: d + "/exit", token: f.lyonTok, body: `{"completion_rate":100}`, header: k()}, status: 200},
		{name: "evaluate", r: req{method: "POST", path: d + "/evaluation", token: f.learnerTok, body: eval, header: k()}, status: 200},
		{name: "hide comment", r: req{method: "PUT", path: d + "/evaluation/visibility", token: f.controlTok, body: `{"comment_hidden":true}`}, status: 204},
		{name: "webhook, bad signature", r: req{method: "POST", path: "/api/v1/payments/webhook/card", body: `{"id":"e","type":"x"}`, header: map[string]string{"Parcours-Signature": "t=1,v1=00"}}, status: 401},
	})
	// A cancellation, on a second dossier.
	e.shift.Store(0)
	id2 := e.requestAndPropose(t, f)
	runConformance(t, doc, router, e, []conformanceCall{
		{name: "refuse proposal", r: req{method: "POST", path: "/api/v1/dossiers/" + id2 + "/refusal", token: f.learnerTok, header: k()}, status: 200},
		{name: "cancel refused", r: req{method: "POST", path: "/api/v1/dossiers/" + id2 + "/cancellation", token: f.learnerTok, body: `{}`, header: k()}, status: 409},
	})
}
