package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

// ControlsStore is what a backend provides to the controls.
type ControlsStore interface {
	controls.Store
	controls.DossierScanner
	marketplace.EnrolmentStore
}

// RunControls runs the contracts of controls.Store and
// controls.DossierScanner; open returns a new empty store for each subtest.
func RunControls(t *testing.T, open func(t *testing.T) ControlsStore) {
	t.Run("AlertVersions", func(t *testing.T) { testAlertVersions(t, open(t)) })
	t.Run("QueueByScore", func(t *testing.T) { testQueue(t, open(t)) })
	t.Run("AuditTrail", func(t *testing.T) { testActions(t, open(t)) })
	t.Run("Suspensions", func(t *testing.T) { testSuspensions(t, open(t)) })
	t.Run("Signals", func(t *testing.T) { testSignals(t, open(t)) })
	t.Run("EachDossier", func(t *testing.T) { testEachDossier(t, open(t)) })
	t.Run("JobPostReview", func(t *testing.T) { testJobPostReview(t, open(t)) })
}

// testJobPostReview: a job post's alert keeps its post, its passages and
// its hold, and the decision on the post is in its audit trail.
func testJobPostReview(t *testing.T, s ControlsStore) {
	ctx := context.Background()
	a := controls.Alert{ID: controls.AlertID(controls.DetectDiscrim, "job_post:job-1"), Detector: controls.DetectDiscrim, Score: 0.8,
		Status: controls.Open, Reasons: []string{"« moins de 30 ans » (âge)"}, JobPostID: "job-1", OfferHeld: true, Source: "screening",
		Findings: []controls.Finding{{Detector: controls.DetectDiscrim, Criterion: "age", Field: "description", Passage: "moins de 30 ans",
			Explanation: "L’âge est un critère de discrimination.", Score: 0.8}}, Version: 1, CreatedAt: Time, UpdatedAt: Time}
	if err := s.SaveAlert(ctx, a, 0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Alert(ctx, a.ID); err != nil || !cmp.Equal(got, a) {
		t.Fatalf("job post alert round trip (-want +got):\n%s %v", cmp.Diff(a, got), err)
	}
	closed := a
	closed.Status, closed.OfferHeld, closed.Version = controls.Closed, false, 2
	if err := s.SaveAlert(ctx, closed, 1); err != nil {
		t.Fatal(err)
	}
	act := controls.Action{ID: "act-job", AlertID: a.ID, Kind: controls.ActRejectJob, Actor: "controller:c1",
		Reason: "Critère d’âge interdit.", At: Time.Add(time.Minute)}
	if err := s.AddAction(ctx, act); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Actions(ctx, a.ID); err != nil || len(got) != 1 || !cmp.Equal(got[0], act) {
		t.Errorf("Actions = %+v, %v", got, err)
	}
	if list, _, err := s.Alerts(ctx, controls.AlertFilter{Status: controls.Open}, marketplace.Page{}); err != nil || len(list) != 0 {
		t.Errorf("a decided job post alert is still in the queue: %+v %v", list, err)
	}
}

func alert(id string, score float64, st controls.Status) controls.Alert {
	return controls.Alert{ID: id, Detector: controls.DetectPrice, Score: score, Status: st, Reasons: []string{"r"},
		Evidence: []controls.Evidence{{Label: "prix", Value: "9 000 €"}}, ProviderID: "p1", OfferID: "o-" + id, Version: 1,
		CreatedAt: Time, UpdatedAt: Time}
}

func testAlertVersions(t *testing.T, s ControlsStore) {
	ctx := context.Background()
	a := alert("a1", 0.7, controls.Open)
	if err := s.SaveAlert(ctx, a, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAlert(ctx, a, 0); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("second create: %v", err)
	}
	got, err := s.Alert(ctx, "a1")
	if err != nil || !cmp.Equal(got, a) {
		t.Fatalf("Alert = %+v, %v", got, err)
	}
	b := a
	b.Version, b.Status, b.Score = 2, controls.Dismissed, 0.9
	if err := s.SaveAlert(ctx, b, 5); !errors.Is(err, marketplace.ErrStale) {
		t.Errorf("wrong version: %v", err)
	}
	if err := s.SaveAlert(ctx, b, 1); err != nil {
		t.Fatal(err)
	}
	if open, err := s.OpenOfferAlert(ctx, "o-a1"); err != nil || open {
		t.Errorf("dismissed alert still open for its offer: %v %v", open, err)
	}
	list, _, err := s.Alerts(ctx, controls.AlertFilter{Status: controls.Open}, marketplace.Page{})
	if err != nil || len(list) != 0 {
		t.Errorf("the queue still lists a dismissed alert: %+v %v", list, err)
	}
	if _, err := s.Alert(ctx, "nope"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
}

func testQueue(t *testing.T, s ControlsStore) {
	ctx := context.Background()
	scores := []float64{0.3, 0.95, 0.5, 0.95, 0.71, 0.1, 0.5}
	for i, sc := range scores {
		a := alert(fmt.Sprintf("q%d", i), sc, controls.Open)
		if i == 6 {
			a.ProviderID, a.AccountID = "p2", "acct"
		}
		if err := s.SaveAlert(ctx, a, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveAlert(ctx, alert("closed", 0.99, controls.Closed), 0); err != nil {
		t.Fatal(err)
	}
	var ids []string
	page := marketplace.Page{Limit: 2}
	for i := 0; i < 10; i++ {
		list, next, err := s.Alerts(ctx, controls.AlertFilter{Status: controls.Open}, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			ids = append(ids, a.ID)
		}
		if next == "" {
			break
		}
		page.After = next
	}
	want := []string{"q1", "q3", "q4", "q2", "q6", "q0", "q5"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("queue order (-want +got):\n%s", diff)
	}
	hist, _, err := s.Alerts(ctx, controls.AlertFilter{ProviderID: "p1"}, marketplace.Page{Limit: 100})
	if err != nil || len(hist) != 7 || hist[0].ID != "closed" {
		t.Errorf("provider history: %d alerts, first %v, %v", len(hist), hist, err)
	}
	acct, _, err := s.Alerts(ctx, controls.AlertFilter{AccountID: "acct"}, marketplace.Page{})
	if err != nil || len(acct) != 1 || acct[0].ID != "q6" {
		t.Errorf("account history: %+v %v", acct, err)
	}
	if open, err := s.OpenOfferAlert(ctx, "o-q2"); err != nil || !open {
		t.Errorf("open alert of offer o-q2: %v %v", open, err)
	}
	if open, err := s.OpenOfferAlert(ctx, "o-none"); err != nil || open {
		t.Errorf("offer without alert: %v %v", open, err)
	}
	if _, _, err := s.Alerts(ctx, controls.AlertFilter{}, marketplace.Page{After: "!!"}); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("bad cursor: %v", err)
	}
}

func testActions(t *testing.T, s ControlsStore) {
	ctx := context.Background()
	for i, k := range []controls.ActionKind{controls.ActHold, controls.ActRelease, controls.ActDismiss} {
		a := controls.Action{ID: fmt.Sprintf("act%d", i), AlertID: "a1", Kind: k, Actor: "ctrl-1", Reason: "motif", At: Time.Add(time.Duration(i) * time.Minute)}
		if err := s.AddAction(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddAction(ctx, controls.Action{ID: "act0", AlertID: "a2", At: Time}); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("duplicate action ID: %v", err)
	}
	got, err := s.Actions(ctx, "a1")
	if err != nil || len(got) != 3 || got[0].Kind != controls.ActHold || got[2].Kind != controls.ActDismiss || got[1].Actor != "ctrl-1" {
		t.Errorf("Actions = %+v, %v", got, err)
	}
	if other, _ := s.Actions(ctx, "a2"); len(other) != 0 {
		t.Errorf("another alert's actions: %+v", other)
	}
}

func testSuspensions(t *testing.T, s ControlsStore) {
	ctx := context.Background()
	if _, err := s.Suspension(ctx, "p1"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("no suspension: %v", err)
	}
	sp := controls.Suspension{ProviderID: "p1", Since: Time, By: "ctrl", Reason: "fraude"}
	if err := s.PutSuspension(ctx, sp); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Suspension(ctx, "p1"); err != nil || !cmp.Equal(got, sp) {
		t.Errorf("Suspension = %+v, %v", got, err)
	}
	if err := s.DeleteSuspension(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Suspension(ctx, "p1"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func testSignals(t *testing.T, s ControlsStore) {
	ctx := context.Background()
	add := func(id, acct string, kind controls.SignalKind, ip, dev string, at time.Time) {
		t.Helper()
		if err := s.AddSignal(ctx, controls.Signal{ID: id, AccountID: acct, Kind: kind, IP: ip, Device: dev, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	add("s1", "a1", controls.SignalSearch, "ip1", "d1", Time)
	add("s2", "a1", controls.SignalEnrol, "ip1", "d1", Time.Add(time.Hour))
	add("s2", "a1", controls.SignalEnrol, "ip1", "d1", Time.Add(time.Hour)) // repeat: no-op
	add("s3", "a2", controls.SignalEnrol, "ip1", "d2", Time.Add(2*time.Hour))
	add("s4", "a3", controls.SignalEnrol, "ip2", "d2", Time.Add(3*time.Hour))
	add("old", "a4", controls.SignalEnrol, "ip1", "d1", Time.AddDate(0, 0, -100))
	got, err := s.Signals(ctx, "a1", Time.Add(-time.Hour))
	if err != nil || len(got) != 2 || got[0].ID != "s1" || got[1].Kind != controls.SignalEnrol {
		t.Errorf("Signals = %+v, %v", got, err)
	}
	if got, _ := s.Signals(ctx, "a1", Time.Add(30*time.Minute)); len(got) != 1 {
		t.Errorf("Signals since: %+v", got)
	}
	accts, err := s.AccountsFrom(ctx, "ip", "ip1", Time.AddDate(0, 0, -1), 10)
	if err != nil || !cmp.Equal(accts, []string{"a1", "a2"}) {
		t.Errorf("AccountsFrom ip1 = %v, %v", accts, err)
	}
	accts, err = s.AccountsFrom(ctx, "device", "d2", Time.AddDate(0, 0, -1), 10)
	if err != nil || !cmp.Equal(accts, []string{"a2", "a3"}) {
		t.Errorf("AccountsFrom d2 = %v, %v", accts, err)
	}
	n, err := s.PruneSignals(ctx, Time.AddDate(0, 0, -90))
	if err != nil || n != 1 {
		t.Errorf("PruneSignals = %d, %v", n, err)
	}
	if accts, _ := s.AccountsFrom(ctx, "ip", "ip1", time.Time{}, 10); !cmp.Equal(accts, []string{"a1", "a2"}) {
		t.Errorf("after prune: %v", accts)
	}
}

func testEachDossier(t *testing.T, s ControlsStore) {
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		d := marketplace.Dossier{ID: fmt.Sprintf("d%02d", i), AccountID: "a", ProviderID: "p", State: marketplace.NotProcessed, Version: 1}
		mustApply(t, s, marketplace.Op{Key: "k" + d.ID, At: Time, Dossier: &d})
	}
	var ids []string
	if err := s.EachDossier(ctx, func(d marketplace.Dossier) error { ids = append(ids, d.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids) // in no particular order
	if len(ids) != 7 || ids[0] != "d00" || ids[6] != "d06" {
		t.Errorf("EachDossier = %v", ids)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.EachDossier(ctx, func(marketplace.Dossier) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("stopping: %v after %d", err, n)
	}
	if err := s.EachEvaluation(ctx, func(marketplace.Evaluation) error { return nil }); err != nil {
		t.Error(err)
	}
}
