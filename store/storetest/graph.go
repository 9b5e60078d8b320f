package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/skills"
)

// RunGraph runs the conformance suite of skills.Store; open returns a new
// empty store for each subtest.
func RunGraph(t *testing.T, open func(t *testing.T) skills.Store) {
	t.Run("PutAndScan", func(t *testing.T) { testGraphPutScan(t, open(t)) })
	t.Run("UpsertAndDelete", func(t *testing.T) { testGraphUpsertDelete(t, open(t)) })
	t.Run("ScanChunksNodesFirst", func(t *testing.T) { testGraphChunks(t, open(t)) })
	t.Run("ScanStopsOnError", func(t *testing.T) { testGraphScanError(t, open(t)) })
}

// GraphBatch is a small batch with one record of every kind.
func GraphBatch() skills.Batch {
	return skills.Batch{
		Skills:         []skills.Skill{{ID: "rome:1", Label: "Programmer en Go", Kind: "savoir-faire", AltLabels: []string{"Golang"}}, {ID: "rome:2", Label: "Langages de programmation", Kind: "savoir"}},
		Occupations:    []skills.Occupation{{ID: "M1805", Label: "Études et développement informatique", Domain: "M18"}},
		Certifications: []skills.Certification{{Code: "RNCP37674", Title: "Développeur web et web mobile", Level: 5, Active: true, Formacodes: []string{"31054"}, Certifiers: []string{"Ministère du Travail"}}},
		JobOffers:      []skills.JobOffer{{ID: "job-1", Title: "Développeur Go", Occupation: "M1805"}},
		Edges: []skills.Edge{
			{Rel: skills.Requires, From: "M1805", To: "rome:1", Essential: true},
			{Rel: skills.Broader, From: "rome:1", To: "rome:2"},
			{Rel: skills.HasSkill, From: "person-1", To: "rome:1", Level: 3, Evidence: skills.Declared},
		},
		Outcomes: []skills.Outcome{{Formacode: "31054", Label: "Informatique", AreaKind: skills.AreaRegion, Area: "84", Year: 2024, Leavers: 812, RatePerMil: 563}},
		Hiring:   []skills.Hiring{{Year: 2025, Job: "M2Z90", JobLabel: "Ingénieurs informatique", Area: "8401", AreaLabel: "Lyon", Region: "84", Projects: 1200, Difficult: 700, Seasonal: 10}},
	}
}

func scanAll(t *testing.T, s skills.Store) skills.Batch {
	t.Helper()
	var all skills.Batch
	err := s.ScanGraph(context.Background(), func(b skills.Batch) error {
		all.Skills = append(all.Skills, b.Skills...)
		all.Occupations = append(all.Occupations, b.Occupations...)
		all.Certifications = append(all.Certifications, b.Certifications...)
		all.JobOffers = append(all.JobOffers, b.JobOffers...)
		all.Edges = append(all.Edges, b.Edges...)
		all.Outcomes = append(all.Outcomes, b.Outcomes...)
		all.Hiring = append(all.Hiring, b.Hiring...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(all.Skills, func(i, j int) bool { return all.Skills[i].ID < all.Skills[j].ID })
	sort.Slice(all.Edges, func(i, j int) bool { return all.Edges[i].Key() < all.Edges[j].Key() })
	return all
}

func testGraphPutScan(t *testing.T, s skills.Store) {
	want := GraphBatch()
	if err := s.PutGraph(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, s)
	sort.Slice(want.Edges, func(i, j int) bool { return want.Edges[i].Key() < want.Edges[j].Key() })
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("scan after put (-want +got):\n%s", d)
	}
}

func testGraphUpsertDelete(t *testing.T, s skills.Store) {
	ctx := context.Background()
	b := GraphBatch()
	if err := s.PutGraph(ctx, b); err != nil {
		t.Fatal(err)
	}
	// Same keys, new values: replaced, not duplicated.
	b2 := skills.Batch{
		Skills: []skills.Skill{{ID: "rome:1", Label: "Développer en Go", Kind: "savoir-faire"}},
		Edges:  []skills.Edge{{Rel: skills.HasSkill, From: "person-1", To: "rome:1", Level: 4, Evidence: skills.Attested}},
		// Deleting an absent edge is not an error.
		DeleteEdges: []skills.Edge{{Rel: skills.Broader, From: "rome:1", To: "rome:2"}, {Rel: skills.Related, From: "x", To: "y"}},
	}
	if err := s.PutGraph(ctx, b2); err != nil {
		t.Fatal(err)
	}
	got := scanAll(t, s)
	if len(got.Skills) != 2 || got.Skills[0].Label != "Développer en Go" {
		t.Errorf("skills after upsert = %+v", got.Skills)
	}
	wantEdges := []skills.Edge{
		{Rel: skills.HasSkill, From: "person-1", To: "rome:1", Level: 4, Evidence: skills.Attested},
		{Rel: skills.Requires, From: "M1805", To: "rome:1", Essential: true},
	}
	if d := cmp.Diff(wantEdges, got.Edges); d != "" {
		t.Errorf("edges after upsert and delete (-want +got):\n%s", d)
	}
}

func testGraphChunks(t *testing.T, s skills.Store) {
	ctx := context.Background()
	var b skills.Batch
	const n = 25000
	for i := range n {
		b.Skills = append(b.Skills, skills.Skill{ID: fmt.Sprintf("s:%05d", i), Label: fmt.Sprintf("Compétence %d", i)})
		b.Edges = append(b.Edges, skills.Edge{Rel: skills.Related, From: fmt.Sprintf("s:%05d", i), To: fmt.Sprintf("s:%05d", (i+1)%n)})
	}
	if err := s.PutGraph(ctx, b); err != nil {
		t.Fatal(err)
	}
	calls, skillsSeen, edgesSeen, maxLen := 0, 0, 0, 0
	err := s.ScanGraph(ctx, func(b skills.Batch) error {
		calls++
		maxLen = max(maxLen, b.Len())
		if len(b.Edges) > 0 && skillsSeen < n {
			return errors.New("an edge came before every node was scanned")
		}
		skillsSeen += len(b.Skills)
		edgesSeen += len(b.Edges)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if skillsSeen != n || edgesSeen != n {
		t.Errorf("scanned %d skills and %d edges, want %d each", skillsSeen, edgesSeen, n)
	}
	if calls < 3 || maxLen > 20000 {
		t.Errorf("scan used %d calls of at most %d records: it must hand bounded chunks", calls, maxLen)
	}
}

func testGraphScanError(t *testing.T, s skills.Store) {
	ctx := context.Background()
	if err := s.PutGraph(ctx, GraphBatch()); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	if err := s.ScanGraph(ctx, func(skills.Batch) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ScanGraph returned %v, want the callback's error", err)
	}
}
