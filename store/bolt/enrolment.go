package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/marketplace"
)

var _ marketplace.EnrolmentStore = (*Store)(nil)
var _ marketplace.LedgerAuditor = (*Store)(nil)

// Buckets of accounts, the ledger and dossiers. Index buckets map
// "<value>\x00<id>" to nothing.
var (
	bAccounts        = []byte("accounts")
	bAccountsByNIR   = []byte("accounts_by_nir") // NIR HMAC -> account id
	bBalances        = []byte("balances")        // ledger account -> decimal cents
	bLedger          = []byte("ledger")          // 8-byte sequence -> entry
	bLedgerByAccount = []byte("ledger_by_account")
	bJournal         = []byte("journal") // idempotency key -> record
	bDossiers        = []byte("dossiers")
	bDossByAccount   = []byte("dossiers_by_account")
	bDossByProvider  = []byte("dossiers_by_provider")
	bDossDue         = []byte("dossiers_by_deadline") // "YYYY-MM-DD\x00<id>"
	bRules           = []byte("topup_rules")
	bEvaluations     = []byte("evaluations")
	bEvalByOffer     = []byte("evaluations_by_offer") // "<offer>\x00<at>\x00<dossier>"
	bRatings         = []byte("ratings")              // "offer:<id>" / "provider:<id>" -> sums
	bDeclarations    = []byte("declarations")         // "<account>\x00<year>\x00<siret>"
	enrolmentBuckets = [][]byte{bAccounts, bAccountsByNIR, bBalances, bLedger, bLedgerByAccount, bJournal, bDossiers,
		bDossByAccount, bDossByProvider, bDossDue, bRules, bEvaluations, bEvalByOffer, bRatings, bDeclarations}
)

// CreateAccount implements marketplace.EnrolmentStore.
func (s *Store) CreateAccount(ctx context.Context, a marketplace.Account) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b, bn := tx.Bucket(bAccounts), tx.Bucket(bAccountsByNIR)
		if b.Get([]byte(a.ID)) != nil || bn.Get([]byte(a.NIRHash)) != nil {
			return fmt.Errorf("account %s: %w", a.ID, marketplace.ErrConflict)
		}
		if err := bn.Put([]byte(a.NIRHash), []byte(a.ID)); err != nil {
			return err
		}
		return put(b, a.ID, a)
	})
}

// Account implements marketplace.EnrolmentStore.
func (s *Store) Account(ctx context.Context, id string) (marketplace.Account, error) {
	var a marketplace.Account
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bAccounts), id, &a) })
	if err != nil {
		return a, fmt.Errorf("account %s: %w", id, err)
	}
	return a, nil
}

// AccountByNIR implements marketplace.EnrolmentStore.
func (s *Store) AccountByNIR(ctx context.Context, hash string) (marketplace.Account, error) {
	var a marketplace.Account
	err := s.db.View(func(tx *bbolt.Tx) error {
		id := tx.Bucket(bAccountsByNIR).Get([]byte(hash))
		if id == nil {
			return marketplace.ErrNotFound
		}
		return get(tx.Bucket(bAccounts), string(id), &a)
	})
	if err != nil {
		return a, fmt.Errorf("account by NIR: %w", err)
	}
	return a, nil
}

func balance(b *bbolt.Bucket, acct marketplace.LedgerAccount) int64 {
	v := b.Get([]byte(acct))
	if v == nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(v), 10, 64)
	return n
}

func seqKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

func dueKey(d marketplace.Dossier) []byte {
	if d.Deadline.IsZero() {
		return nil
	}
	return idxKey(d.Deadline.Format(time.DateOnly), d.ID)
}

// Apply implements marketplace.EnrolmentStore. Operations are committed
// by one goroutine in groups: each commit takes every operation that
// arrived while the previous one was syncing, so that concurrent clients
// share fsyncs without waiting on a timer (see group.go). Within a group,
// operations apply in arrival order, each seeing the ones before it.
func (s *Store) Apply(ctx context.Context, op marketplace.Op) (bool, error) {
	if op.Key == "" {
		return false, fmt.Errorf("an operation needs an idempotency key")
	}
	if err := marketplace.CheckPostings(op.Postings); err != nil {
		var v marketplace.ValidationError
		v.Add("postings", "%s", err.Error())
		return false, &v
	}
	return s.group.apply(op)
}

// applyOp applies one operation in tx. It checks everything first and
// writes only when every check passed, so that an operation refused for a
// domain reason leaves the transaction as it found it and the other
// operations of its group commit.
func applyOp(tx *bbolt.Tx, op marketplace.Op) (bool, error) {
	jb := tx.Bucket(bJournal)
	if v := jb.Get([]byte(op.Key)); v != nil {
		var rec journalRecord
		if err := jsonUnmarshal(v, &rec); err != nil {
			return false, err
		}
		if rec.Fingerprint != op.Fingerprint {
			return false, marketplace.ErrIdempotencyMismatch
		}
		return false, nil
	}
	// Checks.
	var old *marketplace.Dossier
	if d := op.Dossier; d != nil {
		var err error
		if old, err = checkDossier(tx, *d, op.IfVersion); err != nil {
			return false, err
		}
	}
	if err := marketplace.CheckHeldCapture(op, old); err != nil {
		return false, err
	}
	balances, err := checkPostings(tx, op)
	if err != nil {
		return false, err
	}
	if e := op.Evaluation; e != nil && tx.Bucket(bEvaluations).Get([]byte(e.DossierID)) != nil {
		return false, fmt.Errorf("dossier %s is already evaluated: %w", e.DossierID, marketplace.ErrConflict)
	}
	// Writes.
	rec := newJournalRecord(marketplace.JournalRecord{Fingerprint: op.Fingerprint, At: op.At, Status: op.Status, Body: op.Body})
	dossierID := ""
	if d := op.Dossier; d != nil {
		dossierID, rec.DossierID = d.ID, d.ID
		if err := writeDossier(tx, *d, old); err != nil {
			return false, err
		}
	}
	if err := writePostings(tx, op, balances, dossierID); err != nil {
		return false, err
	}
	if e := op.Evaluation; e != nil {
		if err := putEvaluation(tx, *e); err != nil {
			return false, err
		}
	}
	return true, put(jb, op.Key, rec)
}

// checkDossier checks a dossier write against the stored version and
// returns the stored dossier (nil for a creation).
func checkDossier(tx *bbolt.Tx, d marketplace.Dossier, ifVersion int64) (*marketplace.Dossier, error) {
	var old marketplace.Dossier
	switch err := get(tx.Bucket(bDossiers), d.ID, &old); {
	case err == marketplace.ErrNotFound:
		if ifVersion != 0 {
			return nil, fmt.Errorf("dossier %s: %w", d.ID, marketplace.ErrNotFound)
		}
		return nil, nil
	case err != nil:
		return nil, err
	case ifVersion == 0:
		return nil, fmt.Errorf("dossier %s exists: %w", d.ID, marketplace.ErrConflict)
	case old.Version != ifVersion:
		return nil, fmt.Errorf("dossier %s: %w", d.ID, marketplace.ErrStale)
	case old.AccountID != d.AccountID || old.ProviderID != d.ProviderID:
		return nil, fmt.Errorf("dossier %s cannot change hands", d.ID)
	}
	return &old, nil
}

func writeDossier(tx *bbolt.Tx, d marketplace.Dossier, old *marketplace.Dossier) error {
	if old == nil {
		if err := tx.Bucket(bDossByAccount).Put(idxKey(d.AccountID, d.ID), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bDossByProvider).Put(idxKey(d.ProviderID, d.ID), nil); err != nil {
			return err
		}
	} else if k := dueKey(*old); k != nil {
		if err := tx.Bucket(bDossDue).Delete(k); err != nil {
			return err
		}
	}
	if k := dueKey(d); k != nil {
		if err := tx.Bucket(bDossDue).Put(k, nil); err != nil {
			return err
		}
	}
	return put(tx.Bucket(bDossiers), d.ID, d)
}

// checkPostings returns the balances after the postings, refusing any
// non-source account below zero or above its cap.
func checkPostings(tx *bbolt.Tx, op marketplace.Op) ([]int64, error) {
	bb := tx.Bucket(bBalances)
	out := make([]int64, len(op.Postings))
	for i, p := range op.Postings {
		bal := balance(bb, p.Account) + p.Cents
		if bal < 0 && !p.Account.IsSource() {
			return nil, fmt.Errorf("%w: %s would be %d cents", marketplace.ErrInsufficientBalance, p.Account.Kind(), bal)
		}
		if limit, ok := op.MaxBalance[p.Account]; ok && bal > limit {
			return nil, fmt.Errorf("%s would be %d cents, above its cap of %d: %w", p.Account.Kind(), bal, limit, marketplace.ErrConflict)
		}
		out[i] = bal
	}
	return out, nil
}

func writePostings(tx *bbolt.Tx, op marketplace.Op, balances []int64, dossierID string) error {
	bb, lb, ib := tx.Bucket(bBalances), tx.Bucket(bLedger), tx.Bucket(bLedgerByAccount)
	for i, p := range op.Postings {
		if err := bb.Put([]byte(p.Account), []byte(strconv.FormatInt(balances[i], 10))); err != nil {
			return err
		}
		seq, err := lb.NextSequence()
		if err != nil {
			return err
		}
		e := marketplace.Entry{Seq: seq, TxKey: op.Key, Account: p.Account, Cents: p.Cents, Balance: balances[i], Kind: op.Kind, DossierID: dossierID, At: op.At}
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := lb.Put(seqKey(seq), data); err != nil {
			return err
		}
		if err := ib.Put(append([]byte(string(p.Account)+"\x00"), seqKey(seq)...), nil); err != nil {
			return err
		}
	}
	return nil
}

func putEvaluation(tx *bbolt.Tx, e marketplace.Evaluation) error {
	if err := put(tx.Bucket(bEvaluations), e.DossierID, e); err != nil {
		return err
	}
	if err := tx.Bucket(bEvalByOffer).Put([]byte(e.OfferID+"\x00"+e.At.UTC().Format(time.RFC3339Nano)+"\x00"+e.DossierID), nil); err != nil {
		return err
	}
	rb := tx.Bucket(bRatings)
	for _, subject := range []string{"offer:" + e.OfferID, "provider:" + e.ProviderID} {
		var r marketplace.Ratings
		if err := get(rb, subject, &r); err != nil && err != marketplace.ErrNotFound {
			return err
		}
		r.Add(e)
		if err := put(rb, subject, r); err != nil {
			return err
		}
	}
	return nil
}

// Balances implements marketplace.EnrolmentStore.
func (s *Store) Balances(ctx context.Context, accounts ...marketplace.LedgerAccount) (map[marketplace.LedgerAccount]int64, error) {
	out := make(map[marketplace.LedgerAccount]int64, len(accounts))
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bBalances)
		for _, a := range accounts {
			out[a] = balance(b, a)
		}
		return nil
	})
	return out, err
}

// Entries implements marketplace.EnrolmentStore.
func (s *Store) Entries(ctx context.Context, acct marketplace.LedgerAccount, page marketplace.Page) ([]marketplace.Entry, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	prefix := []byte(string(acct) + "\x00")
	var out []marketplace.Entry
	next := ""
	err = s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bLedgerByAccount).Cursor()
		lb := tx.Bucket(bLedger)
		var k []byte
		if after != "" {
			seq, err := strconv.ParseUint(after, 10, 64)
			if err != nil {
				return nil
			}
			c.Seek(append(append([]byte{}, prefix...), seqKey(seq)...))
			k, _ = c.Prev()
		} else {
			// Last key with the prefix: seek just past it.
			end := append(append([]byte{}, prefix[:len(prefix)-1]...), 1)
			if k, _ = c.Seek(end); k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if len(out) == n {
				next = marketplace.EncodeCursor(strconv.FormatUint(out[n-1].Seq, 10))
				return nil
			}
			var e marketplace.Entry
			if err := jsonUnmarshal(lb.Get(k[len(prefix):]), &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, next, err
}

// journalRecord is a JournalRecord as stored: a JSON response body is
// kept as JSON rather than base64, a third smaller, since every money
// request writes one.
type journalRecord struct {
	Fingerprint string          `json:"f"`
	DossierID   string          `json:"d,omitempty"`
	At          time.Time       `json:"t"`
	Status      int             `json:"s,omitempty"`
	JSON        json.RawMessage `json:"j,omitempty"`
	Raw         []byte          `json:"r,omitempty"` // a body that is not JSON
}

func newJournalRecord(r marketplace.JournalRecord) journalRecord {
	out := journalRecord{Fingerprint: r.Fingerprint, DossierID: r.DossierID, At: r.At, Status: r.Status}
	if len(r.Body) > 0 && json.Valid(r.Body) {
		out.JSON = r.Body
	} else {
		out.Raw = r.Body
	}
	return out
}

func (r journalRecord) record(key string) marketplace.JournalRecord {
	body := []byte(r.JSON)
	if len(body) == 0 {
		body = r.Raw
	}
	return marketplace.JournalRecord{Key: key, Fingerprint: r.Fingerprint, DossierID: r.DossierID, At: r.At, Status: r.Status, Body: body}
}

// Journal implements marketplace.EnrolmentStore.
func (s *Store) Journal(ctx context.Context, key string) (marketplace.JournalRecord, error) {
	var rec journalRecord
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bJournal), key, &rec) })
	if err != nil {
		return marketplace.JournalRecord{}, err
	}
	return rec.record(key), nil
}

// SaveResponse implements marketplace.EnrolmentStore.
func (s *Store) SaveResponse(ctx context.Context, key, fingerprint string, status int, body []byte) error {
	return s.db.Batch(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bJournal)
		stored := journalRecord{Fingerprint: fingerprint, At: time.Now().UTC()}
		if err := get(b, key, &stored); err != nil && err != marketplace.ErrNotFound {
			return err
		}
		if stored.Fingerprint != fingerprint {
			return marketplace.ErrIdempotencyMismatch
		}
		rec := stored.record(key)
		rec.Status, rec.Body = status, body
		return put(b, key, newJournalRecord(rec))
	})
}

// Dossier implements marketplace.EnrolmentStore.
func (s *Store) Dossier(ctx context.Context, id string) (marketplace.Dossier, error) {
	var d marketplace.Dossier
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bDossiers), id, &d) })
	if err != nil {
		return d, fmt.Errorf("dossier %s: %w", id, err)
	}
	return d, nil
}

// Dossiers implements marketplace.EnrolmentStore.
func (s *Store) Dossiers(ctx context.Context, f marketplace.DossierFilter, page marketplace.Page) ([]marketplace.Dossier, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	idx, value := bDossByAccount, f.AccountID
	if value == "" {
		idx, value = bDossByProvider, f.ProviderID
	}
	prefix := []byte(value + "\x00")
	var out []marketplace.Dossier
	next := ""
	err = s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(idx).Cursor()
		db := tx.Bucket(bDossiers)
		k, _ := c.Seek(prefix)
		if after != "" {
			k, _ = c.Seek(idxKey(value, after))
			if k != nil && string(k) == string(idxKey(value, after)) {
				k, _ = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var d marketplace.Dossier
			if err := jsonUnmarshal(db.Get(k[len(prefix):]), &d); err != nil {
				return err
			}
			if f.State != "" && d.State != f.State {
				continue
			}
			if f.AccountID != "" && f.ProviderID != "" && d.ProviderID != f.ProviderID {
				continue
			}
			if len(out) == n {
				next = marketplace.EncodeCursor(out[n-1].ID)
				return nil
			}
			out = append(out, d)
		}
		return nil
	})
	return out, next, err
}

// DueDossiers implements marketplace.EnrolmentStore.
func (s *Store) DueDossiers(ctx context.Context, day time.Time, n int) ([]marketplace.Dossier, error) {
	var out []marketplace.Dossier
	last := []byte(day.Format(time.DateOnly) + "\x01")
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bDossDue).Cursor()
		db := tx.Bucket(bDossiers)
		for k, _ := c.First(); k != nil && bytes.Compare(k, last) < 0 && len(out) < n; k, _ = c.Next() {
			id := k[bytes.IndexByte(k, 0)+1:]
			var d marketplace.Dossier
			if err := jsonUnmarshal(db.Get(id), &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// CreateRule implements marketplace.EnrolmentStore.
func (s *Store) CreateRule(ctx context.Context, r marketplace.TopUpRule) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRules)
		if b.Get([]byte(r.ID)) != nil {
			return fmt.Errorf("rule %s: %w", r.ID, marketplace.ErrConflict)
		}
		return put(b, r.ID, r)
	})
}

// Rule implements marketplace.EnrolmentStore.
func (s *Store) Rule(ctx context.Context, id string) (marketplace.TopUpRule, error) {
	var r marketplace.TopUpRule
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bRules), id, &r) })
	if err != nil {
		return r, fmt.Errorf("rule %s: %w", id, err)
	}
	return r, nil
}

// Rules implements marketplace.EnrolmentStore. Rules are few (one per
// funder programme), so they are scanned.
func (s *Store) Rules(ctx context.Context, funderID string) ([]marketplace.TopUpRule, error) {
	var out []marketplace.TopUpRule
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bRules).ForEach(func(k, v []byte) error {
			var r marketplace.TopUpRule
			if err := jsonUnmarshal(v, &r); err != nil {
				return err
			}
			if funderID == "" || r.FunderID == funderID {
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}

// Evaluation implements marketplace.EnrolmentStore.
func (s *Store) Evaluation(ctx context.Context, dossierID string) (marketplace.Evaluation, error) {
	var e marketplace.Evaluation
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx.Bucket(bEvaluations), dossierID, &e) })
	return e, err
}

// Evaluations implements marketplace.EnrolmentStore.
func (s *Store) Evaluations(ctx context.Context, offerID string, n int) ([]marketplace.Evaluation, error) {
	var out []marketplace.Evaluation
	prefix := []byte(offerID + "\x00")
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bEvalByOffer).Cursor()
		eb := tx.Bucket(bEvaluations)
		k, _ := c.Seek(append(append([]byte{}, prefix[:len(prefix)-1]...), 1))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < n; k, _ = c.Prev() {
			id := k[bytes.LastIndexByte(k, 0)+1:]
			var e marketplace.Evaluation
			if err := jsonUnmarshal(eb.Get(id), &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// SetCommentHidden implements marketplace.EnrolmentStore.
func (s *Store) SetCommentHidden(ctx context.Context, dossierID string, hidden bool) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bEvaluations)
		var e marketplace.Evaluation
		if err := get(b, dossierID, &e); err != nil {
			return fmt.Errorf("evaluation of %s: %w", dossierID, err)
		}
		e.CommentHidden = hidden
		return put(b, dossierID, e)
	})
}

// Ratings implements marketplace.EnrolmentStore.
func (s *Store) Ratings(ctx context.Context, subject string) (marketplace.Ratings, error) {
	var r marketplace.Ratings
	err := s.db.View(func(tx *bbolt.Tx) error {
		if err := get(tx.Bucket(bRatings), subject, &r); err != marketplace.ErrNotFound {
			return err
		}
		return nil
	})
	return r, err
}

func declKey(d marketplace.Declaration) []byte {
	return []byte(fmt.Sprintf("%s\x00%04d\x00%s", d.AccountID, d.Year, d.EmployerSIRET))
}

// SaveDeclarations implements marketplace.EnrolmentStore.
func (s *Store) SaveDeclarations(ctx context.Context, ds []marketplace.Declaration) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bDeclarations)
		for _, d := range ds {
			data, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if err := b.Put(declKey(d), data); err != nil {
				return err
			}
		}
		return nil
	})
}

// EachDeclarationYear implements marketplace.EnrolmentStore. The walk runs
// over a snapshot, so fn may write.
func (s *Store) EachDeclarationYear(ctx context.Context, fn func(accountID string, year int, ds []marketplace.Declaration) error) error {
	type group struct {
		account string
		year    int
		ds      []marketplace.Declaration
	}
	var groups []group
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bDeclarations).ForEach(func(k, v []byte) error {
			var d marketplace.Declaration
			if err := jsonUnmarshal(v, &d); err != nil {
				return err
			}
			if n := len(groups); n > 0 && groups[n-1].account == d.AccountID && groups[n-1].year == d.Year {
				groups[n-1].ds = append(groups[n-1].ds, d)
				return nil
			}
			groups = append(groups, group{d.AccountID, d.Year, []marketplace.Declaration{d}})
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(g.account, g.year, g.ds); err != nil {
			return err
		}
	}
	return nil
}

// AuditLedger implements marketplace.LedgerAuditor.
func (s *Store) AuditLedger(ctx context.Context) (balances, fromEntries map[marketplace.LedgerAccount]int64, err error) {
	balances, fromEntries = map[marketplace.LedgerAccount]int64{}, map[marketplace.LedgerAccount]int64{}
	err = s.db.View(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bBalances).ForEach(func(k, v []byte) error {
			n, err := strconv.ParseInt(string(v), 10, 64)
			balances[marketplace.LedgerAccount(k)] = n
			return err
		}); err != nil {
			return err
		}
		return tx.Bucket(bLedger).ForEach(func(k, v []byte) error {
			var e marketplace.Entry
			if err := jsonUnmarshal(v, &e); err != nil {
				return err
			}
			fromEntries[e.Account] += e.Cents
			return nil
		})
	})
	return balances, fromEntries, err
}
