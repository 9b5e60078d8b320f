package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parcours/parcours/config"
	"github.com/parcours/parcours/ingest"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
)

// graphImporters are the ingest kinds that feed the skills graph.
var graphImporters = map[string]func(context.Context, skills.Graph, []ingest.Source, ingest.Options) (*ingest.Report, error){
	"rncp":     ingest.ImportRNCP,
	"rome":     ingest.ImportROME,
	"esco":     ingest.ImportESCO,
	"outcomes": ingest.ImportOutcomes,
	"bmo":      ingest.ImportBMO,
}

// cmdIngest imports open-data files: progress on stderr (a bar on a
// terminal), the summary on stdout. Bad rows are reported and skipped; a
// file refused whole (unknown header, missing columns) makes the command
// fail after the others are imported.
func cmdIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("ingest", stderr, &cf)
	if err := fs.Parse(args); err != nil {
		return err
	}
	kinds := "catalogue, rncp, rome, esco, outcomes, bmo, employment"
	if fs.NArg() < 2 {
		return fmt.Errorf("usage: parcours ingest KIND FILE... (KIND: %s)", kinds)
	}
	kind, names := fs.Arg(0), fs.Args()[1:]
	imp, isGraph := graphImporters[kind]
	if !isGraph && kind != "catalogue" && kind != "employment" {
		return fmt.Errorf("unknown kind %q (KIND: %s)", kind, kinds)
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	if kind == "employment" {
		return ingestEmployment(ctx, cfg, names, stdout, stderr)
	}
	var sources []ingest.Source
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return err
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return err
		}
		sources = append(sources, ingest.Source{Name: n, R: f, Size: info.Size()})
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.close()
	opts := ingest.Options{Progress: stderr, TTY: isTerminal(stderr)}
	var rep *ingest.Report
	if isGraph {
		rep, err = imp(ctx, a.graph, sources, opts)
	} else {
		rep, err = ingest.ImportCatalogue(ctx, a.catalogue, a.places, sources, opts)
	}
	if rep != nil {
		rep.Write(stdout)
	}
	if err != nil {
		return err
	}
	if rep.Failed() {
		var refused []string
		for _, f := range rep.Files {
			if f.Err != "" {
				refused = append(refused, f.File)
			}
		}
		return errors.New("refused: " + strings.Join(refused, ", "))
	}
	return nil
}

// isTerminal reports whether w is a character device (a terminal), where
// the progress bar can be redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// ingestEmployment imports employment declarations (docs/employment-declarations.md):
// they open the accounts of new NIRs, and past years' rights are credited
// at once, as the scheduled job would.
func ingestEmployment(ctx context.Context, cfg config.Config, names []string, stdout, stderr io.Writer) error {
	var rows []marketplace.DeclarationRow
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return err
		}
		r, err := ingest.ParseEmployment(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		rows = append(rows, r...)
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.close()
	res, err := a.enrolment.ImportDeclarations(ctx, marketplace.Party{Admin: true}, rows)
	if err != nil {
		return err
	}
	n, err := a.enrolment.CreditYearlyRights(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d declarations imported, %d accounts opened, %d yearly credits made\n", res.Declarations, res.AccountsCreated, n)
	return nil
}
