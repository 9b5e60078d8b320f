package matching_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// screener holds any post whose description says "jeune".
type screener struct{}

func (screener) Screen(_ context.Context, t controls.Text) (controls.Screening, error) {
	if strings.Contains(t.Fields["description"], "jeune") {
		return controls.Screening{Hold: true, Score: 1, Findings: []controls.Finding{{Detector: "discrimination", Criterion: "age", Field: "description",
			Passage: "jeune", Explanation: "L’âge est un critère de discrimination (article 225-1 du code pénal)."}}}, nil
	}
	return controls.Screening{}, nil
}

type env struct {
	svc   *matching.Service
	store *bolt.Store
	graph skills.Graph
	clock *clock
	siret string
}

func newEnv(t *testing.T, mod func(*matching.Config)) *env {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "p.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g := starterGraph(t)
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	cfg := matching.Config{Store: st, Graph: g, Places: geo.Default(), Screener: screener{}, Now: clk.Now}
	if mod != nil {
		mod(&cfg)
	}
	svc, err := matching.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, store: st, graph: g, clock: clk, siret: storetest.SIRET(1)}
}

func offerInput(commune string) matching.OfferInput {
	return matching.OfferInput{ROME: "G1602", Title: "Commis de cuisine", Description: cookText, Commune: commune,
		Contract: matching.CDI, HoursPerWeek: 35, SalaryMinCents: 22_000_00, SalaryMaxCents: 25_000_00,
		Start: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Seats: 2, EmployerName: "Brasserie du Parc",
		Contact: matching.Contact{Name: "Paul Martin", Email: "recrutement@brasserie.example", Phone: "04 72 00 00 00"}}
}

func (e *env) publish(t *testing.T, in matching.OfferInput) matching.JobOffer {
	t.Helper()
	ctx := context.Background()
	o, err := e.svc.CreateOffer(ctx, e.siret, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Suggested) == 0 || o.Status != matching.OfferDraft {
		t.Fatalf("draft: %+v", o)
	}
	conf := o.Suggested
	conf[0].Essential = true
	o, err = e.svc.Publish(ctx, e.siret, o.ID, o.Version, conf)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

var lea = matching.Contact{Name: "Léa Dupont", Email: "lea.dupont@example.org", Phone: "06 12 34 56 78"}

func (e *env) candidate(t *testing.T, id, commune string, ev skills.Evidence) matching.Candidate {
	t.Helper()
	ctx := context.Background()
	var edges []skills.Edge
	for _, s := range []string{"rome:900198", "rome:900199", "rome:900200"} {
		edges = append(edges, skills.Edge{Rel: skills.HasSkill, From: id, To: s, Level: 2, Evidence: ev})
	}
	if _, err := e.graph.Apply(ctx, skills.Batch{Edges: edges}); err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.OptIn(ctx, id, matching.Preferences{Occupations: []string{"G1602"}, Commune: commune, RadiusKm: 30,
		Contracts: []matching.Contract{matching.CDI, matching.CDD}, HoursMin: 30, HoursMax: 39,
		AvailableFrom: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), MinSalaryCents: 20_000_00}, lea)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMatchingFlow(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	o := e.publish(t, offerInput("69123")) // Lyon
	if o.Status != matching.OfferPublished {
		t.Fatalf("status %s", o.Status)
	}
	att := e.candidate(t, "acct-att", "69266", skills.Attested) // Villeurbanne
	dec := e.candidate(t, "acct-dec", "69123", skills.Declared)
	e.candidate(t, "acct-far", "75056", skills.Attested) // Paris: out of radius

	st, err := e.svc.RunFeeds(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Full || st.Added != 2 {
		t.Errorf("feed run: %+v", st)
	}
	feed, err := e.svc.OfferFeed(ctx, e.siret, o.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(feed) != 2 || feed[0].Pseudonym != att.Pseudonym {
		t.Fatalf("employer feed: %+v (the attested candidate should come first)", feed)
	}
	for _, card := range feed {
		data, _ := json.Marshal(card)
		for _, secret := range []string{lea.Name, lea.Email, lea.Phone, "acct-", "69266"} {
			if strings.Contains(string(data), secret) {
				t.Errorf("the employer's feed shows %q: %s", secret, data)
			}
		}
		if card.DistanceKm != 5 && card.DistanceKm != 10 {
			t.Errorf("distance %v is not rounded to 5 km", card.DistanceKm)
		}
	}
	if cf, _ := e.svc.CandidateFeed(ctx, "acct-far", true); len(cf) != 0 {
		t.Errorf("a candidate out of radius got %d offers", len(cf))
	}

	// The employer likes first: no match until the candidate likes too.
	d, err := e.svc.EmployerDecides(ctx, e.siret, o.ID, att.Pseudonym, true)
	if err != nil || d.Match != nil {
		t.Fatalf("employer like: %+v, %v", d, err)
	}
	if ms, _ := e.svc.Matches(ctx, matching.Actor{EmployerSIRET: e.siret}); len(ms) != 0 {
		t.Fatalf("a match before the mutual like: %+v", ms)
	}
	d, err = e.svc.CandidateDecides(ctx, att.ID, o.ID, true)
	if err != nil || d.Match == nil {
		t.Fatalf("candidate like: %+v, %v", d, err)
	}
	mv, err := e.svc.Match(ctx, matching.Actor{EmployerSIRET: e.siret}, d.Match.ID)
	if err != nil || mv.Candidate != lea {
		t.Errorf("the match does not reveal the contact: %+v, %v", mv, err)
	}
	cv, err := e.svc.Match(ctx, matching.Actor{CandidateID: att.ID}, d.Match.ID)
	if err != nil || cv.Employer.Email != "recrutement@brasserie.example" {
		t.Errorf("the candidate does not see the recruiter: %+v, %v", cv, err)
	}
	if _, err := e.svc.Match(ctx, matching.Actor{CandidateID: dec.ID}, d.Match.ID); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("another candidate reads the match: %v", err)
	}
	if _, err := e.svc.Match(ctx, matching.Actor{EmployerSIRET: storetest.SIRET(2)}, d.Match.ID); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("another employer reads the match: %v", err)
	}
	// A decision is final.
	if _, err := e.svc.CandidateDecides(ctx, att.ID, o.ID, false); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("changing a decision: %v", err)
	}
	// The thread.
	if _, err := e.svc.Send(ctx, matching.Actor{CandidateID: att.ID}, d.Match.ID, "Bonjour, je suis disponible."); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Send(ctx, matching.Actor{EmployerSIRET: e.siret}, d.Match.ID, "  "); !errors.Is(err, matching.ErrInvalid) {
		t.Errorf("empty message: %v", err)
	}
	msgs, _ := e.svc.Messages(ctx, matching.Actor{EmployerSIRET: e.siret}, d.Match.ID)
	if len(msgs) != 1 || msgs[0].From != matching.CandidateSide {
		t.Errorf("thread %+v", msgs)
	}
	// The employer passes the declared candidate: nothing opens.
	if d, err := e.svc.EmployerDecides(ctx, e.siret, o.ID, dec.Pseudonym, false); err != nil || d.Match != nil {
		t.Errorf("pass: %+v %v", d, err)
	}
	if d, err := e.svc.CandidateDecides(ctx, dec.ID, o.ID, true); err != nil || d.Match != nil {
		t.Errorf("like after a pass: %+v %v", d, err)
	}
	// Withdrawal closes the thread and hides the contact again.
	if _, err := e.svc.Withdraw(ctx, matching.Actor{EmployerSIRET: e.siret}, d.Match.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Send(ctx, matching.Actor{CandidateID: att.ID}, d.Match.ID, "Encore là ?"); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("message after withdrawal: %v", err)
	}
	if mv, _ := e.svc.Match(ctx, matching.Actor{EmployerSIRET: e.siret}, d.Match.ID); mv.Candidate != (matching.Contact{}) {
		t.Errorf("a withdrawn match still shows %+v", mv.Candidate)
	}
	// Everything is audited.
	ev, err := e.svc.Audit(ctx, matching.AuditQuery{OfferID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range ev {
		actions = append(actions, a.Action)
	}
	want := "offer.created offer.published swipe.like swipe.like match.created message.sent swipe.pass swipe.like match.withdrawn"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit:\n got %s\nwant %s", strings.Join(actions, " "), want)
	}
	// Leaving deletes preferences, contact and proposals.
	if err := e.svc.Leave(ctx, dec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Candidate(ctx, dec.ID); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("after leaving: %v", err)
	}
	if ps, _ := e.store.ProposalsForCandidate(ctx, dec.ID); len(ps) != 0 {
		t.Errorf("proposals left behind: %d", len(ps))
	}
}

func TestHeldPostAndNilScreener(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	in := offerInput("69123")
	in.Description = cookText + " Idéal pour un jeune motivé."
	o := e.publish(t, in)
	if o.Status != matching.OfferHeld || o.Screening == nil || o.Screening.Findings[0].Criterion != "age" {
		t.Fatalf("a flagged post: %+v", o)
	}
	e.candidate(t, "acct-1", "69123", skills.Attested)
	if st, _ := e.svc.RunFeeds(ctx, 0); st.Offers != 0 || st.Added != 0 {
		t.Errorf("a held post is proposed: %+v", st)
	}
	if _, err := e.svc.Review(ctx, "controller:ctl-1", o.ID, false, " "); !errors.Is(err, matching.ErrInvalid) {
		t.Errorf("a rejection without a reason: %v", err)
	}
	if _, err := e.svc.Review(ctx, "", o.ID, true, "ok"); !errors.Is(err, matching.ErrForbidden) {
		t.Errorf("a review by nobody: %v", err)
	}
	if got, _ := e.store.JobOffer(ctx, o.ID); got.Status != matching.OfferHeld || got.Review != nil {
		t.Fatalf("a refused review changed the post: %s %+v", got.Status, got.Review)
	}
	pub, err := e.svc.Review(ctx, "controller:ctl-1", o.ID, true, "formulation acceptable")
	if err != nil {
		t.Fatal(err)
	}
	if pub.Review == nil || pub.Review.Outcome != matching.OfferPublished || pub.Review.Reason != "" || pub.Review.At.IsZero() {
		t.Errorf("the published post's review: %+v", pub.Review)
	}
	if evs, _ := e.svc.Audit(ctx, matching.AuditQuery{OfferID: o.ID}); evs[len(evs)-1].Actor != "controller:ctl-1" ||
		evs[len(evs)-1].Action != "offer.review.published" || evs[len(evs)-1].Detail != "formulation acceptable" {
		t.Errorf("audit of the review: %+v", evs[len(evs)-1])
	}
	e.clock.Add(time.Minute)
	if st, _ := e.svc.RunFeeds(ctx, 0); st.Full || st.Added != 1 {
		t.Errorf("released post, incremental run: %+v", st)
	}

	// A rejected post keeps the reason its employer reads.
	in.Title = "Commis de cuisine pour jeune motivé"
	rej := e.publish(t, in)
	if rej, err = e.svc.Review(ctx, "controller:ctl-1", rej.ID, false, "Critère d’âge interdit."); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.EmployerOffer(ctx, e.siret, rej.ID); got.Status != matching.OfferRejected || got.Review == nil ||
		got.Review.Outcome != matching.OfferRejected || got.Review.Reason != "Critère d’âge interdit." {
		t.Errorf("the rejected post as its employer reads it: %s %+v", got.Status, got.Review)
	}

	u := newEnv(t, func(c *matching.Config) { c.Screener = nil })
	if o := u.publish(t, in); o.Status != matching.OfferPublished {
		t.Errorf("without a screener the post should publish: %s", o.Status)
	}
}

func TestOfferValidation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	bad := offerInput("99999")
	bad.ROME, bad.Seats, bad.SalaryMaxCents = "cuisine", 0, 1
	_, err := e.svc.CreateOffer(ctx, e.siret, bad)
	var v interface{ Error() string }
	if !errors.Is(err, matching.ErrInvalid) {
		t.Fatalf("bad offer: %v", err)
	}
	v = err
	for _, f := range []string{"rome", "commune", "seats", "salary_max_cents"} {
		if !strings.Contains(v.Error(), f) {
			t.Errorf("no error on %s: %v", f, err)
		}
	}
	if _, err := e.svc.CreateOffer(ctx, "12345678901234", offerInput("69123")); !errors.Is(err, matching.ErrForbidden) {
		t.Errorf("invalid SIRET: %v", err)
	}
	if l, _ := e.svc.EmployerOffers(ctx, e.siret); len(l) != 0 {
		t.Errorf("a refused offer was stored")
	}
	o, _ := e.svc.CreateOffer(ctx, e.siret, offerInput("69123"))
	if _, err := e.svc.Publish(ctx, e.siret, o.ID, o.Version, []matching.OfferSkill{{SkillID: "rome:900198"}}); !errors.Is(err, matching.ErrInvalid) {
		t.Errorf("no essential skill: %v", err)
	}
	if _, err := e.svc.Publish(ctx, e.siret, o.ID, o.Version, []matching.OfferSkill{{SkillID: "nope", Essential: true}}); !errors.Is(err, matching.ErrInvalid) {
		t.Errorf("unknown skill: %v", err)
	}
	if _, err := e.svc.Publish(ctx, storetest.SIRET(2), o.ID, o.Version, []matching.OfferSkill{{SkillID: "rome:900198", Essential: true}}); !errors.Is(err, matching.ErrNotFound) {
		t.Errorf("another employer publishes: %v", err)
	}
	if _, err := e.svc.Publish(ctx, e.siret, o.ID, o.Version+1, []matching.OfferSkill{{SkillID: "rome:900198", Essential: true}}); !errors.Is(err, matching.ErrConflict) {
		t.Errorf("stale version: %v", err)
	}
}

func TestPauseAndRateLimit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *matching.Config) { c.SwipesPerHour = 4 })
	var offers []matching.JobOffer
	for range 3 {
		offers = append(offers, e.publish(t, offerInput("69123")))
	}
	c := e.candidate(t, "acct-1", "69123", skills.Attested)
	if _, err := e.svc.RunFeeds(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPaused(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CandidateDecides(ctx, c.ID, offers[0].ID, true); !errors.Is(err, matching.ErrNotActive) {
		t.Errorf("a paused candidate decides: %v", err)
	}
	if _, err := e.svc.SetPaused(ctx, c.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CandidateDecides(ctx, c.ID, offers[0].ID, true); err != nil {
		t.Fatal(err)
	}
	// Four an hour: a burst of one, then one every fifteen minutes.
	if _, err := e.svc.CandidateDecides(ctx, c.ID, offers[1].ID, true); !errors.Is(err, matching.ErrRateLimited) {
		t.Errorf("no rate limit: %v", err)
	}
	e.clock.Add(16 * time.Minute)
	if _, err := e.svc.CandidateDecides(ctx, c.ID, offers[1].ID, true); err != nil {
		t.Errorf("after waiting: %v", err)
	}
}

func TestFeedShardsAndIncrement(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *matching.Config) { c.Shards = 3; c.Caps = matching.Caps{PerOffer: 6, PerCandidate: 2, Floor: 1} })
	o1 := e.publish(t, offerInput("69123"))
	var ids []string
	for i := range 9 {
		id := "acct-" + string(rune('a'+i))
		e.candidate(t, id, "69123", skills.Attested)
		ids = append(ids, id)
	}
	total := 0
	for sh := range 3 {
		st, err := e.svc.RunFeeds(ctx, sh)
		if err != nil {
			t.Fatal(err)
		}
		total += st.Added
	}
	// Each shard gives the offer at most ceil(6/3) = 2 proposals.
	if ps, _ := e.store.ProposalsForOffer(ctx, o1.ID); len(ps) != total || total > 6 || total < 3 {
		t.Errorf("offer 1: %d proposals, %d added", len(ps), total)
	}
	// A second offer the same day: only it is scored.
	e.clock.Add(time.Hour)
	o2 := e.publish(t, offerInput("69123"))
	for sh := range 3 {
		st, err := e.svc.RunFeeds(ctx, sh)
		if err != nil {
			t.Fatal(err)
		}
		if st.Full {
			t.Errorf("shard %d rebuilt in full on the same day", sh)
		}
	}
	if ps, _ := e.store.ProposalsForOffer(ctx, o2.ID); len(ps) == 0 {
		t.Error("the new offer got no proposal from the incremental run")
	}
	for _, id := range ids {
		ps, _ := e.store.ProposalsForCandidate(ctx, id)
		if len(ps) > 2+1 {
			t.Errorf("%s got %d proposals (cap 2, floor 1)", id, len(ps))
		}
	}
	// The next day the caps start over, and nothing is proposed twice.
	e.clock.Add(24 * time.Hour)
	for sh := range 3 {
		if st, _ := e.svc.RunFeeds(ctx, sh); !st.Full {
			t.Errorf("shard %d not rebuilt on a new day", sh)
		}
	}
	seen := map[string]bool{}
	for sh := range 3 {
		ps, _ := e.store.ShardProposals(ctx, sh)
		for _, p := range ps {
			if seen[p.Key()] {
				t.Errorf("pair %v proposed twice", p.Pair)
			}
			seen[p.Key()] = true
			if matching.ShardOf(p.CandidateID, 3) != sh {
				t.Errorf("pair %v in shard %d", p.Pair, sh)
			}
		}
	}
}

func skillsBatch(edges []skills.Edge) skills.Batch { return skills.Batch{Edges: edges} }
