// Package bolt is the embedded storage backend: one bbolt file under the
// data directory, with no server to run. Every write is one bbolt
// transaction, synced to disk before it returns, so an acknowledged write
// survives a crash of the process or the machine. Money operations
// (Apply) from concurrent callers share transactions (group.go).
package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/parcours/parcours/marketplace"
)

// Store is the bbolt backend. It is safe for concurrent use: bbolt allows
// one writer and many readers at a time.
type Store struct {
	db    *bbolt.DB
	group *group // commits Apply's operations (group.go)
}

var _ marketplace.Store = (*Store)(nil)
var _ marketplace.Loader = (*Store)(nil)

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("the store file is in use by another process")

// Bucket names. The idx* buckets map "<value>\x00<offer id>" to nothing.
var (
	bProviders      = []byte("providers")
	bProvidersSIRET = []byte("providers_by_siret")
	bOffers         = []byte("offers")
	bSessions       = []byte("sessions") // "<offer id>\x00<session id>" -> session
	bIdxProvider    = []byte("offers_by_provider")
	bIdxRegion      = []byte("offers_by_region")
	bIdxDepartment  = []byte("offers_by_department")
	bIdxCert        = []byte("offers_by_certification")
	bIdxStatus      = []byte("offers_by_status")
	bMeta           = []byte("meta")
	allBuckets      = [][]byte{bProviders, bProvidersSIRET, bOffers, bSessions, bIdxProvider, bIdxRegion, bIdxDepartment, bIdxCert, bIdxStatus, bMeta}
)

// schemaVersion is written to the meta bucket; Open refuses a newer file.
const schemaVersion = 1

// Open opens or creates the store file at path, waiting at most timeout for
// another process to release it.
func Open(path string, timeout time.Duration) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, FreelistType: bbolt.FreelistMapType})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", filepath.Base(path), ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", filepath.Base(path), err)
	}
	s := &Store{db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	s.group = newGroup(db)
	return s, nil
}

// OpenReadOnly opens an existing store file for reading only, sharing it
// with other readers; it never writes to the file.
func OpenReadOnly(path string, timeout time.Duration) (*Store, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout, ReadOnly: true})
	if errors.Is(err, bberrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: %w", filepath.Base(path), ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", filepath.Base(path), err)
	}
	s := &Store{db: db}
	if err := s.checkSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Verify checks that the file at path is a whole, sound store, without
// changing it: not empty (bbolt would make an empty file a new store), not
// truncated (every page its metadata names is in the file), with a
// consistent page structure and this program's buckets. A damaged file
// that makes bbolt panic is reported as an error.
func Verify(path string) (err error) {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Size() == 0 {
		return errors.New("the file is empty")
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the file is damaged: %v", v)
		}
	}()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		if need := tx.Size(); info.Size() < need {
			return fmt.Errorf("the file is truncated: %d bytes, where its pages take %d", info.Size(), need)
		}
		for err := range tx.Check() {
			return err
		}
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("the file has no %s bucket: it is not a Parcours store", name)
			}
		}
		return nil
	})
}

// checkSchema refuses a file written by a newer version of the program.
func (s *Store) checkSchema() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if meta == nil {
			return errors.New("the file is not a Parcours store: no meta bucket")
		}
		var n int
		if v := meta.Get([]byte("schema")); v == nil || json.Unmarshal(v, &n) != nil || n > schemaVersion {
			return fmt.Errorf("the store file has schema version %s, this program knows up to %d", v, schemaVersion)
		}
		return nil
	})
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		for _, name := range slices.Concat(allBuckets, graphBuckets, enrolmentBuckets, authBuckets, orgBuckets) {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if v := meta.Get([]byte("schema")); v != nil {
			var n int
			if err := json.Unmarshal(v, &n); err != nil || n > schemaVersion {
				return fmt.Errorf("the store file has schema version %s, this program knows up to %d", v, schemaVersion)
			}
		}
		return meta.Put([]byte("schema"), []byte(fmt.Sprint(schemaVersion)))
	})
}

// Close closes the file. Queued operations commit and pending reads
// finish first.
func (s *Store) Close() error {
	if s.group != nil { // a read-only store has no committer
		s.group.close()
	}
	return s.db.Close()
}

// Ping checks that the store answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bMeta) == nil {
			return errors.New("store not initialised")
		}
		return nil
	})
}

// Backup writes a consistent snapshot of the whole store to w while writes
// go on, and returns its size in bytes.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// Check verifies the file's page structure, as after a restore.
func (s *Store) Check() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
}

func put(b *bbolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

func get(b *bbolt.Bucket, key string, v any) error {
	data := b.Get([]byte(key))
	if data == nil {
		return marketplace.ErrNotFound
	}
	return json.Unmarshal(data, v)
}

func idxKey(value, id string) []byte { return []byte(value + "\x00" + id) }

// jsonUnmarshal decodes a stored record; a failure means a corrupt file.
func jsonUnmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("corrupt record: %w", err)
	}
	return nil
}

// Path returns the store file's path.
func (s *Store) Path() string { return s.db.Path() }
