package marketplace

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// LedgerAccount names a place where money can be, such as "learner:<id>".
// Every euro cent the service knows of sits in exactly one ledger account,
// so that "money is neither created nor destroyed" is checkable: the
// balances of all ledger accounts sum to zero. Source accounts (the State's
// rights issuance, a funder's own funds, an external payment provider)
// represent the outside world and go negative by the money they put in;
// every other account never goes below zero.
type LedgerAccount string

// Prefixes of ledger accounts.
const (
	prefixLearner  = "learner:"       // a worker's training account (compte personnel de formation)
	prefixHold     = "hold:"          // money held for one dossier between acceptance and payment
	prefixBudget   = "budget:"        // a funder's top-up rule budget
	prefixProvider = "provider:"      // paid to a provider (payable to its bank)
	prefixRights   = "source:rights"  // the State's issuance of yearly rights (source)
	prefixFunder   = "source:funder:" // a funder's own funds (source)
	prefixExternal = "source:pay:"    // money the learner paid through a payment provider (source)
)

// Ledger account constructors.
func LearnerAccount(accountID string) LedgerAccount { return LedgerAccount(prefixLearner + accountID) }
func HoldAccount(dossierID string) LedgerAccount    { return LedgerAccount(prefixHold + dossierID) }
func BudgetAccount(ruleID string) LedgerAccount     { return LedgerAccount(prefixBudget + ruleID) }
func ProviderAccount(providerID string) LedgerAccount {
	return LedgerAccount(prefixProvider + providerID)
}
func FunderSource(funderID string) LedgerAccount   { return LedgerAccount(prefixFunder + funderID) }
func ExternalSource(provider string) LedgerAccount { return LedgerAccount(prefixExternal + provider) }

// RightsSource is the single account yearly rights were issued from
// before the issuance was spread over shards (RightsSourceFor); its
// entries stay in the ledgers written then.
const RightsSource LedgerAccount = prefixRights

// IsSource reports whether the account stands for the outside world and may
// go negative.
func (a LedgerAccount) IsSource() bool { return strings.HasPrefix(string(a), "source:") }

// Kind is the account's prefix without the identifier: learner, hold,
// budget, provider or source.
func (a LedgerAccount) Kind() string {
	k, _, _ := strings.Cut(string(a), ":")
	return k
}

// MovementKind says why money moved.
type MovementKind string

// The movements of the ledger.
const (
	MoveYearlyCredit MovementKind = "yearly_credit" // alimentation annuelle
	MoveBudget       MovementKind = "budget"        // a funder funds a top-up rule
	MoveHold         MovementKind = "hold"          // acceptance: account and top-ups (abondements) held
	MovePayment      MovementKind = "payment"       // external payment of the co-payment and remainder received
	MoveCapture      MovementKind = "capture"       // payment captured to the provider (and any unused part released)
	MoveRelease      MovementKind = "release"       // cancellation: held money back to where it came from (refund for external money)
)

// Posting is one line of a ledger transaction: cents added to (positive) or
// taken from (negative) an account.
type Posting struct {
	Account LedgerAccount
	Cents   int64
}

// Entry is a posting as the ledger keeps it, append-only, numbered in
// write order.
type Entry struct {
	Seq       uint64
	TxKey     string // the operation's idempotency key: entries of one transaction share it
	Account   LedgerAccount
	Cents     int64
	Balance   int64 // the account's balance after this entry
	Kind      MovementKind
	DossierID string
	At        time.Time
}

// ErrInsufficientBalance is returned when an operation would take an
// account below zero; nothing is written.
var ErrInsufficientBalance = errors.New("insufficient balance")

// ErrStale is returned by a store when a record changed since it was read
// (optimistic concurrency); the caller reads again and retries. It matches
// ErrConflict.
var ErrStale = fmt.Errorf("the record changed meanwhile: %w", ErrConflict)

// ErrIdempotencyMismatch is returned when an idempotency key is reused for
// a different request.
var ErrIdempotencyMismatch = errors.New("the idempotency key was used for a different request")

// CheckPostings verifies a ledger transaction: amounts are non-zero, it
// sums to zero and names each account once.
func CheckPostings(ps []Posting) error {
	var sum int64
	seen := map[LedgerAccount]bool{}
	for _, p := range ps {
		if p.Cents == 0 {
			return fmt.Errorf("posting to %s of zero cents", p.Account)
		}
		if p.Account == "" || seen[p.Account] {
			return fmt.Errorf("account %q posted twice or empty", p.Account)
		}
		seen[p.Account] = true
		sum += p.Cents
	}
	if sum != 0 {
		return fmt.Errorf("postings sum to %d cents, not zero", sum)
	}
	return nil
}

// transfer builds postings moving cents from one account to another, none
// when cents is zero.
func transfer(from, to LedgerAccount, cents int64) []Posting {
	if cents == 0 {
		return nil
	}
	return []Posting{{from, -cents}, {to, cents}}
}

// merge sums postings by account and drops zeros, keeping first-seen order.
func merge(ps []Posting) []Posting {
	idx := map[LedgerAccount]int{}
	var out []Posting
	for _, p := range ps {
		if i, ok := idx[p.Account]; ok {
			out[i].Cents += p.Cents
			continue
		}
		idx[p.Account] = len(out)
		out = append(out, p)
	}
	kept := out[:0]
	for _, p := range out {
		if p.Cents != 0 {
			kept = append(kept, p)
		}
	}
	return kept
}

// Op is one atomic change of the money state, the unit a store applies:
// optionally a dossier written under optimistic concurrency, a ledger
// transaction, and an evaluation, all recorded under one idempotency key.
// A store applies all of it or none of it; applying an Op whose Key is
// already recorded changes nothing.
//
// The embedded store applies an Op in one transaction. A store without
// multi-document transactions writes the Op to its journal under Key first,
// then applies each part idempotently (conditional single-document updates
// that remember the Key) and rolls unfinished journal entries forward.
type Op struct {
	Key         string // idempotency key, scoped by who asked; required
	Fingerprint string // what was asked; a replay with another fingerprint is ErrIdempotencyMismatch
	At          time.Time
	Kind        MovementKind
	// Dossier, when set, is written if the stored dossier's Version equals
	// IfVersion (0: the dossier must not exist); otherwise ErrStale. The
	// caller sets Dossier.Version to IfVersion+1.
	Dossier   *Dossier
	IfVersion int64
	// Postings is the ledger transaction; it must pass CheckPostings. A
	// non-source account left below zero fails the Op with
	// ErrInsufficientBalance.
	Postings []Posting
	// MaxBalance, when set, fails the Op with ErrConflict if an account
	// named in it ends above its cap (the yearly credit cap).
	MaxBalance map[LedgerAccount]int64
	// Evaluation, when set, is stored (once per dossier) and counted in its
	// offer's and provider's ratings.
	Evaluation *Evaluation
	// Status and Body, when Status is set, are the HTTP response recorded
	// with the key (see JournalRecord).
	Status int
	Body   []byte
}

// JournalRecord is what a store remembers of an idempotency key.
type JournalRecord struct {
	Key         string
	Fingerprint string
	DossierID   string // the dossier the operation wrote, if any
	At          time.Time
	// Status and Body are the HTTP response sent for the key, once saved.
	Status int
	Body   []byte
}
