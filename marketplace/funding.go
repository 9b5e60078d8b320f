package marketplace

import (
	"slices"
	"sort"
	"time"
)

// FunderKind is who a funder is.
type FunderKind string

// The kinds of funders that top up training accounts (abondements).
const (
	FunderEmployer   FunderKind = "employer"
	FunderRegion     FunderKind = "region"
	FunderEmployment FunderKind = "employment_service" // France Travail
)

// Valid reports whether k is a known kind.
func (k FunderKind) Valid() bool {
	return k == FunderEmployer || k == FunderRegion || k == FunderEmployment
}

// TopUpRule is a funder's standing offer to pay part of trainings, applied
// automatically at acceptance to every dossier it matches: for example "the
// region pays 50% of the remaining cost for job seekers whose balance is
// under 800 EUR, for certifications X and Y, capped at 1,500 EUR". Its
// money is a ledger account (BudgetAccount(ID)) that cannot go negative.
type TopUpRule struct {
	ID         string
	FunderID   string
	FunderKind FunderKind
	Name       string
	// Percent of the cost still to fund after the learner's account (1-100).
	Percent int
	// CapCents bounds what the rule pays for one dossier (0: no cap).
	CapCents int64
	// Conditions; zero values mean "any".
	JobSeekersOnly  bool
	MaxBalanceCents int64    // the learner's balance must be under this
	Certifications  []string // the offer's certification code must be one of these
	Active          bool
	CreatedAt       time.Time
}

// Validate checks a rule's fields.
func (r *TopUpRule) Validate() error {
	var v ValidationError
	checkText(&v, "name", r.Name, 1, 200)
	if !r.FunderKind.Valid() {
		v.Add("funder_kind", "must be employer, region or employment_service")
	}
	if r.Percent < 1 || r.Percent > 100 {
		v.Add("percent", "must be between 1 and 100")
	}
	if r.CapCents < 0 || r.CapCents > MaxPriceCents {
		v.Add("cap_cents", "must be between 0 and %d", MaxPriceCents)
	}
	if r.MaxBalanceCents < 0 || r.MaxBalanceCents > MaxPriceCents {
		v.Add("max_balance_cents", "must be between 0 and %d", MaxPriceCents)
	}
	if len(r.Certifications) > 100 {
		v.Add("certifications", "must list at most 100 codes")
	}
	for i, c := range r.Certifications {
		if _, code, ok := ParseCertificationCode(c); ok {
			r.Certifications[i] = code
		} else {
			v.Add("certifications", "%q is not a certification code such as RNCP37674", c)
		}
	}
	return v.Err()
}

// matches reports whether the rule applies to a purchase.
func (r TopUpRule) matches(a Account, balance int64, certification string) bool {
	if !r.Active || (r.JobSeekersOnly && !a.JobSeeker) {
		return false
	}
	if r.MaxBalanceCents > 0 && balance >= r.MaxBalanceCents {
		return false
	}
	return len(r.Certifications) == 0 || slices.Contains(r.Certifications, certification)
}

// CoPayment is the flat co-payment (reste à charge, participation
// forfaitaire) in force from a day.
type CoPayment struct {
	From  time.Time // day
	Cents int64
}

// CoPaymentAt returns the co-payment in force on a day: the latest entry
// of the schedule starting on or before it, 0 before the first.
func CoPaymentAt(schedule []CoPayment, day time.Time) int64 {
	var cents int64
	var from time.Time
	for _, c := range schedule {
		if !c.From.After(day) && !c.From.Before(from) {
			cents, from = c.Cents, c.From
		}
	}
	return cents
}

// Plan is how a price is funded at acceptance.
type Plan struct {
	Shares        []Share
	AccountCents  int64
	TopUpCents    int64
	CoPayment     int64
	Remainder     int64 // due from the learner beyond the co-payment
	ExternalCents int64 // CoPayment + Remainder
}

// PlanFunding splits a price between, in order: the co-payment (unless the
// learner is a job seeker or an employer rule applies), the learner's
// account, the matching top-up rules in order of creation (each paying its
// percent of what is still to fund, within its cap and its budget), and
// the remainder due from the learner. balance is the account's balance and
// budgets the rules' budget balances.
func PlanFunding(price int64, a Account, balance int64, certification string, rules []TopUpRule, budgets map[string]int64, copay int64) Plan {
	var p Plan
	var applicable []TopUpRule
	for _, r := range rules {
		if r.matches(a, balance, certification) && budgets[r.ID] > 0 {
			applicable = append(applicable, r)
		}
	}
	sort.SliceStable(applicable, func(i, j int) bool {
		if !applicable[i].CreatedAt.Equal(applicable[j].CreatedAt) {
			return applicable[i].CreatedAt.Before(applicable[j].CreatedAt)
		}
		return applicable[i].ID < applicable[j].ID
	})
	waived := a.JobSeeker
	for _, r := range applicable {
		waived = waived || r.FunderKind == FunderEmployer
	}
	rest := price
	if !waived {
		p.CoPayment = min(copay, rest)
		rest -= p.CoPayment
	}
	p.AccountCents = min(balance, rest)
	rest -= p.AccountCents
	if p.AccountCents > 0 {
		p.Shares = append(p.Shares, Share{From: LearnerAccount(a.ID), Cents: p.AccountCents, Kind: "account"})
	}
	for _, r := range applicable {
		if rest == 0 {
			break
		}
		n := rest * int64(r.Percent) / 100
		if r.CapCents > 0 {
			n = min(n, r.CapCents)
		}
		n = min(n, budgets[r.ID])
		if n <= 0 {
			continue
		}
		rest -= n
		p.TopUpCents += n
		p.Shares = append(p.Shares, Share{From: BudgetAccount(r.ID), Cents: n, Kind: "topup"})
	}
	p.Remainder = rest
	p.ExternalCents = p.CoPayment + p.Remainder
	return p
}
