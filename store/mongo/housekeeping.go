package mongo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
)

// Housekeeping: what replicas write for each other (change feed entries,
// their positions in it, job leases, version claims) and the clients'
// idempotency records are kept only as long as someone may need them.
// The purges run as one scheduled job, once per tick across replicas.

var _ marketplace.JournalPurger = (*Store)(nil)

// counterChangesPurged is the counter document holding the highest change
// number ever purged: a replica that had not read that far rebuilds its
// index rather than miss the purged changes.
const counterChangesPurged = "changes_purged"

// replicaDoc is a replica's position in the change feed: the last change
// it applied, when it last said so, and how often it polls.
type replicaDoc struct {
	ID    string `bson:"_id"`
	Seq   int64  `bson:"seq"`
	At    string `bson:"at"`
	Every int64  `bson:"every"` // poll interval, in nanoseconds
}

// replicaBeat is how often a replica whose position does not move still
// records it, so that the others know it is alive.
const replicaBeat = 10 * time.Second

// newReplicaID names one follower of the change feed.
func newReplicaID() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%d", h, os.Getpid(), time.Now().UnixNano())
}

// recordPosition upserts the replica's position.
func (s *Store) recordPosition(ctx context.Context, id string, seq int64, every time.Duration) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cReplicas).UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"seq": seq, "at": timeKey(time.Now()), "every": int64(every)}}, options.UpdateOne().SetUpsert(true))
	return translate(err)
}

// forgetReplica deletes a replica's position when it stops following.
func (s *Store) forgetReplica(id string) {
	ctx, cancel := s.ctx(context.Background())
	defer cancel()
	s.db.Collection(cReplicas).DeleteOne(ctx, bson.M{"_id": id})
}

// purgedHorizon returns the highest change number purged, 0 if none.
func (s *Store) purgedHorizon(ctx context.Context) (int64, error) {
	var c struct {
		N int64 `bson:"n"`
	}
	err := s.db.Collection(cCounters).FindOne(ctx, bson.M{"_id": counterChangesPurged}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	return c.N, translate(err)
}

// PurgeChanges deletes the change feed entries that every live replica
// has applied, and any entry written before before whoever has not read
// it. A replica is live when it recorded its position within three of its
// poll intervals (and at least a minute); a replica's position not
// recorded since before is deleted. It returns how many entries it
// deleted.
func (s *Store) PurgeChanges(ctx context.Context, before time.Time) (int, error) {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	cur, err := s.db.Collection(cReplicas).Find(cctx, bson.M{})
	if err != nil {
		return 0, translate(err)
	}
	var rs []replicaDoc
	if err := cur.All(cctx, &rs); err != nil {
		return 0, translate(err)
	}
	now := time.Now()
	upTo := int64(-1) // entries numbered below upTo have been read by every live replica
	for _, r := range rs {
		at, err := time.Parse("2006-01-02T15:04:05.000000000Z", r.At)
		if err != nil {
			continue
		}
		if at.Before(before) {
			if _, err := s.db.Collection(cReplicas).DeleteOne(cctx, bson.M{"_id": r.ID, "at": r.At}); err != nil {
				return 0, translate(err)
			}
			continue
		}
		if now.Sub(at) > max(time.Minute, 3*time.Duration(r.Every)) {
			continue // not live: it rebuilds if it comes back behind the horizon
		}
		if upTo < 0 || r.Seq < upTo {
			upTo = r.Seq
		}
	}
	// Old entries go whoever has not read them; read ones go too, but the
	// latest entry stays, so that LastChange stays exact.
	var last change
	err = s.db.Collection(cChanges).FindOne(cctx, bson.M{}, options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&last)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, translate(err)
	}
	var purge bson.A
	purge = append(purge, bson.M{"at": bson.M{"$lt": timeKey(before)}})
	if upTo > 0 {
		purge = append(purge, bson.M{"seq": bson.M{"$lt": upTo}})
	}
	filter := bson.M{"$and": bson.A{bson.M{"$or": purge}, bson.M{"seq": bson.M{"$lt": last.Seq}}}}
	// The horizon: the highest number about to be deleted, recorded first,
	// so that a replica behind it learns of the purge before it can miss
	// an entry.
	var top change
	err = s.db.Collection(cChanges).FindOne(cctx, filter, options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&top)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, translate(err)
	}
	if _, err := s.db.Collection(cCounters).UpdateOne(cctx, bson.M{"_id": counterChangesPurged},
		bson.M{"$max": bson.M{"n": top.Seq}}, options.UpdateOne().SetUpsert(true)); err != nil {
		return 0, translate(err)
	}
	res, err := s.db.Collection(cChanges).DeleteMany(cctx, bson.M{"$and": bson.A{filter, bson.M{"seq": bson.M{"$lte": top.Seq}}}})
	if err != nil {
		return 0, translate(err)
	}
	return int(res.DeletedCount), nil
}

// PurgeLeases deletes the job leases that expired before before: their
// ticks are long past, and no scheduler asks for a tick that old.
func (s *Store) PurgeLeases(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cLeases).DeleteMany(ctx, bson.M{"expires": bson.M{"$lt": timeKey(before)}})
	if err != nil {
		return 0, translate(err)
	}
	return int(res.DeletedCount), nil
}

// PurgeClaims deletes the version claims taken before before. A claim
// only serialises the writers of one version of a record while they race;
// once the record has moved on, a writer of that version is refused by
// the version check anyway. before must leave every interrupted
// operation time to be recovered (the configuration enforces ten times
// store.mongo.recover_after). Claims written by versions of Parcours
// that did not date them are kept.
func (s *Store) PurgeClaims(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cClaims).DeleteMany(ctx, bson.M{"at": bson.M{"$lt": timeKey(before)}})
	if err != nil {
		return 0, translate(err)
	}
	return int(res.DeletedCount), nil
}

// PurgeJournal implements marketplace.JournalPurger: finished records
// whose key starts with prefix and whose last attempt was before before.
// A pending record is Recover's, never purged here.
func (s *Store) PurgeJournal(ctx context.Context, prefix string, before time.Time) (int, error) {
	if prefix == "" {
		return 0, errors.New("purging the journal needs a key prefix")
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	upper := prefix[:len(prefix)-1] + string(rune(prefix[len(prefix)-1]+1))
	res, err := s.db.Collection(cJournal).DeleteMany(ctx, bson.M{
		"_id": bson.M{"$gte": prefix, "$lt": upper}, "st": stateDone, "at": bson.M{"$lt": timeKey(before)},
	})
	if err != nil {
		return 0, translate(err)
	}
	return int(res.DeletedCount), nil
}
