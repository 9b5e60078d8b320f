package ingest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/ingest"
	"github.com/parcours/parcours/skills"
)

// FuzzImport feeds arbitrary files to the ROME, RNCP and ESCO importers:
// they must never panic, every stored label must be valid UTF-8, every row
// read must be imported or skipped, and importing the same bytes again must
// change nothing.
func FuzzImport(f *testing.F) {
	for _, dir := range []string{"rome", "rncp", "esco"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.csv"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("code_ogr;libelle_competence\n1;\"é\xe9\n\"\"x\n"))
	f.Add([]byte("\xef\xbb\xbfcode_rome;libelle_rome\nA1234;\"ouvert\n"))
	importers := []func(context.Context, skills.Graph, []ingest.Source, ingest.Options) (*ingest.Report, error){
		ingest.ImportROME, ingest.ImportRNCP, ingest.ImportESCO, ingest.ImportOutcomes, ingest.ImportBMO,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		for _, imp := range importers {
			g, _ := skills.NewEmbedded(ctx, nil)
			r, err := imp(ctx, g, []ingest.Source{{Name: "f.csv", R: bytes.NewReader(data), Size: int64(len(data))}}, ingest.Options{})
			if err != nil {
				t.Fatalf("import error: %v", err)
			}
			for _, fr := range r.Files {
				if fr.Err != "" {
					continue
				}
				if fr.Skipped > fr.Read {
					t.Fatalf("skipped %d of %d rows", fr.Skipped, fr.Read)
				}
			}
			c, _ := g.Counts(ctx)
			r2, err := imp(ctx, g, []ingest.Source{{Name: "f.csv", R: bytes.NewReader(data), Size: int64(len(data))}}, ingest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, imported, _, _ := r2.Totals(); imported != 0 {
				t.Fatalf("re-import imported %d records", imported)
			}
			if c2, _ := g.Counts(ctx); c2 != c {
				t.Fatalf("re-import changed the counts: %+v -> %+v", c, c2)
			}
			checkUTF8(t, g)
		}
	})
}

func checkUTF8(t *testing.T, g *skills.Embedded) {
	t.Helper()
	sk, _ := g.SkillsByLabel(context.Background(), "")
	for _, s := range sk {
		if !utf8.ValidString(s.Label) {
			t.Fatalf("stored label %q is not UTF-8", s.Label)
		}
	}
}

// FuzzImportCatalogue feeds arbitrary catalogue extracts to the CPF
// importer: it must never panic nor fail, every row must be imported or
// skipped, and importing the same bytes again must write nothing.
func FuzzImportCatalogue(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "catalogue_cpf.csv"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	header, _, _ := bytes.Cut(data, []byte("\n"))
	f.Add(append(append([]byte{}, header...), "\n2025-03-01;X;;;RS;5468;;T;;;;;;;;;;;;;;;44306184100047;N;T;;1;1;0;1;1;1;1;1;1;2A;94;1;94\n"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		cat := catalogue(t)
		src := func() []ingest.Source {
			return []ingest.Source{{Name: "c.csv", R: bytes.NewReader(data), Size: int64(len(data))}}
		}
		r, err := ingest.ImportCatalogue(ctx, cat, geo.Default(), src(), ingest.Options{})
		if err != nil {
			t.Fatalf("import error: %v", err)
		}
		for _, fr := range r.Files {
			if fr.Skipped > fr.Read {
				t.Fatalf("skipped %d of %d rows", fr.Skipped, fr.Read)
			}
		}
		r, err = ingest.ImportCatalogue(ctx, cat, geo.Default(), src(), ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, imported, _, _ := r.Totals(); imported != 0 {
			t.Fatalf("re-import imported %d records", imported)
		}
	})
}
