package marketplace

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Provider is a training provider (organisme de formation). Its SIRET
// identifies the establishment; its NDA (numéro de déclaration d'activité)
// declares it as a trainer; Qualiopi is the quality certification without
// which, since 2022, it cannot sell trainings paid from training accounts.
type Provider struct {
	ID          string
	SIRET       string
	Name        string
	NDA         string
	Qualiopi    Qualiopi
	Commune     string // INSEE code of the head office
	Description string
	Website     string
	Email       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Qualiopi is a provider's quality certification. The zero value means the
// provider is not certified.
type Qualiopi struct {
	Certificate string    // certificate number given by the certifying body
	Certifier   string    // name of the certifying body
	ValidUntil  time.Time // the certificate is valid up to and including this day
}

// ValidAt reports whether the certification is in force at t.
func (q Qualiopi) ValidAt(t time.Time) bool {
	if q.Certificate == "" || q.ValidUntil.IsZero() {
		return false
	}
	end := time.Date(q.ValidUntil.Year(), q.ValidUntil.Month(), q.ValidUntil.Day()+1, 0, 0, 0, 0, time.UTC)
	return t.Before(end)
}

// CanPublishAt reports whether the provider may publish offers at t.
func (p Provider) CanPublishAt(t time.Time) bool { return p.Qualiopi.ValidAt(t) }

// Validate checks the provider's own fields; communeKnown tells whether an
// INSEE code names a real commune.
func (p *Provider) Validate(communeKnown func(string) bool) error {
	var v ValidationError
	p.SIRET = strings.ReplaceAll(p.SIRET, " ", "")
	p.NDA = strings.ReplaceAll(p.NDA, " ", "")
	p.Name = strings.TrimSpace(p.Name)
	if !ValidSIRET(p.SIRET) {
		v.Add("siret", "must be 14 digits with a valid check digit (Luhn)")
	}
	checkText(&v, "name", p.Name, 1, 200)
	if !ValidNDA(p.NDA) {
		v.Add("nda", "must be the 11-digit activity declaration number")
	}
	if p.Qualiopi.Certificate != "" || !p.Qualiopi.ValidUntil.IsZero() {
		checkText(&v, "qualiopi.certificate", p.Qualiopi.Certificate, 1, 100)
		if p.Qualiopi.ValidUntil.IsZero() {
			v.Add("qualiopi.valid_until", "is required with a certificate")
		}
	}
	checkText(&v, "qualiopi.certifier", p.Qualiopi.Certifier, 0, 200)
	if p.Commune != "" && !communeKnown(p.Commune) {
		v.Add("commune", "unknown INSEE commune code %q", p.Commune)
	}
	checkText(&v, "description", p.Description, 0, 5000)
	checkText(&v, "website", p.Website, 0, 300)
	if p.Website != "" && !strings.HasPrefix(p.Website, "https://") && !strings.HasPrefix(p.Website, "http://") {
		v.Add("website", "must be an http or https URL")
	}
	checkText(&v, "email", p.Email, 0, 254)
	if p.Email != "" && (!strings.Contains(p.Email, "@") || strings.ContainsAny(p.Email, " <>")) {
		v.Add("email", "must be an e-mail address")
	}
	return v.Err()
}

// checkText enforces a length in characters and the absence of control
// characters other than newlines and tabs.
func checkText(v *ValidationError, field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
		return
	case n < min && min == 1:
		v.Add(field, "is required")
		return
	case n < min:
		v.Add(field, "must be at least %d characters", min)
		return
	case n > max:
		v.Add(field, "must be at most %d characters", max)
		return
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f {
			v.Add(field, "must not contain control characters")
			return
		}
	}
}
