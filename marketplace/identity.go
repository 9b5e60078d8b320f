package marketplace

import (
	"errors"
	"fmt"
	"strings"
)

// Identity is what an identity provider (FranceConnect) asserts about a
// person, as its claims name it: gender "male" or "female", birthdate
// "YYYY-MM-DD" (month and day may be "00" when unknown), birthplace the
// INSEE code of the commune for people born in France, birthcountry the
// INSEE country code (99100 for France).
type Identity struct {
	Gender, Birthdate, Birthplace, Birthcountry string
}

// ErrIdentityMismatch is returned when a NIR contradicts the identity.
var ErrIdentityMismatch = errors.New("the NIR does not match the identity")

// franceCountry is France's INSEE country code.
const franceCountry = "99100"

// MatchNIR checks a normalised NIR (NormalizeNIR) against the identity:
// sex, year and month of birth, and the commune of birth (France) or the
// country of birth (abroad). A part the NIR or the identity leaves unknown
// is not compared. The error wraps ErrIdentityMismatch and names the
// part, never the NIR's digits, so that it may be logged.
func MatchNIR(nir string, id Identity) error {
	if len(nir) != 15 {
		return fmt.Errorf("%w: malformed NIR", ErrIdentityMismatch)
	}
	switch sex := nir[0]; {
	case id.Gender == "male" && sex != '1' && sex != '3' && sex != '7':
		return fmt.Errorf("%w: sex", ErrIdentityMismatch)
	case id.Gender == "female" && sex != '2' && sex != '4' && sex != '8':
		return fmt.Errorf("%w: sex", ErrIdentityMismatch)
	}
	year, month, _ := strings.Cut(id.Birthdate, "-")
	month, _, _ = strings.Cut(month, "-")
	if len(year) == 4 && year[2:] != nir[1:3] {
		return fmt.Errorf("%w: birth year", ErrIdentityMismatch)
	}
	// Months 20 and above (and 99) mark an unknown month in a NIR.
	if nm := nir[3:5]; nm >= "01" && nm <= "12" && len(month) == 2 && month != "00" && month != nm {
		return fmt.Errorf("%w: birth month", ErrIdentityMismatch)
	}
	place := nir[5:10]
	abroad := place[:2] == "99"
	switch {
	case id.Birthcountry != "" && id.Birthcountry != franceCountry:
		if !abroad {
			return fmt.Errorf("%w: born abroad by the identity, in France by the NIR", ErrIdentityMismatch)
		}
		if len(id.Birthcountry) == 5 && id.Birthcountry[2:] != place[2:] {
			return fmt.Errorf("%w: birth country", ErrIdentityMismatch)
		}
	case id.Birthcountry == franceCountry || id.Birthplace != "":
		if abroad {
			return fmt.Errorf("%w: born in France by the identity, abroad by the NIR", ErrIdentityMismatch)
		}
		if id.Birthplace != "" && !strings.EqualFold(id.Birthplace, place) {
			return fmt.Errorf("%w: birth place", ErrIdentityMismatch)
		}
	}
	return nil
}
