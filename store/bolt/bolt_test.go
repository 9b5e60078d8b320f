package bolt_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

func open(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) marketplace.Store { return open(t) })
}

func TestEnrolmentConformance(t *testing.T) {
	storetest.RunEnrolment(t, func(t *testing.T) marketplace.EnrolmentStore { return open(t) })
}
