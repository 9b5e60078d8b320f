package mongo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/orgs"
)

var (
	_ orgs.Store               = (*Store)(nil)
	_ marketplace.ContactStore = (*Store)(nil)
	_ auth.AttemptStore        = (*Store)(nil)
)

// Collections of organisations, contact details and attempt counters.
// Versioned records keep their version in u, for replaceIf.
const (
	cOrgs          = "organisations"   // _id; siret (unique); u: version; j
	cInvitations   = "org_invitations" // _id: token hash; j
	cOrgIdentities = "org_identities"  // _id: "<issuer>\x00<subject>"; o, m
	cContacts      = "contacts"        // _id: account; u: version; j
	// cAttempts holds, per window "<key>|<window start>", a counter
	// document (n) and one slot document per event ("<window>#n");
	// x is the window's end (Unix ns) on both, for the sweep.
	cAttempts = "attempts"
)

// orgIndexes are the indexes of the queries below; init creates them.
var orgIndexes = []index{
	{cOrgs, bson.D{{Key: "siret", Value: 1}}, true},
	{cAttempts, bson.D{{Key: "x", Value: 1}}, false},
}

type orgDoc struct {
	ID      string `bson:"_id"`
	SIRET   string `bson:"siret"`
	Version int    `bson:"u"`
	J       []byte `bson:"j"`
}

// CreateOrg implements orgs.Store.
func (s *Store) CreateOrg(ctx context.Context, o orgs.Organisation) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cOrgs).InsertOne(ctx, orgDoc{ID: o.ID, SIRET: o.SIRET, Version: o.Version, J: encode(o)})
	return translate(err)
}

// Org implements orgs.Store.
func (s *Store) Org(ctx context.Context, id string) (orgs.Organisation, error) {
	var o orgs.Organisation
	err := s.findOne(ctx, cOrgs, bson.M{"_id": id}, &o)
	return o, err
}

// UpdateOrg implements orgs.Store.
func (s *Store) UpdateOrg(ctx context.Context, o orgs.Organisation) error {
	cur, err := s.Org(ctx, o.ID)
	if err != nil {
		return err
	}
	if cur.Version != o.Version || cur.SIRET != o.SIRET {
		return marketplace.ErrStale
	}
	next := o
	next.Version++
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	ok, err := s.replaceIf(cctx, cOrgs, bson.M{"_id": o.ID, "u": o.Version}, orgDoc{ID: o.ID, SIRET: o.SIRET, Version: next.Version, J: encode(next)})
	if err != nil {
		return err
	}
	if !ok {
		return marketplace.ErrStale
	}
	return nil
}

// CreateInvitation implements orgs.Store.
func (s *Store) CreateInvitation(ctx context.Context, inv orgs.Invitation) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cInvitations).InsertOne(ctx, rec{ID: inv.Key, J: encode(inv)})
	return translate(err)
}

// Invitation implements orgs.Store.
func (s *Store) Invitation(ctx context.Context, key string) (orgs.Invitation, error) {
	var inv orgs.Invitation
	err := s.findOne(ctx, cInvitations, bson.M{"_id": key}, &inv)
	return inv, err
}

// UseInvitation implements orgs.Store. The claim document under the
// invitation's key is the single-use step: one acceptance only inserts it.
func (s *Store) UseInvitation(ctx context.Context, key, memberID string, at time.Time) error {
	inv, err := s.Invitation(ctx, key)
	if err != nil {
		return err
	}
	if !inv.UsedAt.IsZero() {
		return orgs.ErrInvitationGone
	}
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.db.Collection(cClaims).InsertOne(cctx, bson.M{"_id": "invitation:" + key, "k": memberID}); err != nil {
		if errors.Is(translate(err), marketplace.ErrConflict) {
			return orgs.ErrInvitationGone
		}
		return translate(err)
	}
	inv.UsedAt, inv.UsedBy = at, memberID
	_, err = s.db.Collection(cInvitations).UpdateOne(cctx, bson.M{"_id": key}, bson.M{"$set": bson.M{"j": encode(inv)}})
	return translate(err)
}

// ClaimIdentity implements orgs.Store.
func (s *Store) ClaimIdentity(ctx context.Context, issuer, subject, orgID, memberID string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cOrgIdentities).InsertOne(ctx, bson.M{"_id": issuer + "\x00" + subject, "o": orgID, "m": memberID})
	return translate(err)
}

// Membership implements orgs.Store.
func (s *Store) Membership(ctx context.Context, issuer, subject string) (string, string, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var doc struct {
		Org    string `bson:"o"`
		Member string `bson:"m"`
	}
	err := s.db.Collection(cOrgIdentities).FindOne(ctx, bson.M{"_id": issuer + "\x00" + subject}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", "", orgs.ErrNotMember
	}
	return doc.Org, doc.Member, translate(err)
}

// ReleaseIdentity implements orgs.Store.
func (s *Store) ReleaseIdentity(ctx context.Context, issuer, subject string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cOrgIdentities).DeleteOne(ctx, bson.M{"_id": issuer + "\x00" + subject})
	return translate(err)
}

type contactDoc struct {
	ID      string `bson:"_id"`
	Version int    `bson:"u"`
	J       []byte `bson:"j"`
}

// Contact implements marketplace.ContactStore.
func (s *Store) Contact(ctx context.Context, accountID string) (marketplace.Contact, error) {
	var c marketplace.Contact
	err := s.findOne(ctx, cContacts, bson.M{"_id": accountID}, &c)
	return c, err
}

// PutContact implements marketplace.ContactStore: the first write is an
// insert under the account's key, later ones replaceIf their version.
func (s *Store) PutContact(ctx context.Context, c marketplace.Contact) error {
	next := c
	next.Version++
	doc := contactDoc{ID: c.AccountID, Version: next.Version, J: encode(next)}
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	if c.Version == 0 {
		_, err := s.db.Collection(cContacts).InsertOne(cctx, doc)
		if errors.Is(translate(err), marketplace.ErrConflict) {
			return marketplace.ErrStale
		}
		return translate(err)
	}
	ok, err := s.replaceIf(cctx, cContacts, bson.M{"_id": c.AccountID, "u": c.Version}, doc)
	if err != nil {
		return err
	}
	if !ok {
		return marketplace.ErrStale
	}
	return nil
}

func attemptWindowKey(key string, window time.Duration, now time.Time) (string, time.Time) {
	start := auth.WindowStart(now, window)
	return key + "|" + timeKey(start), start.Add(window)
}

// slotID names the n-th event of a window.
func slotID(k string, n int) string { return k + "#" + strconv.Itoa(n) }

// attemptCount is the number of events recorded in window k: the counter
// document's n, then any slots past it (written by an AddAttempt whose
// counter update has not landed yet). Every read is by _id.
func (s *Store) attemptCount(ctx context.Context, k string) (int, error) {
	var doc struct {
		N int `bson:"n"`
	}
	err := s.db.Collection(cAttempts).FindOne(ctx, bson.M{"_id": k}).Decode(&doc)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, translate(err)
	}
	n := doc.N
	for {
		err := s.db.Collection(cAttempts).FindOne(ctx, bson.M{"_id": slotID(k, n+1)}).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return n, nil
		}
		if err != nil {
			return 0, translate(err)
		}
		n++
	}
}

// AddAttempt implements auth.AttemptStore. The n-th event of a window is
// the insert of a document under the unique _id "<window>#n": of
// concurrent writers one only takes a slot, the others take the next
// ones, so that no event is lost even though FerretDB 1.24 applies an
// $inc in two steps. A counter document records the highest slot, so
// that a count reads two documents rather than scanning.
func (s *Store) AddAttempt(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	k, end := attemptWindowKey(key, window, now)
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.attemptCount(cctx, k)
	if err != nil {
		return 0, err
	}
	for {
		n++
		_, err := s.db.Collection(cAttempts).InsertOne(cctx, bson.M{"_id": slotID(k, n), "x": end.UnixNano()})
		if err == nil {
			break
		}
		if !errors.Is(translate(err), marketplace.ErrConflict) {
			return 0, translate(err)
		}
	}
	_, err = s.db.Collection(cAttempts).UpdateOne(cctx, bson.M{"_id": k},
		bson.M{"$max": bson.M{"n": n}, "$set": bson.M{"x": end.UnixNano()}}, options.UpdateOne().SetUpsert(true))
	if err != nil && !errors.Is(translate(err), marketplace.ErrConflict) {
		return 0, translate(err)
	}
	return n, nil
}

// Attempts implements auth.AttemptStore.
func (s *Store) Attempts(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	k, _ := attemptWindowKey(key, window, now)
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.attemptCount(cctx, k)
}

// SweepAttempts implements auth.AttemptStore.
func (s *Store) SweepAttempts(ctx context.Context, t time.Time) (int, error) {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cAttempts).DeleteMany(cctx, bson.M{"x": bson.M{"$lt": t.UnixNano()}})
	if err != nil {
		return 0, translate(err)
	}
	return int(res.DeletedCount), nil
}
