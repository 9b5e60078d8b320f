// Package orgs keeps the organisations whose users sign in to Parcours:
// training providers, employers, funders and controllers. An organisation
// is known by its SIRET; its users get their role from it, sign in through
// the organisations' OpenID Provider, and are invited and removed by the
// organisation's administrators. An organisation always keeps at least one
// administrator.
//
// Data comes from the platform administrators (who create organisations
// and invite their first administrator) and from the organisations' own
// administrators; it goes into every signed-in user's session as the
// role and organisation the object-level checks compare with
// (auth.Principal.Org).
package orgs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// Organisation is a provider, employer, funder or controlling body, with
// its members. For a training provider its ID is the catalogue provider's,
// so that the provider's offers are the organisation's.
type Organisation struct {
	ID    string
	SIRET string
	Name  string
	Role  auth.Role // what its members are: provider, employer, funder or controller
	// Members are the people who sign in for it; at least one is Admin
	// once the first invitation is accepted.
	Members   []Member
	CreatedAt time.Time
	// Version counts the changes; UpdateOrg writes only over the version read.
	Version int
}

// Member is a person who signs in for an organisation, known by their
// identity at the organisations' OpenID Provider.
type Member struct {
	ID      string
	Issuer  string
	Subject string
	Name    string
	Email   string // as the invitation named it
	Admin   bool
	AddedAt time.Time
}

// Admins counts the organisation's administrators.
func (o Organisation) Admins() int {
	n := 0
	for _, m := range o.Members {
		if m.Admin {
			n++
		}
	}
	return n
}

// Member returns the member with that ID.
func (o Organisation) Member(id string) (Member, bool) {
	for _, m := range o.Members {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// Invitation lets one person join an organisation, once, before it
// expires. The link carries a random token; the store keeps only its
// SHA-256 (Key), so that a copy of the store lets no one join.
type Invitation struct {
	Key       string
	OrgID     string
	Email     string // whom it was sent to; the invitee signs in with any identity
	Admin     bool   // the invitee becomes an administrator
	CreatedBy string // member or platform administrator who invited
	CreatedAt time.Time
	Expires   time.Time
	// UsedAt and UsedBy (the member's ID) are set when it is accepted.
	UsedAt time.Time
	UsedBy string
}

// Errors of the organisations, beside marketplace's sentinels.
var (
	// ErrInvitationGone is returned for an invitation expired or already used.
	ErrInvitationGone = errors.New("this invitation has expired or has already been used")
	// ErrNotMember is returned when an identity belongs to no organisation.
	ErrNotMember = errors.New("this identity belongs to no organisation")
)

// Store keeps organisations, their members and invitations.
// Implementations are safe for concurrent use and return
// marketplace.ErrNotFound for an unknown record.
type Store interface {
	// CreateOrg stores a new organisation; marketplace.ErrConflict if its
	// ID or SIRET is taken.
	CreateOrg(ctx context.Context, o Organisation) error
	// Org returns an organisation by ID.
	Org(ctx context.Context, id string) (Organisation, error)
	// UpdateOrg replaces an organisation whose stored Version is o.Version,
	// and stores it with Version+1; marketplace.ErrStale if it changed
	// meanwhile. This single-record check is what keeps the last
	// administrator: two concurrent removals cannot both pass.
	UpdateOrg(ctx context.Context, o Organisation) error
	// CreateInvitation stores a new invitation; marketplace.ErrConflict if
	// its key is taken.
	CreateInvitation(ctx context.Context, inv Invitation) error
	// Invitation returns an invitation by key.
	Invitation(ctx context.Context, key string) (Invitation, error)
	// UseInvitation marks an invitation used by a member at a time, once:
	// ErrInvitationGone if it was already used.
	UseInvitation(ctx context.Context, key, memberID string, at time.Time) error
	// ClaimIdentity records that an identity (issuer, subject) is a member
	// of an organisation; marketplace.ErrConflict if the identity already
	// is a member of one (a person signs in for one organisation).
	ClaimIdentity(ctx context.Context, issuer, subject, orgID, memberID string) error
	// Membership returns the organisation and member of an identity, or
	// ErrNotMember.
	Membership(ctx context.Context, issuer, subject string) (orgID, memberID string, err error)
	// ReleaseIdentity forgets an identity's membership (no error if none).
	ReleaseIdentity(ctx context.Context, issuer, subject string) error
}

// Providers finds catalogue providers, to tie a provider organisation to
// its provider.
type Providers interface {
	Provider(ctx context.Context, id string) (marketplace.Provider, error)
}

// Revoker ends every web session of a holder (auth.Session.Holder): a
// removed member is signed out everywhere at once.
type Revoker interface {
	DeleteWebSessions(ctx context.Context, holder string) (int, error)
}

// Config holds the rules of a Service.
type Config struct {
	// InvitationTTL is how long an invitation may be accepted (default 7 days).
	InvitationTTL time.Duration
	Now           func() time.Time // nil: time.Now
}

// Service runs organisations: creation by platform administrators,
// invitations, acceptance, removal, and the membership of a signing-in
// identity. It is safe for concurrent use.
type Service struct {
	store     Store
	providers Providers
	revoker   Revoker
	cfg       Config
	now       func() time.Time
}

// NewService returns the service over its store. providers ties provider
// organisations to the catalogue; revoker may be nil.
func NewService(store Store, providers Providers, revoker Revoker, cfg Config) *Service {
	if cfg.InvitationTTL <= 0 {
		cfg.InvitationTTL = 7 * 24 * time.Hour
	}
	s := &Service{store: store, providers: providers, revoker: revoker, cfg: cfg, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// InvitationTTL is how long an invitation may be accepted.
func (s *Service) InvitationTTL() time.Duration { return s.cfg.InvitationTTL }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// orgRoles are the roles an organisation gives its members.
var orgRoles = []auth.Role{auth.Provider, auth.Employer, auth.Funder, auth.Controller}

// OrgRole reports whether members of an organisation may hold role r.
func OrgRole(r auth.Role) bool {
	for _, k := range orgRoles {
		if r == k {
			return true
		}
	}
	return false
}

// NewOrg is what a platform administrator gives to create an organisation.
type NewOrg struct {
	SIRET string
	Name  string
	Role  auth.Role
	// ProviderID names the catalogue provider of a provider organisation;
	// its SIRET must be the organisation's.
	ProviderID string
	// AdminEmail is whom the first administrator's invitation is for.
	AdminEmail string
}

// Create creates an organisation and the invitation of its first
// administrator, whose token it returns (shown once: only its hash is kept).
// Only platform administrators may.
func (s *Service) Create(ctx context.Context, who auth.Principal, in NewOrg) (Organisation, Invitation, string, error) {
	if who.Role != auth.Admin {
		return Organisation{}, Invitation{}, "", fmt.Errorf("only platform administrators create organisations: %w", marketplace.ErrForbidden)
	}
	var v marketplace.ValidationError
	in.SIRET = strings.ReplaceAll(strings.TrimSpace(in.SIRET), " ", "")
	in.Name = strings.TrimSpace(in.Name)
	if !marketplace.ValidSIRET(in.SIRET) {
		v.Add("siret", "must be 14 digits passing the Luhn check")
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		v.Add("name", "must be 1 to 200 characters")
	}
	if !OrgRole(in.Role) {
		v.Add("role", "must be one of provider, employer, funder, controller")
	}
	if err := checkEmail(in.AdminEmail); err != nil {
		v.Add("admin_email", "%s", err)
	}
	id := marketplace.NewID()
	if in.Role == auth.Provider {
		switch p, err := s.providers.Provider(ctx, in.ProviderID); {
		case in.ProviderID == "" || errors.Is(err, marketplace.ErrNotFound):
			v.Add("provider_id", "must name a provider of the catalogue")
		case err != nil:
			return Organisation{}, Invitation{}, "", err
		case p.SIRET != in.SIRET:
			v.Add("provider_id", "names a provider whose SIRET is not the organisation's")
		default:
			id = p.ID
		}
	} else if in.ProviderID != "" {
		v.Add("provider_id", "is only for provider organisations")
	}
	if err := v.Err(); err != nil {
		return Organisation{}, Invitation{}, "", err
	}
	o := Organisation{ID: id, SIRET: in.SIRET, Name: in.Name, Role: in.Role, CreatedAt: s.clock()}
	if err := s.store.CreateOrg(ctx, o); err != nil {
		if errors.Is(err, marketplace.ErrConflict) {
			return Organisation{}, Invitation{}, "", fmt.Errorf("an organisation with this SIRET or provider already exists: %w", err)
		}
		return Organisation{}, Invitation{}, "", err
	}
	inv, token, err := s.invite(ctx, o.ID, who, in.AdminEmail, true)
	return o, inv, token, err
}

// checkEmail checks an address loosely: it labels an invitation, it is
// not where a secret goes.
func checkEmail(s string) error {
	if len(s) > 254 {
		return errors.New("must be at most 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return errors.New("must be an e-mail address such as nom@exemple.fr")
	}
	return nil
}

// Org returns an organisation to one of its members or a platform
// administrator.
func (s *Service) Org(ctx context.Context, who auth.Principal, id string) (Organisation, error) {
	if who.Role != auth.Admin && who.Org != id {
		return Organisation{}, fmt.Errorf("only its members see an organisation: %w", marketplace.ErrForbidden)
	}
	return s.store.Org(ctx, id)
}

// mayAdminister reports whether who may invite and remove the members of
// organisation id: its administrators and platform administrators.
func mayAdminister(who auth.Principal, id string) bool {
	return who.Role == auth.Admin || who.Org == id && who.OrgAdmin
}

// Invite creates an invitation to an organisation and returns its token,
// to be sent to the invitee (shown once: only its hash is kept).
func (s *Service) Invite(ctx context.Context, who auth.Principal, orgID, email string, admin bool) (Invitation, string, error) {
	if !mayAdminister(who, orgID) {
		return Invitation{}, "", fmt.Errorf("only the organisation's administrators invite: %w", marketplace.ErrForbidden)
	}
	if err := checkEmail(email); err != nil {
		var v marketplace.ValidationError
		v.Add("email", "%s", err)
		return Invitation{}, "", &v
	}
	if _, err := s.store.Org(ctx, orgID); err != nil {
		return Invitation{}, "", err
	}
	return s.invite(ctx, orgID, who, email, admin)
}

func (s *Service) invite(ctx context.Context, orgID string, who auth.Principal, email string, admin bool) (Invitation, string, error) {
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.clock()
	inv := Invitation{Key: InvitationKey(token), OrgID: orgID, Email: email, Admin: admin, CreatedBy: string(who.Role) + ":" + who.Subject,
		CreatedAt: now, Expires: now.Add(s.cfg.InvitationTTL)}
	if err := s.store.CreateInvitation(ctx, inv); err != nil {
		return Invitation{}, "", err
	}
	return inv, token, nil
}

// InvitationKey is the store key of an invitation token.
func InvitationKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Pending returns a usable invitation and its organisation, for the page
// that offers to accept it: ErrInvitationGone if expired or used,
// marketplace.ErrNotFound if unknown.
func (s *Service) Pending(ctx context.Context, token string) (Invitation, Organisation, error) {
	if token == "" || len(token) > 100 {
		return Invitation{}, Organisation{}, fmt.Errorf("invitation: %w", marketplace.ErrNotFound)
	}
	inv, err := s.store.Invitation(ctx, InvitationKey(token))
	if err != nil {
		return Invitation{}, Organisation{}, err
	}
	if !inv.UsedAt.IsZero() || !s.now().Before(inv.Expires) {
		return Invitation{}, Organisation{}, ErrInvitationGone
	}
	o, err := s.store.Org(ctx, inv.OrgID)
	return inv, o, err
}

// Identity is who accepts an invitation: their identity at the
// organisations' OpenID Provider.
type Identity struct {
	Issuer, Subject string
	Name            string
}

// Accept makes the identity a member of the invitation's organisation.
// The invitation is used once; an identity that already belongs to an
// organisation cannot accept (marketplace.ErrConflict).
func (s *Service) Accept(ctx context.Context, token string, id Identity) (Organisation, Member, error) {
	if id.Issuer == "" || id.Subject == "" {
		return Organisation{}, Member{}, fmt.Errorf("accepting an invitation needs a signed-in identity: %w", marketplace.ErrForbidden)
	}
	inv, _, err := s.Pending(ctx, token)
	if err != nil {
		return Organisation{}, Member{}, err
	}
	m := Member{ID: marketplace.NewID(), Issuer: id.Issuer, Subject: id.Subject, Name: id.Name, Email: inv.Email, Admin: inv.Admin, AddedAt: s.clock()}
	if err := s.store.ClaimIdentity(ctx, id.Issuer, id.Subject, inv.OrgID, m.ID); err != nil {
		if errors.Is(err, marketplace.ErrConflict) {
			return Organisation{}, Member{}, fmt.Errorf("this identity already belongs to an organisation: %w", err)
		}
		return Organisation{}, Member{}, err
	}
	// The invitation is spent before the member is added: of two racing
	// acceptances one only goes on.
	if err := s.store.UseInvitation(ctx, inv.Key, m.ID, m.AddedAt); err != nil {
		s.store.ReleaseIdentity(ctx, id.Issuer, id.Subject)
		return Organisation{}, Member{}, err
	}
	o, err := s.update(ctx, inv.OrgID, func(o *Organisation) error {
		o.Members = append(o.Members, m)
		return nil
	})
	if err != nil {
		s.store.ReleaseIdentity(ctx, id.Issuer, id.Subject)
		return Organisation{}, Member{}, err
	}
	return o, m, nil
}

// update applies fn to the organisation and writes it under its version,
// again from a fresh read when another change came first.
func (s *Service) update(ctx context.Context, id string, fn func(o *Organisation) error) (Organisation, error) {
	for attempt := 0; ; attempt++ {
		o, err := s.store.Org(ctx, id)
		if err != nil {
			return Organisation{}, err
		}
		if err := fn(&o); err != nil {
			return Organisation{}, err
		}
		err = s.store.UpdateOrg(ctx, o)
		if errors.Is(err, marketplace.ErrStale) && attempt < 20 {
			continue
		}
		if err != nil {
			return Organisation{}, err
		}
		o.Version++
		return o, nil
	}
}

// ErrLastAdmin is returned when a change would leave an organisation
// without an administrator. It matches marketplace.ErrConflict.
var ErrLastAdmin = fmt.Errorf("an organisation must keep at least one administrator: %w", marketplace.ErrConflict)

// Remove takes a member out of an organisation and ends their sessions.
// The last administrator cannot be removed (ErrLastAdmin).
func (s *Service) Remove(ctx context.Context, who auth.Principal, orgID, memberID string) error {
	if !mayAdminister(who, orgID) {
		return fmt.Errorf("only the organisation's administrators remove members: %w", marketplace.ErrForbidden)
	}
	var gone Member
	o, err := s.update(ctx, orgID, func(o *Organisation) error {
		i := -1
		for k, m := range o.Members {
			if m.ID == memberID {
				i = k
			}
		}
		if i < 0 {
			return fmt.Errorf("member %s: %w", memberID, marketplace.ErrNotFound)
		}
		gone = o.Members[i]
		if gone.Admin && o.Admins() == 1 {
			return ErrLastAdmin
		}
		o.Members = append(o.Members[:i:i], o.Members[i+1:]...)
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.store.ReleaseIdentity(ctx, gone.Issuer, gone.Subject); err != nil {
		return err
	}
	if s.revoker != nil {
		if _, err := s.revoker.DeleteWebSessions(ctx, auth.Session{Role: o.Role, Subject: gone.ID}.Holder()); err != nil {
			return err
		}
	}
	return nil
}

// SignIn returns the organisation and member of an identity that signed
// in through the organisations' provider, or ErrNotMember.
func (s *Service) SignIn(ctx context.Context, issuer, subject string) (Organisation, Member, error) {
	orgID, memberID, err := s.store.Membership(ctx, issuer, subject)
	if err != nil {
		return Organisation{}, Member{}, err
	}
	o, err := s.store.Org(ctx, orgID)
	if errors.Is(err, marketplace.ErrNotFound) {
		return Organisation{}, Member{}, ErrNotMember
	}
	if err != nil {
		return Organisation{}, Member{}, err
	}
	m, ok := o.Member(memberID)
	if !ok {
		// Removed while the claim was being released: not a member.
		return Organisation{}, Member{}, ErrNotMember
	}
	return o, m, nil
}

// Principal is the session holder a member signs in as.
func Principal(o Organisation, m Member) auth.Principal {
	return auth.Principal{Role: o.Role, Subject: m.ID, Org: o.ID, OrgAdmin: m.Admin}
}
