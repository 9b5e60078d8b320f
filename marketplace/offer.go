package marketplace

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Modality says how a training is delivered.
type Modality string

// The delivery modalities of an offer.
const (
	InPerson Modality = "in_person" // présentiel
	Distance Modality = "distance"  // à distance
	Mixed    Modality = "mixed"     // mixte (blended)
)

// Valid reports whether m is one of the known modalities.
func (m Modality) Valid() bool { return m == InPerson || m == Distance || m == Mixed }

// CertificationKind is the register a certification belongs to.
type CertificationKind string

// The registers of France Compétences. Only trainings leading to a
// certification in one of them can be paid from a training account.
const (
	RNCP CertificationKind = "RNCP" // Répertoire national des certifications professionnelles
	RS   CertificationKind = "RS"   // Répertoire spécifique
)

// Certification identifies the certification an offer leads to.
type Certification struct {
	Kind  CertificationKind
	Code  string // e.g. "RNCP37674" or "RS5517": the kind followed by digits
	Title string
	Level int // European level 1 to 8 for RNCP, 0 when none (RS)
}

var certCode = regexp.MustCompile(`^(RNCP|RS)[0-9]{1,6}$`)

// ParseCertificationCode splits a code such as "RNCP37674" into its kind and
// normalised code; it accepts lower case and spaces ("rncp 37674").
func ParseCertificationCode(s string) (CertificationKind, string, bool) {
	c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if !certCode.MatchString(c) {
		return "", "", false
	}
	if strings.HasPrefix(c, "RNCP") {
		return RNCP, c, true
	}
	return RS, c, true
}

// Status is an offer's publication state.
type Status string

// Offer publication states. Only published offers are shown to the public.
const (
	Draft       Status = "draft"
	Published   Status = "published"
	Unpublished Status = "unpublished" // withdrawn by its provider or a controller
	// Review: the provider asked to publish, and the controls hold the
	// offer for a controller's review (see Gate).
	Review Status = "review"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Draft || s == Published || s == Unpublished || s == Review }

// Offer is a training offer (action de formation) of one provider. Place
// fields (Department, Region, Lat, Lon) are resolved from Commune by the
// catalogue, never taken from the client.
type Offer struct {
	ID            string
	ProviderID    string
	Certification Certification
	Title         string
	Description   string
	Objectives    string
	Skills        []string
	PriceCents    int64
	Hours         int
	Modality      Modality
	Commune       string // INSEE code where it takes place (the provider's for distance learning)
	Department    string
	Region        string
	Lat, Lon      float64
	Status        Status
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Limits on offers. A training account holds at most 8,000 EUR, but
// co-funded trainings cost more; 100,000 EUR bounds typos, not real prices.
const (
	MaxPriceCents = 10_000_000
	MaxHours      = 5_000
	MaxSkills     = 50
)

// Validate checks an offer's own fields; communeKnown tells whether an INSEE
// code names a real commune.
func (o *Offer) Validate(communeKnown func(string) bool) error {
	var v ValidationError
	o.Title = strings.TrimSpace(o.Title)
	checkText(&v, "title", o.Title, 1, 200)
	if o.Certification.Code == "" {
		v.Add("certification.code", "is required")
	} else if kind, code, ok := ParseCertificationCode(o.Certification.Code); !ok {
		v.Add("certification.code", "must be RNCP or RS followed by digits, e.g. RNCP37674")
	} else {
		o.Certification.Kind, o.Certification.Code = kind, code
	}
	checkText(&v, "certification.title", o.Certification.Title, 0, 300)
	if o.Certification.Level != 0 && (o.Certification.Level < 1 || o.Certification.Level > 8) {
		v.Add("certification.level", "must be a European level from 1 to 8")
	}
	checkText(&v, "description", o.Description, 0, 10000)
	checkText(&v, "objectives", o.Objectives, 0, 5000)
	if len(o.Skills) > MaxSkills {
		v.Add("skills", "must list at most %d skills", MaxSkills)
	}
	for i, s := range o.Skills {
		o.Skills[i] = strings.TrimSpace(s)
		checkText(&v, "skills["+strconv.Itoa(i)+"]", o.Skills[i], 1, 200)
	}
	if o.PriceCents < 0 || o.PriceCents > MaxPriceCents {
		v.Add("price_cents", "must be between 0 and %d cents", MaxPriceCents)
	}
	if o.Hours < 1 || o.Hours > MaxHours {
		v.Add("hours", "must be between 1 and %d", MaxHours)
	}
	if !o.Modality.Valid() {
		v.Add("modality", "must be in_person, distance or mixed")
	}
	if o.Commune == "" {
		v.Add("commune", "is required (INSEE code)")
	} else if !communeKnown(o.Commune) {
		v.Add("commune", "unknown INSEE commune code %q", o.Commune)
	}
	if o.Status == "" {
		o.Status = Draft
	} else if !o.Status.Valid() || o.Status == Review {
		// Review is the controls' to set: a provider asks to publish.
		v.Add("status", "must be draft, published or unpublished")
	}
	return v.Err()
}

// Session is one run of an offer, with its dates and seats.
type Session struct {
	ID        string
	OfferID   string
	Start     time.Time // first day
	End       time.Time // last day
	Seats     int
	CreatedAt time.Time
}

// MaxSeats bounds the seats of one session.
const MaxSeats = 10_000

// Validate checks a session's own fields.
func (s *Session) Validate() error {
	var v ValidationError
	if s.Start.IsZero() {
		v.Add("start", "is required (YYYY-MM-DD)")
	}
	if s.End.IsZero() {
		v.Add("end", "is required (YYYY-MM-DD)")
	}
	if !s.Start.IsZero() && !s.End.IsZero() && s.End.Before(s.Start) {
		v.Add("end", "must not be before start")
	}
	if s.Seats < 1 || s.Seats > MaxSeats {
		v.Add("seats", "must be between 1 and %d", MaxSeats)
	}
	return v.Err()
}
