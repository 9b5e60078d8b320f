package bolt

import (
	"bytes"
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

// EachDossier implements recommend.DossierScanner. It reads in batches so
// that writers are not held off by one long read transaction.
func (s *Store) EachDossier(ctx context.Context, fn func(marketplace.Dossier) error) error {
	return s.scan(ctx, bDossiers, func(v []byte) error {
		var d marketplace.Dossier
		if err := jsonUnmarshal(v, &d); err != nil {
			return err
		}
		return fn(d)
	})
}

// EachEvaluation implements recommend.DossierScanner.
func (s *Store) EachEvaluation(ctx context.Context, fn func(marketplace.Evaluation) error) error {
	return s.scan(ctx, bEvaluations, func(v []byte) error {
		var e marketplace.Evaluation
		if err := jsonUnmarshal(v, &e); err != nil {
			return err
		}
		return fn(e)
	})
}

// scan calls fn with every value of a bucket in key order, 1,000 per read
// transaction.
func (s *Store) scan(ctx context.Context, bucket []byte, fn func(v []byte) error) error {
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var vals [][]byte
		var last []byte
		err := s.db.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.First()
			} else if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
			for ; k != nil && len(vals) < 1000; k, v = c.Next() {
				vals = append(vals, bytes.Clone(v))
				last = bytes.Clone(k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, v := range vals {
			if err := fn(v); err != nil {
				return err
			}
		}
		if len(vals) < 1000 {
			return nil
		}
		after = last
	}
}
