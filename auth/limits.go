package auth

import (
	"context"
	"time"
)

// AttemptStore counts events (sign-in attempts, failed NIR entries) per
// key in fixed time windows, in the store that every replica shares, so
// that neither a restart nor another replica starts the count again.
// Implementations are safe for concurrent use; an increment is atomic.
type AttemptStore interface {
	// AddAttempt counts one event under key in the window of length
	// window that holds now (windows start at multiples of window since
	// the Unix epoch) and returns the window's count after it.
	AddAttempt(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// Attempts returns the count of the window that holds now.
	Attempts(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// SweepAttempts deletes the windows that ended before t and reports
	// how many.
	SweepAttempts(ctx context.Context, t time.Time) (int, error)
}

// Limit allows Max events per Window. The zero value allows everything.
type Limit struct {
	Max    int
	Window time.Duration
}

// WindowStart is the start of the fixed window of length w that holds t.
func WindowStart(t time.Time, w time.Duration) time.Time {
	return time.Unix(0, t.UnixNano()-t.UnixNano()%int64(w)).UTC()
}

// retryAfter is how long until the window that holds now ends.
func (l Limit) retryAfter(now time.Time) time.Duration {
	return WindowStart(now, l.Window).Add(l.Window).Sub(now)
}

func (l Limit) off() bool { return l.Max <= 0 || l.Window <= 0 }

// Limiter applies Limits over an AttemptStore. It is safe for concurrent use.
type Limiter struct {
	Store AttemptStore
}

// Take counts one event under key and returns how long to wait when the
// limit is now exceeded, or 0.
func (l Limiter) Take(ctx context.Context, key string, lim Limit, now time.Time) (time.Duration, error) {
	if lim.off() {
		return 0, nil
	}
	// A key already over its limit is refused without counting more, so
	// that a client hammering the service does not grow its record
	// (MongoDB keeps one document per event).
	if wait, err := l.Exhausted(ctx, key, lim, now); err != nil || wait > 0 {
		return wait, err
	}
	n, err := l.Store.AddAttempt(ctx, key, lim.Window, now)
	if err != nil || n <= lim.Max {
		return 0, err
	}
	return lim.retryAfter(now), nil
}

// Exhausted returns how long to wait when key has already used up its
// limit, or 0; it counts nothing (failures are counted by Take).
func (l Limiter) Exhausted(ctx context.Context, key string, lim Limit, now time.Time) (time.Duration, error) {
	if lim.off() {
		return 0, nil
	}
	n, err := l.Store.Attempts(ctx, key, lim.Window, now)
	if err != nil || n < lim.Max {
		return 0, err
	}
	return lim.retryAfter(now), nil
}
