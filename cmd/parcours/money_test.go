package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parcours/parcours/marketplace"
)

// In demo mode the demo learner lands on a funded account, and starting
// again credits nothing twice.
func TestDemoLearnerIsFunded(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PARCOURS_CONFIG", "")
	t.Setenv("PARCOURS_DEMO_ENABLED", "true")
	t.Setenv("PARCOURS_DEMO_PROVIDERS", "10")
	t.Setenv("PARCOURS_DEMO_OFFERS", "50")
	for i := 0; i < 2; i++ {
		_, stop := startServe(t, "--data", dir)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := loadConfig(commonFlags{data: dir})
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	for _, d := range demoAccounts {
		v, err := a.enrolment.Account(context.Background(), marketplace.Party{Admin: true}, d.id)
		if err != nil || v.BalanceCents != d.balance {
			t.Errorf("%s: %+v, %v; want a balance of %d", d.id, v, err, d.balance)
		}
	}
	ds, _, err := a.enrolment.Dossiers(context.Background(), marketplace.Party{Admin: true}, marketplace.DossierFilter{AccountID: "demo-learner"}, marketplace.Page{})
	if err != nil || len(ds) != 2 || ds[0].State != marketplace.NotProcessed || ds[1].State != marketplace.Validated {
		t.Errorf("demo dossiers after two starts: %d, %v", len(ds), err)
	}
}

func TestIngestEmployment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PARCOURS_CONFIG", "")
	var out strings.Builder
	sample := filepath.Join("..", "..", "testdata", "employment-declarations.csv")
	for i := 0; i < 2; i++ {
		out.Reset()
		if err := run(context.Background(), []string{"ingest", "--data", dir, "employment", sample}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	// The second import opens no account and credits nothing again.
	if got := out.String(); !strings.Contains(got, "4 declarations imported, 0 accounts opened, 0 yearly credits made") {
		t.Errorf("second import: %q", got)
	}
	data, err := os.ReadFile(filepath.Join(dir, "parcours.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "255081416802538") {
		t.Error("the store file holds a NIR")
	}
}
