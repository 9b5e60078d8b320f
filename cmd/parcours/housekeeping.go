package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/marketplace"
)

// The housekeeping job purges what is kept for a while only
// (config.yaml, housekeeping): client idempotency keys on every backend;
// on MongoDB, the change feed entries the replicas have read, old job
// leases and version claims. Like every job it runs once per tick across
// replicas; `parcours jobs run housekeeping` runs it by hand.
func init() {
	registerJobs(func(a *app, log *slog.Logger) ([]jobs.Job, error) {
		return []jobs.Job{{Name: "housekeeping", Schedule: a.cfg.Housekeeping.Schedule, Run: func(ctx context.Context) error {
			_, err := a.housekeep(ctx, time.Now(), log)
			return err
		}}}, nil
	})
}

// purged counts what one housekeeping run deleted.
type purged struct {
	IdempotencyKeys, Changes, Leases, Claims int
}

// housekeep runs every purge as of now, logs and returns what it deleted.
// A purge that fails does not stop the others.
func (a *app) housekeep(ctx context.Context, now time.Time, log *slog.Logger) (purged, error) {
	h := a.cfg.Housekeeping
	var p purged
	var errs []error
	note := func(n *int, what string, k int, err error) {
		*n = k
		if err != nil {
			errs = append(errs, err)
			log.Error("housekeeping", "purging", what, "err", err)
		}
	}
	if jp, ok := a.enrolment.Store().(marketplace.JournalPurger); ok {
		k, err := jp.PurgeJournal(ctx, marketplace.ClientKeyPrefix, now.Add(-h.IdempotencyRetention))
		note(&p.IdempotencyKeys, "idempotency keys", k, err)
	}
	if m := a.mongo; m != nil {
		k, err := m.PurgeChanges(ctx, now.Add(-h.ChangeRetention))
		note(&p.Changes, "change feed", k, err)
		k, err = m.PurgeLeases(ctx, now.Add(-h.LeaseRetention))
		note(&p.Leases, "job leases", k, err)
		k, err = m.PurgeClaims(ctx, now.Add(-h.LeaseRetention))
		note(&p.Claims, "version claims", k, err)
	}
	log.Info("housekeeping done", "idempotency_keys", p.IdempotencyKeys, "changes", p.Changes, "leases", p.Leases, "claims", p.Claims)
	return p, errors.Join(errs...)
}
