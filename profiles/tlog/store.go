package tlog

import (
	"context"
	"fmt"
	"sync"
)

// NodeID names a complete subtree: the one at Level (0 = leaves) and
// Index covers the leaves [Index<<Level, (Index+1)<<Level). Its hash
// never changes once the subtree is complete, which is what makes the
// tree cheap to persist: a log of n leaves has fewer than 2n of them,
// written once each, and every proof or root is computed from O(log n) of
// them.
type NodeID struct {
	Level uint8
	Index uint64
}

// Node is a complete subtree's hash.
type Node struct {
	ID   NodeID
	Hash Hash
}

// Store persists the log: its size and the hashes of its complete
// subtrees. Implementations must be safe for concurrent use.
type Store interface {
	// Size returns the number of leaves.
	Size(ctx context.Context) (uint64, error)
	// Append records that the log grew from oldSize to newSize leaves,
	// with nodes the complete subtrees those leaves complete (leaf
	// hashes at level 0 included). It is atomic: either the size moves
	// from oldSize to newSize with the nodes readable, or nothing
	// visible changes and it returns an error — ErrConflict when the
	// stored size is not oldSize (another writer appended first).
	// Nodes within the stored size are immutable: an append that fails
	// must never overwrite them. Without transactions, one way is to
	// write the append as a single record inserted under the unique key
	// oldSize, holding the nodes (a second writer's insert fails with a
	// duplicate key: ErrConflict), and to read nodes by (level, index)
	// from committed records only.
	Append(ctx context.Context, oldSize, newSize uint64, nodes []Node) error
	// Nodes returns the hashes of the given complete subtrees, in order.
	// Every ID asked for is within the stored size; a missing one is an
	// error (the store is damaged).
	Nodes(ctx context.Context, ids []NodeID) ([]Hash, error)
}

// MemoryStore is a Store in memory. The zero value is an empty log.
// Safe for concurrent use.
type MemoryStore struct {
	mu     sync.RWMutex
	size   uint64
	levels [][]Hash // levels[l][i] is the hash of NodeID{l, i}
}

var _ Store = (*MemoryStore)(nil)

// Size implements Store.
func (m *MemoryStore) Size(context.Context) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.size, nil
}

// Append implements Store.
func (m *MemoryStore) Append(_ context.Context, oldSize, newSize uint64, nodes []Node) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.size != oldSize {
		return ErrConflict
	}
	for _, n := range nodes {
		for int(n.ID.Level) >= len(m.levels) {
			m.levels = append(m.levels, nil)
		}
		lv := m.levels[n.ID.Level]
		switch {
		case n.ID.Index < uint64(len(lv)):
			lv[n.ID.Index] = n.Hash
		case n.ID.Index == uint64(len(lv)):
			lv = append(lv, n.Hash)
		default:
			return fmt.Errorf("tlog: node %v leaves a gap in level %d", n.ID, n.ID.Level)
		}
		m.levels[n.ID.Level] = lv
	}
	m.size = newSize
	return nil
}

// Nodes implements Store.
func (m *MemoryStore) Nodes(_ context.Context, ids []NodeID) ([]Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Hash, len(ids))
	for i, id := range ids {
		if int(id.Level) >= len(m.levels) || id.Index >= uint64(len(m.levels[id.Level])) ||
			(id.Index+1)<<id.Level > m.size {
			return nil, fmt.Errorf("tlog: node %v is not stored", id)
		}
		out[i] = m.levels[id.Level][id.Index]
	}
	return out, nil
}
