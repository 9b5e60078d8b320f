package marketplace

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
)

// Places resolves INSEE commune codes; package geo provides one.
type Places interface {
	// Place returns the department, region and coordinates of a commune.
	Place(insee string) (department, region string, lat, lon float64, ok bool)
}

// Observer hears about every offer written through the catalogue, so that
// derived views (the search index) follow the store. Calls happen after the
// write is durable, synchronously, in write order for one offer.
type Observer interface {
	OfferSaved(o Offer, sessions []Session)
	OfferDeleted(id string)
}

// Actor is who asks for a catalogue change. Admin may act on anything; a
// provider only on itself and its own offers.
type Actor struct {
	Admin      bool
	ProviderID string
}

// CatalogueService is the marketplace service for providers, offers and sessions.
// It enforces the domain rules and object-level authorisation, then writes
// through the store. It is safe for concurrent use.
type CatalogueService struct {
	store     Store
	places    Places
	observers []Observer
	gate      Gate
	now       func() time.Time
	newID     func() string
}

// NewCatalogueService returns a catalogue over store; now may be nil for time.Now.
func NewCatalogueService(store Store, places Places, now func() time.Time) *CatalogueService {
	if now == nil {
		now = time.Now
	}
	return &CatalogueService{store: store, places: places, now: now, newID: NewID}
}

// Observe adds an observer of offer writes. It must be called before the
// service is used concurrently.
func (c *CatalogueService) Observe(o Observer) { c.observers = append(c.observers, o) }

// Store returns the underlying store, for read paths that need no rules.
func (c *CatalogueService) Store() Store { return c.store }

// NewID returns a new random, time-ordered identifier (UUID version 7), so
// that listings in ID order are in creation order.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

func (c *CatalogueService) communeKnown(insee string) bool {
	_, _, _, _, ok := c.places.Place(insee)
	return ok
}

func (c *CatalogueService) today() time.Time { return c.now().UTC().Truncate(time.Millisecond) }

// CreateProvider registers a provider. Only an administrator may.
func (c *CatalogueService) CreateProvider(ctx context.Context, who Actor, p Provider) (Provider, error) {
	if !who.Admin {
		return Provider{}, fmt.Errorf("registering a provider: %w", ErrForbidden)
	}
	if err := p.Validate(c.communeKnown); err != nil {
		return Provider{}, err
	}
	now := c.today()
	p.ID, p.CreatedAt, p.UpdatedAt = c.newID(), now, now
	if err := c.store.CreateProvider(ctx, p); err != nil {
		return Provider{}, err
	}
	return p, nil
}

// UpdateProvider replaces a provider's details. A provider may update itself
// but not its SIRET; ifUpdatedAt, when not zero, must match the stored
// version. When the new Qualiopi certification is no longer valid, the
// provider's published offers are unpublished.
func (c *CatalogueService) UpdateProvider(ctx context.Context, who Actor, p Provider, ifUpdatedAt time.Time) (Provider, error) {
	old, err := c.store.Provider(ctx, p.ID)
	if err != nil {
		return Provider{}, err
	}
	if !who.Admin && who.ProviderID != old.ID {
		return Provider{}, fmt.Errorf("updating provider %s: %w", p.ID, ErrForbidden)
	}
	if !who.Admin && p.SIRET != old.SIRET {
		var v ValidationError
		v.Add("siret", "can only be changed by an administrator")
		return Provider{}, &v
	}
	if err := p.Validate(c.communeKnown); err != nil {
		return Provider{}, err
	}
	if !ifUpdatedAt.IsZero() && !ifUpdatedAt.Equal(old.UpdatedAt) {
		return Provider{}, fmt.Errorf("provider %s changed since %s: %w", p.ID, ifUpdatedAt.Format(time.RFC3339Nano), ErrConflict)
	}
	p.CreatedAt, p.UpdatedAt = old.CreatedAt, c.later(old.UpdatedAt)
	if err := c.store.UpdateProvider(ctx, p, old.UpdatedAt); err != nil {
		return Provider{}, err
	}
	if !p.CanPublishAt(c.now()) {
		if _, err := c.UnpublishProvider(ctx, p.ID); err != nil {
			return p, err
		}
	}
	return p, nil
}

// UnpublishProvider withdraws every published offer of a provider and
// returns how many it withdrew. It is idempotent.
func (c *CatalogueService) UnpublishProvider(ctx context.Context, providerID string) (int, error) {
	n := 0
	page := Page{Limit: MaxPageSize}
	for {
		offers, next, err := c.store.Offers(ctx, OfferFilter{ProviderID: providerID, Status: Published}, page)
		if err != nil {
			return n, err
		}
		for _, o := range offers {
			prev := o.UpdatedAt
			o.Status, o.UpdatedAt = Unpublished, c.later(prev)
			if err := c.store.UpdateOffer(ctx, o, prev); err != nil && !errors.Is(err, ErrConflict) {
				return n, err
			}
			n++
			c.saved(ctx, o)
		}
		if next == "" {
			return n, nil
		}
		page.After = next
	}
}

// later returns a timestamp strictly after prev, so that UpdatedAt works as
// a version even when two writes fall in the same clock tick.
func (c *CatalogueService) later(prev time.Time) time.Time {
	t := c.today()
	if !t.After(prev) {
		t = prev.Add(time.Millisecond)
	}
	return t
}

// CreateOffer adds an offer for a provider. A provider may only create its
// own offers, and only publish them while its Qualiopi certification is valid.
func (c *CatalogueService) CreateOffer(ctx context.Context, who Actor, o Offer) (Offer, error) {
	if !who.Admin && who.ProviderID != o.ProviderID {
		return Offer{}, fmt.Errorf("creating an offer for provider %s: %w", o.ProviderID, ErrForbidden)
	}
	if err := o.Validate(c.communeKnown); err != nil {
		return Offer{}, err
	}
	p, err := c.store.Provider(ctx, o.ProviderID)
	if errors.Is(err, ErrNotFound) {
		var v ValidationError
		v.Add("provider_id", "no provider %q", o.ProviderID)
		return Offer{}, &v
	} else if err != nil {
		return Offer{}, err
	}
	if o.Status == Published && !p.CanPublishAt(c.now()) {
		return Offer{}, fmt.Errorf("provider %s has no valid Qualiopi certification: %w", p.ID, ErrNotPublishable)
	}
	c.resolvePlace(&o)
	now := c.today()
	o.ID, o.CreatedAt, o.UpdatedAt = c.newID(), now, now
	admitted, err := c.admit(ctx, &o, nil)
	if err != nil {
		return Offer{}, err
	}
	if err := c.store.CreateOffer(ctx, o); err != nil {
		return Offer{}, err
	}
	c.saved(ctx, o)
	c.gated(ctx, o, admitted)
	return o, nil
}

func (c *CatalogueService) resolvePlace(o *Offer) {
	o.Department, o.Region, o.Lat, o.Lon, _ = c.places.Place(o.Commune)
}

// UpdateOffer replaces an offer's details. Its provider cannot change;
// ifUpdatedAt, when not zero, must match the stored version.
func (c *CatalogueService) UpdateOffer(ctx context.Context, who Actor, o Offer, ifUpdatedAt time.Time) (Offer, error) {
	old, err := c.ownedOffer(ctx, who, o.ID)
	if err != nil {
		return Offer{}, err
	}
	if o.ProviderID != "" && o.ProviderID != old.ProviderID {
		var v ValidationError
		v.Add("provider_id", "cannot change")
		return Offer{}, &v
	}
	o.ProviderID = old.ProviderID
	if err := o.Validate(c.communeKnown); err != nil {
		return Offer{}, err
	}
	if !ifUpdatedAt.IsZero() && !ifUpdatedAt.Equal(old.UpdatedAt) {
		return Offer{}, fmt.Errorf("offer %s changed since %s: %w", o.ID, ifUpdatedAt.Format(time.RFC3339Nano), ErrConflict)
	}
	if o.Status == Published && old.Status != Published {
		p, err := c.store.Provider(ctx, old.ProviderID)
		if err != nil {
			return Offer{}, err
		}
		if !p.CanPublishAt(c.now()) {
			return Offer{}, fmt.Errorf("provider %s has no valid Qualiopi certification: %w", p.ID, ErrNotPublishable)
		}
	}
	c.resolvePlace(&o)
	o.CreatedAt, o.UpdatedAt = old.CreatedAt, c.later(old.UpdatedAt)
	admitted, err := c.admit(ctx, &o, &old)
	if err != nil {
		return Offer{}, err
	}
	if err := c.store.UpdateOffer(ctx, o, old.UpdatedAt); err != nil {
		return Offer{}, err
	}
	c.saved(ctx, o)
	c.gated(ctx, o, admitted)
	return o, nil
}

// DeleteOffer removes an offer and its sessions.
func (c *CatalogueService) DeleteOffer(ctx context.Context, who Actor, id string) error {
	if _, err := c.ownedOffer(ctx, who, id); err != nil {
		return err
	}
	if err := c.store.DeleteOffer(ctx, id); err != nil {
		return err
	}
	for _, obs := range c.observers {
		obs.OfferDeleted(id)
	}
	return nil
}

// ownedOffer returns the offer if who may change it.
func (c *CatalogueService) ownedOffer(ctx context.Context, who Actor, id string) (Offer, error) {
	o, err := c.store.Offer(ctx, id)
	if err != nil {
		return Offer{}, err
	}
	if !who.Admin && who.ProviderID != o.ProviderID {
		return Offer{}, fmt.Errorf("offer %s belongs to another provider: %w", id, ErrForbidden)
	}
	return o, nil
}

// AddSession adds a session to an offer its actor owns.
func (c *CatalogueService) AddSession(ctx context.Context, who Actor, s Session) (Session, error) {
	o, err := c.ownedOffer(ctx, who, s.OfferID)
	if err != nil {
		return Session{}, err
	}
	if err := s.Validate(); err != nil {
		return Session{}, err
	}
	s.ID, s.CreatedAt = c.newID(), c.today()
	if err := c.store.CreateSession(ctx, s); err != nil {
		return Session{}, err
	}
	c.saved(ctx, o)
	return s, nil
}

// RemoveSession removes a session from an offer its actor owns.
func (c *CatalogueService) RemoveSession(ctx context.Context, who Actor, offerID, sessionID string) error {
	o, err := c.ownedOffer(ctx, who, offerID)
	if err != nil {
		return err
	}
	if err := c.store.DeleteSession(ctx, offerID, sessionID); err != nil {
		return err
	}
	c.saved(ctx, o)
	return nil
}

// saved tells the observers about an offer's new state. A failure to read
// the sessions only leaves them out of the observers' view until the next
// write; the write itself has succeeded.
func (c *CatalogueService) saved(ctx context.Context, o Offer) {
	if len(c.observers) == 0 {
		return
	}
	sessions, _ := c.store.Sessions(ctx, o.ID)
	for _, obs := range c.observers {
		obs.OfferSaved(o, sessions)
	}
}

// Load writes a whole catalogue, through the store's Loader when it has
// one, and tells the observers. Used for demo data and imports.
func (c *CatalogueService) Load(ctx context.Context, cat Catalogue) error {
	if l, ok := c.store.(Loader); ok {
		if err := l.LoadCatalogue(ctx, cat); err != nil {
			return err
		}
	} else {
		for _, p := range cat.Providers {
			if err := c.store.CreateProvider(ctx, p); err != nil && !errors.Is(err, ErrConflict) {
				return err
			}
		}
		for _, o := range cat.Offers {
			if err := c.store.CreateOffer(ctx, o); err != nil && !errors.Is(err, ErrConflict) {
				return err
			}
		}
		for _, s := range cat.Sessions {
			if err := c.store.CreateSession(ctx, s); err != nil && !errors.Is(err, ErrConflict) {
				return err
			}
		}
	}
	if len(c.observers) == 0 {
		return nil
	}
	byOffer := make(map[string][]Session)
	for _, s := range cat.Sessions {
		byOffer[s.OfferID] = append(byOffer[s.OfferID], s)
	}
	for _, o := range cat.Offers {
		ss := byOffer[o.ID]
		sort.Slice(ss, func(i, j int) bool { return ss[i].Start.Before(ss[j].Start) })
		for _, obs := range c.observers {
			obs.OfferSaved(o, ss)
		}
	}
	return nil
}

// UnpublishLapsed withdraws the published offers of every provider whose
// Qualiopi certification is no longer valid, and returns how many it
// withdrew. The scheduler runs it daily, since certifications lapse with
// time and not only through an update.
func (c *CatalogueService) UnpublishLapsed(ctx context.Context) (int, error) {
	now := c.now()
	page := Page{Limit: MaxPageSize}
	total := 0
	for {
		ps, next, err := c.store.Providers(ctx, page)
		if err != nil {
			return total, err
		}
		for _, p := range ps {
			if p.CanPublishAt(now) {
				continue
			}
			n, err := c.UnpublishProvider(ctx, p.ID)
			total += n
			if err != nil {
				return total, err
			}
		}
		if next == "" {
			return total, nil
		}
		page.After = next
	}
}
