package auth

import (
	"slices"
	"strconv"
	"time"
)

// ACRLevels orders the authentication context classes the service knows,
// weakest first: FranceConnect's eIDAS levels. An unknown class ranks
// below all of them.
var ACRLevels = []string{"eidas1", "eidas2", "eidas3"}

// acrRank is the position of acr in ACRLevels, or -1.
func acrRank(acr string) int { return slices.Index(ACRLevels, acr) }

// StepUp is the authentication that money-moving actions require: a level
// at or above ACR, reached within MaxAge. The zero value requires nothing.
// Spending training rights requires FranceConnect+ (eidas2) since 2022,
// after a wave of account takeovers.
type StepUp struct {
	ACR    string
	MaxAge time.Duration
}

// Satisfied reports whether p authenticated strongly and recently enough
// at now. Only learners spend from their own account: other roles act
// under their organisation's accountability and are not checked here.
func (s StepUp) Satisfied(p Principal, now time.Time) bool {
	if s.ACR == "" || p.Role != Learner {
		return true
	}
	if p.AuthTime.IsZero() || acrRank(p.ACR) < 0 || acrRank(p.ACR) < acrRank(s.ACR) {
		return false
	}
	if s.MaxAge > 0 && now.Sub(p.AuthTime) > s.MaxAge {
		return false
	}
	return !p.AuthTime.After(now.Add(verifyLeeway))
}

// Challenge is the WWW-Authenticate value asking for a step-up (RFC 9470).
func (s StepUp) Challenge() string {
	return `Bearer error="insufficient_user_authentication", error_description="a stronger or more recent authentication is required", acr_values="` +
		s.ACR + `", max_age=` + strconv.Itoa(int(s.MaxAge.Seconds()))
}
