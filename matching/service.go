package matching

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
)

// Config is what a Service needs. Store, Graph and Places are required.
type Config struct {
	Store  Store
	Graph  SkillGraph
	Places Places
	// Extractor finds the skills of an offer's text; nil builds a
	// lexicon-only one on Graph.
	Extractor *Extractor
	// Screener screens each post before publication; nil publishes
	// without screening and logs a warning each time.
	Screener controls.Screener
	Log      *slog.Logger
	Now      func() time.Time
	Caps     Caps
	// Shards splits the feed job: each shard is a scheduled job of its
	// own, run under its own lease, so replicas share the work.
	Shards int
	// KeepDays is how long an undecided proposal stays in the feeds.
	KeepDays int
	// SwipesPerHour and MessagesPerHour bound each actor (per replica).
	SwipesPerHour   int
	MessagesPerHour int
}

// Service is the job matching: offers, candidates, feeds, decisions,
// matches and their threads. It is safe for concurrent use.
type Service struct {
	cfg       Config
	store     Store
	log       *slog.Logger
	now       func() time.Time
	extractor *Extractor

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	seq      atomic.Uint32
}

// New returns a service; zero fields of cfg take their defaults.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Graph == nil || cfg.Places == nil {
		return nil, errors.New("matching: Store, Graph and Places are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Caps == (Caps{}) {
		cfg.Caps = DefaultCaps
	}
	if cfg.Shards < 1 {
		cfg.Shards = 1
	}
	if cfg.KeepDays < 1 {
		cfg.KeepDays = 7
	}
	if cfg.SwipesPerHour < 1 {
		cfg.SwipesPerHour = 300
	}
	if cfg.MessagesPerHour < 1 {
		cfg.MessagesPerHour = 60
	}
	if cfg.Extractor == nil {
		cfg.Extractor = NewExtractor(cfg.Graph, ExtractorOptions{Log: cfg.Log})
	}
	if cfg.Screener == nil {
		cfg.Log.Warn("job matching runs without discrimination screening: job posts are published unscreened")
	}
	return &Service{cfg: cfg, store: cfg.Store, log: cfg.Log, now: cfg.Now, extractor: cfg.Extractor, limiters: map[string]*rate.Limiter{}}, nil
}

// Collectors are the service's metrics, for the service's registry.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.extractor.calls}
}

// Store returns the service's store.
func (s *Service) Store() Store { return s.store }

// Shards returns the number of feed shards.
func (s *Service) Shards() int { return s.cfg.Shards }

func newID(prefix string) string {
	var b [9]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// MatchID is the ID of the match of a pair: derived, so that two
// concurrent mutual likes name the same match.
func MatchID(p Pair) string {
	sum := sha256.Sum256([]byte("match\x00" + p.Key()))
	return "m-" + hex.EncodeToString(sum[:10])
}

func (s *Service) audit(ctx context.Context, e AuditEvent) {
	e.At = s.now().UTC()
	// IDs sort in the order events happened, within one instant too.
	e.ID = fmt.Sprintf("a-%016x-%08x-%s", e.At.UnixNano(), s.seq.Add(1), newID("")[:6])
	if err := s.store.AppendAudit(ctx, e); err != nil {
		// The action is done; a lost audit line is logged loudly.
		s.log.ErrorContext(ctx, "matching audit not written", "action", e.Action, "err", err)
	}
}

// allow applies the actor's rate limit for kind.
func (s *Service) allow(actor, kind string) error {
	perHour := s.cfg.SwipesPerHour
	if kind == "message" {
		perHour = s.cfg.MessagesPerHour
	}
	key := kind + "\x00" + actor
	s.mu.Lock()
	l, ok := s.limiters[key]
	if !ok {
		if len(s.limiters) > 100_000 {
			clear(s.limiters)
		}
		l = rate.NewLimiter(rate.Limit(float64(perHour)/3600), max(1, perHour/4))
		s.limiters[key] = l
	}
	s.mu.Unlock()
	if !l.AllowN(s.now(), 1) {
		return fmt.Errorf("%w: at most %d %ss an hour", ErrRateLimited, perHour, kind)
	}
	return nil
}

// ---- Offers ----

// employerOK checks that an employer is identified by a valid SIRET.
func employerOK(siret string) error {
	if !marketplace.ValidSIRET(siret) {
		return fmt.Errorf("%w: an employer acts under a valid SIRET", ErrForbidden)
	}
	return nil
}

// CreateOffer stores a draft offer with the skills extracted from its text,
// for the employer to confirm (Publish).
func (s *Service) CreateOffer(ctx context.Context, siret string, in OfferInput) (JobOffer, error) {
	if err := employerOK(siret); err != nil {
		return JobOffer{}, err
	}
	lat, lon, err := in.validate(s.cfg.Places)
	if err != nil {
		return JobOffer{}, err
	}
	now := s.now().UTC()
	o := JobOffer{ID: newID("job-"), EmployerSIRET: siret, Status: OfferDraft, CreatedAt: now, UpdatedAt: now, Version: 1, Lat: lat, Lon: lon}
	o.setInput(in)
	if o.Suggested, o.Extraction, err = s.extractor.Extract(ctx, o.ROME, o.Title, o.Description); err != nil {
		return JobOffer{}, err
	}
	if err := s.store.CreateJobOffer(ctx, o); err != nil {
		return JobOffer{}, err
	}
	s.audit(ctx, AuditEvent{Actor: "employer:" + siret, Action: "offer.created", OfferID: o.ID, Detail: o.Extraction})
	return o, nil
}

func (o *JobOffer) setInput(in OfferInput) {
	o.ROME, o.Title, o.Description = in.ROME, strings.TrimSpace(in.Title), strings.TrimSpace(in.Description)
	o.Commune, o.Contract, o.HoursPerWeek = in.Commune, in.Contract, in.HoursPerWeek
	o.SalaryMinCents, o.SalaryMaxCents, o.Start, o.Seats = in.SalaryMinCents, in.SalaryMaxCents, in.Start.UTC(), in.Seats
	o.Contact, o.EmployerName = in.Contact, strings.TrimSpace(in.EmployerName)
}

// UpdateOffer replaces an offer's text and terms; the offer goes back to
// draft with freshly extracted suggestions, to be confirmed and screened
// again. version must be the stored one.
func (s *Service) UpdateOffer(ctx context.Context, siret, id string, version int, in OfferInput) (JobOffer, error) {
	o, err := s.ownOffer(ctx, siret, id)
	if err != nil {
		return JobOffer{}, err
	}
	if o.Status == OfferClosed || o.Status == OfferRejected {
		return JobOffer{}, fmt.Errorf("%w: the offer is %s", ErrConflict, o.Status)
	}
	if version != o.Version {
		return JobOffer{}, fmt.Errorf("%w: the offer changed since version %d", ErrConflict, version)
	}
	lat, lon, err := in.validate(s.cfg.Places)
	if err != nil {
		return JobOffer{}, err
	}
	o.setInput(in)
	o.Lat, o.Lon = lat, lon
	if o.Suggested, o.Extraction, err = s.extractor.Extract(ctx, o.ROME, o.Title, o.Description); err != nil {
		return JobOffer{}, err
	}
	o.Status, o.Screening, o.Review = OfferDraft, nil, nil
	o.Version++
	o.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateJobOffer(ctx, o); err != nil {
		return JobOffer{}, err
	}
	s.audit(ctx, AuditEvent{Actor: "employer:" + siret, Action: "offer.updated", OfferID: o.ID})
	return o, nil
}

// Offer returns an offer as its employer sees it.
func (s *Service) ownOffer(ctx context.Context, siret, id string) (JobOffer, error) {
	if err := employerOK(siret); err != nil {
		return JobOffer{}, err
	}
	o, err := s.store.JobOffer(ctx, id)
	if err != nil {
		return JobOffer{}, err
	}
	if o.EmployerSIRET != siret {
		// Another employer's offer does not exist for this one.
		return JobOffer{}, ErrNotFound
	}
	return o, nil
}

// EmployerOffer returns one of the employer's offers.
func (s *Service) EmployerOffer(ctx context.Context, siret, id string) (JobOffer, error) {
	return s.ownOffer(ctx, siret, id)
}

// EmployerOffers lists the employer's offers.
func (s *Service) EmployerOffers(ctx context.Context, siret string) ([]JobOffer, error) {
	if err := employerOK(siret); err != nil {
		return nil, err
	}
	return s.store.JobOffersByEmployer(ctx, siret)
}

// PublishedOffer returns an offer that anyone signed in may read:
// published, or proposed to the candidate.
func (s *Service) PublishedOffer(ctx context.Context, id string) (JobOffer, error) {
	o, err := s.store.JobOffer(ctx, id)
	if err != nil {
		return JobOffer{}, err
	}
	if o.Status != OfferPublished {
		return JobOffer{}, ErrNotFound
	}
	return o, nil
}

// Publish confirms an offer's skills (chosen among the suggestions or
// anywhere in the graph; at least one essential) and screens the offer:
// it is published, or held for a controller's review with the findings
// the employer sees.
func (s *Service) Publish(ctx context.Context, siret, id string, version int, confirmed []OfferSkill) (JobOffer, error) {
	o, err := s.ownOffer(ctx, siret, id)
	if err != nil {
		return JobOffer{}, err
	}
	if o.Status != OfferDraft {
		return JobOffer{}, fmt.Errorf("%w: only a draft is published, this offer is %s", ErrConflict, o.Status)
	}
	if version != o.Version {
		return JobOffer{}, fmt.Errorf("%w: the offer changed since version %d", ErrConflict, version)
	}
	if len(confirmed) == 0 || len(confirmed) > 30 {
		return JobOffer{}, fieldError("skills", "confirm 1 to 30 skills")
	}
	if !slices.ContainsFunc(confirmed, func(s OfferSkill) bool { return s.Essential }) {
		return JobOffer{}, fieldError("skills", "mark at least one skill essential")
	}
	sk, err := SkillsFor(ctx, s.cfg.Graph, confirmed)
	if err != nil {
		return JobOffer{}, err
	}
	for i := range sk {
		if j := slices.IndexFunc(o.Suggested, func(x OfferSkill) bool { return x.SkillID == sk[i].SkillID }); j >= 0 {
			sk[i].Source = o.Suggested[j].Source
		} else {
			sk[i].Source = "employer"
		}
	}
	o.Skills = sk
	o.Status = OfferPublished
	action := "offer.published"
	if s.cfg.Screener == nil {
		s.log.WarnContext(ctx, "job post published without discrimination screening (no screener configured)", "offer", o.ID)
		action = "offer.published_unscreened"
	} else {
		fields := map[string]string{"title": o.Title, "description": o.Description}
		scr, err := s.cfg.Screener.Screen(ctx, controls.Text{Kind: "job_post", Fields: fields, Ref: "job_post:" + o.ID})
		if err != nil {
			return JobOffer{}, fmt.Errorf("screening the post: %w", err)
		}
		o.Screening = &scr
		if scr.Hold {
			o.Status, action = OfferHeld, "offer.held"
		}
	}
	o.Version++
	o.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateJobOffer(ctx, o); err != nil {
		return JobOffer{}, err
	}
	s.audit(ctx, AuditEvent{Actor: "employer:" + siret, Action: action, OfferID: o.ID})
	return o, nil
}

// Review is a controller's decision on a held offer: publish it, or
// reject it with the reason its employer reads. reviewer names the
// controller as the audit records it ("controller:<id>"); a rejection
// needs a reason. The controls call it (controls.JobPosts) when a
// controller decides from the review queue: it is the one way out of
// OfferHeld.
func (s *Service) Review(ctx context.Context, reviewer, id string, publish bool, reason string) (JobOffer, error) {
	reason = strings.TrimSpace(reason)
	if reviewer == "" {
		return JobOffer{}, fmt.Errorf("%w: reviewing a job post needs a controller", ErrForbidden)
	}
	if !publish && reason == "" {
		return JobOffer{}, fieldError("reason", "is required: the employer reads why its post is rejected")
	}
	if len([]rune(reason)) > 2000 {
		return JobOffer{}, fieldError("reason", "must be at most 2000 characters")
	}
	o, err := s.store.JobOffer(ctx, id)
	if err != nil {
		return JobOffer{}, err
	}
	if o.Status != OfferHeld {
		return JobOffer{}, fmt.Errorf("%w: only a held offer is reviewed, this one is %s", ErrConflict, o.Status)
	}
	now := s.now().UTC()
	o.Status, o.Review = OfferRejected, &OfferReview{Outcome: OfferRejected, Reason: reason, At: now}
	if publish {
		o.Status, o.Review = OfferPublished, &OfferReview{Outcome: OfferPublished, At: now}
	}
	o.Version++
	o.UpdatedAt = now
	if err := s.store.UpdateJobOffer(ctx, o); err != nil {
		return JobOffer{}, err
	}
	s.audit(ctx, AuditEvent{Actor: reviewer, Action: "offer.review." + string(o.Status), OfferID: o.ID, Detail: reason})
	return o, nil
}

// Close ends an offer: no more proposals; open matches stay.
func (s *Service) Close(ctx context.Context, siret, id string) (JobOffer, error) {
	o, err := s.ownOffer(ctx, siret, id)
	if err != nil {
		return JobOffer{}, err
	}
	if o.Status == OfferClosed {
		return o, nil
	}
	o.Status = OfferClosed
	o.Version++
	o.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateJobOffer(ctx, o); err != nil {
		return JobOffer{}, err
	}
	s.audit(ctx, AuditEvent{Actor: "employer:" + siret, Action: "offer.closed", OfferID: o.ID})
	return o, nil
}

// ---- Candidates ----

// OptIn stores a candidate's preferences and contact; the first call opts
// in (active), later ones update (keeping a pause).
func (s *Service) OptIn(ctx context.Context, id string, p Preferences, contact Contact) (Candidate, error) {
	v := &marketplace.ValidationError{}
	if err := p.validate(s.cfg.Places); err != nil {
		v.Fields = append(v.Fields, err.(*marketplace.ValidationError).Fields...)
	}
	validateContact(v, "contact", contact, true)
	if err := v.Err(); err != nil {
		return Candidate{}, err
	}
	p.AvailableFrom = p.AvailableFrom.UTC()
	now := s.now().UTC()
	c, err := s.store.Candidate(ctx, id)
	action := "candidate.updated"
	switch {
	case errors.Is(err, ErrNotFound):
		c = Candidate{ID: id, Status: CandidateActive, CreatedAt: now, Pseudonym: pseudonym()}
		action = "candidate.opted_in"
	case err != nil:
		return Candidate{}, err
	}
	c.Preferences, c.Contact, c.UpdatedAt = p, contact, now
	c.Version++
	if err := s.store.PutCandidate(ctx, c); err != nil {
		return Candidate{}, err
	}
	s.audit(ctx, AuditEvent{Actor: "candidate:" + id, Action: action, CandidateID: id})
	return c, nil
}

// pseudonym is what employers call a candidate before a match: random,
// so that it tells nothing about the person.
func pseudonym() string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return "C-" + string(b[:])
}

// Candidate returns the candidate's own record.
func (s *Service) Candidate(ctx context.Context, id string) (Candidate, error) {
	return s.store.Candidate(ctx, id)
}

// SetPaused pauses or resumes a candidate's matching.
func (s *Service) SetPaused(ctx context.Context, id string, paused bool) (Candidate, error) {
	c, err := s.store.Candidate(ctx, id)
	if err != nil {
		return Candidate{}, err
	}
	want := CandidateActive
	if paused {
		want = CandidatePaused
	}
	if c.Status == want {
		return c, nil
	}
	c.Status, c.UpdatedAt = want, s.now().UTC()
	c.Version++
	if err := s.store.PutCandidate(ctx, c); err != nil {
		return Candidate{}, err
	}
	s.audit(ctx, AuditEvent{Actor: "candidate:" + id, Action: "candidate." + string(want), CandidateID: id})
	return c, nil
}

// Leave ends a candidate's matching: preferences, contact and pending
// proposals are deleted, open matches withdrawn. Decisions stay, in the
// audit, without contact details.
func (s *Service) Leave(ctx context.Context, id string) error {
	if _, err := s.store.Candidate(ctx, id); err != nil {
		return err
	}
	ms, err := s.store.MatchesByCandidate(ctx, id)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Status == MatchOpen {
			if _, err := s.Withdraw(ctx, Actor{CandidateID: id}, m.ID); err != nil && !errors.Is(err, ErrConflict) {
				return err
			}
		}
	}
	if err := s.store.DeleteCandidateProposals(ctx, id); err != nil {
		return err
	}
	if err := s.store.DeleteCandidate(ctx, id); err != nil {
		return err
	}
	s.audit(ctx, AuditEvent{Actor: "candidate:" + id, Action: "candidate.left", CandidateID: id})
	return nil
}

// ---- Feeds ----

// OfferCard is an offer in a candidate's feed.
type OfferCard struct {
	Offer      JobOffer
	Score      float64
	DistanceKm float64
	Proposed   string // day
	Decision   *bool  // the candidate's, when taken
}

// CandidateFeed lists the offers proposed to a candidate, best first, with
// their decisions; pending=true keeps only the undecided ones.
func (s *Service) CandidateFeed(ctx context.Context, id string, pending bool) ([]OfferCard, error) {
	c, err := s.store.Candidate(ctx, id)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ProposalsForCandidate(ctx, id)
	if err != nil {
		return nil, err
	}
	sw, err := s.store.SwipesByCandidate(ctx, id)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	for _, x := range sw {
		if x.Side == CandidateSide {
			mine[x.OfferID] = x.Like
		}
	}
	var out []OfferCard
	for _, p := range ps {
		like, decided := mine[p.OfferID]
		if pending && decided {
			continue
		}
		o, err := s.store.JobOffer(ctx, p.OfferID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if o.Status != OfferPublished {
			continue
		}
		card := OfferCard{Offer: o, Score: p.Score, Proposed: p.Day,
			DistanceKm: roundKm(distance(c.Preferences.Lat, c.Preferences.Lon, o.Lat, o.Lon), 1)}
		if decided {
			card.Decision = &like
		}
		out = append(out, card)
	}
	return out, nil
}

// CandidateCard is a candidate as an employer sees them before a match:
// a pseudonym and what the job needs to know, never a contact detail, an
// age, a photo or a place more precise than a rounded distance.
type CandidateCard struct {
	Pseudonym  string
	Score      float64
	Covered    []CoveredSkill
	Missing    []OfferSkill
	DistanceKm float64 // rounded to 5 km
	Available  time.Time
	Contracts  []Contract
	HoursMin   int
	HoursMax   int
	Proposed   string
	Decision   *bool // the employer's, when taken
}

// CoveredSkill is a required skill the candidate holds, and how surely.
type CoveredSkill struct {
	OfferSkill
	Evidence skills.Evidence
}

// OfferFeed lists the candidates proposed for an employer's offer.
func (s *Service) OfferFeed(ctx context.Context, siret, offerID string, pending bool) ([]CandidateCard, error) {
	o, err := s.ownOffer(ctx, siret, offerID)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ProposalsForOffer(ctx, offerID)
	if err != nil {
		return nil, err
	}
	sw, err := s.store.SwipesByOffer(ctx, offerID)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	for _, x := range sw {
		if x.Side == EmployerSide {
			mine[x.CandidateID] = x.Like
		}
	}
	var out []CandidateCard
	for _, p := range ps {
		like, decided := mine[p.CandidateID]
		if pending && decided {
			continue
		}
		c, err := s.store.Candidate(ctx, p.CandidateID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		card, err := s.card(ctx, &o, &c)
		if err != nil {
			return nil, err
		}
		card.Score, card.Proposed = p.Score, p.Day
		if decided {
			card.Decision = &like
		}
		out = append(out, card)
	}
	return out, nil
}

func (s *Service) card(ctx context.Context, o *JobOffer, c *Candidate) (CandidateCard, error) {
	held, err := s.heldSkills(ctx, c.ID, map[string][]string{})
	if err != nil {
		return CandidateCard{}, err
	}
	p := c.Preferences
	card := CandidateCard{Pseudonym: c.Pseudonym, Available: p.AvailableFrom, Contracts: p.Contracts, HoursMin: p.HoursMin, HoursMax: p.HoursMax,
		DistanceKm: roundKm(distance(p.Lat, p.Lon, o.Lat, o.Lon), 5)}
	for _, sk := range o.Skills {
		if ev, ok := held[sk.SkillID]; ok {
			card.Covered = append(card.Covered, CoveredSkill{OfferSkill: sk, Evidence: ev})
		} else {
			card.Missing = append(card.Missing, sk)
		}
	}
	return card, nil
}

// ---- Decisions, matches, threads ----

// Actor is who acts on a pair: a candidate, or an employer by SIRET.
type Actor struct {
	CandidateID   string
	EmployerSIRET string
}

func (a Actor) side() Side {
	if a.CandidateID != "" {
		return CandidateSide
	}
	return EmployerSide
}

func (a Actor) String() string {
	if a.CandidateID != "" {
		return "candidate:" + a.CandidateID
	}
	return "employer:" + a.EmployerSIRET
}

// Decision is the outcome of a like or pass.
type Decision struct {
	Swipe Swipe
	Match *Match // set when this like made (or met) a mutual like
}

// CandidateDecides records a candidate's like or pass on an offer proposed
// to them.
func (s *Service) CandidateDecides(ctx context.Context, candidateID, offerID string, like bool) (Decision, error) {
	c, err := s.store.Candidate(ctx, candidateID)
	if err != nil {
		return Decision{}, err
	}
	if c.Status != CandidateActive {
		return Decision{}, fmt.Errorf("%w: matching is paused", ErrNotActive)
	}
	if err := s.proposed(ctx, Pair{OfferID: offerID, CandidateID: candidateID}); err != nil {
		return Decision{}, err
	}
	return s.decide(ctx, Actor{CandidateID: candidateID}, Pair{OfferID: offerID, CandidateID: candidateID}, like)
}

// EmployerDecides records an employer's like or pass on a candidate
// proposed for their offer, named by pseudonym.
func (s *Service) EmployerDecides(ctx context.Context, siret, offerID, pseudonym string, like bool) (Decision, error) {
	o, err := s.ownOffer(ctx, siret, offerID)
	if err != nil {
		return Decision{}, err
	}
	if o.Status != OfferPublished {
		return Decision{}, fmt.Errorf("%w: the offer is %s", ErrNotActive, o.Status)
	}
	ps, err := s.store.ProposalsForOffer(ctx, offerID)
	if err != nil {
		return Decision{}, err
	}
	for _, p := range ps {
		c, err := s.store.Candidate(ctx, p.CandidateID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Decision{}, err
		}
		if c.Pseudonym == pseudonym {
			return s.decide(ctx, Actor{EmployerSIRET: siret}, p.Pair, like)
		}
	}
	return Decision{}, ErrNotFound
}

func (s *Service) proposed(ctx context.Context, p Pair) error {
	o, err := s.store.JobOffer(ctx, p.OfferID)
	if err != nil {
		return err
	}
	if o.Status != OfferPublished {
		return fmt.Errorf("%w: the offer is %s", ErrNotActive, o.Status)
	}
	ps, err := s.store.ProposalsForCandidate(ctx, p.CandidateID)
	if err != nil {
		return err
	}
	for _, x := range ps {
		if x.OfferID == p.OfferID {
			return nil
		}
	}
	return ErrNotFound
}

func (s *Service) decide(ctx context.Context, a Actor, p Pair, like bool) (Decision, error) {
	if err := s.allow(a.String(), "swipe"); err != nil {
		return Decision{}, err
	}
	sw := Swipe{Pair: p, Side: a.side(), Like: like, At: s.now().UTC()}
	if err := s.store.PutSwipe(ctx, sw); err != nil {
		return Decision{}, err
	}
	action := "swipe.pass"
	if like {
		action = "swipe.like"
	}
	s.audit(ctx, AuditEvent{Actor: a.String(), Action: action, OfferID: p.OfferID, CandidateID: p.CandidateID})
	d := Decision{Swipe: sw}
	if !like {
		return d, nil
	}
	other := EmployerSide
	if sw.Side == EmployerSide {
		other = CandidateSide
	}
	o, err := s.store.Swipe(ctx, p, other)
	if errors.Is(err, ErrNotFound) || err == nil && !o.Like {
		return d, nil
	}
	if err != nil {
		return Decision{}, err
	}
	offer, err := s.store.JobOffer(ctx, p.OfferID)
	if err != nil {
		return Decision{}, err
	}
	now := s.now().UTC()
	m := Match{ID: MatchID(p), Pair: p, EmployerSIRET: offer.EmployerSIRET, Status: MatchOpen, CreatedAt: now, UpdatedAt: now, Version: 1}
	switch err := s.store.CreateMatch(ctx, m); {
	case errors.Is(err, ErrConflict):
		// The other side's like made it at the same moment.
		if m, err = s.store.Match(ctx, m.ID); err != nil {
			return Decision{}, err
		}
	case err != nil:
		return Decision{}, err
	default:
		s.audit(ctx, AuditEvent{Actor: a.String(), Action: "match.created", OfferID: p.OfferID, CandidateID: p.CandidateID, MatchID: m.ID})
	}
	d.Match = &m
	return d, nil
}

// MatchView is a match as one side sees it: with the other side's contact.
type MatchView struct {
	Match     Match
	Offer     JobOffer
	Candidate Contact // the candidate's contact (for the employer; the candidate's own for the candidate)
	Pseudonym string
	Employer  Contact // the recruiter's contact
}

func (s *Service) partyOf(ctx context.Context, a Actor, id string) (Match, error) {
	m, err := s.store.Match(ctx, id)
	if err != nil {
		return Match{}, err
	}
	if a.CandidateID != "" && m.CandidateID != a.CandidateID || a.CandidateID == "" && m.EmployerSIRET != a.EmployerSIRET {
		return Match{}, ErrNotFound
	}
	return m, nil
}

// Matches lists the actor's matches, newest first.
func (s *Service) Matches(ctx context.Context, a Actor) ([]MatchView, error) {
	var ms []Match
	var err error
	if a.CandidateID != "" {
		ms, err = s.store.MatchesByCandidate(ctx, a.CandidateID)
	} else {
		if err := employerOK(a.EmployerSIRET); err != nil {
			return nil, err
		}
		ms, err = s.store.MatchesByEmployer(ctx, a.EmployerSIRET)
	}
	if err != nil {
		return nil, err
	}
	out := make([]MatchView, 0, len(ms))
	for _, m := range ms {
		v, err := s.view(ctx, m)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// MatchView returns one of the actor's matches.
func (s *Service) Match(ctx context.Context, a Actor, id string) (MatchView, error) {
	m, err := s.partyOf(ctx, a, id)
	if err != nil {
		return MatchView{}, err
	}
	return s.view(ctx, m)
}

func (s *Service) view(ctx context.Context, m Match) (MatchView, error) {
	v := MatchView{Match: m}
	o, err := s.store.JobOffer(ctx, m.OfferID)
	if err != nil {
		return MatchView{}, err
	}
	v.Offer, v.Employer = o, o.Contact
	c, err := s.store.Candidate(ctx, m.CandidateID)
	switch {
	case errors.Is(err, ErrNotFound): // the candidate left
	case err != nil:
		return MatchView{}, err
	default:
		v.Pseudonym = c.Pseudonym
		// A withdrawn match keeps its thread but hides the contact again.
		if m.Status == MatchOpen {
			v.Candidate = c.Contact
		}
	}
	if m.Status != MatchOpen {
		v.Employer = Contact{}
	}
	return v, nil
}

// Withdraw ends an open match from either side: the thread closes and
// contact details are no longer shown.
func (s *Service) Withdraw(ctx context.Context, a Actor, id string) (Match, error) {
	m, err := s.partyOf(ctx, a, id)
	if err != nil {
		return Match{}, err
	}
	if m.Status != MatchOpen {
		return Match{}, fmt.Errorf("%w: the match is already withdrawn", ErrConflict)
	}
	m.Status, m.WithdrawnBy, m.UpdatedAt = MatchWithdrawn, a.side(), s.now().UTC()
	m.Version++
	if err := s.store.UpdateMatch(ctx, m); err != nil {
		return Match{}, err
	}
	s.audit(ctx, AuditEvent{Actor: a.String(), Action: "match.withdrawn", OfferID: m.OfferID, CandidateID: m.CandidateID, MatchID: m.ID})
	return m, nil
}

// Messages returns a match's thread.
func (s *Service) Messages(ctx context.Context, a Actor, id string) ([]Message, error) {
	if _, err := s.partyOf(ctx, a, id); err != nil {
		return nil, err
	}
	return s.store.Messages(ctx, id)
}

// Send writes a message in an open match's thread.
func (s *Service) Send(ctx context.Context, a Actor, id, body string) (Message, error) {
	m, err := s.partyOf(ctx, a, id)
	if err != nil {
		return Message{}, err
	}
	body = strings.TrimSpace(body)
	if n := len([]rune(body)); n == 0 || n > 4000 {
		return Message{}, fieldError("body", "must be 1 to 4000 characters")
	}
	if m.Status != MatchOpen {
		return Message{}, fmt.Errorf("%w: the match is withdrawn", ErrConflict)
	}
	if err := s.allow(a.String(), "message"); err != nil {
		return Message{}, err
	}
	msg := Message{ID: newID("msg-"), MatchID: id, From: a.side(), Body: body, At: s.now().UTC()}
	if err := s.store.AddMessage(ctx, msg); err != nil {
		return Message{}, err
	}
	s.audit(ctx, AuditEvent{Actor: a.String(), Action: "message.sent", OfferID: m.OfferID, CandidateID: m.CandidateID, MatchID: id})
	return msg, nil
}

// Audit lists audit events for controllers.
func (s *Service) Audit(ctx context.Context, q AuditQuery) ([]AuditEvent, error) {
	if (q.OfferID == "") == (q.CandidateID == "") {
		return nil, fieldError("offer_id", "name exactly one of offer_id and candidate_id")
	}
	return s.store.Audit(ctx, q)
}

// Extract finds the skills of a job text (for the posting form's preview).
func (s *Service) Extract(ctx context.Context, rome, title, text string) ([]OfferSkill, string, error) {
	if !romeCode.MatchString(rome) {
		return nil, "", fieldError("rome", "must be a ROME code such as M1805")
	}
	return s.extractor.Extract(ctx, rome, title, text)
}
