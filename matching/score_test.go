package matching

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/skills"
)

// TestScorerInputsHaveNoProtectedAttribute inspects the types the scorer
// reads: no field may carry a criterion of article 225-1 of the penal code
// or a contact detail. A field added to Worker or Job fails this test
// until it is reviewed and listed here.
func TestScorerInputsHaveNoProtectedAttribute(t *testing.T) {
	allowed := map[string][]string{
		"Worker": {"Occupations", "Lat", "Lon", "RadiusKm", "Contracts", "HoursMin", "HoursMax", "AvailableFrom", "MinSalaryCents", "Skills"},
		"Job":    {"ROME", "Lat", "Lon", "Contract", "HoursPerWeek", "SalaryMinCents", "SalaryMaxCents", "Start", "Essential", "Optional"},
	}
	protected := []string{"name", "age", "birth", "sex", "gender", "origin", "nation", "ethnic", "race", "religion", "photo",
		"picture", "email", "phone", "address", "family", "pregnan", "health", "disab", "handicap", "orientation",
		"opinion", "union", "language", "appearance", "surname", "nir", "marital", "children"}
	for _, typ := range []reflect.Type{reflect.TypeOf(Worker{}), reflect.TypeOf(Job{})} {
		var got []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			got = append(got, f.Name)
			for _, p := range protected {
				if strings.Contains(strings.ToLower(f.Name), p) {
					t.Errorf("%s.%s looks like a protected attribute (%q)", typ.Name(), f.Name, p)
				}
			}
			// Nested structs would hide fields from this check.
			if k := f.Type.Kind(); k == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
				t.Errorf("%s.%s is a struct: list its fields instead", typ.Name(), f.Name)
			}
		}
		if !slices.Equal(got, allowed[typ.Name()]) {
			t.Errorf("%s fields = %v, reviewed list is %v", typ.Name(), got, allowed[typ.Name()])
		}
	}
	// The scoring functions take exactly these types.
	for _, fn := range []any{WorkerFit, JobFit, Score} {
		ft := reflect.TypeOf(fn)
		for i := range ft.NumIn() {
			if in := ft.In(i); in != reflect.TypeOf(&Worker{}) && in != reflect.TypeOf(&Job{}) {
				t.Errorf("scorer takes %v", in)
			}
		}
	}
}

func baseWorker() Worker {
	return Worker{Occupations: []string{"M1805", "M1810"}, Lat: 48.857, Lon: 2.352, RadiusKm: 30,
		Contracts: []Contract{CDI, CDD}, HoursMin: 30, HoursMax: 39, AvailableFrom: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		MinSalaryCents: 30_000_00, Skills: map[string]skills.Evidence{"a": skills.Attested, "b": skills.Declared}}
}

func baseJob() Job {
	return Job{ROME: "M1805", Lat: 48.86, Lon: 2.36, Contract: CDI, HoursPerWeek: 35, SalaryMinCents: 35_000_00,
		SalaryMaxCents: 40_000_00, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Essential: []string{"a"}, Optional: []string{"b"}}
}

func TestScore(t *testing.T) {
	w, j := baseWorker(), baseJob()
	s, wf, jf := Score(&w, &j)
	if s <= 0 || wf <= 0 || jf <= 0 {
		t.Fatalf("a fitting pair scores %v (%v, %v)", s, wf, jf)
	}
	if want := 2 * wf * jf / (wf + jf); s != want {
		t.Errorf("score %v is not the harmonic mean %v", s, want)
	}
	excluded := map[string]func(w *Worker, j *Job){
		"other occupation": func(w *Worker, j *Job) { j.ROME = "A1101" },
		"other contract":   func(w *Worker, j *Job) { j.Contract = Interim },
		"too far":          func(w *Worker, j *Job) { j.Lat, j.Lon = 45.764, 4.836 },
		"salary too low":   func(w *Worker, j *Job) { j.SalaryMaxCents, j.SalaryMinCents = 25_000_00, 20_000_00 },
		"no skill covered": func(w *Worker, j *Job) { j.Essential, j.Optional = []string{"z"}, nil },
	}
	for name, change := range excluded {
		w, j := baseWorker(), baseJob()
		change(&w, &j)
		if s, _, _ := Score(&w, &j); s != 0 {
			t.Errorf("%s: score %v, want 0", name, s)
		}
	}
	// Attested weighs more than declared.
	w1, w2, j2 := baseWorker(), baseWorker(), baseJob()
	w2.Skills = map[string]skills.Evidence{"a": skills.Declared, "b": skills.Declared}
	if JobFit(&w1, &j2) <= JobFit(&w2, &j2) {
		t.Error("an attested essential skill does not weigh more than a declared one")
	}
	// Essential weighs more than optional.
	w3 := baseWorker()
	w3.Skills = map[string]skills.Evidence{"b": skills.Attested}
	w4 := baseWorker()
	w4.Skills = map[string]skills.Evidence{"a": skills.Attested}
	if JobFit(&w4, &j2) <= JobFit(&w3, &j2) {
		t.Error("an essential skill does not weigh more than an optional one")
	}
	// Late availability lowers the job's fit; nearer is better; the first
	// occupation is preferred.
	late := baseWorker()
	late.AvailableFrom = j2.Start.AddDate(0, 2, 0)
	if JobFit(&late, &j2) >= JobFit(&w1, &j2) {
		t.Error("late availability does not lower the job fit")
	}
	far := baseJob()
	far.Lat += 0.2
	if WorkerFit(&w1, &far) >= WorkerFit(&w1, &j2) {
		t.Error("a farther job is not less fit")
	}
	second := baseJob()
	second.ROME = "M1810"
	if WorkerFit(&w1, &second) >= WorkerFit(&w1, &j2) {
		t.Error("the second occupation is not less fit than the first")
	}
}

func TestPlanCaps(t *testing.T) {
	// Ten candidates all fit job 0 best; jobs 1 and 2 fit only candidate 0,
	// who is full: the floor still gives them a proposal.
	var edges []Edge
	for w := range 10 {
		edges = append(edges, Edge{W: int32(w), J: 0, Score: 0.9})
	}
	edges = append(edges, Edge{W: 0, J: 1, Score: 0.2}, Edge{W: 0, J: 2, Score: 0.1}, Edge{W: 0, J: 3, Score: 0.8})
	caps := Caps{PerOffer: 3, PerCandidate: 1, Floor: 2}
	got := Plan(edges, 10, 4, nil, nil, caps)
	perJob := map[int32]int{}
	perW := map[int32]int{}
	for _, e := range got {
		perJob[e.J]++
		perW[e.W]++
	}
	for j := range int32(4) {
		if perJob[j] == 0 {
			t.Errorf("job %d got no proposal", j)
		}
		if perJob[j] > caps.PerOffer {
			t.Errorf("job %d got %d proposals", j, perJob[j])
		}
	}
	if perW[0] > caps.PerCandidate+caps.Floor {
		t.Errorf("candidate 0 got %d proposals", perW[0])
	}
	// Given counts are honoured: a job already full gets nothing.
	got = Plan(edges, 10, 4, nil, []int{3, 1, 1, 1}, caps)
	for _, e := range got {
		if e.J == 0 {
			t.Errorf("full job 0 got %v", e)
		}
	}
}
