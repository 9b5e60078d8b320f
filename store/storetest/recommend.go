package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching/recommend"
)

// RecommendStore is what a backend implements for the training
// recommendations: their own store, and the scan of dossiers and
// evaluations the batch reads.
type RecommendStore interface {
	recommend.Store
	recommend.DossierScanner
	marketplace.EnrolmentStore
}

// RunRecommend runs the conformance suite of the recommendation store.
func RunRecommend(t *testing.T, open func(t *testing.T) RecommendStore) {
	t.Run("Results", func(t *testing.T) { testRecResults(t, open(t)) })
	t.Run("Preferences", func(t *testing.T) { testRecPreferences(t, open(t)) })
	t.Run("WidgetKeys", func(t *testing.T) { testWidgetKeys(t, open(t)) })
	t.Run("ScanDossiers", func(t *testing.T) { testScanDossiers(t, open(t)) })
}

func testRecResults(t *testing.T, s RecommendStore) {
	ctx := context.Background()
	if _, err := s.Result(ctx, "a"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("Result before any: %v, want ErrNotFound", err)
	}
	var rs []recommend.Result
	// More than one bulk chunk of the MongoDB backend.
	for i := 0; i < 95; i++ {
		rs = append(rs, recommend.Result{Account: fmt.Sprintf("acc-%03d", i), Fingerprint: fmt.Sprint("f", i), Model: "m1", ComputedAt: Time,
			Items: []recommend.Item{{Offer: "o1", Title: "Anglais", Score: 0.5, Reasons: []recommend.Reason{
				{Source: recommend.Similar, Text: "Suivie par 3 personnes au profil proche du vôtre", People: 3},
				{Source: recommend.Local, Text: "72 %", RatePerMil: 720, Area: "Rhône", Hires: 1200},
			}}}})
	}
	if err := s.PutResults(ctx, rs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Result(ctx, "acc-042")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rs[42], got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Replacing one result.
	upd := rs[42]
	upd.Fingerprint, upd.Items = "g", nil
	if err := s.PutResults(ctx, []recommend.Result{upd}); err != nil {
		t.Fatal(err)
	}
	stamps := map[string]string{}
	var order []string
	err = s.EachResultStamp(ctx, func(a, f string) error { stamps[a] = f; order = append(order, a); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(stamps) != 95 || stamps["acc-042"] != "g" || stamps["acc-007"] != "f7" {
		t.Errorf("stamps: %d, acc-042 %q, acc-007 %q", len(stamps), stamps["acc-042"], stamps["acc-007"])
	}
	for i := 1; i < len(order); i++ {
		if order[i-1] >= order[i] {
			t.Fatalf("stamps not in account order: %q then %q", order[i-1], order[i])
		}
	}
}

func testRecPreferences(t *testing.T, s RecommendStore) {
	ctx := context.Background()
	if _, err := s.Preferences(ctx, "a"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("Preferences before any: %v", err)
	}
	at := Time
	// No preferences, hence no consent: no view is kept.
	if ok, err := s.AddView(ctx, "a", recommend.View{Offer: "o1", At: at}); err != nil || ok {
		t.Fatalf("view without consent: %v %v", ok, err)
	}
	p := recommend.Preferences{Account: "a", Targets: []string{"M1805"}, Commune: "69123", UpdatedAt: at}
	if err := s.PutPreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AddView(ctx, "a", recommend.View{Offer: "o1", At: at}); ok {
		t.Error("a view was kept without consent")
	}
	p.ViewsConsent = true
	if err := s.PutPreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < recommend.MaxViews+5; i++ {
		if ok, err := s.AddView(ctx, "a", recommend.View{Offer: fmt.Sprint("o", i%(recommend.MaxViews+2)), At: at.Add(time.Duration(i) * time.Minute)}); err != nil || !ok {
			t.Fatalf("view %d: %v %v", i, ok, err)
		}
	}
	got, err := s.Preferences(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Views) != recommend.MaxViews || got.Views[0].Offer != fmt.Sprint("o", (recommend.MaxViews+4)%(recommend.MaxViews+2)) {
		t.Errorf("views: %d, newest %+v", len(got.Views), got.Views[0])
	}
	seen := map[string]bool{}
	for _, v := range got.Views {
		if seen[v.Offer] {
			t.Errorf("offer %s viewed twice in the list", v.Offer)
		}
		seen[v.Offer] = true
	}
	if got.Commune != "69123" || !got.ViewsConsent || len(got.Targets) != 1 {
		t.Errorf("preferences %+v", got)
	}
	// Changing the targets keeps the views; withdrawing consent drops them.
	p.Targets = []string{"M1805", "M1810"}
	if err := s.PutPreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Preferences(ctx, "a"); len(got.Views) != recommend.MaxViews || len(got.Targets) != 2 {
		t.Errorf("after new targets: %d views, %v", len(got.Views), got.Targets)
	}
	p.ViewsConsent = false
	if err := s.PutPreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Preferences(ctx, "a"); len(got.Views) != 0 {
		t.Errorf("views kept after consent was withdrawn: %d", len(got.Views))
	}
	if err := s.PutPreferences(ctx, recommend.Preferences{Account: "b", Commune: "75056"}); err != nil {
		t.Fatal(err)
	}
	var accounts []string
	if err := s.EachPreferences(ctx, func(p recommend.Preferences) error { accounts = append(accounts, p.Account); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, accounts); diff != "" {
		t.Error(diff)
	}
}

func testWidgetKeys(t *testing.T, s RecommendStore) {
	ctx := context.Background()
	k1 := recommend.WidgetKey{ID: "wk_b", Site: "Mairie", Origins: []string{"https://mairie.example"}, PerMinute: 60, CreatedAt: Time}
	k2 := recommend.WidgetKey{ID: "wk_a", Site: "Mission locale", Origins: []string{"https://ml.example", "http://127.0.0.1:8080"}, PerMinute: 30, CreatedAt: Time.Add(time.Second)}
	for _, k := range []recommend.WidgetKey{k1, k2} {
		if err := s.CreateWidgetKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateWidgetKey(ctx, k1); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("second create: %v, want ErrConflict", err)
	}
	got, err := s.WidgetKey(ctx, "wk_a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(k2, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := s.WidgetKey(ctx, "nope"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	if err := s.RevokeWidgetKey(ctx, "nope", Time); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("revoking a missing key: %v", err)
	}
	revoked := Time.Add(time.Hour)
	if err := s.RevokeWidgetKey(ctx, "wk_b", revoked); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeWidgetKey(ctx, "wk_b", revoked.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.WidgetKey(ctx, "wk_b")
	if !got.RevokedAt.Equal(revoked) || got.Allows("https://mairie.example") {
		t.Errorf("revoked key: %+v", got)
	}
	list, err := s.WidgetKeys(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "wk_b" || list[1].ID != "wk_a" {
		t.Errorf("keys %+v %v", list, err)
	}
}

func testScanDossiers(t *testing.T, s RecommendStore) {
	ctx := context.Background()
	// More than one read batch of the embedded store's scanner (its tests
	// make batches small).
	for i := 0; i < 45; i++ {
		d := marketplace.Dossier{ID: fmt.Sprintf("d%05d", i), AccountID: fmt.Sprint("a", i%7), OfferID: fmt.Sprint("o", i%11), ProviderID: "p", State: marketplace.Accepted, Version: 1}
		mustApply(t, s, marketplace.Op{Key: d.ID, Dossier: &d})
	}
	e := marketplace.Evaluation{DossierID: "d00003", OfferID: "o3", ProviderID: "p", Scores: [6]int{5, 4, 3, 2, 1, 4}, At: Time}
	mustApply(t, s, marketplace.Op{Key: "e", Evaluation: &e})
	n := 0
	prev := ""
	err := s.EachDossier(ctx, func(d marketplace.Dossier) error {
		if d.ID <= prev {
			t.Fatalf("dossiers out of order: %s after %s", d.ID, prev)
		}
		prev = d.ID
		n++
		return nil
	})
	if err != nil || n != 45 {
		t.Errorf("scanned %d dossiers, %v", n, err)
	}
	var evals []marketplace.Evaluation
	if err := s.EachEvaluation(ctx, func(e marketplace.Evaluation) error { evals = append(evals, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(evals) != 1 || evals[0].Scores[5] != 4 {
		t.Errorf("evaluations %+v", evals)
	}
	stop := errors.New("stop")
	if err := s.EachDossier(ctx, func(marketplace.Dossier) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn's error: %v", err)
	}
}
