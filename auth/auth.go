// Package auth mints and verifies the service's bearer tokens: JWTs signed
// with the instance's Ed25519 key (EdDSA), carrying a role and a subject.
// Tokens come from the operator's `parcours token` command, the demo sign-in
// page in demo mode, and later the OpenID Connect sign-in.
package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Role is what a token's holder may do.
type Role string

// The roles of the service.
const (
	Learner    Role = "learner"
	Provider   Role = "provider"
	Employer   Role = "employer"
	Funder     Role = "funder"
	Controller Role = "controller"
	Admin      Role = "admin"
)

// Roles lists every role, in the order the docs present them.
var Roles = []Role{Learner, Provider, Employer, Funder, Controller, Admin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Principal is the verified holder of a token.
type Principal struct {
	Role    Role
	Subject string // learner, provider, employer... identifier, by role
	TokenID string
	Expires time.Time
	// ACR is the authentication context class the holder signed in at
	// (FranceConnect's eidas1, eidas2...), and AuthTime when. Both are zero
	// for tokens minted without them: such a learner cannot move money
	// (StepUp.Satisfied).
	ACR      string
	AuthTime time.Time
	// Org is the organisation a provider, employer, funder or controller
	// user acts for, and OrgAdmin whether they administer it; both are zero
	// for learners and for tokens minted for an organisation directly
	// (whose Subject is then the organisation, as before organisations).
	Org      string
	OrgAdmin bool
}

// Acting is whose records the holder acts on: their organisation when they
// belong to one, else their subject (a learner's account, or the provider,
// employer or funder an operator token names). Object-level checks
// (a provider user edits only its own provider's offers) compare with it.
func (p Principal) Acting() string {
	if p.Org != "" {
		return p.Org
	}
	return p.Subject
}

// ErrInvalidToken is returned for any token that must not be trusted:
// malformed, badly signed, expired, from another issuer or with an unknown role.
var ErrInvalidToken = errors.New("invalid token")

type claims struct {
	Role     Role             `json:"role"`
	ACR      string           `json:"acr,omitempty"`
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
	Org      string           `json:"org,omitempty"`
	OrgAdmin bool             `json:"org_admin,omitempty"`
	jwt.RegisteredClaims
}

// Tokens mints and verifies tokens. It is safe for concurrent use.
type Tokens struct {
	key    ed25519.PrivateKey
	issuer string
	maxTTL time.Duration
	now    func() time.Time
	// verified remembers tokens already verified: checking an Ed25519
	// signature costs more than the rest of a typical request. A token is
	// exact signed bytes, so a remembered one is as good as a checked one
	// until it expires.
	verified sync.Map // token -> Principal
	count    atomic.Int64
}

// maxVerified bounds the remembered tokens; past it they are forgotten at once.
const maxVerified = 100_000

// NewTokens returns a minter and verifier for key; maxTTL bounds the
// lifetime Mint accepts. now may be nil for time.Now.
func NewTokens(key ed25519.PrivateKey, issuer string, maxTTL time.Duration, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{key: key, issuer: issuer, maxTTL: maxTTL, now: now}
}

// Mint returns a signed token for a role and subject, valid for ttl, with
// no authentication level: a learner holding it cannot move money.
func (t *Tokens) Mint(role Role, subject string, ttl time.Duration) (string, error) {
	return t.MintAt(role, subject, ttl, "", time.Time{})
}

// MintAt is Mint for a holder who authenticated at level acr at authTime;
// the token carries both (acr, auth_time claims) for the step-up check.
func (t *Tokens) MintAt(role Role, subject string, ttl time.Duration, acr string, authTime time.Time) (string, error) {
	return t.MintPrincipal(Principal{Role: role, Subject: subject, ACR: acr, AuthTime: authTime}, ttl)
}

// MintPrincipal is MintAt for a holder who may belong to an organisation
// (Principal.Org, OrgAdmin); the token carries both (org, org_admin claims).
func (t *Tokens) MintPrincipal(p Principal, ttl time.Duration) (string, error) {
	role, subject, acr, authTime := p.Role, p.Subject, p.ACR, p.AuthTime
	if p.Org != "" && (role == Learner || role == Admin) {
		return "", fmt.Errorf("role %s does not belong to an organisation", role)
	}
	if !role.Valid() {
		return "", fmt.Errorf("unknown role %q (want one of %v)", role, Roles)
	}
	if subject == "" {
		return "", errors.New("the subject must not be empty")
	}
	if ttl <= 0 || ttl > t.maxTTL {
		return "", fmt.Errorf("the lifetime must be positive and at most %s", t.maxTTL)
	}
	now := t.now()
	c := claims{Role: role, ACR: acr, Org: p.Org, OrgAdmin: p.OrgAdmin && p.Org != "", RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    t.issuer,
		Subject:   subject,
		Audience:  jwt.ClaimStrings{t.issuer},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		ID:        uuid.NewString(),
	}}
	if acr != "" && !authTime.IsZero() {
		c.AuthTime = jwt.NewNumericDate(authTime)
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(t.key)
}

// Verify checks a token's signature, issuer, audience and lifetime and
// returns its holder.
func (t *Tokens) Verify(token string) (Principal, error) {
	if v, ok := t.verified.Load(token); ok {
		p := v.(Principal)
		if t.now().Before(p.Expires.Add(verifyLeeway)) {
			return p, nil
		}
		t.verified.Delete(token)
	}
	p, err := t.verify(token)
	if err != nil {
		return p, err
	}
	if t.count.Add(1) > maxVerified {
		t.verified.Clear()
		t.count.Store(0)
	}
	t.verified.Store(token, p)
	return p, nil
}

// verifyLeeway is the clock skew tolerated on a token's times.
const verifyLeeway = 30 * time.Second

func (t *Tokens) verify(token string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		return t.key.Public(), nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(verifyLeeway),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if !c.Role.Valid() || c.Subject == "" {
		return Principal{}, fmt.Errorf("%w: unknown role or empty subject", ErrInvalidToken)
	}
	p := Principal{Role: c.Role, Subject: c.Subject, TokenID: c.ID, Expires: c.ExpiresAt.Time, ACR: c.ACR, Org: c.Org, OrgAdmin: c.OrgAdmin}
	if c.AuthTime != nil {
		p.AuthTime = c.AuthTime.Time
	}
	return p, nil
}
