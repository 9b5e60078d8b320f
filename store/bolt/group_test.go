package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parcours/parcours/marketplace"
)

// Operations refused inside a group commit leave no trace, and the others
// of their group commit: balances agree with the entries, and only the
// applied keys are journaled.
func TestGroupCommitIsolatesRefusals(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	acct := marketplace.LearnerAccount("a")
	var wg sync.WaitGroup
	applied := make([]bool, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint("op-", i)
			op := marketplace.Op{Key: key, Fingerprint: key, Kind: marketplace.MoveYearlyCredit,
				Postings: []marketplace.Posting{{Account: marketplace.RightsSource, Cents: -100}, {Account: acct, Cents: 100}}}
			if i%2 == 1 { // a spend that the balance may or may not cover
				op.Kind = marketplace.MoveHold
				op.Postings = []marketplace.Posting{{Account: acct, Cents: -150}, {Account: marketplace.HoldAccount(key), Cents: 150}}
			}
			ok, err := s.Apply(ctx, op)
			if err != nil && !errors.Is(err, marketplace.ErrInsufficientBalance) {
				t.Error(err)
			}
			applied[i] = ok
		}()
	}
	wg.Wait()
	bal, fromEntries, err := s.AuditLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sum, want int64
	for a, b := range bal {
		sum += b
		if b != fromEntries[a] || b < 0 && !a.IsSource() {
			t.Errorf("%s: balance %d, entries %d", a, b, fromEntries[a])
		}
	}
	for i, ok := range applied {
		key := fmt.Sprint("op-", i)
		_, err := s.Journal(ctx, key)
		if ok != (err == nil) {
			t.Errorf("%s: applied %v, journal %v", key, ok, err)
		}
		if ok && i%2 == 0 {
			want += 100
		} else if ok {
			want -= 150
		}
	}
	if sum != 0 || bal[acct] != want {
		t.Errorf("sum %d, balance %d, want %d", sum, bal[acct], want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, marketplace.Op{Key: "late"}); err == nil {
		t.Error("an operation after Close was accepted")
	}
}
