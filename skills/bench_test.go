package skills_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/store/bolt"
)

// The generated graph has the size of ESCO v1.2: 3,000 occupations, 14,000
// skills and about 130,000 relations (occupation requirements, the skills
// hierarchy, related skills), plus 2,000 certifications teaching 8 skills
// each, 20,000 published offers and 1,000 people holding 25 skills each.
const (
	benchOccupations = 3000
	benchSkills      = 14000
	benchCerts       = 2000
	benchOffers      = 20000
	benchPeople      = 1000
)

func benchBatch() skills.Batch {
	r := rand.New(rand.NewPCG(7, 7))
	var b skills.Batch
	for i := range benchSkills {
		b.Skills = append(b.Skills, skills.Skill{ID: fmt.Sprintf("esco:skill:%05d", i), Label: fmt.Sprintf("compétence %d", i), Kind: "skill/competence"})
	}
	skill := func() string { return fmt.Sprintf("esco:skill:%05d", r.IntN(benchSkills)) }
	for i := range benchOccupations {
		id := fmt.Sprintf("esco:occupation:%04d", i)
		b.Occupations = append(b.Occupations, skills.Occupation{ID: id, Label: fmt.Sprintf("métier %d", i)})
		// ESCO occupations have about 17 essential and 22 optional skills.
		for k := range 39 {
			b.Edges = append(b.Edges, skills.Edge{Rel: skills.Requires, From: id, To: skill(), Essential: k < 17})
		}
	}
	// A hierarchy: each skill but the first 500 has a broader one below its index.
	for i := 500; i < benchSkills; i++ {
		b.Edges = append(b.Edges, skills.Edge{Rel: skills.Broader, From: fmt.Sprintf("esco:skill:%05d", i), To: fmt.Sprintf("esco:skill:%05d", r.IntN(i))})
	}
	for range 5000 {
		b.Edges = append(b.Edges, skills.Edge{Rel: skills.Related, From: skill(), To: skill()})
	}
	for i := range benchCerts {
		code := fmt.Sprintf("RNCP%05d", 30000+i)
		b.Certifications = append(b.Certifications, skills.Certification{Code: code, Title: "Certification " + code, Level: 3 + i%5, Active: true})
		for range 8 {
			b.Edges = append(b.Edges, skills.Edge{Rel: skills.Teaches, From: code, To: skill()})
		}
	}
	for p := range benchPeople {
		for range 25 {
			b.Edges = append(b.Edges, skills.Edge{Rel: skills.HasSkill, From: fmt.Sprintf("person-%04d", p), To: skill(), Level: 2, Evidence: skills.Declared})
		}
	}
	// Drop self-loops and duplicate keys the random draw made.
	seen := map[string]bool{}
	b.Edges = slices.DeleteFunc(b.Edges, func(e skills.Edge) bool {
		k := e.Key()
		dup := seen[k] || e.From == e.To
		seen[k] = true
		return dup
	})
	return b
}

func benchOffersList() []marketplace.Offer {
	r := rand.New(rand.NewPCG(8, 8))
	var out []marketplace.Offer
	for i := range benchOffers {
		out = append(out, marketplace.Offer{ID: fmt.Sprintf("offer-%05d", i), ProviderID: fmt.Sprintf("p-%03d", r.IntN(500)),
			Title: "Formation", Certification: marketplace.Certification{Code: fmt.Sprintf("RNCP%05d", 30000+r.IntN(benchCerts))},
			PriceCents: int64(50000 + r.IntN(800000)), Hours: 20 + r.IntN(800), Region: []string{"11", "84", "75", "93"}[r.IntN(4)],
			Status: marketplace.Published})
	}
	return out
}

func benchGraph(b *testing.B) *skills.Embedded {
	b.Helper()
	g, err := skills.NewEmbedded(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := g.Apply(context.Background(), benchBatch()); err != nil {
		b.Fatal(err)
	}
	for _, o := range benchOffersList() {
		g.OfferSaved(o, nil)
	}
	return g
}

// reportPercentiles adds p50 and p99 of the measured durations.
func reportPercentiles(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	if len(d) == 0 {
		return
	}
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkGraphApply measures writing the whole ESCO-size graph into the
// embedded backend on a bbolt file, as an import does (batches of 5,000).
func BenchmarkGraphApply(b *testing.B) {
	batch := benchBatch()
	b.ReportMetric(float64(batch.Len()), "records")
	for b.Loop() {
		b.StopTimer()
		s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		g, _ := skills.NewEmbedded(context.Background(), s)
		b.StartTimer()
		for i := 0; i < len(batch.Edges); i += 5000 {
			part := skills.Batch{Edges: batch.Edges[i:min(i+5000, len(batch.Edges))]}
			if i == 0 {
				part.Skills, part.Occupations, part.Certifications = batch.Skills, batch.Occupations, batch.Certifications
			}
			if _, err := g.Apply(context.Background(), part); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkGraphLoad measures the start of the service: reading the whole
// graph back from the bbolt file into memory.
func BenchmarkGraphLoad(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g, _ := skills.NewEmbedded(context.Background(), s)
	if _, err := g.Apply(context.Background(), benchBatch()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := skills.NewEmbedded(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGap measures the gap between a person and an occupation.
func BenchmarkGap(b *testing.B) {
	g := benchGraph(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 9))
	var d []time.Duration
	for b.Loop() {
		person := fmt.Sprintf("person-%04d", r.IntN(benchPeople))
		occ := fmt.Sprintf("esco:occupation:%04d", r.IntN(benchOccupations))
		start := time.Now()
		if _, err := g.Gap(ctx, person, skills.Target{Occupation: occ}); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	reportPercentiles(b, d)
}

// BenchmarkTrainings measures "trainings that close the gap" for the
// missing skills of a person and an occupation (top 10).
func BenchmarkTrainings(b *testing.B) {
	g := benchGraph(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(10, 10))
	var gaps [][]skills.Requirement
	for range 1000 {
		gap, err := g.Gap(ctx, fmt.Sprintf("person-%04d", r.IntN(benchPeople)), skills.Target{Occupation: fmt.Sprintf("esco:occupation:%04d", r.IntN(benchOccupations))})
		if err != nil {
			b.Fatal(err)
		}
		gaps = append(gaps, gap.Missing)
	}
	var d []time.Duration
	i := 0
	for b.Loop() {
		need := gaps[i%len(gaps)]
		i++
		start := time.Now()
		if _, err := g.Trainings(ctx, need, skills.TrainingQuery{Limit: 10}); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	reportPercentiles(b, d)
}

// BenchmarkPasserelles measures the occupations nearest a person's skills,
// which scans every occupation.
func BenchmarkPasserelles(b *testing.B) {
	g := benchGraph(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 11))
	var d []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := g.Passerelles(ctx, fmt.Sprintf("person-%04d", r.IntN(benchPeople)), 10); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	reportPercentiles(b, d)
}

// TestBenchGraphSize keeps the generated graph at ESCO's size.
func TestBenchGraphSize(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a large graph")
	}
	b := benchBatch()
	rel := 0
	for _, e := range b.Edges {
		if e.Rel == skills.Requires || e.Rel == skills.Broader || e.Rel == skills.Related {
			rel++
		}
	}
	if len(b.Occupations) != 3000 || len(b.Skills) != 14000 || rel < 125000 || rel > 140000 {
		t.Errorf("generated %d occupations, %d skills, %d relations", len(b.Occupations), len(b.Skills), rel)
	}
}
