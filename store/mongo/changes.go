package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
)

// The change feed lets replicas see each other's catalogue writes without
// change streams (which FerretDB lacks): after each catalogue write, the
// writer takes the next number of a counter document ($inc, atomic) and
// inserts a change {seq, kind, id}. Each replica polls for changes above
// the last number it saw and re-reads the changed offers into its
// observers (the search index). A number taken by a writer that crashed
// before inserting its change leaves a gap, which pollers skip.
const (
	changeOffer  = "offer"  // an offer or its sessions changed: re-read it
	changeReload = "reload" // a bulk load: rebuild everything
)

type change struct {
	Seq  int64    `bson:"seq"`
	Kind string   `bson:"kind"`
	ID   string   `bson:"id"`
	At   string   `bson:"at"`
	IDs  []string `bson:"ids,omitempty"` // graph records written (caches.go)
	J    []byte   `bson:"j,omitempty"`   // graph edges deleted, as JSON (caches.go)
}

// nextSeq returns the next number of counter name.
func (s *Store) nextSeq(ctx context.Context, name string, n int64) (int64, error) {
	var c struct {
		N int64 `bson:"n"`
	}
	err := s.db.Collection(cCounters).FindOneAndUpdate(ctx, bson.M{"_id": name}, bson.M{"$inc": bson.M{"n": n}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&c)
	if err != nil {
		return 0, translate(err)
	}
	return c.N, nil
}

// changed records a catalogue change for the other replicas.
func (s *Store) changed(ctx context.Context, kind, id string) error {
	return s.record(ctx, change{Kind: kind, ID: id})
}

// record appends c to the change feed under the next number.
func (s *Store) record(ctx context.Context, c change) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	seq, err := s.nextSeq(ctx, cChanges, 1)
	if err != nil {
		return fmt.Errorf("recording a change: %w", err)
	}
	doc := bson.M{"_id": seq, "seq": seq, "kind": c.Kind, "id": c.ID, "at": timeKey(time.Now())}
	if len(c.IDs) > 0 {
		doc["ids"] = c.IDs
	}
	if len(c.J) > 0 {
		doc["j"] = c.J
	}
	_, err = s.db.Collection(cChanges).InsertOne(ctx, doc)
	return translate(err)
}

// LastChange returns the number of the latest change, 0 if none: a
// replica reads it before building its index, then follows from it.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var c change
	err := s.db.Collection(cChanges).FindOne(ctx, bson.M{}, options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	return c.Seq, translate(err)
}

// Follow polls the change feed every interval from change number after
// (exclusive) until ctx ends, and tells obs of every changed offer:
// OfferSaved with its current record and sessions, or OfferDeleted when it
// is gone. A bulk load calls rebuild, and so does finding that entries
// this replica had not read were purged (housekeeping.go). Changes this
// replica wrote itself come back too; observers take a repeated
// OfferSaved as an update. Errors are logged and the poll retried. The
// replica's position is recorded in the database, so that housekeeping
// purges only what every live replica has read.
func (s *Store) Follow(ctx context.Context, after int64, interval time.Duration, obs marketplace.Observer, rebuild func(context.Context) error, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	id := newReplicaID()
	defer s.forgetReplica(id)
	recorded, recordedAt := int64(-1), time.Time{}
	for {
		if after != recorded || time.Since(recordedAt) >= replicaBeat {
			if err := s.recordPosition(ctx, id, after, interval); err != nil && ctx.Err() == nil {
				log.Warn("recording the change feed position", "err", err)
			} else {
				recorded, recordedAt = after, time.Now()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next, err := s.Poll(ctx, after, obs, rebuild)
		if err != nil && ctx.Err() == nil {
			log.Warn("following the change feed", "err", err)
		}
		after = next
	}
}

// Poll applies the changes numbered above after to obs and returns the
// last number applied.
func (s *Store) Poll(ctx context.Context, after int64, obs marketplace.Observer, rebuild func(context.Context) error) (int64, error) {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	// Entries this replica had not read were purged: start again from the
	// store, from the feed's position before the rebuild.
	if horizon, err := s.purgedHorizon(cctx); err != nil {
		return after, err
	} else if after < horizon {
		last, err := s.LastChange(ctx)
		if err != nil {
			return after, err
		}
		if rebuild != nil {
			if err := rebuild(ctx); err != nil {
				return after, err
			}
		}
		return max(last, horizon), nil
	}
	cur, err := s.db.Collection(cChanges).Find(cctx, bson.M{"seq": bson.M{"$gt": after}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: 1}}).SetLimit(1000))
	if err != nil {
		return after, translate(err)
	}
	var cs []change
	if err := cur.All(cctx, &cs); err != nil {
		return after, translate(err)
	}
	// A graph reload in this poll covers every graph change of the poll:
	// done once, at the end.
	graph, _ := obs.(GraphFollower)
	reloadGraph := false
	for _, c := range cs {
		reloadGraph = reloadGraph || c.Kind == changeGraphReload
	}
	seen := map[string]bool{}
	for _, c := range cs {
		switch c.Kind {
		case changeReload:
			if rebuild != nil {
				if err := rebuild(ctx); err != nil {
					return after, err
				}
			}
		case changeOffer:
			if seen[c.ID] {
				break
			}
			seen[c.ID] = true
			o, err := s.Offer(ctx, c.ID)
			switch {
			case errors.Is(err, marketplace.ErrNotFound):
				obs.OfferDeleted(c.ID)
			case err != nil:
				return after, err
			default:
				ss, err := s.Sessions(ctx, c.ID)
				if err != nil {
					return after, err
				}
				obs.OfferSaved(o, ss)
			}
		case changeGraph:
			if graph != nil && !reloadGraph {
				if err := s.refreshGraph(ctx, c, graph); err != nil {
					return after, err
				}
			}
		case changeNeutrality:
			if n, ok := obs.(NeutralityFollower); ok {
				if err := s.refreshNeutrality(ctx, n); err != nil {
					return after, err
				}
			}
		}
		if !reloadGraph {
			after = c.Seq
		}
	}
	if reloadGraph {
		if graph != nil {
			if err := graph.Reload(ctx); err != nil {
				return after, err
			}
		}
		after = cs[len(cs)-1].Seq
	}
	return after, nil
}
