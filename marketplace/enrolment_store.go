package marketplace

import (
	"context"
	"time"
)

// DossierFilter selects dossiers in a listing: those of one account or of
// one provider, optionally in one state. Listings are in creation order.
type DossierFilter struct {
	AccountID  string
	ProviderID string
	State      DossierState
}

// EnrolmentStore keeps accounts, the ledger, dossiers, top-up rules,
// evaluations and employment declarations. Implementations are safe for
// concurrent use.
//
// Every change of money goes through Apply, one atomic operation under an
// idempotency key (see Op); the other writes move no money.
type EnrolmentStore interface {
	// CreateAccount stores a new account; ErrConflict if its ID or NIR hash is taken.
	CreateAccount(ctx context.Context, a Account) error
	// Account returns an account by ID, or ErrNotFound.
	Account(ctx context.Context, id string) (Account, error)
	// AccountByNIR returns the account of a NIR hash, or ErrNotFound.
	AccountByNIR(ctx context.Context, nirHash string) (Account, error)

	// Apply applies op atomically and reports whether it did; false with a
	// nil error means op.Key was already applied with the same fingerprint
	// (a no-op replay). Errors: ErrStale, ErrInsufficientBalance,
	// ErrIdempotencyMismatch, ErrConflict (an evaluation already stored or
	// a balance cap exceeded), ErrInvalid (postings that do not balance).
	Apply(ctx context.Context, op Op) (bool, error)
	// Balances returns the balances of the named ledger accounts (0 for an
	// account never posted to).
	Balances(ctx context.Context, accounts ...LedgerAccount) (map[LedgerAccount]int64, error)
	// Entries lists a ledger account's entries, newest first, with the next cursor.
	Entries(ctx context.Context, account LedgerAccount, page Page) ([]Entry, string, error)

	// Journal returns what is recorded under an idempotency key, or ErrNotFound.
	Journal(ctx context.Context, key string) (JournalRecord, error)
	// SaveResponse records the HTTP response of a key, creating the record
	// if needed; ErrIdempotencyMismatch if the key holds another fingerprint.
	SaveResponse(ctx context.Context, key, fingerprint string, status int, body []byte) error

	// Dossier returns a dossier by ID, or ErrNotFound.
	Dossier(ctx context.Context, id string) (Dossier, error)
	// Dossiers lists dossiers matching f (AccountID or ProviderID is required).
	Dossiers(ctx context.Context, f DossierFilter, page Page) ([]Dossier, string, error)
	// DueDossiers returns up to limit dossiers whose Deadline is set and on or
	// before day, earliest first.
	DueDossiers(ctx context.Context, day time.Time, limit int) ([]Dossier, error)

	// CreateRule stores a new top-up rule; ErrConflict if the ID is taken.
	CreateRule(ctx context.Context, r TopUpRule) error
	// Rule returns a rule by ID, or ErrNotFound.
	Rule(ctx context.Context, id string) (TopUpRule, error)
	// Rules lists a funder's rules ("" for every funder) in creation order.
	Rules(ctx context.Context, funderID string) ([]TopUpRule, error)

	// Evaluation returns a dossier's evaluation, or ErrNotFound.
	Evaluation(ctx context.Context, dossierID string) (Evaluation, error)
	// Evaluations lists an offer's evaluations, newest first, at most limit.
	Evaluations(ctx context.Context, offerID string, limit int) ([]Evaluation, error)
	// SetCommentHidden hides or shows an evaluation's comment; ErrNotFound if none.
	SetCommentHidden(ctx context.Context, dossierID string, hidden bool) error
	// Ratings returns the sums of the evaluations of "offer:<id>" or "provider:<id>".
	Ratings(ctx context.Context, subject string) (Ratings, error)

	// SaveDeclarations stores employment declarations, replacing any with
	// the same account, year and employer.
	SaveDeclarations(ctx context.Context, ds []Declaration) error
	// EachDeclarationYear calls fn with every (account, year) and its
	// declarations, in account then year order; fn's error stops the walk.
	EachDeclarationYear(ctx context.Context, fn func(accountID string, year int, ds []Declaration) error) error
}

// LedgerAuditor is an optional capability of a store: reading every
// ledger balance at once, to check that they sum to zero and agree with the
// entries.
type LedgerAuditor interface {
	// AuditLedger returns every balance, and the sum per account of the
	// entries, in one consistent snapshot.
	AuditLedger(ctx context.Context) (balances, fromEntries map[LedgerAccount]int64, err error)
}
