package tlog

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkAppend measures appending entries (200-byte records, leaf
// hashing included) to a log in memory, one write per batch: batch=1 is
// one issuance at a time, larger batches what a bulk attestation does.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			st := &MemoryStore{}
			l := New(st)
			entries := make([][]byte, batch)
			for i := range entries {
				entries[i] = make([]byte, 200)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for i := range entries {
					binary.BigEndian.PutUint64(entries[i], uint64(n+i))
				}
				if _, err := l.AppendData(ctx, entries...); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
			nodes := 0
			for _, lv := range st.levels {
				nodes += len(lv)
			}
			b.ReportMetric(float64(nodes)/float64(n), "nodes/entry")
		})
	}
}

const benchSize = 1 << 20

var benchLog *Log

func benchTree(b *testing.B) *Log {
	if benchLog == nil {
		l := New(&MemoryStore{})
		batch := make([]Hash, 4096)
		for n := 0; n < benchSize; n += len(batch) {
			for i := range batch {
				batch[i] = LeafHash(binary.BigEndian.AppendUint64(nil, uint64(n+i)))
			}
			if _, err := l.Append(context.Background(), batch...); err != nil {
				b.Fatal(err)
			}
		}
		benchLog = l
	}
	return benchLog
}

// BenchmarkInclusionProof measures building the inclusion proof of a
// random entry in a tree of 1,048,576 entries (one store read).
func BenchmarkInclusionProof(b *testing.B) {
	l := benchTree(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.InclusionProof(ctx, r.Uint64N(benchSize-1), benchSize-1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsistencyProof measures building the consistency proof
// between a random older size and the full tree of 1,048,576 entries.
func BenchmarkConsistencyProof(b *testing.B) {
	l := benchTree(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.ConsistencyProof(ctx, 1+r.Uint64N(benchSize-2), benchSize-1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyInclusion measures checking one inclusion proof (20
// hashes) against a root.
func BenchmarkVerifyInclusion(b *testing.B) {
	l := benchTree(b)
	ctx := context.Background()
	const idx, size = 123457, benchSize - 1
	p, _ := l.InclusionProof(ctx, idx, size)
	root, _ := l.Root(ctx, size)
	leaf, _ := l.LeafHashAt(ctx, idx)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyInclusion(leaf, idx, size, p, root); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProofSize computes, without building any tree, the size of
// proofs at 1 million, 10 million and 100 million entries: the largest
// and the mean inclusion proof over 4096 sampled entries, and the
// largest consistency proof from 4096 sampled older sizes, in hashes
// and bytes (32 bytes a hash). They grow as log2 of the size.
func BenchmarkProofSize(b *testing.B) {
	for _, size := range []uint64{1_000_000, 10_000_000, 100_000_000} {
		b.Run(fmt.Sprintf("entries=%d", size), func(b *testing.B) {
			var maxIncl, sumIncl, maxCons, samples int
			for b.Loop() {
				r := rand.New(rand.NewPCG(size, 7))
				maxIncl, sumIncl, maxCons, samples = 0, 0, 0, 0
				for range 4096 {
					n := InclusionProofSize(r.Uint64N(size), size)
					maxIncl = max(maxIncl, n)
					sumIncl += n
					maxCons = max(maxCons, ConsistencyProofSize(1+r.Uint64N(size-1), size))
					samples++
				}
				// The extremes: the last entry, and the oldest sizes.
				maxIncl = max(maxIncl, InclusionProofSize(size-1, size), InclusionProofSize(0, size))
				maxCons = max(maxCons, ConsistencyProofSize(1, size), ConsistencyProofSize(size-1, size), ConsistencyProofSize(3, size))
			}
			b.ReportMetric(float64(maxIncl), "incl-max-hashes")
			b.ReportMetric(float64(sumIncl)/float64(samples), "incl-mean-hashes")
			b.ReportMetric(float64(maxIncl*HashSize), "incl-max-bytes")
			b.ReportMetric(float64(maxCons), "cons-max-hashes")
			b.ReportMetric(float64(maxCons*HashSize), "cons-max-bytes")
		})
	}
}
