package tlog

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

func h(s string) Hash {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != HashSize {
		panic(s)
	}
	var out Hash
	copy(out[:], b)
	return out
}

// The RFC 6962 reference tree (8 leaves), as published with Certificate
// Transparency's and transparency-dev/merkle's tests
// (testonly/constants.go: LeafInputs, NodeHashes, RootHashes) and the
// proofs of CT's merkle_tree_test.
var (
	refLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	refRoots  = []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	refNodes = [][]string{{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
		"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
		"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
		"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
	}, {
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	}, {
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	}, {
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}}
)

func TestRFC6962ReferenceTree(t *testing.T) {
	ctx := context.Background()
	st := &MemoryStore{}
	l := New(st)
	for i, s := range refLeaves {
		b, _ := hex.DecodeString(s)
		if _, err := l.AppendData(ctx, b); err != nil {
			t.Fatal(err)
		}
		root, err := l.Root(ctx, uint64(i+1))
		if err != nil || root != h(refRoots[i+1]) {
			t.Errorf("root of size %d = %s, %v; want %s", i+1, root, err, refRoots[i+1])
		}
	}
	if root, _ := l.Root(ctx, 0); root != h(refRoots[0]) {
		t.Errorf("empty root = %s", root)
	}
	// The store holds exactly the complete subtrees, by (level, index).
	for lvl, row := range refNodes {
		for i, want := range row {
			got, err := st.Nodes(ctx, []NodeID{{uint8(lvl), uint64(i)}})
			if err != nil || got[0] != h(want) {
				t.Errorf("node (%d,%d) = %v, %v; want %s", lvl, i, got, err, want)
			}
		}
	}
	incl := []struct {
		index, size uint64
		proof       []string
	}{
		{0, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5, 8, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 3, []string{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{1, 5, []string{"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
	for _, tt := range incl {
		p, err := l.InclusionProof(ctx, tt.index, tt.size)
		if err != nil || fmt.Sprint(p) != fmt.Sprint(hashes(tt.proof)) {
			t.Errorf("inclusion (%d,%d) = %v, %v; want %v", tt.index, tt.size, p, err, tt.proof)
		}
	}
	cons := []struct {
		old, new uint64
		proof    []string
	}{
		{1, 1, nil},
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
	for _, tt := range cons {
		p, err := l.ConsistencyProof(ctx, tt.old, tt.new)
		if err != nil || fmt.Sprint(p) != fmt.Sprint(hashes(tt.proof)) {
			t.Errorf("consistency (%d,%d) = %v, %v; want %v", tt.old, tt.new, p, err, tt.proof)
		}
		if err := VerifyConsistency(tt.old, tt.new, h(refRoots[tt.old]), h(refRoots[tt.new]), hashes(tt.proof)); err != nil {
			t.Errorf("consistency (%d,%d) does not verify: %v", tt.old, tt.new, err)
		}
	}
}

func hashes(ss []string) []Hash {
	out := []Hash{}
	for _, s := range ss {
		out = append(out, h(s))
	}
	return out
}

// Reference implementations written straight from RFC 9162's recursive
// definitions (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF/SUBPROOF), over
// the leaf hashes D[s:e] in memory (MTH memoized, so that comparing every
// proof stays cheap).
type ref struct {
	d    []Hash
	memo map[[2]uint64]Hash
}

func (r *ref) mth(s, e uint64) Hash {
	switch e - s {
	case 0:
		return EmptyRoot()
	case 1:
		return r.d[s]
	}
	if h, ok := r.memo[[2]uint64{s, e}]; ok {
		return h
	}
	k := largestPow2Below(e - s)
	h := NodeHash(r.mth(s, s+k), r.mth(s+k, e))
	r.memo[[2]uint64{s, e}] = h
	return h
}

func (r *ref) path(m, s, e uint64) []Hash {
	if e-s == 1 {
		return nil
	}
	k := largestPow2Below(e - s)
	if m < k {
		return append(r.path(m, s, s+k), r.mth(s+k, e))
	}
	return append(r.path(m-k, s+k, e), r.mth(s, s+k))
}

func (r *ref) subproof(m, s, e uint64, b bool) []Hash {
	if m == e-s {
		if b {
			return nil
		}
		return []Hash{r.mth(s, e)}
	}
	k := largestPow2Below(e - s)
	if m <= k {
		return append(r.subproof(m, s, s+k, b), r.mth(s+k, e))
	}
	return append(r.subproof(m-k, s+k, e, false), r.mth(s, s+k))
}

func equalHashes(a, b []Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

const maxSize = 1000

// buildLog appends maxSize leaves in batches of varying sizes (1, 2, 3,
// ... entries), to exercise the frontier merge across batch limits.
func buildLog(t testing.TB) (*Log, []Hash) {
	ctx := context.Background()
	l := New(&MemoryStore{})
	leaves := make([]Hash, maxSize)
	for i := range leaves {
		leaves[i] = LeafHash(binary.BigEndian.AppendUint64([]byte("entry "), uint64(i)))
	}
	for i, batch := 0, 1; i < maxSize; batch++ {
		end := min(i+batch%17, maxSize)
		if end == i {
			end++
		}
		first, err := l.Append(ctx, leaves[i:end]...)
		if err != nil || first != uint64(i) {
			t.Fatalf("append at %d: first %d, %v", i, first, err)
		}
		i = end
	}
	return l, leaves
}

// Every tree size from 1 to 1,000: the root matches the definition, every
// entry's inclusion proof verifies, and every consistency proof between
// two sizes verifies, and each proof equals the definition's, hash for
// hash.
func TestProofsEverySize(t *testing.T) {
	ctx := context.Background()
	l, leaves := buildLog(t)
	rf := &ref{d: leaves, memo: map[[2]uint64]Hash{}}
	roots := make([]Hash, maxSize+1)
	for n := uint64(0); n <= maxSize; n++ {
		r, err := l.Root(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if want := rf.mth(0, n); r != want {
			t.Fatalf("root of size %d = %s, want %s", n, r, want)
		}
		roots[n] = r
	}
	for n := uint64(1); n <= maxSize; n++ {
		for i := uint64(0); i < n; i++ {
			p, err := l.InclusionProof(ctx, i, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(leaves[i], i, n, p, roots[n]); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", i, n, err)
			}
			if len(p) != InclusionProofSize(i, n) {
				t.Fatalf("inclusion of %d in %d: %d hashes, size says %d", i, n, len(p), InclusionProofSize(i, n))
			}
			if !equalHashes(p, rf.path(i, 0, n)) {
				t.Fatalf("inclusion of %d in %d differs from RFC 9162 PATH", i, n)
			}
		}
		for m := uint64(0); m <= n; m++ {
			p, err := l.ConsistencyProof(ctx, m, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(m, n, roots[m], roots[n], p); err != nil {
				t.Fatalf("consistency %d -> %d: %v", m, n, err)
			}
			if m > 0 && !equalHashes(p, rf.subproof(m, 0, n, true)) {
				t.Fatalf("consistency %d -> %d differs from RFC 9162 PROOF", m, n)
			}
		}
	}
}

// Any changed byte of an entry, of a proof hash or of a root makes
// verification fail, as do a wrong index or size and a proof with a hash
// missing or added: for every entry and pair of sizes up to 64, and a
// sample of larger trees.
func TestProofsEveryChangedByte(t *testing.T) {
	ctx := context.Background()
	l, leaves := buildLog(t)
	sizes := []uint64{}
	for n := uint64(1); n <= 64; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 127, 128, 129, 500, 511, 512, 513, 999, 1000)
	root := func(n uint64) Hash { r, _ := l.Root(ctx, n); return r }
	flips := func(hs []Hash, check func([]Hash) error, what string) {
		for j := range hs {
			for b := 0; b < HashSize; b++ {
				c := append([]Hash{}, hs...)
				c[j][b] ^= 1 << (b % 8)
				if check(c) == nil {
					t.Fatalf("%s: byte %d of hash %d changed, still verifies", what, b, j)
				}
			}
		}
	}
	for _, n := range sizes {
		rn := root(n)
		step := uint64(1)
		if n > 64 {
			step = n/13 + 1
		}
		for i := uint64(0); i < n; i += step {
			p, _ := l.InclusionProof(ctx, i, n)
			what := fmt.Sprintf("inclusion of %d in %d", i, n)
			flips(p, func(c []Hash) error { return VerifyInclusion(leaves[i], i, n, c, rn) }, what)
			flips([]Hash{leaves[i]}, func(c []Hash) error { return VerifyInclusion(c[0], i, n, p, rn) }, what+" (entry)")
			flips([]Hash{rn}, func(c []Hash) error { return VerifyInclusion(leaves[i], i, n, p, c[0]) }, what+" (root)")
			// (A wrong size is not among them: the checkpoint's signature
			// binds the size, and a tree of n entries may hash like the
			// claimed path of n+1.)
			bad := []error{
				VerifyInclusion(leaves[i], i+1, n, p, rn),
				VerifyInclusion(leaves[i], n, n, p, rn),
				VerifyInclusion(leaves[i], i, n, append(p, rn), rn),
			}
			if len(p) > 0 {
				bad = append(bad, VerifyInclusion(leaves[i], i, n, p[:len(p)-1], rn))
			}
			if i > 0 {
				bad = append(bad, VerifyInclusion(leaves[i], i-1, n, p, rn))
			}
			for k, err := range bad {
				if !errors.Is(err, ErrInvalidProof) {
					t.Fatalf("%s: variant %d verifies (%v)", what, k, err)
				}
			}
			// A different entry at the same place never verifies.
			other := LeafHash([]byte("forged"))
			if VerifyInclusion(other, i, n, p, rn) == nil {
				t.Fatalf("%s: a forged entry verifies", what)
			}
		}
		for m := uint64(1); m < n; m += step {
			p, _ := l.ConsistencyProof(ctx, m, n)
			rm := root(m)
			what := fmt.Sprintf("consistency %d -> %d", m, n)
			flips(p, func(c []Hash) error { return VerifyConsistency(m, n, rm, rn, c) }, what)
			flips([]Hash{rm}, func(c []Hash) error { return VerifyConsistency(m, n, c[0], rn, p) }, what+" (old root)")
			flips([]Hash{rn}, func(c []Hash) error { return VerifyConsistency(m, n, rm, c[0], p) }, what+" (new root)")
			for k, err := range []error{
				VerifyConsistency(m+1, n, rm, rn, p),
				VerifyConsistency(m, n, rm, rn, append(p, rn)),
				VerifyConsistency(m, n, rm, rn, p[:len(p)-1]),
				VerifyConsistency(n, m, rn, rm, p),
			} {
				if !errors.Is(err, ErrInvalidProof) {
					t.Fatalf("%s: variant %d verifies (%v)", what, k, err)
				}
			}
		}
		if VerifyConsistency(n, n, rn, LeafHash(nil), nil) == nil {
			t.Fatalf("two roots for size %d accepted", n)
		}
	}
}

func TestLogErrors(t *testing.T) {
	ctx := context.Background()
	st := &MemoryStore{}
	l := New(st)
	l.AppendData(ctx, []byte("a"), []byte("b"), []byte("c"))
	if _, err := l.Root(ctx, 4); !errors.Is(err, ErrSize) {
		t.Errorf("root beyond the size: %v", err)
	}
	if _, err := l.InclusionProof(ctx, 3, 3); !errors.Is(err, ErrSize) {
		t.Errorf("inclusion of a missing index: %v", err)
	}
	if _, err := l.ConsistencyProof(ctx, 3, 2); !errors.Is(err, ErrSize) {
		t.Errorf("consistency backwards: %v", err)
	}
	if _, err := l.ConsistencyProof(ctx, 1, 9); !errors.Is(err, ErrSize) {
		t.Errorf("consistency beyond the size: %v", err)
	}
	// Another writer appended meanwhile: the store refuses a stale size.
	if err := st.Append(ctx, 2, 3, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("stale append: %v", err)
	}
	if n, _ := l.Size(ctx); n != 3 {
		t.Errorf("size after a refused append = %d", n)
	}
	if lh, err := l.LeafHashAt(ctx, 1); err != nil || lh != LeafHash([]byte("b")) {
		t.Errorf("leaf 1 = %s, %v", lh, err)
	}
	if first, err := l.Append(ctx); err != nil || first != 3 {
		t.Errorf("empty append: %d, %v", first, err)
	}
}
