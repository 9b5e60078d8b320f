package mongo_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/store/mongo"
)

// TestLeasesRunEachTickOnce runs one schedule on three schedulers over one
// database for several ticks: every tick runs exactly once.
func TestLeasesRunEachTickOnce(t *testing.T) {
	s := open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var mu sync.Mutex
	runs := 0
	var scheds []*jobs.Scheduler
	for i := range 3 {
		sc := jobs.New(log, nil)
		sc.SetLocker(s.Locker(fmt.Sprint("replica-", i)).WithTTL(2 * time.Second))
		if err := sc.Add(jobs.Job{Name: "tick", Schedule: "@every 1s", Run: func(ctx context.Context) error {
			mu.Lock()
			runs++
			mu.Unlock()
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, sc)
	}
	for _, sc := range scheds {
		sc.Start()
	}
	time.Sleep(4500 * time.Millisecond)
	for _, sc := range scheds {
		sc.Stop()
	}
	ctx := context.Background()
	leases := s.Database().Collection("leases")
	done, err := leases.CountDocuments(ctx, bson.M{"done": true})
	if err != nil {
		t.Fatal(err)
	}
	n := int(done)
	extra, err := leases.CountDocuments(ctx, bson.M{"gen": bson.M{"$gt": 1}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n < 3 || runs != n || extra != 0 {
		t.Errorf("%d runs for %d ticks done (%d takeovers); want one run per tick, at least 3", runs, n, extra)
	}
}

// frozen is a Locker whose leases are never renewed: its holder is as
// good as dead (SIGKILLed) to the others.
type frozen struct{ *mongo.Locker }

func (f frozen) Lock(ctx context.Context, job string, tick time.Time) (jobs.Lease, bool, error) {
	l, wait, err := f.Locker.Lock(ctx, job, tick)
	if l != nil {
		l = frozenLease{l}
	}
	return l, wait, err
}

type frozenLease struct{ jobs.Lease }

func (frozenLease) Renew(context.Context) error { return nil }

// TestLeaseTakeover: the holder of a tick stops renewing in the middle of
// the job; another replica takes the tick over with a higher fencing token.
func TestLeaseTakeover(t *testing.T) {
	s := open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ttl := time.Second
	dead := jobs.New(log, nil)
	dead.SetLocker(frozen{s.Locker("dead").WithTTL(ttl)})
	hung := make(chan struct{}, 10)
	dead.Add(jobs.Job{Name: "j", Schedule: "@every 1h", Run: func(ctx context.Context) error {
		hung <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}})
	tokens := make(chan int64, 10)
	alive := jobs.New(log, nil)
	alive.SetLocker(s.Locker("alive").WithTTL(ttl))
	alive.Add(jobs.Job{Name: "j", Schedule: "@every 1h", Run: func(ctx context.Context) error {
		tokens <- jobs.FencingToken(ctx)
		return nil
	}})
	tick := time.Now()
	go jobs.RunTick(dead, "j", tick)
	<-hung
	done := make(chan struct{})
	go func() { jobs.RunTick(alive, "j", tick); close(done) }()
	select {
	case tok := <-tokens:
		if tok != 2 {
			t.Errorf("the takeover ran with token %d, want 2", tok)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no replica took the job over")
	}
	<-done
	dead.Stop()
	alive.Stop()
}
