// Package starter is the built-in starter referential: occupations with
// their real ROME 4.0 codes, the skills they require and the
// certifications of the demo catalogue with what they teach, written by the
// project in the published formats of the ROME (France Travail) and of the
// RNCP/RS export (France Compétences), and imported by the same importers
// as the real files. Demo mode and tests load it; see docs/data.md for what
// is real in it and what the project wrote.
package starter

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/parcours/parcours/ingest"
	"github.com/parcours/parcours/skills"
)

//go:embed *.csv
var files embed.FS

// ROMEFiles and RNCPFiles name the embedded tables of each format.
var (
	ROMEFiles = []string{"unix_referentiel_code_rome.csv", "unix_referentiel_competence.csv", "unix_liens_rome_referentiels.csv"}
	RNCPFiles = []string{"Standard.csv", "Rome.csv", "Blocs_De_Compétences.csv", "Certificateurs.csv"}
)

// FS returns the embedded files.
func FS() fs.FS { return files }

// Load imports the starter referential into g: the ROME tables first, so
// that the RNCP blocks of competences find their skills. It is idempotent.
func Load(ctx context.Context, g skills.Graph) (rome, rncp *ingest.Report, err error) {
	if rome, err = ingest.ImportROME(ctx, g, sources(ROMEFiles), ingest.Options{}); err != nil {
		return rome, nil, err
	}
	if rncp, err = ingest.ImportRNCP(ctx, g, sources(RNCPFiles), ingest.Options{}); err != nil {
		return rome, rncp, err
	}
	for _, r := range []*ingest.Report{rome, rncp} {
		if r.Failed() {
			return rome, rncp, fmt.Errorf("the starter referential has a refused file: %+v", r.Files)
		}
		if _, _, _, skipped := r.Totals(); skipped > 0 {
			return rome, rncp, fmt.Errorf("the starter referential has %d bad rows: %v", skipped, r.Files[0].Bad)
		}
	}
	return rome, rncp, nil
}

func sources(names []string) []ingest.Source {
	var out []ingest.Source
	for _, n := range names {
		f, err := files.Open(n)
		if err != nil {
			panic("starter: missing embedded file " + n) // the tests load every file
		}
		info, _ := f.Stat()
		out = append(out, ingest.Source{Name: n, R: f, Size: info.Size()})
	}
	return out
}
