package bolt

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching/recommend"
)

var (
	_ recommend.Store          = (*Store)(nil)
	_ recommend.DossierScanner = (*Store)(nil)
)

// Buckets of the training recommendations, created by init with the others.
var (
	bRecResults = []byte("rec_results")     // account -> result
	bRecPrefs   = []byte("rec_preferences") // account -> preferences
	bRecKeys    = []byte("rec_widget_keys") // key id -> widget key
)

func init() { allBuckets = append(allBuckets, bRecResults, bRecPrefs, bRecKeys) }

// PutResults implements recommend.Store.
func (s *Store) PutResults(ctx context.Context, rs []recommend.Result) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRecResults)
		for _, r := range rs {
			if err := put(b, r.Account, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Result implements recommend.Store.
func (s *Store) Result(ctx context.Context, account string) (recommend.Result, error) {
	var r recommend.Result
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bRecResults), account, &r) })
	return r, err
}

// EachResultStamp implements recommend.Store.
func (s *Store) EachResultStamp(ctx context.Context, fn func(account, fingerprint string) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bRecResults).ForEach(func(k, v []byte) error {
			var r struct{ Fingerprint string }
			if err := jsonUnmarshal(v, &r); err != nil {
				return err
			}
			return fn(string(k), r.Fingerprint)
		})
	})
}

// Preferences implements recommend.Store.
func (s *Store) Preferences(ctx context.Context, account string) (recommend.Preferences, error) {
	var p recommend.Preferences
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bRecPrefs), account, &p) })
	return p, err
}

// PutPreferences implements recommend.Store.
func (s *Store) PutPreferences(ctx context.Context, p recommend.Preferences) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRecPrefs)
		var stored recommend.Preferences
		if err := get(b, p.Account, &stored); err != nil && !errors.Is(err, marketplace.ErrNotFound) {
			return err
		}
		return put(b, p.Account, recommend.MergePreferences(stored, p))
	})
}

// AddView implements recommend.Store.
func (s *Store) AddView(ctx context.Context, account string, v recommend.View) (bool, error) {
	added := false
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRecPrefs)
		var p recommend.Preferences
		if err := get(b, account, &p); err != nil {
			if errors.Is(err, marketplace.ErrNotFound) {
				return nil
			}
			return err
		}
		if !p.ViewsConsent {
			return nil
		}
		recommend.AddViewTo(&p, v)
		added = true
		return put(b, account, p)
	})
	return added, err
}

// EachPreferences implements recommend.Store.
func (s *Store) EachPreferences(ctx context.Context, fn func(recommend.Preferences) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bRecPrefs).ForEach(func(k, v []byte) error {
			var p recommend.Preferences
			if err := jsonUnmarshal(v, &p); err != nil {
				return err
			}
			return fn(p)
		})
	})
}

// CreateWidgetKey implements recommend.Store.
func (s *Store) CreateWidgetKey(ctx context.Context, k recommend.WidgetKey) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRecKeys)
		if b.Get([]byte(k.ID)) != nil {
			return marketplace.ErrConflict
		}
		return put(b, k.ID, k)
	})
}

// WidgetKey implements recommend.Store.
func (s *Store) WidgetKey(ctx context.Context, id string) (recommend.WidgetKey, error) {
	var k recommend.WidgetKey
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bRecKeys), id, &k) })
	return k, err
}

// WidgetKeys implements recommend.Store.
func (s *Store) WidgetKeys(ctx context.Context) ([]recommend.WidgetKey, error) {
	var out []recommend.WidgetKey
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bRecKeys).ForEach(func(_, v []byte) error {
			var k recommend.WidgetKey
			if err := jsonUnmarshal(v, &k); err != nil {
				return err
			}
			out = append(out, k)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b recommend.WidgetKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// RevokeWidgetKey implements recommend.Store.
func (s *Store) RevokeWidgetKey(ctx context.Context, id string, at time.Time) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRecKeys)
		var k recommend.WidgetKey
		if err := get(b, id, &k); err != nil {
			return err
		}
		if k.Revoked() {
			return nil
		}
		k.RevokedAt = at
		return put(b, id, k)
	})
}
