package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mongodrv "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/mongo/mongotest"
)

// TestCrashMidStream applies a stream of credits, holds (enrolments) and
// captures (payouts) from eight goroutines through one replica, whose
// connection is cut at a random moment, as a SIGKILL would: operations in
// flight stop between any two of their steps. Another replica then runs
// the recovery pass. The ledger must balance, no balance be negative,
// every acknowledged operation be recorded, and replaying every
// acknowledged operation must move nothing.
// crashOpTimeout is the replicas' operation timeout, after which recovery
// takes over an interrupted operation: short, so that the test is, but
// long enough for the embedded FerretDB under the race detector.
const crashOpTimeout = 5 * time.Second

func TestCrashMidStream(t *testing.T) {
	ctx := context.Background()
	srv := mongotest.Shared(t)
	db := srv.NewDatabase()
	client, err := mongodrv.Connect(options.Client().ApplyURI(srv.URI))
	if err != nil {
		t.Fatal(err)
	}
	victim, err := mongo.New(ctx, client, mongo.Config{Database: db, OpTimeout: crashOpTimeout})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		acked []marketplace.Op
		held  []marketplace.Op // acknowledged holds not yet captured
		n     int
	)
	next := func() marketplace.Op {
		mu.Lock()
		defer mu.Unlock()
		n++
		learner := marketplace.LearnerAccount(fmt.Sprint("a", n%10))
		switch {
		case n%3 == 0 && len(held) > 0:
			h := held[0]
			held = held[1:]
			d := *h.Dossier
			d.Version, d.State = 2, marketplace.ServiceDoneValidated
			return marketplace.Op{Key: fmt.Sprint("capture-", n), Kind: marketplace.MoveCapture, Dossier: &d, IfVersion: 1,
				Postings: []marketplace.Posting{{Account: marketplace.HoldAccount(d.ID), Cents: -h.Postings[1].Cents},
					{Account: marketplace.ProviderAccount("p"), Cents: h.Postings[1].Cents}}}
		case n%3 == 1:
			d := marketplace.Dossier{ID: fmt.Sprint("d", n), AccountID: string(learner)[8:], ProviderID: "p", State: marketplace.Accepted, Version: 1}
			cents := int64(1 + rand.IntN(300))
			return marketplace.Op{Key: fmt.Sprint("hold-", n), Kind: marketplace.MoveHold, Dossier: &d,
				Postings: []marketplace.Posting{{Account: learner, Cents: -cents}, {Account: marketplace.HoldAccount(d.ID), Cents: cents}}}
		}
		return marketplace.Op{Key: fmt.Sprint("credit-", n), Kind: marketplace.MoveYearlyCredit,
			Postings: []marketplace.Posting{{Account: marketplace.RightsSource, Cents: -500}, {Account: learner, Cents: 500}}}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				op := next()
				ok, err := victim.Apply(ctx, op)
				if err != nil || !ok {
					continue
				}
				mu.Lock()
				acked = append(acked, op)
				if op.Kind == marketplace.MoveHold {
					held = append(held, op)
				}
				mu.Unlock()
			}
		}()
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		enough := len(acked) >= 10
		mu.Unlock()
		if enough {
			break
		}
	}
	time.Sleep(time.Duration(rand.IntN(500)) * time.Millisecond)
	client.Disconnect(ctx) // the crash: in-flight operations stop where they are
	close(stop)
	wg.Wait()

	survivor, err := mongo.New(ctx, srv.Client(), mongo.Config{Database: db, OpTimeout: crashOpTimeout})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(crashOpTimeout + 100*time.Millisecond) // recovery waits for op_timeout
	// A pass cut short by its operation timeout (a loaded machine, the
	// race detector) is run again, as the replicas' periodic pass would.
	// A pass that leaves a record it claimed pending makes it young again:
	// the next pass takes it after op_timeout.
	var recovered int
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(crashOpTimeout + 100*time.Millisecond) {
		n, err := survivor.Recover(ctx, crashOpTimeout)
		recovered += n
		if err != nil && (!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, mongo.ErrUnavailable) || time.Now().After(deadline)) {
			t.Fatal(err)
		}
		pending, err := survivor.Database().Collection("journal").CountDocuments(ctx, bson.M{"st": "pending"})
		if err == nil && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d operations still pending, %v", pending, err)
		}
	}
	// The checks read with time to spare.
	survivor, err = mongo.New(ctx, srv.Client(), mongo.Config{Database: db, OpTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d operations acknowledged, %d recovered", len(acked), recovered)
	if len(acked) < 10 {
		t.Fatalf("only %d operations acknowledged before the crash", len(acked))
	}
	for _, op := range acked {
		if _, err := survivor.Journal(ctx, op.Key); err != nil {
			t.Errorf("acknowledged %s lost: %v", op.Key, err)
		}
		if applied, err := survivor.Apply(ctx, op); applied || err != nil {
			t.Errorf("replay of acknowledged %s: applied %v, %v", op.Key, applied, err)
		}
	}
	bal, fromEntries, err := survivor.AuditLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for a, v := range bal {
		sum += v
		if v != fromEntries[a] {
			t.Errorf("%s: balance %d, entries sum %d", a, v, fromEntries[a])
		}
		if v < 0 && !a.IsSource() {
			t.Errorf("%s is negative: %d", a, v)
		}
	}
	if sum != 0 {
		t.Errorf("balances sum to %d", sum)
	}
}
