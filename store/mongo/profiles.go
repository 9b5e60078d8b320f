package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
)

var (
	_ profiles.Store       = (*Store)(nil)
	_ profiles.Employments = (*Store)(nil)
)

// Collections of career profiles. Entries are keyed "<person>\x00<id>" so
// that a person's lines are one range of _id; the other records carry the
// person in "p", indexed.
const (
	cProfileEntries = "profile_entries"
	cShareLinks     = "profile_shares"
	cIssuers        = "profile_issuers"
	cCredentials    = "profile_credentials"
	cStatusBits     = "profile_status_bits"
	cStatusAlloc    = "profile_status_alloc"
	statusCounter   = "profile_status"
)

// The profile indexes are created with the others when the store opens.
func init() {
	indexes = append(indexes,
		index{cShareLinks, bson.D{{Key: "p", Value: 1}, {Key: "_id", Value: 1}}, false},
		index{cCredentials, bson.D{{Key: "p", Value: 1}, {Key: "_id", Value: 1}}, false},
	)
}

func personRange(person string) bson.M {
	return bson.M{"_id": bson.M{"$gte": person + "\x00", "$lt": person + "\x01"}}
}

// CreateProfileEntry implements profiles.Store.
func (s *Store) CreateProfileEntry(ctx context.Context, e profiles.Entry) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cProfileEntries).InsertOne(ctx, bson.M{"_id": e.PersonID + "\x00" + e.ID, "j": encode(e)})
	if err = translate(err); err != nil {
		return fmt.Errorf("entry %s: %w", e.ID, err)
	}
	return nil
}

// PutProfileEntry implements profiles.Store.
func (s *Store) PutProfileEntry(ctx context.Context, e profiles.Entry) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cProfileEntries).ReplaceOne(ctx, bson.M{"_id": e.PersonID + "\x00" + e.ID}, bson.M{"j": encode(e)})
	if err != nil {
		return translate(err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("entry %s: %w", e.ID, marketplace.ErrNotFound)
	}
	return nil
}

// ProfileEntry implements profiles.Store.
func (s *Store) ProfileEntry(ctx context.Context, person, id string) (profiles.Entry, error) {
	var e profiles.Entry
	err := s.findOne(ctx, cProfileEntries, bson.M{"_id": person + "\x00" + id}, &e)
	return e, err
}

// ProfileEntries implements profiles.Store.
func (s *Store) ProfileEntries(ctx context.Context, person string) ([]profiles.Entry, error) {
	return findAll[profiles.Entry](ctx, s, cProfileEntries, personRange(person), options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// DeleteProfileEntry implements profiles.Store.
func (s *Store) DeleteProfileEntry(ctx context.Context, person, id string) error {
	return s.deleteOne(ctx, cProfileEntries, bson.M{"_id": person + "\x00" + id}, "entry "+id)
}

func (s *Store) deleteOne(ctx context.Context, coll string, filter bson.M, what string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(coll).DeleteOne(ctx, filter)
	if err != nil {
		return translate(err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("%s: %w", what, marketplace.ErrNotFound)
	}
	return nil
}

func (s *Store) insertNamed(ctx context.Context, coll string, doc bson.M, what string) error {
	if err := s.insert(ctx, coll, doc); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// CreateShareLink implements profiles.Store.
func (s *Store) CreateShareLink(ctx context.Context, sh profiles.Share) error {
	return s.insertNamed(ctx, cShareLinks, bson.M{"_id": sh.ID, "p": sh.PersonID, "j": encode(sh)}, "share")
}

// ShareLink implements profiles.Store.
func (s *Store) ShareLink(ctx context.Context, id string) (profiles.Share, error) {
	var sh profiles.Share
	err := s.findOne(ctx, cShareLinks, bson.M{"_id": id}, &sh)
	return sh, err
}

// ShareLinks implements profiles.Store.
func (s *Store) ShareLinks(ctx context.Context, person string) ([]profiles.Share, error) {
	out, err := findAll[profiles.Share](ctx, s, cShareLinks, bson.M{"p": person}, options.Find().SetSort(bson.D{{Key: "p", Value: 1}, {Key: "_id", Value: 1}}))
	slices.SortStableFunc(out, func(a, b profiles.Share) int { return a.Created.Compare(b.Created) })
	return out, err
}

// DeleteShareLink implements profiles.Store.
func (s *Store) DeleteShareLink(ctx context.Context, person, id string) error {
	return s.deleteOne(ctx, cShareLinks, bson.M{"_id": id, "p": person}, "share")
}

// CreateIssuer implements profiles.Store.
func (s *Store) CreateIssuer(ctx context.Context, i profiles.Issuer) error {
	return s.insertNamed(ctx, cIssuers, bson.M{"_id": i.SIRET, "u": i.Version, "j": encode(i)}, "issuer "+i.SIRET)
}

// Issuer implements profiles.Store.
func (s *Store) Issuer(ctx context.Context, siret string) (profiles.Issuer, error) {
	var i profiles.Issuer
	err := s.findOne(ctx, cIssuers, bson.M{"_id": siret}, &i)
	return i, err
}

// UpdateIssuer implements profiles.Store: the version is claimed first
// (replaceIf), so that of two concurrent rotations one fails.
func (s *Store) UpdateIssuer(ctx context.Context, i profiles.Issuer) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ok, err := s.replaceIf(ctx, cIssuers, bson.M{"_id": i.SIRET, "u": i.Version - 1}, bson.M{"u": i.Version, "j": encode(i)})
	if err != nil {
		return err
	}
	if !ok {
		if _, err := s.Issuer(ctx, i.SIRET); err != nil {
			return err
		}
		return fmt.Errorf("issuer %s changed meanwhile: %w", i.SIRET, marketplace.ErrConflict)
	}
	return nil
}

// CreateCredential implements profiles.Store.
func (s *Store) CreateCredential(ctx context.Context, c profiles.Credential) error {
	return s.insertNamed(ctx, cCredentials, bson.M{"_id": c.ID, "p": c.PersonID, "j": encode(c)}, "credential "+c.ID)
}

// PutCredential implements profiles.Store.
func (s *Store) PutCredential(ctx context.Context, c profiles.Credential) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cCredentials).ReplaceOne(ctx, bson.M{"_id": c.ID}, bson.M{"p": c.PersonID, "j": encode(c)})
	if err != nil {
		return translate(err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("credential %s: %w", c.ID, marketplace.ErrNotFound)
	}
	return nil
}

// Credential implements profiles.Store.
func (s *Store) Credential(ctx context.Context, id string) (profiles.Credential, error) {
	var c profiles.Credential
	err := s.findOne(ctx, cCredentials, bson.M{"_id": id}, &c)
	return c, err
}

// Credentials implements profiles.Store.
func (s *Store) Credentials(ctx context.Context, person string) ([]profiles.Credential, error) {
	return findAll[profiles.Credential](ctx, s, cCredentials, bson.M{"p": person}, options.Find().SetSort(bson.D{{Key: "p", Value: 1}, {Key: "_id", Value: 1}}))
}

// NextStatusIndexes implements profiles.Store. The counter only suggests
// where to start: FerretDB applies $inc in two steps, so two callers may
// read the same value. Each index is then claimed by inserting it under a
// unique _id, which only one caller can do; the loser takes others after.
func (s *Store) NextStatusIndexes(ctx context.Context, n int) ([]int, error) {
	if n < 1 {
		return nil, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	// Two first calls may both try to create the counter: one gets a
	// duplicate key, and tries again.
	var next int64
	var err error
	for range 10 {
		if next, err = s.nextSeq(ctx, statusCounter, int64(n)); !errors.Is(err, marketplace.ErrConflict) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	var out []int
	for from := next - int64(n); len(out) < n; {
		want := n - len(out)
		docs := make([]any, want)
		for i := range docs {
			docs[i] = bson.M{"_id": from + int64(i)}
		}
		_, err := s.db.Collection(cStatusAlloc).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		taken := map[int]bool{}
		var bw mongo.BulkWriteException
		switch {
		case err == nil:
		case errors.As(err, &bw):
			for _, we := range bw.WriteErrors {
				if !mongo.IsDuplicateKeyError(we) && !strings.Contains(we.Message, "UNIQUE constraint") && we.Code != 11000 {
					return nil, translate(err)
				}
				taken[we.Index] = true
			}
		default:
			return nil, translate(err)
		}
		for i := range want {
			if !taken[i] {
				out = append(out, int(from)+i)
			}
		}
		from += int64(want)
	}
	return out, nil
}

// CreateIssued implements profiles.Store: the credentials, then the lines,
// each in chunks of one insert statement.
func (s *Store) CreateIssued(ctx context.Context, cs []profiles.Credential, es []profiles.Entry) error {
	if len(cs) != len(es) {
		return fmt.Errorf("%d credentials for %d lines: %w", len(cs), len(es), marketplace.ErrInvalid)
	}
	creds := make([]any, len(cs))
	for i, c := range cs {
		creds[i] = bson.M{"_id": c.ID, "p": c.PersonID, "j": encode(c)}
	}
	lines := make([]any, len(es))
	for i, e := range es {
		lines[i] = bson.M{"_id": e.PersonID + "\x00" + e.ID, "j": encode(e)}
	}
	for _, w := range []struct {
		coll string
		docs []any
	}{{cCredentials, creds}, {cProfileEntries, lines}} {
		for i := 0; i < len(w.docs); i += bigChunk {
			cctx, cancel := s.ctx(ctx)
			_, err := s.db.Collection(w.coll).InsertMany(cctx, w.docs[i:min(i+bigChunk, len(w.docs))])
			cancel()
			if err = translate(err); err != nil {
				var bw mongo.BulkWriteException
				if errors.As(err, &bw) || errors.Is(err, marketplace.ErrConflict) {
					return fmt.Errorf("storing issued credentials: %w", marketplace.ErrConflict)
				}
				return err
			}
		}
	}
	return nil
}

// SetStatusBit implements profiles.Store: one document per set bit, so
// that setting a bit is one idempotent upsert.
func (s *Store) SetStatusBit(ctx context.Context, index int) error {
	if index < 0 {
		return fmt.Errorf("status index %d: %w", index, marketplace.ErrInvalid)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cStatusBits).UpdateOne(ctx, bson.M{"_id": int64(index)}, bson.M{"$set": bson.M{"set": true}}, options.UpdateOne().SetUpsert(true))
	return translate(err)
}

// StatusBits implements profiles.Store.
func (s *Store) StatusBits(ctx context.Context, from, to int) ([]int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cur, err := s.db.Collection(cStatusBits).Find(ctx, bson.M{"_id": bson.M{"$gte": int64(max(from, 0)), "$lt": int64(to)}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, translate(err)
	}
	defer cur.Close(ctx)
	var out []int
	for cur.Next(ctx) {
		var d struct {
			ID int64 `bson:"_id"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, translate(err)
		}
		out = append(out, int(d.ID))
	}
	return out, translate(cur.Err())
}

// EmploymentYears implements profiles.Employments from the employment
// declarations, keyed "<account>\x00<year>\x00<siret>".
func (s *Store) EmploymentYears(ctx context.Context, account, siret string) ([]int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cur, err := s.db.Collection(cDeclarations).Find(ctx, personRange(account),
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, translate(err)
	}
	defer cur.Close(ctx)
	var years []int
	for cur.Next(ctx) {
		var d struct {
			ID string `bson:"_id"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, translate(err)
		}
		parts := strings.Split(d.ID, "\x00")
		if len(parts) == 3 && parts[2] == siret {
			if y, err := strconv.Atoi(parts[1]); err == nil {
				years = append(years, y)
			}
		}
	}
	return years, translate(cur.Err())
}
