// Package graphtest is the suite of graph queries that every backend of
// skills.Graph passes, on a small graph whose answers were worked out by
// hand (see the comments at each check).
package graphtest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
)

// Hand-checked graph. Skill IDs are short to keep the expectations readable.
var (
	prog  = skills.Skill{ID: "s:prog", Label: "Programmation", Kind: "savoir"}
	goS   = skills.Skill{ID: "s:go", Label: "Programmer en Go", Kind: "savoir-faire"}
	java  = skills.Skill{ID: "s:java", Label: "Programmer en Java", Kind: "savoir-faire"}
	sql   = skills.Skill{ID: "s:sql", Label: "Concevoir une base de données", Kind: "savoir-faire"}
	git   = skills.Skill{ID: "s:git", Label: "Utiliser un gestionnaire de versions", Kind: "savoir-faire"}
	test  = skills.Skill{ID: "s:test", Label: "Tester une application", Kind: "savoir-faire"}
	web   = skills.Skill{ID: "s:web", Label: "Développer une interface web", Kind: "savoir-faire"}
	cpt   = skills.Skill{ID: "s:cpt", Label: "Tenir la comptabilité", Kind: "savoir-faire"}
	paie  = skills.Skill{ID: "s:paie", Label: "Établir les bulletins de paie", Kind: "savoir-faire"}
	excel = skills.Skill{ID: "s:excel", Label: "Utiliser un tableur", Kind: "savoir-faire", AltLabels: []string{"Excel"}}

	dev   = skills.Occupation{ID: "M1805", Label: "Études et développement informatique", Domain: "M18"}
	compt = skills.Occupation{ID: "M1203", Label: "Comptabilité", Domain: "M12"}
	admin = skills.Occupation{ID: "M1801", Label: "Administration de systèmes d'information", Domain: "M18"}

	dwwm = skills.Certification{Code: "RNCP37674", Title: "Développeur web et web mobile", Level: 5, Active: true}
	cda  = skills.Certification{Code: "RNCP37873", Title: "Concepteur développeur d'applications", Level: 6, Active: true}
	gcf  = skills.Certification{Code: "RNCP38042", Title: "Gestionnaire comptable et fiscal", Level: 5, Active: true}
	tosa = skills.Certification{Code: "RS5252", Title: "TOSA Excel", Active: true}
)

// Person is the person of the suite.
const Person = "person-1"

func req(from string, s skills.Skill, essential bool) skills.Edge {
	return skills.Edge{Rel: skills.Requires, From: from, To: s.ID, Essential: essential}
}

func teach(c skills.Certification, ss ...skills.Skill) []skills.Edge {
	var out []skills.Edge
	for _, s := range ss {
		out = append(out, skills.Edge{Rel: skills.Teaches, From: c.Code, To: s.ID})
	}
	return out
}

// Batch is the hand-checked graph.
func Batch() skills.Batch {
	b := skills.Batch{
		Skills:         []skills.Skill{prog, goS, java, sql, git, test, web, cpt, paie, excel},
		Occupations:    []skills.Occupation{dev, compt, admin},
		Certifications: []skills.Certification{dwwm, cda, gcf, tosa},
		JobOffers:      []skills.JobOffer{{ID: "job-1", Title: "Développeur Go", Occupation: "M1805"}},
		Edges: []skills.Edge{
			{Rel: skills.Broader, From: goS.ID, To: prog.ID},
			{Rel: skills.Broader, From: java.ID, To: prog.ID},
			{Rel: skills.Related, From: web.ID, To: prog.ID},
			req(dev.ID, prog, true), req(dev.ID, sql, true), req(dev.ID, test, true), req(dev.ID, git, false), req(dev.ID, web, false),
			req(compt.ID, cpt, true), req(compt.ID, excel, true), req(compt.ID, paie, false),
			req(admin.ID, sql, true), req(admin.ID, git, true), req(admin.ID, excel, false),
			req("job-1", goS, true), req("job-1", git, true), req("job-1", sql, false),
			{Rel: skills.Prepares, From: dwwm.Code, To: dev.ID},
			{Rel: skills.Prepares, From: cda.Code, To: dev.ID},
			{Rel: skills.Prepares, From: gcf.Code, To: compt.ID},
			{Rel: skills.HasSkill, From: Person, To: goS.ID, Level: 3, Evidence: skills.Declared},
			{Rel: skills.HasSkill, From: Person, To: sql.ID, Level: 2, Evidence: skills.Attested},
			{Rel: skills.HasSkill, From: Person, To: excel.ID, Level: 2, Evidence: skills.Declared},
			// A link to a node nobody imported yet is kept but ignored.
			{Rel: skills.Requires, From: dev.ID, To: "s:unknown", Essential: true},
		},
	}
	b.Edges = append(b.Edges, teach(dwwm, web, test, git, prog)...)
	b.Edges = append(b.Edges, teach(cda, prog, sql, test)...)
	b.Edges = append(b.Edges, teach(gcf, cpt, paie, excel)...)
	b.Edges = append(b.Edges, teach(tosa, excel)...)
	return b
}

func offer(id, cert string, euros int64, hours int, region string, st marketplace.Status) marketplace.Offer {
	return marketplace.Offer{ID: id, ProviderID: "p-" + id, Title: "Formation " + id, Certification: marketplace.Certification{Code: cert},
		PriceCents: euros * 100, Hours: hours, Region: region, Status: st}
}

// Offers are the suite's training offers; o5 is a draft and o7 is deleted.
func Offers() []marketplace.Offer {
	return []marketplace.Offer{
		offer("o1", "RNCP37674", 5000, 400, "84", marketplace.Published),
		offer("o2", "RNCP37674", 4000, 500, "11", marketplace.Published),
		offer("o3", "RNCP37873", 3000, 600, "84", marketplace.Published),
		offer("o4", "RS5252", 500, 20, "84", marketplace.Published),
		offer("o5", "RNCP37873", 100, 10, "84", marketplace.Draft),
		offer("o6", "RNCP38042", 6000, 700, "11", marketplace.Published),
		offer("o7", "RNCP37674", 10, 10, "84", marketplace.Published),
	}
}

// Load writes the suite's graph and offers into g.
func Load(t testing.TB, g skills.Graph) {
	t.Helper()
	if _, err := g.Apply(context.Background(), Batch()); err != nil {
		t.Fatal(err)
	}
	for _, o := range Offers() {
		g.OfferSaved(o, nil)
	}
	g.OfferDeleted("o7")
	// o3 was first saved as a draft, then published: the last state counts.
	o5 := Offers()[4]
	o5.Status = marketplace.Published
	g.OfferSaved(o5, nil)
	o5.Status = marketplace.Draft
	g.OfferSaved(o5, nil)
}

// Run runs the suite; open returns a new empty graph for each subtest.
func Run(t *testing.T, open func(t *testing.T) skills.Graph) {
	loaded := func(t *testing.T) skills.Graph {
		g := open(t)
		Load(t, g)
		return g
	}
	t.Run("ApplyIdempotent", func(t *testing.T) { testIdempotent(t, open(t)) })
	t.Run("ApplyRejectsBadRecords", func(t *testing.T) { testApplyInvalid(t, open(t)) })
	t.Run("Occupation", func(t *testing.T) { testOccupation(t, loaded(t)) })
	t.Run("Neighbours", func(t *testing.T) { testNeighbours(t, loaded(t)) })
	t.Run("NearOccupations", func(t *testing.T) { testNear(t, loaded(t)) })
	t.Run("GapOccupation", func(t *testing.T) { testGapOccupation(t, loaded(t)) })
	t.Run("GapJobOffer", func(t *testing.T) { testGapJob(t, loaded(t)) })
	t.Run("Trainings", func(t *testing.T) { testTrainings(t, loaded(t)) })
	t.Run("TrainingsPerProvider", func(t *testing.T) { testTrainingsPerProvider(t, loaded(t)) })
	t.Run("Passerelles", func(t *testing.T) { testPasserelles(t, loaded(t)) })
	t.Run("DeclaredSkills", func(t *testing.T) { testDeclared(t, loaded(t)) })
	t.Run("SkillsByLabel", func(t *testing.T) { testByLabel(t, loaded(t)) })
	t.Run("Counts", func(t *testing.T) { testCounts(t, loaded(t)) })
	t.Run("Occupations", func(t *testing.T) { testOccupations(t, loaded(t)) })
}

func testIdempotent(t *testing.T, g skills.Graph) {
	ctx := context.Background()
	b := Batch()
	st, err := g.Apply(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if st.Written != b.Len() || st.Unchanged != 0 {
		t.Errorf("first apply: %+v, want %d written", st, b.Len())
	}
	st, err = g.Apply(ctx, Batch())
	if err != nil {
		t.Fatal(err)
	}
	if st.Written != 0 || st.Unchanged != b.Len() {
		t.Errorf("second apply of the same batch: %+v, want all %d unchanged", st, b.Len())
	}
	st, err = g.Apply(ctx, skills.Batch{Skills: []skills.Skill{{ID: prog.ID, Label: "Programmation informatique", Kind: "savoir"}}})
	if err != nil || st.Written != 1 {
		t.Errorf("changed label: %+v, %v; want 1 written", st, err)
	}
}

func testApplyInvalid(t *testing.T, g skills.Graph) {
	ctx := context.Background()
	bad := skills.Batch{
		Skills: []skills.Skill{{ID: "s:ok", Label: "Valide"}},
		Edges:  []skills.Edge{{Rel: skills.HasSkill, From: Person, To: "s:ok", Level: 9, Evidence: skills.Declared}},
	}
	if _, err := g.Apply(ctx, bad); !errors.Is(err, skills.ErrInvalid) {
		t.Fatalf("Apply of a bad level = %v, want ErrInvalid", err)
	}
	if _, err := g.Skill(ctx, "s:ok"); !errors.Is(err, skills.ErrNotFound) {
		t.Errorf("a rejected batch wrote its good records too: %v", err)
	}
}

func testOccupation(t *testing.T, g skills.Graph) {
	v, err := g.Occupation(context.Background(), "M1805")
	if err != nil {
		t.Fatal(err)
	}
	// Essential first, each group by label; the unknown skill is left out.
	want := skills.OccupationView{
		Occupation: dev,
		Requires: []skills.Requirement{
			{Skill: sql, Essential: true}, {Skill: prog, Essential: true}, {Skill: test, Essential: true},
			{Skill: web}, {Skill: git},
		},
		Certifications: []skills.Certification{dwwm, cda},
	}
	if d := cmp.Diff(want, v); d != "" {
		t.Errorf("Occupation(M1805) (-want +got):\n%s", d)
	}
	if _, err := g.Occupation(context.Background(), "Z9999"); !errors.Is(err, skills.ErrNotFound) {
		t.Errorf("unknown occupation: %v, want ErrNotFound", err)
	}
}

func testNeighbours(t *testing.T, g skills.Graph) {
	ctx := context.Background()
	got, err := g.Neighbours(ctx, prog.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []skills.Neighbour{{Skill: goS, Relation: "narrower"}, {Skill: java, Relation: "narrower"}, {Skill: web, Relation: "related"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Neighbours(prog) (-want +got):\n%s", d)
	}
	got, err = g.Neighbours(ctx, goS.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]skills.Neighbour{{Skill: prog, Relation: "broader"}}, got); d != "" {
		t.Errorf("Neighbours(go) (-want +got):\n%s", d)
	}
	if _, err := g.Neighbours(ctx, "s:none"); !errors.Is(err, skills.ErrNotFound) {
		t.Errorf("unknown skill: %v, want ErrNotFound", err)
	}
}

func testNear(t *testing.T, g skills.Graph) {
	got, err := g.NearOccupations(context.Background(), "M1805", 10)
	if err != nil {
		t.Fatal(err)
	}
	// M1801 shares sql and git: 2 / (5 + 3 - 2). M1203 shares nothing.
	want := []skills.Near{{Occupation: admin, Shared: 2, Similarity: 0.333}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("NearOccupations(M1805) (-want +got):\n%s", d)
	}
}

func testGapOccupation(t *testing.T, g skills.Graph) {
	got, err := g.Gap(context.Background(), Person, skills.Target{Occupation: "M1805"})
	if err != nil {
		t.Fatal(err)
	}
	// Go is narrower than programming, so it covers it; sql is attested.
	want := skills.Gap{
		Target: skills.Target{Occupation: "M1805"}, Label: dev.Label, Required: 5,
		Covered: []skills.Covered{
			{Requirement: skills.Requirement{Skill: sql, Essential: true}, By: sql.ID, Evidence: skills.Attested},
			{Requirement: skills.Requirement{Skill: prog, Essential: true}, By: goS.ID, Evidence: skills.Declared},
		},
		Missing: []skills.Requirement{{Skill: test, Essential: true}, {Skill: web}, {Skill: git}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Gap(M1805) (-want +got):\n%s", d)
	}
	// Someone with no skills misses everything.
	got, err = g.Gap(context.Background(), "nobody", skills.Target{Occupation: "M1203"})
	if err != nil || len(got.Missing) != 3 || len(got.Covered) != 0 {
		t.Errorf("Gap(nobody, M1203) = %+v, %v; want 3 missing", got, err)
	}
	if _, err := g.Gap(context.Background(), Person, skills.Target{}); !errors.Is(err, skills.ErrInvalid) {
		t.Errorf("Gap with no target: %v, want ErrInvalid", err)
	}
	if _, err := g.Gap(context.Background(), Person, skills.Target{Occupation: "Z9999"}); !errors.Is(err, skills.ErrNotFound) {
		t.Errorf("Gap to an unknown occupation: %v, want ErrNotFound", err)
	}
}

func testGapJob(t *testing.T, g skills.Graph) {
	got, err := g.Gap(context.Background(), Person, skills.Target{JobOffer: "job-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := skills.Gap{
		Target: skills.Target{JobOffer: "job-1"}, Label: "Développeur Go", Required: 3,
		Covered: []skills.Covered{
			{Requirement: skills.Requirement{Skill: goS, Essential: true}, By: goS.ID, Evidence: skills.Declared},
			{Requirement: skills.Requirement{Skill: sql}, By: sql.ID, Evidence: skills.Attested},
		},
		Missing: []skills.Requirement{{Skill: git, Essential: true}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Gap(job-1) (-want +got):\n%s", d)
	}
}

func training(o marketplace.Offer, coverage int, teaches ...string) skills.Training {
	return skills.Training{Offer: skills.Offer{ID: o.ID, ProviderID: o.ProviderID, Title: o.Title, Certification: o.Certification.Code,
		PriceCents: o.PriceCents, Hours: o.Hours, Region: o.Region}, Teaches: teaches, Coverage: coverage}
}

func testTrainings(t *testing.T, g skills.Graph) {
	ctx := context.Background()
	gap, err := g.Gap(ctx, Person, skills.Target{Occupation: "M1805"})
	if err != nil {
		t.Fatal(err)
	}
	o := Offers()
	// Missing: test (essential, 2), web and git (1 each). RNCP37674 teaches
	// all three (4): o2 before o1, cheaper. RNCP37873 teaches test (2): o3;
	// its draft o5 is not offered; o7 was deleted.
	want := []skills.Training{
		training(o[1], 4, "s:git", "s:test", "s:web"),
		training(o[0], 4, "s:git", "s:test", "s:web"),
		training(o[2], 2, "s:test"),
	}
	got, err := g.Trainings(ctx, gap.Missing, skills.TrainingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Trainings (-want +got):\n%s", d)
	}
	got, _ = g.Trainings(ctx, gap.Missing, skills.TrainingQuery{Region: "84"})
	if d := cmp.Diff([]skills.Training{want[1], want[2]}, got); d != "" {
		t.Errorf("Trainings in region 84 (-want +got):\n%s", d)
	}
	got, _ = g.Trainings(ctx, gap.Missing, skills.TrainingQuery{Limit: 1})
	if d := cmp.Diff(want[:1], got); d != "" {
		t.Errorf("Trainings limit 1 (-want +got):\n%s", d)
	}
	// Excel alone: the TOSA (cheap) and the accounting title both teach it.
	got, _ = g.Trainings(ctx, []skills.Requirement{{Skill: excel}}, skills.TrainingQuery{})
	if d := cmp.Diff([]skills.Training{training(o[3], 1, "s:excel"), training(o[5], 1, "s:excel")}, got); d != "" {
		t.Errorf("Trainings for excel (-want +got):\n%s", d)
	}
	if got, _ := g.Trainings(ctx, nil, skills.TrainingQuery{}); len(got) != 0 {
		t.Errorf("Trainings for nothing = %v, want none", got)
	}
}

func testPasserelles(t *testing.T, g skills.Graph) {
	got, err := g.Passerelles(context.Background(), Person, 10)
	if err != nil {
		t.Fatal(err)
	}
	// The person covers go (so programming), sql and excel.
	want := []skills.Passerelle{
		{Occupation: admin, MissingEssential: 1, Missing: 1, Covered: 2, Required: 3},
		{Occupation: compt, MissingEssential: 1, Missing: 2, Covered: 1, Required: 3},
		{Occupation: dev, MissingEssential: 1, Missing: 3, Covered: 2, Required: 5},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Passerelles (-want +got):\n%s", d)
	}
	got, _ = g.Passerelles(context.Background(), Person, 1)
	if len(got) != 1 || got[0].Occupation.ID != "M1801" {
		t.Errorf("Passerelles limit 1 = %+v", got)
	}
}

func testDeclared(t *testing.T, g skills.Graph) {
	ctx := context.Background()
	// sql is attested: declaring it changes nothing; go and excel go away.
	err := g.SetDeclaredSkills(ctx, Person, []skills.Held{{Skill: skills.Skill{ID: sql.ID}, Level: 1}, {Skill: skills.Skill{ID: git.ID}, Level: 2}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.PersonSkills(ctx, Person)
	if err != nil {
		t.Fatal(err)
	}
	want := []skills.Held{{Skill: sql, Level: 2, Evidence: skills.Attested}, {Skill: git, Level: 2, Evidence: skills.Declared}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("PersonSkills after SetDeclaredSkills (-want +got):\n%s", d)
	}
	err = g.SetDeclaredSkills(ctx, Person, []skills.Held{{Skill: skills.Skill{ID: "s:none"}, Level: 2}})
	var v *marketplace.ValidationError
	if !errors.As(err, &v) || v.Fields[0].Field != "skills[0].id" {
		t.Fatalf("unknown skill: %v, want a validation error on skills[0].id", err)
	}
	err = g.SetDeclaredSkills(ctx, Person, []skills.Held{{Skill: skills.Skill{ID: git.ID}, Level: 5}})
	if !errors.As(err, &v) || v.Fields[0].Field != "skills[0].level" {
		t.Fatalf("bad level: %v, want a validation error on skills[0].level", err)
	}
	if got2, _ := g.PersonSkills(ctx, Person); !cmp.Equal(got, got2) {
		t.Errorf("a rejected update changed the skills: %v", got2)
	}
	if err := g.SetDeclaredSkills(ctx, "someone-new", nil); err != nil {
		t.Errorf("clearing the skills of a new person: %v", err)
	}
}

func testByLabel(t *testing.T, g skills.Graph) {
	got, err := g.SkillsByLabel(context.Background(), "  UTILISER un tableur ")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]skills.Skill{excel}, got); d != "" {
		t.Errorf("SkillsByLabel (-want +got):\n%s", d)
	}
}

func testCounts(t *testing.T, g skills.Graph) {
	c, err := g.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := skills.Counts{Skills: 10, Occupations: 3, Certifications: 4, JobOffers: 1, Offers: 5, Edges: len(Batch().Edges)}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("Counts (-want +got):\n%s", d)
	}
}

func testOccupations(t *testing.T, g skills.Graph) {
	got, err := g.Occupations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]skills.Occupation{admin, compt, dev}, got); d != "" {
		t.Errorf("Occupations (-want +got):\n%s", d)
	}
}

// testTrainingsPerProvider floods the DWWM certification with three cheap
// copies of one provider's offer: only MaxPerProvider (2) of them are
// listed, the others' offers follow.
func testTrainingsPerProvider(t *testing.T, g skills.Graph) {
	var flood []marketplace.Offer
	for i, id := range []string{"f1", "f2", "f3"} {
		o := offer(id, "RNCP37674", 100, 100+i, "84", marketplace.Published)
		o.ProviderID = "flooder"
		flood = append(flood, o)
		g.OfferSaved(o, nil)
	}
	got, err := g.Trainings(context.Background(), []skills.Requirement{{Skill: web}}, skills.TrainingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	o := Offers()
	want := []skills.Training{
		training(flood[0], 1, "s:web"), training(flood[1], 1, "s:web"),
		training(o[1], 1, "s:web"), training(o[0], 1, "s:web"),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Trainings with a flooding provider (-want +got):\n%s", d)
	}
}
