package bolt_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

// BenchmarkEachDossier is the nightly scan's reading of 200,000 dossiers.
func BenchmarkEachDossier(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 200_000
	if err := s.PutDossiersForBench(storetest.BenchDossiers(n)); err != nil {
		b.Fatal(err)
	}
	storetest.BenchEachDossier(b, s, n)
}
