package mongo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

var (
	_ controls.Store          = (*Store)(nil)
	_ controls.DossierScanner = (*Store)(nil)
)

// Collections of the controls.
const (
	cCtlAlerts      = "ctl_alerts"
	cCtlActions     = "ctl_actions"
	cCtlSuspensions = "ctl_suspensions"
	cCtlSignals     = "ctl_signals"
)

// The controls' indexes join the others (created by init in mongo.go,
// which reads indexes after package initialisation).
func init() {
	indexes = append(indexes,
		index{cCtlAlerts, bson.D{{Key: "st", Value: 1}, {Key: "rk", Value: 1}, {Key: "_id", Value: 1}}, false},
		index{cCtlAlerts, bson.D{{Key: "p", Value: 1}}, false},
		index{cCtlAlerts, bson.D{{Key: "a", Value: 1}}, false},
		index{cCtlAlerts, bson.D{{Key: "o", Value: 1}, {Key: "st", Value: 1}}, false},
		index{cCtlActions, bson.D{{Key: "al", Value: 1}, {Key: "at", Value: 1}}, false},
		index{cCtlSignals, bson.D{{Key: "acc", Value: 1}, {Key: "t", Value: 1}}, false},
		index{cCtlSignals, bson.D{{Key: "ip", Value: 1}, {Key: "t", Value: 1}}, false},
		index{cCtlSignals, bson.D{{Key: "dev", Value: 1}, {Key: "t", Value: 1}}, false},
		index{cCtlSignals, bson.D{{Key: "t", Value: 1}}, false},
	)
}

func alertDoc(a controls.Alert) bson.M {
	doc := bson.M{"_id": a.ID, "v": a.Version, "st": string(a.Status), "rk": controls.RankKey(a.Score), "det": a.Detector, "j": encode(a)}
	for k, v := range map[string]string{"p": a.ProviderID, "a": a.AccountID, "o": a.OfferID} {
		if v != "" {
			doc[k] = v
		}
	}
	return doc
}

// SaveAlert implements controls.Store.
func (s *Store) SaveAlert(ctx context.Context, a controls.Alert, ifVersion int64) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	coll := s.db.Collection(cCtlAlerts)
	if ifVersion == 0 {
		if _, err := coll.InsertOne(ctx, alertDoc(a)); err != nil {
			return fmt.Errorf("alert %s: %w", a.ID, translate(err))
		}
		return nil
	}
	r, err := coll.ReplaceOne(ctx, bson.M{"_id": a.ID, "v": ifVersion}, alertDoc(a))
	if err != nil {
		return translate(err)
	}
	if r.MatchedCount == 0 {
		return fmt.Errorf("alert %s: %w", a.ID, marketplace.ErrStale)
	}
	return nil
}

// Alert implements controls.Store.
func (s *Store) Alert(ctx context.Context, id string) (controls.Alert, error) {
	var a controls.Alert
	if err := s.findOne(ctx, cCtlAlerts, bson.M{"_id": id}, &a); err != nil {
		return a, fmt.Errorf("alert %s: %w", id, err)
	}
	return a, nil
}

// Alerts implements controls.Store.
func (s *Store) Alerts(ctx context.Context, f controls.AlertFilter, page marketplace.Page) ([]controls.Alert, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	filter := bson.M{}
	for k, v := range map[string]string{"st": string(f.Status), "det": f.Detector, "p": f.ProviderID, "a": f.AccountID, "o": f.OfferID} {
		if v != "" {
			filter[k] = v
		}
	}
	if after != "" {
		rank, id, _ := strings.Cut(after, "|")
		filter["$or"] = bson.A{bson.M{"rk": bson.M{"$gt": rank}}, bson.M{"rk": rank, "_id": bson.M{"$gt": id}}}
	}
	out, err := findAll[controls.Alert](ctx, s, cCtlAlerts, filter,
		options.Find().SetSort(bson.D{{Key: "rk", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(n+1)))
	if err != nil {
		return nil, "", err
	}
	// The order is checked again here: it is the contract, whatever the
	// server's plan.
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := controls.RankKey(out[i].Score), controls.RankKey(out[j].Score)
		return ri < rj || ri == rj && out[i].ID < out[j].ID
	})
	next := ""
	if len(out) > n {
		out = out[:n]
		next = controls.QueueCursor(out[n-1])
	}
	return out, next, nil
}

// OpenOfferAlert implements controls.Store.
func (s *Store) OpenOfferAlert(ctx context.Context, offerID string) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	err := s.db.Collection(cCtlAlerts).FindOne(ctx, bson.M{"o": offerID, "st": string(controls.Open)},
		options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, translate(err)
}

// AddAction implements controls.Store.
func (s *Store) AddAction(ctx context.Context, a controls.Action) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cCtlActions).InsertOne(ctx, bson.M{"_id": a.ID, "al": a.AlertID, "at": timeKey(a.At), "j": encode(a)})
	if err != nil {
		return fmt.Errorf("action %s: %w", a.ID, translate(err))
	}
	return nil
}

// Actions implements controls.Store.
func (s *Store) Actions(ctx context.Context, alertID string) ([]controls.Action, error) {
	out, err := findAll[controls.Action](ctx, s, cCtlActions, bson.M{"al": alertID},
		options.Find().SetSort(bson.D{{Key: "al", Value: 1}, {Key: "at", Value: 1}}))
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, err
}

// PutSuspension implements controls.Store.
func (s *Store) PutSuspension(ctx context.Context, sp controls.Suspension) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cCtlSuspensions).ReplaceOne(ctx, bson.M{"_id": sp.ProviderID},
		bson.M{"_id": sp.ProviderID, "j": encode(sp)}, options.Replace().SetUpsert(true))
	return translate(err)
}

// DeleteSuspension implements controls.Store.
func (s *Store) DeleteSuspension(ctx context.Context, providerID string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cCtlSuspensions).DeleteOne(ctx, bson.M{"_id": providerID})
	return translate(err)
}

// Suspension implements controls.Store.
func (s *Store) Suspension(ctx context.Context, providerID string) (controls.Suspension, error) {
	var sp controls.Suspension
	if err := s.findOne(ctx, cCtlSuspensions, bson.M{"_id": providerID}, &sp); err != nil {
		return sp, fmt.Errorf("suspension of %s: %w", providerID, err)
	}
	return sp, nil
}

// AddSignal implements controls.Store; the unique _id makes a repeat a no-op.
func (s *Store) AddSignal(ctx context.Context, sg controls.Signal) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	doc := bson.M{"_id": sg.ID, "acc": sg.AccountID, "t": timeKey(sg.At), "j": encode(sg)}
	if sg.IP != "" {
		doc["ip"] = sg.IP
	}
	if sg.Device != "" {
		doc["dev"] = sg.Device
	}
	_, err := s.db.Collection(cCtlSignals).InsertOne(ctx, doc)
	if mongo.IsDuplicateKeyError(err) {
		return nil
	}
	return translate(err)
}

// Signals implements controls.Store.
func (s *Store) Signals(ctx context.Context, accountID string, since time.Time) ([]controls.Signal, error) {
	out, err := findAll[controls.Signal](ctx, s, cCtlSignals, bson.M{"acc": accountID, "t": bson.M{"$gte": timeKey(since)}},
		options.Find().SetSort(bson.D{{Key: "acc", Value: 1}, {Key: "t", Value: 1}}))
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, err
}

// AccountsFrom implements controls.Store.
func (s *Store) AccountsFrom(ctx context.Context, kind, value string, since time.Time, limit int) ([]string, error) {
	field := "ip"
	if kind == "device" {
		field = "dev"
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cur, err := s.db.Collection(cCtlSignals).Find(ctx, bson.M{field: value, "t": bson.M{"$gte": timeKey(since)}},
		options.Find().SetProjection(bson.M{"acc": 1}).SetSort(bson.D{{Key: field, Value: 1}, {Key: "t", Value: 1}}))
	if err != nil {
		return nil, translate(err)
	}
	defer cur.Close(ctx)
	seen := map[string]bool{}
	var out []string
	for cur.Next(ctx) && len(out) < limit {
		var d struct {
			Acc string `bson:"acc"`
		}
		if err := cur.Decode(&d); err != nil {
			return nil, translate(err)
		}
		if !seen[d.Acc] {
			seen[d.Acc] = true
			out = append(out, d.Acc)
		}
	}
	sort.Strings(out)
	return out, translate(cur.Err())
}

// PruneSignals implements controls.Store.
func (s *Store) PruneSignals(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	r, err := s.db.Collection(cCtlSignals).DeleteMany(ctx, bson.M{"t": bson.M{"$lt": timeKey(before)}})
	if err != nil {
		return 0, translate(err)
	}
	return int(r.DeletedCount), nil
}
