package marketplace

import (
	"context"
	"encoding/base64"
	"strings"
	"time"
)

// Page asks for one page of a listing. After is the opaque cursor returned
// with the previous page ("" for the first); Limit is at most MaxPageSize.
type Page struct {
	After string
	Limit int
}

// Page sizes for listings.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// OfferFilter selects offers in a listing. Empty fields select everything.
// Listings are in creation order (ascending ID).
type OfferFilter struct {
	ProviderID    string
	Region        string
	Department    string
	Certification string // certification code
	Status        Status
}

// ProviderStore keeps providers. Implementations are safe for concurrent use.
type ProviderStore interface {
	// CreateProvider stores a new provider; ErrConflict if its ID or SIRET is taken.
	CreateProvider(ctx context.Context, p Provider) error
	// Provider returns a provider by ID, or ErrNotFound.
	Provider(ctx context.Context, id string) (Provider, error)
	// UpdateProvider replaces a provider whose UpdatedAt equals ifUpdatedAt
	// (optimistic concurrency); ErrNotFound if absent, ErrConflict if it
	// changed meanwhile or the new SIRET is taken.
	UpdateProvider(ctx context.Context, p Provider, ifUpdatedAt time.Time) error
	// Providers lists providers in ID order and returns the next cursor, "" at the end.
	Providers(ctx context.Context, page Page) ([]Provider, string, error)
}

// OfferStore keeps offers and their sessions. Implementations are safe for
// concurrent use.
type OfferStore interface {
	// CreateOffer stores a new offer; ErrConflict if the ID is taken.
	CreateOffer(ctx context.Context, o Offer) error
	// Offer returns an offer by ID, or ErrNotFound.
	Offer(ctx context.Context, id string) (Offer, error)
	// UpdateOffer replaces an offer whose UpdatedAt equals ifUpdatedAt;
	// ErrNotFound if absent, ErrConflict if it changed meanwhile.
	UpdateOffer(ctx context.Context, o Offer, ifUpdatedAt time.Time) error
	// DeleteOffer removes an offer and its sessions; ErrNotFound if absent.
	DeleteOffer(ctx context.Context, id string) error
	// Offers lists offers matching f in ID order, with the next cursor.
	Offers(ctx context.Context, f OfferFilter, page Page) ([]Offer, string, error)
	// CountOffers counts offers matching f.
	CountOffers(ctx context.Context, f OfferFilter) (int, error)

	// CreateSession adds a session to an existing offer; ErrNotFound if the
	// offer is absent, ErrConflict if the session ID is taken.
	CreateSession(ctx context.Context, s Session) error
	// Sessions lists an offer's sessions by start date.
	Sessions(ctx context.Context, offerID string) ([]Session, error)
	// DeleteSession removes one session of an offer; ErrNotFound if absent.
	DeleteSession(ctx context.Context, offerID, sessionID string) error
}

// Catalogue is a whole set of providers, offers and sessions loaded at once
// (demo data, catalogue imports).
type Catalogue struct {
	Providers []Provider
	Offers    []Offer
	Sessions  []Session
}

// Loader is an optional capability of a store: loading a whole catalogue in
// few large writes. Records whose ID already exists are replaced, so loading
// the same catalogue twice leaves the store as after one load.
type Loader interface {
	LoadCatalogue(ctx context.Context, c Catalogue) error
}

// Store is everything the marketplace keeps.
type Store interface {
	ProviderStore
	OfferStore
}

// Size is the page's limit within bounds: DefaultPageSize when unset, at
// most MaxPageSize.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxPageSize:
		return MaxPageSize
	}
	return p.Limit
}

// EncodeCursor makes the opaque cursor that resumes a listing after the
// record with key id; "" for none. Every backend pages by record key, so
// they share the cursor format and a client cannot tell them apart.
func EncodeCursor(id string) string {
	if id == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// DecodeCursor reads a cursor made by EncodeCursor; "" gives "". A cursor
// the service did not make is a ValidationError on the field "cursor".
func DecodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || strings.IndexByte(string(b), 0) >= 0 {
		var v ValidationError
		v.Add("cursor", "is not a cursor this service returned")
		return "", &v
	}
	return string(b), nil
}
