package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/ingest"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/store/bolt"
)

const catalogueHeader = "date_extract;nom_of;nom_departement;nom_region;type_referentiel;code_inventaire;code_rncp;intitule_certification;libelle_niveau_sortie_formation;code_formacode_1;code_formacode_2;code_formacode_3;code_formacode_4;code_formacode_5;libelle_code_formacode_principal;libelle_nsf_1;libelle_nsf_2;libelle_nsf_3;code_nsf_1;code_nsf_2;code_nsf_3;code_certifinfo;siret;numero_formation;intitule_formation;points_forts;nb_action;nb_session_active;nb_session_a_distance;nombre_heures_total_min;nombre_heures_total_max;nombre_heures_total_mean;frais_ttc_tot_min;frais_ttc_tot_max;frais_ttc_tot_mean;code_departement;code_region;nbaction_nbheures;coderegion_export"

// luhnSIRET makes a valid SIRET from a 13-digit prefix.
func luhnSIRET(prefix string) string {
	for d := '0'; d <= '9'; d++ {
		if s := prefix + string(d); marketplace.ValidSIRET(s) {
			return s
		}
	}
	panic("unreachable")
}

// writeCatalogue writes a catalogue extract of n rows from 6,000 providers
// in every department, as the real extract has about.
func writeCatalogue(tb testing.TB, n int) (string, int64) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "catalogue.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, catalogueHeader)
	r := rand.New(rand.NewPCG(1, 2))
	sirets := make([]string, 6000)
	for i := range sirets {
		sirets[i] = luhnSIRET(fmt.Sprintf("4%012d", i))
	}
	depts := []string{}
	for _, d := range geo.Default().Departments() {
		if len(d.Code) == 2 {
			depts = append(depts, d.Code)
		}
	}
	for i := range n {
		p := r.IntN(len(sirets))
		dept := depts[r.IntN(len(depts))]
		fmt.Fprintf(w, "2025-03-01;ORGANISME %d;;;RNCP;;%d;Certification %d;Niveau 5;31054;;;;;informatique;;;;;;;;%s;F%07d;Formation numéro %d;\"Points forts ;\nsur deux lignes\";1;%d;0;35;35;%d;1000;1000;%d.50;%s;84;35;84\n",
			p, 30000+i%3000, i%3000, sirets[p], i, i, r.IntN(3), 20+r.IntN(500), 100+r.IntN(5000), dept)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	info, _ := f.Stat()
	f.Close()
	return path, info.Size()
}

// BenchmarkImportCatalogue300k imports a 300,000-row catalogue extract into
// a new bbolt store, then imports it again (every row unchanged).
func BenchmarkImportCatalogue300k(b *testing.B) {
	const rows = 300_000
	path, size := writeCatalogue(b, rows)
	places := geo.Default()
	for b.Loop() {
		b.StopTimer()
		s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		cat := marketplace.NewCatalogueService(s, places, nil)
		b.StartTimer()
		start := time.Now()
		run := func() *ingest.Report {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			rep, err := ingest.ImportCatalogue(context.Background(), cat, places, []ingest.Source{{Name: "catalogue.csv", R: f, Size: size}}, ingest.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return rep
		}
		rep := run()
		first := time.Since(start)
		if read, imported, _, skipped := rep.Totals(); read != rows || skipped != 0 || imported < rows {
			b.Fatalf("read %d, imported %d, skipped %d", read, imported, skipped)
		}
		start = time.Now()
		rep = run()
		again := time.Since(start)
		if _, imported, unchanged, _ := rep.Totals(); imported != 0 || unchanged != rows {
			b.Fatalf("re-import: imported %d, unchanged %d", imported, unchanged)
		}
		b.ReportMetric(first.Seconds(), "s-first-import")
		b.ReportMetric(again.Seconds(), "s-re-import")
		b.ReportMetric(float64(rows)/first.Seconds(), "rows/s")
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// writeESCO writes the five ESCO tables at ESCO's size: 3,000 occupations,
// 14,000 skills, 117,000 occupation-skill relations, 13,500 broader and
// 5,000 skill-skill relations.
func writeESCO(tb testing.TB) []string {
	tb.Helper()
	dir := tb.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	occ := func(i int) string {
		return fmt.Sprintf("http://data.europa.eu/esco/occupation/%08d-0000-4000-8000-000000000000", i)
	}
	sk := func(i int) string {
		return fmt.Sprintf("http://data.europa.eu/esco/skill/%08d-0000-4000-8000-000000000000", i)
	}
	var paths []string
	write := func(name, header string, rows func(w *bufio.Writer)) {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			tb.Fatal(err)
		}
		w := bufio.NewWriter(f)
		w.WriteString(header + "\n")
		rows(w)
		w.Flush()
		f.Close()
		paths = append(paths, p)
	}
	write("occupations_fr.csv", "conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,description,code", func(w *bufio.Writer) {
		for i := range 3000 {
			fmt.Fprintf(w, "Occupation,%s,%d,métier %d,\"autre nom %d\nencore un nom\",Une description.,%d.%d\n", occ(i), 1000+i%9000, i, i, 1000+i%9000, i)
		}
	})
	write("skills_fr.csv", "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,description", func(w *bufio.Writer) {
		for i := range 14000 {
			fmt.Fprintf(w, "KnowledgeSkillCompetence,%s,skill/competence,cross-sector,compétence %d,\"variante %d\",Description.\n", sk(i), i, i)
		}
	})
	seen := map[[2]int]bool{}
	write("occupationSkillRelations_fr.csv", "occupationUri,relationType,skillType,skillUri", func(w *bufio.Writer) {
		for i := range 3000 {
			for k := range 39 {
				s := r.IntN(14000)
				if seen[[2]int{i, s}] {
					continue
				}
				seen[[2]int{i, s}] = true
				rt := "optional"
				if k < 17 {
					rt = "essential"
				}
				fmt.Fprintf(w, "%s,%s,skill/competence,%s\n", occ(i), rt, sk(s))
			}
		}
	})
	write("broaderRelationsSkillPillar_fr.csv", "conceptType,conceptUri,broaderType,broaderUri", func(w *bufio.Writer) {
		for i := 500; i < 14000; i++ {
			fmt.Fprintf(w, "KnowledgeSkillCompetence,%s,KnowledgeSkillCompetence,%s\n", sk(i), sk(r.IntN(i)))
		}
	})
	seen2 := map[[2]int]bool{}
	write("skillSkillRelations_fr.csv", "originalSkillUri,originalSkillType,relationType,relatedSkillType,relatedSkillUri", func(w *bufio.Writer) {
		for range 5000 {
			a, c := r.IntN(14000), r.IntN(14000)
			if a == c || seen2[[2]int{a, c}] {
				continue
			}
			seen2[[2]int{a, c}] = true
			fmt.Fprintf(w, "%s,skill/competence,optional,skill/competence,%s\n", sk(a), sk(c))
		}
	})
	return paths
}

// BenchmarkImportESCO imports ESCO-size tables into the embedded graph on a
// new bbolt file.
func BenchmarkImportESCO(b *testing.B) {
	paths := writeESCO(b)
	for b.Loop() {
		b.StopTimer()
		s, err := bolt.Open(filepath.Join(b.TempDir(), "parcours.db"), 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		g, _ := skills.NewEmbedded(context.Background(), s)
		var srcs []ingest.Source
		var files []*os.File
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, f)
			info, _ := f.Stat()
			srcs = append(srcs, ingest.Source{Name: filepath.Base(p), R: f, Size: info.Size()})
		}
		b.StartTimer()
		rep, err := ingest.ImportESCO(context.Background(), g, srcs, ingest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		read, imported, _, skipped := rep.Totals()
		if skipped != 0 || imported < 140000 {
			b.Fatalf("read %d, imported %d, skipped %d", read, imported, skipped)
		}
		b.ReportMetric(float64(read), "rows")
		for _, f := range files {
			f.Close()
		}
		s.Close()
		b.StartTimer()
	}
}
