package profiles

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parcours/parcours/marketplace"
)

// Sentinel errors: the marketplace's own, so that the API's single error
// table maps them; field errors are *marketplace.ValidationError.
var (
	ErrNotFound  = marketplace.ErrNotFound
	ErrConflict  = marketplace.ErrConflict
	ErrForbidden = marketplace.ErrForbidden
	ErrInvalid   = marketplace.ErrInvalid
)

// Kind is what a line of a trajectory records.
type Kind string

// The kinds of lines.
const (
	Employment    Kind = "employment"    // a period of work for an employer
	Training      Kind = "training"      // a training followed
	Certification Kind = "certification" // a certification obtained (RNCP, RS)
	SkillLine     Kind = "skill"         // a skill held
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	return k == Employment || k == Training || k == Certification || k == SkillLine
}

// Evidence says who vouches for a line.
type Evidence string

// An attested line carries a credential signed by its issuer (the platform,
// an employer, a certifier); a declared line is the worker's own word. The
// "Passeport d'orientation, de formation et de compétences" (Code du
// travail L6323-8) makes the same split between "garanties" and "déclarées".
const (
	Attested Evidence = "attested"
	Declared Evidence = "declared"
)

// Entry is one line of a worker's career trajectory.
type Entry struct {
	ID       string
	PersonID string // the learner's training account ID
	Kind     Kind
	Evidence Evidence
	// Title is the job title, the training's or certification's title, or
	// the skill's label.
	Title string
	// Organisation is the employer, training provider or certifier, by
	// name; SIRET identifies it when known.
	Organisation string
	SIRET        string
	// Code is the certification's RNCP or RS code, or the skill's ID in
	// the skills graph.
	Code string
	// Start and End are calendar days; a zero End is an ongoing period.
	Start, End  time.Time
	Description string
	// Skills are IDs of skills of the skills graph the line vouches for.
	Skills []string
	Level  int // a skill line's level, 1 to 4
	// CredentialID names the attestation of an attested line.
	CredentialID string
	// IssuerID is the attesting issuer's SIRET, or "platform".
	IssuerID  string
	Revoked   bool // the credential was revoked: the line no longer counts as attested
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PlatformIssuer is the IssuerID of what the platform itself attests.
const PlatformIssuer = "platform"

// Bounds of a line's texts.
const (
	MaxTitleRunes       = 200
	MaxDescriptionRunes = 2000
	MaxSkillsPerEntry   = 50
	MaxEntriesPerPerson = 500
)

// Validate checks a line's fields, naming each one at fault by its wire name.
func (e *Entry) Validate() error {
	var v marketplace.ValidationError
	e.Title = strings.TrimSpace(e.Title)
	e.Organisation = strings.TrimSpace(e.Organisation)
	e.Description = strings.TrimSpace(e.Description)
	e.Code = strings.TrimSpace(e.Code)
	if !e.Kind.Valid() {
		v.Add("kind", "must be employment, training, certification or skill")
	}
	text(&v, "title", e.Title, 1, MaxTitleRunes)
	text(&v, "organisation", e.Organisation, 0, MaxTitleRunes)
	text(&v, "description", e.Description, 0, MaxDescriptionRunes)
	text(&v, "code", e.Code, 0, 64)
	if e.SIRET != "" && !marketplace.ValidSIRET(e.SIRET) {
		v.Add("siret", "must be a valid SIRET: 14 digits with a valid Luhn key")
	}
	switch e.Kind {
	case Employment:
		if e.Organisation == "" {
			v.Add("organisation", "is required for an employment period: the employer's name")
		}
		if e.Start.IsZero() {
			v.Add("start", "is required for an employment period")
		}
	case SkillLine:
		if e.Level < 1 || e.Level > 4 {
			v.Add("level", "must be 1 (notions) to 4 (expert)")
		}
	default:
		if e.Level != 0 {
			v.Add("level", "only qualifies a skill line")
		}
	}
	if !e.Start.IsZero() && !e.End.IsZero() && e.End.Before(e.Start) {
		v.Add("end", "must not be before start")
	}
	if !e.Start.IsZero() && e.Start.Year() < 1900 {
		v.Add("start", "must be after 1900")
	}
	if len(e.Skills) > MaxSkillsPerEntry {
		v.Add("skills", "at most %d skills", MaxSkillsPerEntry)
	}
	seen := map[string]bool{}
	for i, s := range e.Skills {
		switch {
		case s == "" || len(s) > 200:
			v.Add(fmt.Sprintf("skills[%d]", i), "must be a skill ID")
		case seen[s]:
			v.Add(fmt.Sprintf("skills[%d]", i), "skill %q is listed twice", s)
		}
		seen[s] = true
	}
	return v.Err()
}

func text(v *marketplace.ValidationError, field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case n < min && min == 1:
		v.Add(field, "is required")
	case n < min:
		v.Add(field, "must have at least %d characters", min)
	case n > max:
		v.Add(field, "must have at most %d characters", max)
	case strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' }):
		v.Add(field, "must not hold control characters")
	}
}

// Day truncates t to its calendar day in UTC.
func Day(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Share is a link a worker gives out to show chosen lines of their
// profile until it expires. Only a hash of the link's secret is stored, so
// a copy of the store does not open the links.
type Share struct {
	ID       string // SHA-256 of the secret, hex: the stored key
	PersonID string
	EntryIDs []string
	Label    string // the worker's own note ("candidature Acme")
	Expires  time.Time
	Created  time.Time
}

// Expired reports whether the link no longer opens at now.
func (s Share) Expired(now time.Time) bool { return !now.Before(s.Expires) }
