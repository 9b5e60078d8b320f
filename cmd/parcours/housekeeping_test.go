package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// The housekeeping job forgets client idempotency keys past their
// retention, keeps recent ones and the keys the service derives itself,
// and is listed with the other jobs.
func TestHousekeepingPurgesOldClientKeys(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PARCOURS_CONFIG", "")
	ctx := context.Background()
	cfg, err := loadConfig(commonFlags{data: dir})
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	credit := func(key string, at time.Time) {
		op := marketplace.Op{Key: key, Fingerprint: key, At: at, Kind: marketplace.MoveYearlyCredit, Postings: []marketplace.Posting{
			{Account: marketplace.RightsSource, Cents: -100}, {Account: marketplace.LearnerAccount("a"), Cents: 100}}}
		if _, err := a.enrolment.Store().Apply(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	old := now.Add(-cfg.Housekeeping.IdempotencyRetention - time.Hour)
	credit(marketplace.ClientKeyPrefix+"funder:f:old", old)
	credit(marketplace.ClientKeyPrefix+"funder:f:new", now)
	credit("credit:a:2025", old)
	p, err := a.housekeep(ctx, now, slog.New(slog.DiscardHandler))
	if err != nil || p.IdempotencyKeys != 1 {
		t.Fatalf("housekeeping purged %+v, %v; want the one old client key", p, err)
	}
	for key, kept := range map[string]bool{marketplace.ClientKeyPrefix + "funder:f:old": false, marketplace.ClientKeyPrefix + "funder:f:new": true, "credit:a:2025": true} {
		if _, err := a.enrolment.Store().Journal(ctx, key); (err == nil) != kept || err != nil && !errors.Is(err, marketplace.ErrNotFound) {
			t.Errorf("%s after housekeeping: %v (want kept: %v)", key, err, kept)
		}
	}
	a.close()

	var out bytes.Buffer
	if err := run(ctx, []string{"jobs", "list", "--data", dir}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "housekeeping") {
		t.Errorf("jobs list: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"jobs", "run", "--data", dir, "housekeeping"}, io.Discard, io.Discard); err != nil {
		t.Errorf("jobs run housekeeping: %v", err)
	}
	t.Setenv("PARCOURS_HOUSEKEEPING_IDEMPOTENCY_RETENTION", "1h")
	if _, err := loadConfig(commonFlags{data: dir}); err == nil || !strings.Contains(err.Error(), "PARCOURS_HOUSEKEEPING_IDEMPOTENCY_RETENTION") {
		t.Errorf("a retention of an hour: %v", err)
	}
}
