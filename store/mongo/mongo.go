// Package mongo is the storage backend for running several stateless
// replicas of Parcours over one MongoDB database (replica set or sharded
// cluster). It implements every store interface of the domain packages.
//
// It uses no multi-document transaction, so that it runs on FerretDB 1.24
// (the test server) and stays correct on a sharded cluster: every write is
// a single-document atomic update, with conditions where a check matters
// (optimistic concurrency, balance guards). Money operations, which touch
// several documents, are written to a journal first and applied step by
// step with markers that make each step idempotent; a recovery pass rolls
// forward or compensates any operation a crash interrupted (enrolment.go).
//
// Domain records are kept as their JSON encoding in field "j", next to the
// few fields that queries filter or sort on, each with an index: the JSON
// round-trips every domain type exactly (nanosecond times, maps, arrays)
// without storage tags on domain types.
package mongo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
)

// Config says where the database is.
type Config struct {
	URI            string        // mongodb:// URI, credentials included (from the environment)
	Database       string        // database name
	ConnectTimeout time.Duration // connecting and the first ping; 10 s when zero
	OpTimeout      time.Duration // each store call; 10 s when zero
}

// Store is the MongoDB backend. It is safe for concurrent use, by several
// goroutines and several processes on one database.
type Store struct {
	client    *mongo.Client
	db        *mongo.Database
	opTimeout time.Duration
	ownClient bool
	// racesLost counts ledger postings that lost the race for their
	// account's next entry number and tried again: the contention on hot
	// accounts (RacesLost).
	racesLost atomic.Int64
}

// RacesLost returns how many ledger postings of this process lost the
// race for their account's next entry number to another writer and had to
// try again.
func (s *Store) RacesLost() int64 { return s.racesLost.Load() }

var (
	_ marketplace.Store  = (*Store)(nil)
	_ marketplace.Loader = (*Store)(nil)
)

// Collection names.
const (
	cProviders    = "providers"
	cOffers       = "offers"
	cSessions     = "sessions"
	cAccounts     = "accounts"
	cClaims       = "claims"
	cEntries      = "ledger_entries"
	cJournal      = "journal"
	cDossiers     = "dossiers"
	cRules        = "topup_rules"
	cEvaluations  = "evaluations"
	cDeclarations = "declarations"
	cCounters     = "counters"
	cChanges      = "changes"
	cLeases       = "leases"
	cMeta         = "meta"
	cGraph        = "graph"
	cReplicas     = "replicas" // each replica's position in the change feed
)

// schemaVersion is recorded in the meta collection; Open refuses a
// database written by a newer program.
const schemaVersion = 1

// Open connects to the database, creates the collections' indexes if
// needed (idempotently: several replicas may start at once) and checks the
// schema version.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	client, err := mongo.Connect(options.Client().ApplyURI(cfg.URI).SetConnectTimeout(cfg.ConnectTimeout).
		SetServerSelectionTimeout(cfg.ConnectTimeout))
	if err != nil {
		return nil, fmt.Errorf("connecting to MongoDB: %w", translate(err))
	}
	s, err := New(ctx, client, cfg)
	if err != nil {
		client.Disconnect(context.Background())
		return nil, err
	}
	s.ownClient = true
	return s, nil
}

// New is Open on an existing client, which Close leaves connected.
func New(ctx context.Context, client *mongo.Client, cfg Config) (*Store, error) {
	if cfg.Database == "" {
		return nil, errors.New("mongo: no database name")
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = 10 * time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	s := &Store{client: client, db: client.Database(cfg.Database), opTimeout: cfg.OpTimeout}
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if err := client.Ping(cctx, nil); err != nil {
		return nil, fmt.Errorf("MongoDB does not answer: %w", translate(err))
	}
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

type index struct {
	coll   string
	keys   bson.D
	unique bool
}

// indexes lists every index: each query of this package uses one.
var indexes = []index{
	{cProviders, bson.D{{Key: "siret", Value: 1}}, true},
	{cOffers, bson.D{{Key: "p", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cOffers, bson.D{{Key: "r", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cOffers, bson.D{{Key: "dep", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cOffers, bson.D{{Key: "c", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cOffers, bson.D{{Key: "s", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cSessions, bson.D{{Key: "o", Value: 1}, {Key: "start", Value: 1}}, false},
	{cAccounts, bson.D{{Key: "nir", Value: 1}}, true},
	{cEntries, bson.D{{Key: "a", Value: 1}, {Key: "s", Value: -1}}, false},
	{cEntries, bson.D{{Key: "a", Value: 1}, {Key: "k", Value: 1}}, true},
	{cJournal, bson.D{{Key: "st", Value: 1}, {Key: "at", Value: 1}}, false},
	{cDossiers, bson.D{{Key: "acc", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cDossiers, bson.D{{Key: "prov", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cDossiers, bson.D{{Key: "due", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cEvaluations, bson.D{{Key: "o", Value: 1}, {Key: "at", Value: -1}}, false},
	{cEvaluations, bson.D{{Key: "p", Value: 1}}, false},
	{cRules, bson.D{{Key: "f", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cChanges, bson.D{{Key: "seq", Value: 1}}, true},
	{cGraph, bson.D{{Key: "k", Value: 1}, {Key: "_id", Value: 1}}, false},
	{cLeases, bson.D{{Key: "run", Value: 1}, {Key: "gen", Value: -1}}, false},
	// Housekeeping (housekeeping.go).
	{cLeases, bson.D{{Key: "expires", Value: 1}}, false},
	{cClaims, bson.D{{Key: "at", Value: 1}}, false},
	{cChanges, bson.D{{Key: "at", Value: 1}}, false},
}

func (s *Store) init(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	for _, ix := range slices.Concat(indexes, authIndexes, orgIndexes) {
		m := mongo.IndexModel{Keys: ix.keys}
		if ix.unique {
			m.Options = options.Index().SetUnique(true)
		}
		if _, err := s.db.Collection(ix.coll).Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("creating an index on %s: %w", ix.coll, translate(err))
		}
	}
	var meta struct {
		Schema int `bson:"schema"`
	}
	err := s.db.Collection(cMeta).FindOne(ctx, bson.M{"_id": "schema"}).Decode(&meta)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		_, err = s.db.Collection(cMeta).UpdateOne(ctx, bson.M{"_id": "schema"},
			bson.M{"$max": bson.M{"schema": schemaVersion}}, options.UpdateOne().SetUpsert(true))
		if err != nil && !mongo.IsDuplicateKeyError(err) {
			return translate(err)
		}
	case err != nil:
		return translate(err)
	case meta.Schema > schemaVersion:
		return fmt.Errorf("the database has schema version %d, this program knows up to %d", meta.Schema, schemaVersion)
	}
	return nil
}

// Close disconnects, when Open made the client.
func (s *Store) Close() error {
	if !s.ownClient {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.client.Disconnect(ctx)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return translate(s.client.Ping(ctx, nil))
}

// Database returns the database, for the leases and change feed of
// several replicas.
func (s *Store) Database() *mongo.Database { return s.db }

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opTimeout)
}

// ErrUnavailable wraps a failure of the database itself (network, timeout,
// server error): the domain sentinels say what the caller did wrong, this
// says the service could not answer.
var ErrUnavailable = fmt.Errorf("the database is unavailable: %w", marketplace.ErrUnavailable)

// translate turns driver errors into domain sentinels, so that no driver
// type reaches a handler.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return marketplace.ErrNotFound
	case mongo.IsDuplicateKeyError(err), strings.Contains(err.Error(), "UNIQUE constraint failed"):
		// FerretDB's SQLite handler reports a unique index violated by an
		// update as an internal error.
		return marketplace.ErrConflict
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("%w: %s", ErrUnavailable, err.Error())
}

// rec is a stored domain record: its JSON in field j.
type rec struct {
	ID string `bson:"_id"`
	J  []byte `bson:"j"`
}

func encode(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // domain types always encode
	}
	return data
}

func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("corrupt record: %w", err)
	}
	return nil
}

// findOne decodes the record with id into v.
func (s *Store) findOne(ctx context.Context, coll string, filter any, v any) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var r rec
	if err := s.db.Collection(coll).FindOne(ctx, filter).Decode(&r); err != nil {
		return translate(err)
	}
	return decode(r.J, v)
}

// findAll decodes every record the query returns, calling add for each.
func findAll[T any](ctx context.Context, s *Store, coll string, filter any, opts *options.FindOptionsBuilder) ([]T, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cur, err := s.db.Collection(coll).Find(ctx, filter, opts)
	if err != nil {
		return nil, translate(err)
	}
	defer cur.Close(ctx)
	var out []T
	for cur.Next(ctx) {
		var r rec
		if err := cur.Decode(&r); err != nil {
			return nil, translate(err)
		}
		var v T
		if err := decode(r.J, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, translate(cur.Err())
}

// chunk is the most statements sent in one bulk write: FerretDB 1.24
// deadlocks on updates of 50 statements or more.
const chunk = 40

// bulk writes models in chunks, unordered within a chunk.
func (s *Store) bulk(ctx context.Context, coll string, models []mongo.WriteModel) error {
	for i := 0; i < len(models); i += chunk {
		cctx, cancel := s.ctx(ctx)
		_, err := s.db.Collection(coll).BulkWrite(cctx, models[i:min(i+chunk, len(models))], options.BulkWrite().SetOrdered(false))
		cancel()
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// timeKey formats an instant so that string order is time order.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// replaceIf replaces the document whose _id and version field equal
// filter's, reporting whether it did. FerretDB 1.24 checks an update's
// filter and writes in two steps (even findAndModify), so concurrent
// updates of one version could all win: the writer first claims the
// version by inserting a claim document under a unique _id, which only
// one writer can do, then replaces the record. Claims are tiny and kept.
func (s *Store) replaceIf(ctx context.Context, coll string, filter bson.M, doc any) (bool, error) {
	id := fmt.Sprintf("%s:%v@%v", coll, filter["_id"], filter["u"])
	if err := s.claim(ctx, id, fmt.Sprint(time.Now().UnixNano(), "-", claimSalt.Add(1))); err != nil {
		if errors.Is(err, marketplace.ErrConflict) {
			return false, nil
		}
		return false, err
	}
	res, err := s.db.Collection(coll).ReplaceOne(ctx, filter, doc)
	if err != nil {
		s.db.Collection(cClaims).DeleteOne(ctx, bson.M{"_id": id})
		return false, translate(err)
	}
	return res.MatchedCount > 0, nil
}

var claimSalt atomic.Int64

// bigChunk is the most documents inserted at once by replaceAll.
const bigChunk = 1000

// replaceAll writes docs (each with an "_id"), replacing any stored under
// the same ids: per chunk, one unordered insert, then one replacement
// for each document the insert found already there. New records, the
// bulk of an import, thus cost one statement per chunk rather than one
// each (FerretDB makes every statement its own SQLite transaction, and
// cannot push a $in filter down to its index).
func (s *Store) replaceAll(ctx context.Context, coll string, docs []bson.M) error {
	c := s.db.Collection(coll)
	for i := 0; i < len(docs); i += bigChunk {
		part := docs[i:min(i+bigChunk, len(docs))]
		cctx, cancel := s.ctx(ctx)
		_, err := c.InsertMany(cctx, part, options.InsertMany().SetOrdered(false))
		cancel()
		var bw mongo.BulkWriteException
		if err != nil && !errors.As(err, &bw) {
			return translate(err)
		}
		if err == nil {
			continue
		}
		for _, we := range bw.WriteErrors {
			if !mongo.IsDuplicateKeyError(we) && !strings.Contains(we.Message, "UNIQUE constraint") && we.Code != 11000 {
				return translate(err)
			}
			d := part[we.Index]
			cctx, cancel := s.ctx(ctx)
			_, err := c.ReplaceOne(cctx, bson.M{"_id": d["_id"]}, d)
			cancel()
			if err != nil {
				return translate(err)
			}
		}
	}
	return nil
}
