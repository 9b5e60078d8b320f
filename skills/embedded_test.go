package skills_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/graphtest"
	"github.com/parcours/parcours/store/bolt"
)

func TestEmbeddedInMemory(t *testing.T) {
	graphtest.Run(t, func(t *testing.T) skills.Graph {
		g, err := skills.NewEmbedded(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return g
	})
}

// TestEmbeddedOnBolt runs the suite on a graph persisted in bbolt, and
// checks that reopening the file gives the same answers.
func TestEmbeddedOnBolt(t *testing.T) {
	graphtest.Run(t, func(t *testing.T) skills.Graph {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "parcours.db"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		g, err := skills.NewEmbedded(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		return g
	})
}

func TestEmbeddedReloadsFromStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "parcours.db")
	s, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	g, err := skills.NewEmbedded(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	graphtest.Load(t, g)
	before, _ := g.Gap(ctx, graphtest.Person, skills.Target{Occupation: "M1805"})
	s.Close()

	s, err = bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g2, err := skills.NewEmbedded(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	after, err := g2.Gap(ctx, graphtest.Person, skills.Target{Occupation: "M1805"})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Covered) != len(before.Covered) || len(after.Missing) != len(before.Missing) || len(before.Covered) == 0 {
		t.Errorf("gap after reload = %+v, before = %+v", after, before)
	}
	st, err := g2.Apply(ctx, graphtest.Batch())
	if err != nil || st.Written != 0 {
		t.Errorf("re-applying after reload wrote %d records (%v); want none", st.Written, err)
	}
}
