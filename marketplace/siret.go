package marketplace

// ValidSIRET reports whether s is a well-formed SIRET (establishment number):
// 14 digits whose Luhn checksum holds. The establishments of La Poste (SIREN
// 356000000) are numbered past what the Luhn key allows; INSEE checks them by
// the sum of their digits being a multiple of 5 instead (the head office,
// 35600000000048, keeps a Luhn key), and so does this.
func ValidSIRET(s string) bool {
	if len(s) != 14 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if s[:9] == "356000000" {
		sum := 0
		for i := 0; i < len(s); i++ {
			sum += int(s[i] - '0')
		}
		return sum%5 == 0 || luhn(s)
	}
	return luhn(s)
}

// ValidSIREN reports whether s is a well-formed SIREN (company number): 9
// digits with a valid Luhn checksum.
func ValidSIREN(s string) bool {
	if len(s) != 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return luhn(s)
}

// luhn reports whether an all-digit string ends with its Luhn check digit.
func luhn(s string) bool {
	return len(s) > 1 && LuhnDigit(s[:len(s)-1]) == s[len(s)-1]
}

// LuhnDigit returns the check digit that, appended to the ASCII digits
// of prefix, makes a number whose Luhn checksum holds (as the last digits
// of SIREN and SIRET numbers do).
func LuhnDigit(prefix string) byte {
	sum := 0
	double := true // the digit left of the check digit is doubled
	for i := len(prefix) - 1; i >= 0; i-- {
		d := int(prefix[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

// ValidNDA reports whether s is a well-formed numéro de déclaration
// d'activité (the activity number a training provider receives from the
// regional administration): 11 digits.
func ValidNDA(s string) bool {
	if len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
