package matching

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

// Contract is a job's contract type.
type Contract string

// The contract types an offer may have and a candidate may look for.
const (
	CDI            Contract = "cdi"           // open-ended contract
	CDD            Contract = "cdd"           // fixed-term contract
	Interim        Contract = "interim"       // temporary agency work
	Apprenticeship Contract = "apprentissage" // apprenticeship
	Professional   Contract = "professionnalisation"
	Seasonal       Contract = "saisonnier"
)

// Contracts lists the contract types, in the order the pages show them.
var Contracts = []Contract{CDI, CDD, Interim, Apprenticeship, Professional, Seasonal}

// Valid reports whether c is a known contract type.
func (c Contract) Valid() bool { return slices.Contains(Contracts, c) }

// OfferStatus is a job offer's state.
type OfferStatus string

// An offer is a draft until the employer confirms its skills; then it is
// published, or held for a controller's review when the discrimination
// screening flags it; a controller may reject a held offer; the employer
// closes it when the seats are filled.
const (
	OfferDraft     OfferStatus = "draft"
	OfferHeld      OfferStatus = "held"
	OfferPublished OfferStatus = "published"
	OfferRejected  OfferStatus = "rejected"
	OfferClosed    OfferStatus = "closed"
)

// OfferSkill is a skill a job offer requires.
type OfferSkill struct {
	SkillID   string
	Label     string
	Essential bool
	// Source tells where a suggested skill comes from: "lexicon", "model"
	// or both ("lexicon+model"); "employer" for a skill the employer added.
	Source string
}

// Contact is how to reach one side, revealed to the other only by a match.
type Contact struct {
	Name  string
	Email string
	Phone string
}

// JobOffer is an employer's vacancy.
type JobOffer struct {
	ID            string
	EmployerSIRET string
	EmployerName  string
	ROME          string // occupation code, e.g. "M1805"
	Title         string
	Description   string
	// Skills are the skills the employer confirmed; Suggested those the
	// extraction found in the text, for the employer to confirm.
	Skills    []OfferSkill
	Suggested []OfferSkill
	// Extraction says how Suggested was found: "lexicon" or "lexicon+model".
	Extraction string
	Commune    string // INSEE code of the place of work
	Lat, Lon   float64
	Contract   Contract
	// HoursPerWeek is the weekly working time.
	HoursPerWeek int
	// Salary range, gross yearly, in euro cents.
	SalaryMinCents int64
	SalaryMaxCents int64
	Start          time.Time
	Seats          int
	// Contact is the recruiter's contact, revealed to matched candidates.
	Contact   Contact
	Status    OfferStatus
	Screening *controls.Screening
	// Review is a controller's decision on the held offer, once taken.
	Review    *OfferReview
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
}

// OfferReview is a controller's decision on a held offer, as its employer
// reads it: the outcome, when, and for a rejection the reason. Who decided
// and why a post was published stay in the audit trails (the controls'
// and the matching's).
type OfferReview struct {
	Outcome OfferStatus // OfferPublished or OfferRejected
	Reason  string      // the reason given to the employer (rejections)
	At      time.Time
}

// OfferInput is what an employer writes in an offer.
type OfferInput struct {
	ROME           string
	Title          string
	Description    string
	Commune        string
	Contract       Contract
	HoursPerWeek   int
	SalaryMinCents int64
	SalaryMaxCents int64
	Start          time.Time
	Seats          int
	Contact        Contact
	EmployerName   string
}

var romeCode = regexp.MustCompile(`^[A-N][0-9]{4}$`)

// validate checks the input's own rules; places resolves the commune.
func (in OfferInput) validate(places Places) (lat, lon float64, err error) {
	v := &marketplace.ValidationError{}
	if !romeCode.MatchString(in.ROME) {
		v.Add("rome", "must be a ROME code such as M1805")
	}
	if t := strings.TrimSpace(in.Title); t == "" || len([]rune(t)) > 140 {
		v.Add("title", "must be 1 to 140 characters")
	}
	if d := strings.TrimSpace(in.Description); len([]rune(d)) < 20 || len([]rune(d)) > 8000 {
		v.Add("description", "must be 20 to 8000 characters")
	}
	_, _, lat, lon, ok := places.Place(in.Commune)
	if !ok {
		v.Add("commune", "must be the INSEE code of a commune")
	}
	if !in.Contract.Valid() {
		v.Add("contract", "must be one of %v", Contracts)
	}
	if in.HoursPerWeek < 1 || in.HoursPerWeek > 48 {
		v.Add("hours_per_week", "must be between 1 and 48")
	}
	if in.SalaryMinCents <= 0 {
		v.Add("salary_min_cents", "must be positive")
	}
	if in.SalaryMaxCents < in.SalaryMinCents {
		v.Add("salary_max_cents", "must be at least salary_min_cents")
	}
	if in.Start.IsZero() {
		v.Add("start", "is required")
	}
	if in.Seats < 1 || in.Seats > 1000 {
		v.Add("seats", "must be between 1 and 1000")
	}
	validateContact(v, "contact", in.Contact, true)
	if len([]rune(in.EmployerName)) > 200 {
		v.Add("employer_name", "must be at most 200 characters")
	}
	return lat, lon, v.Err()
}

var emailShape = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
var phoneShape = regexp.MustCompile(`^\+?[0-9 .]{6,20}$`)

func validateContact(v *marketplace.ValidationError, field string, c Contact, required bool) {
	if required || c != (Contact{}) {
		if n := strings.TrimSpace(c.Name); n == "" || len([]rune(n)) > 120 {
			v.Add(field+".name", "must be 1 to 120 characters")
		}
		if !emailShape.MatchString(c.Email) || len(c.Email) > 254 {
			v.Add(field+".email", "must be an e-mail address")
		}
	}
	if c.Phone != "" && !phoneShape.MatchString(c.Phone) {
		v.Add(field+".phone", "must be a phone number")
	}
}

// Places resolves a commune's coordinates; *geo.Gazetteer is one.
type Places interface {
	Place(insee string) (department, region string, lat, lon float64, ok bool)
}
