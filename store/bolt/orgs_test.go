package bolt_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

func TestOrgsConformance(t *testing.T) {
	storetest.RunOrgs(t, func(t *testing.T) storetest.OrgStore { return open(t) })
}

// BenchmarkSignInStore measures the sign-in counters, memberships and
// contact details on the embedded store; each AddAttempt is one synced
// bbolt transaction.
func BenchmarkSignInStore(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchSignIn(b, s)
}
