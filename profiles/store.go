package profiles

import (
	"context"
	"time"
)

// IssuerKind is the role in which an organisation attests.
type IssuerKind string

// Employers attest employment periods; certifiers attest certifications
// (and the skills they cover).
const (
	EmployerIssuer  IssuerKind = "employer"
	CertifierIssuer IssuerKind = "certifier"
)

// Custody says who holds an issuer's signing key.
type Custody string

// With PlatformKey the platform generates and keeps the issuer's key,
// sealed under the instance's issuer-key secret, and signs on request; with
// OwnKey the issuer keeps its key, registers only the public half and
// sends credentials it signed itself, which the platform verifies.
const (
	PlatformKey Custody = "platform"
	OwnKey      Custody = "own"
)

// Issuer is an employer or certifier registered to attest, identified by
// its SIRET and published as did:web at /issuers/{siret}/did.json.
type Issuer struct {
	SIRET   string
	Kind    IssuerKind
	Name    string
	Custody Custody
	// Keys lists every key the issuer ever had, oldest first. Retired keys
	// stay published so that what they signed still verifies; the last key
	// without Retired is the current one.
	Keys      []IssuerKey
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64 // incremented on each update (optimistic concurrency)
}

// IssuerKey is one Ed25519 key of an issuer.
type IssuerKey struct {
	ID     string // the fragment of its verification method, "key-1"
	Public []byte // 32 bytes
	// Sealed is the private seed sealed with AES-256-GCM under the
	// instance's issuer-key secret (platform custody only).
	Sealed  []byte `json:",omitempty"`
	Created time.Time
	Retired time.Time `json:",omitzero"`
}

// Current returns the issuer's current key.
func (i Issuer) Current() (IssuerKey, bool) {
	for k := len(i.Keys) - 1; k >= 0; k-- {
		if i.Keys[k].Retired.IsZero() {
			return i.Keys[k], true
		}
	}
	return IssuerKey{}, false
}

// CredentialState is where a credential is in its life.
type CredentialState string

// A draft waits for its issuer's own signature (own-key issuers); an issued
// credential is signed and logged; a revoked one has its status bit set.
const (
	Draft   CredentialState = "draft"
	Issued  CredentialState = "issued"
	Revoked CredentialState = "revoked"
)

// Credential is a stored attestation: the signed document exactly as
// issued, and where it stands in the status list and the transparency log.
type Credential struct {
	ID       string // the credential's id, "urn:uuid:..."
	PersonID string
	IssuerID string // SIRET, or PlatformIssuer
	EntryID  string
	State    CredentialState
	// Document is the credential's JSON (unsigned for a draft).
	Document []byte
	// StatusIndex is the credential's bit in the revocation status list.
	StatusIndex int
	// IssueLeaf and RevokeLeaf are the indexes of the transparency log's
	// leaves recording the issuance and the revocation (-1: none).
	IssueLeaf  int64
	RevokeLeaf int64
	IssuedAt   time.Time
	RevokedAt  time.Time `json:",omitzero"`
	// Reason is why the credential was revoked.
	Reason string `json:",omitempty"`
	// Pending is the line a draft will add once signed.
	Pending *Entry `json:",omitempty"`
}

// Store keeps trajectories, share links, issuers and credentials.
// Implementations (store/bolt, store/mongo) pass store/storetest's
// profiles suite and are safe for concurrent use.
type Store interface {
	// CreateProfileEntry stores a new line; ErrConflict if its ID is taken.
	CreateProfileEntry(ctx context.Context, e Entry) error
	// PutProfileEntry replaces an existing line; ErrNotFound if there is none
	// with that ID for that person.
	PutProfileEntry(ctx context.Context, e Entry) error
	// ProfileEntry returns one line of a person, or ErrNotFound.
	ProfileEntry(ctx context.Context, personID, id string) (Entry, error)
	// ProfileEntries lists a person's lines by ID.
	ProfileEntries(ctx context.Context, personID string) ([]Entry, error)
	// DeleteProfileEntry removes one line of a person; ErrNotFound if none.
	DeleteProfileEntry(ctx context.Context, personID, id string) error

	// CreateShareLink stores a new share link; ErrConflict if its ID is taken.
	CreateShareLink(ctx context.Context, s Share) error
	// ShareLink returns a link by ID, or ErrNotFound.
	ShareLink(ctx context.Context, id string) (Share, error)
	// ShareLinks lists a person's links by creation time.
	ShareLinks(ctx context.Context, personID string) ([]Share, error)
	// DeleteShareLink removes one link of a person; ErrNotFound if none.
	DeleteShareLink(ctx context.Context, personID, id string) error

	// CreateIssuer stores a new issuer; ErrConflict if its SIRET is taken.
	CreateIssuer(ctx context.Context, i Issuer) error
	// Issuer returns an issuer by SIRET, or ErrNotFound.
	Issuer(ctx context.Context, siret string) (Issuer, error)
	// UpdateIssuer replaces an issuer whose stored Version is
	// i.Version-1; ErrConflict if it changed meanwhile, ErrNotFound if none.
	UpdateIssuer(ctx context.Context, i Issuer) error

	// CreateCredential stores a new credential; ErrConflict if its ID is taken.
	CreateCredential(ctx context.Context, c Credential) error
	// PutCredential replaces an existing credential; ErrNotFound if none.
	PutCredential(ctx context.Context, c Credential) error
	// Credential returns a credential by ID, or ErrNotFound.
	Credential(ctx context.Context, id string) (Credential, error)
	// Credentials lists a person's credentials by ID.
	Credentials(ctx context.Context, personID string) ([]Credential, error)

	// NextStatusIndexes allocates n free bits of the status lists (from
	// 0, ascending, consecutive when no other caller competes); no index is
	// ever returned twice.
	NextStatusIndexes(ctx context.Context, n int) ([]int, error)
	// CreateIssued stores issued credentials and their lines (cs[i] is
	// the credential of es[i]); ErrConflict if an ID is taken. The embedded
	// store writes all or nothing; MongoDB, without transactions, writes
	// the credentials then the lines in chunks and may stop part-way.
	CreateIssued(ctx context.Context, cs []Credential, es []Entry) error
	// SetStatusBit records that a status bit is set (revoked); setting it again
	// changes nothing.
	SetStatusBit(ctx context.Context, index int) error
	// StatusBits lists the set bits from index from (inclusive) to to
	// (exclusive), ascending.
	StatusBits(ctx context.Context, from, to int) ([]int, error)
}

// Employments tells which employers declared a worker: the employment
// declarations (DSN) imported for yearly rights. The enrolment stores of
// store/bolt and store/mongo implement it.
type Employments interface {
	// EmploymentYears returns the years for which the employer with siret
	// declared the account's employment, ascending; none if it never did.
	EmploymentYears(ctx context.Context, accountID, siret string) ([]int, error)
}
