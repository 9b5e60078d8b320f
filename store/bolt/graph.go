package bolt

import (
	"context"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/skills"
)

var _ skills.Store = (*Store)(nil)

// Buckets of the skills graph. They are created on open but not required by
// Verify, so that backups taken before the graph existed still restore.
var (
	bGraphSkills = []byte("graph_skills")
	bGraphOccs   = []byte("graph_occupations")
	bGraphCerts  = []byte("graph_certifications")
	bGraphJobs   = []byte("graph_job_offers")
	bGraphEdges  = []byte("graph_edges") // "<relation>\x00<from>\x00<to>" -> edge
	bGraphOutc   = []byte("graph_outcomes")
	bGraphHiring = []byte("graph_hiring")
	graphBuckets = [][]byte{bGraphSkills, bGraphOccs, bGraphCerts, bGraphJobs, bGraphEdges, bGraphOutc, bGraphHiring}
)

// PutGraph implements skills.Store: one transaction, synced before it returns.
func (s *Store) PutGraph(ctx context.Context, b skills.Batch) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		for _, e := range b.DeleteEdges {
			if err := tx.Bucket(bGraphEdges).Delete([]byte(e.Key())); err != nil {
				return err
			}
		}
		for _, r := range b.Skills {
			if err := put(tx.Bucket(bGraphSkills), r.ID, r); err != nil {
				return err
			}
		}
		for _, r := range b.Occupations {
			if err := put(tx.Bucket(bGraphOccs), r.ID, r); err != nil {
				return err
			}
		}
		for _, r := range b.Certifications {
			if err := put(tx.Bucket(bGraphCerts), r.Code, r); err != nil {
				return err
			}
		}
		for _, r := range b.JobOffers {
			if err := put(tx.Bucket(bGraphJobs), r.ID, r); err != nil {
				return err
			}
		}
		for _, r := range b.Edges {
			if err := put(tx.Bucket(bGraphEdges), r.Key(), r); err != nil {
				return err
			}
		}
		for _, r := range b.Outcomes {
			if err := put(tx.Bucket(bGraphOutc), r.Key(), r); err != nil {
				return err
			}
		}
		for _, r := range b.Hiring {
			if err := put(tx.Bucket(bGraphHiring), r.Key(), r); err != nil {
				return err
			}
		}
		return nil
	})
}

// scanChunk bounds the records handed to ScanGraph's callback at once.
const scanChunk = 10000

// ScanGraph implements skills.Store. Nodes come before edges, so that a
// reader building indexes sees every node first.
func (s *Store) ScanGraph(ctx context.Context, fn func(skills.Batch) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		var b skills.Batch
		flush := func() error {
			if b.Len() == 0 {
				return nil
			}
			err := fn(b)
			b = skills.Batch{}
			return err
		}
		each := func(bucket []byte, add func([]byte) error) error {
			bk := tx.Bucket(bucket)
			if bk == nil { // a read-only file older than the graph
				return nil
			}
			return bk.ForEach(func(_, v []byte) error {
				if err := add(v); err != nil {
					return err
				}
				if b.Len() >= scanChunk {
					return flush()
				}
				return nil
			})
		}
		steps := []struct {
			bucket []byte
			add    func([]byte) error
		}{
			{bGraphSkills, func(v []byte) error { return decodeAppend(v, &b.Skills) }},
			{bGraphOccs, func(v []byte) error { return decodeAppend(v, &b.Occupations) }},
			{bGraphCerts, func(v []byte) error { return decodeAppend(v, &b.Certifications) }},
			{bGraphJobs, func(v []byte) error { return decodeAppend(v, &b.JobOffers) }},
			{bGraphOutc, func(v []byte) error { return decodeAppend(v, &b.Outcomes) }},
			{bGraphHiring, func(v []byte) error { return decodeAppend(v, &b.Hiring) }},
			{bGraphEdges, func(v []byte) error { return decodeAppend(v, &b.Edges) }},
		}
		for _, st := range steps {
			if string(st.bucket) == string(bGraphEdges) {
				if err := flush(); err != nil {
					return err
				}
			}
			if err := each(st.bucket, st.add); err != nil {
				return err
			}
		}
		return flush()
	})
}

func decodeAppend[T any](data []byte, into *[]T) error {
	var v T
	if err := jsonUnmarshal(data, &v); err != nil {
		return err
	}
	*into = append(*into, v)
	return nil
}
