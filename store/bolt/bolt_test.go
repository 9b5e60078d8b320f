package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/skills"
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

func TestGraphConformance(t *testing.T) {
	storetest.RunGraph(t, func(t *testing.T) skills.Store { return open(t) })
}

// TestGraphSurvivesReopen proves the graph is persisted in the file.
func TestGraphSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parcours.db")
	s, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutGraph(context.Background(), storetest.GraphBatch()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g, err := skills.NewEmbedded(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := g.Counts(context.Background())
	if c.Skills != 2 || c.Occupations != 1 || c.Edges != 3 || c.Outcomes != 1 || c.Hiring != 1 {
		t.Errorf("counts after reopen = %+v", c)
	}
}

func TestEnrolmentConformance(t *testing.T) {
	storetest.RunEnrolment(t, func(t *testing.T) marketplace.EnrolmentStore { return open(t) })
}

func TestAuthConformance(t *testing.T) {
	storetest.RunAuth(t, func(t *testing.T) storetest.AuthStore { return open(t) })
}

func TestMatchingConformance(t *testing.T) {
	storetest.RunMatching(t, func(t *testing.T) matching.Store { return open(t) })
}

func TestControlsConformance(t *testing.T) {
	bolt.SmallScanBatches(t)
	storetest.RunControls(t, func(t *testing.T) storetest.ControlsStore { return open(t) })
}

func TestRecommendConformance(t *testing.T) {
	bolt.SmallScanBatches(t)
	storetest.RunRecommend(t, func(t *testing.T) storetest.RecommendStore { return open(t) })
}
