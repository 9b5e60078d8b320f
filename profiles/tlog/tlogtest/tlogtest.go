// Package tlogtest is the conformance test of tlog.Store: every backend
// that persists the transparency log (store/bolt, store/mongo) runs Run
// against its own store, so that they all keep the same contract as
// tlog.MemoryStore.
package tlogtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parcours/parcours/profiles/tlog"
)

// Run checks the tlog.Store contract on stores made by open, which must
// return a new, empty log each time it is called.
func Run(t *testing.T, open func(t *testing.T) tlog.Store) {
	t.Run("Empty", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		if n, err := s.Size(ctx); err != nil || n != 0 {
			t.Fatalf("new store: size %d, %v", n, err)
		}
		if _, err := s.Nodes(ctx, []tlog.NodeID{{Level: 0, Index: 0}}); err == nil {
			t.Error("read a node of an empty log")
		}
		root, err := tlog.New(s).Root(ctx, 0)
		if err != nil || root != tlog.EmptyRoot() {
			t.Errorf("empty root %s, %v", root, err)
		}
	})

	t.Run("ProofsThroughTheStore", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		l := tlog.New(s)
		mem := tlog.New(&tlog.MemoryStore{})
		const total = 300
		for i := 0; i < total; {
			batch := 1 + i%7
			var entries [][]byte
			for j := 0; j < batch && i+j < total; j++ {
				entries = append(entries, []byte(fmt.Sprintf("entry %d", i+j)))
			}
			first, err := l.AppendData(ctx, entries...)
			if err != nil || first != uint64(i) {
				t.Fatalf("append at %d: first %d, %v", i, first, err)
			}
			mem.AppendData(ctx, entries...)
			i += len(entries)
		}
		if n, _ := s.Size(ctx); n != total {
			t.Fatalf("size %d, want %d", n, total)
		}
		for _, n := range []uint64{1, 2, 3, 64, 65, 255, 256, 299, 300} {
			want, _ := mem.Root(ctx, n)
			got, err := l.Root(ctx, n)
			if err != nil || got != want {
				t.Fatalf("root of %d = %s, %v; the memory store says %s", n, got, err, want)
			}
			for _, i := range []uint64{0, n / 2, n - 1} {
				p, err := l.InclusionProof(ctx, i, n)
				if err != nil {
					t.Fatal(err)
				}
				leaf, _ := l.LeafHashAt(ctx, i)
				if err := tlog.VerifyInclusion(leaf, i, n, p, got); err != nil {
					t.Fatalf("inclusion of %d in %d: %v", i, n, err)
				}
			}
			p, err := l.ConsistencyProof(ctx, n, total)
			if err != nil {
				t.Fatal(err)
			}
			full, _ := l.Root(ctx, total)
			if err := tlog.VerifyConsistency(n, total, got, full, p); err != nil {
				t.Fatalf("consistency %d -> %d: %v", n, total, err)
			}
		}
	})

	t.Run("StaleAppendConflicts", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		l := tlog.New(s)
		l.AppendData(ctx, []byte("a"), []byte("b"))
		before, _ := l.Root(ctx, 2)
		h := tlog.LeafHash([]byte("x"))
		// A writer that read size 1 must not append over entry 1.
		err := s.Append(ctx, 1, 2, []tlog.Node{{ID: tlog.NodeID{Level: 0, Index: 1}, Hash: h}})
		if !errors.Is(err, tlog.ErrConflict) {
			t.Fatalf("stale append: %v, want ErrConflict", err)
		}
		if n, _ := s.Size(ctx); n != 2 {
			t.Errorf("size after a refused append: %d", n)
		}
		if after, _ := l.Root(ctx, 2); after != before {
			t.Error("a refused append changed the tree")
		}
	})

	t.Run("ConcurrentAppendersLoseNothing", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		// Two logs over one store stand for two replicas.
		logs := []*tlog.Log{tlog.New(s), tlog.New(s)}
		var wg sync.WaitGroup
		var mu sync.Mutex
		appended := map[uint64]string{}
		for w, l := range logs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 40; i++ {
					e := fmt.Sprintf("writer %d entry %d", w, i)
					for {
						idx, err := l.AppendData(ctx, []byte(e))
						if errors.Is(err, tlog.ErrConflict) {
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						appended[idx] = e
						mu.Unlock()
						break
					}
				}
			}()
		}
		wg.Wait()
		n, _ := s.Size(ctx)
		if n != 80 || len(appended) != 80 {
			t.Fatalf("size %d, %d distinct indexes; want 80", n, len(appended))
		}
		root, _ := logs[0].Root(ctx, n)
		for idx, e := range appended {
			p, err := logs[1].InclusionProof(ctx, idx, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.VerifyInclusion(tlog.LeafHash([]byte(e)), idx, n, p, root); err != nil {
				t.Fatalf("entry %d (%s): %v", idx, e, err)
			}
		}
	})
}
