package tlog

import (
	"fmt"
	"math/bits"
)

// InclusionProofSize returns the number of hashes of an inclusion proof
// for entry index in a tree of size entries, without building it.
func InclusionProofSize(index, size uint64) int {
	if index >= size {
		return 0
	}
	return len(inclusionRanges(index, 0, size, nil))
}

// ConsistencyProofSize returns the number of hashes of a consistency
// proof from oldSize to newSize, without building it.
func ConsistencyProofSize(oldSize, newSize uint64) int {
	if oldSize == 0 || oldSize >= newSize {
		return 0
	}
	return len(consistencyRanges(oldSize, 0, newSize, true, nil))
}

// VerifyInclusion checks that leaf (a leaf hash) is entry index of the
// tree of size entries whose root is root, by the audit path proof
// (RFC 9162 §2.1.3.2). The error wraps ErrInvalidProof.
func VerifyInclusion(leaf Hash, index, size uint64, proof []Hash, root Hash) error {
	if index >= size {
		return fmt.Errorf("%w: index %d is not in a tree of %d entries", ErrInvalidProof, index, size)
	}
	if want := InclusionProofSize(index, size); len(proof) != want {
		return fmt.Errorf("%w: the inclusion proof has %d hashes, a proof for entry %d of %d has %d", ErrInvalidProof, len(proof), index, size, want)
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range proof {
		if sn == 0 {
			return fmt.Errorf("%w: the inclusion proof is too long", ErrInvalidProof)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: the inclusion proof is too short", ErrInvalidProof)
	}
	if r != root {
		return fmt.Errorf("%w: the entry and its inclusion proof lead to the root %s, not to the checkpoint's %s", ErrInvalidProof, r, root)
	}
	return nil
}

// VerifyConsistency checks that the tree of oldSize entries with root
// oldRoot is a prefix of the tree of newSize entries with root newRoot,
// by proof (RFC 9162 §2.1.4.2). Equal sizes need equal roots and an empty
// proof; an empty old tree is a prefix of every tree. The error wraps
// ErrInvalidProof.
func VerifyConsistency(oldSize, newSize uint64, oldRoot, newRoot Hash, proof []Hash) error {
	switch {
	case oldSize > newSize:
		return fmt.Errorf("%w: the old tree (%d entries) is larger than the new one (%d)", ErrInvalidProof, oldSize, newSize)
	case oldSize == 0:
		if len(proof) != 0 {
			return fmt.Errorf("%w: a proof from the empty tree must be empty", ErrInvalidProof)
		}
		if oldRoot != EmptyRoot() {
			return fmt.Errorf("%w: the root of the empty tree is wrong", ErrInvalidProof)
		}
		return nil
	case oldSize == newSize:
		if len(proof) != 0 {
			return fmt.Errorf("%w: a proof between equal sizes must be empty", ErrInvalidProof)
		}
		if oldRoot != newRoot {
			return fmt.Errorf("%w: two different roots for the same size %d: the log was rewritten", ErrInvalidProof, oldSize)
		}
		return nil
	}
	if want := ConsistencyProofSize(oldSize, newSize); len(proof) != want {
		return fmt.Errorf("%w: the consistency proof has %d hashes, a proof from %d to %d has %d", ErrInvalidProof, len(proof), oldSize, newSize, want)
	}
	path := proof
	if oldSize&(oldSize-1) == 0 { // an exact power of two
		path = append([]Hash{oldRoot}, proof...)
	}
	fn, sn := oldSize-1, newSize-1
	if tz := bits.TrailingZeros64(^fn); tz > 0 { // shift out the low set bits
		fn >>= tz
		sn >>= tz
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return fmt.Errorf("%w: the consistency proof is too long", ErrInvalidProof)
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: the consistency proof is too short", ErrInvalidProof)
	}
	if fr != oldRoot {
		return fmt.Errorf("%w: the consistency proof does not lead to the old root %s", ErrInvalidProof, oldRoot)
	}
	if sr != newRoot {
		return fmt.Errorf("%w: the consistency proof does not lead to the new root %s: the new tree does not extend the old one", ErrInvalidProof, newRoot)
	}
	return nil
}
