package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/profiles/tlog"
)

var _ tlog.Store = (*TransparencyLog)(nil)

// Buckets of the transparency log: the hashes of its complete subtrees,
// keyed by level (1 byte) and index (8 bytes, big-endian), and its size.
var (
	bTlogNodes = []byte("tlog_nodes")
	bTlogMeta  = []byte("tlog_meta") // "size" -> 8 bytes; "checkpoint@" + size -> signed checkpoint
)

func init() { allBuckets = append(allBuckets, bTlogNodes, bTlogMeta) }

// TransparencyLog is the transparency log's storage (tlog.Store) in the
// store file. Append checks the size and writes the nodes in one
// transaction.
type TransparencyLog struct{ s *Store }

// TransparencyLog returns the store's transparency log storage.
func (s *Store) TransparencyLog() *TransparencyLog { return &TransparencyLog{s} }

var tlogSizeKey = []byte("size")

func nodeKey(id tlog.NodeID) []byte {
	k := make([]byte, 9)
	k[0] = id.Level
	binary.BigEndian.PutUint64(k[1:], id.Index)
	return k
}

func tlogSize(tx *bbolt.Tx) uint64 {
	if v := tx.Bucket(bTlogMeta).Get(tlogSizeKey); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// Size implements tlog.Store.
func (l *TransparencyLog) Size(ctx context.Context) (uint64, error) {
	var n uint64
	err := l.s.db.View(func(tx *bbolt.Tx) error { n = tlogSize(tx); return nil })
	return n, err
}

// Append implements tlog.Store.
func (l *TransparencyLog) Append(ctx context.Context, oldSize, newSize uint64, nodes []tlog.Node) error {
	return l.s.db.Update(func(tx *bbolt.Tx) error {
		if tlogSize(tx) != oldSize {
			return tlog.ErrConflict
		}
		b := tx.Bucket(bTlogNodes)
		for _, n := range nodes {
			if err := b.Put(nodeKey(n.ID), n.Hash[:]); err != nil {
				return err
			}
		}
		return tx.Bucket(bTlogMeta).Put(tlogSizeKey, binary.BigEndian.AppendUint64(nil, newSize))
	})
}

// Nodes implements tlog.Store.
func (l *TransparencyLog) Nodes(ctx context.Context, ids []tlog.NodeID) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ids))
	err := l.s.db.View(func(tx *bbolt.Tx) error {
		size := tlogSize(tx)
		b := tx.Bucket(bTlogNodes)
		for i, id := range ids {
			v := b.Get(nodeKey(id))
			if len(v) != tlog.HashSize || (id.Index+1)<<id.Level > size {
				return fmt.Errorf("transparency log: node %d/%d is not stored", id.Level, id.Index)
			}
			copy(out[i][:], v)
		}
		return nil
	})
	return out, err
}

var checkpointPrefix = []byte("checkpoint@")

// SaveCheckpoint keeps a signed checkpoint (its text) for its tree size.
func (l *TransparencyLog) SaveCheckpoint(ctx context.Context, size uint64, text []byte) error {
	return l.s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bTlogMeta).Put(checkpointKeyAt(size), text) })
}

func checkpointKeyAt(size uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), checkpointPrefix...), size)
}

// Checkpoint returns the checkpoint of the largest tree size, nil if none.
func (l *TransparencyLog) Checkpoint(ctx context.Context) ([]byte, error) {
	var out []byte
	err := l.s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bTlogMeta).Cursor()
		k, v := c.Seek(checkpointKeyAt(1<<64 - 1))
		if k == nil || !bytes.HasPrefix(k, checkpointPrefix) || len(k) != len(checkpointPrefix)+8 {
			k, v = c.Prev()
		}
		if k != nil && bytes.HasPrefix(k, checkpointPrefix) {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// CheckpointAt returns the signed checkpoint published for a tree size,
// nil if none was.
func (l *TransparencyLog) CheckpointAt(ctx context.Context, size uint64) ([]byte, error) {
	var out []byte
	err := l.s.db.View(func(tx *bbolt.Tx) error {
		out = append([]byte(nil), tx.Bucket(bTlogMeta).Get(checkpointKeyAt(size))...)
		return nil
	})
	if len(out) == 0 {
		return nil, nil
	}
	return out, err
}
