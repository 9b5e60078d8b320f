package auth

import (
	"context"
	"sync"
	"testing"
	"time"
)

// memAttempts is an in-memory AttemptStore for the limiter's tests.
type memAttempts struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *memAttempts) key(k string, w time.Duration, now time.Time) string {
	return k + WindowStart(now, w).String()
}

func (m *memAttempts) AddAttempt(_ context.Context, k string, w time.Duration, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[m.key(k, w, now)]++
	return m.n[m.key(k, w, now)], nil
}

func (m *memAttempts) Attempts(_ context.Context, k string, w time.Duration, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[m.key(k, w, now)], nil
}

func (m *memAttempts) SweepAttempts(context.Context, time.Time) (int, error) { return 0, nil }

func TestLimiter(t *testing.T) {
	store := &memAttempts{n: map[string]int{}}
	l := Limiter{Store: store}
	ctx := context.Background()
	lim := Limit{Max: 3, Window: 10 * time.Minute}
	now := time.Date(2026, 5, 4, 10, 2, 30, 0, time.UTC)
	for i := range 3 {
		if wait, err := l.Take(ctx, "k", lim, now); err != nil || wait != 0 {
			t.Fatalf("take %d: %v, %v", i+1, wait, err)
		}
	}
	if wait, _ := l.Exhausted(ctx, "k", lim, now); wait != 7*time.Minute+30*time.Second {
		t.Errorf("Exhausted = %v, want the rest of the window", wait)
	}
	for range 5 {
		if wait, _ := l.Take(ctx, "k", lim, now); wait != 7*time.Minute+30*time.Second {
			t.Errorf("Take past the limit = %v", wait)
		}
	}
	if n, _ := store.Attempts(ctx, "k", lim.Window, now); n != 3 {
		t.Errorf("refused requests were counted: %d", n)
	}
	// The next window starts afresh; another key is not affected.
	if wait, _ := l.Take(ctx, "k", lim, now.Add(8*time.Minute)); wait != 0 {
		t.Errorf("next window: %v", wait)
	}
	if wait, _ := l.Take(ctx, "other", lim, now); wait != 0 {
		t.Errorf("other key: %v", wait)
	}
	if wait, _ := (Limiter{Store: store}).Take(ctx, "k", Limit{}, now); wait != 0 {
		t.Errorf("the zero Limit refused")
	}
}
