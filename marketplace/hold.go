package marketplace

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PaymentHold is a control's hold on a dossier's payment: while it is set,
// no money of the dossier reaches its provider. Money already held for
// the dossier stays in its hold account; a cancellation may still give it
// back to where it came from.
type PaymentHold struct {
	At     time.Time
	By     string // "controls" for an automatic hold, else the controller
	Reason string // in French, shown to the provider
}

// ErrPaymentHeld is returned for an operation that would pay the provider
// of a dossier whose payment is held. It matches ErrConflict.
var ErrPaymentHeld = fmt.Errorf("the payment is held pending a controller's review: %w", ErrConflict)

// CheckHeldCapture is the stores' guard of payment holds: an operation
// that credits a provider account must not write a held dossier nor change
// one that is held in the store (stored; nil for a creation). Every store
// calls it inside the operation, next to its version check, so that a
// hold set concurrently either is seen or makes the operation stale.
func CheckHeldCapture(op Op, stored *Dossier) error {
	pays := false
	for _, p := range op.Postings {
		if p.Cents > 0 && p.Account.Kind() == "provider" {
			pays = true
			break
		}
	}
	if !pays {
		return nil
	}
	if op.Dossier == nil {
		// Every payment to a provider settles a dossier: one without is
		// refused rather than left unchecked.
		return fmt.Errorf("a payment to a provider must settle a dossier: %w", ErrPaymentHeld)
	}
	if op.Dossier.Hold != nil || (stored != nil && stored.Hold != nil) {
		return fmt.Errorf("dossier %s: %w", op.Dossier.ID, ErrPaymentHeld)
	}
	return nil
}

// ControlEvent names the transitions at which a DossierControl is asked.
type ControlEvent string

// The controlled transitions.
const (
	EventAccept  ControlEvent = "accept"  // the learner accepts: money is held
	EventExit    ControlEvent = "exit"    // the provider declares the exit
	EventPayment ControlEvent = "payment" // the learner's external payment arrives
)

// ControlVerdict is a control's answer on a dossier.
type ControlVerdict struct {
	// Hold tells to hold the dossier's payment, for Reason (French, shown
	// to the provider).
	Hold   bool
	Reason string
	// Detail is the control's own record of its findings, handed back to
	// Record; nil when nothing was found.
	Detail any
}

// DossierControl is the automatic control of dossiers at their key
// transitions; package controls provides it. Implementations are safe for
// concurrent use.
type DossierControl interface {
	// Check scores d as it is about to be written at event. It reads but
	// never writes: the transition may still be refused or retried.
	Check(ctx context.Context, event ControlEvent, d Dossier) (ControlVerdict, error)
	// Record keeps a verdict once the transition is written.
	Record(ctx context.Context, event ControlEvent, d Dossier, v ControlVerdict) error
}

// control asks the configured control about d at event and sets the hold
// it asks for. A control that fails lets the transition go on (logged):
// the nightly scan sees the dossier again.
func (s *EnrolmentService) control(ctx context.Context, event ControlEvent, d *Dossier, now time.Time) ControlVerdict {
	if s.cfg.Control == nil {
		return ControlVerdict{}
	}
	v, err := s.cfg.Control.Check(ctx, event, *d)
	if err != nil {
		s.log.ErrorContext(ctx, "dossier control failed; the transition goes on", "dossier", d.ID, "event", event, "err", err)
		return ControlVerdict{}
	}
	if v.Hold && d.Hold == nil {
		d.Hold = &PaymentHold{At: now, By: "controls", Reason: v.Reason}
	}
	return v
}

// recordControl keeps a verdict after its transition was written.
func (s *EnrolmentService) recordControl(ctx context.Context, event ControlEvent, d Dossier, v ControlVerdict) {
	if s.cfg.Control == nil || (v.Detail == nil && !v.Hold) {
		return
	}
	if err := s.cfg.Control.Record(ctx, event, d, v); err != nil {
		s.log.ErrorContext(ctx, "recording a control verdict failed", "dossier", d.ID, "event", event, "err", err)
	}
}

// holdable reports whether a dossier has money held and not yet paid.
func holdable(d *Dossier) bool {
	switch d.State {
	case Accepted, InTraining, ServiceDoneDeclared:
		return d.Billing != Paid
	}
	return false
}

// HoldPayment holds a dossier's payment (controllers and administrators):
// nothing reaches the provider until ReleasePayment. Holding a held
// dossier changes nothing.
func (s *EnrolmentService) HoldPayment(ctx context.Context, who Party, idem Idem, id, by, reason string) (Dossier, error) {
	if !who.Admin && !who.Controller {
		return Dossier{}, fmt.Errorf("holding a payment: %w", ErrForbidden)
	}
	if err := checkReason(reason); err != nil {
		return Dossier{}, err
	}
	d, err := s.Dossier(ctx, who, id)
	if err != nil {
		return Dossier{}, err
	}
	if d.Hold != nil {
		return d, nil
	}
	return s.transition(ctx, who, idem, id, "", func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		if !holdable(d) {
			return nil, nil, stateErr(d, "hold the payment")
		}
		if d.Hold == nil {
			d.Hold = &PaymentHold{At: now, By: by, Reason: reason}
		}
		return nil, nil, nil
	})
}

// ReleasePayment lifts a dossier's hold (controllers and administrators).
// A finished training already evaluated, or whose evaluation period ended
// while held, is then paid at once; should that payment fail, the dossier
// is left due for the deadline job, which pays it.
func (s *EnrolmentService) ReleasePayment(ctx context.Context, who Party, idem Idem, id string) (Dossier, error) {
	if !who.Admin && !who.Controller {
		return Dossier{}, fmt.Errorf("releasing a payment: %w", ErrForbidden)
	}
	payNow := false
	d, err := s.transition(ctx, who, idem, id, "", func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		if d.Hold == nil {
			return nil, nil, fmt.Errorf("dossier %s has no held payment: %w", d.ID, ErrConflict)
		}
		d.Hold = nil
		payNow = d.State == ServiceDoneDeclared && (d.Evaluated || d.Deadline.IsZero())
		if payNow {
			// Due yesterday: if the payment below fails, the deadline job pays.
			d.Deadline = Day(now).AddDate(0, 0, -1)
		}
		return nil, nil, nil
	})
	if err != nil || !payNow {
		return d, err
	}
	paid, perr := s.transition(ctx, Party{Admin: true}, Idem{}, id, MoveCapture, func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		if d.State != ServiceDoneDeclared || d.Hold != nil {
			return nil, nil, errNotDue
		}
		reason := "evaluated"
		if !d.Evaluated {
			reason = "evaluation_timeout"
		}
		return s.pay(d, reason), nil, nil
	})
	if perr != nil {
		s.log.WarnContext(ctx, "paying a released dossier failed; the deadline job will", "dossier", id, "err", perr)
		return d, nil
	}
	return paid, nil
}

func checkReason(reason string) error {
	var v ValidationError
	checkText(&v, "reason", strings.TrimSpace(reason), 1, 2000)
	return v.Err()
}

// RecoverySource is the source account of re-credits: the State's fund
// compensating account holders whose rights a fraud spent. The amount is
// then recovered from the provider outside the ledger (a claim), so this
// source, like the others, goes negative by what it put in.
const RecoverySource LedgerAccount = "source:recovery"

// MoveRecredit is a re-credit of a defrauded account from RecoverySource.
const MoveRecredit MovementKind = "recredit"

// Recredit gives back to a defrauded learner's account at most what the
// account paid for one dossier (its share of the money captured by the
// provider), from RecoverySource; controllers and administrators only.
// One re-credit per dossier: a second one returns ErrConflict unless it
// replays the same key.
func (s *EnrolmentService) Recredit(ctx context.Context, who Party, key, dossierID string, cents int64) (Entry, error) {
	if !who.Admin && !who.Controller {
		return Entry{}, fmt.Errorf("re-crediting an account: %w", ErrForbidden)
	}
	d, err := s.store.Dossier(ctx, dossierID)
	if err != nil {
		return Entry{}, err
	}
	lost := d.accountPaid()
	var v ValidationError
	switch {
	case lost == 0:
		v.Add("dossier_id", "the account paid nothing to the provider for this dossier")
	case cents <= 0 || cents > lost:
		v.Add("amount_cents", "must be between 1 and %d, what the account paid for this dossier", lost)
	}
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	opKey := "recredit:" + d.ID
	if rec, err := s.store.Journal(ctx, opKey); err == nil {
		if rec.Fingerprint != key {
			return Entry{}, fmt.Errorf("dossier %s was already re-credited: %w", d.ID, ErrConflict)
		}
	}
	op := Op{Key: opKey, Fingerprint: key, At: s.clock(), Kind: MoveRecredit,
		Postings: transfer(RecoverySource, LearnerAccount(d.AccountID), cents)}
	if _, err := s.store.Apply(ctx, op); err != nil {
		if err == ErrIdempotencyMismatch {
			return Entry{}, fmt.Errorf("dossier %s was already re-credited: %w", d.ID, ErrConflict)
		}
		return Entry{}, err
	}
	return Entry{TxKey: opKey, Account: LearnerAccount(d.AccountID), Cents: cents, Kind: MoveRecredit, DossierID: d.ID, At: op.At}, nil
}

// accountPaid is the part of a paid dossier's capture that came from the
// learner's training account (shares are paid in proportion, see settle).
func (d Dossier) accountPaid() int64 {
	if d.PaidCents == 0 {
		return 0
	}
	var held, fromAccount int64
	for _, sh := range d.Funding {
		held += sh.Cents
		if sh.From == LearnerAccount(d.AccountID) {
			fromAccount += sh.Cents
		}
	}
	if held == 0 {
		return 0
	}
	return fromAccount * d.PaidCents / held
}
