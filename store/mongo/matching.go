package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
)

var _ matching.Store = (*Store)(nil)

// Collections of the job matching. Each record is its JSON in j, with the
// fields queries filter and sort on beside it, each covered by an index.
const (
	cJobOffers     = "job_offers"     // emp: SIRET, cr: created; u: version
	cJobCandidates = "job_candidates" // u: version
	cJobProposals  = "job_proposals"  // _id: offer \0 candidate; o, c, sh, d: day, sc: score
	cJobSwipes     = "job_swipes"     // _id: offer \0 candidate \0 side; o, c
	cJobMatches    = "job_matches"    // c, e: SIRET, cr: created; u: version
	cJobMessages   = "job_messages"   // m: match, at
	cJobAudit      = "job_audit"      // o, c, at
	cJobFeedState  = "job_feed_state" // _id: shard
)

var matchingIndexes = []index{
	{cJobOffers, bson.D{{Key: "emp", Value: 1}, {Key: "cr", Value: -1}}, false},
	{cJobProposals, bson.D{{Key: "c", Value: 1}}, false},
	{cJobProposals, bson.D{{Key: "o", Value: 1}}, false},
	{cJobProposals, bson.D{{Key: "sh", Value: 1}, {Key: "d", Value: 1}}, false},
	{cJobSwipes, bson.D{{Key: "c", Value: 1}}, false},
	{cJobSwipes, bson.D{{Key: "o", Value: 1}}, false},
	{cJobMatches, bson.D{{Key: "c", Value: 1}, {Key: "cr", Value: -1}}, false},
	{cJobMatches, bson.D{{Key: "e", Value: 1}, {Key: "cr", Value: -1}}, false},
	{cJobMessages, bson.D{{Key: "m", Value: 1}, {Key: "at", Value: 1}}, false},
	{cJobAudit, bson.D{{Key: "o", Value: 1}, {Key: "at", Value: 1}}, false},
	{cJobAudit, bson.D{{Key: "c", Value: 1}, {Key: "at", Value: 1}}, false},
}

// EnsureMatchingIndexes creates the job matching's indexes (idempotent).
// The service's wiring calls it once at start, before the matching store
// is used.
func (s *Store) EnsureMatchingIndexes(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	for _, ix := range matchingIndexes {
		if _, err := s.db.Collection(ix.coll).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.keys}); err != nil {
			return fmt.Errorf("creating an index on %s: %w", ix.coll, translate(err))
		}
	}
	return nil
}

func (s *Store) insert(ctx context.Context, coll string, doc bson.M) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(coll).InsertOne(ctx, doc)
	return translate(err)
}

// CreateJobOffer implements matching.Store.
func (s *Store) CreateJobOffer(ctx context.Context, o matching.JobOffer) error {
	return s.insert(ctx, cJobOffers, bson.M{"_id": o.ID, "emp": o.EmployerSIRET, "cr": timeKey(o.CreatedAt), "u": o.Version, "j": encode(o)})
}

// UpdateJobOffer implements matching.Store.
func (s *Store) UpdateJobOffer(ctx context.Context, o matching.JobOffer) error {
	old, err := s.JobOffer(ctx, o.ID)
	if err != nil {
		return err
	}
	if old.EmployerSIRET != o.EmployerSIRET || !old.CreatedAt.Equal(o.CreatedAt) {
		return matching.ErrConflict
	}
	ok, err := s.replaceIf(ctx, cJobOffers, bson.M{"_id": o.ID, "u": o.Version - 1},
		bson.M{"_id": o.ID, "emp": o.EmployerSIRET, "cr": timeKey(o.CreatedAt), "u": o.Version, "j": encode(o)})
	if err == nil && !ok {
		err = matching.ErrConflict
	}
	return err
}

// JobOffer implements matching.Store.
func (s *Store) JobOffer(ctx context.Context, id string) (o matching.JobOffer, err error) {
	err = s.findOne(ctx, cJobOffers, bson.M{"_id": id}, &o)
	return o, err
}

// JobOffersByEmployer implements matching.Store.
func (s *Store) JobOffersByEmployer(ctx context.Context, siret string) ([]matching.JobOffer, error) {
	return findAll[matching.JobOffer](ctx, s, cJobOffers, bson.M{"emp": siret}, options.Find().SetSort(bson.D{{Key: "emp", Value: 1}, {Key: "cr", Value: -1}}))
}

// scanAll calls fn with every record of coll in _id order, a page at a
// time, so that no cursor outlives the operation timeout.
func scanAll[T any](ctx context.Context, s *Store, coll string, fn func(T) error) error {
	after := ""
	for {
		filter := bson.M{}
		if after != "" {
			filter["_id"] = bson.M{"$gt": after}
		}
		cctx, cancel := s.ctx(ctx)
		cur, err := s.db.Collection(coll).Find(cctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(1000))
		if err != nil {
			cancel()
			return translate(err)
		}
		var page []rec
		err = cur.All(cctx, &page)
		cancel()
		if err != nil {
			return translate(err)
		}
		for _, r := range page {
			var v T
			if err := decode(r.J, &v); err != nil {
				return err
			}
			if err := fn(v); err != nil {
				return err
			}
			after = r.ID
		}
		if len(page) < 1000 {
			return nil
		}
	}
}

// ScanJobOffers implements matching.Store.
func (s *Store) ScanJobOffers(ctx context.Context, fn func(matching.JobOffer) error) error {
	return scanAll(ctx, s, cJobOffers, fn)
}

// PutCandidate implements matching.Store.
func (s *Store) PutCandidate(ctx context.Context, c matching.Candidate) error {
	doc := bson.M{"_id": c.ID, "u": c.Version, "j": encode(c)}
	if c.Version == 1 {
		return s.insert(ctx, cJobCandidates, doc)
	}
	ok, err := s.replaceIf(ctx, cJobCandidates, bson.M{"_id": c.ID, "u": c.Version - 1}, doc)
	if err == nil && !ok {
		err = matching.ErrConflict
	}
	return err
}

// Candidate implements matching.Store.
func (s *Store) Candidate(ctx context.Context, id string) (c matching.Candidate, err error) {
	err = s.findOne(ctx, cJobCandidates, bson.M{"_id": id}, &c)
	return c, err
}

// DeleteCandidate implements matching.Store. The version claims of a
// deleted candidate stay; a candidate opting in again starts at version 1
// under a new claim key only if the record is gone, so they are removed too.
func (s *Store) DeleteCandidate(ctx context.Context, id string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.db.Collection(cJobCandidates).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return translate(err)
	}
	_, err := s.db.Collection(cClaims).DeleteMany(ctx, bson.M{"_id": bson.M{"$gte": cJobCandidates + ":" + id + "@", "$lt": cJobCandidates + ":" + id + "@\xff"}})
	return translate(err)
}

// ScanCandidates implements matching.Store.
func (s *Store) ScanCandidates(ctx context.Context, fn func(matching.Candidate) error) error {
	return scanAll(ctx, s, cJobCandidates, fn)
}

func proposalDoc(p matching.Proposal) bson.M {
	return bson.M{"_id": p.Key(), "o": p.OfferID, "c": p.CandidateID, "sh": p.Shard, "d": p.Day, "sc": p.Score, "j": encode(p)}
}

// ReplaceProposals implements matching.Store. Without transactions the
// write is not atomic: a reader may see the shard half replaced, which
// only shows a feed a moment early or late.
func (s *Store) ReplaceProposals(ctx context.Context, shard int, since string, remove []matching.Pair, add []matching.Proposal) error {
	cctx, cancel := s.ctx(ctx)
	_, err := s.db.Collection(cJobProposals).DeleteMany(cctx, bson.M{"sh": shard, "d": bson.M{"$lt": since}})
	cancel()
	if err != nil {
		return translate(err)
	}
	models := make([]mongo.WriteModel, 0, len(remove))
	for _, p := range remove {
		models = append(models, mongo.NewDeleteOneModel().SetFilter(bson.M{"_id": p.Key()}))
	}
	if err := s.bulk(ctx, cJobProposals, models); err != nil {
		return err
	}
	docs := make([]bson.M, len(add))
	for i, p := range add {
		docs[i] = proposalDoc(p)
	}
	return s.replaceAll(ctx, cJobProposals, docs)
}

var byScore = options.Find().SetSort(bson.D{{Key: "sc", Value: -1}, {Key: "_id", Value: 1}})

// ShardProposals implements matching.Store.
func (s *Store) ShardProposals(ctx context.Context, shard int) ([]matching.Proposal, error) {
	return findAll[matching.Proposal](ctx, s, cJobProposals, bson.M{"sh": shard}, byScore)
}

// ProposalsForCandidate implements matching.Store.
func (s *Store) ProposalsForCandidate(ctx context.Context, id string) ([]matching.Proposal, error) {
	return findAll[matching.Proposal](ctx, s, cJobProposals, bson.M{"c": id}, byScore)
}

// ProposalsForOffer implements matching.Store.
func (s *Store) ProposalsForOffer(ctx context.Context, id string) ([]matching.Proposal, error) {
	return findAll[matching.Proposal](ctx, s, cJobProposals, bson.M{"o": id}, byScore)
}

// DeleteCandidateProposals implements matching.Store.
func (s *Store) DeleteCandidateProposals(ctx context.Context, id string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cJobProposals).DeleteMany(ctx, bson.M{"c": id})
	return translate(err)
}

func swipeKey(p matching.Pair, side matching.Side) string { return p.Key() + "\x00" + string(side) }

// PutSwipe implements matching.Store: the decision is inserted under its
// unique key, so the first one stands.
func (s *Store) PutSwipe(ctx context.Context, sw matching.Swipe) error {
	err := s.insert(ctx, cJobSwipes, bson.M{"_id": swipeKey(sw.Pair, sw.Side), "o": sw.OfferID, "c": sw.CandidateID, "j": encode(sw)})
	if !errors.Is(err, marketplace.ErrConflict) {
		return err
	}
	old, err := s.Swipe(ctx, sw.Pair, sw.Side)
	if err != nil {
		return err
	}
	if old.Like != sw.Like {
		return matching.ErrConflict
	}
	return nil
}

// Swipe implements matching.Store.
func (s *Store) Swipe(ctx context.Context, p matching.Pair, side matching.Side) (sw matching.Swipe, err error) {
	err = s.findOne(ctx, cJobSwipes, bson.M{"_id": swipeKey(p, side)}, &sw)
	return sw, err
}

// SwipesByCandidate implements matching.Store.
func (s *Store) SwipesByCandidate(ctx context.Context, id string) ([]matching.Swipe, error) {
	return findAll[matching.Swipe](ctx, s, cJobSwipes, bson.M{"c": id}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// SwipesByOffer implements matching.Store.
func (s *Store) SwipesByOffer(ctx context.Context, id string) ([]matching.Swipe, error) {
	return findAll[matching.Swipe](ctx, s, cJobSwipes, bson.M{"o": id}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

func matchDoc(m matching.Match) bson.M {
	return bson.M{"_id": m.ID, "c": m.CandidateID, "e": m.EmployerSIRET, "cr": timeKey(m.CreatedAt), "u": m.Version, "j": encode(m)}
}

// CreateMatch implements matching.Store.
func (s *Store) CreateMatch(ctx context.Context, m matching.Match) error {
	return s.insert(ctx, cJobMatches, matchDoc(m))
}

// UpdateMatch implements matching.Store.
func (s *Store) UpdateMatch(ctx context.Context, m matching.Match) error {
	old, err := s.Match(ctx, m.ID)
	if err != nil {
		return err
	}
	if old.Pair != m.Pair || !old.CreatedAt.Equal(m.CreatedAt) {
		return matching.ErrConflict
	}
	ok, err := s.replaceIf(ctx, cJobMatches, bson.M{"_id": m.ID, "u": m.Version - 1}, matchDoc(m))
	if err == nil && !ok {
		err = matching.ErrConflict
	}
	return err
}

// Match implements matching.Store.
func (s *Store) Match(ctx context.Context, id string) (m matching.Match, err error) {
	err = s.findOne(ctx, cJobMatches, bson.M{"_id": id}, &m)
	return m, err
}

// MatchesByCandidate implements matching.Store.
func (s *Store) MatchesByCandidate(ctx context.Context, id string) ([]matching.Match, error) {
	return findAll[matching.Match](ctx, s, cJobMatches, bson.M{"c": id}, options.Find().SetSort(bson.D{{Key: "c", Value: 1}, {Key: "cr", Value: -1}}))
}

// MatchesByEmployer implements matching.Store.
func (s *Store) MatchesByEmployer(ctx context.Context, siret string) ([]matching.Match, error) {
	return findAll[matching.Match](ctx, s, cJobMatches, bson.M{"e": siret}, options.Find().SetSort(bson.D{{Key: "e", Value: 1}, {Key: "cr", Value: -1}}))
}

// AddMessage implements matching.Store.
func (s *Store) AddMessage(ctx context.Context, m matching.Message) error {
	return s.insert(ctx, cJobMessages, bson.M{"_id": m.ID, "m": m.MatchID, "at": timeKey(m.At), "j": encode(m)})
}

// Messages implements matching.Store.
func (s *Store) Messages(ctx context.Context, matchID string) ([]matching.Message, error) {
	return findAll[matching.Message](ctx, s, cJobMessages, bson.M{"m": matchID}, options.Find().SetSort(bson.D{{Key: "m", Value: 1}, {Key: "at", Value: 1}, {Key: "_id", Value: 1}}))
}

// AppendAudit implements matching.Store.
func (s *Store) AppendAudit(ctx context.Context, e matching.AuditEvent) error {
	return s.insert(ctx, cJobAudit, bson.M{"_id": e.ID, "o": e.OfferID, "c": e.CandidateID, "at": timeKey(e.At), "j": encode(e)})
}

// Audit implements matching.Store.
func (s *Store) Audit(ctx context.Context, q matching.AuditQuery) ([]matching.AuditEvent, error) {
	filter, field := bson.M{"o": q.OfferID}, "o"
	if q.OfferID == "" {
		filter, field = bson.M{"c": q.CandidateID}, "c"
	}
	return findAll[matching.AuditEvent](ctx, s, cJobAudit, filter,
		options.Find().SetSort(bson.D{{Key: field, Value: 1}, {Key: "at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(q.AuditLimit())))
}

// FeedState implements matching.Store.
func (s *Store) FeedState(ctx context.Context, shard int) (st matching.FeedState, err error) {
	err = s.findOne(ctx, cJobFeedState, bson.M{"_id": fmt.Sprint(shard)}, &st)
	return st, err
}

// PutFeedState implements matching.Store.
func (s *Store) PutFeedState(ctx context.Context, st matching.FeedState) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	id := fmt.Sprint(st.Shard)
	_, err := s.db.Collection(cJobFeedState).ReplaceOne(ctx, bson.M{"_id": id}, bson.M{"_id": id, "j": encode(st)}, options.Replace().SetUpsert(true))
	return translate(err)
}

var _ matching.MarketLoader = (*Store)(nil)

// LoadMarket implements matching.MarketLoader.
func (s *Store) LoadMarket(ctx context.Context, offers []matching.JobOffer, cands []matching.Candidate) error {
	docs := make([]bson.M, len(offers))
	for i, o := range offers {
		docs[i] = bson.M{"_id": o.ID, "emp": o.EmployerSIRET, "cr": timeKey(o.CreatedAt), "u": o.Version, "j": encode(o)}
	}
	if err := s.replaceAll(ctx, cJobOffers, docs); err != nil {
		return err
	}
	docs = make([]bson.M, len(cands))
	for i, c := range cands {
		docs[i] = bson.M{"_id": c.ID, "u": c.Version, "j": encode(c)}
	}
	return s.replaceAll(ctx, cJobCandidates, docs)
}
