package marketplace_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/mongo/mongotest"
)

// clock is a settable fixed clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// parisNoon is noon in Paris on a date.
func parisNoon(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, marketplace.Paris)
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var nirKey = []byte("0123456789abcdef0123456789abcdef")

// env is an enrolment service over a fresh bbolt store, with one provider
// (prov) and another (other), an offer of prov at 1,500 EUR for
// certification RNCP37674 and a session starting on sessionStart.
type env struct {
	t        testing.TB
	store    testStore
	cat      *marketplace.CatalogueService
	svc      *marketplace.EnrolmentService
	clock    *fakeClock
	prov     marketplace.Provider
	other    marketplace.Provider
	offer    marketplace.Offer
	session  marketplace.Session
	nextNIR  int
	payments marketplace.PaymentProvider
}

type envOption func(*marketplace.EnrolmentConfig)

// testStore is what a backend must provide to run these tests.
type testStore interface {
	marketplace.Store
	marketplace.EnrolmentStore
	marketplace.LedgerAuditor
}

// openBolt opens a fresh embedded store.
func openBolt(t testing.TB) testStore {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "p.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openMongo opens a store on a fresh database of the test MongoDB server.
func openMongo(t testing.TB) testStore {
	srv := mongotest.Shared(t)
	s, err := mongo.New(context.Background(), srv.Client(), mongo.Config{Database: srv.NewDatabase()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Database().Drop(context.Background()) })
	return s
}

func TestMain(m *testing.M) { mongotest.Main(m) }

func newEnv(t testing.TB, now time.Time, sessionStart time.Time, opts ...envOption) *env {
	t.Helper()
	return newEnvOn(t, openBolt(t), now, sessionStart, opts...)
}

// newEnvOn is newEnv over the store s.
func newEnvOn(t testing.TB, s testStore, now time.Time, sessionStart time.Time, opts ...envOption) *env {
	t.Helper()
	var err error
	e := &env{t: t, store: s, clock: &fakeClock{t: now}}
	e.cat = marketplace.NewCatalogueService(s, geo.Default(), e.clock.now)
	cfg := marketplace.EnrolmentConfig{
		NIRKey:                nirKey,
		CoPayments:            []marketplace.CoPayment{{From: day(2024, 5, 2), Cents: 100_00}, {From: day(2025, 1, 1), Cents: 102_23}},
		EvaluationReleaseDays: 30,
		Payments:              marketplace.DemoPayments{},
		Now:                   e.clock.now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.payments = cfg.Payments
	e.svc = marketplace.NewEnrolmentService(s, s, cfg)
	ctx := context.Background()
	admin := marketplace.Actor{Admin: true}
	q := marketplace.Qualiopi{Certificate: "Q-1", Certifier: "AFNOR", ValidUntil: now.AddDate(3, 0, 0)}
	if e.prov, err = e.cat.CreateProvider(ctx, admin, marketplace.Provider{SIRET: "90123456700013", Name: "Atelier", NDA: "84691234569", Commune: "69123", Qualiopi: q}); err != nil {
		t.Fatal(err)
	}
	if e.other, err = e.cat.CreateProvider(ctx, admin, marketplace.Provider{SIRET: "81234567300014", Name: "Autre", NDA: "84691187369", Commune: "69266", Qualiopi: q}); err != nil {
		t.Fatal(err)
	}
	if e.offer, err = e.cat.CreateOffer(ctx, admin, marketplace.Offer{
		ProviderID: e.prov.ID, Certification: marketplace.Certification{Code: "RNCP37674", Title: "Développeur web"},
		Title: "Développeur web", PriceCents: 1500_00, Hours: 100, Modality: marketplace.Distance, Commune: "69123", Status: marketplace.Published,
	}); err != nil {
		t.Fatal(err)
	}
	if e.session, err = e.cat.AddSession(ctx, admin, marketplace.Session{OfferID: e.offer.ID, Start: sessionStart, End: sessionStart.AddDate(0, 1, 0), Seats: 1000}); err != nil {
		t.Fatal(err)
	}
	return e
}

// nir returns a new valid NIR.
func (e *env) nir() string {
	e.nextNIR++
	body := fmt.Sprintf("1850375%06d", e.nextNIR)
	var r int
	for _, c := range body {
		r = (r*10 + int(c-'0')) % 97
	}
	return fmt.Sprintf("%s%02d", body, 97-r)
}

// learner opens an account credited with balance cents.
func (e *env) learner(balance int64, flags marketplace.Account) marketplace.Party {
	e.t.Helper()
	a, _, err := e.svc.OpenAccount(context.Background(), marketplace.Party{Admin: true}, e.nir(), flags)
	if err != nil {
		e.t.Fatal(err)
	}
	if balance > 0 {
		if err := e.svc.Credit(context.Background(), "seed:"+a.ID, a.ID, balance, e.clock.now()); err != nil {
			e.t.Fatal(err)
		}
	}
	return marketplace.Party{AccountID: a.ID}
}

func (e *env) provider() marketplace.Party { return marketplace.Party{ProviderID: e.prov.ID} }

var keyN int
var keyMu sync.Mutex

func key() marketplace.Idem {
	keyMu.Lock()
	defer keyMu.Unlock()
	keyN++
	k := fmt.Sprintf("k%d", keyN)
	return marketplace.Idem{Key: k, Fingerprint: k}
}

func (e *env) balance(a marketplace.LedgerAccount) int64 {
	e.t.Helper()
	b, err := e.store.Balances(context.Background(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return b[a]
}

// audit checks the ledger: balances sum to zero, agree with the entries,
// and no non-source account is negative.
func (e *env) audit() {
	e.t.Helper()
	bal, fromEntries, err := e.store.AuditLedger(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var sum int64
	for a, b := range bal {
		sum += b
		if b < 0 && !a.IsSource() {
			e.t.Errorf("%s is negative: %d", a, b)
		}
		if fromEntries[a] != b {
			e.t.Errorf("%s: balance %d, entries sum to %d", a, b, fromEntries[a])
		}
	}
	if sum != 0 {
		e.t.Errorf("balances sum to %d, not zero", sum)
	}
}

// toAccepted takes a new dossier of learner to the accepted state.
func (e *env) toAccepted(learner marketplace.Party) marketplace.Dossier {
	e.t.Helper()
	ctx := context.Background()
	d, err := e.svc.Request(ctx, learner, key(), e.offer.ID, e.session.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	if d, err = e.svc.Propose(ctx, e.provider(), key(), d.ID, 0, ""); err != nil {
		e.t.Fatal(err)
	}
	if d, err = e.svc.Accept(ctx, learner, key(), d.ID, true); err != nil {
		e.t.Fatal(err)
	}
	return d
}

func TestLifecyclePaysProviderOnEvaluation(t *testing.T) {
	e := newEnv(t, parisNoon(2026, 3, 2), day(2026, 4, 1))
	ctx := context.Background()
	learner := e.learner(2000_00, marketplace.Account{})
	d := e.toAccepted(learner)
	// 1,500 EUR: 102.23 co-payment (external, confirmed at once by the demo
	// provider) and 1,397.77 from the account.
	if d.State != marketplace.Accepted || d.Billing != marketplace.DepositPaid || d.ExternalCents != 102_23 {
		t.Fatalf("after acceptance: %+v", d)
	}
	if got := e.balance(marketplace.LearnerAccount(learner.AccountID)); got != 2000_00-1397_77 {
		t.Errorf("balance %d", got)
	}
	if got := e.balance(marketplace.HoldAccount(d.ID)); got != 1500_00 {
		t.Errorf("hold %d", got)
	}
	if _, err := e.svc.DeclareEntry(ctx, e.provider(), key(), d.ID); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("entry before the start: %v", err)
	}
	e.clock.set(parisNoon(2026, 4, 1))
	var err error
	if d, err = e.svc.DeclareEntry(ctx, e.provider(), key(), d.ID); err != nil {
		t.Fatal(err)
	}
	if d, err = e.svc.DeclareExit(ctx, e.provider(), key(), d.ID, 100, ""); err != nil {
		t.Fatal(err)
	}
	ev := marketplace.Evaluation{Scores: [6]int{5, 4, 5, 3, 4, 5}, Comment: "Très bien"}
	if _, err := e.svc.Evaluate(ctx, marketplace.Party{AccountID: "someone-else"}, key(), d.ID, ev); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("another learner evaluating: %v", err)
	}
	if d, err = e.svc.Evaluate(ctx, learner, key(), d.ID, ev); err != nil {
		t.Fatal(err)
	}
	if d.State != marketplace.ServiceDoneValidated || d.Billing != marketplace.Paid || d.PaidCents != 1500_00 {
		t.Errorf("after evaluation: %+v", d)
	}
	if got := e.balance(marketplace.ProviderAccount(e.prov.ID)); got != 1500_00 {
		t.Errorf("provider paid %d", got)
	}
	if _, err := e.svc.Evaluate(ctx, learner, key(), d.ID, ev); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("second evaluation: %v", err)
	}
	r, err := e.store.Ratings(ctx, "offer:"+e.offer.ID)
	if err != nil || r.Count != 1 || r.Average(3) != 3 {
		t.Errorf("ratings %+v, %v", r, err)
	}
	e.audit()
}

func TestPartialCompletionPaysProRata(t *testing.T) {
	e := newEnv(t, parisNoon(2026, 3, 2), day(2026, 4, 1))
	ctx := context.Background()
	learner := e.learner(5000_00, marketplace.Account{JobSeeker: true})
	d := e.toAccepted(learner)
	e.clock.set(parisNoon(2026, 4, 2))
	d, _ = e.svc.DeclareEntry(ctx, e.provider(), key(), d.ID)
	if _, err := e.svc.DeclareExit(ctx, e.provider(), key(), d.ID, 40, ""); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("partial exit without reason: %v", err)
	}
	d, err := e.svc.DeclareExit(ctx, e.provider(), key(), d.ID, 40, marketplace.ForceMajeure)
	if err != nil {
		t.Fatal(err)
	}
	d, err = e.svc.Evaluate(ctx, learner, key(), d.ID, marketplace.Evaluation{Scores: [6]int{3, 3, 3, 3, 3, 3}})
	if err != nil {
		t.Fatal(err)
	}
	if d.PaidCents != 600_00 || e.balance(marketplace.ProviderAccount(e.prov.ID)) != 600_00 {
		t.Errorf("paid %d", d.PaidCents)
	}
	if got := e.balance(marketplace.LearnerAccount(learner.AccountID)); got != 5000_00-600_00 {
		t.Errorf("balance after pro rata release %d", got)
	}
	e.audit()
}

func TestIdempotentRetriesMoveMoneyOnce(t *testing.T) {
	e := newEnv(t, parisNoon(2026, 3, 2), day(2026, 4, 1))
	ctx := context.Background()
	learner := e.learner(5000_00, marketplace.Account{JobSeeker: true})
	k := key()
	d1, err := e.svc.Request(ctx, learner, k, e.offer.ID, e.session.ID)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := e.svc.Request(ctx, learner, k, e.offer.ID, e.session.ID)
	if err != nil || d2.ID != d1.ID {
		t.Fatalf("replayed request: %v, %s vs %s", err, d2.ID, d1.ID)
	}
	if _, err := e.svc.Propose(ctx, e.provider(), key(), d1.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	ka := key()
	for i := 0; i < 3; i++ {
		if _, err := e.svc.Accept(ctx, learner, ka, d1.ID, false); err != nil {
			t.Fatalf("accept %d: %v", i, err)
		}
	}
	if got := e.balance(marketplace.LearnerAccount(learner.AccountID)); got != 3500_00 {
		t.Errorf("balance %d after three identical acceptances, want one debit", got)
	}
	if _, err := e.svc.Accept(ctx, learner, marketplace.Idem{Key: ka.Key, Fingerprint: "other"}, d1.ID, false); !errors.Is(err, marketplace.ErrIdempotencyMismatch) {
		t.Errorf("same key, other request: %v", err)
	}
	e.audit()
}

func TestConcurrentAcceptancesSpendOnce(t *testing.T) {
	e := newEnv(t, parisNoon(2026, 3, 2), day(2026, 4, 1))
	ctx := context.Background()
	learner := e.learner(1500_00, marketplace.Account{JobSeeker: true})
	var ids []string
	for i := 0; i < 50; i++ {
		d, err := e.svc.Request(ctx, learner, key(), e.offer.ID, e.session.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Propose(ctx, e.provider(), key(), d.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, short := 0, 0
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.Accept(ctx, learner, key(), id, false)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, marketplace.ErrInsufficientBalance):
				short++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || short != len(ids)-1 {
		t.Errorf("%d accepted, %d refused; want exactly one accepted", ok, short)
	}
	e.audit()
}

func TestForbiddenTransitionsNameTheState(t *testing.T) {
	ctx := context.Background()
	type action struct {
		name string
		do   func(e *env, l marketplace.Party, id string) error
	}
	actions := []action{
		{"propose", func(e *env, l marketplace.Party, id string) error {
			_, err := e.svc.Propose(ctx, e.provider(), key(), id, 0, "")
			return err
		}},
		{"accept", func(e *env, l marketplace.Party, id string) error {
			_, err := e.svc.Accept(ctx, l, key(), id, true)
			return err
		}},
		{"entry", func(e *env, l marketplace.Party, id string) error {
			_, err := e.svc.DeclareEntry(ctx, e.provider(), key(), id)
			return err
		}},
		{"exit", func(e *env, l marketplace.Party, id string) error {
			_, err := e.svc.DeclareExit(ctx, e.provider(), key(), id, 100, "")
			return err
		}},
		{"evaluate", func(e *env, l marketplace.Party, id string) error {
			_, err := e.svc.Evaluate(ctx, l, key(), id, marketplace.Evaluation{Scores: [6]int{4, 4, 4, 4, 4, 4}})
			return err
		}},
	}
	// allowed[state] is the only action allowed in it (besides cancel/refuse).
	allowed := map[marketplace.DossierState]string{
		marketplace.NotProcessed: "propose", marketplace.Validated: "accept", marketplace.Accepted: "entry",
		marketplace.InTraining: "exit", marketplace.ServiceDoneDeclared: "evaluate",
	}
	// reach builds a dossier in a state.
	reach := func(t *testing.T, e *env, l marketplace.Party, st marketplace.DossierState) string {
		d, _ := e.svc.Request(ctx, l, key(), e.offer.ID, e.session.ID)
		steps := []marketplace.DossierState{marketplace.NotProcessed, marketplace.Validated, marketplace.Accepted, marketplace.InTraining, marketplace.ServiceDoneDeclared, marketplace.ServiceDoneValidated}
		if st.Terminal() && st != marketplace.ServiceDoneValidated {
			steps = steps[:1]
		}
		for _, s := range steps {
			if s == st || st.Terminal() && st != marketplace.ServiceDoneValidated {
				break
			}
			if s == st {
				return d.ID
			}
			if s == marketplace.Accepted {
				e.clock.set(parisNoon(2026, 4, 1))
			}
			for _, a := range actions {
				if allowed[s] == a.name {
					if err := a.do(e, l, d.ID); err != nil {
						t.Fatalf("reaching %s: %s: %v", st, a.name, err)
					}
				}
			}
		}
		switch st {
		case marketplace.RefusedByOrganism:
			e.svc.Refuse(ctx, e.provider(), key(), d.ID)
		case marketplace.CanceledByAttendee:
			e.svc.Cancel(ctx, l, key(), d.ID, "")
		}
		return d.ID
	}
	states := []marketplace.DossierState{marketplace.NotProcessed, marketplace.Validated, marketplace.Accepted, marketplace.InTraining,
		marketplace.ServiceDoneDeclared, marketplace.ServiceDoneValidated, marketplace.RefusedByOrganism, marketplace.CanceledByAttendee}
	for _, st := range states {
		for _, a := range actions {
			if allowed[st] == a.name {
				continue
			}
			t.Run(string(st)+"/"+a.name, func(t *testing.T) {
				// Entry needs the session started: dossiers are built at a
				// time when every step is allowed by date.
				e := newEnv(t, parisNoon(2026, 3, 2), day(2026, 4, 1))
				l := e.learner(5000_00, marketplace.Account{JobSeeker: true})
				id := reach(t, e, l, st)
				e.clock.set(parisNoon(2026, 4, 1))
				err := a.do(e, l, id)
				var se *marketplace.StateError
				if !errors.As(err, &se) || se.State != st || !errors.Is(err, marketplace.ErrConflict) {
					t.Errorf("%s in %s: %v, want a StateError naming %s", a.name, st, err, st)
				}
			})
		}
	}
}

func TestDeadlinesAcrossAscension2027(t *testing.T) {
	ctx := context.Background()
	// Requested on Wednesday 5 May 2027; Thursday 6 is Ascension.
	requested := parisNoon(2027, 5, 5)
	start := day(2027, 6, 1)
	t.Run("provider answers in 2 working days or the request lapses", func(t *testing.T) {
		e := newEnv(t, requested, start)
		l := e.learner(5000_00, marketplace.Account{JobSeeker: true})
		d, _ := e.svc.Request(ctx, l, key(), e.offer.ID, e.session.ID)
		if !d.Deadline.Equal(day(2027, 5, 10)) {
			t.Errorf("deadline %s, want Monday 10 May (Ascension and the weekend skipped)", d.Deadline)
		}
		e.clock.set(parisNoon(2027, 5, 10))
		if n, _ := e.svc.EnforceDeadlines(ctx); n != 0 {
			t.Errorf("%d lapsed on the deadline day", n)
		}
		e.clock.set(parisNoon(2027, 5, 11))
		if n, err := e.svc.EnforceDeadlines(ctx); n != 1 || err != nil {
			t.Errorf("lapsed %d, %v", n, err)
		}
		got, _ := e.store.Dossier(ctx, d.ID)
		if got.State != marketplace.CanceledByOrganism || got.Reason != "lapsed" {
			t.Errorf("state %s reason %s", got.State, got.Reason)
		}
	})
	t.Run("learner accepts in 4 working days", func(t *testing.T) {
		e := newEnv(t, requested, start)
		l := e.learner(5000_00, marketplace.Account{JobSeeker: true})
		d, _ := e.svc.Request(ctx, l, key(), e.offer.ID, e.session.ID)
		d, err := e.svc.Propose(ctx, e.provider(), key(), d.ID, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		// Wed 5 + 4 working days: Fri 7, Mon 10, Tue 11, Wed 12.
		if !d.Deadline.Equal(day(2027, 5, 12)) {
			t.Errorf("deadline %s, want 12 May", d.Deadline)
		}
		e.clock.set(parisNoon(2027, 5, 13))
		if _, err := e.svc.Accept(ctx, l, key(), d.ID, false); !errors.Is(err, marketplace.ErrConflict) {
			t.Errorf("late acceptance: %v", err)
		}
		if n, _ := e.svc.EnforceDeadlines(ctx); n != 1 {
			t.Errorf("lapsed %d", n)
		}
		got, _ := e.store.Dossier(ctx, d.ID)
		if got.State != marketplace.RefusedByAttendee {
			t.Errorf("state %s", got.State)
		}
	})
	t.Run("11 working days between proposal and start", func(t *testing.T) {
		// From Wed 5 May 2027, 11 working days (Ascension and Whit Monday
		// skipped) reach Monday 24 May.
		e := newEnv(t, requested, day(2027, 5, 21))
		l := e.learner(5000_00, marketplace.Account{JobSeeker: true})
		d, _ := e.svc.Request(ctx, l, key(), e.offer.ID, e.session.ID)
		if _, err := e.svc.Propose(ctx, e.provider(), key(), d.ID, 0, ""); !errors.Is(err, marketplace.ErrInvalid) {
			t.Errorf("start on 21 May: %v, want refused", err)
		}
		ok, err := e.cat.AddSession(ctx, marketplace.Actor{Admin: true}, marketplace.Session{OfferID: e.offer.ID, Start: day(2027, 5, 24), End: day(2027, 6, 21), Seats: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Propose(ctx, e.provider(), key(), d.ID, 0, ok.ID); err != nil {
			t.Errorf("start on 24 May: %v", err)
		}
	})
	t.Run("cancelling more than 7 working days before the start is free", func(t *testing.T) {
		// Session on Friday 28 May 2027. From Tue 18 May (after Whit
		// Monday) there are 8 working days to it; from Wed 19, 7.
		for _, tc := range []struct {
			name   string
			when   time.Time
			reason string
			free   bool
		}{
			{"8 working days before", parisNoon(2027, 5, 18), "", true},
			{"7 working days before", parisNoon(2027, 5, 19), "", false},
			{"7 working days before, force majeure", parisNoon(2027, 5, 19), "force_majeure", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, parisNoon(2027, 5, 3), day(2027, 5, 28))
				l := e.learner(5000_00, marketplace.Account{JobSeeker: true})
				d := e.toAccepted(l)
				e.clock.set(tc.when)
				d, err := e.svc.Cancel(ctx, l, key(), d.ID, tc.reason)
				if err != nil {
					t.Fatal(err)
				}
				bal := e.balance(marketplace.LearnerAccount(l.AccountID))
				paid := e.balance(marketplace.ProviderAccount(e.prov.ID))
				if tc.free && (bal != 5000_00 || paid != 0) || !tc.free && (bal != 3500_00 || paid != 1500_00) {
					t.Errorf("balance %d, provider %d, free=%v", bal, paid, tc.free)
				}
				if d.State != marketplace.CanceledByAttendee {
					t.Errorf("state %s", d.State)
				}
				e.audit()
			})
		}
	})
	t.Run("entry not declared: funds released", func(t *testing.T) {
		e := newEnv(t, parisNoon(2027, 4, 1), day(2027, 5, 5))
		l := e.learner(5000_00, marketplace.Account{JobSeeker: true})
		d := e.toAccepted(l)
		// Start Wed 5 May + 3 working days (Ascension skipped) = Tue 11 May.
		if !d.Deadline.Equal(day(2027, 5, 11)) {
			t.Errorf("entry deadline %s", d.Deadline)
		}
		e.clock.set(parisNoon(2027, 5, 11))
		if n, _ := e.svc.EnforceDeadlines(ctx); n != 0 {
			t.Errorf("acted on the deadline day")
		}
		e.clock.set(parisNoon(2027, 5, 12))
		if n, _ := e.svc.EnforceDeadlines(ctx); n != 1 {
			t.Errorf("acted on %d", n)
		}
		if got := e.balance(marketplace.LearnerAccount(l.AccountID)); got != 5000_00 {
			t.Errorf("balance %d", got)
		}
		e.audit()
	})
	t.Run("unpaid co-payment cancels after 4 working days", func(t *testing.T) {
		e := newEnv(t, requested, start, func(c *marketplace.EnrolmentConfig) { c.Payments = marketplace.WebhookPayments{ProviderName: "card"} })
		l := e.learner(5000_00, marketplace.Account{})
		d := e.toAccepted(l)
		if d.Billing != marketplace.DepositWait || !d.Deadline.Equal(day(2027, 5, 12)) {
			t.Fatalf("billing %s deadline %s", d.Billing, d.Deadline)
		}
		if _, err := e.svc.DeclareEntry(ctx, e.provider(), key(), d.ID); !errors.Is(err, marketplace.ErrConflict) {
			t.Errorf("entry while the payment is awaited: %v", err)
		}
		e.clock.set(parisNoon(2027, 5, 13))
		if n, _ := e.svc.EnforceDeadlines(ctx); n != 1 {
			t.Errorf("acted on %d", n)
		}
		if got := e.balance(marketplace.LearnerAccount(l.AccountID)); got != 5000_00 {
			t.Errorf("balance %d", got)
		}
		e.audit()
	})
	t.Run("payment released 30 days after exit without evaluation", func(t *testing.T) {
		e := newEnv(t, parisNoon(2027, 3, 1), day(2027, 4, 1))
		l := e.learner(5000_00, marketplace.Account{JobSeeker: true})
		d := e.toAccepted(l)
		e.clock.set(parisNoon(2027, 4, 1))
		e.svc.DeclareEntry(ctx, e.provider(), key(), d.ID)
		d, _ = e.svc.DeclareExit(ctx, e.provider(), key(), d.ID, 100, "")
		if !d.Deadline.Equal(day(2027, 5, 1)) {
			t.Errorf("release day %s", d.Deadline)
		}
		e.clock.set(parisNoon(2027, 5, 1))
		if n, _ := e.svc.EnforceDeadlines(ctx); n != 0 {
			t.Errorf("released early")
		}
		e.clock.set(parisNoon(2027, 5, 2))
		if n, _ := e.svc.EnforceDeadlines(ctx); n != 1 {
			t.Errorf("not released")
		}
		if got := e.balance(marketplace.ProviderAccount(e.prov.ID)); got != 1500_00 {
			t.Errorf("provider %d", got)
		}
		// The learner may still evaluate, once, without moving money.
		if _, err := e.svc.Evaluate(ctx, l, key(), d.ID, marketplace.Evaluation{Scores: [6]int{2, 2, 2, 2, 2, 2}}); err != nil {
			t.Error(err)
		}
		e.audit()
	})
}

func TestFundingPlan(t *testing.T) {
	region := marketplace.TopUpRule{ID: "r1", FunderKind: marketplace.FunderRegion, Percent: 50, CapCents: 1500_00, JobSeekersOnly: true,
		MaxBalanceCents: 800_00, Certifications: []string{"RNCP37674"}, Active: true, CreatedAt: day(2026, 1, 1)}
	employer := marketplace.TopUpRule{ID: "r2", FunderKind: marketplace.FunderEmployer, Percent: 100, Active: true, CreatedAt: day(2026, 1, 2)}
	tests := []struct {
		name    string
		price   int64
		acct    marketplace.Account
		balance int64
		cert    string
		rules   []marketplace.TopUpRule
		budgets map[string]int64
		want    marketplace.Plan
	}{
		{"account covers, co-payment due", 1000_00, marketplace.Account{ID: "a"}, 2000_00, "RS1", nil, nil,
			marketplace.Plan{AccountCents: 897_77, CoPayment: 102_23, ExternalCents: 102_23,
				Shares: []marketplace.Share{{From: "learner:a", Cents: 897_77, Kind: "account"}}}},
		{"job seeker: no co-payment, remainder due", 1000_00, marketplace.Account{ID: "a", JobSeeker: true}, 900_00, "RS1", nil, nil,
			marketplace.Plan{AccountCents: 900_00, Remainder: 100_00, ExternalCents: 100_00,
				Shares: []marketplace.Share{{From: "learner:a", Cents: 900_00, Kind: "account"}}}},
		{"region pays half the rest, capped by its budget", 3000_00, marketplace.Account{ID: "a", JobSeeker: true}, 500_00, "RNCP37674",
			[]marketplace.TopUpRule{region}, map[string]int64{"r1": 1000_00},
			marketplace.Plan{AccountCents: 500_00, TopUpCents: 1000_00, Remainder: 1500_00, ExternalCents: 1500_00,
				Shares: []marketplace.Share{{From: "learner:a", Cents: 500_00, Kind: "account"}, {From: "budget:r1", Cents: 1000_00, Kind: "topup"}}}},
		{"region rule not for balances over 800", 3000_00, marketplace.Account{ID: "a", JobSeeker: true}, 900_00, "RNCP37674",
			[]marketplace.TopUpRule{region}, map[string]int64{"r1": 10000_00},
			marketplace.Plan{AccountCents: 900_00, Remainder: 2100_00, ExternalCents: 2100_00,
				Shares: []marketplace.Share{{From: "learner:a", Cents: 900_00, Kind: "account"}}}},
		{"employer co-funding waives the co-payment", 1000_00, marketplace.Account{ID: "a"}, 400_00, "RS1",
			[]marketplace.TopUpRule{employer}, map[string]int64{"r2": 10000_00},
			marketplace.Plan{AccountCents: 400_00, TopUpCents: 600_00,
				Shares: []marketplace.Share{{From: "learner:a", Cents: 400_00, Kind: "account"}, {From: "budget:r2", Cents: 600_00, Kind: "topup"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := marketplace.PlanFunding(tt.price, tt.acct, tt.balance, tt.cert, tt.rules, tt.budgets, 102_23)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestCoPaymentSchedule(t *testing.T) {
	s := []marketplace.CoPayment{{From: day(2024, 5, 2), Cents: 100_00}, {From: day(2025, 1, 1), Cents: 102_23}}
	for d, want := range map[time.Time]int64{day(2024, 5, 1): 0, day(2024, 5, 2): 100_00, day(2024, 12, 31): 100_00, day(2025, 1, 1): 102_23, day(2027, 6, 1): 102_23} {
		if got := marketplace.CoPaymentAt(s, d); got != want {
			t.Errorf("%s: %d, want %d", d.Format(time.DateOnly), got, want)
		}
	}
}

func TestYearlyRights(t *testing.T) {
	decl := func(worked, full int, low bool) marketplace.Declaration {
		return marketplace.Declaration{HoursWorked: worked, FullTimeHours: full, LowQualified: low}
	}
	tests := []struct {
		name    string
		ds      []marketplace.Declaration
		balance int64
		want    int64
	}{
		{"full time", []marketplace.Declaration{decl(1607, 1607, false)}, 0, 500_00},
		{"exactly half time", []marketplace.Declaration{decl(800, 1600, false)}, 0, 500_00},
		{"two employers add up", []marketplace.Declaration{decl(500, 1600, false), decl(400, 1600, false)}, 0, 500_00},
		{"a quarter time: pro rata", []marketplace.Declaration{decl(400, 1600, false)}, 0, 125_00},
		{"low qualified", []marketplace.Declaration{decl(1600, 1600, true)}, 0, 800_00},
		{"near the cap", []marketplace.Declaration{decl(1600, 1600, false)}, 4800_00, 200_00},
		{"at the cap", []marketplace.Declaration{decl(1600, 1600, false)}, 5000_00, 0},
		{"higher cap", []marketplace.Declaration{decl(1600, 1600, true)}, 7500_00, 500_00},
	}
	for _, tt := range tests {
		if got, _ := marketplace.YearlyRights(tt.ds, tt.balance); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestCreditJobIsIdempotentPerYear(t *testing.T) {
	e := newEnv(t, parisNoon(2027, 2, 1), day(2027, 6, 1))
	ctx := context.Background()
	admin := marketplace.Party{Admin: true}
	nir := e.nir()
	rows := []marketplace.DeclarationRow{
		{NIR: nir, Year: 2025, EmployerSIRET: "90123456700013", HoursWorked: 1607, FullTimeHours: 1607},
		{NIR: nir, Year: 2026, EmployerSIRET: "90123456700013", HoursWorked: 400, FullTimeHours: 1600},
		{NIR: nir, Year: 2027, EmployerSIRET: "90123456700013", HoursWorked: 100, FullTimeHours: 1600}, // not over yet
	}
	res, err := e.svc.ImportDeclarations(ctx, admin, rows)
	if err != nil || res.AccountsCreated != 1 || res.Declarations != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	for i := 0; i < 3; i++ {
		if _, err := e.svc.CreditYearlyRights(ctx); err != nil {
			t.Fatal(err)
		}
		// Importing the same file again changes nothing either.
		if _, err := e.svc.ImportDeclarations(ctx, admin, rows); err != nil {
			t.Fatal(err)
		}
	}
	a, err := e.store.AccountByNIR(ctx, marketplace.NIRHash(nirKey, nir))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.balance(marketplace.LearnerAccount(a.ID)); got != 625_00 {
		t.Errorf("balance %d, want 500 + 125 EUR", got)
	}
	if _, err := e.svc.ImportDeclarations(ctx, admin, []marketplace.DeclarationRow{{NIR: "123", Year: 2025, EmployerSIRET: "1", FullTimeHours: 0}}); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("bad row: %v", err)
	}
	e.audit()
}

func TestTopUpBudgetNeverOverspent(t *testing.T) {
	e := newEnv(t, parisNoon(2026, 3, 2), day(2026, 4, 1))
	ctx := context.Background()
	funder := marketplace.Party{FunderID: "region-ara"}
	r, err := e.svc.CreateRule(ctx, funder, marketplace.TopUpRule{Name: "Région", FunderKind: marketplace.FunderRegion, Percent: 100, JobSeekersOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FundBudget(ctx, funder, key(), r.ID, 2000_00); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FundBudget(ctx, marketplace.Party{FunderID: "other"}, key(), r.ID, 1); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("another funder funding: %v", err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		l := e.learner(0, marketplace.Account{JobSeeker: true})
		d, _ := e.svc.Request(ctx, l, key(), e.offer.ID, e.session.ID)
		e.svc.Propose(ctx, e.provider(), key(), d.ID, 0, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.svc.Accept(ctx, l, key(), d.ID, false)
		}()
	}
	wg.Wait()
	if got := e.balance(marketplace.BudgetAccount(r.ID)); got != 500_00 {
		t.Errorf("budget left %d, want 2000 - 1500 (one full top-up; the second would need 500 EUR more)", got)
	}
	e.audit()
}
