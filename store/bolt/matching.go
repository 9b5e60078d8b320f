package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/matching"
)

var _ matching.Store = (*Store)(nil)

// Buckets of the job matching. They are created by the first write, so
// that a file written before job matching existed needs no migration;
// reads treat a missing bucket as empty. Index buckets map keys to nothing.
var (
	bJobOffers       = []byte("job_offers")
	bJobOffersByEmp  = []byte("job_offers_by_employer") // siret \0 created \0 id
	bCandidates      = []byte("job_candidates")
	bProposals       = []byte("job_proposals")              // offer \0 candidate
	bProposalsByCand = []byte("job_proposals_by_candidate") // candidate \0 offer
	bProposalsBySh   = []byte("job_proposals_by_shard")     // shard \0 offer \0 candidate
	bSwipes          = []byte("job_swipes")                 // offer \0 candidate \0 side
	bSwipesByCand    = []byte("job_swipes_by_candidate")    // candidate \0 offer \0 side
	bMatches         = []byte("job_matches")
	bMatchesByCand   = []byte("job_matches_by_candidate") // candidate \0 created \0 id
	bMatchesByEmp    = []byte("job_matches_by_employer")  // siret \0 created \0 id
	bMessages        = []byte("job_messages")             // match \0 at \0 id
	bAudit           = []byte("job_audit")
	bAuditByOffer    = []byte("job_audit_by_offer")     // offer \0 at \0 id
	bAuditByCand     = []byte("job_audit_by_candidate") // candidate \0 at \0 id
	bFeedState       = []byte("job_feed_state")
)

// mbucket returns a job matching bucket: created in a write transaction,
// nil in a read one when it does not exist yet.
func mbucket(tx *bbolt.Tx, name []byte) *bbolt.Bucket {
	if tx.Writable() {
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			panic(fmt.Sprintf("creating bucket %s: %v", name, err)) // only fails on a closed or read-only tx
		}
		return b
	}
	return tx.Bucket(name)
}

func k(parts ...string) []byte {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(p)
	}
	return b.Bytes()
}

func mget(tx *bbolt.Tx, bucket []byte, key []byte, v any) error {
	b := mbucket(tx, bucket)
	if b == nil {
		return matching.ErrNotFound
	}
	data := b.Get(key)
	if data == nil {
		return matching.ErrNotFound
	}
	return jsonUnmarshal(data, v)
}

func mput(tx *bbolt.Tx, bucket []byte, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return mbucket(tx, bucket).Put(key, data)
}

// prefixKeys lists the keys of an index bucket under prefix (with the
// separator appended).
func prefixKeys(tx *bbolt.Tx, bucket []byte, prefix []byte) [][]byte {
	b := mbucket(tx, bucket)
	if b == nil {
		return nil
	}
	prefix = append(slices.Clip(prefix), 0)
	var out [][]byte
	c := b.Cursor()
	for key, _ := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, _ = c.Next() {
		out = append(out, bytes.Clone(key))
	}
	return out
}

// lastPart is the part after the last separator of an index key.
func lastPart(key []byte) string {
	return string(key[bytes.LastIndexByte(key, 0)+1:])
}

// CreateJobOffer implements matching.Store.
func (s *Store) CreateJobOffer(ctx context.Context, o matching.JobOffer) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if mbucket(tx, bJobOffers).Get([]byte(o.ID)) != nil {
			return matching.ErrConflict
		}
		if err := mbucket(tx, bJobOffersByEmp).Put(k(o.EmployerSIRET, tkey(o.CreatedAt), o.ID), nil); err != nil {
			return err
		}
		return mput(tx, bJobOffers, []byte(o.ID), o)
	})
}

// UpdateJobOffer implements matching.Store.
func (s *Store) UpdateJobOffer(ctx context.Context, o matching.JobOffer) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		var old matching.JobOffer
		if err := mget(tx, bJobOffers, []byte(o.ID), &old); err != nil {
			return err
		}
		if old.Version != o.Version-1 || old.EmployerSIRET != o.EmployerSIRET || !old.CreatedAt.Equal(o.CreatedAt) {
			return matching.ErrConflict
		}
		return mput(tx, bJobOffers, []byte(o.ID), o)
	})
}

// JobOffer implements matching.Store.
func (s *Store) JobOffer(ctx context.Context, id string) (o matching.JobOffer, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error { return mget(tx, bJobOffers, []byte(id), &o) })
	return o, err
}

// JobOffersByEmployer implements matching.Store.
func (s *Store) JobOffersByEmployer(ctx context.Context, siret string) (out []matching.JobOffer, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		keys := prefixKeys(tx, bJobOffersByEmp, []byte(siret))
		for i := len(keys) - 1; i >= 0; i-- {
			var o matching.JobOffer
			if err := mget(tx, bJobOffers, []byte(lastPart(keys[i])), &o); err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// scanBatch is how many values scanBucket reads per read transaction (a
// variable so that the tests cross batch boundaries with few records).
var scanBatch = 1000

// scanBucket calls fn with each value of a bucket, in key order, reading
// in batches so that a long scan does not hold one read transaction.
func (s *Store) scanBucket(ctx context.Context, bucket []byte, fn func(v []byte) error) error {
	var after []byte
	for {
		var vals [][]byte
		err := s.db.View(func(tx *bbolt.Tx) error {
			b := mbucket(tx, bucket)
			if b == nil {
				return nil
			}
			c := b.Cursor()
			var key, v []byte
			if after == nil {
				key, v = c.First()
			} else if key, v = c.Seek(after); key != nil && bytes.Equal(key, after) {
				key, v = c.Next()
			}
			for ; key != nil && len(vals) < scanBatch; key, v = c.Next() {
				vals = append(vals, bytes.Clone(v))
				after = bytes.Clone(key)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, v := range vals {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(vals) < scanBatch {
			return ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// ScanJobOffers implements matching.Store.
func (s *Store) ScanJobOffers(ctx context.Context, fn func(matching.JobOffer) error) error {
	return s.scanBucket(ctx, bJobOffers, func(v []byte) error {
		var o matching.JobOffer
		if err := jsonUnmarshal(v, &o); err != nil {
			return err
		}
		return fn(o)
	})
}

// PutCandidate implements matching.Store.
func (s *Store) PutCandidate(ctx context.Context, c matching.Candidate) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		var old matching.Candidate
		err := mget(tx, bCandidates, []byte(c.ID), &old)
		switch {
		case err == matching.ErrNotFound:
			if c.Version != 1 {
				return matching.ErrConflict
			}
		case err != nil:
			return err
		case old.Version != c.Version-1:
			return matching.ErrConflict
		}
		return mput(tx, bCandidates, []byte(c.ID), c)
	})
}

// Candidate implements matching.Store.
func (s *Store) Candidate(ctx context.Context, id string) (c matching.Candidate, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error { return mget(tx, bCandidates, []byte(id), &c) })
	return c, err
}

// DeleteCandidate implements matching.Store.
func (s *Store) DeleteCandidate(ctx context.Context, id string) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return mbucket(tx, bCandidates).Delete([]byte(id)) })
}

// ScanCandidates implements matching.Store.
func (s *Store) ScanCandidates(ctx context.Context, fn func(matching.Candidate) error) error {
	return s.scanBucket(ctx, bCandidates, func(v []byte) error {
		var c matching.Candidate
		if err := jsonUnmarshal(v, &c); err != nil {
			return err
		}
		return fn(c)
	})
}

func shardKey(n int) string { return fmt.Sprintf("%06d", n) }

func deleteProposal(tx *bbolt.Tx, p matching.Proposal) error {
	if err := mbucket(tx, bProposals).Delete(k(p.OfferID, p.CandidateID)); err != nil {
		return err
	}
	if err := mbucket(tx, bProposalsByCand).Delete(k(p.CandidateID, p.OfferID)); err != nil {
		return err
	}
	return mbucket(tx, bProposalsBySh).Delete(k(shardKey(p.Shard), p.OfferID, p.CandidateID))
}

// ReplaceProposals implements matching.Store.
func (s *Store) ReplaceProposals(ctx context.Context, shard int, since string, remove []matching.Pair, add []matching.Proposal) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		gone := map[matching.Pair]bool{}
		for _, p := range remove {
			gone[p] = true
		}
		var drop []matching.Proposal
		sh := mbucket(tx, bProposalsBySh)
		prefix := append([]byte(shardKey(shard)), 0)
		c := sh.Cursor()
		props := mbucket(tx, bProposals)
		for key, _ := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, _ = c.Next() {
			var p matching.Proposal
			if err := jsonUnmarshal(props.Get(key[len(prefix):]), &p); err != nil {
				return err
			}
			if p.Day < since || gone[p.Pair] {
				drop = append(drop, p)
			}
		}
		for _, p := range drop {
			if err := deleteProposal(tx, p); err != nil {
				return err
			}
		}
		// bbolt keeps a transaction's writes in memory nodes split only at
		// commit: keys put in order append, keys in random order shift the
		// node at each put (quadratic on a day's proposals).
		slices.SortFunc(add, func(a, b matching.Proposal) int { return cmp.Compare(a.Key(), b.Key()) })
		for _, p := range add {
			if err := mput(tx, bProposals, k(p.OfferID, p.CandidateID), p); err != nil {
				return err
			}
			if err := sh.Put(k(shardKey(p.Shard), p.OfferID, p.CandidateID), nil); err != nil {
				return err
			}
		}
		byCand := make([][]byte, len(add))
		for i, p := range add {
			byCand[i] = k(p.CandidateID, p.OfferID)
		}
		slices.SortFunc(byCand, bytes.Compare)
		bc := mbucket(tx, bProposalsByCand)
		for _, key := range byCand {
			if err := bc.Put(key, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

func sortProposals(ps []matching.Proposal) {
	slices.SortFunc(ps, func(a, b matching.Proposal) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Key(), b.Key())
	})
}

// ShardProposals implements matching.Store.
func (s *Store) ShardProposals(ctx context.Context, shard int) (out []matching.Proposal, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		sh, props := mbucket(tx, bProposalsBySh), mbucket(tx, bProposals)
		if sh == nil {
			return nil
		}
		prefix := append([]byte(shardKey(shard)), 0)
		c := sh.Cursor()
		for key, _ := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, _ = c.Next() {
			var p matching.Proposal
			if err := jsonUnmarshal(props.Get(key[len(prefix):]), &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	sortProposals(out)
	return out, err
}

// ProposalsForCandidate implements matching.Store.
func (s *Store) ProposalsForCandidate(ctx context.Context, id string) (out []matching.Proposal, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		for _, key := range prefixKeys(tx, bProposalsByCand, []byte(id)) {
			var p matching.Proposal
			if err := mget(tx, bProposals, k(lastPart(key), id), &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	sortProposals(out)
	return out, err
}

// ProposalsForOffer implements matching.Store.
func (s *Store) ProposalsForOffer(ctx context.Context, id string) (out []matching.Proposal, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		b := mbucket(tx, bProposals)
		if b == nil {
			return nil
		}
		prefix := append([]byte(id), 0)
		c := b.Cursor()
		for key, v := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, v = c.Next() {
			var p matching.Proposal
			if err := jsonUnmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	sortProposals(out)
	return out, err
}

// DeleteCandidateProposals implements matching.Store.
func (s *Store) DeleteCandidateProposals(ctx context.Context, id string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		for _, key := range prefixKeys(tx, bProposalsByCand, []byte(id)) {
			var p matching.Proposal
			if err := mget(tx, bProposals, k(lastPart(key), id), &p); err != nil {
				return err
			}
			if err := deleteProposal(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutSwipe implements matching.Store.
func (s *Store) PutSwipe(ctx context.Context, sw matching.Swipe) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		var old matching.Swipe
		switch err := mget(tx, bSwipes, k(sw.OfferID, sw.CandidateID, string(sw.Side)), &old); {
		case err == nil && old.Like == sw.Like:
			return nil
		case err == nil:
			return matching.ErrConflict
		case err != matching.ErrNotFound:
			return err
		}
		if err := mbucket(tx, bSwipesByCand).Put(k(sw.CandidateID, sw.OfferID, string(sw.Side)), nil); err != nil {
			return err
		}
		return mput(tx, bSwipes, k(sw.OfferID, sw.CandidateID, string(sw.Side)), sw)
	})
}

// Swipe implements matching.Store.
func (s *Store) Swipe(ctx context.Context, p matching.Pair, side matching.Side) (sw matching.Swipe, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error { return mget(tx, bSwipes, k(p.OfferID, p.CandidateID, string(side)), &sw) })
	return sw, err
}

// SwipesByCandidate implements matching.Store.
func (s *Store) SwipesByCandidate(ctx context.Context, id string) (out []matching.Swipe, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		for _, key := range prefixKeys(tx, bSwipesByCand, []byte(id)) {
			parts := bytes.Split(key, []byte{0})
			var sw matching.Swipe
			if err := mget(tx, bSwipes, k(string(parts[1]), id, string(parts[2])), &sw); err != nil {
				return err
			}
			out = append(out, sw)
		}
		return nil
	})
	return out, err
}

// SwipesByOffer implements matching.Store.
func (s *Store) SwipesByOffer(ctx context.Context, id string) (out []matching.Swipe, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		b := mbucket(tx, bSwipes)
		if b == nil {
			return nil
		}
		prefix := append([]byte(id), 0)
		c := b.Cursor()
		for key, v := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, v = c.Next() {
			var sw matching.Swipe
			if err := jsonUnmarshal(v, &sw); err != nil {
				return err
			}
			out = append(out, sw)
		}
		return nil
	})
	return out, err
}

// CreateMatch implements matching.Store.
func (s *Store) CreateMatch(ctx context.Context, m matching.Match) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if mbucket(tx, bMatches).Get([]byte(m.ID)) != nil {
			return matching.ErrConflict
		}
		if err := mbucket(tx, bMatchesByCand).Put(k(m.CandidateID, tkey(m.CreatedAt), m.ID), nil); err != nil {
			return err
		}
		if err := mbucket(tx, bMatchesByEmp).Put(k(m.EmployerSIRET, tkey(m.CreatedAt), m.ID), nil); err != nil {
			return err
		}
		return mput(tx, bMatches, []byte(m.ID), m)
	})
}

// UpdateMatch implements matching.Store.
func (s *Store) UpdateMatch(ctx context.Context, m matching.Match) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		var old matching.Match
		if err := mget(tx, bMatches, []byte(m.ID), &old); err != nil {
			return err
		}
		if old.Version != m.Version-1 || old.Pair != m.Pair || !old.CreatedAt.Equal(m.CreatedAt) {
			return matching.ErrConflict
		}
		return mput(tx, bMatches, []byte(m.ID), m)
	})
}

// Match implements matching.Store.
func (s *Store) Match(ctx context.Context, id string) (m matching.Match, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error { return mget(tx, bMatches, []byte(id), &m) })
	return m, err
}

func (s *Store) matchesBy(index []byte, owner string) (out []matching.Match, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		keys := prefixKeys(tx, index, []byte(owner))
		for i := len(keys) - 1; i >= 0; i-- {
			var m matching.Match
			if err := mget(tx, bMatches, []byte(lastPart(keys[i])), &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// MatchesByCandidate implements matching.Store.
func (s *Store) MatchesByCandidate(ctx context.Context, id string) ([]matching.Match, error) {
	return s.matchesBy(bMatchesByCand, id)
}

// MatchesByEmployer implements matching.Store.
func (s *Store) MatchesByEmployer(ctx context.Context, siret string) ([]matching.Match, error) {
	return s.matchesBy(bMatchesByEmp, siret)
}

// AddMessage implements matching.Store.
func (s *Store) AddMessage(ctx context.Context, m matching.Message) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		key := k(m.MatchID, tkey(m.At), m.ID)
		if mbucket(tx, bMessages).Get(key) != nil {
			return matching.ErrConflict
		}
		return mput(tx, bMessages, key, m)
	})
}

// Messages implements matching.Store.
func (s *Store) Messages(ctx context.Context, matchID string) (out []matching.Message, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		b := mbucket(tx, bMessages)
		if b == nil {
			return nil
		}
		prefix := append([]byte(matchID), 0)
		c := b.Cursor()
		for key, v := c.Seek(prefix); key != nil && bytes.HasPrefix(key, prefix); key, v = c.Next() {
			var m matching.Message
			if err := jsonUnmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// AppendAudit implements matching.Store.
func (s *Store) AppendAudit(ctx context.Context, e matching.AuditEvent) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if mbucket(tx, bAudit).Get([]byte(e.ID)) != nil {
			return matching.ErrConflict
		}
		if e.OfferID != "" {
			if err := mbucket(tx, bAuditByOffer).Put(k(e.OfferID, tkey(e.At), e.ID), nil); err != nil {
				return err
			}
		}
		if e.CandidateID != "" {
			if err := mbucket(tx, bAuditByCand).Put(k(e.CandidateID, tkey(e.At), e.ID), nil); err != nil {
				return err
			}
		}
		return mput(tx, bAudit, []byte(e.ID), e)
	})
}

// Audit implements matching.Store.
func (s *Store) Audit(ctx context.Context, q matching.AuditQuery) (out []matching.AuditEvent, err error) {
	index, owner := bAuditByOffer, q.OfferID
	if q.OfferID == "" {
		index, owner = bAuditByCand, q.CandidateID
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		for _, key := range prefixKeys(tx, index, []byte(owner)) {
			if len(out) == q.AuditLimit() {
				break
			}
			var e matching.AuditEvent
			if err := mget(tx, bAudit, []byte(lastPart(key)), &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// FeedState implements matching.Store.
func (s *Store) FeedState(ctx context.Context, shard int) (st matching.FeedState, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error { return mget(tx, bFeedState, []byte(shardKey(shard)), &st) })
	return st, err
}

// PutFeedState implements matching.Store.
func (s *Store) PutFeedState(ctx context.Context, st matching.FeedState) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return mput(tx, bFeedState, []byte(shardKey(st.Shard)), st) })
}

var _ matching.MarketLoader = (*Store)(nil)

// LoadMarket implements matching.MarketLoader, in transactions of 5,000
// records.
func (s *Store) LoadMarket(ctx context.Context, offers []matching.JobOffer, cands []matching.Candidate) error {
	const batch = 5000
	for i := 0; i < len(offers); i += batch {
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for _, o := range offers[i:min(i+batch, len(offers))] {
				var old matching.JobOffer
				if err := mget(tx, bJobOffers, []byte(o.ID), &old); err == nil {
					if err := mbucket(tx, bJobOffersByEmp).Delete(k(old.EmployerSIRET, tkey(old.CreatedAt), old.ID)); err != nil {
						return err
					}
				}
				if err := mbucket(tx, bJobOffersByEmp).Put(k(o.EmployerSIRET, tkey(o.CreatedAt), o.ID), nil); err != nil {
					return err
				}
				if err := mput(tx, bJobOffers, []byte(o.ID), o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := 0; i < len(cands); i += batch {
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for _, c := range cands[i:min(i+batch, len(cands))] {
				if err := mput(tx, bCandidates, []byte(c.ID), c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}
