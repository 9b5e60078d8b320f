package marketplace_test

import (
	"fmt"
	"testing"

	"github.com/parcours/parcours/marketplace"
)

func TestRightsShards(t *testing.T) {
	count := map[marketplace.LedgerAccount]int{}
	for i := range 16000 {
		id := fmt.Sprintf("01a2285f-%04x-7572-a96e-%012x", i%65536, i)
		s := marketplace.RightsSourceFor(id)
		if s != marketplace.RightsSourceFor(id) {
			t.Fatalf("%s draws on two shards", id)
		}
		if !s.IsSource() || !s.IsRightsSource() || s.Kind() != "source" {
			t.Fatalf("shard %s is not a rights source", s)
		}
		count[s]++
	}
	if len(count) != marketplace.RightsShards {
		t.Fatalf("%d shards used, want %d", len(count), marketplace.RightsShards)
	}
	for s, n := range count {
		if n < 800 || n > 1200 { // 1,000 each when even
			t.Errorf("%s draws %d of 16,000 accounts", s, n)
		}
	}
	bal := map[marketplace.LedgerAccount]int64{
		marketplace.RightsSource:               -300,
		marketplace.RightsSourceFor("a"):       -500,
		marketplace.RightsSourceFor("b"):       -700,
		marketplace.LearnerAccount("a"):        800,
		marketplace.FunderSource("f"):          -50,
		marketplace.LearnerAccount("b"):        750,
		marketplace.HoldAccount("d"):           0,
		marketplace.ExternalSource("card"):     0,
		marketplace.ProviderAccount("p"):       0,
		marketplace.LedgerAccount("source:ri"): 0,
	}
	if marketplace.RightsSourceFor("a") == marketplace.RightsSourceFor("b") {
		bal[marketplace.RightsSourceFor("a")] = -1200
	}
	if got := marketplace.RightsIssued(bal); got != 1500 {
		t.Errorf("RightsIssued = %d, want 1500", got)
	}
	if marketplace.FunderSource("f").IsRightsSource() {
		t.Error("a funder's source counted as rights")
	}
}
