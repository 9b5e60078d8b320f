package bolt

import (
	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/marketplace"
)

// SmallScanBatches makes scans read 16 values per read transaction for
// the test's duration, so that the conformance suites' small stores cross
// batch boundaries.
func SmallScanBatches(t interface{ Cleanup(func()) }) {
	old := scanBatch
	scanBatch = 16
	t.Cleanup(func() { scanBatch = old })
}

// PutDossiersForBench writes dossiers straight into their bucket, in one
// transaction, to fill a store for the scan benchmark quickly.
func (s *Store) PutDossiersForBench(ds []marketplace.Dossier) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bDossiers)
		for _, d := range ds {
			if err := put(b, d.ID, d); err != nil {
				return err
			}
		}
		return nil
	})
}
