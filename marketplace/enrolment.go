package marketplace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Party is who asks for an enrolment action, from their token: an
// administrator, a controller, or the holder of one learner account, one
// provider or one funder.
type Party struct {
	Admin      bool
	Controller bool
	AccountID  string
	ProviderID string
	FunderID   string
}

// Idem is a request's idempotency key, already scoped to who asked, and
// the fingerprint of what was asked.
type Idem struct {
	Key         string
	Fingerprint string
	// Respond, when set, renders the response to the request from the
	// dossier about to be written, so that the store records it under Key
	// in the same operation as the change (Op.Status, Op.Body): a retry then
	// gets exactly that response back, and the request needs one write.
	Respond func(Dossier) (status int, body []byte)
	// Unused says that the caller has just found no record under Key, so
	// the service need not look again before applying (the store still
	// checks the key inside the operation).
	Unused bool
}

// EnrolmentConfig holds the rules an EnrolmentService applies.
type EnrolmentConfig struct {
	NIRKey []byte // HMAC key of NIR lookups (secrets.NIRKey)
	// CoPayments is the co-payment schedule (reste à charge by date).
	CoPayments []CoPayment
	// EvaluationReleaseDays is how many calendar days after the exit the
	// provider is paid without the learner's evaluation.
	EvaluationReleaseDays int
	Payments              PaymentProvider
	// Control, when set, scores dossiers at acceptance, exit declaration
	// and external payment, and may hold their payment (package controls).
	Control DossierControl
	Log     *slog.Logger
	Now     func() time.Time // nil: time.Now
	// CoolingOff is how long after a change of contact or bank details
	// the account buys nothing (0: no wait); Notifier tells the previous
	// details of the change (nil: LogNotifier).
	CoolingOff time.Duration
	Notifier   Notifier
}

// Deadlines of the lifecycle, in working days.
const (
	ProviderAnswerDays   = 2  // the provider answers a request
	LearnerAcceptDays    = 4  // the learner accepts a proposal (and pays any co-payment)
	MinDaysBeforeStart   = 11 // between the proposal and the session's start
	FreeCancellationDays = 7  // cancelling more than this before the start is free
	DeclarationDays      = 3  // entry (after the start) and exit (after the end)
)

// EnrolmentService runs training accounts, dossiers and their money. It is
// safe for concurrent use: concurrent actions on one dossier or one
// account are serialised by the store's optimistic concurrency and
// balance checks, never by locks held here.
type EnrolmentService struct {
	store   EnrolmentStore
	cat     Store
	cfg     EnrolmentConfig
	now     func() time.Time
	log     *slog.Logger
	newID   func() string
	retries int
	// evaluated are called after an evaluation is recorded (hooks.go).
	evaluated []func(context.Context, Dossier)
}

// NewEnrolmentService returns the service over its store and the catalogue's.
func NewEnrolmentService(store EnrolmentStore, catalogue Store, cfg EnrolmentConfig) *EnrolmentService {
	s := &EnrolmentService{store: store, cat: catalogue, cfg: cfg, now: cfg.Now, log: cfg.Log, newID: NewID, retries: 20}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Payments == nil {
		s.cfg.Payments = WebhookPayments{ProviderName: "card"}
	}
	if s.cfg.Notifier == nil {
		s.cfg.Notifier = LogNotifier{Log: s.log}
	}
	if s.cfg.EvaluationReleaseDays <= 0 {
		s.cfg.EvaluationReleaseDays = 30
	}
	return s
}

// Store returns the enrolment store, for read paths that need no rules.
func (s *EnrolmentService) Store() EnrolmentStore { return s.store }

// NIRHash is the lookup key of a normalised NIR under the service's key;
// sign-in uses it to count failed attempts per account without keeping
// the NIR.
func (s *EnrolmentService) NIRHash(nir string) string { return NIRHash(s.cfg.NIRKey, nir) }

// PaymentProvider returns the configured payment provider.
func (s *EnrolmentService) PaymentProvider() PaymentProvider { return s.cfg.Payments }

// Now is the service's time (a test clock in tests).
func (s *EnrolmentService) Now() time.Time { return s.now() }

func (s *EnrolmentService) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// OpenAccount creates the account of a NIR, or returns the existing one
// (created false). Only administrators may, and the import of employment
// declarations does it for every NIR it meets.
func (s *EnrolmentService) OpenAccount(ctx context.Context, who Party, nir string, flags Account) (Account, bool, error) {
	if !who.Admin {
		return Account{}, false, fmt.Errorf("opening an account: %w", ErrForbidden)
	}
	return s.openAccount(ctx, nir, flags)
}

func (s *EnrolmentService) openAccount(ctx context.Context, nir string, flags Account) (Account, bool, error) {
	n, ok := NormalizeNIR(nir)
	if !ok {
		var v ValidationError
		v.Add("nir", "must be 15 characters with a valid key (97 - the first 13 digits mod 97; 2A and 2B count as 19 and 18)")
		return Account{}, false, &v
	}
	hash := NIRHash(s.cfg.NIRKey, n)
	for {
		if a, err := s.store.AccountByNIR(ctx, hash); err == nil {
			return a, false, nil
		} else if !errors.Is(err, ErrNotFound) {
			return Account{}, false, err
		}
		a := Account{ID: s.newID(), NIRHash: hash, LowQualified: flags.LowQualified, Disabled: flags.Disabled, JobSeeker: flags.JobSeeker, CreatedAt: s.clock()}
		err := s.store.CreateAccount(ctx, a)
		if err == nil {
			return a, true, nil
		}
		if !errors.Is(err, ErrConflict) {
			return Account{}, false, err
		}
		// Opened concurrently: read it back.
	}
}

// AccountView is an account with its balance.
type AccountView struct {
	Account
	BalanceCents int64
}

// Account returns an account and its balance to its holder, an
// administrator or a controller; anyone else gets ErrNotFound, so that
// account IDs cannot be probed.
func (s *EnrolmentService) Account(ctx context.Context, who Party, id string) (AccountView, error) {
	if !who.Admin && !who.Controller && who.AccountID != id {
		return AccountView{}, fmt.Errorf("account %s: %w", id, ErrNotFound)
	}
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return AccountView{}, err
	}
	b, err := s.store.Balances(ctx, LearnerAccount(id))
	if err != nil {
		return AccountView{}, err
	}
	return AccountView{Account: a, BalanceCents: b[LearnerAccount(id)]}, nil
}

// Movements lists an account's ledger entries, newest first.
func (s *EnrolmentService) Movements(ctx context.Context, who Party, id string, page Page) ([]Entry, string, error) {
	if _, err := s.Account(ctx, who, id); err != nil {
		return nil, "", err
	}
	return s.store.Entries(ctx, LearnerAccount(id), page)
}

// Dossiers lists an account's dossiers (who must see the account) or a
// provider's (who must be that provider or an administrator/controller).
func (s *EnrolmentService) Dossiers(ctx context.Context, who Party, f DossierFilter, page Page) ([]Dossier, string, error) {
	switch {
	case f.AccountID != "":
		if _, err := s.Account(ctx, who, f.AccountID); err != nil {
			return nil, "", err
		}
	case f.ProviderID != "":
		if !who.Admin && !who.Controller && who.ProviderID != f.ProviderID {
			return nil, "", fmt.Errorf("dossiers of provider %s: %w", f.ProviderID, ErrForbidden)
		}
	default:
		var v ValidationError
		v.Add("account_id", "an account or a provider is required")
		return nil, "", &v
	}
	if f.State != "" && !f.State.Valid() {
		var v ValidationError
		v.Add("state", "is not a dossier state")
		return nil, "", &v
	}
	return s.store.Dossiers(ctx, f, page)
}

// Dossier returns a dossier to its learner, its provider, an administrator
// or a controller; anyone else gets ErrNotFound.
func (s *EnrolmentService) Dossier(ctx context.Context, who Party, id string) (Dossier, error) {
	d, err := s.store.Dossier(ctx, id)
	if err != nil {
		return Dossier{}, err
	}
	if !s.sees(who, d) {
		return Dossier{}, fmt.Errorf("dossier %s: %w", id, ErrNotFound)
	}
	return d, nil
}

func (s *EnrolmentService) sees(who Party, d Dossier) bool {
	return who.Admin || who.Controller || (who.AccountID != "" && who.AccountID == d.AccountID) ||
		(who.ProviderID != "" && who.ProviderID == d.ProviderID)
}

// Request creates a learner's enrolment request for a session of a
// published offer. The provider must answer within ProviderAnswerDays.
func (s *EnrolmentService) Request(ctx context.Context, who Party, idem Idem, offerID, sessionID string) (Dossier, error) {
	if who.AccountID == "" {
		return Dossier{}, fmt.Errorf("only a learner may request an enrolment: %w", ErrForbidden)
	}
	if d, done, err := s.replayed(ctx, idem); done || err != nil {
		return d, err
	}
	if _, err := s.store.Account(ctx, who.AccountID); err != nil {
		return Dossier{}, fmt.Errorf("account %s: %w", who.AccountID, err)
	}
	o, err := s.cat.Offer(ctx, offerID)
	if err != nil || o.Status != Published {
		return Dossier{}, fmt.Errorf("offer %s: %w", offerID, ErrNotFound)
	}
	sess, err := s.session(ctx, offerID, sessionID)
	if err != nil {
		return Dossier{}, err
	}
	now := s.clock()
	today := Day(now)
	if !sess.Start.After(today) {
		var v ValidationError
		v.Add("session_id", "the session has already started")
		return Dossier{}, &v
	}
	d := Dossier{
		ID: s.newID(), AccountID: who.AccountID, OfferID: o.ID, SessionID: sess.ID, ProviderID: o.ProviderID, Title: o.Title,
		State: NotProcessed, Billing: NotBillable, PriceCents: o.PriceCents,
		SessionStart: Day(sess.Start), SessionEnd: Day(sess.End),
		Deadline:    AddWorkingDays(today, ProviderAnswerDays),
		RequestedAt: now, UpdatedAt: now, Version: 1,
	}
	if idem.Key == "" {
		idem.Key = "auto:request:" + d.ID
	}
	op := Op{Key: idem.Key, Fingerprint: idem.Fingerprint, At: now, Dossier: &d}
	if idem.Respond != nil {
		op.Status, op.Body = idem.Respond(d)
	}
	applied, err := s.store.Apply(ctx, op)
	if err != nil {
		return Dossier{}, err
	}
	if !applied {
		idem.Unused = false
		d, _, err = s.replayed(ctx, idem)
	}
	return d, err
}

func (s *EnrolmentService) session(ctx context.Context, offerID, sessionID string) (Session, error) {
	sessions, err := s.cat.Sessions(ctx, offerID)
	if err != nil {
		return Session{}, err
	}
	for _, ss := range sessions {
		if ss.ID == sessionID {
			return ss, nil
		}
	}
	var v ValidationError
	v.Add("session_id", "is not a session of this offer")
	return Session{}, &v
}

// replayed returns the dossier of an idempotency key already applied.
func (s *EnrolmentService) replayed(ctx context.Context, idem Idem) (Dossier, bool, error) {
	if idem.Key == "" || idem.Unused {
		return Dossier{}, false, nil
	}
	rec, err := s.store.Journal(ctx, idem.Key)
	if errors.Is(err, ErrNotFound) {
		return Dossier{}, false, nil
	}
	if err != nil {
		return Dossier{}, false, err
	}
	if rec.Fingerprint != idem.Fingerprint {
		return Dossier{}, true, ErrIdempotencyMismatch
	}
	if rec.DossierID == "" {
		return Dossier{}, true, nil
	}
	d, err := s.store.Dossier(ctx, rec.DossierID)
	return d, true, err
}

// step is one dossier transition: it checks the dossier and changes it in
// place, and returns the ledger postings and evaluation that go with it.
type step func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error)

// transition applies a step to a dossier under idem, reading again and
// retrying when the dossier or a balance changed meanwhile.
func (s *EnrolmentService) transition(ctx context.Context, who Party, idem Idem, id string, kind MovementKind, fn step) (Dossier, error) {
	if d, done, err := s.replayed(ctx, idem); done || err != nil {
		if err == nil && d.ID != id {
			return Dossier{}, ErrIdempotencyMismatch
		}
		return d, err
	}
	var err error
	for attempt := 0; attempt < s.retries; attempt++ {
		var d Dossier
		if d, err = s.Dossier(ctx, who, id); err != nil {
			return Dossier{}, err
		}
		now := s.clock()
		prev := d.Version
		postings, eval, ferr := fn(&d, now)
		if ferr != nil {
			return Dossier{}, ferr
		}
		d.Version, d.UpdatedAt = prev+1, now
		if d.State.Terminal() || d.State == ServiceDoneValidated {
			if d.ClosedAt.IsZero() {
				d.ClosedAt = now
			}
		}
		key := idem.Key
		if key == "" {
			key = fmt.Sprintf("auto:%s:%d", d.ID, prev)
		}
		op := Op{Key: key, Fingerprint: idem.Fingerprint, At: now, Kind: kind, Dossier: &d, IfVersion: prev, Postings: postings, Evaluation: eval}
		if idem.Respond != nil {
			op.Status, op.Body = idem.Respond(d)
		}
		var applied bool
		applied, err = s.store.Apply(ctx, op)
		switch {
		case err == nil && applied:
			return d, nil
		case err == nil:
			rd, _, rerr := s.replayed(ctx, Idem{Key: key, Fingerprint: idem.Fingerprint})
			return rd, rerr
		case errors.Is(err, ErrStale):
			continue
		}
		return Dossier{}, err
	}
	return Dossier{}, fmt.Errorf("dossier %s kept changing: %w", id, err)
}

func stateErr(d *Dossier, action string) error {
	return &StateError{DossierID: d.ID, State: d.State, Action: action}
}

// lapsed reports a step asked after its deadline, which the deadline job
// has not yet enforced.
func lapsed(d *Dossier, now time.Time, action string) error {
	if !d.Deadline.IsZero() && Day(now).After(d.Deadline) {
		return fmt.Errorf("dossier is in state %s but its deadline %s has passed: cannot %s: %w",
			d.State, d.Deadline.Format(time.DateOnly), action, ErrConflict)
	}
	return nil
}

// Propose is the provider's answer to a request: a price (0 keeps the
// offer's) for the requested session or another session of the offer,
// which must start at least MinDaysBeforeStart working days later.
func (s *EnrolmentService) Propose(ctx context.Context, who Party, idem Idem, id string, priceCents int64, sessionID string) (Dossier, error) {
	var sess *Session
	if sessionID != "" {
		d, err := s.Dossier(ctx, who, id)
		if err != nil {
			return Dossier{}, err
		}
		ss, err := s.session(ctx, d.OfferID, sessionID)
		if err != nil {
			return Dossier{}, err
		}
		sess = &ss
	}
	return s.transition(ctx, who, idem, id, "", func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		if who.ProviderID != d.ProviderID && !who.Admin {
			return nil, nil, fmt.Errorf("only the dossier's provider may propose: %w", ErrForbidden)
		}
		if d.State != NotProcessed {
			return nil, nil, stateErr(d, "propose")
		}
		if err := lapsed(d, now, "propose"); err != nil {
			return nil, nil, err
		}
		var v ValidationError
		if priceCents < 0 || priceCents > MaxPriceCents {
			v.Add("price_cents", "must be between 0 and %d", MaxPriceCents)
		} else if priceCents > 0 {
			d.PriceCents = priceCents
		}
		if d.PriceCents == 0 {
			v.Add("price_cents", "must be positive")
		}
		if sess != nil {
			d.SessionID, d.SessionStart, d.SessionEnd = sess.ID, Day(sess.Start), Day(sess.End)
		}
		if WorkingDaysBetween(now, d.SessionStart) < MinDaysBeforeStart {
			v.Add("session_id", "the session must start at least %d working days after the proposal (first possible day: %s)",
				MinDaysBeforeStart, AddWorkingDays(now, MinDaysBeforeStart).Format(time.DateOnly))
		}
		if err := v.Err(); err != nil {
			return nil, nil, err
		}
		d.State, d.ProposedAt = Validated, now
		d.Deadline = AddWorkingDays(now, LearnerAcceptDays)
		return nil, nil, nil
	})
}

// Refuse ends a dossier before acceptance: the provider refuses a request,
// the learner refuses a proposal, a controller refuses either (financer).
func (s *EnrolmentService) Refuse(ctx context.Context, who Party, idem Idem, id string) (Dossier, error) {
	return s.transition(ctx, who, idem, id, "", func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		switch {
		case who.ProviderID != "" && who.ProviderID == d.ProviderID:
			if d.State != NotProcessed {
				return nil, nil, stateErr(d, "refuse the request")
			}
			d.State = RefusedByOrganism
		case who.AccountID != "" && who.AccountID == d.AccountID:
			if d.State != Validated {
				return nil, nil, stateErr(d, "refuse the proposal")
			}
			d.State = RefusedByAttendee
		case who.Admin || who.Controller:
			if d.State != NotProcessed && d.State != Validated {
				return nil, nil, stateErr(d, "refuse")
			}
			d.State = RefusedByFinancer
		default:
			return nil, nil, ErrForbidden
		}
		d.Deadline = time.Time{}
		return nil, nil, nil
	})
}

// Accept is the learner's acceptance of a proposal: the price is funded by
// PlanFunding and the account's and top-ups' parts are held at once. When
// the learner must pay outside (co-payment, remainder), the dossier waits
// for that payment (billing depositWait); a remainder beyond the
// co-payment needs acceptRemainder, otherwise ErrInsufficientBalance.
func (s *EnrolmentService) Accept(ctx context.Context, who Party, idem Idem, id string, acceptRemainder bool) (Dossier, error) {
	if who.AccountID == "" && !who.Admin {
		return Dossier{}, fmt.Errorf("only the learner may accept: %w", ErrForbidden)
	}
	if who.AccountID != "" {
		if err := s.coolingOff(ctx, who.AccountID); err != nil {
			return Dossier{}, err
		}
	}
	rules, err := s.store.Rules(ctx, "")
	if err != nil {
		return Dossier{}, err
	}
	pay := s.cfg.Payments
	ip, ok := pay.(InstantPayments)
	instant := ok && ip.Instant()
	var plan Plan
	var d Dossier
	var verdict ControlVerdict
	for attempt := 0; ; attempt++ {
		d, err = s.transition(ctx, who, idem, id, MoveHold, func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
			if who.AccountID != d.AccountID {
				return nil, nil, fmt.Errorf("only the dossier's learner may accept: %w", ErrForbidden)
			}
			if d.State != Validated {
				return nil, nil, stateErr(d, "accept")
			}
			if err := lapsed(d, now, "accept"); err != nil {
				return nil, nil, err
			}
			a, err := s.store.Account(ctx, d.AccountID)
			if err != nil {
				return nil, nil, err
			}
			o, err := s.cat.Offer(ctx, d.OfferID)
			if err != nil {
				return nil, nil, err
			}
			accounts := []LedgerAccount{LearnerAccount(a.ID)}
			for _, r := range rules {
				accounts = append(accounts, BudgetAccount(r.ID))
			}
			bal, err := s.store.Balances(ctx, accounts...)
			if err != nil {
				return nil, nil, err
			}
			budgets := map[string]int64{}
			for _, r := range rules {
				budgets[r.ID] = bal[BudgetAccount(r.ID)]
			}
			plan = PlanFunding(d.PriceCents, a, bal[LearnerAccount(a.ID)], o.Certification.Code, rules, budgets, CoPaymentAt(s.cfg.CoPayments, Day(now)))
			if plan.Remainder > 0 && !acceptRemainder {
				return nil, nil, fmt.Errorf("%w: the account and top-ups cover %d of %d cents; %d cents would be due beyond the co-payment (accept with accept_remainder)",
					ErrInsufficientBalance, plan.AccountCents+plan.TopUpCents, d.PriceCents, plan.Remainder)
			}
			d.Funding = plan.Shares
			var ps []Posting
			for _, sh := range plan.Shares {
				ps = append(ps, transfer(sh.From, HoldAccount(d.ID), sh.Cents)...)
			}
			d.State, d.AcceptedAt, d.ExternalCents = Accepted, now, plan.ExternalCents
			if plan.ExternalCents > 0 {
				d.Funding = append(d.Funding, Share{From: ExternalSource(pay.Name()), Cents: plan.ExternalCents, Kind: "external"})
				d.Billing, d.PaymentID, d.PaymentProvider = DepositWait, "pay_"+d.ID, pay.Name()
				d.Deadline = AddWorkingDays(now, LearnerAcceptDays)
				if instant {
					ps = append(ps, transfer(ExternalSource(pay.Name()), HoldAccount(d.ID), plan.ExternalCents)...)
					d.Billing = DepositPaid
					d.Deadline = AddWorkingDays(d.SessionStart, DeclarationDays)
				}
			} else {
				d.Billing = DepositPaid
				d.Deadline = AddWorkingDays(d.SessionStart, DeclarationDays)
			}
			verdict = s.control(ctx, EventAccept, d, now)
			return merge(ps), nil, nil
		})
		// A balance spent meanwhile: plan again from the new balances.
		if errors.Is(err, ErrInsufficientBalance) && plan.Remainder == 0 && attempt < s.retries {
			continue
		}
		break
	}
	if err == nil {
		s.recordControl(ctx, EventAccept, d, verdict)
	}
	if err != nil || d.Billing != DepositWait {
		return d, err
	}
	confirmed, perr := pay.StartPayment(ctx, PaymentRequest{PaymentID: d.PaymentID, DossierID: d.ID, Cents: d.ExternalCents})
	if perr != nil {
		s.log.WarnContext(ctx, "starting the external payment failed; the deadline job will cancel unless a webhook confirms it", "dossier", d.ID, "err", perr)
		return d, nil
	}
	if confirmed {
		return s.ConfirmPayment(ctx, "confirm:"+d.PaymentID, pay.Name(), d.PaymentID, d.ExternalCents)
	}
	return d, nil
}

// ConfirmPayment records an external payment received for a dossier
// waiting for it. key is the payment event's idempotency key.
func (s *EnrolmentService) ConfirmPayment(ctx context.Context, key, provider, paymentID string, cents int64) (Dossier, error) {
	id, ok := stringsCutPrefix(paymentID, "pay_")
	if !ok {
		return Dossier{}, fmt.Errorf("payment %s: %w", paymentID, ErrNotFound)
	}
	var verdict ControlVerdict
	d, err := s.transition(ctx, Party{Admin: true}, Idem{Key: key, Fingerprint: key}, id, MovePayment, func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		if d.State != Accepted || d.Billing != DepositWait || d.PaymentID != paymentID || d.PaymentProvider != provider {
			return nil, nil, stateErr(d, "confirm a payment")
		}
		if cents != d.ExternalCents {
			var v ValidationError
			v.Add("amount_cents", "is %d, the payment awaited is %d", cents, d.ExternalCents)
			return nil, nil, &v
		}
		d.Billing = DepositPaid
		d.Deadline = AddWorkingDays(d.SessionStart, DeclarationDays)
		verdict = s.control(ctx, EventPayment, d, now)
		return transfer(ExternalSource(provider), HoldAccount(d.ID), cents), nil, nil
	})
	if err == nil {
		s.recordControl(ctx, EventPayment, d, verdict)
	}
	return d, err
}

// Cancel ends a dossier before the training starts. The learner cancels
// free of charge more than FreeCancellationDays working days before the
// start, or for force majeure; later, the held money pays the provider in
// full. A provider's or a controller's cancellation always releases the
// money. reason is "" or "force_majeure".
func (s *EnrolmentService) Cancel(ctx context.Context, who Party, idem Idem, id, reason string) (Dossier, error) {
	if reason != "" && reason != string(ForceMajeure) {
		var v ValidationError
		v.Add("reason", "must be force_majeure or empty")
		return Dossier{}, &v
	}
	var refund *Dossier
	d, err := s.transition(ctx, who, idem, id, MoveRelease, func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		refund = nil
		var ps []Posting
		switch {
		case who.AccountID != "" && who.AccountID == d.AccountID:
			switch d.State {
			case NotProcessed, Validated:
				d.State = CanceledByAttendee
			case Accepted:
				d.State = CanceledByAttendee
				if WorkingDaysBetween(now, d.SessionStart) > FreeCancellationDays || reason == string(ForceMajeure) {
					ps = d.settle(0)
				} else if d.Hold != nil {
					return nil, nil, fmt.Errorf("a late cancellation pays the provider: %w", ErrPaymentHeld)
				} else {
					paid := d.held()
					ps = d.settle(paid)
					d.PaidCents, d.Reason = paid, "late_cancellation"
					d.Billing = Paid
				}
			default:
				return nil, nil, stateErr(d, "cancel")
			}
		case who.ProviderID != "" && who.ProviderID == d.ProviderID:
			if d.State != Accepted && d.State != Validated {
				return nil, nil, stateErr(d, "cancel")
			}
			d.State = CanceledByOrganism
			ps = d.settle(0)
		case who.Admin || who.Controller:
			switch d.State {
			case NotProcessed, Validated:
				d.State = RefusedByFinancer
			case Accepted, InTraining, ServiceDoneDeclared:
				d.State = CanceledByFinancer
				ps = d.settle(0)
			default:
				return nil, nil, stateErr(d, "cancel")
			}
		default:
			return nil, nil, ErrForbidden
		}
		if d.Reason == "" {
			d.Reason = reason
		}
		if d.Billing != Paid {
			if d.Billing == DepositPaid && d.ExternalCents > 0 {
				refund = d
			}
			d.Billing = NotBillable
		}
		d.Deadline = time.Time{}
		return ps, nil, nil
	})
	if err == nil && refund != nil {
		s.refund(ctx, d)
	}
	return d, err
}

func (s *EnrolmentService) refund(ctx context.Context, d Dossier) {
	if err := s.cfg.Payments.Refund(ctx, d.PaymentID, d.ExternalCents); err != nil {
		s.log.ErrorContext(ctx, "refund failed: to be made by hand", "dossier", d.ID, "payment", d.PaymentID, "cents", d.ExternalCents, "err", err)
	}
}

// DeclareEntry is the provider's declaration that the learner started the
// training, from the session's first day.
func (s *EnrolmentService) DeclareEntry(ctx context.Context, who Party, idem Idem, id string) (Dossier, error) {
	return s.transition(ctx, who, idem, id, "", func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		if who.ProviderID != d.ProviderID && !who.Admin {
			return nil, nil, fmt.Errorf("only the dossier's provider may declare the entry: %w", ErrForbidden)
		}
		if d.State != Accepted || d.Billing != DepositPaid {
			if d.State == Accepted {
				return nil, nil, fmt.Errorf("dossier is in state %s awaiting the learner's payment: cannot declare the entry: %w", d.State, ErrConflict)
			}
			return nil, nil, stateErr(d, "declare the entry")
		}
		if Day(now).Before(d.SessionStart) {
			var v ValidationError
			v.Add("entry", "can be declared from the session's first day, %s", d.SessionStart.Format(time.DateOnly))
			return nil, nil, &v
		}
		d.State, d.EnteredAt, d.Deadline = InTraining, now, time.Time{}
		return nil, nil, nil
	})
}

// DeclareExit is the provider's declaration of the end of the training
// with its completion rate; below 100% a reason is required, and the
// provider will be paid that share of the price.
func (s *EnrolmentService) DeclareExit(ctx context.Context, who Party, idem Idem, id string, rate int, reason ExitReason) (Dossier, error) {
	var v ValidationError
	if rate < 0 || rate > 100 {
		v.Add("completion_rate", "must be a percentage from 0 to 100")
	}
	if rate < 100 && !reason.Valid() {
		v.Add("reason", "is required below 100%%: force_majeure, abandonment or interruption")
	}
	if rate == 100 && reason != "" {
		v.Add("reason", "only explains a completion below 100%%")
	}
	if err := v.Err(); err != nil {
		return Dossier{}, err
	}
	var verdict ControlVerdict
	d, err := s.transition(ctx, who, idem, id, "", func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		if who.ProviderID != d.ProviderID && !who.Admin {
			return nil, nil, fmt.Errorf("only the dossier's provider may declare the exit: %w", ErrForbidden)
		}
		if d.State != InTraining {
			return nil, nil, stateErr(d, "declare the exit")
		}
		d.State, d.ExitedAt, d.CompletionRate, d.ExitReason = ServiceDoneDeclared, now, rate, reason
		d.Deadline = Day(now).AddDate(0, 0, s.cfg.EvaluationReleaseDays)
		verdict = s.control(ctx, EventExit, d, now)
		return nil, nil, nil
	})
	if err == nil {
		s.recordControl(ctx, EventExit, d, verdict)
	}
	return d, err
}

// payable is what the provider is paid for a finished dossier: its
// completion rate of the price, within what is held.
func (d Dossier) payable() int64 {
	return min(d.held(), d.PriceCents*int64(d.CompletionRate)/100)
}

// Evaluate records the learner's evaluation of a finished training, once.
// The first evaluation of a dossier awaiting it pays the provider; a
// dossier already paid by the deadline job may still be evaluated.
func (s *EnrolmentService) Evaluate(ctx context.Context, who Party, idem Idem, id string, e Evaluation) (Dossier, error) {
	if err := e.Validate(); err != nil {
		return Dossier{}, err
	}
	d, err := s.evaluate(ctx, who, idem, id, e)
	if err == nil && d.Evaluated {
		s.afterEvaluation(ctx, d)
	}
	return d, err
}

func (s *EnrolmentService) evaluate(ctx context.Context, who Party, idem Idem, id string, e Evaluation) (Dossier, error) {
	return s.transition(ctx, who, idem, id, MoveCapture, func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
		if who.AccountID == "" || who.AccountID != d.AccountID {
			return nil, nil, fmt.Errorf("only the dossier's learner may evaluate: %w", ErrForbidden)
		}
		ev := e
		ev.DossierID, ev.OfferID, ev.ProviderID, ev.At = d.ID, d.OfferID, d.ProviderID, now
		switch {
		case d.State == ServiceDoneDeclared && d.Hold != nil:
			// Recorded; the payment waits for the controller's release.
			d.Evaluated, d.Deadline = true, time.Time{}
			return nil, &ev, nil
		case d.State == ServiceDoneDeclared:
			d.Evaluated = true
			return s.pay(d, "evaluated"), &ev, nil
		case d.State == ServiceDoneValidated && !d.Evaluated:
			d.Evaluated = true
			return nil, &ev, nil
		case d.State == ServiceDoneValidated:
			return nil, nil, stateErr(d, "evaluate again")
		}
		return nil, nil, stateErr(d, "evaluate")
	})
}

func (s *EnrolmentService) pay(d *Dossier, reason string) []Posting {
	paid := d.payable()
	ps := d.settle(paid)
	d.State, d.Billing, d.PaidCents, d.Deadline = ServiceDoneValidated, Paid, paid, time.Time{}
	if d.Reason == "" {
		d.Reason = reason
	}
	return ps
}

// SetCommentHidden hides or shows an evaluation's comment (controllers).
func (s *EnrolmentService) SetCommentHidden(ctx context.Context, who Party, dossierID string, hidden bool) error {
	if !who.Admin && !who.Controller {
		return fmt.Errorf("moderating comments: %w", ErrForbidden)
	}
	return s.store.SetCommentHidden(ctx, dossierID, hidden)
}

// EnforceDeadlines acts on every dossier whose deadline passed before now:
// an unanswered request lapses (canceledByOrganism), an unaccepted
// proposal lapses (refusedByAttendee), an unpaid co-payment or an entry
// never declared cancels and releases the funds, and a finished training
// not evaluated in time pays the provider. It returns how many dossiers it
// changed.
func (s *EnrolmentService) EnforceDeadlines(ctx context.Context) (int, error) {
	n := 0
	for {
		yesterday := Day(s.clock()).AddDate(0, 0, -1)
		due, err := s.store.DueDossiers(ctx, yesterday, 500)
		if err != nil || len(due) == 0 {
			return n, err
		}
		progressed := false
		for _, dd := range due {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			var refund bool
			d, err := s.transition(ctx, Party{Admin: true}, Idem{}, dd.ID, MoveRelease, func(d *Dossier, now time.Time) ([]Posting, *Evaluation, error) {
				refund = false
				if d.Deadline.IsZero() || !Day(now).After(d.Deadline) {
					return nil, nil, errNotDue
				}
				var ps []Posting
				switch {
				case d.State == NotProcessed:
					d.State = CanceledByOrganism
				case d.State == Validated:
					d.State = RefusedByAttendee
				case d.State == Accepted && d.Billing == DepositWait:
					d.State, ps = CanceledByAttendee, d.settle(0)
					d.Billing = NotBillable
				case d.State == Accepted:
					d.State, ps = CanceledByAttendeeNotRealized, d.settle(0)
					refund = d.ExternalCents > 0
					d.Billing = NotBillable
				case d.State == ServiceDoneDeclared && d.Hold != nil:
					// Held: the release pays it.
					d.Deadline = time.Time{}
					return nil, nil, nil
				case d.State == ServiceDoneDeclared:
					return s.pay(d, "evaluation_timeout"), nil, nil
				default:
					d.Deadline = time.Time{}
					return nil, nil, nil
				}
				d.Reason, d.Deadline = "lapsed", time.Time{}
				return ps, nil, nil
			})
			switch {
			case errors.Is(err, errNotDue):
				continue
			case err != nil:
				return n, err
			}
			if refund {
				s.refund(ctx, d)
			}
			n++
			progressed = true
		}
		if !progressed {
			return n, nil
		}
	}
}

var errNotDue = errors.New("not due")

func stringsCutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
