package matching

import (
	"context"
	"errors"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// Sentinel errors: the marketplace's own where the meaning is the same, so
// that the API's single error table maps them.
var (
	ErrNotFound  = marketplace.ErrNotFound
	ErrConflict  = marketplace.ErrConflict
	ErrForbidden = marketplace.ErrForbidden
	ErrInvalid   = marketplace.ErrInvalid
	// ErrRateLimited is returned when an actor swipes or writes messages
	// faster than the service allows.
	ErrRateLimited = errors.New("too many actions, slow down")
	// ErrNotActive is returned when an action needs matching to be on for
	// the candidate (opted in, not paused) or the offer to be published.
	ErrNotActive = errors.New("matching is not active for this candidate or offer")
)

// Store keeps the job matching's records. Implementations are safe for
// concurrent use; store/bolt and store/mongo provide one, and both pass the
// suite in store/storetest (RunMatching).
type Store interface {
	// CreateJobOffer stores a new offer; ErrConflict if its ID exists.
	CreateJobOffer(ctx context.Context, o JobOffer) error
	// UpdateJobOffer replaces an offer whose stored Version is o.Version-1;
	// ErrConflict when another write came first, ErrNotFound if unknown.
	UpdateJobOffer(ctx context.Context, o JobOffer) error
	// JobOffer returns one offer, or ErrNotFound.
	JobOffer(ctx context.Context, id string) (JobOffer, error)
	// JobOffersByEmployer lists an employer's offers, newest first.
	JobOffersByEmployer(ctx context.Context, siret string) ([]JobOffer, error)
	// ScanJobOffers calls fn with every offer, in ID order; it stops at
	// fn's first error and returns it.
	ScanJobOffers(ctx context.Context, fn func(JobOffer) error) error

	// PutCandidate stores a candidate whose stored Version is c.Version-1
	// (0: none stored); ErrConflict otherwise.
	PutCandidate(ctx context.Context, c Candidate) error
	// Candidate returns one candidate, or ErrNotFound.
	Candidate(ctx context.Context, id string) (Candidate, error)
	// DeleteCandidate removes a candidate (leaving matching); no error if
	// unknown.
	DeleteCandidate(ctx context.Context, id string) error
	// ScanCandidates calls fn with every candidate, in ID order.
	ScanCandidates(ctx context.Context, fn func(Candidate) error) error

	// ReplaceProposals deletes the proposals of shard whose pair is in
	// remove or whose Day is before since (both YYYY-MM-DD), then writes
	// add (upserting by pair). It is the feed job's one write per run.
	ReplaceProposals(ctx context.Context, shard int, since string, remove []Pair, add []Proposal) error
	// ShardProposals lists the proposals of one shard.
	ShardProposals(ctx context.Context, shard int) ([]Proposal, error)
	// ProposalsForCandidate lists a candidate's proposals, best first.
	ProposalsForCandidate(ctx context.Context, candidateID string) ([]Proposal, error)
	// ProposalsForOffer lists an offer's proposals, best first.
	ProposalsForOffer(ctx context.Context, offerID string) ([]Proposal, error)
	// DeleteCandidateProposals removes every proposal of a candidate.
	DeleteCandidateProposals(ctx context.Context, candidateID string) error

	// PutSwipe records a decision. A decision is final: the same decision
	// again is a no-op, another one is ErrConflict.
	PutSwipe(ctx context.Context, s Swipe) error
	// Swipe returns one side's decision on a pair, or ErrNotFound.
	Swipe(ctx context.Context, p Pair, side Side) (Swipe, error)
	// SwipesByCandidate lists every decision on pairs of a candidate (both
	// sides).
	SwipesByCandidate(ctx context.Context, candidateID string) ([]Swipe, error)
	// SwipesByOffer lists every decision on pairs of an offer (both sides).
	SwipesByOffer(ctx context.Context, offerID string) ([]Swipe, error)

	// CreateMatch stores a new match under its pair: ErrConflict if the
	// pair already has one, so that two concurrent mutual likes make one.
	CreateMatch(ctx context.Context, m Match) error
	// UpdateMatch replaces a match whose stored Version is m.Version-1.
	UpdateMatch(ctx context.Context, m Match) error
	// Match returns one match, or ErrNotFound.
	Match(ctx context.Context, id string) (Match, error)
	// MatchesByCandidate and MatchesByEmployer list matches, newest first.
	MatchesByCandidate(ctx context.Context, candidateID string) ([]Match, error)
	MatchesByEmployer(ctx context.Context, siret string) ([]Match, error)

	// AddMessage appends a message to a match's thread.
	AddMessage(ctx context.Context, m Message) error
	// Messages lists a thread, oldest first.
	Messages(ctx context.Context, matchID string) ([]Message, error)

	// AppendAudit records an audit event; ErrConflict if its ID exists.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// Audit lists the events about an offer or a candidate (whichever
	// is set in q), oldest first, at most q.Limit (default 100, max 1000).
	Audit(ctx context.Context, q AuditQuery) ([]AuditEvent, error)

	// FeedState and PutFeedState keep a shard's watermark for the
	// incremental feed job.
	FeedState(ctx context.Context, shard int) (FeedState, error)
	PutFeedState(ctx context.Context, s FeedState) error
}

// Pair names a candidate and an offer together.
type Pair struct {
	OfferID     string
	CandidateID string
}

// Key is the pair's storage key.
func (p Pair) Key() string { return p.OfferID + "\x00" + p.CandidateID }

// Side is who decides on a pair.
type Side string

// The two sides of the market.
const (
	CandidateSide Side = "candidate"
	EmployerSide  Side = "employer"
)

// Valid reports whether s is a known side.
func (s Side) Valid() bool { return s == CandidateSide || s == EmployerSide }

// Proposal is one pair put in front of both sides on Day (YYYY-MM-DD, UTC).
type Proposal struct {
	Pair
	Shard     int
	Day       string
	Score     float64 // the reciprocal score
	WorkerFit float64
	JobFit    float64
	At        time.Time
}

// Swipe is one side's decision on a pair.
type Swipe struct {
	Pair
	Side Side
	Like bool
	At   time.Time
}

// MatchStatus is a match's state.
type MatchStatus string

// A match is open until one side withdraws.
const (
	MatchOpen      MatchStatus = "open"
	MatchWithdrawn MatchStatus = "withdrawn"
)

// Match is a mutual like: both sides see each other's contact details and
// may write in the thread while it is open.
type Match struct {
	ID string // the pair's key, hashed (MatchID)
	Pair
	EmployerSIRET string
	Status        MatchStatus
	WithdrawnBy   Side
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int
}

// Message is one message of a match's thread.
type Message struct {
	ID      string
	MatchID string
	From    Side
	Body    string
	At      time.Time
}

// AuditEvent records one action on the matching: who, what, on which pair.
type AuditEvent struct {
	ID          string
	At          time.Time
	Actor       string // "candidate:<id>", "employer:<siret>", "controller:<id>", "job:feeds"
	Action      string // "offer.created", "offer.published", "offer.held", "swipe.like", "match.created"...
	OfferID     string
	CandidateID string
	MatchID     string
	Detail      string
}

// AuditQuery selects audit events.
type AuditQuery struct {
	OfferID     string
	CandidateID string
	Limit       int
}

// AuditLimit returns the effective limit of q.
func (q AuditQuery) AuditLimit() int {
	switch {
	case q.Limit <= 0:
		return 100
	case q.Limit > 1000:
		return 1000
	}
	return q.Limit
}

// FeedState is a shard's watermark: the feed job recomputes only what
// changed since At, and rebuilds the whole shard when Day turns.
type FeedState struct {
	Shard int
	Day   string
	At    time.Time
}

// MarketLoader is the optional capability of a store to write many offers
// and candidates at once, replacing any stored under the same IDs, without
// version checks: for demo data and bulk imports, not for users' writes.
type MarketLoader interface {
	LoadMarket(ctx context.Context, offers []JobOffer, candidates []Candidate) error
}
