package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/orgs"
)

var (
	_ orgs.Store               = (*Store)(nil)
	_ marketplace.ContactStore = (*Store)(nil)
	_ auth.AttemptStore        = (*Store)(nil)
)

// Buckets of organisations, learners' contact details and attempt counters.
var (
	bOrgs          = []byte("organisations")          // id -> orgs.Organisation
	bOrgsBySIRET   = []byte("organisations_by_siret") // siret -> id
	bInvitations   = []byte("org_invitations")        // token hash -> orgs.Invitation
	bOrgIdentities = []byte("org_identities")         // "<issuer>\x00<subject>" -> membership
	bContacts      = []byte("contacts")               // account id -> marketplace.Contact
	bAttempts      = []byte("attempts")               // "<key>\x00<window start, 8 bytes>" -> attemptWindow
	orgBuckets     = [][]byte{bOrgs, bOrgsBySIRET, bInvitations, bOrgIdentities, bContacts, bAttempts}
)

type membership struct {
	Org    string `json:"o"`
	Member string `json:"m"`
}

// CreateOrg implements orgs.Store.
func (s *Store) CreateOrg(ctx context.Context, o orgs.Organisation) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, bs := tx.Bucket(bOrgs), tx.Bucket(bOrgsBySIRET)
		if b.Get([]byte(o.ID)) != nil || bs.Get([]byte(o.SIRET)) != nil {
			return fmt.Errorf("organisation %s: %w", o.ID, marketplace.ErrConflict)
		}
		if err := putJSON(b, o.ID, o); err != nil {
			return err
		}
		return bs.Put([]byte(o.SIRET), []byte(o.ID))
	})
}

// Org implements orgs.Store.
func (s *Store) Org(ctx context.Context, id string) (orgs.Organisation, error) {
	var o orgs.Organisation
	err := s.db.View(func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bOrgs), id, &o) })
	return o, err
}

// UpdateOrg implements orgs.Store.
func (s *Store) UpdateOrg(ctx context.Context, o orgs.Organisation) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bOrgs)
		var cur orgs.Organisation
		if err := getJSON(b, o.ID, &cur); err != nil {
			return err
		}
		if cur.Version != o.Version || cur.SIRET != o.SIRET {
			return marketplace.ErrStale
		}
		o.Version++
		return putJSON(b, o.ID, o)
	})
}

// CreateInvitation implements orgs.Store.
func (s *Store) CreateInvitation(ctx context.Context, inv orgs.Invitation) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bInvitations)
		if b.Get([]byte(inv.Key)) != nil {
			return marketplace.ErrConflict
		}
		return putJSON(b, inv.Key, inv)
	})
}

// Invitation implements orgs.Store.
func (s *Store) Invitation(ctx context.Context, key string) (orgs.Invitation, error) {
	var inv orgs.Invitation
	err := s.db.View(func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bInvitations), key, &inv) })
	return inv, err
}

// UseInvitation implements orgs.Store.
func (s *Store) UseInvitation(ctx context.Context, key, memberID string, at time.Time) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bInvitations)
		var inv orgs.Invitation
		if err := getJSON(b, key, &inv); err != nil {
			return err
		}
		if !inv.UsedAt.IsZero() {
			return orgs.ErrInvitationGone
		}
		inv.UsedAt, inv.UsedBy = at, memberID
		return putJSON(b, key, inv)
	})
}

// ClaimIdentity implements orgs.Store.
func (s *Store) ClaimIdentity(ctx context.Context, issuer, subject, orgID, memberID string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bOrgIdentities)
		k := issuer + "\x00" + subject
		if b.Get([]byte(k)) != nil {
			return marketplace.ErrConflict
		}
		return putJSON(b, k, membership{Org: orgID, Member: memberID})
	})
}

// Membership implements orgs.Store.
func (s *Store) Membership(ctx context.Context, issuer, subject string) (string, string, error) {
	var m membership
	err := s.db.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bOrgIdentities), issuer+"\x00"+subject, &m)
	})
	if err == marketplace.ErrNotFound {
		return "", "", orgs.ErrNotMember
	}
	return m.Org, m.Member, err
}

// ReleaseIdentity implements orgs.Store.
func (s *Store) ReleaseIdentity(ctx context.Context, issuer, subject string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bOrgIdentities).Delete([]byte(issuer + "\x00" + subject))
	})
}

// Contact implements marketplace.ContactStore.
func (s *Store) Contact(ctx context.Context, accountID string) (marketplace.Contact, error) {
	var c marketplace.Contact
	err := s.db.View(func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bContacts), accountID, &c) })
	return c, err
}

// PutContact implements marketplace.ContactStore.
func (s *Store) PutContact(ctx context.Context, c marketplace.Contact) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bContacts)
		var cur marketplace.Contact
		switch err := getJSON(b, c.AccountID, &cur); {
		case err == marketplace.ErrNotFound:
			if c.Version != 0 {
				return marketplace.ErrStale
			}
		case err != nil:
			return err
		case cur.Version != c.Version:
			return marketplace.ErrStale
		}
		c.Version++
		return putJSON(b, c.AccountID, c)
	})
}

type attemptWindow struct {
	N   int   `json:"n"`
	End int64 `json:"x"` // Unix nanoseconds
}

func attemptKey(key string, start time.Time) []byte {
	k := make([]byte, 0, len(key)+9)
	k = append(k, key...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(start.UnixNano()))
}

// AddAttempt implements auth.AttemptStore.
func (s *Store) AddAttempt(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	start := auth.WindowStart(now, window)
	var n int
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bAttempts)
		k := attemptKey(key, start)
		var w attemptWindow
		if v := b.Get(k); v != nil {
			if err := json.Unmarshal(v, &w); err != nil {
				return err
			}
		}
		w.N++
		w.End = start.Add(window).UnixNano()
		n = w.N
		v, err := json.Marshal(w)
		if err != nil {
			return err
		}
		return b.Put(k, v)
	})
	return n, err
}

// Attempts implements auth.AttemptStore.
func (s *Store) Attempts(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	var w attemptWindow
	err := s.db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bAttempts).Get(attemptKey(key, auth.WindowStart(now, window))); v != nil {
			return json.Unmarshal(v, &w)
		}
		return nil
	})
	return w.N, err
}

// SweepAttempts implements auth.AttemptStore.
func (s *Store) SweepAttempts(ctx context.Context, t time.Time) (int, error) {
	var dead [][]byte
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bAttempts)
		if err := b.ForEach(func(k, v []byte) error {
			var w attemptWindow
			if json.Unmarshal(v, &w) != nil || w.End < t.UnixNano() {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return len(dead), err
}

func putJSON(b *bbolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

// getJSON decodes the record under key, or returns marketplace.ErrNotFound.
func getJSON(b *bbolt.Bucket, key string, v any) error {
	data := b.Get([]byte(key))
	if data == nil {
		return marketplace.ErrNotFound
	}
	return json.Unmarshal(data, v)
}
