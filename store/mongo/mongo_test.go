package mongo_test

import (
	"context"
	"testing"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/mongo/mongotest"
	"github.com/parcours/parcours/store/storetest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

// open returns a store on a fresh database of the shared test server.
func open(t testing.TB) *mongo.Store {
	t.Helper()
	srv := mongotest.Shared(t)
	s, err := mongo.New(context.Background(), srv.Client(), mongo.Config{Database: srv.NewDatabase()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Database().Drop(context.Background()) })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) marketplace.Store { return open(t) })
}

func TestEnrolmentConformance(t *testing.T) {
	storetest.RunEnrolment(t, func(t *testing.T) marketplace.EnrolmentStore { return open(t) })
}

func TestGraphConformance(t *testing.T) {
	storetest.RunGraph(t, func(t *testing.T) skills.Store { return open(t) })
}

func TestAuthConformance(t *testing.T) {
	storetest.RunAuth(t, func(t *testing.T) storetest.AuthStore { return open(t) })
}

func TestMatchingConformance(t *testing.T) {
	storetest.RunMatching(t, func(t *testing.T) matching.Store {
		s := open(t)
		if err := s.EnsureMatchingIndexes(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestControlsConformance(t *testing.T) {
	storetest.RunControls(t, func(t *testing.T) storetest.ControlsStore { return open(t) })
}

func TestRecommendConformance(t *testing.T) {
	storetest.RunRecommend(t, func(t *testing.T) storetest.RecommendStore { return open(t) })
}
