package mongo

import (
	"context"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// Crash leaves op as a process killed after its first `postings` debits
// and credits would: journaled, the dossier written, some postings made.
func (s *Store) Crash(ctx context.Context, op marketplace.Op, postings int) error {
	j := journalDoc{ID: op.Key, F: op.Fingerprint, State: statePending, At: timeKey(time.Now().Add(-time.Hour)), Op: encode(op)}
	if _, err := s.db.Collection(cJournal).InsertOne(ctx, j); err != nil {
		return err
	}
	if d := op.Dossier; d != nil && op.IfVersion == 0 {
		if _, err := s.db.Collection(cDossiers).InsertOne(ctx, newDossierDoc(*d, op.Key)); err != nil {
			return err
		}
	}
	for _, p := range op.Postings[:postings] {
		if err := s.post(ctx, op, p, "", false); err != nil {
			return err
		}
	}
	return nil
}
