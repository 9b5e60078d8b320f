package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parcours/parcours/ingest"
	"github.com/parcours/parcours/marketplace"
)

// cmdIngest imports a file into the store (service stopped: the embedded
// store is locked while it runs; use the admin API then). Only employment
// declarations for now: they open the accounts of new NIRs and their
// past years' rights are credited at once, as the scheduled job would.
func cmdIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("ingest", stderr, &cf)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 || fs.Arg(0) != "employment" {
		return errors.New("usage: parcours ingest [--config FILE] [--data DIR] employment FILE")
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(1))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := ingest.ParseEmployment(f)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(1), err)
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
