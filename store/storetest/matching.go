package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/matching"
)

// RunMatching runs the job matching store's suite; open returns a new
// empty store for each subtest.
func RunMatching(t *testing.T, open func(t *testing.T) matching.Store) {
	t.Run("JobOffers", func(t *testing.T) { testJobOffers(t, open(t)) })
	t.Run("Candidates", func(t *testing.T) { testCandidates(t, open(t)) })
	t.Run("Proposals", func(t *testing.T) { testProposals(t, open(t)) })
	t.Run("SwipesFinal", func(t *testing.T) { testSwipes(t, open(t)) })
	t.Run("OneMatchPerPair", func(t *testing.T) { testMatches(t, open(t)) })
	t.Run("MessagesAndAudit", func(t *testing.T) { testMessagesAudit(t, open(t)) })
	t.Run("FeedState", func(t *testing.T) { testFeedState(t, open(t)) })
	t.Run("LoadMarket", func(t *testing.T) { testLoadMarket(t, open(t)) })
}

func testLoadMarket(t *testing.T, s matching.Store) {
	l, ok := s.(matching.MarketLoader)
	if !ok {
		t.Skip("no bulk loader")
	}
	ctx := context.Background()
	var offers []matching.JobOffer
	var cands []matching.Candidate
	for i := range 7 {
		offers = append(offers, JobOffer(i, SIRET(1)))
		cands = append(cands, Candidate(i))
	}
	for range 2 { // loading twice changes nothing
		if err := l.LoadMarket(ctx, offers, cands); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.JobOffersByEmployer(ctx, SIRET(1)); len(got) != 7 {
		t.Errorf("%d offers by employer", len(got))
	}
	n := 0
	s.ScanCandidates(ctx, func(matching.Candidate) error { n++; return nil })
	if n != 7 {
		t.Errorf("%d candidates", n)
	}
	c, err := s.Candidate(ctx, cands[3].ID)
	if err != nil || !cmp.Equal(c, cands[3]) {
		t.Errorf("candidate %+v, %v", c, err)
	}
}

// JobOffer returns a valid published job offer numbered n of employer siret.
func JobOffer(n int, siret string) matching.JobOffer {
	return matching.JobOffer{
		ID: fmt.Sprintf("job-%04d", n), EmployerSIRET: siret, EmployerName: "Brasserie", ROME: "G1602", Title: "Commis de cuisine",
		Description: "Préparer les légumes et réaliser les cuissons.", Commune: "69123", Lat: 45.76, Lon: 4.83,
		Skills:   []matching.OfferSkill{{SkillID: "rome:900198", Label: "Préparer les légumes", Essential: true, Source: "lexicon"}},
		Contract: matching.CDI, HoursPerWeek: 35, SalaryMinCents: 2_200_000, SalaryMaxCents: 2_500_000, Start: Time.AddDate(0, 1, 0),
		Seats: 2, Contact: matching.Contact{Name: "Paul Martin", Email: "paul@example.org"}, Status: matching.OfferPublished,
		Screening: &controls.Screening{Findings: []controls.Finding{}, Score: 0},
		CreatedAt: Time.Add(time.Duration(n) * time.Second), UpdatedAt: Time, Version: 1,
	}
}

// Candidate returns a valid active candidate numbered n.
func Candidate(n int) matching.Candidate {
	return matching.Candidate{
		ID: fmt.Sprintf("acct-%04d", n), Status: matching.CandidateActive, Pseudonym: fmt.Sprintf("C-%06d", n),
		Preferences: matching.Preferences{Occupations: []string{"G1602"}, Commune: "69123", Lat: 45.76, Lon: 4.83, RadiusKm: 20,
			Contracts: []matching.Contract{matching.CDI}, HoursMin: 20, HoursMax: 39, AvailableFrom: Time, MinSalaryCents: 2_000_000},
		Contact:   matching.Contact{Name: "Léa Dupont", Email: "lea@example.org", Phone: "+33 6 12 34 56 78"},
		CreatedAt: Time, UpdatedAt: Time, Version: 1,
	}
}

func testJobOffers(t *testing.T, s matching.Store) {
	ctx := context.Background()
	siret := SIRET(1)
	for i := range 3 {
		if err := s.CreateJobOffer(ctx, JobOffer(i, siret)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateJobOffer(ctx, JobOffer(9, SIRET(2))); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateJobOffer(ctx, JobOffer(0, siret)); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("duplicate offer: %v", err)
	}
	got, err := s.JobOffer(ctx, "job-0001")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(JobOffer(1, siret), got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := s.JobOffer(ctx, "nope"); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("unknown offer: %v", err)
	}
	list, err := s.JobOffersByEmployer(ctx, siret)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != "job-0002" || list[2].ID != "job-0000" {
		t.Errorf("by employer: %v", ids(list, func(o matching.JobOffer) string { return o.ID }))
	}
	o := got
	o.Version = 2
	o.Status = matching.OfferRejected
	o.Review = &matching.OfferReview{Outcome: matching.OfferRejected, Reason: "Critère d’âge : « moins de 30 ans ».", At: Time}
	if err := s.UpdateJobOffer(ctx, o); err != nil {
		t.Fatal(err)
	}
	if back, err := s.JobOffer(ctx, o.ID); err != nil || !cmp.Equal(back, o) {
		t.Errorf("a reviewed offer's round trip (-want +got):\n%s %v", cmp.Diff(o, back), err)
	}
	if err := s.UpdateJobOffer(ctx, o); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
	missing := JobOffer(7, siret)
	missing.Version = 2
	if err := s.UpdateJobOffer(ctx, missing); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("update of an unknown offer: %v", err)
	}
	var scanned []string
	if err := s.ScanJobOffers(ctx, func(o matching.JobOffer) error { scanned = append(scanned, o.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"job-0000", "job-0001", "job-0002", "job-0009"}, scanned); diff != "" {
		t.Errorf("scan (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	if err := s.ScanJobOffers(ctx, func(matching.JobOffer) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("scan error: %v", err)
	}
}

func ids[T any](l []T, id func(T) string) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = id(x)
	}
	return out
}

func testCandidates(t *testing.T, s matching.Store) {
	ctx := context.Background()
	c := Candidate(1)
	if err := s.PutCandidate(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCandidate(ctx, c); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("second version 1: %v", err)
	}
	c.Version, c.Status = 2, matching.CandidatePaused
	if err := s.PutCandidate(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Candidate(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Concurrent writers of one version: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 6 {
		wg.Go(func() {
			x := got
			x.Version = 3
			x.Preferences.RadiusKm = 10 + i
			if err := s.PutCandidate(ctx, x); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, matching.ErrConflict) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent writers of version 3 won", wins)
	}
	if err := s.PutCandidate(ctx, Candidate(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCandidate(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Candidate(ctx, c.ID); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("deleted candidate: %v", err)
	}
	if err := s.DeleteCandidate(ctx, "nobody"); err != nil {
		t.Errorf("deleting an unknown candidate: %v", err)
	}
	var n int
	if err := s.ScanCandidates(ctx, func(matching.Candidate) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("scan: %d, %v", n, err)
	}
}

func proposal(offer, cand string, shard int, day string, score float64) matching.Proposal {
	return matching.Proposal{Pair: matching.Pair{OfferID: offer, CandidateID: cand}, Shard: shard, Day: day, Score: score,
		WorkerFit: score, JobFit: score, At: Time}
}

func testProposals(t *testing.T, s matching.Store) {
	ctx := context.Background()
	pairs := func(ps []matching.Proposal) []string {
		return ids(ps, func(p matching.Proposal) string { return p.OfferID + "/" + p.CandidateID })
	}
	add := []matching.Proposal{
		proposal("o1", "c1", 0, "2026-03-13", 0.5), proposal("o1", "c2", 0, "2026-03-14", 0.9),
		proposal("o2", "c1", 0, "2026-03-14", 0.7), proposal("o2", "c3", 1, "2026-03-14", 0.6),
	}
	if err := s.ReplaceProposals(ctx, 0, "2026-03-01", nil, add[:3]); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceProposals(ctx, 1, "2026-03-01", nil, add[3:]); err != nil {
		t.Fatal(err)
	}
	got, err := s.ProposalsForCandidate(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"o2/c1", "o1/c1"}, pairs(got)); diff != "" {
		t.Errorf("for candidate, best first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(add[2], got[0]); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	got, _ = s.ProposalsForOffer(ctx, "o1")
	if diff := cmp.Diff([]string{"o1/c2", "o1/c1"}, pairs(got)); diff != "" {
		t.Errorf("for offer (-want +got):\n%s", diff)
	}
	got, _ = s.ShardProposals(ctx, 1)
	if diff := cmp.Diff([]string{"o2/c3"}, pairs(got)); diff != "" {
		t.Errorf("shard 1 (-want +got):\n%s", diff)
	}
	// Shard 0: drop what is older than the 14th and o1/c2, add o3/c1.
	if err := s.ReplaceProposals(ctx, 0, "2026-03-14", []matching.Pair{{OfferID: "o1", CandidateID: "c2"}},
		[]matching.Proposal{proposal("o3", "c1", 0, "2026-03-14", 0.1)}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ShardProposals(ctx, 0)
	if diff := cmp.Diff([]string{"o2/c1", "o3/c1"}, pairs(got)); diff != "" {
		t.Errorf("shard 0 after replace (-want +got):\n%s", diff)
	}
	if got, _ = s.ProposalsForOffer(ctx, "o1"); len(got) != 0 {
		t.Errorf("o1 still has %v", pairs(got))
	}
	if got, _ = s.ShardProposals(ctx, 1); len(got) != 1 {
		t.Errorf("replacing shard 0 touched shard 1: %v", pairs(got))
	}
	if err := s.DeleteCandidateProposals(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.ProposalsForCandidate(ctx, "c1"); len(got) != 0 {
		t.Errorf("c1 left, still has %v", pairs(got))
	}
	if got, _ = s.ShardProposals(ctx, 0); len(got) != 0 {
		t.Errorf("shard 0 still lists %v", pairs(got))
	}
}

func testSwipes(t *testing.T, s matching.Store) {
	ctx := context.Background()
	p := matching.Pair{OfferID: "o1", CandidateID: "c1"}
	like := matching.Swipe{Pair: p, Side: matching.CandidateSide, Like: true, At: Time}
	if err := s.PutSwipe(ctx, like); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSwipe(ctx, like); err != nil {
		t.Errorf("the same decision again: %v", err)
	}
	pass := like
	pass.Like = false
	if err := s.PutSwipe(ctx, pass); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("changing a decision: %v", err)
	}
	emp := matching.Swipe{Pair: p, Side: matching.EmployerSide, Like: false, At: Time}
	if err := s.PutSwipe(ctx, emp); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSwipe(ctx, matching.Swipe{Pair: matching.Pair{OfferID: "o2", CandidateID: "c1"}, Side: matching.CandidateSide, At: Time}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Swipe(ctx, p, matching.CandidateSide)
	if err != nil || !cmp.Equal(got, like) {
		t.Errorf("swipe: %+v, %v", got, err)
	}
	if _, err := s.Swipe(ctx, matching.Pair{OfferID: "o9", CandidateID: "c1"}, matching.EmployerSide); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("unknown swipe: %v", err)
	}
	if l, _ := s.SwipesByCandidate(ctx, "c1"); len(l) != 3 {
		t.Errorf("by candidate: %d", len(l))
	}
	if l, _ := s.SwipesByOffer(ctx, "o1"); len(l) != 2 {
		t.Errorf("by offer: %d", len(l))
	}
}

func testMatches(t *testing.T, s matching.Store) {
	ctx := context.Background()
	p := matching.Pair{OfferID: "o1", CandidateID: "c1"}
	m := matching.Match{ID: matching.MatchID(p), Pair: p, EmployerSIRET: SIRET(1), Status: matching.MatchOpen, CreatedAt: Time, UpdatedAt: Time, Version: 1}
	var wg sync.WaitGroup
	var mu sync.Mutex
	made := 0
	for range 5 {
		wg.Go(func() {
			if err := s.CreateMatch(ctx, m); err == nil {
				mu.Lock()
				made++
				mu.Unlock()
			} else if !errors.Is(err, matching.ErrConflict) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if made != 1 {
		t.Fatalf("%d matches made for one pair", made)
	}
	m2 := m
	m2.Pair = matching.Pair{OfferID: "o2", CandidateID: "c1"}
	m2.ID, m2.CreatedAt = matching.MatchID(m2.Pair), Time.Add(time.Hour)
	if err := s.CreateMatch(ctx, m2); err != nil {
		t.Fatal(err)
	}
	got, err := s.Match(ctx, m.ID)
	if err != nil || !cmp.Equal(got, m) {
		t.Errorf("match: %+v, %v", got, err)
	}
	l, _ := s.MatchesByCandidate(ctx, "c1")
	if diff := cmp.Diff([]string{m2.ID, m.ID}, ids(l, func(m matching.Match) string { return m.ID })); diff != "" {
		t.Errorf("by candidate, newest first (-want +got):\n%s", diff)
	}
	if l, _ := s.MatchesByEmployer(ctx, SIRET(1)); len(l) != 2 {
		t.Errorf("by employer: %d", len(l))
	}
	w := got
	w.Version, w.Status, w.WithdrawnBy = 2, matching.MatchWithdrawn, matching.EmployerSide
	if err := s.UpdateMatch(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateMatch(ctx, w); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("stale match update: %v", err)
	}
	if got, _ := s.Match(ctx, m.ID); got.Status != matching.MatchWithdrawn {
		t.Errorf("status %q", got.Status)
	}
}

func testMessagesAudit(t *testing.T, s matching.Store) {
	ctx := context.Background()
	for i := range 3 {
		msg := matching.Message{ID: fmt.Sprintf("msg-%d", i), MatchID: "m1", From: matching.CandidateSide, Body: fmt.Sprint("bonjour ", i), At: Time.Add(time.Duration(i) * time.Millisecond)}
		if err := s.AddMessage(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddMessage(ctx, matching.Message{ID: "x", MatchID: "m2", Body: "autre", At: Time}); err != nil {
		t.Fatal(err)
	}
	l, err := s.Messages(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bonjour 0", "bonjour 1", "bonjour 2"}, ids(l, func(m matching.Message) string { return m.Body })); diff != "" {
		t.Errorf("thread (-want +got):\n%s", diff)
	}
	for i := range 5 {
		e := matching.AuditEvent{ID: fmt.Sprintf("a-%d", i), At: Time.Add(time.Duration(i) * time.Second), Actor: "employer:x", Action: "swipe.like",
			OfferID: "o1", CandidateID: fmt.Sprintf("c%d", i%2)}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendAudit(ctx, matching.AuditEvent{ID: "a-0", At: Time}); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("duplicate audit ID: %v", err)
	}
	byOffer, _ := s.Audit(ctx, matching.AuditQuery{OfferID: "o1", Limit: 4})
	if diff := cmp.Diff([]string{"a-0", "a-1", "a-2", "a-3"}, ids(byOffer, func(e matching.AuditEvent) string { return e.ID })); diff != "" {
		t.Errorf("audit by offer (-want +got):\n%s", diff)
	}
	byCand, _ := s.Audit(ctx, matching.AuditQuery{CandidateID: "c1"})
	if diff := cmp.Diff([]string{"a-1", "a-3"}, ids(byCand, func(e matching.AuditEvent) string { return e.ID })); diff != "" {
		t.Errorf("audit by candidate (-want +got):\n%s", diff)
	}
}

func testFeedState(t *testing.T, s matching.Store) {
	ctx := context.Background()
	if _, err := s.FeedState(ctx, 3); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("no state yet: %v", err)
	}
	st := matching.FeedState{Shard: 3, Day: "2026-03-14", At: Time}
	if err := s.PutFeedState(ctx, st); err != nil {
		t.Fatal(err)
	}
	st.At = Time.Add(time.Minute)
	if err := s.PutFeedState(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := s.FeedState(ctx, 3)
	if err != nil || !cmp.Equal(got, st) {
		t.Errorf("state %+v, %v", got, err)
	}
}
