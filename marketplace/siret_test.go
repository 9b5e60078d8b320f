package marketplace

import "testing"

func TestValidSIRET(t *testing.T) {
	tests := []struct {
		siret string
		want  bool
	}{
		{"44306184100047", true},  // Google France
		{"73282932000074", true},  // Luhn-valid establishment
		{"35600000000048", true},  // La Poste head office: Luhn
		{"35600000049837", true},  // La Poste establishment: digit sum multiple of 5
		{"35600000049838", false}, // neither rule
		{"44306184100048", false}, // wrong check digit
		{"4430618410004", false},  // 13 digits
		{"443061841000470", false},
		{"4430618410004A", false},
		{"443 061 841 00047", false}, // callers strip spaces first
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidSIRET(tt.siret); got != tt.want {
			t.Errorf("ValidSIRET(%q) = %v, want %v", tt.siret, got, tt.want)
		}
	}
}

func TestValidSIRENAndNDA(t *testing.T) {
	if !ValidSIREN("443061841") || ValidSIREN("443061842") || ValidSIREN("44306184") {
		t.Error("ValidSIREN")
	}
	if !ValidNDA("11755555575") || ValidNDA("1175555557") || ValidNDA("1175555557x") {
		t.Error("ValidNDA")
	}
}

func FuzzValidSIRET(f *testing.F) {
	for _, s := range []string{"44306184100047", "35600000049837", "", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidSIRET(s) {
			return
		}
		if len(s) != 14 {
			t.Fatalf("ValidSIRET(%q) with length %d", s, len(s))
		}
		// Changing one digit of a Luhn-checked SIRET must break it.
		if s[:9] != "356000000" {
			b := []byte(s)
			b[13] = '0' + (b[13]-'0'+1)%10
			if ValidSIRET(string(b)) {
				t.Fatalf("both %q and %q are valid", s, b)
			}
		}
	})
}

func FuzzParseCertificationCode(f *testing.F) {
	for _, s := range []string{"RNCP37674", "rs 5517", "RNCP", "RNCP1234567", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, code, ok := ParseCertificationCode(s)
		if !ok {
			return
		}
		if (kind != RNCP && kind != RS) || len(code) > 10 {
			t.Fatalf("ParseCertificationCode(%q) = %q, %q", s, kind, code)
		}
		if k2, c2, ok2 := ParseCertificationCode(code); !ok2 || k2 != kind || c2 != code {
			t.Fatalf("normalised code %q does not parse to itself", code)
		}
	})
}
