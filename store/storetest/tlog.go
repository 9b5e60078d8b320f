package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parcours/parcours/profiles/tlog"
)

// LogStore is what a backend implements for the transparency log.
type LogStore interface {
	tlog.Store
	SaveCheckpoint(ctx context.Context, size uint64, text []byte) error
	Checkpoint(ctx context.Context) ([]byte, error)
	CheckpointAt(ctx context.Context, size uint64) ([]byte, error)
}

// RunLog runs the conformance suite of the transparency log's storage.
func RunLog(t *testing.T, open func(t *testing.T) LogStore) {
	t.Run("SameTreeAsMemory", func(t *testing.T) { testLogSameTree(t, open(t)) })
	t.Run("AppendConflict", func(t *testing.T) { testLogConflict(t, open(t)) })
	t.Run("Checkpoints", func(t *testing.T) { testLogCheckpoints(t, open(t)) })
}

// testLogSameTree appends batches of varied sizes and checks that every
// root and proof equals those of the in-memory reference store.
func testLogSameTree(t *testing.T, s LogStore) {
	ctx := context.Background()
	got, want := tlog.New(s), tlog.New(&tlog.MemoryStore{})
	n := 0
	for _, batch := range []int{1, 1, 3, 1, 8, 2, 17, 1, 5} {
		var entries [][]byte
		for range batch {
			entries = append(entries, fmt.Appendf(nil, "entry %d", n))
			n++
		}
		i1, err := got.AppendData(ctx, entries...)
		if err != nil {
			t.Fatal(err)
		}
		i2, _ := want.AppendData(ctx, entries...)
		if i1 != i2 {
			t.Fatalf("append index %d, want %d", i1, i2)
		}
	}
	if size, err := s.Size(ctx); err != nil || size != uint64(n) {
		t.Fatalf("size %d, %v; want %d", size, err, n)
	}
	for size := uint64(1); size <= uint64(n); size++ {
		r1, err := got.Root(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := want.Root(ctx, size)
		if r1 != r2 {
			t.Fatalf("root of size %d differs from the reference", size)
		}
		for i := uint64(0); i < size; i += 3 {
			p, err := got.InclusionProof(ctx, i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.VerifyInclusion(tlog.LeafHash(fmt.Appendf(nil, "entry %d", i)), i, size, p, r1); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", i, size, err)
			}
		}
		if size > 1 {
			p, err := got.ConsistencyProof(ctx, size/2, size)
			if err != nil {
				t.Fatal(err)
			}
			old, _ := want.Root(ctx, size/2)
			if err := tlog.VerifyConsistency(size/2, size, old, r1, p); err != nil {
				t.Fatalf("consistency %d -> %d: %v", size/2, size, err)
			}
		}
	}
}

// testLogConflict has several writers append at the same size: exactly
// one wins, and the tree holds the winner's leaf.
func testLogConflict(t *testing.T, s LogStore) {
	ctx := context.Background()
	if _, err := tlog.New(s).AppendData(ctx, []byte("first")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			leaf := tlog.LeafHash(fmt.Appendf(nil, "writer %d", i))
			errs[i] = s.Append(ctx, 1, 2, []tlog.Node{{ID: tlog.NodeID{Level: 0, Index: 1}, Hash: leaf}})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both appended at size 1", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, tlog.ErrConflict):
			t.Fatalf("writer %d: %v, want tlog.ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer appended")
	}
	hs, err := s.Nodes(ctx, []tlog.NodeID{{Level: 0, Index: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if hs[0] != tlog.LeafHash(fmt.Appendf(nil, "writer %d", winner)) {
		t.Fatal("the stored leaf is not the winning writer's")
	}
	if err := s.Append(ctx, 1, 2, nil); !errors.Is(err, tlog.ErrConflict) {
		t.Fatalf("append at a stale size: %v, want tlog.ErrConflict", err)
	}
	if _, err := s.Nodes(ctx, []tlog.NodeID{{Level: 0, Index: 2}}); err == nil {
		t.Fatal("a node beyond the size must not be returned")
	}
}

func testLogCheckpoints(t *testing.T, s LogStore) {
	ctx := context.Background()
	if c, err := s.Checkpoint(ctx); err != nil || c != nil {
		t.Fatalf("no checkpoint yet: %q, %v", c, err)
	}
	for _, size := range []uint64{3, 10, 7} {
		if err := s.SaveCheckpoint(ctx, size, fmt.Appendf(nil, "checkpoint %d", size)); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := s.Checkpoint(ctx); err != nil || string(c) != "checkpoint 10" {
		t.Fatalf("latest checkpoint: %q, %v", c, err)
	}
	if c, err := s.CheckpointAt(ctx, 3); err != nil || string(c) != "checkpoint 3" {
		t.Fatalf("checkpoint at 3: %q, %v", c, err)
	}
	if c, err := s.CheckpointAt(ctx, 4); err != nil || c != nil {
		t.Fatalf("checkpoint at 4: %q, %v", c, err)
	}
}
