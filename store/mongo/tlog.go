package mongo

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles/tlog"
)

var _ tlog.Store = (*TransparencyLog)(nil)

// Collections of the transparency log.
const (
	// cTlogAppends holds one document per append, under the size the log
	// had before it: inserting it is what appends, so that of two
	// replicas appending at the same size only one succeeds (a unique _id
	// is the only atomic check FerretDB offers), and the document carries
	// the nodes the append completes. An append's document never changes.
	cTlogAppends = "tlog_appends"
	// cTlogCheckpoints holds the signed checkpoints by tree size.
	cTlogCheckpoints = "tlog_checkpoints"
	// cTlogHead holds one document, a recent size of the log.
	cTlogHead = "tlog_head"
)

// maxAppendLeaves bounds the entries of one append: an append's document
// then stays small (about 82 bytes an entry), and a subtree's append is
// found by a point lookup or a bounded range of _id.
const maxAppendLeaves = 1000

// TransparencyLog is the transparency log's storage (tlog.Store) on
// MongoDB. Safe for concurrent use by several replicas.
type TransparencyLog struct {
	s *Store
	// appends caches append documents by their old size: they are
	// immutable once inserted.
	mu      sync.Mutex
	appends map[uint64]*tlogAppend
}

type tlogAppend struct {
	Old   int64  `bson:"_id"`
	New   int64  `bson:"n"`
	Nodes []byte `bson:"nodes"` // level (1 byte), index (8), hash (32) per node
}

// TransparencyLog returns the store's transparency log storage.
func (s *Store) TransparencyLog() *TransparencyLog {
	return &TransparencyLog{s: s, appends: map[uint64]*tlogAppend{}}
}

// Size implements tlog.Store. A head document remembers a recent size;
// the appends after it are followed by their _id (the size each one
// started from), so that a head left behind by a crash or a concurrent
// update is caught up, and every step is a point lookup.
func (l *TransparencyLog) Size(ctx context.Context) (uint64, error) {
	ctx, cancel := l.s.ctx(ctx)
	defer cancel()
	var head struct {
		N int64 `bson:"n"`
	}
	err := l.s.db.Collection(cTlogHead).FindOne(ctx, bson.M{"_id": "head"}).Decode(&head)
	if err = translate(err); err != nil && !errors.Is(err, marketplace.ErrNotFound) {
		return 0, err
	}
	n, steps := head.N, 0
	for ; ; steps++ {
		var a tlogAppend
		err := l.s.db.Collection(cTlogAppends).FindOne(ctx, bson.M{"_id": n}, options.FindOne().SetProjection(bson.M{"n": 1})).Decode(&a)
		if err = translate(err); errors.Is(err, marketplace.ErrNotFound) {
			break
		} else if err != nil {
			return 0, err
		}
		n = a.New
	}
	if steps > 0 {
		l.advanceHead(ctx, n)
	}
	return uint64(n), nil
}

// advanceHead records a size reached. It may fail or lose a race: Size
// catches up from any earlier head.
func (l *TransparencyLog) advanceHead(ctx context.Context, n int64) {
	l.s.db.Collection(cTlogHead).UpdateOne(ctx, bson.M{"_id": "head"}, bson.M{"$max": bson.M{"n": n}}, options.UpdateOne().SetUpsert(true))
}

// Append implements tlog.Store.
func (l *TransparencyLog) Append(ctx context.Context, oldSize, newSize uint64, nodes []tlog.Node) error {
	if newSize-oldSize > maxAppendLeaves {
		return fmt.Errorf("transparency log: %d entries in one append, at most %d: append in smaller batches", newSize-oldSize, maxAppendLeaves)
	}
	size, err := l.Size(ctx)
	if err != nil {
		return err
	}
	if size != oldSize {
		return tlog.ErrConflict
	}
	buf := make([]byte, 0, len(nodes)*(9+tlog.HashSize))
	for _, n := range nodes {
		buf = append(buf, n.ID.Level)
		buf = binary.BigEndian.AppendUint64(buf, n.ID.Index)
		buf = append(buf, n.Hash[:]...)
	}
	ictx, cancel := l.s.ctx(ctx)
	defer cancel()
	_, err = l.s.db.Collection(cTlogAppends).InsertOne(ictx, tlogAppend{Old: int64(oldSize), New: int64(newSize), Nodes: buf})
	if err = translate(err); errors.Is(err, marketplace.ErrConflict) {
		return tlog.ErrConflict
	} else if err != nil {
		return err
	}
	l.advanceHead(ictx, int64(newSize))
	return nil
}

// Nodes implements tlog.Store. A complete subtree is written by the append
// that added its last leaf: the append with the greatest old size below
// that leaf's end.
func (l *TransparencyLog) Nodes(ctx context.Context, ids []tlog.NodeID) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ids))
	for i, id := range ids {
		end := (id.Index + 1) << id.Level
		a, err := l.appendCovering(ctx, end)
		if err != nil {
			return nil, err
		}
		found := false
		for p := 0; p+9+tlog.HashSize <= len(a.Nodes); p += 9 + tlog.HashSize {
			if a.Nodes[p] == id.Level && binary.BigEndian.Uint64(a.Nodes[p+1:]) == id.Index {
				copy(out[i][:], a.Nodes[p+9:p+9+tlog.HashSize])
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("transparency log: node %d/%d is not stored", id.Level, id.Index)
		}
	}
	return out, nil
}

func (l *TransparencyLog) appendCovering(ctx context.Context, end uint64) (*tlogAppend, error) {
	l.mu.Lock()
	for old := end - 1; ; old-- { // a cached append from old covers end if old < end <= new
		if a, ok := l.appends[old]; ok && uint64(a.New) >= end {
			l.mu.Unlock()
			return a, nil
		}
		if old == 0 || end-old >= maxAppendLeaves {
			break
		}
	}
	l.mu.Unlock()
	ctx, cancel := l.s.ctx(ctx)
	defer cancel()
	// Entries appended one at a time (the usual case): the append that
	// completed the subtree starts at its last leaf, a point lookup.
	// Otherwise the append started at most maxAppendLeaves before.
	var a tlogAppend
	err := l.s.db.Collection(cTlogAppends).FindOne(ctx, bson.M{"_id": int64(end - 1)}).Decode(&a)
	if errors.Is(translate(err), marketplace.ErrNotFound) {
		from := int64(0)
		if end > maxAppendLeaves {
			from = int64(end - maxAppendLeaves)
		}
		err = l.s.db.Collection(cTlogAppends).FindOne(ctx, bson.M{"_id": bson.M{"$gte": from, "$lt": int64(end)}},
			options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&a)
	}
	if err != nil {
		return nil, fmt.Errorf("transparency log: no append covers leaf %d: %w", end-1, translate(err))
	}
	if uint64(a.New) < end {
		return nil, fmt.Errorf("transparency log: leaf %d is beyond the log's size %d", end-1, a.New)
	}
	l.mu.Lock()
	if len(l.appends) > 100_000 {
		clear(l.appends)
	}
	l.appends[uint64(a.Old)] = &a
	l.mu.Unlock()
	return &a, nil
}

// SaveCheckpoint keeps a signed checkpoint (its text) for its tree size.
func (l *TransparencyLog) SaveCheckpoint(ctx context.Context, size uint64, text []byte) error {
	ctx, cancel := l.s.ctx(ctx)
	defer cancel()
	_, err := l.s.db.Collection(cTlogCheckpoints).ReplaceOne(ctx, bson.M{"_id": int64(size)}, bson.M{"t": text}, options.Replace().SetUpsert(true))
	return translate(err)
}

// Checkpoint returns the latest signed checkpoint, nil if none.
func (l *TransparencyLog) Checkpoint(ctx context.Context) ([]byte, error) {
	return l.checkpoint(ctx, bson.M{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}}))
}

// CheckpointAt returns the checkpoint published for a tree size, nil if none.
func (l *TransparencyLog) CheckpointAt(ctx context.Context, size uint64) ([]byte, error) {
	return l.checkpoint(ctx, bson.M{"_id": int64(size)}, nil)
}

func (l *TransparencyLog) checkpoint(ctx context.Context, filter bson.M, opts *options.FindOneOptionsBuilder) ([]byte, error) {
	ctx, cancel := l.s.ctx(ctx)
	defer cancel()
	var d struct {
		T []byte `bson:"t"`
	}
	var err error
	if opts != nil {
		err = l.s.db.Collection(cTlogCheckpoints).FindOne(ctx, filter, opts).Decode(&d)
	} else {
		err = l.s.db.Collection(cTlogCheckpoints).FindOne(ctx, filter).Decode(&d)
	}
	if err = translate(err); errors.Is(err, marketplace.ErrNotFound) {
		return nil, nil
	}
	return d.T, err
}
