package geo

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	textfold "github.com/parcours/parcours/fold"
)

// The embedded data, written by geo/gen.
var (
	//go:embed communes.tsv.gz
	communesGz []byte
	//go:embed departments.tsv
	departmentsTSV []byte
	//go:embed regions.tsv
	regionsTSV []byte
)

// Commune is a commune actuelle of the Code officiel géographique: a
// municipality as it exists today, not an arrondissement municipal of Paris,
// Lyon or Marseille nor a former commune merged into a commune nouvelle.
type Commune struct {
	INSEE       string   // 5 characters, e.g. "75056", "2A004", "97411"
	Name        string   // official name, e.g. "L'Abergement-Clémenciat"
	Postcodes   []string // sorted; empty for the uninhabited TAAF districts
	Department  string   // department code, e.g. "75", "2A", "971"
	Region      string   // region code (INSEE COG), e.g. "11"
	Population  int      // population municipale; 0 where INSEE gives none
	Lat, Lon    float64  // WGS 84 degrees
	Approximate bool     // true when coordinates are the department centroid fallback
}

// Department is a French department, or an overseas collectivity that the
// COG numbers like one (975 Saint-Pierre-et-Miquelon, 988 Nouvelle-Calédonie…),
// in which case its region code is its own code.
type Department struct {
	Code   string // e.g. "01", "2A", "974"
	Name   string // e.g. "Ain", "Corse-du-Sud", "La Réunion"
	Region string // region code, e.g. "84"
}

// Region is a French region, or an overseas collectivity in the same place
// of the COG.
type Region struct {
	Code string // e.g. "11", "04", "988"
	Name string // e.g. "Île-de-France"
}

// A Gazetteer answers questions about French communes, departments and
// regions. It is immutable once built, so it is safe for concurrent use. The
// zero value is an empty gazetteer.
type Gazetteer struct {
	communes   []Commune // sorted by INSEE code
	byINSEE    map[string]int
	byPostcode map[string][]int // indexes in INSEE order

	// folded holds the folded name of each commune; bySearch lists commune
	// indexes sorted by folded name, for prefix searches.
	folded   []string
	bySearch []int

	departments []Department // sorted by code
	byDept      map[string]int
	regions     []Region // sorted by folded name
	byRegion    map[string]int

	coverage float64
}

var defaultGazetteer = sync.OnceValue(func() *Gazetteer {
	g, err := parse(communesGz, departmentsTSV, regionsTSV)
	if err != nil {
		panic("geo: embedded data is corrupt: " + err.Error())
	}
	return g
})

// Default returns the gazetteer built from the embedded data. The data is
// parsed on the first call, which takes about 50 ms of CPU; later calls
// return the same Gazetteer. It is safe for concurrent use. It panics only if
// the embedded data is corrupt, which the package's tests rule out.
func Default() *Gazetteer { return defaultGazetteer() }

// Commune returns the commune whose INSEE code is insee, and whether there is
// one. Codes of arrondissements municipaux (75101…) and of former communes
// are not found.
func (g *Gazetteer) Commune(insee string) (Commune, bool) {
	i, ok := g.byINSEE[insee]
	if !ok {
		return Commune{}, false
	}
	return g.communes[i], true
}

// ByPostcode returns the communes served by postcode, sorted by INSEE code,
// or nil if there are none. A postcode often serves several communes, and a
// commune may have several postcodes. The returned slice is the caller's; the
// Postcodes of its elements are shared and must not be modified.
func (g *Gazetteer) ByPostcode(postcode string) []Commune {
	return g.pick(g.byPostcode[postcode])
}

// Communes returns every commune, sorted by INSEE code. The slice is shared:
// callers must not modify it.
func (g *Gazetteer) Communes() []Commune { return g.communes }

// Department returns the department whose code is code ("01", "2A", "974"),
// and whether there is one.
func (g *Gazetteer) Department(code string) (Department, bool) {
	i, ok := g.byDept[code]
	if !ok {
		return Department{}, false
	}
	return g.departments[i], true
}

// Departments returns every department, sorted by code. The slice is shared:
// callers must not modify it.
func (g *Gazetteer) Departments() []Department { return g.departments }

// Region returns the region whose code is code, and whether there is one.
func (g *Gazetteer) Region(code string) (Region, bool) {
	i, ok := g.byRegion[code]
	if !ok {
		return Region{}, false
	}
	return g.regions[i], true
}

// Regions returns every region, sorted by name with accents and case folded
// ("Île-de-France" sorts as "ile de france"). The slice is shared: callers
// must not modify it.
func (g *Gazetteer) Regions() []Region { return g.regions }

// Coverage returns the fraction of communes that have coordinates of their
// own rather than their department's centroid, between 0 and 1.
func (g *Gazetteer) Coverage() float64 { return g.coverage }

// Search returns the communes whose name starts with prefix, most populous
// first (ties by INSEE code), at most limit of them or all if limit <= 0.
// Names and prefix are compared folded: lower case, without accents, œ and æ
// spelt out, and every run of punctuation or spaces read as one space, so
// "st etienne" does not match but "saint-e", "SAINT E" and "Saint Ét" all
// find Saint-Étienne. A prefix ending in a separator only matches whole
// words: "saint " finds Saint-Malo but not Saintes. A prefix with no letter
// or digit matches nothing. The returned slice is the caller's; the
// Postcodes of its elements are shared and must not be modified.
func (g *Gazetteer) Search(prefix string, limit int) []Commune {
	p := fold(prefix)
	if p == "" {
		return nil
	}
	if r, _ := utf8.DecodeLastRuneInString(prefix); !isWordRune(r) {
		p += " "
	}
	start, _ := slices.BinarySearchFunc(g.bySearch, p, func(i int, p string) int {
		return strings.Compare(g.folded[i], p)
	})
	var hits []int
	for _, i := range g.bySearch[start:] {
		if !strings.HasPrefix(g.folded[i], p) {
			break
		}
		hits = append(hits, i)
	}
	slices.SortFunc(hits, func(a, b int) int {
		if pa, pb := g.communes[a].Population, g.communes[b].Population; pa != pb {
			return pb - pa
		}
		return a - b // indexes are in INSEE order
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return g.pick(hits)
}

// pick returns copies of the communes at indexes idx, or nil.
func (g *Gazetteer) pick(idx []int) []Commune {
	if len(idx) == 0 {
		return nil
	}
	out := make([]Commune, len(idx))
	for k, i := range idx {
		out[k] = g.communes[i]
	}
	return out
}

// ValidINSEE reports whether code is syntactically an INSEE commune code
// (code officiel géographique). It checks the form only, not that the commune
// exists: use Gazetteer.Commune for that. The accepted forms are
//
//   - metropolitan France: a department 01–95 other than 20, then a commune
//     number 001–999 ("75056");
//   - Corsica: 2A or 2B (upper case; department 20 was split in 1976), then
//     001–999 ("2A004");
//   - overseas departments and the collectivities numbered with them (971
//     Guadeloupe to 978 Saint-Martin): 971–978, then 01–99 ("97411");
//   - the other collectivities in the COG: 984 TAAF, 986 Wallis-et-Futuna,
//     987 French Polynesia, 988 New Caledonia and 989 Clipperton, then 01–99
//     ("98818").
//
// Codes starting with 00, 20, 96, 985 (Mayotte's code before it became
// 976) or 99 (INSEE's prefix for countries abroad, as in birthplaces), lower
// case 2a/2b, and commune numbers made only of zeros are rejected. The codes
// of arrondissements municipaux, such as "75101", have the form of a commune
// code and are accepted, though Gazetteer.Commune does not find them.
func ValidINSEE(code string) bool {
	if len(code) != 5 {
		return false
	}
	dept, num := code[:2], code[2:]
	switch {
	case dept == "2A" || dept == "2B":
		return digits(num) && num != "000"
	case dept == "97":
		return code[2] >= '1' && code[2] <= '8' && digits(code[3:]) && code[3:] != "00"
	case dept == "98":
		return strings.IndexByte("46789", code[2]) >= 0 && digits(code[3:]) && code[3:] != "00"
	case !digits(dept):
		return false
	}
	d := int(dept[0]-'0')*10 + int(dept[1]-'0')
	return d >= 1 && d <= 95 && d != 20 && digits(num) && num != "000"
}

// digits reports whether s is made of ASCII digits only.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// earthRadiusKm is the mean radius of the Earth (IUGG), in kilometres.
const earthRadiusKm = 6371.0088

// DistanceKm returns the great-circle distance in kilometres between two
// points given in degrees, by the haversine formula on a sphere of radius
// 6371.0088 km. Over France its error against the ellipsoid stays under
// 0.5%, well below what Approximate coordinates already cost.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	phi1, phi2 := lat1*rad, lat2*rad
	dPhi, dLambda := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dPhi/2)*math.Sin(dPhi/2) + math.Cos(phi1)*math.Cos(phi2)*math.Sin(dLambda/2)*math.Sin(dLambda/2)
	// Rounding can push h a hair over 1 for antipodal points.
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(math.Min(h, 1)))
}

// fold is the matching form of a name; see package fold.
func fold(s string) string { return textfold.String(s) }

// isWordRune reports whether r counts as part of a word when folding.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// parse builds a Gazetteer from the three files written by geo/gen,
// checking every line.
func parse(communesGz, departments, regions []byte) (*Gazetteer, error) {
	g := &Gazetteer{
		byINSEE:    make(map[string]int),
		byPostcode: make(map[string][]int),
		byDept:     make(map[string]int),
		byRegion:   make(map[string]int),
	}

	err := eachLine("regions.tsv", string(regions), "code\tname", 2, func(f []string) error {
		if f[0] == "" || f[1] == "" {
			return fmt.Errorf("empty field")
		}
		if _, dup := g.byRegion[f[0]]; dup {
			return fmt.Errorf("region %s listed twice", f[0])
		}
		g.byRegion[f[0]] = len(g.regions)
		g.regions = append(g.regions, Region{Code: f[0], Name: f[1]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(g.regions, func(a, b Region) int {
		if c := strings.Compare(fold(a.Name), fold(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	for i, r := range g.regions {
		g.byRegion[r.Code] = i
	}

	err = eachLine("departments.tsv", string(departments), "code\tname\tregion", 3, func(f []string) error {
		if f[0] == "" || f[1] == "" {
			return fmt.Errorf("empty field")
		}
		if n := len(g.departments); n > 0 && g.departments[n-1].Code >= f[0] {
			return fmt.Errorf("department %s out of order or listed twice", f[0])
		}
		if _, ok := g.byRegion[f[2]]; !ok {
			return fmt.Errorf("department %s: unknown region %q", f[0], f[2])
		}
		g.byDept[f[0]] = len(g.departments)
		g.departments = append(g.departments, Department{Code: f[0], Name: f[1], Region: f[2]})
		return nil
	})
	if err != nil {
		return nil, err
	}

	zr, err := gzip.NewReader(bytes.NewReader(communesGz))
	if err != nil {
		return nil, fmt.Errorf("communes.tsv.gz: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("communes.tsv.gz: %w", err)
	}
	// One string for the whole file: every field is a substring of it, and
	// the line count sizes the tables up front.
	text := string(raw)
	n := strings.Count(text, "\n")
	g.communes = make([]Commune, 0, n)
	g.folded = make([]string, 0, n)
	g.byINSEE = make(map[string]int, n)
	g.byPostcode = make(map[string][]int, n)
	own := 0
	err = eachLine("communes.tsv.gz", text, "insee\tname\tpostcodes\tdepartment\tregion\tpopulation\tlat\tlon\tapproximate", 9, func(f []string) error {
		c := Commune{INSEE: f[0], Name: f[1], Department: f[3], Region: f[4]}
		var err error
		if !ValidINSEE(c.INSEE) {
			return fmt.Errorf("malformed INSEE code %q", c.INSEE)
		}
		if n := len(g.communes); n > 0 && g.communes[n-1].INSEE >= c.INSEE {
			return fmt.Errorf("commune %s out of order or listed twice", c.INSEE)
		}
		if c.Name == "" {
			return fmt.Errorf("commune %s has no name", c.INSEE)
		}
		if f[2] != "" {
			for pc := range strings.SplitSeq(f[2], ",") {
				if len(pc) != 5 || !digits(pc) {
					return fmt.Errorf("commune %s: malformed postcode %q", c.INSEE, pc)
				}
				c.Postcodes = append(c.Postcodes, pc)
			}
			if !slices.IsSorted(c.Postcodes) {
				return fmt.Errorf("commune %s: postcodes out of order", c.INSEE)
			}
		}
		d, ok := g.Department(c.Department)
		if !ok {
			return fmt.Errorf("commune %s: unknown department %q", c.INSEE, c.Department)
		}
		if d.Region != c.Region {
			return fmt.Errorf("commune %s: region %q, but department %s is in region %s", c.INSEE, c.Region, d.Code, d.Region)
		}
		if c.Population, err = strconv.Atoi(f[5]); err != nil || c.Population < 0 {
			return fmt.Errorf("commune %s: malformed population %q", c.INSEE, f[5])
		}
		if c.Lat, err = strconv.ParseFloat(f[6], 64); err != nil || !(c.Lat >= -90 && c.Lat <= 90) {
			return fmt.Errorf("commune %s: malformed latitude %q", c.INSEE, f[6])
		}
		if c.Lon, err = strconv.ParseFloat(f[7], 64); err != nil || !(c.Lon >= -180 && c.Lon <= 180) {
			return fmt.Errorf("commune %s: malformed longitude %q", c.INSEE, f[7])
		}
		switch f[8] {
		case "0":
			own++
		case "1":
			c.Approximate = true
		default:
			return fmt.Errorf("commune %s: malformed approximate flag %q", c.INSEE, f[8])
		}
		i := len(g.communes)
		g.byINSEE[c.INSEE] = i
		for _, pc := range c.Postcodes {
			g.byPostcode[pc] = append(g.byPostcode[pc], i)
		}
		g.communes = append(g.communes, c)
		g.folded = append(g.folded, fold(c.Name))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(g.communes) == 0 {
		return nil, fmt.Errorf("communes.tsv.gz: no commune")
	}

	g.coverage = float64(own) / float64(len(g.communes))
	g.bySearch = make([]int, len(g.communes))
	for i := range g.bySearch {
		g.bySearch[i] = i
	}
	slices.SortFunc(g.bySearch, func(a, b int) int {
		if c := strings.Compare(g.folded[a], g.folded[b]); c != 0 {
			return c
		}
		return a - b
	})
	return g, nil
}

// eachLine checks that text starts with the header line and calls fn with
// the n tab-separated fields of each following line; fields are substrings
// of text and fn must not keep the slice itself. Errors name the file and
// the line.
func eachLine(file, text, header string, n int, fn func(fields []string) error) error {
	if text == "" {
		return fmt.Errorf("%s: empty", file)
	}
	if !utf8.ValidString(text) {
		return fmt.Errorf("%s: invalid UTF-8", file)
	}
	fields := make([]string, n)
	line := 0
	for l := range strings.Lines(text) {
		line++
		l, ok := strings.CutSuffix(l, "\n")
		if !ok {
			return fmt.Errorf("%s:%d: no final line break (truncated file?)", file, line)
		}
		if line == 1 {
			if l != header {
				return fmt.Errorf("%s: header is %q, want %q", file, l, header)
			}
			continue
		}
		got := 0
		for f := range strings.SplitSeq(l, "\t") {
			if got < n {
				fields[got] = f
			}
			got++
		}
		if got != n {
			return fmt.Errorf("%s:%d: %d fields, want %d", file, line, got, n)
		}
		if err := fn(fields); err != nil {
			return fmt.Errorf("%s:%d: %w", file, line, err)
		}
	}
	return nil
}
