package mongo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
)

var (
	_ marketplace.EnrolmentStore = (*Store)(nil)
	_ marketplace.LedgerAuditor  = (*Store)(nil)
)

// CreateAccount implements marketplace.EnrolmentStore; the unique index on
// the NIR hash refuses a second account for one person.
func (s *Store) CreateAccount(ctx context.Context, a marketplace.Account) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cAccounts).InsertOne(ctx, bson.M{"_id": a.ID, "nir": a.NIRHash, "j": encode(a)})
	if err != nil {
		return fmt.Errorf("account %s: %w", a.ID, translate(err))
	}
	return nil
}

// Account implements marketplace.EnrolmentStore.
func (s *Store) Account(ctx context.Context, id string) (marketplace.Account, error) {
	var a marketplace.Account
	if err := s.findOne(ctx, cAccounts, bson.M{"_id": id}, &a); err != nil {
		return a, fmt.Errorf("account %s: %w", id, err)
	}
	return a, nil
}

// AccountByNIR implements marketplace.EnrolmentStore.
func (s *Store) AccountByNIR(ctx context.Context, hash string) (marketplace.Account, error) {
	var a marketplace.Account
	if err := s.findOne(ctx, cAccounts, bson.M{"nir": hash}, &a); err != nil {
		return a, fmt.Errorf("account by NIR: %w", err)
	}
	return a, nil
}

// journalDoc is an idempotency key's record. State "pending" means the
// operation in Op is being applied (or was, by a process that crashed);
// "done" that it was. A refused operation's record is deleted, as the
// embedded backend writes none.
type journalDoc struct {
	ID     string `bson:"_id"`
	F      string `bson:"f"`
	State  string `bson:"st"`
	At     string `bson:"at"` // wall clock of the last attempt, for recovery
	Op     []byte `bson:"op,omitempty"`
	Dossie string `bson:"d,omitempty"`
	OpAt   []byte `bson:"t,omitempty"`
	Status int    `bson:"s,omitempty"`
	Body   []byte `bson:"b,omitempty"`
}

const (
	statePending = "pending"
	stateDone    = "done"
)

// Apply implements marketplace.EnrolmentStore without multi-document
// transactions:
//
//  1. the whole operation is written to the journal under its key (unique
//     _id: a concurrent or repeated Apply of the key finds it there);
//  2. the dossier is written conditionally on its version, marked with
//     the key;
//  3. each posting is one conditional $inc on the account's balance
//     document: debits of non-source accounts are guarded by
//     {balance: {$gte: amount}}, capped credits by {balance: {$lte: ...}},
//     and every posting by {ops: {$ne: key}} while it pushes the key into
//     ops, so that applying it twice is a no-op; debits go first, so that
//     a refused operation only has to undo debits, which cannot fail;
//  4. the ledger entries and the evaluation are inserted under keys
//     derived from the operation's key;
//  5. the journal is marked done and the markers removed.
//
// A guard that fails undoes the postings already made and the dossier
// write, deletes the journal record and returns the same error as the
// embedded backend. A crash between 1 and 5 leaves a pending record that
// Recover finishes or undoes. Between 2 and 5 other readers may see the
// operation half applied (a dossier accepted before its hold is funded);
// the money invariant holds again once it completes.
func (s *Store) Apply(ctx context.Context, op marketplace.Op) (bool, error) {
	if op.Key == "" {
		return false, fmt.Errorf("an operation needs an idempotency key")
	}
	if err := marketplace.CheckPostings(op.Postings); err != nil {
		var v marketplace.ValidationError
		v.Add("postings", "%s", err.Error())
		return false, &v
	}
	for attempt := 0; ; attempt++ {
		cctx, cancel := s.ctx(ctx)
		j := journalDoc{ID: op.Key, F: op.Fingerprint, State: statePending, At: timeKey(time.Now()), Op: encode(op)}
		if op.Dossier != nil {
			j.Dossie = op.Dossier.ID
		}
		_, err := s.db.Collection(cJournal).InsertOne(cctx, j)
		cancel()
		if err == nil {
			break
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, translate(err)
		}
		done, err := s.waitJournal(ctx, op)
		if done || err != nil || attempt > 2 {
			return false, err
		}
		// The record went away: the other attempt was refused; try ours.
	}
	// From here the operation must run to its end even if the caller
	// gives up, or it would wait for Recover.
	run := context.WithoutCancel(ctx)
	if err := s.run(run, op); err != nil {
		if !isDomain(err) {
			return false, err // left pending: Recover will finish or undo it
		}
		dctx, cancel := s.ctx(run)
		defer cancel()
		if _, derr := s.db.Collection(cJournal).DeleteOne(dctx, bson.M{"_id": op.Key, "st": statePending}); derr != nil {
			return false, translate(derr)
		}
		return false, err
	}
	return true, s.finish(run, op)
}

// isDomain tells a refusal (nothing left to do) from a database failure.
func isDomain(err error) bool {
	return marketplace.Refused(err) || errors.Is(err, errChangeHands)
}

var errChangeHands = errors.New("a dossier cannot change hands")

// waitJournal waits for another Apply of op's key to finish: true when it
// did (a replay), false when its record went away (it was refused).
func (s *Store) waitJournal(ctx context.Context, op marketplace.Op) (bool, error) {
	for i := 0; ; i++ {
		var j journalDoc
		cctx, cancel := s.ctx(ctx)
		err := s.db.Collection(cJournal).FindOne(cctx, bson.M{"_id": op.Key}).Decode(&j)
		cancel()
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			return false, nil
		case err != nil:
			return false, translate(err)
		case j.F != op.Fingerprint:
			return false, marketplace.ErrIdempotencyMismatch
		case j.State == stateDone:
			return true, nil
		case i >= 100:
			return false, fmt.Errorf("operation %s is still being applied: %w", op.Key, marketplace.ErrConflict)
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type dossierDoc struct {
	ID  string `bson:"_id"`
	V   int64  `bson:"v"`
	K   string `bson:"k"`
	Acc string `bson:"acc"`
	Pro string `bson:"prov"`
	St  string `bson:"st"`
	Due string `bson:"due,omitempty"`
	J   []byte `bson:"j"`
}

func newDossierDoc(d marketplace.Dossier, key string) dossierDoc {
	doc := dossierDoc{ID: d.ID, V: d.Version, K: key, Acc: d.AccountID, Pro: d.ProviderID, St: string(d.State), J: encode(d)}
	if !d.Deadline.IsZero() {
		doc.Due = d.Deadline.Format(time.DateOnly)
	}
	return doc
}

// run applies op's steps; each is idempotent, so that Recover may run it
// again after a crash. On a refusal it undoes what it did.
func (s *Store) run(ctx context.Context, op marketplace.Op) error {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	dossiers := s.db.Collection(cDossiers)
	var prev *dossierDoc
	claim := ""
	wroteDossier := false
	undoDossier := func() error {
		d := op.Dossier
		if d == nil {
			return nil
		}
		var cur dossierDoc
		if err := dossiers.FindOne(cctx, bson.M{"_id": d.ID, "k": op.Key}).Decode(&cur); err != nil {
			return nil // not ours (any more)
		}
		switch {
		case op.IfVersion == 0:
			_, err := dossiers.DeleteOne(cctx, bson.M{"_id": d.ID, "k": op.Key})
			return translate(err)
		case wroteDossier && prev != nil:
			if _, err := dossiers.ReplaceOne(cctx, bson.M{"_id": d.ID}, prev); err != nil {
				return translate(err)
			}
		default:
			// Written by an attempt that crashed: the previous record is
			// the new one with the old version and state unknown, so the
			// dossier is left as the operation made it, and its version
			// claim too; a person reviews it (logged by Recover).
			return nil
		}
		_, err := s.db.Collection(cClaims).DeleteOne(cctx, bson.M{"_id": claim, "k": op.Key})
		return translate(err)
	}
	// Checks first, so that a refused operation usually writes nothing.
	if e := op.Evaluation; e != nil {
		var ev struct {
			K string `bson:"k"`
		}
		err := s.db.Collection(cEvaluations).FindOne(cctx, bson.M{"_id": e.DossierID}).Decode(&ev)
		if err == nil && ev.K != op.Key {
			return fmt.Errorf("dossier %s is already evaluated: %w", e.DossierID, marketplace.ErrConflict)
		} else if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return translate(err)
		}
	}
	for _, p := range op.Postings {
		applied, err := s.applied(cctx, p.Account, op.Key)
		if err != nil {
			return err
		}
		if applied {
			continue
		}
		_, bal, err := s.latest(cctx, p.Account)
		if err != nil {
			return err
		}
		if err := checkPosting(op, p, bal); err != nil {
			if uerr := undoDossier(); uerr != nil { // written by a crashed attempt
				return uerr
			}
			return err
		}
	}
	if op.Dossier == nil {
		if err := marketplace.CheckHeldCapture(op, nil); err != nil {
			return err
		}
	}
	// The dossier: the claim of its version transition, an insert under a
	// unique _id, is what makes concurrent writers of one version exclusive.
	if d := op.Dossier; d != nil {
		var old dossierDoc
		err := dossiers.FindOne(cctx, bson.M{"_id": d.ID}).Decode(&old)
		found := err == nil
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return translate(err)
		}
		switch {
		case found && old.K == op.Key: // written before a crash
		case !found && op.IfVersion != 0:
			return fmt.Errorf("dossier %s: %w", d.ID, marketplace.ErrNotFound)
		case !found:
			if err := marketplace.CheckHeldCapture(op, nil); err != nil {
				return err
			}
			if _, err := dossiers.InsertOne(cctx, newDossierDoc(*d, op.Key)); err != nil {
				return fmt.Errorf("dossier %s exists: %w", d.ID, translate(err))
			}
			wroteDossier = true
		case op.IfVersion == 0:
			return fmt.Errorf("dossier %s exists: %w", d.ID, marketplace.ErrConflict)
		case old.V != op.IfVersion:
			return fmt.Errorf("dossier %s: %w", d.ID, marketplace.ErrStale)
		case old.Acc != d.AccountID || old.Pro != d.ProviderID:
			return fmt.Errorf("dossier %s: %w", d.ID, errChangeHands)
		default:
			// The hold is checked on the version this operation replaces;
			// a hold written meanwhile claims that version first.
			var stored marketplace.Dossier
			if err := decode(old.J, &stored); err != nil {
				return err
			}
			if err := marketplace.CheckHeldCapture(op, &stored); err != nil {
				return err
			}
			claim = fmt.Sprintf("dossier:%s@%d", d.ID, op.IfVersion)
			if err := s.claim(cctx, claim, op.Key); err != nil {
				return fmt.Errorf("dossier %s: %w", d.ID, err)
			}
			if _, err := dossiers.ReplaceOne(cctx, bson.M{"_id": d.ID}, newDossierDoc(*d, op.Key)); err != nil {
				return translate(err)
			}
			prev, wroteDossier = &old, true
		}
	}
	// Postings, debits first: undoing a debit is a credit, which cannot fail.
	order := make([]int, 0, len(op.Postings))
	for i, p := range op.Postings {
		if p.Cents < 0 {
			order = append(order, i)
		}
	}
	for i, p := range op.Postings {
		if p.Cents > 0 {
			order = append(order, i)
		}
	}
	dossierID := ""
	if op.Dossier != nil {
		dossierID = op.Dossier.ID
	}
	var done []int
	for _, i := range order {
		if err := s.post(cctx, op, op.Postings[i], dossierID, false); err != nil {
			if !isDomain(err) {
				return err
			}
			for _, k := range done {
				if uerr := s.post(cctx, op, op.Postings[k], dossierID, true); uerr != nil {
					return uerr
				}
			}
			if uerr := undoDossier(); uerr != nil {
				return uerr
			}
			return err
		}
		done = append(done, i)
	}
	if e := op.Evaluation; e != nil {
		_, err := s.db.Collection(cEvaluations).ReplaceOne(cctx, bson.M{"_id": e.DossierID},
			bson.M{"o": e.OfferID, "p": e.ProviderID, "at": timeKey(e.At), "k": op.Key, "j": encode(*e)}, options.Replace().SetUpsert(true))
		if err != nil {
			return translate(err)
		}
	}
	return nil
}

// claim inserts the claim id for key: ErrStale if another key holds it.
func (s *Store) claim(ctx context.Context, id, key string) error {
	_, err := s.db.Collection(cClaims).InsertOne(ctx, bson.M{"_id": id, "k": key, "at": timeKey(time.Now())})
	if err == nil {
		return nil
	}
	if !errors.Is(translate(err), marketplace.ErrConflict) {
		return translate(err)
	}
	var c struct {
		K string `bson:"k"`
	}
	if err := s.db.Collection(cClaims).FindOne(ctx, bson.M{"_id": id}).Decode(&c); err != nil {
		return translate(err)
	}
	if c.K != key {
		return marketplace.ErrStale
	}
	return nil
}

func checkPosting(op marketplace.Op, p marketplace.Posting, bal int64) error {
	nb := bal + p.Cents
	if nb < 0 && !p.Account.IsSource() {
		return fmt.Errorf("%w: %s would be %d cents", marketplace.ErrInsufficientBalance, p.Account.Kind(), nb)
	}
	if limit, ok := op.MaxBalance[p.Account]; ok && nb > limit {
		return fmt.Errorf("%s would be %d cents, above its cap of %d: %w", p.Account.Kind(), nb, limit, marketplace.ErrConflict)
	}
	return nil
}

// entryDoc is a ledger entry as stored. Its _id is the account and the
// account's entry number: appending an entry is an insert that only one
// writer of a given number wins, which is what serialises the writers of
// one account without transactions (FerretDB checks an update's filter
// and writes in two steps, so a guarded $inc is not atomic there). The
// account's balance is its last entry's. The unique (k, a) index makes
// each posting of an operation apply at most once.
type entryDoc struct {
	ID string `bson:"_id"`
	A  string `bson:"a"`
	S  int64  `bson:"s"`
	K  string `bson:"k"`
	C  int64  `bson:"c"`
	B  int64  `bson:"b"`
	J  []byte `bson:"j"`
}

func entryID(acct marketplace.LedgerAccount, seq int64) string {
	return fmt.Sprintf("%s\x00%020d", acct, seq)
}

// latest returns an account's last entry number and balance (0, 0 when
// it has none).
func (s *Store) latest(ctx context.Context, acct marketplace.LedgerAccount) (int64, int64, error) {
	var e entryDoc
	err := s.db.Collection(cEntries).FindOne(ctx, bson.M{"a": string(acct)},
		options.FindOne().SetSort(bson.D{{Key: "a", Value: 1}, {Key: "s", Value: -1}}).SetProjection(bson.M{"s": 1, "b": 1})).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, 0, nil
	}
	return e.S, e.B, translate(err)
}

// applied reports whether key posted to acct already.
func (s *Store) applied(ctx context.Context, acct marketplace.LedgerAccount, key string) (bool, error) {
	n, err := s.db.Collection(cEntries).CountDocuments(ctx, bson.M{"k": key, "a": string(acct)})
	return n > 0, translate(err)
}

// post appends p's entry once (undo: its reversal, under key+"~undo",
// without checks: money going back cannot be refused).
func (s *Store) post(ctx context.Context, op marketplace.Op, p marketplace.Posting, dossierID string, undo bool) error {
	key, cents := op.Key, p.Cents
	if undo {
		key, cents = op.Key+"~undo", -p.Cents
	}
	for {
		seq, bal, err := s.latest(ctx, p.Account)
		if err != nil {
			return err
		}
		if !undo {
			if err := checkPosting(op, p, bal); err != nil {
				if ok, aerr := s.applied(ctx, p.Account, key); aerr != nil || ok {
					return aerr
				}
				return err
			}
		}
		seq++
		e := marketplace.Entry{Seq: uint64(seq), TxKey: op.Key, Account: p.Account, Cents: cents, Balance: bal + cents, Kind: op.Kind, DossierID: dossierID, At: op.At}
		_, err = s.db.Collection(cEntries).InsertOne(ctx, entryDoc{ID: entryID(p.Account, seq), A: string(p.Account), S: seq, K: key, C: cents, B: bal + cents, J: encode(e)})
		if err == nil {
			return nil
		}
		if !errors.Is(translate(err), marketplace.ErrConflict) {
			return translate(err)
		}
		// Another writer took the number, or this posting is already in.
		if ok, err := s.applied(ctx, p.Account, key); err != nil || ok {
			return err
		}
		s.racesLost.Add(1)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// finish marks op done.
func (s *Store) finish(ctx context.Context, op marketplace.Op) error {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	set := bson.M{"st": stateDone, "t": encode(op.At), "op": nil}
	if op.Status != 0 {
		set["s"], set["b"] = op.Status, op.Body
	}
	_, err := s.db.Collection(cJournal).UpdateOne(cctx, bson.M{"_id": op.Key}, bson.M{"$set": set})
	return translate(err)
}

// Recover finishes or undoes every operation left pending for longer than
// age (longer than the operation timeout, so that no live Apply is still
// at work on it) and reports how many it handled. Each replica runs it at
// start and then periodically; two replicas recovering one operation at
// once is safe since every step is idempotent, and a claim on the record
// makes it rare.
func (s *Store) Recover(ctx context.Context, age time.Duration) (int, error) {
	if age < s.opTimeout {
		age = s.opTimeout
	}
	cctx, cancel := s.ctx(ctx)
	cur, err := s.db.Collection(cJournal).Find(cctx, bson.M{"st": statePending, "at": bson.M{"$lt": timeKey(time.Now().Add(-age))}})
	if err != nil {
		cancel()
		return 0, translate(err)
	}
	var pending []journalDoc
	err = cur.All(cctx, &pending)
	cancel()
	if err != nil {
		return 0, translate(err)
	}
	n := 0
	for _, j := range pending {
		cctx, cancel := s.ctx(ctx)
		err := s.db.Collection(cJournal).FindOneAndUpdate(cctx, bson.M{"_id": j.ID, "st": statePending, "at": j.At},
			bson.M{"$set": bson.M{"at": timeKey(time.Now())}}).Err()
		cancel()
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return n, translate(err)
		}
		if err != nil {
			continue // another replica claimed it
		}
		var op marketplace.Op
		if err := json.Unmarshal(j.Op, &op); err != nil {
			return n, fmt.Errorf("journal %s: corrupt record: %w", j.ID, err)
		}
		if err := s.run(ctx, op); err != nil {
			if !isDomain(err) {
				return n, err
			}
			cctx, cancel := s.ctx(ctx)
			_, err = s.db.Collection(cJournal).DeleteOne(cctx, bson.M{"_id": j.ID, "st": statePending})
			cancel()
			if err != nil {
				return n, translate(err)
			}
		} else if err := s.finish(ctx, op); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Balances implements marketplace.EnrolmentStore: each account's last
// entry, one indexed read per account.
func (s *Store) Balances(ctx context.Context, accounts ...marketplace.LedgerAccount) (map[marketplace.LedgerAccount]int64, error) {
	out := make(map[marketplace.LedgerAccount]int64, len(accounts))
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	for _, a := range accounts {
		_, b, err := s.latest(ctx, a)
		if err != nil {
			return nil, err
		}
		out[a] = b
	}
	return out, nil
}

// Entries implements marketplace.EnrolmentStore.
func (s *Store) Entries(ctx context.Context, acct marketplace.LedgerAccount, page marketplace.Page) ([]marketplace.Entry, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	filter := bson.M{"a": string(acct)}
	if after != "" {
		seq, err := strconv.ParseInt(after, 10, 64)
		if err != nil {
			return nil, "", nil
		}
		filter["s"] = bson.M{"$lt": seq}
	}
	out, err := findAll[marketplace.Entry](ctx, s, cEntries, filter, options.Find().SetSort(bson.D{{Key: "a", Value: 1}, {Key: "s", Value: -1}}).SetLimit(int64(n+1)))
	if err != nil {
		return nil, "", err
	}
	return pageOf(out, n, func(e marketplace.Entry) string { return strconv.FormatUint(e.Seq, 10) })
}

// Journal implements marketplace.EnrolmentStore. An operation still being
// applied is not recorded yet.
func (s *Store) Journal(ctx context.Context, key string) (marketplace.JournalRecord, error) {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	var j journalDoc
	if err := s.db.Collection(cJournal).FindOne(cctx, bson.M{"_id": key, "st": stateDone}).Decode(&j); err != nil {
		return marketplace.JournalRecord{}, translate(err)
	}
	rec := marketplace.JournalRecord{Key: key, Fingerprint: j.F, DossierID: j.Dossie, Status: j.Status, Body: j.Body}
	if len(j.OpAt) > 0 {
		if err := decode(j.OpAt, &rec.At); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// SaveResponse implements marketplace.EnrolmentStore.
func (s *Store) SaveResponse(ctx context.Context, key, fingerprint string, status int, body []byte) error {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	journal := s.db.Collection(cJournal)
	_, err := journal.InsertOne(cctx, journalDoc{ID: key, F: fingerprint, State: stateDone, At: timeKey(time.Now()),
		OpAt: encode(time.Now().UTC()), Status: status, Body: body})
	if err == nil {
		return nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return translate(err)
	}
	err = journal.FindOneAndUpdate(cctx, bson.M{"_id": key, "f": fingerprint}, bson.M{"$set": bson.M{"s": status, "b": body}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return marketplace.ErrIdempotencyMismatch
	}
	return translate(err)
}

// Dossier implements marketplace.EnrolmentStore.
func (s *Store) Dossier(ctx context.Context, id string) (marketplace.Dossier, error) {
	var d marketplace.Dossier
	if err := s.findOne(ctx, cDossiers, bson.M{"_id": id}, &d); err != nil {
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
	filter := bson.M{"_id": bson.M{"$gt": after}}
	if f.AccountID != "" {
		filter["acc"] = f.AccountID
	}
	if f.ProviderID != "" {
		filter["prov"] = f.ProviderID
	}
	if f.State != "" {
		filter["st"] = string(f.State)
	}
	out, err := findAll[marketplace.Dossier](ctx, s, cDossiers, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(n+1)))
	if err != nil {
		return nil, "", err
	}
	return pageOf(out, n, func(d marketplace.Dossier) string { return d.ID })
}

// DueDossiers implements marketplace.EnrolmentStore.
func (s *Store) DueDossiers(ctx context.Context, day time.Time, n int) ([]marketplace.Dossier, error) {
	return findAll[marketplace.Dossier](ctx, s, cDossiers, bson.M{"due": bson.M{"$lte": day.Format(time.DateOnly)}},
		options.Find().SetSort(bson.D{{Key: "due", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(n)))
}

// CreateRule implements marketplace.EnrolmentStore.
func (s *Store) CreateRule(ctx context.Context, r marketplace.TopUpRule) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.db.Collection(cRules).InsertOne(ctx, bson.M{"_id": r.ID, "f": r.FunderID, "j": encode(r)}); err != nil {
		return fmt.Errorf("rule %s: %w", r.ID, translate(err))
	}
	return nil
}

// Rule implements marketplace.EnrolmentStore.
func (s *Store) Rule(ctx context.Context, id string) (marketplace.TopUpRule, error) {
	var r marketplace.TopUpRule
	if err := s.findOne(ctx, cRules, bson.M{"_id": id}, &r); err != nil {
		return r, fmt.Errorf("rule %s: %w", id, err)
	}
	return r, nil
}

// Rules implements marketplace.EnrolmentStore.
func (s *Store) Rules(ctx context.Context, funderID string) ([]marketplace.TopUpRule, error) {
	filter := bson.M{}
	if funderID != "" {
		filter["f"] = funderID
	}
	return findAll[marketplace.TopUpRule](ctx, s, cRules, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
}

// Evaluation implements marketplace.EnrolmentStore.
func (s *Store) Evaluation(ctx context.Context, dossierID string) (marketplace.Evaluation, error) {
	var e marketplace.Evaluation
	err := s.findOne(ctx, cEvaluations, bson.M{"_id": dossierID}, &e)
	return e, err
}

// Evaluations implements marketplace.EnrolmentStore.
func (s *Store) Evaluations(ctx context.Context, offerID string, n int) ([]marketplace.Evaluation, error) {
	return findAll[marketplace.Evaluation](ctx, s, cEvaluations, bson.M{"o": offerID},
		options.Find().SetSort(bson.D{{Key: "o", Value: 1}, {Key: "at", Value: -1}}).SetLimit(int64(n)))
}

// SetCommentHidden implements marketplace.EnrolmentStore.
func (s *Store) SetCommentHidden(ctx context.Context, dossierID string, hidden bool) error {
	e, err := s.Evaluation(ctx, dossierID)
	if err != nil {
		return fmt.Errorf("evaluation of %s: %w", dossierID, err)
	}
	e.CommentHidden = hidden
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err = s.db.Collection(cEvaluations).UpdateOne(cctx, bson.M{"_id": dossierID}, bson.M{"$set": bson.M{"j": encode(e)}})
	return translate(err)
}

// Ratings implements marketplace.EnrolmentStore. The sums are computed
// from the evaluations rather than kept in a counter document, which two
// steps of one operation could not update exactly once.
func (s *Store) Ratings(ctx context.Context, subject string) (marketplace.Ratings, error) {
	var r marketplace.Ratings
	field := ""
	id := ""
	switch {
	case len(subject) > 6 && subject[:6] == "offer:":
		field, id = "o", subject[6:]
	case len(subject) > 9 && subject[:9] == "provider:":
		field, id = "p", subject[9:]
	default:
		return r, nil
	}
	es, err := findAll[marketplace.Evaluation](ctx, s, cEvaluations, bson.M{field: id}, nil)
	for _, e := range es {
		r.Add(e)
	}
	return r, err
}

func declKey(d marketplace.Declaration) string {
	return fmt.Sprintf("%s\x00%04d\x00%s", d.AccountID, d.Year, d.EmployerSIRET)
}

// SaveDeclarations implements marketplace.EnrolmentStore.
func (s *Store) SaveDeclarations(ctx context.Context, ds []marketplace.Declaration) error {
	models := make([]mongo.WriteModel, 0, len(ds))
	for _, d := range ds {
		models = append(models, mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": declKey(d)}).SetReplacement(bson.M{"j": encode(d)}).SetUpsert(true))
	}
	return s.bulk(ctx, cDeclarations, models)
}

// EachDeclarationYear implements marketplace.EnrolmentStore, streaming
// the declarations in key order; fn may write meanwhile.
func (s *Store) EachDeclarationYear(ctx context.Context, fn func(accountID string, year int, ds []marketplace.Declaration) error) error {
	cur, err := s.db.Collection(cDeclarations).Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return translate(err)
	}
	defer cur.Close(ctx)
	var group []marketplace.Declaration
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		err := fn(group[0].AccountID, group[0].Year, group)
		group = nil
		return err
	}
	for cur.Next(ctx) {
		var r rec
		if err := cur.Decode(&r); err != nil {
			return translate(err)
		}
		var d marketplace.Declaration
		if err := decode(r.J, &d); err != nil {
			return err
		}
		if len(group) > 0 && (group[0].AccountID != d.AccountID || group[0].Year != d.Year) {
			if err := flush(); err != nil {
				return err
			}
		}
		group = append(group, d)
	}
	if err := cur.Err(); err != nil {
		return translate(err)
	}
	return flush()
}

// AuditLedger implements marketplace.LedgerAuditor: balances are the last
// entries' and fromEntries the sums of the entries. Without a snapshot
// across documents it is exact only when no operation is in progress
// (the property test audits between batches).
func (s *Store) AuditLedger(ctx context.Context) (balances, fromEntries map[marketplace.LedgerAccount]int64, err error) {
	balances, fromEntries = map[marketplace.LedgerAccount]int64{}, map[marketplace.LedgerAccount]int64{}
	last := map[marketplace.LedgerAccount]int64{}
	cur, err := s.db.Collection(cEntries).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"a": 1, "s": 1, "c": 1, "b": 1}))
	if err != nil {
		return nil, nil, translate(err)
	}
	var es []entryDoc
	if err := cur.All(ctx, &es); err != nil {
		return nil, nil, translate(err)
	}
	for _, e := range es {
		a := marketplace.LedgerAccount(e.A)
		fromEntries[a] += e.C
		if e.S > last[a] {
			last[a], balances[a] = e.S, e.B
		}
	}
	return balances, fromEntries, nil
}
