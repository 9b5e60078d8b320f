package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/starter"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/mongo/mongotest"
)

// TestReplicaCachesFollowWrites runs two app instances over one database,
// each following the change feed as serve does, and writes through the
// first: the second's search index, skills graph (trainings, the
// referential, a learner's declared skills, added then removed) and
// neutrality figures follow. A third instance with other secrets is
// refused.
func TestReplicaCachesFollowWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("uses the test MongoDB server")
	}
	srv, err := mongotest.Start()
	if err != nil {
		t.Fatal(err)
	}
	db := srv.NewDatabase()
	t.Setenv("PARCOURS_CONFIG", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	open := func(dir string) (*app, error) {
		cfg, err := loadConfig(commonFlags{data: dir})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Store.Driver, cfg.Store.Mongo.URI, cfg.Store.Mongo.Database = "mongo", srv.URI, db
		cfg.Store.Mongo.PollInterval = 50 * time.Millisecond
		return openApp(ctx, cfg, log)
	}
	dirs, _ := replicaDataDirs(t, 2)
	var replicas []*app
	for _, dir := range dirs {
		a, err := open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.close() })
		// As serve starts: the memory built from the store, then the
		// feed followed from its position before that.
		after := a.feedFrom
		if err := a.index.Build(ctx, a.store); err != nil {
			t.Fatal(err)
		}
		if err := a.buildGraph(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { a.followReplicas(ctx, after, log); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		replicas = append(replicas, a)
	}
	a, b := replicas[0], replicas[1]
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the second replica never saw %s", what)
			}
		}
	}

	// Secrets other than the database's are refused.
	if _, err := open(t.TempDir()); !errors.Is(err, mongo.ErrKeysDiffer) {
		t.Errorf("a replica with other secrets: %v, want ErrKeysDiffer", err)
	}

	// A published offer: in the search index and among the graph's trainings.
	admin := marketplace.Actor{Admin: true}
	p, err := a.catalogue.CreateProvider(ctx, admin, marketplace.Provider{
		SIRET: "90123456700013", Name: "Atelier Numérique Rhône Formation", NDA: "84691234569", Commune: "69123",
		Qualiopi: marketplace.Qualiopi{Certificate: "FR061245-2", Certifier: "AFNOR Certification", ValidUntil: time.Now().AddDate(1, 0, 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := a.catalogue.CreateOffer(ctx, admin, marketplace.Offer{
		ProviderID: p.ID, Certification: marketplace.Certification{Code: "RS5517", Title: "TOEIC"},
		Title: "Préparation au TOEIC", Skills: []string{"anglais"}, PriceCents: 900_00, Hours: 30,
		Modality: marketplace.InPerson, Commune: "69123", Status: marketplace.Published,
	})
	if err != nil {
		t.Fatal(err)
	}
	graphOffers := func(x *app) int {
		c, err := x.graph.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c.Offers
	}
	eventually("the offer", func() bool { return b.index.Len() == 1 && graphOffers(b) == 1 })
	if err := a.catalogue.DeleteOffer(ctx, admin, o.ID); err != nil {
		t.Fatal(err)
	}
	eventually("the offer deleted", func() bool { return b.index.Len() == 0 && graphOffers(b) == 0 })

	// The referential, imported through the first replica (a reload).
	if _, _, err := starter.Load(ctx, a.graph); err != nil {
		t.Fatal(err)
	}
	ca, err := a.graph.Counts(ctx)
	if err != nil || ca.Skills == 0 {
		t.Fatalf("the starter referential: %+v, %v", ca, err)
	}
	eventually("the referential", func() bool {
		cb, err := b.graph.Counts(ctx)
		return err == nil && cb == ca
	})

	// A learner declares a skill on the first replica, then withdraws it.
	occs, err := a.graph.Occupations(ctx)
	if err != nil || len(occs) == 0 {
		t.Fatalf("occupations: %v", err)
	}
	view, err := a.graph.Occupation(ctx, occs[0].ID)
	if err != nil || len(view.Requires) == 0 {
		t.Fatalf("occupation %s: %+v, %v", occs[0].ID, view, err)
	}
	skill := view.Requires[0].Skill
	if err := a.graph.SetDeclaredSkills(ctx, "learner-1", []skills.Held{{Skill: skill, Level: 3}}); err != nil {
		t.Fatal(err)
	}
	held := func() []skills.Held {
		h, err := b.graph.PersonSkills(ctx, "learner-1")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	eventually("the declared skill", func() bool { h := held(); return len(h) == 1 && h[0].Skill.ID == skill.ID && h[0].Level == 3 })
	if err := a.graph.SetDeclaredSkills(ctx, "learner-1", nil); err != nil {
		t.Fatal(err)
	}
	eventually("the skill withdrawn", func() bool { return len(held()) == 0 })

	// The neutrality figures the first replica measured.
	if err := a.measureNeutrality(ctx); err != nil {
		t.Fatal(err)
	}
	want, _ := a.monitor.Latest()
	eventually("the neutrality figures", func() bool { got, ok := b.monitor.Latest(); return ok && got.ComputedAt.Equal(want.ComputedAt) })
}
