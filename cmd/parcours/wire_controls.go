package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/jobs"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
)

// The automatic controls: built in openApp before the marketplace services
// they watch (newControls), attached to them once they exist; their
// nightly scan is a scheduled job; `parcours eval controls` measures them.

func init() {
	registerJobs(func(a *app, log *slog.Logger) ([]jobs.Job, error) {
		if a.controls == nil {
			return nil, nil
		}
		return []jobs.Job{{Name: "controls-nightly-scan", Schedule: a.cfg.Controls.ScanSchedule, Run: func(ctx context.Context) error {
			rep, err := a.controls.Scan(ctx)
			log.Info("controls scan", "providers", rep.Providers, "offers", rep.Offers, "dossiers", rep.Dossiers,
				"evaluations", rep.Evaluations, "alerts", rep.Alerts, "held", rep.Held, "duration", rep.Duration, "err", err)
			return err
		}}, {Name: "controls-price-baselines", Schedule: "7 * * * *", Run: func(ctx context.Context) error {
			_, err := a.controls.RefreshBaselines(ctx)
			return err
		}}}, nil
	})
	registerEvaluation("controls", command{
		Summary: "precision and recall of each control detector on the labelled sets (controls/testdata)",
		Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return controls.RunEvaluation(ctx, args, stdout)
		},
	})
}

// certificationLookup is the optional capability of a skills graph to
// find a certification of its referential.
type certificationLookup interface {
	Certification(ctx context.Context, code string) (skills.Certification, bool)
}

// newControls builds the controls over the app's store. The graph is read
// at call time: it is built after the controls.
func newControls(a *app, enrol marketplace.EnrolmentStore, log *slog.Logger) (*controls.Service, error) {
	store, ok := enrol.(controls.Store)
	if !ok {
		return nil, fmt.Errorf("store.driver %q keeps no control alerts", a.cfg.Store.Driver)
	}
	registry := controls.RegistryFunc(func(ctx context.Context, code string) (string, bool, error) {
		if g, ok := a.graph.(certificationLookup); ok {
			c, found := g.Certification(ctx, code)
			return c.Title, found && c.Active, nil
		}
		return "", false, nil
	})
	ipKey := sha256.Sum256(append([]byte("parcours controls: IP address hashes\x00"), a.secrets.NIRKey...))
	c := a.cfg.Controls
	return controls.New(controls.Config{
		Store: store, Dossiers: enrol, Catalogue: a.store, Registry: registry,
		Thresholds: controls.Thresholds{Sect: c.SectThreshold, Discrim: c.DiscriminationThreshold},
		HoldScore:  c.PaymentHoldScore, IPKey: ipKey[:], Log: log, Now: time.Now,
		Contacts: contactChanges{a},
	}), nil
}

// contactChanges gives the account-takeover detector the last change of a
// learner's contact or bank details, from the enrolment service (built
// after the controls, read at call time).
type contactChanges struct{ a *app }

func (c contactChanges) ContactChangedAt(ctx context.Context, accountID string) (time.Time, string, bool, error) {
	if c.a.enrolment == nil {
		return time.Time{}, "", false, nil
	}
	at, what, err := c.a.enrolment.LastContactChange(ctx, accountID)
	return at, what, err == nil && !at.IsZero(), err
}
