package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
)

func TestRunNowAndFailures(t *testing.T) {
	s := New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	var n atomic.Int32
	if err := s.Add(Job{Name: "count", Schedule: "@daily", Run: func(context.Context) error { n.Add(1); return nil }}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Job{Name: "count", Schedule: "@daily", Run: nil}); err == nil {
		t.Error("a second job with the same name was accepted")
	}
	if err := s.Add(Job{Name: "bad", Schedule: "every tuesday", Run: nil}); err == nil {
		t.Error("a malformed schedule was accepted")
	}
	boom := errors.New("boom")
	s.Add(Job{Name: "fails", Schedule: "@daily", Run: func(context.Context) error { return boom }})
	s.Add(Job{Name: "panics", Schedule: "@daily", Run: func(context.Context) error { panic("oops") }})
	if err := s.RunNow("count"); err != nil || n.Load() != 1 {
		t.Errorf("RunNow(count) = %v, ran %d times", err, n.Load())
	}
	if err := s.RunNow("fails"); !errors.Is(err, boom) {
		t.Errorf("RunNow(fails) = %v, want boom", err)
	}
	if err := s.RunNow("panics"); err == nil {
		t.Error("a panicking job reported success")
	}
	if err := s.RunNow("missing"); err == nil {
		t.Error("running an unknown job succeeded")
	}
}

func TestStopWaitsAndCancels(t *testing.T) {
	s := New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	started := make(chan struct{})
	var finished atomic.Bool
	s.Add(Job{Name: "slow", Schedule: "@every 1s", Run: func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		finished.Store(true)
		return ctx.Err()
	}})
	s.Start()
	<-started
	s.Stop()
	if !finished.Load() {
		t.Error("Stop returned before the running job finished")
	}
}
