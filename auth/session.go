package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// Session is a browser's server-side sign-in. The cookie holds a random
// identifier; the store keeps only its SHA-256 (Key), so that a copy of
// the store does not let anyone act as the signed-in people.
type Session struct {
	Key      string // SessionKey of the cookie's identifier
	Role     Role
	Subject  string
	ACR      string
	AuthTime time.Time
	Created  time.Time
	LastSeen time.Time
	// Org and OrgAdmin are the organisation membership of a provider,
	// employer, funder or controller user (Principal.Org).
	Org      string `json:",omitempty"`
	OrgAdmin bool   `json:",omitempty"`
	// CSRF is the token every form of the session's pages carries.
	CSRF string
	// Issuer and IDToken are the OpenID Provider's, kept for RP-initiated
	// logout (id_token_hint); both are empty for a demo sign-in.
	Issuer  string
	IDToken string
	// Identity is the provider's subject; Claims the identity claims a
	// sign-in still waiting for the learner's NIR keeps until it is linked
	// (Subject is empty until then).
	Identity string
	Claims   map[string]string `json:",omitempty"`
	// Login, set on a sign-in under way, holds what the provider's answer
	// is checked against; such a record has no holder.
	Login *Login `json:",omitempty"`
}

// Login is an authorisation request sent to an OpenID Provider.
type Login struct {
	Provider string // its name in the configuration
	State    string
	Nonce    string
	Verifier string // PKCE code verifier
	ReturnTo string // a local path
	StepUp   bool
}

// Principal is the session's holder as the handlers see it.
func (s Session) Principal() Principal {
	return Principal{Role: s.Role, Subject: s.Subject, TokenID: "session", ACR: s.ACR, AuthTime: s.AuthTime, Org: s.Org, OrgAdmin: s.OrgAdmin}
}

// Holder identifies whose sessions DeleteWebSessions revokes.
func (s Session) Holder() string { return string(s.Role) + "\x00" + s.Subject }

// Errors of the session and identity-link stores.
var (
	ErrNoSession = errors.New("no such session")
	ErrNotLinked = errors.New("this identity is not linked to an account")
	ErrLinked    = errors.New("this identity is already linked to another account")
)

// SessionStore keeps web sessions. Implementations are safe for concurrent
// use and return ErrNoSession for an unknown key.
type SessionStore interface {
	CreateWebSession(ctx context.Context, s Session) error
	WebSession(ctx context.Context, key string) (Session, error)
	// TouchWebSession records activity on a session (idle timeout).
	TouchWebSession(ctx context.Context, key string, at time.Time) error
	DeleteWebSession(ctx context.Context, key string) error
	// DeleteWebSessions revokes every session of a holder (Session.Holder)
	// and reports how many there were.
	DeleteWebSessions(ctx context.Context, holder string) (int, error)
	// SweepWebSessions deletes the sessions (and sign-ins under way) last
	// seen before idle or created before created, and reports how many.
	SweepWebSessions(ctx context.Context, idle, created time.Time) (int, error)
}

// LinkStore maps an OpenID Provider's identity (issuer, subject) to a
// training account. Implementations are safe for concurrent use.
type LinkStore interface {
	// Link returns the account linked to the identity, or ErrNotLinked.
	Link(ctx context.Context, issuer, subject string) (string, error)
	// PutLink links an identity to an account. Linking it again to the
	// same account is a no-op; to another account is ErrLinked.
	PutLink(ctx context.Context, issuer, subject, accountID string) error
}

// NewSessionID returns a fresh random cookie value and its store key.
func NewSessionID() (id, key string) {
	var b [32]byte
	rand.Read(b[:])
	id = hex.EncodeToString(b[:])
	return id, SessionKey(id)
}

// SessionKey is the store key of a cookie's session identifier.
func SessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// RandomToken returns 32 random bytes in hex, for CSRF tokens, OIDC state
// and nonce values.
func RandomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Device is a browser an account has signed in from, known by a long-lived
// random cookie; the store keeps only the cookie's hash (SessionKey).
type Device struct {
	Key   string
	Label string // the browser, coarsely (from User-Agent), for the notice
	First time.Time
}

// DeviceStore remembers the devices each account signed in from, so that
// a sign-in from a new one can be shown to the learner (account takeover
// shows first as a new device). Implementations are safe for concurrent use.
type DeviceStore interface {
	// AddDevice records a device for an account and reports whether it
	// was new.
	AddDevice(ctx context.Context, accountID string, d Device) (bool, error)
	// Devices lists an account's devices, newest first.
	Devices(ctx context.Context, accountID string) ([]Device, error)
}
