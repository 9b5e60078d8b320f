package bolt

import (
	"bytes"
	"context"
	"time"

	"go.etcd.io/bbolt"

	"github.com/parcours/parcours/marketplace"
)

var _ marketplace.JournalPurger = (*Store)(nil)

// purgeBatch is the most journal records deleted in one write
// transaction, so that a large purge does not hold up money operations.
const purgeBatch = 1000

// PurgeJournal implements marketplace.JournalPurger. Records are read
// under prefix in key order and deleted in batches of purgeBatch, each
// its own transaction.
func (s *Store) PurgeJournal(ctx context.Context, prefix string, before time.Time) (int, error) {
	n := 0
	from := []byte(prefix)
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var doomed [][]byte
		var next []byte
		err := s.db.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bJournal).Cursor()
			scanned := 0
			for k, v := c.Seek(from); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
				if scanned == 10*purgeBatch || len(doomed) == purgeBatch {
					next = bytes.Clone(k)
					return nil
				}
				scanned++
				var rec journalRecord
				if err := jsonUnmarshal(v, &rec); err != nil {
					return err
				}
				if rec.At.Before(before) {
					doomed = append(doomed, bytes.Clone(k))
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		if len(doomed) > 0 {
			err = s.db.Update(func(tx *bbolt.Tx) error {
				b := tx.Bucket(bJournal)
				for _, k := range doomed {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return n, err
			}
			n += len(doomed)
		}
		if next == nil {
			return n, nil
		}
		from = next
	}
}
