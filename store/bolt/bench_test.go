package bolt_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

// BenchmarkStore measures the embedded store holding the demo set (300
// providers, 20,000 offers): the reads behind the offer page and the
// region listing, and one synced offer creation.
func BenchmarkStore(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// Each creation is one bbolt transaction, fsynced before it returns.
	storetest.BenchCatalogue(b, s, demo.Catalogue(demo.Options{Seed: 1, Providers: 300, Offers: 20000}, nil))
}
