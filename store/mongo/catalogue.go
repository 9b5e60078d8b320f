package mongo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/parcours/parcours/marketplace"
)

func providerDoc(p marketplace.Provider) bson.M {
	return bson.M{"_id": p.ID, "siret": p.SIRET, "u": timeKey(p.UpdatedAt), "j": encode(p)}
}

// CreateProvider implements marketplace.ProviderStore.
func (s *Store) CreateProvider(ctx context.Context, p marketplace.Provider) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.db.Collection(cProviders).InsertOne(ctx, providerDoc(p)); err != nil {
		return fmt.Errorf("provider %s or SIRET %s: %w", p.ID, p.SIRET, translate(err))
	}
	return nil
}

// Provider implements marketplace.ProviderStore.
func (s *Store) Provider(ctx context.Context, id string) (marketplace.Provider, error) {
	var p marketplace.Provider
	if err := s.findOne(ctx, cProviders, bson.M{"_id": id}, &p); err != nil {
		return marketplace.Provider{}, fmt.Errorf("provider %s: %w", id, err)
	}
	return p, nil
}

// UpdateProvider implements marketplace.ProviderStore: a replacement
// conditional on the stored UpdatedAt; the unique SIRET index refuses a
// SIRET another provider holds.
func (s *Store) UpdateProvider(ctx context.Context, p marketplace.Provider, ifUpdatedAt time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	matched, err := s.replaceIf(ctx, cProviders, bson.M{"_id": p.ID, "u": timeKey(ifUpdatedAt)}, providerDoc(p))
	if err != nil {
		return fmt.Errorf("SIRET %s: %w", p.SIRET, err)
	}
	if !matched {
		if _, err := s.Provider(ctx, p.ID); err != nil {
			return err
		}
		return fmt.Errorf("provider %s changed meanwhile: %w", p.ID, marketplace.ErrConflict)
	}
	return nil
}

// Providers implements marketplace.ProviderStore.
func (s *Store) Providers(ctx context.Context, page marketplace.Page) ([]marketplace.Provider, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	out, err := findAll[marketplace.Provider](ctx, s, cProviders, bson.M{"_id": bson.M{"$gt": after}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(n+1)))
	if err != nil {
		return nil, "", err
	}
	return pageOf(out, n, func(p marketplace.Provider) string { return p.ID })
}

func pageOf[T any](out []T, n int, id func(T) string) ([]T, string, error) {
	if len(out) > n {
		return out[:n], marketplace.EncodeCursor(id(out[n-1])), nil
	}
	return out, "", nil
}

func offerDoc(o marketplace.Offer) bson.M {
	return bson.M{"_id": o.ID, "p": o.ProviderID, "r": o.Region, "dep": o.Department, "c": o.Certification.Code,
		"s": string(o.Status), "u": timeKey(o.UpdatedAt), "j": encode(o)}
}

// CreateOffer implements marketplace.OfferStore.
func (s *Store) CreateOffer(ctx context.Context, o marketplace.Offer) error {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.db.Collection(cOffers).InsertOne(cctx, offerDoc(o)); err != nil {
		return fmt.Errorf("offer %s: %w", o.ID, translate(err))
	}
	return s.changed(ctx, changeOffer, o.ID)
}

// Offer implements marketplace.OfferStore.
func (s *Store) Offer(ctx context.Context, id string) (marketplace.Offer, error) {
	var o marketplace.Offer
	if err := s.findOne(ctx, cOffers, bson.M{"_id": id}, &o); err != nil {
		return marketplace.Offer{}, fmt.Errorf("offer %s: %w", id, err)
	}
	return o, nil
}

// UpdateOffer implements marketplace.OfferStore.
func (s *Store) UpdateOffer(ctx context.Context, o marketplace.Offer, ifUpdatedAt time.Time) error {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	matched, err := s.replaceIf(cctx, cOffers, bson.M{"_id": o.ID, "u": timeKey(ifUpdatedAt)}, offerDoc(o))
	if err != nil {
		return fmt.Errorf("offer %s: %w", o.ID, err)
	}
	if !matched {
		if _, err := s.Offer(ctx, o.ID); err != nil {
			return err
		}
		return fmt.Errorf("offer %s changed meanwhile: %w", o.ID, marketplace.ErrConflict)
	}
	return s.changed(ctx, changeOffer, o.ID)
}

// DeleteOffer implements marketplace.OfferStore. Sessions go first, so
// that a crash between the two deletes leaves an offer without sessions
// rather than sessions without an offer.
func (s *Store) DeleteOffer(ctx context.Context, id string) error {
	if _, err := s.Offer(ctx, id); err != nil {
		return err
	}
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.db.Collection(cSessions).DeleteMany(cctx, bson.M{"o": id}); err != nil {
		return translate(err)
	}
	res, err := s.db.Collection(cOffers).DeleteOne(cctx, bson.M{"_id": id})
	if err != nil {
		return translate(err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("offer %s: %w", id, marketplace.ErrNotFound)
	}
	return s.changed(ctx, changeOffer, id)
}

func offerFilter(f marketplace.OfferFilter) bson.M {
	m := bson.M{}
	for k, v := range map[string]string{"p": f.ProviderID, "r": f.Region, "dep": f.Department, "c": f.Certification, "s": string(f.Status)} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// Offers implements marketplace.OfferStore.
func (s *Store) Offers(ctx context.Context, f marketplace.OfferFilter, page marketplace.Page) ([]marketplace.Offer, string, error) {
	after, err := marketplace.DecodeCursor(page.After)
	if err != nil {
		return nil, "", err
	}
	n := page.Size()
	filter := offerFilter(f)
	filter["_id"] = bson.M{"$gt": after}
	out, err := findAll[marketplace.Offer](ctx, s, cOffers, filter,
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(n+1)))
	if err != nil {
		return nil, "", err
	}
	return pageOf(out, n, func(o marketplace.Offer) string { return o.ID })
}

// CountOffers implements marketplace.OfferStore.
func (s *Store) CountOffers(ctx context.Context, f marketplace.OfferFilter) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.db.Collection(cOffers).CountDocuments(ctx, offerFilter(f))
	return int(n), translate(err)
}

// CreateSession implements marketplace.OfferStore.
func (s *Store) CreateSession(ctx context.Context, ss marketplace.Session) error {
	if _, err := s.Offer(ctx, ss.OfferID); err != nil {
		return err
	}
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.db.Collection(cSessions).InsertOne(cctx, sessionDoc(ss))
	if err != nil {
		return fmt.Errorf("session %s: %w", ss.ID, translate(err))
	}
	return s.changed(ctx, changeOffer, ss.OfferID)
}

func sessionDoc(ss marketplace.Session) bson.M {
	return bson.M{"_id": ss.OfferID + "\x00" + ss.ID, "o": ss.OfferID, "start": timeKey(ss.Start), "j": encode(ss)}
}

// Sessions implements marketplace.OfferStore.
func (s *Store) Sessions(ctx context.Context, offerID string) ([]marketplace.Session, error) {
	out, err := findAll[marketplace.Session](ctx, s, cSessions, bson.M{"o": offerID}, options.Find().SetSort(bson.D{{Key: "o", Value: 1}, {Key: "start", Value: 1}}))
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, err
}

// DeleteSession implements marketplace.OfferStore.
func (s *Store) DeleteSession(ctx context.Context, offerID, sessionID string) error {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	res, err := s.db.Collection(cSessions).DeleteOne(cctx, bson.M{"_id": offerID + "\x00" + sessionID})
	if err != nil {
		return translate(err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("session %s: %w", sessionID, marketplace.ErrNotFound)
	}
	return s.changed(ctx, changeOffer, offerID)
}

// LoadCatalogue implements marketplace.Loader with bulk writes (see
// replaceAll). Offers are visible to readers as each chunk lands.
func (s *Store) LoadCatalogue(ctx context.Context, cat marketplace.Catalogue) error {
	var models []mongo.WriteModel
	for _, p := range cat.Providers {
		var other struct {
			ID string `bson:"_id"`
		}
		cctx, cancel := s.ctx(ctx)
		err := s.db.Collection(cProviders).FindOne(cctx, bson.M{"siret": p.SIRET}).Decode(&other)
		cancel()
		if err == nil && other.ID != p.ID {
			return fmt.Errorf("SIRET %s is already registered to provider %s: %w", p.SIRET, other.ID, marketplace.ErrConflict)
		} else if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return translate(err)
		}
		models = append(models, mongo.NewReplaceOneModel().SetFilter(bson.M{"_id": p.ID}).SetReplacement(providerDoc(p)).SetUpsert(true))
	}
	if err := s.bulk(ctx, cProviders, models); err != nil {
		return err
	}
	docs := make([]bson.M, 0, len(cat.Offers))
	known := make(map[string]bool, len(cat.Offers))
	for _, o := range cat.Offers {
		docs = append(docs, offerDoc(o))
		known[o.ID] = true
	}
	if err := s.replaceAll(ctx, cOffers, docs); err != nil {
		return err
	}
	docs = docs[:0]
	for _, ss := range cat.Sessions {
		if !known[ss.OfferID] {
			if _, err := s.Offer(ctx, ss.OfferID); err != nil {
				return fmt.Errorf("session %s names missing offer %s: %w", ss.ID, ss.OfferID, marketplace.ErrNotFound)
			}
			known[ss.OfferID] = true
		}
		docs = append(docs, sessionDoc(ss))
	}
	if err := s.replaceAll(ctx, cSessions, docs); err != nil {
		return err
	}
	if len(cat.Offers) > 0 {
		return s.changed(ctx, changeReload, "")
	}
	return nil
}
