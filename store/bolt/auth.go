package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/auth"
)

var _ auth.SessionStore = (*Store)(nil)
var _ auth.LinkStore = (*Store)(nil)
var _ auth.DeviceStore = (*Store)(nil)

// Buckets of web sessions and identity links.
var (
	bWebSessions = []byte("web_sessions")         // session key -> auth.Session
	bWebByHolder = []byte("web_sessions_by_user") // "<holder>\x00<key>" -> nil
	bIdentities  = []byte("identity_links")       // "<issuer>\x00<subject>" -> account id
	bDevices     = []byte("account_devices")      // "<account id>\x00<device key>" -> auth.Device
	authBuckets  = [][]byte{bWebSessions, bWebByHolder, bIdentities, bDevices}
)

func holderKey(holder, key string) []byte { return []byte(holder + "\x00" + key) }

// CreateWebWebSession implements auth.SessionStore.
func (s *Store) CreateWebSession(ctx context.Context, se auth.Session) error {
	v, err := json.Marshal(se)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bWebSessions).Put([]byte(se.Key), v); err != nil {
			return err
		}
		return tx.Bucket(bWebByHolder).Put(holderKey(se.Holder(), se.Key), nil)
	})
}

// WebSession implements auth.SessionStore.
func (s *Store) WebSession(ctx context.Context, key string) (auth.Session, error) {
	var se auth.Session
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bWebSessions).Get([]byte(key))
		if v == nil {
			return auth.ErrNoSession
		}
		return json.Unmarshal(v, &se)
	})
	return se, err
}

// TouchWebWebSession implements auth.SessionStore.
func (s *Store) TouchWebSession(ctx context.Context, key string, at time.Time) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bWebSessions)
		v := b.Get([]byte(key))
		if v == nil {
			return auth.ErrNoSession
		}
		var se auth.Session
		if err := json.Unmarshal(v, &se); err != nil {
			return err
		}
		se.LastSeen = at
		nv, err := json.Marshal(se)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), nv)
	})
}

// DeleteWebWebSession implements auth.SessionStore.
func (s *Store) DeleteWebSession(ctx context.Context, key string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bWebSessions)
		v := b.Get([]byte(key))
		if v == nil {
			return nil
		}
		var se auth.Session
		if err := json.Unmarshal(v, &se); err != nil {
			return err
		}
		if err := tx.Bucket(bWebByHolder).Delete(holderKey(se.Holder(), key)); err != nil {
			return err
		}
		return b.Delete([]byte(key))
	})
}

// DeleteWebSessions implements auth.SessionStore.
func (s *Store) DeleteWebSessions(ctx context.Context, holder string) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		idx, b := tx.Bucket(bWebByHolder), tx.Bucket(bWebSessions)
		prefix := []byte(holder + "\x00")
		var keys [][]byte
		c := idx.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			if err := idx.Delete(k); err != nil {
				return err
			}
			if err := b.Delete(k[len(prefix):]); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	return n, err
}

// SweepWebSessions implements auth.SessionStore. It reads every session:
// run it from a periodic job, not on a request.
func (s *Store) SweepWebSessions(ctx context.Context, idle, created time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b, idx := tx.Bucket(bWebSessions), tx.Bucket(bWebByHolder)
		var dead []auth.Session
		err := b.ForEach(func(k, v []byte) error {
			var se auth.Session
			if err := json.Unmarshal(v, &se); err != nil {
				return err
			}
			if se.LastSeen.Before(idle) || se.Created.Before(created) {
				dead = append(dead, se)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, se := range dead {
			if err := idx.Delete(holderKey(se.Holder(), se.Key)); err != nil {
				return err
			}
			if err := b.Delete([]byte(se.Key)); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

// Link implements auth.LinkStore.
func (s *Store) Link(ctx context.Context, issuer, subject string) (string, error) {
	var id string
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bIdentities).Get([]byte(issuer + "\x00" + subject))
		if v == nil {
			return auth.ErrNotLinked
		}
		id = string(v)
		return nil
	})
	return id, err
}

// PutLink implements auth.LinkStore.
func (s *Store) PutLink(ctx context.Context, issuer, subject, accountID string) error {
	if issuer == "" || subject == "" || accountID == "" {
		return errors.New("identity link: issuer, subject and account must not be empty")
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bIdentities)
		k := []byte(issuer + "\x00" + subject)
		if v := b.Get(k); v != nil {
			if string(v) == accountID {
				return nil
			}
			return auth.ErrLinked
		}
		return b.Put(k, []byte(accountID))
	})
}

// AddDevice implements auth.DeviceStore.
func (s *Store) AddDevice(ctx context.Context, accountID string, d auth.Device) (bool, error) {
	v, err := json.Marshal(d)
	if err != nil {
		return false, err
	}
	added := false
	err = s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bDevices)
		k := []byte(accountID + "\x00" + d.Key)
		if b.Get(k) != nil {
			return nil
		}
		added = true
		return b.Put(k, v)
	})
	return added, err
}

// Devices implements auth.DeviceStore.
func (s *Store) Devices(ctx context.Context, accountID string) ([]auth.Device, error) {
	var out []auth.Device
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := []byte(accountID + "\x00")
		c := tx.Bucket(bDevices).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var d auth.Device
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b auth.Device) int { return b.First.Compare(a.First) })
	return out, err
}
