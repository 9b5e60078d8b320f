package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo/options"

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

// RecordPosition records replica id at change seq, as Follow does, as
// of at.
func (s *Store) RecordPosition(ctx context.Context, id string, seq int64, at time.Time) error {
	_, err := s.db.Collection(cReplicas).UpdateOne(ctx, map[string]any{"_id": id},
		map[string]any{"$set": map[string]any{"seq": seq, "at": timeKey(at), "every": int64(time.Second)}}, options.UpdateOne().SetUpsert(true))
	return err
}
