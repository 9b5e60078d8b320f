package mongo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching/recommend"
)

var (
	_ recommend.Store          = (*Store)(nil)
	_ recommend.DossierScanner = (*Store)(nil)
)

// Collections of the training recommendations. Preferences carry a
// version "v" that every write checks and bumps: read-modify-write
// without transactions (a view and a consent withdrawal racing).
const (
	cRecResults = "rec_results"     // _id: account; f: fingerprint; j
	cRecPrefs   = "rec_preferences" // _id: account; v: version; j
	cRecKeys    = "rec_widget_keys" // _id: key id; j
)

// PutResults implements recommend.Store.
func (s *Store) PutResults(ctx context.Context, rs []recommend.Result) error {
	models := make([]mongo.WriteModel, 0, len(rs))
	for _, r := range rs {
		models = append(models, mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": r.Account}).
			SetReplacement(bson.M{"f": r.Fingerprint, "j": encode(r)}).SetUpsert(true))
	}
	return s.bulk(ctx, cRecResults, models)
}

// Result implements recommend.Store.
func (s *Store) Result(ctx context.Context, account string) (recommend.Result, error) {
	var r recommend.Result
	err := s.findOne(ctx, cRecResults, bson.M{"_id": account}, &r)
	return r, err
}

// EachResultStamp implements recommend.Store.
func (s *Store) EachResultStamp(ctx context.Context, fn func(account, fingerprint string) error) error {
	cur, err := s.db.Collection(cRecResults).Find(ctx, bson.M{},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.M{"f": 1}).SetBatchSize(1000))
	if err != nil {
		return translate(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d struct {
			ID string `bson:"_id"`
			F  string `bson:"f"`
		}
		if err := cur.Decode(&d); err != nil {
			return translate(err)
		}
		if err := fn(d.ID, d.F); err != nil {
			return err
		}
	}
	return translate(cur.Err())
}

type prefsDoc struct {
	ID string `bson:"_id"`
	V  int64  `bson:"v"`
	J  []byte `bson:"j"`
}

func (s *Store) prefs(ctx context.Context, account string) (recommend.Preferences, int64, error) {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	var d prefsDoc
	if err := s.db.Collection(cRecPrefs).FindOne(cctx, bson.M{"_id": account}).Decode(&d); err != nil {
		return recommend.Preferences{}, 0, translate(err)
	}
	var p recommend.Preferences
	err := decode(d.J, &p)
	return p, d.V, err
}

// writePrefs writes p over version v (0: absent); false when another
// write came first.
func (s *Store) writePrefs(ctx context.Context, p recommend.Preferences, v int64) (bool, error) {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	coll := s.db.Collection(cRecPrefs)
	if v == 0 {
		_, err := coll.InsertOne(cctx, prefsDoc{ID: p.Account, V: 1, J: encode(p)})
		if mongo.IsDuplicateKeyError(err) {
			return false, nil
		}
		return err == nil, translate(err)
	}
	res, err := coll.UpdateOne(cctx, bson.M{"_id": p.Account, "v": v}, bson.M{"$set": bson.M{"v": v + 1, "j": encode(p)}})
	if err != nil {
		return false, translate(err)
	}
	return res.MatchedCount == 1, nil
}

// updatePrefs applies change to an account's preferences until no other
// write interleaves.
func (s *Store) updatePrefs(ctx context.Context, account string, change func(p *recommend.Preferences, found bool) bool) error {
	for range 20 {
		p, v, err := s.prefs(ctx, account)
		found := err == nil
		if err != nil && !errors.Is(err, marketplace.ErrNotFound) {
			return err
		}
		if !change(&p, found) {
			return nil
		}
		ok, err := s.writePrefs(ctx, p, v)
		if err != nil || ok {
			return err
		}
	}
	return marketplace.ErrConflict
}

// Preferences implements recommend.Store.
func (s *Store) Preferences(ctx context.Context, account string) (recommend.Preferences, error) {
	p, _, err := s.prefs(ctx, account)
	return p, err
}

// PutPreferences implements recommend.Store.
func (s *Store) PutPreferences(ctx context.Context, p recommend.Preferences) error {
	return s.updatePrefs(ctx, p.Account, func(stored *recommend.Preferences, _ bool) bool {
		*stored = recommend.MergePreferences(*stored, p)
		return true
	})
}

// AddView implements recommend.Store.
func (s *Store) AddView(ctx context.Context, account string, v recommend.View) (bool, error) {
	added := false
	err := s.updatePrefs(ctx, account, func(p *recommend.Preferences, found bool) bool {
		added = found && p.ViewsConsent
		if added {
			recommend.AddViewTo(p, v)
		}
		return added
	})
	return added && err == nil, err
}

// EachPreferences implements recommend.Store.
func (s *Store) EachPreferences(ctx context.Context, fn func(recommend.Preferences) error) error {
	return s.each(ctx, cRecPrefs, func(data []byte) error {
		var p recommend.Preferences
		if err := decode(data, &p); err != nil {
			return err
		}
		return fn(p)
	})
}

// CreateWidgetKey implements recommend.Store.
func (s *Store) CreateWidgetKey(ctx context.Context, k recommend.WidgetKey) error {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cRecKeys).InsertOne(cctx, bson.M{"_id": k.ID, "r": k.RevokedAt.UnixNano() * btoi(k.Revoked()), "j": encode(k)})
	return translate(err)
}

// WidgetKey implements recommend.Store.
func (s *Store) WidgetKey(ctx context.Context, id string) (recommend.WidgetKey, error) {
	var k recommend.WidgetKey
	err := s.findOne(ctx, cRecKeys, bson.M{"_id": id}, &k)
	return k, err
}

// WidgetKeys implements recommend.Store.
func (s *Store) WidgetKeys(ctx context.Context) ([]recommend.WidgetKey, error) {
	out, err := findAll[recommend.WidgetKey](ctx, s, cRecKeys, bson.M{}, options.Find())
	slices.SortFunc(out, func(a, b recommend.WidgetKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// RevokeWidgetKey implements recommend.Store.
func (s *Store) RevokeWidgetKey(ctx context.Context, id string, at time.Time) error {
	k, err := s.WidgetKey(ctx, id)
	if err != nil {
		return err
	}
	if k.Revoked() {
		return nil
	}
	k.RevokedAt = at
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	// The condition "not revoked" (r = 0) keeps the first revocation's
	// time when two race.
	_, err = s.db.Collection(cRecKeys).UpdateOne(cctx, bson.M{"_id": id, "r": int64(0)},
		bson.M{"$set": bson.M{"r": at.UnixNano(), "j": encode(k)}})
	return translate(err)
}

func btoi(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// EachDossier implements recommend.DossierScanner and
// controls.DossierScanner, in ID order.
func (s *Store) EachDossier(ctx context.Context, fn func(marketplace.Dossier) error) error {
	return s.each(ctx, cDossiers, func(data []byte) error {
		var d marketplace.Dossier
		if err := decode(data, &d); err != nil {
			return err
		}
		return fn(d)
	})
}

// EachEvaluation implements recommend.DossierScanner.
func (s *Store) EachEvaluation(ctx context.Context, fn func(marketplace.Evaluation) error) error {
	return s.each(ctx, cEvaluations, func(data []byte) error {
		var e marketplace.Evaluation
		if err := decode(data, &e); err != nil {
			return err
		}
		return fn(e)
	})
}

// each calls fn with the JSON of every record of a collection, by _id.
func (s *Store) each(ctx context.Context, coll string, fn func([]byte) error) error {
	cur, err := s.db.Collection(coll).Find(ctx, bson.M{},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.M{"j": 1}).SetBatchSize(1000))
	if err != nil {
		return translate(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var r rec
		if err := cur.Decode(&r); err != nil {
			return translate(err)
		}
		if err := fn(r.J); err != nil {
			return err
		}
	}
	return translate(cur.Err())
}
