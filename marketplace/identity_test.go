package marketplace

import (
	"errors"
	"testing"
)

func TestMatchNIR(t *testing.T) {
	// 2 55 08 14 168 025 38: a woman born in August 1955 in commune 14168.
	const fr = "255081416802538"
	// 1 80 01 99 350 123 xx: a man born in January 1980 abroad, country 350.
	abroad := "180019935012345"
	tests := []struct {
		name string
		nir  string
		id   Identity
		ok   bool
	}{
		{"match France", fr, Identity{Gender: "female", Birthdate: "1955-08-20", Birthplace: "14168", Birthcountry: "99100"}, true},
		{"wrong sex", fr, Identity{Gender: "male", Birthdate: "1955-08-20", Birthplace: "14168", Birthcountry: "99100"}, false},
		{"wrong year", fr, Identity{Gender: "female", Birthdate: "1956-08-20", Birthplace: "14168", Birthcountry: "99100"}, false},
		{"wrong month", fr, Identity{Gender: "female", Birthdate: "1955-09-20", Birthplace: "14168", Birthcountry: "99100"}, false},
		{"unknown month in the identity", fr, Identity{Gender: "female", Birthdate: "1955-00-00", Birthplace: "14168", Birthcountry: "99100"}, true},
		{"wrong commune", fr, Identity{Gender: "female", Birthdate: "1955-08-20", Birthplace: "75056", Birthcountry: "99100"}, false},
		{"born abroad says the identity", fr, Identity{Gender: "female", Birthdate: "1955-08-20", Birthcountry: "99350"}, false},
		{"match abroad", abroad, Identity{Gender: "male", Birthdate: "1980-01-02", Birthcountry: "99350"}, true},
		{"wrong country", abroad, Identity{Gender: "male", Birthdate: "1980-01-02", Birthcountry: "99351"}, false},
		{"born in France says the identity", abroad, Identity{Gender: "male", Birthdate: "1980-01-02", Birthplace: "75056", Birthcountry: "99100"}, false},
		{"unknown month in the NIR", "180209935012345", Identity{Gender: "male", Birthdate: "1980-07-02", Birthcountry: "99350"}, true},
		{"Corsica", "180042A00412345", Identity{Gender: "male", Birthdate: "1980-04-02", Birthplace: "2a004", Birthcountry: "99100"}, true},
	}
	for _, tt := range tests {
		err := MatchNIR(tt.nir, tt.id)
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrIdentityMismatch) {
			t.Errorf("%s: MatchNIR = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && containsDigits(err.Error(), tt.nir) {
			t.Errorf("%s: the error %q quotes the NIR", tt.name, err)
		}
	}
}

func containsDigits(s, nir string) bool {
	for i := 0; i+5 <= len(nir); i++ {
		for j := 0; j+5 <= len(s); j++ {
			if s[j:j+5] == nir[i:i+5] {
				return true
			}
		}
	}
	return false
}
