package marketplace

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CreateRule registers a funder's top-up rule. Its budget starts at zero:
// the funder funds it with FundBudget.
func (s *EnrolmentService) CreateRule(ctx context.Context, who Party, r TopUpRule) (TopUpRule, error) {
	if who.FunderID == "" {
		return TopUpRule{}, fmt.Errorf("only a funder may create top-up rules: %w", ErrForbidden)
	}
	if err := r.Validate(); err != nil {
		return TopUpRule{}, err
	}
	r.ID, r.FunderID, r.Active, r.CreatedAt = s.newID(), who.FunderID, true, s.clock()
	if err := s.store.CreateRule(ctx, r); err != nil {
		return TopUpRule{}, err
	}
	return r, nil
}

// RuleView is a rule with its budget's balance.
type RuleView struct {
	TopUpRule
	BudgetCents int64
}

// Rules lists a funder's own rules with their budgets.
func (s *EnrolmentService) Rules(ctx context.Context, who Party) ([]RuleView, error) {
	if who.FunderID == "" && !who.Admin {
		return nil, fmt.Errorf("listing top-up rules: %w", ErrForbidden)
	}
	rules, err := s.store.Rules(ctx, who.FunderID)
	if err != nil {
		return nil, err
	}
	var accounts []LedgerAccount
	for _, r := range rules {
		accounts = append(accounts, BudgetAccount(r.ID))
	}
	bal, err := s.store.Balances(ctx, accounts...)
	if err != nil {
		return nil, err
	}
	out := make([]RuleView, len(rules))
	for i, r := range rules {
		out[i] = RuleView{TopUpRule: r, BudgetCents: bal[BudgetAccount(r.ID)]}
	}
	return out, nil
}

// FundBudget moves a funder's money into one of its rules' budgets.
func (s *EnrolmentService) FundBudget(ctx context.Context, who Party, idem Idem, ruleID string, cents int64) (RuleView, error) {
	if who.FunderID == "" {
		return RuleView{}, fmt.Errorf("only a funder may fund a budget: %w", ErrForbidden)
	}
	r, err := s.store.Rule(ctx, ruleID)
	if err != nil || r.FunderID != who.FunderID {
		return RuleView{}, fmt.Errorf("rule %s: %w", ruleID, ErrNotFound)
	}
	if cents < 1 || cents > MaxPriceCents*100 {
		var v ValidationError
		v.Add("amount_cents", "must be between 1 and %d", MaxPriceCents*100)
		return RuleView{}, &v
	}
	if idem.Key == "" {
		idem.Key = "auto:budget:" + s.newID()
	}
	if _, err := s.store.Apply(ctx, Op{Key: idem.Key, Fingerprint: idem.Fingerprint, At: s.clock(), Kind: MoveBudget,
		Postings: transfer(FunderSource(r.FunderID), BudgetAccount(r.ID), cents)}); err != nil {
		return RuleView{}, err
	}
	bal, err := s.store.Balances(ctx, BudgetAccount(r.ID))
	return RuleView{TopUpRule: r, BudgetCents: bal[BudgetAccount(r.ID)]}, err
}

// DeclarationRow is one employment declaration as imported, with the NIR
// in clear: it is hashed at once and never stored.
type DeclarationRow struct {
	NIR           string
	Year          int
	EmployerSIRET string
	HoursWorked   int
	FullTimeHours int
	LowQualified  bool
	Disabled      bool
	JobSeeker     bool
}

// ImportResult counts what an import did.
type ImportResult struct {
	Declarations    int
	AccountsCreated int
}

// ImportDeclarations stores employment declarations, opening the accounts
// of NIRs seen for the first time. Every row is checked before anything is
// written; errors name the row (1 for the first) and field.
func (s *EnrolmentService) ImportDeclarations(ctx context.Context, who Party, rows []DeclarationRow) (ImportResult, error) {
	if !who.Admin {
		return ImportResult{}, fmt.Errorf("importing employment declarations: %w", ErrForbidden)
	}
	var v ValidationError
	for i, r := range rows {
		if _, ok := NormalizeNIR(r.NIR); !ok {
			v.Add(fmt.Sprintf("rows[%d].nir", i+1), "is not a valid NIR")
		}
		d := Declaration{Year: r.Year, EmployerSIRET: r.EmployerSIRET, HoursWorked: r.HoursWorked, FullTimeHours: r.FullTimeHours}
		if err := d.Validate(); err != nil {
			var ve *ValidationError
			errors.As(err, &ve)
			for _, f := range ve.Fields {
				v.Add(fmt.Sprintf("rows[%d].%s", i+1, f.Field), "%s", f.Reason)
			}
		}
	}
	if err := v.Err(); err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	ds := make([]Declaration, 0, len(rows))
	for _, r := range rows {
		a, created, err := s.openAccount(ctx, r.NIR, Account{LowQualified: r.LowQualified, Disabled: r.Disabled, JobSeeker: r.JobSeeker})
		if err != nil {
			return res, err
		}
		if created {
			res.AccountsCreated++
		}
		ds = append(ds, Declaration{AccountID: a.ID, Year: r.Year, EmployerSIRET: r.EmployerSIRET, HoursWorked: r.HoursWorked,
			FullTimeHours: r.FullTimeHours, LowQualified: r.LowQualified, Disabled: r.Disabled})
	}
	if err := s.store.SaveDeclarations(ctx, ds); err != nil {
		return res, err
	}
	res.Declarations = len(ds)
	return res, nil
}

// CreditYearlyRights credits every account's rights for each past year it
// has declarations for, once per (account, year) whatever the number of
// runs: the credit's idempotency key is CreditKey. A year is credited
// after it ends. It returns how many credits it made.
func (s *EnrolmentService) CreditYearlyRights(ctx context.Context) (int, error) {
	year := Day(s.clock()).Year()
	n := 0
	err := s.store.EachDeclarationYear(ctx, func(accountID string, y int, ds []Declaration) error {
		if y >= year {
			return nil
		}
		key := CreditKey(accountID, y)
		if _, err := s.store.Journal(ctx, key); err == nil {
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		for attempt := 0; ; attempt++ {
			acct := LearnerAccount(accountID)
			bal, err := s.store.Balances(ctx, acct)
			if err != nil {
				return err
			}
			credit, capCents := YearlyRights(ds, bal[acct])
			applied, err := s.store.Apply(ctx, Op{Key: key, Fingerprint: key, At: s.clock(), Kind: MoveYearlyCredit,
				Postings: transfer(RightsSourceFor(accountID), acct, credit), MaxBalance: map[LedgerAccount]int64{acct: capCents}})
			if errors.Is(err, ErrConflict) && attempt < s.retries {
				continue // credited concurrently above the cap: compute again
			}
			if err != nil {
				return err
			}
			if applied && credit > 0 {
				n++
			}
			return nil
		}
	})
	return n, err
}

// Credit adds rights to an account directly from the rights source, under
// an idempotency key, within the account's cap. It is how the demo data
// and the tests fund accounts; production credits come from
// CreditYearlyRights.
func (s *EnrolmentService) Credit(ctx context.Context, key, accountID string, cents int64, at time.Time) error {
	acct := LearnerAccount(accountID)
	_, err := s.store.Apply(ctx, Op{Key: key, Fingerprint: key, At: at, Kind: MoveYearlyCredit,
		Postings: transfer(RightsSourceFor(accountID), acct, cents)})
	return err
}
