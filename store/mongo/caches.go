package mongo

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/skills"
)

// What a replica keeps in memory besides its search index, and how the
// change feed keeps it in step with the other replicas' writes:
//
//   - the embedded skills graph: each PutGraph records the _ids of the
//     records it wrote and the edges it deleted ("graph"); followers read
//     those records back and apply them in memory. A write of more than
//     maxGraphIDs records (an import) records "graph-reload" instead, on
//     which followers read the whole graph again, once per poll;
//   - the neutrality indicators, measured by one replica per tick (the
//     job's lease): the measuring replica publishes them ("neutrality"),
//     the others take them, so that every replica shows the same figures.
const (
	changeGraph       = "graph"
	changeGraphReload = "graph-reload"
	changeNeutrality  = "neutrality"
)

// maxGraphIDs is the most graph records one change lists.
const maxGraphIDs = 1000

// GraphFollower is a replica's in-memory skills graph, which Follow keeps
// up to date with the graph records other processes write: Refresh
// applies records read back from the store (in memory only), Reload reads
// the whole graph again.
type GraphFollower interface {
	Refresh(b skills.Batch)
	Reload(ctx context.Context) error
}

// NeutralityFollower takes the neutrality indicators another replica
// published.
type NeutralityFollower interface {
	SetNeutrality(ind search.Indicators)
}

// graphChanged records a graph write for the other replicas.
func (s *Store) graphChanged(ctx context.Context, ids []string, deleted []skills.Edge) error {
	if len(ids)+len(deleted) == 0 {
		return nil
	}
	if len(ids)+len(deleted) > maxGraphIDs {
		return s.record(ctx, change{Kind: changeGraphReload})
	}
	c := change{Kind: changeGraph, IDs: ids}
	if len(deleted) > 0 {
		c.J = encode(deleted)
	}
	return s.record(ctx, c)
}

// refreshGraph reads back the records of a graph change and gives them,
// with the edges it deleted, to g.
func (s *Store) refreshGraph(ctx context.Context, c change, g GraphFollower) error {
	var b skills.Batch
	if len(c.J) > 0 {
		if err := json.Unmarshal(c.J, &b.DeleteEdges); err != nil {
			return fmt.Errorf("change %d: corrupt record: %w", c.Seq, err)
		}
	}
	if len(c.IDs) > 0 {
		cctx, cancel := s.ctx(ctx)
		defer cancel()
		cur, err := s.db.Collection(cGraph).Find(cctx, bson.M{"_id": bson.M{"$in": c.IDs}})
		if err != nil {
			return translate(err)
		}
		defer cur.Close(cctx)
		for cur.Next(cctx) {
			var r struct {
				K string `bson:"k"`
				J []byte `bson:"j"`
			}
			if err := cur.Decode(&r); err != nil {
				return translate(err)
			}
			if err := addGraphRecord(&b, r.K, r.J); err != nil {
				return err
			}
		}
		if err := cur.Err(); err != nil {
			return translate(err)
		}
	}
	g.Refresh(b)
	return nil
}

// neutralityDoc is the meta document holding the published indicators.
const neutralityDoc = "neutrality"

// PublishNeutrality stores the indicators a replica measured and tells
// the others.
func (s *Store) PublishNeutrality(ctx context.Context, ind search.Indicators) error {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cMeta).ReplaceOne(cctx, bson.M{"_id": neutralityDoc}, bson.M{"j": encode(ind)}, options.Replace().SetUpsert(true))
	if err != nil {
		return translate(err)
	}
	return s.record(ctx, change{Kind: changeNeutrality})
}

// Neutrality returns the last published indicators; false if none.
func (s *Store) Neutrality(ctx context.Context) (search.Indicators, bool, error) {
	var ind search.Indicators
	err := s.findOne(ctx, cMeta, bson.M{"_id": neutralityDoc}, &ind)
	if errors.Is(err, marketplace.ErrNotFound) {
		return ind, false, nil
	}
	return ind, err == nil, err
}

func (s *Store) refreshNeutrality(ctx context.Context, n NeutralityFollower) error {
	ind, ok, err := s.Neutrality(ctx)
	if ok {
		n.SetNeutrality(ind)
	}
	return err
}

// ErrKeysDiffer is returned by CheckKeys when this process's secrets are
// not those the database was written with.
var ErrKeysDiffer = errors.New("this replica's secrets are not those of the other replicas of the database")

// CheckKeys records the fingerprint of the instance's secrets on first
// use of the database, and then refuses a process whose secrets differ:
// every replica must hold the same keys, or a token minted by one would
// not verify on another, and worse, one NIR would hash to two accounts.
func (s *Store) CheckKeys(ctx context.Context, fingerprint string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	meta := s.db.Collection(cMeta)
	_, err := meta.InsertOne(ctx, bson.M{"_id": "keys", "fp": fingerprint})
	if err == nil {
		return nil
	}
	if !mongo.IsDuplicateKeyError(err) && !errors.Is(translate(err), marketplace.ErrConflict) {
		return translate(err)
	}
	var d struct {
		FP string `bson:"fp"`
	}
	if err := meta.FindOne(ctx, bson.M{"_id": "keys"}).Decode(&d); err != nil {
		return translate(err)
	}
	if subtle.ConstantTimeCompare([]byte(d.FP), []byte(fingerprint)) != 1 {
		return ErrKeysDiffer
	}
	return nil
}
