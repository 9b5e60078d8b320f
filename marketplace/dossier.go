package marketplace

import (
	"errors"
	"fmt"
	"time"
)

// DossierState is a dossier's place in its lifecycle, named as on the real
// platform (EDOF). The exit declaration goes straight to
// serviceDoneDeclared: EDOF's intermediate "terminated" is folded into it,
// since the exit declaration here carries the completion rate.
type DossierState string

// The dossier states.
const (
	NotProcessed         DossierState = "notProcessed"         // requested, awaiting the provider
	Validated            DossierState = "validated"            // proposed by the provider, awaiting the learner
	Accepted             DossierState = "accepted"             // accepted by the learner, funds held
	InTraining           DossierState = "inTraining"           // entry declared
	ServiceDoneDeclared  DossierState = "serviceDoneDeclared"  // exit declared with the completion rate
	ServiceDoneValidated DossierState = "serviceDoneValidated" // evaluated (or released): provider paid

	CanceledByAttendee            DossierState = "canceledByAttendee"
	CanceledByAttendeeNotRealized DossierState = "canceledByAttendeeNotRealized"
	CanceledByOrganism            DossierState = "canceledByOrganism"
	CanceledByFinancer            DossierState = "canceledByFinancer"
	RefusedByAttendee             DossierState = "refusedByAttendee"
	RefusedByOrganism             DossierState = "refusedByOrganism"
	RefusedByFinancer             DossierState = "refusedByFinancer"
)

// DossierStates lists every state, in lifecycle order.
var DossierStates = []DossierState{
	NotProcessed, Validated, Accepted, InTraining, ServiceDoneDeclared, ServiceDoneValidated,
	CanceledByAttendee, CanceledByAttendeeNotRealized, CanceledByOrganism, CanceledByFinancer,
	RefusedByAttendee, RefusedByOrganism, RefusedByFinancer,
}

var stateLabels = map[DossierState]string{
	NotProcessed:                  "Demande envoyée à l’organisme",
	Validated:                     "Proposition de l’organisme à accepter",
	Accepted:                      "Inscription acceptée",
	InTraining:                    "En formation",
	ServiceDoneDeclared:           "Formation terminée, à évaluer",
	ServiceDoneValidated:          "Service fait, organisme payé",
	CanceledByAttendee:            "Annulé par le titulaire",
	CanceledByAttendeeNotRealized: "Annulé, formation non réalisée",
	CanceledByOrganism:            "Annulé par l’organisme",
	CanceledByFinancer:            "Annulé par le financeur",
	RefusedByAttendee:             "Refusé par le titulaire",
	RefusedByOrganism:             "Refusé par l’organisme",
	RefusedByFinancer:             "Refusé par le financeur",
}

// Label is the state's French name for pages.
func (s DossierState) Label() string { return stateLabels[s] }

// Valid reports whether s is a known state.
func (s DossierState) Valid() bool { _, ok := stateLabels[s]; return ok }

// Terminal reports whether no transition leaves s.
func (s DossierState) Terminal() bool {
	switch s {
	case NotProcessed, Validated, Accepted, InTraining, ServiceDoneDeclared:
		return false
	}
	return true
}

// Billing is the payment side of a dossier (EDOF billing states).
type Billing string

// The billing states used.
const (
	NotBillable Billing = "notBillable" // nothing held yet, or everything released
	DepositWait Billing = "depositWait" // held; the learner's external payment is awaited
	DepositPaid Billing = "depositPaid" // everything held, including any external payment
	Paid        Billing = "paid"        // captured to the provider
)

// ExitReason explains a completion below 100%.
type ExitReason string

// Reasons for partial completion and cancellation.
const (
	ForceMajeure ExitReason = "force_majeure"
	Abandonment  ExitReason = "abandonment"
	Interruption ExitReason = "interruption"
)

// Valid reports whether r is a known reason.
func (r ExitReason) Valid() bool { return r == ForceMajeure || r == Abandonment || r == Interruption }

// Share is the part of a dossier's price one ledger account funds.
type Share struct {
	From  LedgerAccount
	Cents int64
	Kind  string // "account", "topup", "copayment", "remainder"
}

// Dossier is a learner's enrolment file for one session of one offer.
// Dates are days (midnight UTC of the Paris date), except the timestamps
// ending in At.
type Dossier struct {
	ID         string
	AccountID  string
	OfferID    string
	SessionID  string
	ProviderID string
	Title      string // the offer's title when requested
	State      DossierState
	Billing    Billing
	// Why a dossier ended, in words or as a reason code: "lapsed",
	// "force_majeure", "late_cancellation"...
	Reason string

	PriceCents   int64     // proposed by the provider
	SessionStart time.Time // day
	SessionEnd   time.Time // day

	Funding         []Share // how the price is funded, set at acceptance
	ExternalCents   int64   // co-payment and remainder the learner pays outside
	PaymentID       string  // external payment awaited or received
	PaymentProvider string

	CompletionRate int // percent, declared at exit
	ExitReason     ExitReason
	PaidCents      int64 // captured to the provider

	// Deadline is the last day of the next step (zero when none); the
	// deadline job acts the day after.
	Deadline time.Time

	RequestedAt time.Time
	ProposedAt  time.Time
	AcceptedAt  time.Time
	EnteredAt   time.Time
	ExitedAt    time.Time
	ClosedAt    time.Time // reached serviceDoneValidated or a terminal state
	Evaluated   bool
	UpdatedAt   time.Time
	Version     int64

	// Hold, when set, blocks every payment of the dossier to its provider
	// until a controller releases it (see HoldPayment); stores refuse an
	// operation that would pay a held dossier's provider.
	Hold *PaymentHold `json:",omitempty"`
}

// StateError says that an action is not allowed in a dossier's state. It
// matches ErrConflict.
type StateError struct {
	DossierID string
	State     DossierState
	Action    string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("dossier is in state %s: cannot %s", e.State, e.Action)
}

// Is reports ErrInvalidState and ErrConflict as the kinds of a StateError.
func (e *StateError) Is(target error) bool { return target == ErrConflict || target == ErrInvalidState }

// ErrInvalidState matches every StateError.
var ErrInvalidState = errors.New("not allowed in the dossier's state")

// NextStep describes, in French, what the dossier waits for and who acts.
func (d Dossier) NextStep() string {
	switch d.State {
	case NotProcessed:
		return "L’organisme doit répondre à la demande"
	case Validated:
		return "Accepter ou refuser la proposition"
	case Accepted:
		if d.Billing == DepositWait {
			return "Régler le reste à charge"
		}
		return "L’organisme doit déclarer l’entrée en formation"
	case InTraining:
		return "L’organisme doit déclarer la sortie de formation"
	case ServiceDoneDeclared:
		return "Évaluer la formation"
	case ServiceDoneValidated:
		if !d.Evaluated {
			return "Évaluer la formation (facultatif)"
		}
	}
	return ""
}

// held is the sum of shares actually in the hold account: the external
// share only once paid.
func (d Dossier) held() int64 {
	var n int64
	for _, s := range d.Funding {
		if s.From.Kind() == "source" && d.Billing == DepositWait {
			continue
		}
		n += s.Cents
	}
	return n
}

// settle moves a dossier's hold: payCents to the provider, the rest back
// to where each share came from. Each share pays its part of payCents in
// proportion (rounded down, the leftover cents charged to the first
// shares), so a partial payment and the release that goes with it are
// exact to the cent.
func (d Dossier) settle(payCents int64) []Posting {
	held := d.held()
	if payCents > held {
		payCents = held
	}
	var ps []Posting
	hold := HoldAccount(d.ID)
	var shares []Share
	for _, s := range d.Funding {
		if s.From.Kind() == "source" && d.Billing == DepositWait {
			continue
		}
		shares = append(shares, s)
	}
	paid := make([]int64, len(shares))
	var total int64
	for i, s := range shares {
		if held > 0 {
			paid[i] = s.Cents * payCents / held
		}
		total += paid[i]
	}
	for i := range shares {
		if total >= payCents {
			break
		}
		extra := min(shares[i].Cents-paid[i], payCents-total)
		paid[i] += extra
		total += extra
	}
	if payCents > 0 {
		ps = append(ps, transfer(hold, ProviderAccount(d.ProviderID), payCents)...)
	}
	for i, s := range shares {
		ps = append(ps, transfer(hold, s.From, s.Cents-paid[i])...)
	}
	return merge(ps)
}
