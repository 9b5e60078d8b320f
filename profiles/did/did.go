// Package did builds, parses and resolves the did:web documents of the
// platform and of the issuers the instance serves (W3C DID 1.0, did:web
// method): did:web:HOST is served at https://HOST/.well-known/did.json,
// did:web:HOST:issuers:SIRET at https://HOST/issuers/SIRET/did.json.
//
// A document lists Ed25519 Multikey verification methods, each with a
// validity window: "created" (when the key was put in service) and
// "revoked" (Controlled Identifiers 1.0: the time from which the key is no
// longer valid). Rotating a key retires the old one without removing it,
// so a credential whose proof was created while a key was valid still
// verifies, and one created with a retired key after its retirement does
// not. The proof's creation time is the signer's claim; the transparency
// log (profiles/tlog) is what shows when a credential was really issued.
//
// The package is pure: documents come from the profiles stores (served by
// the API) or from files given to `parcours verify`.
package did

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/parcours/parcours/profiles/credential"
)

// JSON-LD contexts of a document.
const (
	ContextDID      = "https://www.w3.org/ns/did/v1"
	ContextMultikey = "https://w3id.org/security/multikey/v1"
	// TypeMultikey is the verification method type of every key.
	TypeMultikey = "Multikey"
)

// Document is a DID document restricted to what Parcours publishes: an
// identifier, Multikey verification methods and the assertionMethod
// relationship listing them. The zero value is not usable; build one with
// New or Parse. Not safe for concurrent mutation.
type Document struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	VerificationMethod []VerificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod"`
}

// VerificationMethod is one Ed25519 key of a document and its validity
// window [Created, Revoked). A zero Created means "since always", a zero
// Revoked "still in service".
type VerificationMethod struct {
	ID                 string    `json:"id"`
	Type               string    `json:"type"`
	Controller         string    `json:"controller"`
	PublicKeyMultibase string    `json:"publicKeyMultibase"`
	Created            time.Time `json:"created,omitzero"`
	Revoked            time.Time `json:"revoked,omitzero"`
}

// ValidAt reports whether a proof created at t may use the key.
func (vm VerificationMethod) ValidAt(t time.Time) bool {
	return (vm.Created.IsZero() || !t.Before(vm.Created)) && (vm.Revoked.IsZero() || t.Before(vm.Revoked))
}

// Web returns the did:web identifier of host (a DNS name, with an
// optional ":port") and optional path segments: Web("parcours.example")
// is "did:web:parcours.example", Web("h", "issuers", "12345678901234")
// is "did:web:h:issuers:12345678901234". The port's colon is
// percent-encoded as the did:web method says.
func Web(host string, path ...string) (string, error) {
	if host == "" || strings.ContainsAny(host, "/?#@ ") || strings.Count(host, ":") > 1 {
		return "", fmt.Errorf("did:web: %q is not a host name", host)
	}
	var b strings.Builder
	b.WriteString("did:web:")
	b.WriteString(strings.ReplaceAll(strings.ToLower(host), ":", "%3A"))
	for _, p := range path {
		if p == "" || strings.ContainsAny(p, ":/?#% ") {
			return "", fmt.Errorf("did:web: %q is not a path segment", p)
		}
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String(), nil
}

// Platform returns the platform's identifier, did:web:HOST.
func Platform(host string) (string, error) { return Web(host) }

// Issuer returns the identifier of the issuer registered under siret,
// did:web:HOST:issuers:SIRET.
func Issuer(host, siret string) (string, error) {
	if len(siret) != 14 || strings.Trim(siret, "0123456789") != "" {
		return "", fmt.Errorf("did:web: SIRET %q is not 14 digits", siret)
	}
	return Web(host, "issuers", siret)
}

// URL returns the https URL a did:web document is served at:
// https://HOST/.well-known/did.json without a path, https://HOST/a/b/did.json
// for did:web:HOST:a:b.
func URL(did string) (string, error) {
	rest, ok := strings.CutPrefix(did, "did:web:")
	if !ok || rest == "" {
		return "", fmt.Errorf("%q is not a did:web identifier", did)
	}
	if strings.ContainsAny(rest, "#?/") {
		return "", fmt.Errorf("%q is a DID URL, not a DID", did)
	}
	parts := strings.Split(rest, ":")
	host, err := url.PathUnescape(parts[0])
	if err != nil || host == "" {
		return "", fmt.Errorf("%q: bad host", did)
	}
	path := "/.well-known"
	if len(parts) > 1 {
		segs := make([]string, 0, len(parts)-1)
		for _, p := range parts[1:] {
			s, err := url.PathUnescape(p)
			if err != nil || s == "" {
				return "", fmt.Errorf("%q: bad path segment %q", did, p)
			}
			segs = append(segs, s)
		}
		path = "/" + strings.Join(segs, "/")
	}
	return "https://" + host + path + "/did.json", nil
}

// New returns a document for the identifier id with no key yet.
func New(id string) (*Document, error) {
	if _, err := URL(id); err != nil {
		return nil, err
	}
	return &Document{Context: []string{ContextDID, ContextMultikey}, ID: id, VerificationMethod: []VerificationMethod{}, AssertionMethod: []string{}}, nil
}

// AddKey puts pub in service from created and returns its verification
// method, whose ID is the document's identifier with the Multikey as
// fragment. Adding a key already listed is an error.
func (d *Document) AddKey(pub ed25519.PublicKey, created time.Time) (VerificationMethod, error) {
	if len(pub) != ed25519.PublicKeySize {
		return VerificationMethod{}, errors.New("did: not an Ed25519 public key")
	}
	mk := credential.EncodeMultikey(pub)
	vm := VerificationMethod{
		ID:                 d.ID + "#" + mk,
		Type:               TypeMultikey,
		Controller:         d.ID,
		PublicKeyMultibase: mk,
		Created:            created.UTC().Truncate(time.Second),
	}
	for _, v := range d.VerificationMethod {
		if v.ID == vm.ID {
			return VerificationMethod{}, fmt.Errorf("did: key %s is already in the document", vm.ID)
		}
	}
	d.VerificationMethod = append(d.VerificationMethod, vm)
	d.AssertionMethod = append(d.AssertionMethod, vm.ID)
	return vm, nil
}

// Retire marks the key vmID as revoked from at: proofs created from then
// on with it no longer verify; older ones still do. Retiring a key
// already retired earlier keeps the earlier date.
func (d *Document) Retire(vmID string, at time.Time) error {
	at = at.UTC().Truncate(time.Second)
	for i := range d.VerificationMethod {
		vm := &d.VerificationMethod[i]
		if vm.ID != vmID {
			continue
		}
		if at.Before(vm.Created) {
			return fmt.Errorf("did: cannot retire %s at %s, before it was created (%s)", vmID, at.Format(time.RFC3339), vm.Created.Format(time.RFC3339))
		}
		if vm.Revoked.IsZero() || at.Before(vm.Revoked) {
			vm.Revoked = at
		}
		return nil
	}
	return fmt.Errorf("did: no key %s in %s", vmID, d.ID)
}

// Rotate retires every key in service at at and puts pub in service from
// at: the usual key rotation.
func (d *Document) Rotate(pub ed25519.PublicKey, at time.Time) (VerificationMethod, error) {
	var retire []string
	for _, vm := range d.VerificationMethod {
		if vm.Revoked.IsZero() {
			retire = append(retire, vm.ID)
		}
	}
	vm, err := d.AddKey(pub, at)
	if err != nil {
		return vm, err
	}
	for _, id := range retire {
		if err := d.Retire(id, at); err != nil {
			return vm, err
		}
	}
	return vm, nil
}

// Current returns the key to sign with at t: among the keys valid at t,
// the one created last.
func (d *Document) Current(t time.Time) (VerificationMethod, error) {
	var best *VerificationMethod
	for i := range d.VerificationMethod {
		vm := &d.VerificationMethod[i]
		if vm.ValidAt(t) && (best == nil || vm.Created.After(best.Created)) {
			best = vm
		}
	}
	if best == nil {
		return VerificationMethod{}, fmt.Errorf("did: %s has no key in service at %s", d.ID, t.UTC().Format(time.RFC3339))
	}
	return *best, nil
}

// Key returns the key vmID if a proof created at signedAt may use it,
// and otherwise a *credential.Failure saying why not (unknown key, not
// an assertion method, not yet valid, retired).
func (d *Document) Key(vmID string, signedAt time.Time) (credential.Key, error) {
	i := slices.IndexFunc(d.VerificationMethod, func(vm VerificationMethod) bool { return vm.ID == vmID })
	if i < 0 {
		return credential.Key{}, &credential.Failure{Code: credential.CodeKeyUnknown, Reason: fmt.Sprintf("the DID document of %s has no verification method %s", d.ID, vmID)}
	}
	vm := d.VerificationMethod[i]
	if !slices.Contains(d.AssertionMethod, vmID) {
		return credential.Key{}, &credential.Failure{Code: credential.CodeKeyUnknown, Reason: fmt.Sprintf("the key %s is not listed as an assertion method of %s", vmID, d.ID)}
	}
	if !vm.Created.IsZero() && signedAt.Before(vm.Created) {
		return credential.Key{}, &credential.Failure{Code: credential.CodeKeyNotYetValid, Reason: fmt.Sprintf("the proof was created at %s, before the key %s was put in service at %s", signedAt.UTC().Format(time.RFC3339), vmID, vm.Created.Format(time.RFC3339))}
	}
	if !vm.Revoked.IsZero() && !signedAt.Before(vm.Revoked) {
		return credential.Key{}, &credential.Failure{Code: credential.CodeKeyRevoked, Reason: fmt.Sprintf("the proof was created at %s, after the key %s was retired at %s", signedAt.UTC().Format(time.RFC3339), vmID, vm.Revoked.Format(time.RFC3339))}
	}
	pub, err := credential.DecodeMultikey(vm.PublicKeyMultibase)
	if err != nil {
		return credential.Key{}, &credential.Failure{Code: credential.CodeKeyUnknown, Reason: fmt.Sprintf("the key %s: %v", vmID, err)}
	}
	return credential.Key{ID: vm.ID, Controller: vm.Controller, Public: pub}, nil
}

// Parse decodes and checks a DID document: a did:web identifier, Multikey
// Ed25519 verification methods controlled by it whose identifiers are
// DID URLs of it, windows that end after they start, assertion methods
// naming listed keys.
func Parse(data []byte) (*Document, error) {
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("did: not a JSON DID document: %w", err)
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Check reports the first inconsistency of d (see Parse).
func (d *Document) Check() error {
	if len(d.Context) == 0 || d.Context[0] != ContextDID {
		return fmt.Errorf("did: @context must start with %s", ContextDID)
	}
	if _, err := URL(d.ID); err != nil {
		return fmt.Errorf("did: %w", err)
	}
	ids := map[string]bool{}
	for _, vm := range d.VerificationMethod {
		switch {
		case !strings.HasPrefix(vm.ID, d.ID+"#") || len(vm.ID) == len(d.ID)+1:
			return fmt.Errorf("did: verification method %q is not a DID URL of %s", vm.ID, d.ID)
		case ids[vm.ID]:
			return fmt.Errorf("did: verification method %s is listed twice", vm.ID)
		case vm.Type != TypeMultikey:
			return fmt.Errorf("did: verification method %s is of type %q, not %s", vm.ID, vm.Type, TypeMultikey)
		case vm.Controller != d.ID:
			return fmt.Errorf("did: verification method %s is controlled by %q, not %s", vm.ID, vm.Controller, d.ID)
		case !vm.Created.IsZero() && !vm.Revoked.IsZero() && vm.Revoked.Before(vm.Created):
			return fmt.Errorf("did: verification method %s is revoked before it was created", vm.ID)
		}
		if _, err := credential.DecodeMultikey(vm.PublicKeyMultibase); err != nil {
			return fmt.Errorf("did: verification method %s: %w", vm.ID, err)
		}
		ids[vm.ID] = true
	}
	for _, a := range d.AssertionMethod {
		if !ids[a] {
			return fmt.Errorf("did: assertion method %s is not a listed verification method", a)
		}
	}
	return nil
}

// Marshal encodes d as the did.json to serve.
func (d *Document) Marshal() ([]byte, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	return json.MarshalIndent(d, "", "  ")
}

// Resolver resolves verification methods against a fixed set of
// documents, offline. It implements credential.KeyResolver. Safe for
// concurrent use once built (Add is not).
type Resolver struct {
	docs map[string]*Document
}

// NewResolver returns a resolver over docs.
func NewResolver(docs ...*Document) *Resolver {
	r := &Resolver{docs: map[string]*Document{}}
	for _, d := range docs {
		r.Add(d)
	}
	return r
}

// Add adds or replaces the document of d.ID.
func (r *Resolver) Add(d *Document) { r.docs[d.ID] = d }

// Document returns the document of the identifier id, or nil.
func (r *Resolver) Document(id string) *Document { return r.docs[id] }

// ResolveKey implements credential.KeyResolver.
func (r *Resolver) ResolveKey(vmID string, signedAt time.Time) (credential.Key, error) {
	id, _, ok := strings.Cut(vmID, "#")
	if !ok {
		return credential.Key{}, &credential.Failure{Code: credential.CodeKeyUnknown, Reason: fmt.Sprintf("the verification method %q is not a DID URL with a key fragment", vmID)}
	}
	d := r.docs[id]
	if d == nil {
		return credential.Key{}, &credential.Failure{Code: credential.CodeKeyUnknown, Reason: fmt.Sprintf("no DID document for %s was given, so its key %s cannot be checked", id, vmID)}
	}
	return d.Key(vmID, signedAt)
}
