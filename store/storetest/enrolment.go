package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/marketplace"
)

// RunEnrolment runs the contracts of marketplace.EnrolmentStore; open
// returns a new empty store for each subtest.
func RunEnrolment(t *testing.T, open func(t *testing.T) marketplace.EnrolmentStore) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open(t)) })
	t.Run("ApplyIsIdempotent", func(t *testing.T) { testApplyIdempotent(t, open(t)) })
	t.Run("ApplyAllOrNothing", func(t *testing.T) { testApplyAllOrNothing(t, open(t)) })
	t.Run("ApplyConcurrentNoOverdraft", func(t *testing.T) { testNoOverdraft(t, open(t)) })
	t.Run("DossierVersions", func(t *testing.T) { testDossierVersions(t, open(t)) })
	t.Run("DueDossiers", func(t *testing.T) { testDueDossiers(t, open(t)) })
	t.Run("EntriesNewestFirst", func(t *testing.T) { testEntries(t, open(t)) })
	t.Run("JournalResponses", func(t *testing.T) { testJournal(t, open(t)) })
	t.Run("EvaluationsOnce", func(t *testing.T) { testEvaluations(t, open(t)) })
	t.Run("Declarations", func(t *testing.T) { testDeclarations(t, open(t)) })
	t.Run("HeldPaymentNeverCaptured", func(t *testing.T) { testHeldPaymentNeverCaptured(t, open(t)) })
}

func credit(key string, acct string, cents int64) marketplace.Op {
	return marketplace.Op{Key: key, Fingerprint: key, At: Time, Kind: marketplace.MoveYearlyCredit, Postings: []marketplace.Posting{
		{Account: marketplace.RightsSource, Cents: -cents}, {Account: marketplace.LearnerAccount(acct), Cents: cents}}}
}

func mustApply(t *testing.T, s marketplace.EnrolmentStore, op marketplace.Op) bool {
	t.Helper()
	ok, err := s.Apply(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func bal(t *testing.T, s marketplace.EnrolmentStore, a marketplace.LedgerAccount) int64 {
	t.Helper()
	b, err := s.Balances(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return b[a]
}

func testAccounts(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	a := marketplace.Account{ID: "acct-1", NIRHash: "h1", JobSeeker: true, CreatedAt: Time}
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(ctx, marketplace.Account{ID: "acct-2", NIRHash: "h1"}); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("same NIR hash: %v", err)
	}
	got, err := s.AccountByNIR(ctx, "h1")
	if err != nil || !cmp.Equal(got, a) {
		t.Errorf("AccountByNIR = %+v, %v", got, err)
	}
	if _, err := s.Account(ctx, "nope"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
}

func testApplyIdempotent(t *testing.T, s marketplace.EnrolmentStore) {
	op := credit("k1", "a", 500_00)
	if !mustApply(t, s, op) || mustApply(t, s, op) {
		t.Error("want applied once, then a no-op")
	}
	if got := bal(t, s, marketplace.LearnerAccount("a")); got != 500_00 {
		t.Errorf("balance %d", got)
	}
	op.Fingerprint = "other"
	if _, err := s.Apply(context.Background(), op); !errors.Is(err, marketplace.ErrIdempotencyMismatch) {
		t.Errorf("same key, other fingerprint: %v", err)
	}
}

func testApplyAllOrNothing(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	mustApply(t, s, credit("seed", "a", 100_00))
	d := marketplace.Dossier{ID: "d1", AccountID: "a", ProviderID: "p", State: marketplace.Accepted, Version: 1}
	op := marketplace.Op{Key: "hold", At: Time, Kind: marketplace.MoveHold, Dossier: &d, Postings: []marketplace.Posting{
		{Account: marketplace.LearnerAccount("a"), Cents: -150_00}, {Account: marketplace.HoldAccount("d1"), Cents: 150_00}}}
	if _, err := s.Apply(ctx, op); !errors.Is(err, marketplace.ErrInsufficientBalance) {
		t.Fatalf("overdraft: %v", err)
	}
	if _, err := s.Dossier(ctx, "d1"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("the dossier of a refused operation was written: %v", err)
	}
	if _, err := s.Journal(ctx, "hold"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("the key of a refused operation was recorded: %v", err)
	}
	if got := bal(t, s, marketplace.LearnerAccount("a")); got != 100_00 {
		t.Errorf("balance %d", got)
	}
	bad := credit("unbalanced", "a", 1)
	bad.Postings[0].Cents = -2
	if _, err := s.Apply(ctx, bad); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("unbalanced postings: %v", err)
	}
	capped := credit("cap", "a", 50_00)
	capped.MaxBalance = map[marketplace.LedgerAccount]int64{marketplace.LearnerAccount("a"): 120_00}
	if _, err := s.Apply(ctx, capped); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("above the cap: %v", err)
	}
}

func testNoOverdraft(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	mustApply(t, s, credit("seed", "a", 100_00))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op := marketplace.Op{Key: fmt.Sprintf("spend-%d", i), At: Time, Kind: marketplace.MoveHold, Postings: []marketplace.Posting{
				{Account: marketplace.LearnerAccount("a"), Cents: -30_00}, {Account: marketplace.HoldAccount(fmt.Sprint(i)), Cents: 30_00}}}
			applied, err := s.Apply(ctx, op)
			if err != nil && !errors.Is(err, marketplace.ErrInsufficientBalance) {
				t.Error(err)
			}
			if applied {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 3 || bal(t, s, marketplace.LearnerAccount("a")) != 10_00 {
		t.Errorf("%d spends of 30 from 100, balance %d", ok, bal(t, s, marketplace.LearnerAccount("a")))
	}
}

func testDossierVersions(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	d := marketplace.Dossier{ID: "d1", AccountID: "a", ProviderID: "p", State: marketplace.NotProcessed, Version: 1}
	mustApply(t, s, marketplace.Op{Key: "create", Dossier: &d})
	if _, err := s.Apply(ctx, marketplace.Op{Key: "create-again", Dossier: &d}); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("creating twice: %v", err)
	}
	d2 := d
	d2.State, d2.Version = marketplace.Validated, 2
	mustApply(t, s, marketplace.Op{Key: "propose", Dossier: &d2, IfVersion: 1})
	if _, err := s.Apply(ctx, marketplace.Op{Key: "stale", Dossier: &d2, IfVersion: 1}); !errors.Is(err, marketplace.ErrStale) {
		t.Errorf("stale version: %v", err)
	}
	got, err := s.Dossier(ctx, "d1")
	if err != nil || got.State != marketplace.Validated {
		t.Errorf("got %+v, %v", got, err)
	}
	list, _, err := s.Dossiers(ctx, marketplace.DossierFilter{AccountID: "a"}, marketplace.Page{})
	if err != nil || len(list) != 1 {
		t.Errorf("by account: %d, %v", len(list), err)
	}
	list, _, _ = s.Dossiers(ctx, marketplace.DossierFilter{ProviderID: "p", State: marketplace.NotProcessed}, marketplace.Page{})
	if len(list) != 0 {
		t.Errorf("state filter: %d", len(list))
	}
}

func testDueDossiers(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2027, 5, d, 0, 0, 0, 0, time.UTC) }
	for i, dl := range []int{12, 10, 11, 20} {
		d := marketplace.Dossier{ID: fmt.Sprintf("d%d", i), AccountID: "a", ProviderID: "p", Deadline: day(dl), Version: 1}
		mustApply(t, s, marketplace.Op{Key: d.ID, Dossier: &d})
	}
	// Moving a deadline moves it in the index.
	d, _ := s.Dossier(ctx, "d3")
	d.Deadline, d.Version = time.Time{}, 2
	mustApply(t, s, marketplace.Op{Key: "clear", Dossier: &d, IfVersion: 1})
	due, err := s.DueDossiers(ctx, day(12), 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range due {
		ids = append(ids, d.ID)
	}
	if diff := cmp.Diff([]string{"d1", "d2", "d0"}, ids); diff != "" {
		t.Error(diff)
	}
}

func testEntries(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		mustApply(t, s, credit(fmt.Sprint(i), "a", int64(i)))
		mustApply(t, s, credit(fmt.Sprint("b", i), "b", 1))
	}
	var got []int64
	page := marketplace.Page{Limit: 2}
	for {
		es, next, err := s.Entries(ctx, marketplace.LearnerAccount("a"), page)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			got = append(got, e.Cents)
		}
		if next == "" {
			break
		}
		page.After = next
	}
	if diff := cmp.Diff([]int64{5, 4, 3, 2, 1}, got); diff != "" {
		t.Error(diff)
	}
}

func testJournal(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	if err := s.SaveResponse(ctx, "k", "fp", 201, []byte(`{"id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Journal(ctx, "k")
	if err != nil || rec.Status != 201 || string(rec.Body) != `{"id":"x"}` {
		t.Errorf("journal %+v, %v", rec, err)
	}
	if err := s.SaveResponse(ctx, "k", "other", 200, nil); !errors.Is(err, marketplace.ErrIdempotencyMismatch) {
		t.Errorf("other fingerprint: %v", err)
	}
}

func testEvaluations(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	e := marketplace.Evaluation{DossierID: "d1", OfferID: "o", ProviderID: "p", Scores: [6]int{5, 4, 3, 2, 1, 5}, Comment: "bien", At: Time}
	mustApply(t, s, marketplace.Op{Key: "e1", Evaluation: &e})
	if _, err := s.Apply(ctx, marketplace.Op{Key: "e2", Evaluation: &e}); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("second evaluation: %v", err)
	}
	if err := s.SetCommentHidden(ctx, "d1", true); err != nil {
		t.Fatal(err)
	}
	got, err := s.Evaluation(ctx, "d1")
	if err != nil || !got.CommentHidden {
		t.Errorf("hidden: %+v %v", got, err)
	}
	r, err := s.Ratings(ctx, "provider:p")
	if err != nil || r.Count != 1 || r.Sums[0] != 5 {
		t.Errorf("ratings %+v %v", r, err)
	}
	list, err := s.Evaluations(ctx, "o", 10)
	if err != nil || len(list) != 1 {
		t.Errorf("evaluations %d %v", len(list), err)
	}
}

func testDeclarations(t *testing.T, s marketplace.EnrolmentStore) {
	ctx := context.Background()
	ds := []marketplace.Declaration{
		{AccountID: "a", Year: 2025, EmployerSIRET: "1", HoursWorked: 100, FullTimeHours: 1600},
		{AccountID: "a", Year: 2025, EmployerSIRET: "2", HoursWorked: 200, FullTimeHours: 1600},
		{AccountID: "a", Year: 2026, EmployerSIRET: "1", HoursWorked: 300, FullTimeHours: 1600},
	}
	if err := s.SaveDeclarations(ctx, ds); err != nil {
		t.Fatal(err)
	}
	ds[0].HoursWorked = 150 // a corrected declaration replaces the first
	if err := s.SaveDeclarations(ctx, ds[:1]); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := s.EachDeclarationYear(ctx, func(acct string, year int, ds []marketplace.Declaration) error {
		h := 0
		for _, d := range ds {
			h += d.HoursWorked
		}
		got = append(got, fmt.Sprintf("%s/%d/%d", acct, year, h))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a/2025/350", "a/2026/300"}, got); diff != "" {
		t.Error(diff)
	}
}
