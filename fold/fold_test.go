package fold

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Orléans", "orleans"},
		{"  SAINT-ÉTIENNE  ", "saint etienne"},
		{"L'Haÿ-les-Roses", "l hay les roses"},
		{"Cœur de métier, Ætna", "coeur de metier aetna"},
		{"RNCP 37674", "rncp 37674"},
		{"", ""},
		{"...", ""},
	}
	for _, tt := range tests {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if diff := cmp.Diff([]string{"developpeur", "web"}, Words("Développeur  web!")); diff != "" {
		t.Error(diff)
	}
}

func FuzzString(f *testing.F) {
	f.Add("Orléans")
	f.Add("Œuvre — ÿ")
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if String(out) != out {
			t.Errorf("String is not idempotent on %q: %q then %q", s, out, String(out))
		}
		if len(out) > 0 && (out[0] == ' ' || out[len(out)-1] == ' ') {
			t.Errorf("String(%q) = %q has spaces at an end", s, out)
		}
	})
}
