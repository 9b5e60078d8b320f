package mongo_test

import (
	"context"
	"testing"

	"github.com/parcours/parcours/store/storetest"
)

// BenchmarkMongoEachDossier is the nightly scan's reading of 20,000
// dossiers from the test server (embedded FerretDB).
func BenchmarkMongoEachDossier(b *testing.B) {
	s := open(b)
	const n = 20_000
	if err := s.PutDossiersForBench(context.Background(), storetest.BenchDossiers(n)); err != nil {
		b.Fatal(err)
	}
	storetest.BenchEachDossier(b, s, n)
}
