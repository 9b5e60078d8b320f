// Package tlog is the transparency log of Parcours: an append-only Merkle
// tree hashed as RFC 9162 (Certificate Transparency 2.0) §2.1 says — leaf
// hash SHA-256(0x00 || entry), node hash SHA-256(0x01 || left || right) —
// with its inclusion and consistency proofs (§2.1.3, §2.1.4) and signed
// checkpoints in the C2SP tlog-checkpoint / signed-note formats.
//
// Every issuance and revocation of an attestation is appended as a leaf;
// the platform signs checkpoints (tree heads) on a schedule; anyone
// holding a checkpoint can check that an entry is in the log (inclusion)
// and that a later checkpoint extends it without rewriting it
// (consistency). The tree's hashes live in a Store; MemoryStore is the
// in-memory one, the profiles stores persist it.
package tlog

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/bits"
)

// HashSize is the size of every hash of the log.
const HashSize = sha256.Size

// Hash is a SHA-256 hash of the tree.
type Hash [HashSize]byte

// String returns the hash in hexadecimal.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// LeafHash returns the hash of the log entry data: SHA-256(0x00 || data).
func LeafHash(data []byte) Hash {
	hh := sha256.New()
	hh.Write([]byte{0x00})
	hh.Write(data)
	var h Hash
	hh.Sum(h[:0])
	return h
}

// NodeHash returns the hash of an interior node: SHA-256(0x01 || left ||
// right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*HashSize]byte
	buf[0] = 0x01
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// EmptyRoot is the root hash of the empty tree, SHA-256 of no bytes.
func EmptyRoot() Hash { return sha256.Sum256(nil) }

// ErrInvalidProof is wrapped by every verification failure of a proof or
// checkpoint, so that callers can tell "the log does not prove it" from
// a storage error.
var ErrInvalidProof = errors.New("tlog: invalid proof")

// ErrConflict is returned by Store.Append (and Log.Append) when the log
// grew since its size was read: another writer appended first. Retry.
var ErrConflict = errors.New("tlog: the log was appended to concurrently")

// ErrSize is wrapped by requests for sizes or indexes the log does not
// have (yet).
var ErrSize = errors.New("tlog: no such tree size or index")

// largestPow2Below returns the largest power of two strictly less than
// n, for n >= 2: the split point k of RFC 9162 §2.1.1.
func largestPow2Below(n uint64) uint64 {
	return 1 << (bits.Len64(n-1) - 1)
}
