package bolt

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/marketplace"
)

// CreateProvider implements marketplace.ProviderStore.
func (s *Store) CreateProvider(ctx context.Context, p marketplace.Provider) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, bs := tx.Bucket(bProviders), tx.Bucket(bProvidersSIRET)
		if b.Get([]byte(p.ID)) != nil {
			return fmt.Errorf("provider %s: %w", p.ID, marketplace.ErrConflict)
		}
		if bs.Get([]byte(p.SIRET)) != nil {
			return fmt.Errorf("SIRET %s is already registered: %w", p.SIRET, marketplace.ErrConflict)
		}
		if err := bs.Put([]byte(p.SIRET), []byte(p.ID)); err != nil {
			return err
		}
		return put(b, p.ID, p)
	})
}

// Provider implements marketplace.ProviderStore.
func (s *Store) Provider(ctx context.Context, id string) (marketplace.Provider, error) {
	var p marketplace.Provider
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bProviders), id, &p) })
	if err != nil {
		return marketplace.Provider{}, fmt.Errorf("provider %s: %w", id, err)
	}
	return p, nil
}

// UpdateProvider implements marketplace.ProviderStore.
func (s *Store) UpdateProvider(ctx context.Context, p marketplace.Provider, ifUpdatedAt time.Time) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, bs := tx.Bucket(bProviders), tx.Bucket(bProvidersSIRET)
		var old marketplace.Provider
		if err := get(b, p.ID, &old); err != nil {
			return fmt.Errorf("provider %s: %w", p.ID, err)
		}
		if !old.UpdatedAt.Equal(ifUpdatedAt) {
			return fmt.Errorf("provider %s changed meanwhile: %w", p.ID, marketplace.ErrConflict)
		}
		if old.SIRET != p.SIRET {
			if bs.Get([]byte(p.SIRET)) != nil {
				return fmt.Errorf("SIRET %s is already registered: %w", p.SIRET, marketplace.ErrConflict)
			}
			if err := bs.Delete([]byte(old.SIRET)); err != nil {
				return err
			}
			if err := bs.Put([]byte(p.SIRET), []byte(p.ID)); err != nil {
				return err
			}
		}
		return put(b, p.ID, p)
	})
}

// Providers implements marketplace.ProviderStore.
func (s *Store) Providers(ctx context.Context, page marketplace.Page) ([]marketplace.Provider, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	var out []marketplace.Provider
	next := ""
	err = s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bProviders).Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(out) == n {
				next = marketplace.EncodeCursor(out[n-1].ID)
				return nil
			}
			var p marketplace.Provider
			if err := jsonUnmarshal(v, &p); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, next, err
}

// offerIndexes lists, for an offer, each secondary index and its value.
func offerIndexes(o marketplace.Offer) [][2][]byte {
	return [][2][]byte{
		{bIdxProvider, idxKey(o.ProviderID, o.ID)},
		{bIdxRegion, idxKey(o.Region, o.ID)},
		{bIdxDepartment, idxKey(o.Department, o.ID)},
		{bIdxCert, idxKey(o.Certification.Code, o.ID)},
		{bIdxStatus, idxKey(string(o.Status), o.ID)},
	}
}

func putOffer(tx *bbolt.Tx, o marketplace.Offer, old *marketplace.Offer) error {
	if old != nil {
		for _, ix := range offerIndexes(*old) {
			if err := tx.Bucket(ix[0]).Delete(ix[1]); err != nil {
				return err
			}
		}
	}
	for _, ix := range offerIndexes(o) {
		if err := tx.Bucket(ix[0]).Put(ix[1], nil); err != nil {
			return err
		}
	}
	return put(tx.Bucket(bOffers), o.ID, o)
}

// CreateOffer implements marketplace.OfferStore.
func (s *Store) CreateOffer(ctx context.Context, o marketplace.Offer) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bOffers).Get([]byte(o.ID)) != nil {
			return fmt.Errorf("offer %s: %w", o.ID, marketplace.ErrConflict)
		}
		return putOffer(tx, o, nil)
	})
}

// Offer implements marketplace.OfferStore.
func (s *Store) Offer(ctx context.Context, id string) (marketplace.Offer, error) {
	var o marketplace.Offer
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bOffers), id, &o) })
	if err != nil {
		return marketplace.Offer{}, fmt.Errorf("offer %s: %w", id, err)
	}
	return o, nil
}

// UpdateOffer implements marketplace.OfferStore.
func (s *Store) UpdateOffer(ctx context.Context, o marketplace.Offer, ifUpdatedAt time.Time) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		var old marketplace.Offer
		if err := get(tx.Bucket(bOffers), o.ID, &old); err != nil {
			return fmt.Errorf("offer %s: %w", o.ID, err)
		}
		if !old.UpdatedAt.Equal(ifUpdatedAt) {
			return fmt.Errorf("offer %s changed meanwhile: %w", o.ID, marketplace.ErrConflict)
		}
		return putOffer(tx, o, &old)
	})
}

// DeleteOffer implements marketplace.OfferStore.
func (s *Store) DeleteOffer(ctx context.Context, id string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		var old marketplace.Offer
		if err := get(tx.Bucket(bOffers), id, &old); err != nil {
			return fmt.Errorf("offer %s: %w", id, err)
		}
		for _, ix := range offerIndexes(old) {
			if err := tx.Bucket(ix[0]).Delete(ix[1]); err != nil {
				return err
			}
		}
		if err := deletePrefix(tx.Bucket(bSessions), []byte(id+"\x00")); err != nil {
			return err
		}
		return tx.Bucket(bOffers).Delete([]byte(id))
	})
}

func deletePrefix(b *bbolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// chooseIndex picks the secondary index that narrows f the most: the
// provider and certification are usually rarer than a department, a
// department rarer than a region, a region rarer than a status.
func chooseIndex(f marketplace.OfferFilter) ([]byte, string) {
	switch {
	case f.ProviderID != "":
		return bIdxProvider, f.ProviderID
	case f.Certification != "":
		return bIdxCert, f.Certification
	case f.Department != "":
		return bIdxDepartment, f.Department
	case f.Region != "":
		return bIdxRegion, f.Region
	case f.Status != "":
		return bIdxStatus, string(f.Status)
	}
	return nil, ""
}

func matches(o marketplace.Offer, f marketplace.OfferFilter) bool {
	return (f.ProviderID == "" || o.ProviderID == f.ProviderID) &&
		(f.Region == "" || o.Region == f.Region) &&
		(f.Department == "" || o.Department == f.Department) &&
		(f.Certification == "" || o.Certification.Code == f.Certification) &&
		(f.Status == "" || o.Status == f.Status)
}

// scanOffers calls fn for each offer matching f with ID after "after", in ID
// order, until fn returns false.
func scanOffers(tx *bbolt.Tx, f marketplace.OfferFilter, after string, fn func(marketplace.Offer) (bool, error)) error {
	offers := tx.Bucket(bOffers)
	idx, value := chooseIndex(f)
	if idx == nil {
		c := offers.Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			var o marketplace.Offer
			if err := jsonUnmarshal(v, &o); err != nil {
				return err
			}
			if more, err := fn(o); err != nil || !more {
				return err
			}
		}
		return nil
	}
	prefix := []byte(value + "\x00")
	c := tx.Bucket(idx).Cursor()
	k, _ := c.Seek(prefix)
	if after != "" {
		start := idxKey(value, after)
		k, _ = c.Seek(start)
		if k != nil && bytes.Equal(k, start) {
			k, _ = c.Next()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		v := offers.Get(k[len(prefix):])
		if v == nil {
			return fmt.Errorf("index %s names missing offer %s", idx, k[len(prefix):])
		}
		var o marketplace.Offer
		if err := jsonUnmarshal(v, &o); err != nil {
			return err
		}
		if !matches(o, f) {
			continue
		}
		if more, err := fn(o); err != nil || !more {
			return err
		}
	}
	return nil
}

// Offers implements marketplace.OfferStore.
func (s *Store) Offers(ctx context.Context, f marketplace.OfferFilter, page marketplace.Page) ([]marketplace.Offer, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	var out []marketplace.Offer
	next := ""
	err = s.db.View(func(tx *bbolt.Tx) error {
		return scanOffers(tx, f, after, func(o marketplace.Offer) (bool, error) {
			if len(out) == n {
				next = marketplace.EncodeCursor(out[n-1].ID)
				return false, nil
			}
			out = append(out, o)
			return true, ctx.Err()
		})
	})
	return out, next, err
}

// CountOffers implements marketplace.OfferStore.
func (s *Store) CountOffers(ctx context.Context, f marketplace.OfferFilter) (int, error) {
	n := 0
	err := s.db.View(func(tx *bbolt.Tx) error {
		if f == (marketplace.OfferFilter{}) {
			n = tx.Bucket(bOffers).Stats().KeyN
			return nil
		}
		return scanOffers(tx, f, "", func(marketplace.Offer) (bool, error) {
			n++
			return true, nil
		})
	})
	return n, err
}

// CreateSession implements marketplace.OfferStore.
func (s *Store) CreateSession(ctx context.Context, ss marketplace.Session) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bOffers).Get([]byte(ss.OfferID)) == nil {
			return fmt.Errorf("offer %s: %w", ss.OfferID, marketplace.ErrNotFound)
		}
		b := tx.Bucket(bSessions)
		key := ss.OfferID + "\x00" + ss.ID
		if b.Get([]byte(key)) != nil {
			return fmt.Errorf("session %s: %w", ss.ID, marketplace.ErrConflict)
		}
		return put(b, key, ss)
	})
}

// Sessions implements marketplace.OfferStore.
func (s *Store) Sessions(ctx context.Context, offerID string) ([]marketplace.Session, error) {
	var out []marketplace.Session
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := []byte(offerID + "\x00")
		c := tx.Bucket(bSessions).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var ss marketplace.Session
			if err := jsonUnmarshal(v, &ss); err != nil {
				return err
			}
			out = append(out, ss)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, err
}

// DeleteSession implements marketplace.OfferStore.
func (s *Store) DeleteSession(ctx context.Context, offerID, sessionID string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bSessions)
		key := []byte(offerID + "\x00" + sessionID)
		if b.Get(key) == nil {
			return fmt.Errorf("session %s: %w", sessionID, marketplace.ErrNotFound)
		}
		return b.Delete(key)
	})
}

// loadBatch bounds the records written in one transaction of LoadCatalogue,
// so that a large import does not hold one huge dirty transaction in memory.
const loadBatch = 5000

// LoadCatalogue implements marketplace.Loader.
func (s *Store) LoadCatalogue(ctx context.Context, cat marketplace.Catalogue) error {
	for i := 0; i < len(cat.Providers); i += loadBatch {
		batch := cat.Providers[i:min(i+loadBatch, len(cat.Providers))]
		err := s.db.Update(func(tx *bbolt.Tx) error {
			b, bs := tx.Bucket(bProviders), tx.Bucket(bProvidersSIRET)
			for _, p := range batch {
				if id := bs.Get([]byte(p.SIRET)); id != nil && string(id) != p.ID {
					return fmt.Errorf("SIRET %s is already registered to provider %s: %w", p.SIRET, id, marketplace.ErrConflict)
				}
				var old marketplace.Provider
				if get(b, p.ID, &old) == nil && old.SIRET != p.SIRET {
					if err := bs.Delete([]byte(old.SIRET)); err != nil {
						return err
					}
				}
				if err := bs.Put([]byte(p.SIRET), []byte(p.ID)); err != nil {
					return err
				}
				if err := put(b, p.ID, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := 0; i < len(cat.Offers); i += loadBatch {
		batch := cat.Offers[i:min(i+loadBatch, len(cat.Offers))]
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for _, o := range batch {
				var old marketplace.Offer
				var prev *marketplace.Offer
				if get(tx.Bucket(bOffers), o.ID, &old) == nil {
					prev = &old
				}
				if err := putOffer(tx, o, prev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := 0; i < len(cat.Sessions); i += loadBatch {
		batch := cat.Sessions[i:min(i+loadBatch, len(cat.Sessions))]
		err := s.db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bSessions)
			for _, ss := range batch {
				if tx.Bucket(bOffers).Get([]byte(ss.OfferID)) == nil {
					return fmt.Errorf("session %s names missing offer %s: %w", ss.ID, ss.OfferID, marketplace.ErrNotFound)
				}
				if err := put(b, ss.OfferID+"\x00"+ss.ID, ss); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
