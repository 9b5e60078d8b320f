package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
)

var (
	_ profiles.Store       = (*Store)(nil)
	_ profiles.Employments = (*Store)(nil)
)

// Buckets of career profiles.
var (
	bProfileEntries  = []byte("profile_entries")        // "<person>\x00<id>" -> profiles.Entry
	bProfileShares   = []byte("profile_shares")         // share id -> profiles.Share
	bProfileSharesBy = []byte("profile_shares_by_user") // "<person>\x00<id>" -> nil
	bIssuers         = []byte("profile_issuers")        // siret -> profiles.Issuer
	bCredentials     = []byte("profile_credentials")    // id -> profiles.Credential
	bCredentialsBy   = []byte("profile_credentials_by") // "<person>\x00<id>" -> nil
	bStatusBits      = []byte("profile_status_bits")    // big-endian uint64 index -> nil; "next" -> counter
)

// The profile buckets are created with the others when the file opens.
func init() {
	allBuckets = append(allBuckets, bProfileEntries, bProfileShares, bProfileSharesBy, bIssuers, bCredentials, bCredentialsBy, bStatusBits)
}

func personKey(person, id string) []byte { return []byte(person + "\x00" + id) }

// CreateProfileEntry implements profiles.Store.
func (s *Store) CreateProfileEntry(ctx context.Context, e profiles.Entry) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bProfileEntries)
		k := personKey(e.PersonID, e.ID)
		if b.Get(k) != nil {
			return fmt.Errorf("entry %s: %w", e.ID, marketplace.ErrConflict)
		}
		return putJSONKey(b, k, e)
	})
}

// PutProfileEntry implements profiles.Store.
func (s *Store) PutProfileEntry(ctx context.Context, e profiles.Entry) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bProfileEntries)
		k := personKey(e.PersonID, e.ID)
		if b.Get(k) == nil {
			return fmt.Errorf("entry %s: %w", e.ID, marketplace.ErrNotFound)
		}
		return putJSONKey(b, k, e)
	})
}

// ProfileEntry implements profiles.Store.
func (s *Store) ProfileEntry(ctx context.Context, person, id string) (profiles.Entry, error) {
	var e profiles.Entry
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bProfileEntries), person+"\x00"+id, &e) })
	return e, err
}

// ProfileEntries implements profiles.Store.
func (s *Store) ProfileEntries(ctx context.Context, person string) ([]profiles.Entry, error) {
	var out []profiles.Entry
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := []byte(person + "\x00")
		c := tx.Bucket(bProfileEntries).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var e profiles.Entry
			if err := jsonUnmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// DeleteProfileEntry implements profiles.Store.
func (s *Store) DeleteProfileEntry(ctx context.Context, person, id string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bProfileEntries)
		k := personKey(person, id)
		if b.Get(k) == nil {
			return fmt.Errorf("entry %s: %w", id, marketplace.ErrNotFound)
		}
		return b.Delete(k)
	})
}

// CreateShareLink implements profiles.Store.
func (s *Store) CreateShareLink(ctx context.Context, sh profiles.Share) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bProfileShares)
		if b.Get([]byte(sh.ID)) != nil {
			return fmt.Errorf("share: %w", marketplace.ErrConflict)
		}
		if err := putJSONKey(b, []byte(sh.ID), sh); err != nil {
			return err
		}
		return tx.Bucket(bProfileSharesBy).Put(personKey(sh.PersonID, sh.ID), nil)
	})
}

// ShareLink implements profiles.Store.
func (s *Store) ShareLink(ctx context.Context, id string) (profiles.Share, error) {
	var sh profiles.Share
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bProfileShares), id, &sh) })
	return sh, err
}

// ShareLinks implements profiles.Store.
func (s *Store) ShareLinks(ctx context.Context, person string) ([]profiles.Share, error) {
	var out []profiles.Share
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := []byte(person + "\x00")
		c := tx.Bucket(bProfileSharesBy).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var sh profiles.Share
			if err := get(tx.Bucket(bProfileShares), string(k[len(prefix):]), &sh); err != nil {
				return err
			}
			out = append(out, sh)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b profiles.Share) int { return a.Created.Compare(b.Created) })
	return out, err
}

// DeleteShareLink implements profiles.Store.
func (s *Store) DeleteShareLink(ctx context.Context, person, id string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		by := tx.Bucket(bProfileSharesBy)
		k := personKey(person, id)
		if by.Get(k) == nil {
			return fmt.Errorf("share: %w", marketplace.ErrNotFound)
		}
		if err := by.Delete(k); err != nil {
			return err
		}
		return tx.Bucket(bProfileShares).Delete([]byte(id))
	})
}

// CreateIssuer implements profiles.Store.
func (s *Store) CreateIssuer(ctx context.Context, i profiles.Issuer) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bIssuers)
		if b.Get([]byte(i.SIRET)) != nil {
			return fmt.Errorf("issuer %s: %w", i.SIRET, marketplace.ErrConflict)
		}
		return putJSONKey(b, []byte(i.SIRET), i)
	})
}

// Issuer implements profiles.Store.
func (s *Store) Issuer(ctx context.Context, siret string) (profiles.Issuer, error) {
	var i profiles.Issuer
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bIssuers), siret, &i) })
	return i, err
}

// UpdateIssuer implements profiles.Store.
func (s *Store) UpdateIssuer(ctx context.Context, i profiles.Issuer) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bIssuers)
		var old profiles.Issuer
		if err := get(b, i.SIRET, &old); err != nil {
			return err
		}
		if old.Version != i.Version-1 {
			return fmt.Errorf("issuer %s changed meanwhile: %w", i.SIRET, marketplace.ErrConflict)
		}
		return putJSONKey(b, []byte(i.SIRET), i)
	})
}

// CreateCredential implements profiles.Store.
func (s *Store) CreateCredential(ctx context.Context, c profiles.Credential) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bCredentials)
		if b.Get([]byte(c.ID)) != nil {
			return fmt.Errorf("credential %s: %w", c.ID, marketplace.ErrConflict)
		}
		if err := putJSONKey(b, []byte(c.ID), c); err != nil {
			return err
		}
		return tx.Bucket(bCredentialsBy).Put(personKey(c.PersonID, c.ID), nil)
	})
}

// PutCredential implements profiles.Store.
func (s *Store) PutCredential(ctx context.Context, c profiles.Credential) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bCredentials)
		var old profiles.Credential
		if err := get(b, c.ID, &old); err != nil {
			return err
		}
		if old.PersonID != c.PersonID {
			if err := tx.Bucket(bCredentialsBy).Delete(personKey(old.PersonID, c.ID)); err != nil {
				return err
			}
			if err := tx.Bucket(bCredentialsBy).Put(personKey(c.PersonID, c.ID), nil); err != nil {
				return err
			}
		}
		return putJSONKey(b, []byte(c.ID), c)
	})
}

// Credential implements profiles.Store.
func (s *Store) Credential(ctx context.Context, id string) (profiles.Credential, error) {
	var c profiles.Credential
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bCredentials), id, &c) })
	return c, err
}

// Credentials implements profiles.Store.
func (s *Store) Credentials(ctx context.Context, person string) ([]profiles.Credential, error) {
	var out []profiles.Credential
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := []byte(person + "\x00")
		c := tx.Bucket(bCredentialsBy).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var cr profiles.Credential
			if err := get(tx.Bucket(bCredentials), string(k[len(prefix):]), &cr); err != nil {
				return err
			}
			out = append(out, cr)
		}
		return nil
	})
	return out, err
}

var nextStatusKey = []byte("next")

// NextStatusIndexes implements profiles.Store.
func (s *Store) NextStatusIndexes(ctx context.Context, n int) ([]int, error) {
	if n < 1 {
		return nil, nil
	}
	var first int
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bStatusBits)
		if v := b.Get(nextStatusKey); v != nil {
			var err error
			if first, err = strconv.Atoi(string(v)); err != nil {
				return fmt.Errorf("corrupt status counter: %w", err)
			}
		}
		return b.Put(nextStatusKey, []byte(strconv.Itoa(first+n)))
	})
	out := make([]int, n)
	for i := range out {
		out[i] = first + i
	}
	return out, err
}

// CreateIssued implements profiles.Store, in one transaction.
func (s *Store) CreateIssued(ctx context.Context, cs []profiles.Credential, es []profiles.Entry) error {
	if len(cs) != len(es) {
		return fmt.Errorf("%d credentials for %d lines: %w", len(cs), len(es), marketplace.ErrInvalid)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		cb, by, eb := tx.Bucket(bCredentials), tx.Bucket(bCredentialsBy), tx.Bucket(bProfileEntries)
		for i, c := range cs {
			if cb.Get([]byte(c.ID)) != nil {
				return fmt.Errorf("credential %s: %w", c.ID, marketplace.ErrConflict)
			}
			if err := putJSONKey(cb, []byte(c.ID), c); err != nil {
				return err
			}
			if err := by.Put(personKey(c.PersonID, c.ID), nil); err != nil {
				return err
			}
			k := personKey(es[i].PersonID, es[i].ID)
			if eb.Get(k) != nil {
				return fmt.Errorf("entry %s: %w", es[i].ID, marketplace.ErrConflict)
			}
			if err := putJSONKey(eb, k, es[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func statusKey(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }

// SetStatusBit implements profiles.Store.
func (s *Store) SetStatusBit(ctx context.Context, index int) error {
	if index < 0 {
		return fmt.Errorf("status index %d: %w", index, marketplace.ErrInvalid)
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bStatusBits).Put(statusKey(index), nil) })
}

// StatusBits implements profiles.Store.
func (s *Store) StatusBits(ctx context.Context, from, to int) ([]int, error) {
	var out []int
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bStatusBits).Cursor()
		for k, _ := c.Seek(statusKey(max(from, 0))); k != nil && len(k) == 8; k, _ = c.Next() {
			i := int(binary.BigEndian.Uint64(k))
			if i >= to {
				break
			}
			out = append(out, i)
		}
		return nil
	})
	return out, err
}

// EmploymentYears implements profiles.Employments from the employment
// declarations (keyed "<account>\x00<year>\x00<siret>").
func (s *Store) EmploymentYears(ctx context.Context, account, siret string) ([]int, error) {
	var years []int
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := []byte(account + "\x00")
		c := tx.Bucket(bDeclarations).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			parts := strings.Split(string(k), "\x00")
			if len(parts) == 3 && parts[2] == siret {
				if y, err := strconv.Atoi(parts[1]); err == nil {
					years = append(years, y)
				}
			}
		}
		return nil
	})
	return years, err
}

func putJSONKey(b *bbolt.Bucket, key []byte, v any) error {
	return putJSON(b, string(key), v)
}
