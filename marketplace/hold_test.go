package marketplace_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parcours/parcours/marketplace"
)

// holdAtExit is a control that holds every dossier at the exit declaration.
type holdAtExit struct{ recorded []marketplace.ControlEvent }

func (h *holdAtExit) Check(_ context.Context, ev marketplace.ControlEvent, d marketplace.Dossier) (marketplace.ControlVerdict, error) {
	if ev == marketplace.EventExit {
		return marketplace.ControlVerdict{Hold: true, Reason: "sortie déclarée trop tôt", Detail: "x"}, nil
	}
	return marketplace.ControlVerdict{}, nil
}

func (h *holdAtExit) Record(_ context.Context, ev marketplace.ControlEvent, d marketplace.Dossier, v marketplace.ControlVerdict) error {
	h.recorded = append(h.recorded, ev)
	return nil
}

func TestControlHoldBlocksPaymentUntilRelease(t *testing.T) {
	for name, open := range map[string]func(testing.TB) testStore{"bolt": openBolt, "mongo": openMongo} {
		t.Run(name, func(t *testing.T) {
			ctrl := &holdAtExit{}
			e := newEnvOn(t, open(t), parisNoon(2026, 3, 2), day(2026, 4, 1), func(c *marketplace.EnrolmentConfig) { c.Control = ctrl })
			ctx := context.Background()
			learner := e.learner(2000_00, marketplace.Account{})
			d := e.toAccepted(learner)
			e.clock.set(parisNoon(2026, 4, 1))
			var err error
			if d, err = e.svc.DeclareEntry(ctx, e.provider(), key(), d.ID); err != nil {
				t.Fatal(err)
			}
			if d, err = e.svc.DeclareExit(ctx, e.provider(), key(), d.ID, 100, ""); err != nil {
				t.Fatal(err)
			}
			if d.Hold == nil || d.Hold.Reason != "sortie déclarée trop tôt" {
				t.Fatalf("after the exit: hold %+v", d.Hold)
			}
			if len(ctrl.recorded) != 1 || ctrl.recorded[0] != marketplace.EventExit {
				t.Errorf("recorded %v", ctrl.recorded)
			}
			// The evaluation is recorded but pays nothing.
			ev := marketplace.Evaluation{Scores: [6]int{5, 5, 5, 5, 5, 5}}
			if d, err = e.svc.Evaluate(ctx, learner, key(), d.ID, ev); err != nil {
				t.Fatal(err)
			}
			if d.State != marketplace.ServiceDoneDeclared || !d.Evaluated || d.Billing == marketplace.Paid {
				t.Fatalf("evaluated while held: %+v", d)
			}
			// Nor does the deadline job, long after.
			e.clock.set(parisNoon(2026, 8, 1))
			if _, err := e.svc.EnforceDeadlines(ctx); err != nil {
				t.Fatal(err)
			}
			if got := e.balance(marketplace.ProviderAccount(e.prov.ID)); got != 0 {
				t.Fatalf("provider paid %d while held", got)
			}
			// Only a controller releases.
			for _, who := range []marketplace.Party{learner, e.provider(), {}} {
				if _, err := e.svc.ReleasePayment(ctx, who, key(), d.ID); !errors.Is(err, marketplace.ErrForbidden) {
					t.Errorf("release by %+v: %v", who, err)
				}
			}
			if d, err = e.svc.ReleasePayment(ctx, marketplace.Party{Controller: true}, key(), d.ID); err != nil {
				t.Fatal(err)
			}
			if d.Hold != nil || d.State != marketplace.ServiceDoneValidated || d.PaidCents != 1500_00 {
				t.Fatalf("after the release: %+v", d)
			}
			if got := e.balance(marketplace.ProviderAccount(e.prov.ID)); got != 1500_00 {
				t.Errorf("provider paid %d after release", got)
			}
			e.audit()

			// Re-credit: the account's share of the capture, once, from the recovery source.
			who := marketplace.Party{Controller: true}
			if _, err := e.svc.Recredit(ctx, who, "r1", d.ID, 1397_78); !errors.Is(err, marketplace.ErrInvalid) {
				t.Errorf("re-credit above what the account paid: %v", err)
			}
			if _, err := e.svc.Recredit(ctx, e.provider(), "r1", d.ID, 100_00); !errors.Is(err, marketplace.ErrForbidden) {
				t.Errorf("re-credit by a provider: %v", err)
			}
			before := e.balance(marketplace.LearnerAccount(learner.AccountID))
			if _, err := e.svc.Recredit(ctx, who, "r1", d.ID, 1397_77); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Recredit(ctx, who, "r1", d.ID, 1397_77); err != nil {
				t.Errorf("replay: %v", err)
			}
			if _, err := e.svc.Recredit(ctx, who, "r2", d.ID, 1); !errors.Is(err, marketplace.ErrConflict) {
				t.Errorf("second re-credit: %v", err)
			}
			if got := e.balance(marketplace.LearnerAccount(learner.AccountID)) - before; got != 1397_77 {
				t.Errorf("re-credited %d", got)
			}
			if got := e.balance(marketplace.RecoverySource); got != -1397_77 {
				t.Errorf("recovery source %d", got)
			}
			e.audit()
		})
	}
}

func TestHoldByControllerBlocksLateCancellationPayment(t *testing.T) {
	e := newEnv(t, parisNoon(2026, 3, 2), day(2026, 4, 1))
	ctx := context.Background()
	learner := e.learner(2000_00, marketplace.Account{})
	d := e.toAccepted(learner)
	if _, err := e.svc.HoldPayment(ctx, e.provider(), key(), d.ID, "x", "motif"); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("hold by the provider: %v", err)
	}
	if _, err := e.svc.HoldPayment(ctx, marketplace.Party{Controller: true}, key(), d.ID, "ctrl-1", ""); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("hold without a reason: %v", err)
	}
	var err error
	if d, err = e.svc.HoldPayment(ctx, marketplace.Party{Controller: true}, key(), d.ID, "ctrl-1", "démarchage signalé"); err != nil || d.Hold == nil {
		t.Fatalf("hold: %+v %v", d.Hold, err)
	}
	e.clock.set(parisNoon(2026, 3, 30)) // within the 7 working days: a late cancellation pays the provider
	if _, err := e.svc.Cancel(ctx, learner, key(), d.ID, ""); !errors.Is(err, marketplace.ErrPaymentHeld) {
		t.Errorf("late cancellation while held: %v", err)
	}
	// A controller's cancellation releases the money to where it came from.
	if d, err = e.svc.Cancel(ctx, marketplace.Party{Controller: true}, key(), d.ID, ""); err != nil || d.State != marketplace.CanceledByFinancer {
		t.Fatalf("controller cancels: %+v %v", d, err)
	}
	if got := e.balance(marketplace.LearnerAccount(learner.AccountID)); got != 2000_00 {
		t.Errorf("balance after the controller's cancellation %d", got)
	}
	e.audit()
}
