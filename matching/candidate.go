package matching

import (
	"slices"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// CandidateStatus is whether a candidate receives proposals.
type CandidateStatus string

// A candidate who opted in is active; a paused one keeps matches and
// threads but gets no new proposals. Leaving deletes the candidate.
const (
	CandidateActive CandidateStatus = "active"
	CandidatePaused CandidateStatus = "paused"
)

// Candidate is a worker who opted in to job matching. ID is the learner's
// account ID. Contact is revealed to an employer only by a match.
type Candidate struct {
	ID          string
	Status      CandidateStatus
	Preferences Preferences
	Contact     Contact
	// Pseudonym is what employers see before a match: random, not
	// derived from the account.
	Pseudonym string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
}

// Preferences are what a candidate looks for.
type Preferences struct {
	Occupations []string // ROME codes, most wanted first (1 to 5)
	Commune     string   // INSEE code the radius is measured from
	Lat, Lon    float64
	RadiusKm    int
	Contracts   []Contract
	HoursMin    int // per week
	HoursMax    int
	// AvailableFrom is the first day the candidate can start.
	AvailableFrom time.Time
	// MinSalaryCents is the lowest gross yearly salary accepted, in cents;
	// 0 accepts any.
	MinSalaryCents int64
}

// validate checks preferences and resolves the commune.
func (p *Preferences) validate(places Places) error {
	v := &marketplace.ValidationError{}
	if len(p.Occupations) < 1 || len(p.Occupations) > 5 {
		v.Add("occupations", "must name 1 to 5 ROME codes")
	}
	for i, o := range p.Occupations {
		if !romeCode.MatchString(o) {
			v.Add("occupations["+itoa(i)+"]", "must be a ROME code such as M1805")
		} else if slices.Index(p.Occupations, o) != i {
			v.Add("occupations["+itoa(i)+"]", "is listed twice")
		}
	}
	_, _, lat, lon, ok := places.Place(p.Commune)
	if !ok {
		v.Add("commune", "must be the INSEE code of a commune")
	}
	p.Lat, p.Lon = lat, lon
	if p.RadiusKm < 1 || p.RadiusKm > 200 {
		v.Add("radius_km", "must be between 1 and 200")
	}
	if len(p.Contracts) == 0 {
		v.Add("contracts", "must name at least one contract type")
	}
	for i, c := range p.Contracts {
		if !c.Valid() {
			v.Add("contracts["+itoa(i)+"]", "must be one of %v", Contracts)
		}
	}
	if p.HoursMin < 1 || p.HoursMin > 48 {
		v.Add("hours_min", "must be between 1 and 48")
	}
	if p.HoursMax < p.HoursMin || p.HoursMax > 48 {
		v.Add("hours_max", "must be between hours_min and 48")
	}
	if p.AvailableFrom.IsZero() {
		v.Add("available_from", "is required")
	}
	if p.MinSalaryCents < 0 {
		v.Add("min_salary_cents", "must not be negative")
	}
	return v.Err()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
