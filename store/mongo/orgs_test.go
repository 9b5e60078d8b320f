package mongo_test

import (
	"testing"

	"github.com/parcours/parcours/store/storetest"
)

func TestOrgsConformance(t *testing.T) {
	storetest.RunOrgs(t, func(t *testing.T) storetest.OrgStore { return open(t) })
}

// BenchmarkMongoSignInStore measures the same on the MongoDB backend
// (embedded FerretDB): AddAttempt is an insert and a count.
func BenchmarkMongoSignInStore(b *testing.B) {
	s := open(b)
	storetest.BenchSignIn(b, s)
}
