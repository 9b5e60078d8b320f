package tlog

import (
	"context"
	"fmt"
	"math/bits"
	"sync"
)

// Log is the append-only Merkle tree over a Store. It serializes its own
// appends (safe for concurrent use); appends by other processes sharing
// the store surface as ErrConflict.
type Log struct {
	store Store
	mu    sync.Mutex
	// frontier caches the right frontier (complete subtrees of
	// decreasing levels) of the tree of frontierSize entries, as this
	// Log's last append left it, so that the next append need not read
	// it back. Guarded by mu.
	frontier     []frontierNode
	frontierSize uint64
}

type frontierNode struct {
	level uint8
	hash  Hash
}

// New returns the log kept in s.
func New(s Store) *Log { return &Log{store: s} }

// Size returns the number of entries.
func (l *Log) Size(ctx context.Context) (uint64, error) { return l.store.Size(ctx) }

// AppendData appends entries (their leaf hashes) and returns the index of
// the first.
func (l *Log) AppendData(ctx context.Context, entries ...[]byte) (uint64, error) {
	hs := make([]Hash, len(entries))
	for i, e := range entries {
		hs[i] = LeafHash(e)
	}
	return l.Append(ctx, hs...)
}

// Append appends leaf hashes (LeafHash of each entry) in one write and
// returns the index of the first. It returns ErrConflict if another
// writer appended to the store meanwhile; nothing is then appended.
func (l *Log) Append(ctx context.Context, leaves ...Hash) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size, err := l.store.Size(ctx)
	if err != nil {
		return 0, err
	}
	if len(leaves) == 0 {
		return size, nil
	}
	// The right frontier of the tree: its complete subtrees of
	// decreasing levels, the ones new leaves merge with.
	var stack []frontierNode
	if l.frontier != nil && l.frontierSize == size {
		stack = append(make([]frontierNode, 0, len(l.frontier)+1), l.frontier...)
	} else {
		ids := rangeIDs(0, size)
		fh, err := l.store.Nodes(ctx, ids)
		if err != nil {
			return 0, err
		}
		stack = make([]frontierNode, len(ids), len(ids)+1)
		for i, id := range ids {
			stack[i] = frontierNode{id.Level, fh[i]}
		}
	}
	nodes := make([]Node, 0, 2*len(leaves)+1)
	for i, h := range leaves {
		idx := size + uint64(i)
		nodes = append(nodes, Node{NodeID{0, idx}, h})
		cur, lvl := h, uint8(0)
		for len(stack) > 0 && stack[len(stack)-1].level == lvl {
			cur = NodeHash(stack[len(stack)-1].hash, cur)
			stack = stack[:len(stack)-1]
			lvl++
			nodes = append(nodes, Node{NodeID{lvl, idx >> lvl}, cur})
		}
		stack = append(stack, frontierNode{lvl, cur})
	}
	if err := l.store.Append(ctx, size, size+uint64(len(leaves)), nodes); err != nil {
		l.frontier = nil
		return 0, err
	}
	l.frontier, l.frontierSize = stack, size+uint64(len(leaves))
	return size, nil
}

// rangeIDs decomposes the leaves [s, e) into complete subtrees, left to
// right, largest first: for the ranges RFC 9162's recursion produces (s a
// multiple of the largest power of two not above e-s), their right fold
// with NodeHash is MTH(D[s:e]).
func rangeIDs(s, e uint64) []NodeID {
	var ids []NodeID
	for s < e {
		lvl := bits.Len64(e-s) - 1
		if s != 0 {
			if tz := bits.TrailingZeros64(s); tz < lvl {
				lvl = tz
			}
		}
		ids = append(ids, NodeID{uint8(lvl), s >> lvl})
		s += 1 << lvl
	}
	return ids
}

// fold returns the right fold of complete subtree hashes: MTH of their
// concatenated ranges.
func fold(hs []Hash) Hash {
	h := hs[len(hs)-1]
	for i := len(hs) - 2; i >= 0; i-- {
		h = NodeHash(hs[i], h)
	}
	return h
}

// hashRanges computes MTH of each leaf range with a single store read.
func (l *Log) hashRanges(ctx context.Context, ranges [][2]uint64) ([]Hash, error) {
	var ids []NodeID
	ends := make([]int, len(ranges))
	for i, r := range ranges {
		ids = append(ids, rangeIDs(r[0], r[1])...)
		ends[i] = len(ids)
	}
	hs, err := l.store.Nodes(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Hash, len(ranges))
	start := 0
	for i, end := range ends {
		out[i] = fold(hs[start:end])
		start = end
	}
	return out, nil
}

func (l *Log) checkSize(ctx context.Context, size uint64) error {
	n, err := l.store.Size(ctx)
	if err != nil {
		return err
	}
	if size > n {
		return fmt.Errorf("%w: size %d asked, the log has %d entries", ErrSize, size, n)
	}
	return nil
}

// Root returns the root hash of the tree of the first size entries.
func (l *Log) Root(ctx context.Context, size uint64) (Hash, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return Hash{}, err
	}
	if size == 0 {
		return EmptyRoot(), nil
	}
	hs, err := l.hashRanges(ctx, [][2]uint64{{0, size}})
	if err != nil {
		return Hash{}, err
	}
	return hs[0], nil
}

// LeafHashAt returns the leaf hash of entry index.
func (l *Log) LeafHashAt(ctx context.Context, index uint64) (Hash, error) {
	if err := l.checkSize(ctx, index+1); err != nil {
		return Hash{}, err
	}
	hs, err := l.store.Nodes(ctx, []NodeID{{0, index}})
	if err != nil {
		return Hash{}, err
	}
	return hs[0], nil
}

// InclusionProof returns the audit path of entry index in the tree of
// the first size entries (RFC 9162 §2.1.3.1 PATH), ceil(log2 size)
// hashes at most.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([]Hash, error) {
	if index >= size {
		return nil, fmt.Errorf("%w: index %d is not in a tree of %d entries", ErrSize, index, size)
	}
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	return l.hashRanges(ctx, inclusionRanges(index, 0, size, nil))
}

// inclusionRanges lists, in proof order, the leaf ranges whose MTH make
// PATH(m, D[s:e]); m is relative to s.
func inclusionRanges(m, s, e uint64, acc [][2]uint64) [][2]uint64 {
	if e-s == 1 {
		return acc
	}
	k := largestPow2Below(e - s)
	if m < k {
		acc = inclusionRanges(m, s, s+k, acc)
		return append(acc, [2]uint64{s + k, e})
	}
	acc = inclusionRanges(m-k, s+k, e, acc)
	return append(acc, [2]uint64{s, s + k})
}

// ConsistencyProof returns the proof that the tree of the first oldSize
// entries is a prefix of the tree of newSize (RFC 9162 §2.1.4.1 PROOF).
// It is empty when oldSize is 0 or equals newSize.
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]Hash, error) {
	if oldSize > newSize {
		return nil, fmt.Errorf("%w: old size %d is larger than new size %d", ErrSize, oldSize, newSize)
	}
	if err := l.checkSize(ctx, newSize); err != nil {
		return nil, err
	}
	if oldSize == 0 || oldSize == newSize {
		return []Hash{}, nil
	}
	return l.hashRanges(ctx, consistencyRanges(oldSize, 0, newSize, true, nil))
}

// consistencyRanges lists the ranges of SUBPROOF(m, D[s:e], b).
func consistencyRanges(m, s, e uint64, b bool, acc [][2]uint64) [][2]uint64 {
	n := e - s
	if m == n {
		if b {
			return acc
		}
		return append(acc, [2]uint64{s, e})
	}
	k := largestPow2Below(n)
	if m <= k {
		acc = consistencyRanges(m, s, s+k, b, acc)
		return append(acc, [2]uint64{s + k, e})
	}
	acc = consistencyRanges(m-k, s+k, e, false, acc)
	return append(acc, [2]uint64{s, s + k})
}
