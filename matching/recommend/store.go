package recommend

import (
	"context"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// Store keeps the recommender's own data: the stored top-K per account,
// the workers' preferences (targets, home commune, consented views) and
// the widget keys. Implementations (store/bolt, store/mongo) are safe for
// concurrent use and pass the suite in store/storetest.
type Store interface {
	// PutResults stores results, replacing each account's previous one.
	PutResults(ctx context.Context, rs []Result) error
	// Result returns an account's stored result, or ErrNotFound.
	Result(ctx context.Context, account string) (Result, error)
	// EachResultStamp calls fn with every stored result's account and
	// fingerprint, in account order; fn's error stops the walk.
	EachResultStamp(ctx context.Context, fn func(account, fingerprint string) error) error

	// Preferences returns an account's preferences, or ErrNotFound.
	Preferences(ctx context.Context, account string) (Preferences, error)
	// PutPreferences replaces an account's targets, commune and consent.
	// Withdrawing consent deletes the recorded views; the views are
	// otherwise kept.
	PutPreferences(ctx context.Context, p Preferences) error
	// AddView records a view of an offer when the account consented, and
	// reports whether it did; the newest MaxViews views are kept, one per
	// offer.
	AddView(ctx context.Context, account string, v View) (bool, error)
	// EachPreferences calls fn with every account's preferences, in
	// account order.
	EachPreferences(ctx context.Context, fn func(Preferences) error) error

	// CreateWidgetKey stores a new key; ErrConflict if the ID is taken.
	CreateWidgetKey(ctx context.Context, k WidgetKey) error
	// WidgetKey returns a key, revoked or not, or ErrNotFound.
	WidgetKey(ctx context.Context, id string) (WidgetKey, error)
	// WidgetKeys lists every key by creation date then ID.
	WidgetKeys(ctx context.Context) ([]WidgetKey, error)
	// RevokeWidgetKey revokes a key at a time (a second revocation keeps
	// the first time); ErrNotFound if absent.
	RevokeWidgetKey(ctx context.Context, id string, at time.Time) error
}

// DossierScanner is what the batch reads of the marketplace's store: every
// dossier and every evaluation. Both backends implement it.
type DossierScanner interface {
	// EachDossier calls fn with every dossier, in ID order.
	EachDossier(ctx context.Context, fn func(marketplace.Dossier) error) error
	// EachEvaluation calls fn with every evaluation, in dossier ID order.
	EachEvaluation(ctx context.Context, fn func(marketplace.Evaluation) error) error
}

// addView applies AddView's rule to p: the view goes first, the offer's
// older view goes, at most MaxViews remain.
func addView(p *Preferences, v View) {
	views := []View{v}
	for _, old := range p.Views {
		if old.Offer != v.Offer && len(views) < MaxViews {
			views = append(views, old)
		}
	}
	p.Views = views
}

// AddViewTo applies AddView's rule to p (for backends).
func AddViewTo(p *Preferences, v View) { addView(p, v) }

// MergePreferences applies PutPreferences' rule: the new targets, commune
// and consent over the stored views, which go when consent does (for
// backends).
func MergePreferences(stored, p Preferences) Preferences {
	p.Views = stored.Views
	if !p.ViewsConsent {
		p.Views = nil
	}
	return p
}
