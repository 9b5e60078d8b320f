package profiles

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parcours/parcours/profiles/did"
)

// PlatformRole is the Kind of the platform's own key record: the store
// keeps the platform's keys as an issuer record under the ID
// PlatformIssuer, next to the issuers' keys and rotated the same way. No
// SIRET is ever "platform", so the issuers' routes cannot reach it.
const PlatformRole IssuerKind = "platform"

// PlatformKeys returns the platform's key record: every key it ever had,
// oldest first, each sealed under the seal key. Until the first rotation
// stores it, the record is the configured platform key alone, in service
// "since always" (no creation time): what that key signed before keys were
// kept in the store still verifies, and reading changes nothing.
func (n *Notary) PlatformKeys(ctx context.Context) (Issuer, error) {
	i, err := n.store.Issuer(ctx, PlatformIssuer)
	if errors.Is(err, ErrNotFound) {
		return n.seedRecord(), nil
	}
	return i, err
}

// seedRecord is the platform's key record before any rotation.
func (n *Notary) seedRecord() Issuer {
	now := n.now().UTC().Truncate(time.Millisecond)
	return Issuer{SIRET: PlatformIssuer, Kind: PlatformRole, Name: "Parcours", Custody: PlatformKey,
		Keys: []IssuerKey{n.sealedKey(PlatformIssuer, n.platformKey, time.Time{})}, CreatedAt: now, UpdatedAt: now, Version: 1}
}

// storePlatformKeys stores the seed record unless the store holds one
// (another replica may store it at the same time: one wins, with the same
// key).
func (n *Notary) storePlatformKeys(ctx context.Context) error {
	if _, err := n.store.Issuer(ctx, PlatformIssuer); !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := n.store.CreateIssuer(ctx, n.seedRecord()); err != nil && !errors.Is(err, ErrConflict) {
		return err
	}
	return nil
}

// PlatformDocument returns the platform's DID document, served at
// /.well-known/did.json: every key the platform ever had, each with its
// window of service.
func (n *Notary) PlatformDocument(ctx context.Context) (*did.Document, error) {
	i, err := n.PlatformKeys(ctx)
	if err != nil {
		return nil, err
	}
	return keysDocument(n.platformDID, i.Keys)
}

// platformSigner returns the platform's signing function, read from the
// store at each call so that every replica signs with the key in service
// once another rotated it.
func (n *Notary) platformSigner(ctx context.Context) (keyAt, error) {
	i, err := n.PlatformKeys(ctx)
	if err != nil {
		return nil, err
	}
	d, err := keysDocument(n.platformDID, i.Keys)
	if err != nil {
		return nil, err
	}
	return n.signerOf(PlatformIssuer, i.Keys, d), nil
}

// RotatePlatformKey retires the platform's key in service and puts a new
// one in service, as RotateKey does for an issuer: the old key stays in
// the platform's DID document with its window, so what it signed still
// verifies, and what is signed from the rotation on uses the new key.
func (s *Service) RotatePlatformKey(ctx context.Context) (Issuer, error) {
	if s.notary == nil {
		return Issuer{}, fmt.Errorf("no notary: %w", ErrConflict)
	}
	if err := s.notary.storePlatformKeys(ctx); err != nil {
		return Issuer{}, err
	}
	return s.RotateKey(ctx, PlatformIssuer, "")
}
