package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

var (
	_ controls.Store          = (*Store)(nil)
	_ controls.DossierScanner = (*Store)(nil)
)

// Buckets of the controls. Index keys are joined by \x00.
var (
	bCtlAlerts      = []byte("ctl_alerts")      // id -> alert
	bCtlRank        = []byte("ctl_alerts_rank") // status, rank, id -> nil
	bCtlAlertsBy    = []byte("ctl_alerts_by")   // "p"|"a"|"o", subject id, alert id -> nil
	bCtlActions     = []byte("ctl_actions")     // alert id, time, action id -> action
	bCtlActionIDs   = []byte("ctl_action_ids")  // action id -> nil
	bCtlSuspensions = []byte("ctl_suspensions") // provider id -> suspension
	bCtlSignals     = []byte("ctl_signals")     // time, id -> signal
	bCtlSigAccount  = []byte("ctl_sig_account") // account, time, id -> nil
	bCtlSigOrigin   = []byte("ctl_sig_origin")  // "ip"|"device", value, time, id -> account
	bCtlSigIDs      = []byte("ctl_sig_ids")     // id -> time key
	controlsBuckets = [][]byte{bCtlAlerts, bCtlRank, bCtlAlertsBy, bCtlActions, bCtlActionIDs, bCtlSuspensions, bCtlSignals, bCtlSigAccount, bCtlSigOrigin, bCtlSigIDs}
)

// The controls' buckets are created with the enrolment's, by init in
// bolt.go, which reads enrolmentBuckets after package initialisation.
func init() { enrolmentBuckets = append(enrolmentBuckets, controlsBuckets...) }

func ctlKey(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

func alertIndexKeys(a controls.Alert) [][]byte {
	var ks [][]byte
	if a.ProviderID != "" {
		ks = append(ks, ctlKey("p", a.ProviderID, a.ID))
	}
	if a.AccountID != "" {
		ks = append(ks, ctlKey("a", a.AccountID, a.ID))
	}
	if a.OfferID != "" {
		ks = append(ks, ctlKey("o", a.OfferID, a.ID))
	}
	return ks
}

// SaveAlert implements controls.Store.
func (s *Store) SaveAlert(ctx context.Context, a controls.Alert, ifVersion int64) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bCtlAlerts)
		var old controls.Alert
		err := get(b, a.ID, &old)
		switch {
		case err == marketplace.ErrNotFound && ifVersion != 0:
			return fmt.Errorf("alert %s: %w", a.ID, marketplace.ErrStale)
		case err == marketplace.ErrNotFound:
		case err != nil:
			return err
		case ifVersion == 0:
			return fmt.Errorf("alert %s exists: %w", a.ID, marketplace.ErrConflict)
		case old.Version != ifVersion:
			return fmt.Errorf("alert %s: %w", a.ID, marketplace.ErrStale)
		default:
			if err := tx.Bucket(bCtlRank).Delete(ctlKey(string(old.Status), controls.RankKey(old.Score), old.ID)); err != nil {
				return err
			}
			for _, k := range alertIndexKeys(old) {
				if err := tx.Bucket(bCtlAlertsBy).Delete(k); err != nil {
					return err
				}
			}
		}
		if err := put(b, a.ID, a); err != nil {
			return err
		}
		if err := tx.Bucket(bCtlRank).Put(ctlKey(string(a.Status), controls.RankKey(a.Score), a.ID), nil); err != nil {
			return err
		}
		for _, k := range alertIndexKeys(a) {
			if err := tx.Bucket(bCtlAlertsBy).Put(k, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// Alert implements controls.Store.
func (s *Store) Alert(ctx context.Context, id string) (controls.Alert, error) {
	var a controls.Alert
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bCtlAlerts), id, &a) })
	if err != nil {
		return a, fmt.Errorf("alert %s: %w", id, err)
	}
	return a, nil
}

// Alerts implements controls.Store: the queue by status walks the rank
// index; a subject's alerts (a history) are read through the subject
// index and sorted.
func (s *Store) Alerts(ctx context.Context, f controls.AlertFilter, page marketplace.Page) ([]controls.Alert, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	var out []controls.Alert
	match := func(a controls.Alert) bool {
		return (f.Status == "" || a.Status == f.Status) && (f.Detector == "" || a.Detector == f.Detector) &&
			(f.ProviderID == "" || a.ProviderID == f.ProviderID) && (f.AccountID == "" || a.AccountID == f.AccountID) &&
			(f.OfferID == "" || a.OfferID == f.OfferID)
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		ab := tx.Bucket(bCtlAlerts)
		var ids []string
		var prefix []byte
		switch {
		case f.ProviderID != "":
			prefix = ctlKey("p", f.ProviderID, "")
		case f.AccountID != "":
			prefix = ctlKey("a", f.AccountID, "")
		case f.OfferID != "":
			prefix = ctlKey("o", f.OfferID, "")
		}
		if prefix == nil && f.Status != "" {
			// The queue: already in rank order.
			c := tx.Bucket(bCtlRank).Cursor()
			p := ctlKey(string(f.Status), "")
			start := p
			if after != "" {
				rank, id, _ := strings.Cut(after, "|")
				start = append(ctlKey(string(f.Status), rank, id), 0)
			}
			for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
				id := string(k[bytes.LastIndexByte(k, 0)+1:])
				var a controls.Alert
				if err := get(ab, id, &a); err != nil {
					return err
				}
				if match(a) {
					out = append(out, a)
					if len(out) > n {
						break
					}
				}
			}
			return nil
		}
		if prefix != nil {
			c := tx.Bucket(bCtlAlertsBy).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				ids = append(ids, string(k[len(prefix):]))
			}
		} else {
			c := ab.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				ids = append(ids, string(k))
			}
		}
		var all []controls.Alert
		for _, id := range ids {
			var a controls.Alert
			if err := get(ab, id, &a); err != nil {
				return err
			}
			if match(a) {
				all = append(all, a)
			}
		}
		sort.Slice(all, func(i, j int) bool {
			ri, rj := controls.RankKey(all[i].Score), controls.RankKey(all[j].Score)
			return ri < rj || ri == rj && all[i].ID < all[j].ID
		})
		for _, a := range all {
			if after != "" && controls.RankKey(a.Score)+"|"+a.ID <= after {
				continue
			}
			out = append(out, a)
			if len(out) > n {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > n {
		out = out[:n]
		next = controls.QueueCursor(out[n-1])
	}
	return out, next, nil
}

// OpenOfferAlert implements controls.Store.
func (s *Store) OpenOfferAlert(ctx context.Context, offerID string) (bool, error) {
	found := false
	err := s.db.View(func(tx *bbolt.Tx) error {
		ab := tx.Bucket(bCtlAlerts)
		p := ctlKey("o", offerID, "")
		c := tx.Bucket(bCtlAlertsBy).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			var a controls.Alert
			if err := get(ab, string(k[len(p):]), &a); err != nil {
				return err
			}
			if a.Status == controls.Open {
				found = true
				return nil
			}
		}
		return nil
	})
	return found, err
}

// AddAction implements controls.Store.
func (s *Store) AddAction(ctx context.Context, a controls.Action) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		ids := tx.Bucket(bCtlActionIDs)
		if ids.Get([]byte(a.ID)) != nil {
			return fmt.Errorf("action %s: %w", a.ID, marketplace.ErrConflict)
		}
		if err := ids.Put([]byte(a.ID), nil); err != nil {
			return err
		}
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return tx.Bucket(bCtlActions).Put(ctlKey(a.AlertID, tkey(a.At), a.ID), data)
	})
}

// Actions implements controls.Store.
func (s *Store) Actions(ctx context.Context, alertID string) ([]controls.Action, error) {
	var out []controls.Action
	err := s.db.View(func(tx *bbolt.Tx) error {
		p := ctlKey(alertID, "")
		c := tx.Bucket(bCtlActions).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			var a controls.Action
			if err := jsonUnmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// PutSuspension implements controls.Store.
func (s *Store) PutSuspension(ctx context.Context, sp controls.Suspension) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return put(tx.Bucket(bCtlSuspensions), sp.ProviderID, sp) })
}

// DeleteSuspension implements controls.Store.
func (s *Store) DeleteSuspension(ctx context.Context, providerID string) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bCtlSuspensions).Delete([]byte(providerID)) })
}

// Suspension implements controls.Store.
func (s *Store) Suspension(ctx context.Context, providerID string) (controls.Suspension, error) {
	var sp controls.Suspension
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bCtlSuspensions), providerID, &sp) })
	if err != nil {
		return sp, fmt.Errorf("suspension of %s: %w", providerID, err)
	}
	return sp, nil
}

// AddSignal implements controls.Store.
func (s *Store) AddSignal(ctx context.Context, sg controls.Signal) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		ids := tx.Bucket(bCtlSigIDs)
		if ids.Get([]byte(sg.ID)) != nil {
			return nil
		}
		t := tkey(sg.At)
		if err := ids.Put([]byte(sg.ID), []byte(t)); err != nil {
			return err
		}
		if err := put(tx.Bucket(bCtlSignals), t+"\x00"+sg.ID, sg); err != nil {
			return err
		}
		if err := tx.Bucket(bCtlSigAccount).Put(ctlKey(sg.AccountID, t, sg.ID), nil); err != nil {
			return err
		}
		for _, o := range [][2]string{{"ip", sg.IP}, {"device", sg.Device}} {
			if o[1] == "" {
				continue
			}
			if err := tx.Bucket(bCtlSigOrigin).Put(ctlKey(o[0], o[1], t, sg.ID), []byte(sg.AccountID)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Signals implements controls.Store.
func (s *Store) Signals(ctx context.Context, accountID string, since time.Time) ([]controls.Signal, error) {
	var out []controls.Signal
	err := s.db.View(func(tx *bbolt.Tx) error {
		p := ctlKey(accountID, "")
		sb := tx.Bucket(bCtlSignals)
		c := tx.Bucket(bCtlSigAccount).Cursor()
		for k, _ := c.Seek(ctlKey(accountID, tkey(since))); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			rest := string(k[len(p):])
			var sg controls.Signal
			if err := get(sb, rest, &sg); err != nil {
				return err
			}
			out = append(out, sg)
		}
		return nil
	})
	return out, err
}

// AccountsFrom implements controls.Store.
func (s *Store) AccountsFrom(ctx context.Context, kind, value string, since time.Time, limit int) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		p := ctlKey(kind, value, "")
		c := tx.Bucket(bCtlSigOrigin).Cursor()
		for k, v := c.Seek(ctlKey(kind, value, tkey(since))); k != nil && bytes.HasPrefix(k, p) && len(out) < limit; k, v = c.Next() {
			if a := string(v); !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// PruneSignals implements controls.Store.
func (s *Store) PruneSignals(ctx context.Context, before time.Time) (int, error) {
	n := 0
	end := []byte(tkey(before))
	for {
		done := 0
		err := s.db.Update(func(tx *bbolt.Tx) error {
			sb := tx.Bucket(bCtlSignals)
			c := sb.Cursor()
			var dead [][]byte
			for k, _ := c.First(); k != nil && bytes.Compare(k, end) < 0 && len(dead) < 1000; k, _ = c.Next() {
				dead = append(dead, bytes.Clone(k))
			}
			for _, k := range dead {
				var sg controls.Signal
				if err := jsonUnmarshal(sb.Get(k), &sg); err != nil {
					return err
				}
				t := tkey(sg.At)
				for _, del := range []struct {
					b []byte
					k []byte
				}{{bCtlSignals, k}, {bCtlSigIDs, []byte(sg.ID)}, {bCtlSigAccount, ctlKey(sg.AccountID, t, sg.ID)},
					{bCtlSigOrigin, ctlKey("ip", sg.IP, t, sg.ID)}, {bCtlSigOrigin, ctlKey("device", sg.Device, t, sg.ID)}} {
					if err := tx.Bucket(del.b).Delete(del.k); err != nil {
						return err
					}
				}
			}
			done = len(dead)
			return nil
		})
		if err != nil {
			return n, err
		}
		n += done
		if done == 0 {
			return n, nil
		}
	}
}

// EachDossier implements controls.DossierScanner and
// recommend.DossierScanner (in ID order), reading
// in batches so that a long scan does not hold one read transaction.
func (s *Store) EachDossier(ctx context.Context, fn func(marketplace.Dossier) error) error {
	return s.scanBucket(ctx, bDossiers, func(v []byte) error {
		var d marketplace.Dossier
		if err := jsonUnmarshal(v, &d); err != nil {
			return err
		}
		return fn(d)
	})
}

// EachEvaluation implements controls.DossierScanner.
func (s *Store) EachEvaluation(ctx context.Context, fn func(marketplace.Evaluation) error) error {
	return s.scanBucket(ctx, bEvaluations, func(v []byte) error {
		var e marketplace.Evaluation
		if err := jsonUnmarshal(v, &e); err != nil {
			return err
		}
		return fn(e)
	})
}
