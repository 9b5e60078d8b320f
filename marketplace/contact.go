package marketplace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Contact is a learner's contact and bank details: where notices go, and
// the account the remaining charge (reste à charge) is refunded to. A
// change of them is how an account takeover shows first, so it is
// recorded (ChangedAt), notified to the previous details, and followed by
// a cooling-off period during which the account buys nothing.
type Contact struct {
	AccountID string
	Email     string
	Phone     string // E.164, e.g. +33612345678
	IBAN      string // upper case, no spaces
	// SetAt is when details were first given; ChangedAt when details
	// already given were last changed (zero if never).
	SetAt     time.Time
	ChangedAt time.Time
	// Changed names what the last change replaced: "bank" when the IBAN
	// changed, else "email" or "phone"; empty if never changed.
	Changed string
	// Version counts the writes; PutContact writes only over the version read.
	Version int
}

// ContactStore keeps learners' contact details. It is an optional
// capability of an EnrolmentStore, found by type assertion.
// Implementations are safe for concurrent use.
type ContactStore interface {
	// Contact returns an account's details, or ErrNotFound if none were given.
	Contact(ctx context.Context, accountID string) (Contact, error)
	// PutContact stores c if the stored version is c.Version (0: none
	// stored yet), with Version+1; ErrStale otherwise.
	PutContact(ctx context.Context, c Contact) error
}

// Notice is a message to a learner's contact details, outside the service.
type Notice struct {
	AccountID string
	Email     string // "" when there is none
	Phone     string
	Subject   string
	Body      string
}

// Notifier sends notices (e-mail, SMS). Implementations are safe for
// concurrent use.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// LogNotifier hands notices to the log, with the addresses masked, for a
// mail or SMS gateway that reads the log (or for a deployment that has
// none yet). It is the notifier when none is configured.
type LogNotifier struct{ Log *slog.Logger }

// Notify implements Notifier.
func (l LogNotifier) Notify(ctx context.Context, n Notice) error {
	l.Log.InfoContext(ctx, "notice", "account", n.AccountID, "email", maskEmail(n.Email), "phone", maskPhone(n.Phone), "subject", n.Subject)
	return nil
}

// maskEmail keeps the first letter and the domain: enough to tell
// addresses apart in a log, not to write to them.
func maskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 1 {
		return ""
	}
	return s[:1] + "***" + s[at:]
}

func maskPhone(s string) string {
	if len(s) < 4 {
		return ""
	}
	return "***" + s[len(s)-2:]
}

// ErrCoolingOff is returned when an account may not buy yet because its
// contact or bank details changed lately; the concrete error is a
// *CoolingOffError saying until when.
var ErrCoolingOff = errors.New("purchases are suspended after a change of contact or bank details")

// CoolingOffError says until when an account's purchases wait.
type CoolingOffError struct {
	Until time.Time
}

func (e *CoolingOffError) Error() string {
	return fmt.Sprintf("%s: the contact or bank details changed; purchases are possible again from %s", ErrCoolingOff, e.Until.UTC().Format(time.RFC3339))
}

// Is reports ErrCoolingOff as the kind of a CoolingOffError.
func (e *CoolingOffError) Is(target error) bool { return target == ErrCoolingOff }

// ContactInput is what a learner gives; an empty field removes it.
type ContactInput struct {
	Email, Phone, IBAN string
}

// NormalizeIBAN returns an IBAN in upper case without spaces and whether
// it is valid: two letters of country, two check digits, 11 to 30
// letters and digits (27 characters in all for France), and the ISO 13616
// check: the number with its first four characters moved to the end and
// letters read as 10 to 35 is 1 modulo 97.
func NormalizeIBAN(s string) (string, bool) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) < 15 || len(s) > 34 {
		return s, false
	}
	for i, r := range s {
		switch {
		case i < 2 && (r < 'A' || r > 'Z'):
			return s, false
		case i >= 2 && i < 4 && (r < '0' || r > '9'):
			return s, false
		case (r < 'A' || r > 'Z') && (r < '0' || r > '9'):
			return s, false
		}
	}
	if s[:2] == "FR" && len(s) != 27 {
		return s, false
	}
	return s, ibanMod97(s) == 1
}

// ibanMod97 is the rearranged IBAN's remainder modulo 97, computed piece
// by piece so that no big number is needed.
func ibanMod97(s string) int {
	r := s[4:] + s[:4]
	m := 0
	for _, c := range r {
		if c >= 'A' {
			v := int(c-'A') + 10
			m = (m*100 + v) % 97
		} else {
			m = (m*10 + int(c-'0')) % 97
		}
	}
	return m
}

// NormalizePhone returns a phone number in E.164 form and whether it is
// valid: a French number of ten digits starting with 0 (+33 then nine
// digits), or an international one, + then 8 to 15 digits.
func NormalizePhone(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-':
		default:
			return s, false
		}
	}
	n := b.String()
	switch {
	case len(n) == 10 && n[0] == '0' && n[1] != '0':
		return "+33" + n[1:], true
	case strings.HasPrefix(n, "+33"):
		return n, len(n) == 12 && n[3] != '0'
	case strings.HasPrefix(n, "+") && len(n) >= 9 && len(n) <= 16 && n[1] != '0':
		return n, true
	}
	return s, false
}

// validEmail checks an e-mail address loosely: one @, a dot in the domain,
// no spaces, at most 254 characters.
func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return len(s) <= 254 && at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".") &&
		!strings.ContainsAny(s, " \t\r\n<>,;") && utf8.ValidString(s) && strings.Count(s, "@") == 1
}

// Validate normalises the input and names the fields at fault.
func (in *ContactInput) Validate() error {
	var v ValidationError
	in.Email = strings.TrimSpace(in.Email)
	if in.Email != "" && !validEmail(in.Email) {
		v.Add("email", "must be an e-mail address such as nom@exemple.fr")
	}
	if in.Phone != "" {
		p, ok := NormalizePhone(in.Phone)
		if !ok {
			v.Add("phone", "must be a French number of 10 digits (06 12 34 56 78) or an international one (+ then 8 to 15 digits)")
		}
		in.Phone = p
	}
	if strings.TrimSpace(in.IBAN) != "" {
		iban, ok := NormalizeIBAN(in.IBAN)
		if !ok {
			v.Add("iban", "must be a valid IBAN (the ISO 13616 mod-97 check fails, or the length is wrong)")
		}
		in.IBAN = iban
	} else {
		in.IBAN = ""
	}
	return v.Err()
}

// contacts returns the store's contact capability.
func (s *EnrolmentService) contacts() (ContactStore, error) {
	cs, ok := s.store.(ContactStore)
	if !ok {
		return nil, fmt.Errorf("contact details: the store does not keep them: %w", ErrUnavailable)
	}
	return cs, nil
}

// Contact returns an account's contact details (zero with only AccountID
// set when none were given) to the account's learner or an administrator.
func (s *EnrolmentService) Contact(ctx context.Context, who Party, accountID string) (Contact, error) {
	if !who.Admin && who.AccountID != accountID {
		return Contact{}, fmt.Errorf("only the account's learner sees its details: %w", ErrForbidden)
	}
	cs, err := s.contacts()
	if err != nil {
		return Contact{}, err
	}
	c, err := cs.Contact(ctx, accountID)
	if errors.Is(err, ErrNotFound) {
		if _, err := s.store.Account(ctx, accountID); err != nil {
			return Contact{}, err
		}
		return Contact{AccountID: accountID}, nil
	}
	return c, err
}

// ContactChangedAt is when the account's contact or bank details, already
// given, were last changed; zero if never. The fraud controls read it
// ("details changed shortly before a purchase").
func (s *EnrolmentService) ContactChangedAt(ctx context.Context, accountID string) (time.Time, error) {
	at, _, err := s.LastContactChange(ctx, accountID)
	return at, err
}

// LastContactChange is when the account's details, already given, were
// last changed and what the change replaced ("bank", "email" or "phone");
// zero and empty if never.
func (s *EnrolmentService) LastContactChange(ctx context.Context, accountID string) (time.Time, string, error) {
	cs, err := s.contacts()
	if err != nil {
		return time.Time{}, "", err
	}
	c, err := cs.Contact(ctx, accountID)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, "", nil
	}
	return c.ChangedAt, c.Changed, err
}

// CoolingOffUntil is when the account may buy again after a change of its
// details; zero or past when it may now.
func (s *EnrolmentService) CoolingOffUntil(ctx context.Context, accountID string) (time.Time, error) {
	if s.cfg.CoolingOff <= 0 {
		return time.Time{}, nil
	}
	at, err := s.ContactChangedAt(ctx, accountID)
	if err != nil || at.IsZero() {
		return time.Time{}, err
	}
	return at.Add(s.cfg.CoolingOff), nil
}

// coolingOff refuses a purchase during the cooling-off period.
func (s *EnrolmentService) coolingOff(ctx context.Context, accountID string) error {
	until, err := s.CoolingOffUntil(ctx, accountID)
	if err != nil {
		return err
	}
	if s.now().Before(until) {
		return &CoolingOffError{Until: until}
	}
	return nil
}

// SetContact replaces an account's contact and bank details; only the
// account's learner may (after a step-up, which the HTTP layer checks).
// Changing details already given records the time (ContactChangedAt),
// starts the cooling-off period and sends a notice to the previous
// details, so that the real learner learns of a takeover. Details given
// for the first time start no cooling-off: nothing is replaced.
func (s *EnrolmentService) SetContact(ctx context.Context, who Party, accountID string, in ContactInput) (Contact, error) {
	if who.AccountID == "" || who.AccountID != accountID {
		return Contact{}, fmt.Errorf("only the account's learner changes its details: %w", ErrForbidden)
	}
	if err := in.Validate(); err != nil {
		return Contact{}, err
	}
	cs, err := s.contacts()
	if err != nil {
		return Contact{}, err
	}
	if _, err := s.store.Account(ctx, accountID); err != nil {
		return Contact{}, err
	}
	for attempt := 0; ; attempt++ {
		old, err := cs.Contact(ctx, accountID)
		if errors.Is(err, ErrNotFound) {
			old = Contact{AccountID: accountID}
		} else if err != nil {
			return Contact{}, err
		}
		if old.Email == in.Email && old.Phone == in.Phone && old.IBAN == in.IBAN {
			return old, nil
		}
		now := s.clock()
		c := Contact{AccountID: accountID, Email: in.Email, Phone: in.Phone, IBAN: in.IBAN, SetAt: old.SetAt, ChangedAt: old.ChangedAt, Version: old.Version}
		replaced := old.Email != "" || old.Phone != "" || old.IBAN != ""
		if c.SetAt.IsZero() {
			c.SetAt = now
		}
		if replaced {
			c.ChangedAt = now
			switch {
			case old.IBAN != in.IBAN:
				c.Changed = "bank"
			case old.Email != in.Email:
				c.Changed = "email"
			default:
				c.Changed = "phone"
			}
		}
		err = cs.PutContact(ctx, c)
		if errors.Is(err, ErrStale) && attempt < s.retries {
			continue
		}
		if err != nil {
			return Contact{}, err
		}
		c.Version++
		if replaced {
			s.notifyChange(ctx, old, c)
		}
		return c, nil
	}
}

// notifyChange tells the previous details of a change. A failed notice is
// logged: the change stands, and the cooling-off still protects the money.
func (s *EnrolmentService) notifyChange(ctx context.Context, old, c Contact) {
	if s.cfg.Notifier == nil || old.Email == "" && old.Phone == "" {
		return
	}
	var what []string
	if old.Email != c.Email {
		what = append(what, "adresse électronique")
	}
	if old.Phone != c.Phone {
		what = append(what, "téléphone")
	}
	if old.IBAN != c.IBAN {
		what = append(what, "coordonnées bancaires")
	}
	body := "Les coordonnées de votre compte formation ont été modifiées le " + c.ChangedAt.In(Paris).Format("02/01/2006 à 15:04") +
		" (" + strings.Join(what, ", ") + ")."
	if s.cfg.CoolingOff > 0 {
		body += " Par sécurité, aucun achat n’est possible avant le " + c.ChangedAt.Add(s.cfg.CoolingOff).In(Paris).Format("02/01/2006 à 15:04") + "."
	}
	body += " Si vous n’êtes pas à l’origine de ce changement, connectez-vous, choisissez « Se déconnecter partout » et contactez l’assistance."
	n := Notice{AccountID: old.AccountID, Email: old.Email, Phone: old.Phone, Subject: "Vos coordonnées ont été modifiées", Body: body}
	if err := s.cfg.Notifier.Notify(ctx, n); err != nil {
		s.log.ErrorContext(ctx, "sending the notice of a change of contact details", "account", old.AccountID, "err", err)
	}
}
