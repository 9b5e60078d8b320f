package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/ingest"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/store/bolt"
)

func sources(t testing.TB, paths ...string) []ingest.Source {
	t.Helper()
	var out []ingest.Source
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ingest.Source{Name: p, R: bytes.NewReader(data), Size: int64(len(data))})
	}
	return out
}

func graph(t testing.TB) *skills.Embedded {
	t.Helper()
	g, err := skills.NewEmbedded(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// fileSummary is what a test checks of a file report.
type fileSummary struct {
	Table                              string
	Encoding                           ingest.Encoding
	Read, Skipped, Imported, Unchanged int
	Bad                                []string
}

func summarise(r *ingest.Report) map[string]fileSummary {
	out := map[string]fileSummary{}
	for _, f := range r.Files {
		s := fileSummary{Table: f.Table, Encoding: f.Encoding, Read: f.Read, Skipped: f.Skipped, Imported: f.Imported, Unchanged: f.Unchanged}
		if f.Err != "" {
			s.Bad = []string{"REFUSED " + f.Err}
		}
		for _, b := range f.Bad {
			s.Bad = append(s.Bad, b.String())
		}
		out[f.File] = s
	}
	return out
}

var romeFiles = []string{
	// Links first: the importer orders the tables itself.
	"rome/unix_liens_rome_referentiels_v460.csv",
	"rome/unix_referentiel_appellation_v460.csv",
	"rome/unix_referentiel_competence_v460.csv",
	"rome/unix_referentiel_code_rome_v460.csv",
}

func importROME(t testing.TB, g skills.Graph) *ingest.Report {
	t.Helper()
	r, err := ingest.ImportROME(context.Background(), g, sources(t, romeFiles...), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestImportROME(t *testing.T) {
	ctx := context.Background()
	g := graph(t)
	got := summarise(importROME(t, g))
	want := map[string]fileSummary{
		"rome/unix_referentiel_code_rome_v460.csv": {Table: "unix_referentiel_code_rome", Encoding: ingest.Windows1252, Read: 5, Skipped: 2, Imported: 3,
			Bad: []string{
				`rome/unix_referentiel_code_rome_v460.csv:4: code_rome "X12" is not a ROME code (a letter A-N and 4 digits)`,
				`rome/unix_referentiel_code_rome_v460.csv:6: libelle_rome is empty`,
			}},
		"rome/unix_referentiel_competence_v460.csv": {Table: "unix_referentiel_competence", Encoding: ingest.UTF8BOM, Read: 6, Skipped: 1, Imported: 5,
			Bad: []string{`rome/unix_referentiel_competence_v460.csv:5: code_ogr "abc" is not an OGR code (digits)`}},
		"rome/unix_liens_rome_referentiels_v460.csv": {Table: "unix_liens_rome_referentiels", Encoding: ingest.ASCII, Read: 7, Skipped: 2, Imported: 5,
			Bad: []string{
				`rome/unix_liens_rome_referentiels_v460.csv:7: 1 fields where the header has 3`,
				`rome/unix_liens_rome_referentiels_v460.csv:8: code_ogr "" is not an OGR code (digits)`,
			}},
		"rome/unix_referentiel_appellation_v460.csv": {Table: "unix_referentiel_appellation", Encoding: ingest.UTF8, Read: 3},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("reports (-want +got):\n%s", d)
	}
	v, err := g.Occupation(ctx, "M1805")
	if err != nil {
		t.Fatal(err)
	}
	// Windows-1252 decoded; job titles sorted; coeur_metier decides essential.
	wantOcc := skills.Occupation{ID: "M1805", Label: "Études et développement informatique", Domain: "M18",
		AltLabels: []string{"Analyste programmeur / programmeuse", "Développeur / Développeuse informatique"}}
	if d := cmp.Diff(wantOcc, v.Occupation); d != "" {
		t.Errorf("M1805 (-want +got):\n%s", d)
	}
	wantReq := []skills.Requirement{
		{Skill: skills.Skill{ID: "rome:100001", Label: "Programmer en Go", Kind: "savoir-faire"}, Essential: true},
		{Skill: skills.Skill{ID: "rome:100002", Label: "Concevoir une base de données; la modéliser", Kind: "savoir-faire"}},
		{Skill: skills.Skill{ID: "rome:100005", Label: "Œuvrer en équipe — « savoir-être »", Kind: "savoir-être"}},
	}
	if d := cmp.Diff(wantReq, v.Requires); d != "" {
		t.Errorf("M1805 requires (-want +got):\n%s", d)
	}
	// A quoted field spanning two lines is one label.
	s, err := g.Skill(ctx, "rome:100004")
	if err != nil || s.Label != "Réaliser des préparations\r\nculinaires de base" && s.Label != "Réaliser des préparations\nculinaires de base" {
		t.Errorf("multi-line label = %q, %v", s.Label, err)
	}
}

func TestImportROMEIdempotent(t *testing.T) {
	g := graph(t)
	importROME(t, g)
	before, _ := g.Counts(context.Background())
	r := importROME(t, g)
	read, imported, unchanged, _ := r.Totals()
	if imported != 0 || unchanged != 13 || read != 21 {
		t.Errorf("re-import: read %d, imported %d, unchanged %d; want 21 read, 0 imported, 13 unchanged", read, imported, unchanged)
	}
	after, _ := g.Counts(context.Background())
	if before != after {
		t.Errorf("re-import changed the graph: %+v -> %+v", before, after)
	}
	// The occupations alone, without the job titles, keep their titles.
	r, err := ingest.ImportROME(context.Background(), g, sources(t, "rome/unix_referentiel_code_rome_v460.csv"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, imported, _, _ := r.Totals(); imported != 0 {
		t.Errorf("re-importing the occupations alone imported %d records, want 0", imported)
	}
}

func TestImportRNCP(t *testing.T) {
	ctx := context.Background()
	g := graph(t)
	importROME(t, g)
	files := []string{
		"rncp/export-fiches-csv-2025-03-01_Blocs_De_Compétences.csv",
		"rncp/export-fiches-csv-2025-03-01_Certificateurs.csv",
		"rncp/export-fiches-csv-2025-03-01_Formacode.csv",
		"rncp/export-fiches-csv-2025-03-01_Rome.csv",
		"rncp/export-fiches-csv-2025-03-01_Standard.csv",
	}
	r, err := ingest.ImportRNCP(ctx, g, sources(t, files...), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := summarise(r)
	p := "rncp/export-fiches-csv-2025-03-01_"
	want := map[string]fileSummary{
		p + "Standard.csv": {Table: "Standard", Encoding: ingest.UTF8, Read: 6, Skipped: 2, Imported: 4, Bad: []string{
			p + `Standard.csv:5: Nomenclature_Europe_Niveau "NIV9" is not a European level 1 to 8 (NIV5)`,
			p + `Standard.csv:6: Numero_Fiche "XYZ12" is not RNCP or RS followed by digits`,
		}},
		p + "Rome.csv": {Table: "Rome", Encoding: ingest.UTF8, Read: 3, Skipped: 1, Imported: 2, Bad: []string{
			p + `Rome.csv:4: Codes_Rome_Code "M12O3" is not a ROME code (a letter A-N and 4 digits)`,
		}},
		p + "Blocs_De_Compétences.csv": {Table: "Blocs_De_Compétences", Encoding: ingest.UTF8, Read: 4, Skipped: 1, Imported: 4, Bad: []string{
			p + `Blocs_De_Compétences.csv:6: Bloc_Competences_Code and Bloc_Competences_Libelle are required`,
		}},
		p + "Formacode.csv": {Table: "Formacode", Encoding: ingest.UTF8, Read: 4, Skipped: 2, Bad: []string{
			p + `Formacode.csv:4: Numero_Fiche RNCP99999 is not in the Standard table of this import`,
			p + `Formacode.csv:5: Formacode_Code "3105" is not a 5-digit Formacode`,
		}},
		p + "Certificateurs.csv": {Table: "Certificateurs", Encoding: ingest.UTF8, Read: 3},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("reports (-want +got):\n%s", d)
	}
	v, err := g.Occupation(ctx, "M1805")
	if err != nil {
		t.Fatal(err)
	}
	wantCert := []skills.Certification{{Code: "RNCP37674", Title: "Développeur web et web mobile", Level: 5, Active: true,
		Formacodes: []string{"31054"}, Certifiers: []string{"Ministère du Travail"}}}
	if d := cmp.Diff(wantCert, v.Certifications); d != "" {
		t.Errorf("certifications preparing M1805 (-want +got):\n%s", d)
	}
	// Blocks teach the ROME skill of the same label, or become skills.
	taught, _ := g.TaughtBy(ctx, "RNCP37674")
	var ids []string
	for _, s := range taught {
		ids = append(ids, s.ID)
	}
	if d := cmp.Diff([]string{"rncp:RNCP37674BC02", "rome:100001"}, ids); d != "" {
		t.Errorf("RNCP37674 teaches (-want +got):\n%s", d)
	}
	if taught, _ := g.TaughtBy(ctx, "RNCP38042"); len(taught) != 1 || taught[0].ID != "rome:100003" {
		t.Errorf("RNCP38042 teaches %v, want rome:100003 (label matched across case and accents)", taught)
	}
	r, err = ingest.ImportRNCP(ctx, g, sources(t, files...), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, imported, unchanged, _ := r.Totals(); imported != 0 || unchanged != 10 {
		t.Errorf("re-import: %d imported, %d unchanged; want 0 and 10", imported, unchanged)
	}
}

func TestImportESCO(t *testing.T) {
	ctx := context.Background()
	g := graph(t)
	files := []string{"esco/broaderRelationsSkillPillar_fr.csv", "esco/occupationSkillRelations_fr.csv", "esco/occupations_fr.csv",
		"esco/skillSkillRelations_fr.csv", "esco/skills_fr.csv"}
	r, err := ingest.ImportESCO(ctx, g, sources(t, files...), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := summarise(r)
	want := map[string]fileSummary{
		"esco/occupations_fr.csv": {Table: "occupations", Encoding: ingest.UTF8, Read: 2, Skipped: 1, Imported: 1, Bad: []string{
			`esco/occupations_fr.csv:5: conceptUri "not-an-uri" is not an ESCO URI (http://data.europa.eu/esco/...)`}},
		"esco/skills_fr.csv": {Table: "skills", Encoding: ingest.UTF8, Read: 3, Skipped: 1, Imported: 2, Bad: []string{
			`esco/skills_fr.csv:5: preferredLabel is empty`}},
		"esco/occupationSkillRelations_fr.csv": {Table: "occupationSkillRelations", Encoding: ingest.UTF8, Read: 3, Skipped: 1, Imported: 2, Bad: []string{
			`esco/occupationSkillRelations_fr.csv:4: relationType "maybe" is neither essential nor optional`}},
		"esco/skillSkillRelations_fr.csv": {Table: "skillSkillRelations", Encoding: ingest.ASCII, Read: 1, Imported: 1},
		"esco/broaderRelationsSkillPillar_fr.csv": {Table: "broaderRelationsSkillPillar", Encoding: ingest.ASCII, Read: 2, Skipped: 1, Imported: 1, Bad: []string{
			`esco/broaderRelationsSkillPillar_fr.csv:3: a concept broader than itself`}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("reports (-want +got):\n%s", d)
	}
	occ := "esco:occupation:f2b15a0e-e65a-438a-affb-29b9d50b77d1"
	v, err := g.Occupation(ctx, occ)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"développeur informatique", "programmeur", "programmeuse"}, v.Occupation.AltLabels); d != "" {
		t.Errorf("altLabels on several lines (-want +got):\n%s", d)
	}
	if len(v.Requires) != 2 || !v.Requires[0].Essential || v.Requires[0].Skill.Label != "programmation informatique" {
		t.Errorf("requires = %+v", v.Requires)
	}
	n, err := g.Neighbours(ctx, "esco:skill:ccd0a1d9-afda-43d9-b901-96344886e14d")
	if err != nil || len(n) != 2 || n[0].Relation != "narrower" || n[1].Relation != "related" {
		t.Errorf("neighbours = %+v, %v", n, err)
	}
	r, _ = ingest.ImportESCO(ctx, g, sources(t, files...), ingest.Options{})
	if _, imported, unchanged, _ := r.Totals(); imported != 0 || unchanged != 7 {
		t.Errorf("re-import: %d imported, %d unchanged; want 0 and 7", imported, unchanged)
	}
}

func TestImportOutcomesAndBMO(t *testing.T) {
	ctx := context.Background()
	g := graph(t)
	r, err := ingest.ImportOutcomes(ctx, g, sources(t, "taux_retour_emploi.csv"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]fileSummary{"taux_retour_emploi.csv": {Table: "taux_retour_emploi", Encoding: ingest.Windows1252, Read: 5, Skipped: 2, Imported: 3, Bad: []string{
		`taux_retour_emploi.csv:5: taux_retour_emploi "101,5" is not a percentage`,
		`taux_retour_emploi.csv:6: type_territoire "commune" is not bassin, departement, region or national`,
	}}}
	if d := cmp.Diff(want, summarise(r)); d != "" {
		t.Errorf("outcomes report (-want +got):\n%s", d)
	}
	wantOut := []skills.Outcome{
		{Formacode: "31054", Label: "informatique", AreaKind: skills.AreaBassin, Area: "8401", Year: 2024, Leavers: 42, Suppressed: true},
		{Formacode: "31054", Label: "informatique", AreaKind: skills.AreaNational, Area: "FR", Year: 2024, Leavers: 12480, RatePerMil: 614},
		{Formacode: "31054", Label: "informatique", AreaKind: skills.AreaRegion, Area: "84", Year: 2024, Leavers: 1530, RatePerMil: 589},
	}
	if d := cmp.Diff(wantOut, g.Outcomes("31054")); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}

	r, err = ingest.ImportBMO(ctx, g, sources(t, "bmo2025.csv"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]fileSummary{"bmo2025.csv": {Table: "bmo", Encoding: ingest.Windows1252, Read: 3, Skipped: 1, Imported: 2, Bad: []string{
		`bmo2025.csv:4: xmet and smet cannot exceed met (20)`,
	}}}
	if d := cmp.Diff(want, summarise(r)); d != "" {
		t.Errorf("BMO report (-want +got):\n%s", d)
	}
	h := g.HiringIn("8401")
	if len(h) != 2 || h[0].Projects != 1250 || h[0].Difficult != 780 || h[0].Seasonal != 0 || h[1].JobLabel != "Cuisiniers" {
		t.Errorf("hiring in 8401 = %+v", h)
	}
	r, _ = ingest.ImportBMO(ctx, g, sources(t, "bmo2025.csv"), ingest.Options{})
	if _, imported, unchanged, _ := r.Totals(); imported != 0 || unchanged != 2 {
		t.Errorf("BMO re-import: %d imported, %d unchanged", imported, unchanged)
	}
}

func TestRefusedFiles(t *testing.T) {
	g := graph(t)
	r, err := ingest.ImportROME(context.Background(), g, []ingest.Source{
		{Name: "empty.csv", R: strings.NewReader("")},
		{Name: "other.csv", R: strings.NewReader("a;b;c\n1;2;3\n")},
	}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := summarise(r)
	if !strings.Contains(got["empty.csv"].Bad[0], "the file is empty") || !strings.Contains(got["other.csv"].Bad[0], "not a table of the rome format (header: a;b;c)") {
		t.Errorf("refusals = %+v", got)
	}
	if !r.Failed() {
		t.Error("Failed() = false with refused files")
	}
}

func catalogue(t testing.TB) *marketplace.CatalogueService {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "parcours.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return marketplace.NewCatalogueService(s, geo.Default(), nil)
}

func TestImportCatalogue(t *testing.T) {
	ctx := context.Background()
	cat := catalogue(t)
	// A provider registered before the import keeps its ID and certificate.
	known := marketplace.Provider{ID: "prov-known", SIRET: "79271823700029", Name: "Langues Plus", NDA: "11755555575",
		Qualiopi: marketplace.Qualiopi{Certificate: "Q-1", Certifier: "AFNOR", ValidUntil: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if err := cat.Store().CreateProvider(ctx, known); err != nil {
		t.Fatal(err)
	}
	r, err := ingest.ImportCatalogue(ctx, cat, geo.Default(), sources(t, "catalogue_cpf.csv"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := "catalogue_cpf.csv"
	want := map[string]fileSummary{f: {Table: "catalogue CPF", Encoding: ingest.UTF8, Read: 8, Skipped: 5, Imported: 4, Bad: []string{
		f + `:6: siret "12345678901234" is not 14 digits with a valid check digit`,
		f + `:7: type_referentiel "Bilan de compétences": only RNCP and RS certifications are marketplace offers`,
		f + `:8: hours: must be between 1 and 5000`,
		f + `:9: code_departement "99" is not a French department`,
		f + `:10: 8 fields where the header has 39`,
	}}}
	if d := cmp.Diff(want, summarise(r)); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
	siret := "44306184100047"
	p, err := cat.Store().Provider(ctx, ingest.ProviderID(siret))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "ACADÉMIE DU CODE" || p.Qualiopi.Certificate != ingest.CatalogueCertificate || !p.CanPublishAt(time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC)) || p.CanPublishAt(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("imported provider = %+v", p)
	}
	o, err := cat.Store().Offer(ctx, ingest.OfferID(siret, "14_DWWM_LYON", "69"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Certification.Code != "RNCP37674" || o.Certification.Level != 5 || o.PriceCents != 600050 || o.Hours != 700 ||
		o.Commune != "69123" || o.Region != "84" || o.Modality != marketplace.InPerson || o.Status != marketplace.Published ||
		!strings.Contains(o.Description, "\n") {
		t.Errorf("offer in Rhône = %+v", o)
	}
	o, _ = cat.Store().Offer(ctx, ingest.OfferID(siret, "14_DWWM_LYON", "75"))
	if o.Modality != marketplace.Distance || o.Commune != "75056" {
		t.Errorf("offer in Paris = %+v", o)
	}
	o, err = cat.Store().Offer(ctx, ingest.OfferID("79271823700029", "LP-TOEIC-30", "33"))
	if err != nil || o.ProviderID != "prov-known" || o.Status != marketplace.Draft || o.Certification.Code != "RS5468" {
		t.Errorf("offer of the known provider = %+v, %v", o, err)
	}
	if p, _ := cat.Store().Provider(ctx, "prov-known"); p.Qualiopi.Certificate != "Q-1" {
		t.Errorf("the import overwrote a registered provider: %+v", p)
	}

	r, err = ingest.ImportCatalogue(ctx, cat, geo.Default(), sources(t, "catalogue_cpf.csv"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, imported, unchanged, skipped := r.Totals(); imported != 0 || unchanged != 3 || skipped != 5 {
		t.Errorf("re-import: %d imported, %d unchanged, %d skipped; want 0, 3, 5", imported, unchanged, skipped)
	}
}

// TestProgress checks both displays: a bar redrawn in place on a terminal,
// plain lines otherwise, and the summary.
func TestProgress(t *testing.T) {
	var rows strings.Builder
	rows.WriteString("code_ogr;libelle_competence\n")
	for i := range 5000 {
		fmt.Fprintf(&rows, "%d;Compétence %d\n", 100000+i, i)
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	for _, tty := range []bool{true, false} {
		var out bytes.Buffer
		data := rows.String()
		r, err := ingest.ImportROME(context.Background(), graph(t), []ingest.Source{{Name: "c.csv", R: strings.NewReader(data), Size: int64(len(data))}},
			ingest.Options{Progress: &out, TTY: tty, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if tty && (!strings.Contains(s, "\r[") || !strings.Contains(s, "%")) {
			t.Errorf("terminal progress = %q", s)
		}
		if !tty && (!strings.Contains(s, "progress: ") || strings.Contains(s, "\r")) {
			t.Errorf("plain progress = %q", s)
		}
		var sum bytes.Buffer
		r.Write(&sum)
		if !strings.Contains(sum.String(), "rome import: 1 files, 5000 rows read, 5000 records imported, 0 unchanged, 0 rows skipped") {
			t.Errorf("summary = %q", sum.String())
		}
	}
}
