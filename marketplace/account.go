package marketplace

import (
	"fmt"
	"time"
)

// Account is a worker's training account (compte personnel de formation),
// in euros. It is known by its NIR's keyed hash, never by the NIR itself.
type Account struct {
	ID           string
	NIRHash      string
	LowQualified bool // entitled to the higher rights (800 EUR a year, up to 8,000)
	Disabled     bool // bénéficiaire de l'obligation d'emploi: same higher rights
	JobSeeker    bool // demandeur d'emploi: no co-payment
	CreatedAt    time.Time
}

// Yearly rights, in cents.
const (
	YearlyCredit        = 500_00
	YearlyCap           = 5_000_00
	YearlyCreditHigher  = 800_00
	YearlyCapHigher     = 8_000_00
	halfTimeNumerator   = 1 // at least half of full time earns the full credit
	halfTimeDenominator = 2
	maxDeclarationHours = 10_000
)

// Declaration is one employer's declaration of a worker's employment in a
// year (from the DSN, déclaration sociale nominative): hours worked against
// the full-time hours of the job.
type Declaration struct {
	AccountID     string
	Year          int
	EmployerSIRET string
	HoursWorked   int
	FullTimeHours int
	LowQualified  bool
	Disabled      bool
}

// Validate checks a declaration's fields.
func (d *Declaration) Validate() error {
	var v ValidationError
	if d.Year < 2015 || d.Year > 2100 {
		v.Add("year", "must be a year from 2015")
	}
	if !ValidSIRET(d.EmployerSIRET) {
		v.Add("employer_siret", "must be a valid SIRET")
	}
	if d.HoursWorked < 0 || d.HoursWorked > maxDeclarationHours {
		v.Add("hours_worked", "must be between 0 and %d", maxDeclarationHours)
	}
	if d.FullTimeHours < 1 || d.FullTimeHours > maxDeclarationHours {
		v.Add("full_time_hours", "must be between 1 and %d", maxDeclarationHours)
	}
	return v.Err()
}

// YearlyRights computes the credit due for a year from that year's
// declarations, given the balance before it: 500 EUR (800 for low-qualified
// or disabled workers) for at least half-time work over the year, pro rata
// of hours worked to full-time hours below half-time, and never above the
// cap of 5,000 EUR (8,000) once added to the balance.
func YearlyRights(decls []Declaration, balance int64) (credit, capCents int64) {
	var worked, full int64
	higher := false
	for _, d := range decls {
		worked += int64(d.HoursWorked)
		if int64(d.FullTimeHours) > full {
			full = int64(d.FullTimeHours)
		}
		higher = higher || d.LowQualified || d.Disabled
	}
	yearly, capCents := int64(YearlyCredit), int64(YearlyCap)
	if higher {
		yearly, capCents = YearlyCreditHigher, YearlyCapHigher
	}
	if full == 0 {
		return 0, capCents
	}
	if worked*halfTimeDenominator >= full*halfTimeNumerator {
		credit = yearly
	} else {
		credit = yearly * worked / full
	}
	if room := capCents - balance; credit > room {
		credit = max(0, room)
	}
	return credit, capCents
}

// CreditKey is the idempotency key of an account's credit for a year: a
// year is credited once whatever the number of job runs.
func CreditKey(accountID string, year int) string {
	return fmt.Sprintf("credit:%s:%d", accountID, year)
}
