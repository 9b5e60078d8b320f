package mongo

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

var _ auth.SessionStore = (*Store)(nil)
var _ auth.LinkStore = (*Store)(nil)
var _ auth.DeviceStore = (*Store)(nil)

// Collections of web sessions, identity links and devices. Times that
// queries compare are kept as Unix nanoseconds beside the JSON record, so
// that they keep the precision the embedded backend keeps.
const (
	cWebSessions = "web_sessions" // _id: session key; h: holder; ls, cr: last seen, created
	cIdentities  = "identity_links"
	cDevices     = "account_devices" // _id: "<account>\x00<device key>"; a: account; f: first seen
)

// authIndexes are the indexes of the queries below; init creates them with
// the others.
var authIndexes = []index{
	{cWebSessions, bson.D{{Key: "h", Value: 1}}, false},
	{cWebSessions, bson.D{{Key: "ls", Value: 1}}, false},
	{cWebSessions, bson.D{{Key: "cr", Value: 1}}, false},
	{cDevices, bson.D{{Key: "a", Value: 1}, {Key: "f", Value: -1}}, false},
}

type webSessionDoc struct {
	ID       string `bson:"_id"`
	Holder   string `bson:"h"`
	LastSeen int64  `bson:"ls"`
	Created  int64  `bson:"cr"`
	J        []byte `bson:"j"`
}

// CreateWebSession implements auth.SessionStore.
func (s *Store) CreateWebSession(ctx context.Context, se auth.Session) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	doc := webSessionDoc{ID: se.Key, Holder: se.Holder(), LastSeen: se.LastSeen.UnixNano(), Created: se.Created.UnixNano(), J: encode(se)}
	_, err := s.db.Collection(cWebSessions).ReplaceOne(ctx, bson.M{"_id": se.Key}, doc, options.Replace().SetUpsert(true))
	return translate(err)
}

// WebSession implements auth.SessionStore.
func (s *Store) WebSession(ctx context.Context, key string) (auth.Session, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var doc webSessionDoc
	err := s.db.Collection(cWebSessions).FindOne(ctx, bson.M{"_id": key}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return auth.Session{}, auth.ErrNoSession
	}
	if err != nil {
		return auth.Session{}, translate(err)
	}
	var se auth.Session
	if err := decode(doc.J, &se); err != nil {
		return auth.Session{}, err
	}
	// Activity is recorded in ls alone (TouchWebSession), not in the JSON.
	se.LastSeen = time.Unix(0, doc.LastSeen).In(se.LastSeen.Location())
	return se, nil
}

// TouchWebSession implements auth.SessionStore.
func (s *Store) TouchWebSession(ctx context.Context, key string, at time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cWebSessions).UpdateOne(ctx, bson.M{"_id": key}, bson.M{"$set": bson.M{"ls": at.UnixNano()}})
	if err != nil {
		return translate(err)
	}
	if res.MatchedCount == 0 {
		return auth.ErrNoSession
	}
	return nil
}

// DeleteWebSession implements auth.SessionStore.
func (s *Store) DeleteWebSession(ctx context.Context, key string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cWebSessions).DeleteOne(ctx, bson.M{"_id": key})
	return translate(err)
}

// DeleteWebSessions implements auth.SessionStore.
func (s *Store) DeleteWebSessions(ctx context.Context, holder string) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cWebSessions).DeleteMany(ctx, bson.M{"h": holder})
	if err != nil {
		return 0, translate(err)
	}
	return int(res.DeletedCount), nil
}

// SweepWebSessions implements auth.SessionStore.
func (s *Store) SweepWebSessions(ctx context.Context, idle, created time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cWebSessions).DeleteMany(ctx, bson.M{"$or": bson.A{
		bson.M{"ls": bson.M{"$lt": idle.UnixNano()}},
		bson.M{"cr": bson.M{"$lt": created.UnixNano()}},
	}})
	if err != nil {
		return 0, translate(err)
	}
	return int(res.DeletedCount), nil
}

// Link implements auth.LinkStore.
func (s *Store) Link(ctx context.Context, issuer, subject string) (string, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var doc struct {
		Account string `bson:"a"`
	}
	err := s.db.Collection(cIdentities).FindOne(ctx, bson.M{"_id": issuer + "\x00" + subject}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", auth.ErrNotLinked
	}
	if err != nil {
		return "", translate(err)
	}
	return doc.Account, nil
}

// PutLink implements auth.LinkStore. The insert under the identity's key
// is the one atomic step: of two racing links, one wins and the other
// reads it.
func (s *Store) PutLink(ctx context.Context, issuer, subject, accountID string) error {
	if issuer == "" || subject == "" || accountID == "" {
		return errors.New("identity link: issuer, subject and account must not be empty")
	}
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cIdentities).InsertOne(cctx, bson.M{"_id": issuer + "\x00" + subject, "a": accountID})
	if err == nil {
		return nil
	}
	if !isDuplicate(err) {
		return translate(err)
	}
	linked, err := s.Link(ctx, issuer, subject)
	if err != nil {
		return err
	}
	if linked != accountID {
		return auth.ErrLinked
	}
	return nil
}

// AddDevice implements auth.DeviceStore.
func (s *Store) AddDevice(ctx context.Context, accountID string, d auth.Device) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cDevices).InsertOne(ctx, bson.M{"_id": accountID + "\x00" + d.Key, "a": accountID, "f": d.First.UnixNano(), "j": encode(d)})
	if err == nil {
		return true, nil
	}
	if isDuplicate(err) {
		return false, nil
	}
	return false, translate(err)
}

// Devices implements auth.DeviceStore.
func (s *Store) Devices(ctx context.Context, accountID string) ([]auth.Device, error) {
	out, err := findAll[auth.Device](ctx, s, cDevices, bson.M{"a": accountID}, options.Find().SetSort(bson.D{{Key: "f", Value: -1}}))
	slices.SortStableFunc(out, func(a, b auth.Device) int { return b.First.Compare(a.First) })
	return out, err
}

// isDuplicate reports whether err is a unique-key violation, as MongoDB
// and FerretDB each report it.
func isDuplicate(err error) bool {
	return errors.Is(translate(err), marketplace.ErrConflict)
}
