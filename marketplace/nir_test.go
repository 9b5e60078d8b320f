package marketplace

import "testing"

func TestNormalizeNIR(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2 55 08 14 168 025 38", "255081416802538", true}, // the published test vector
		{"255081416802538", "255081416802538", true},
		{"255081416802539", "", false}, // wrong key
		{"25508141680253", "", false},  // 14 characters
		{"2550814168025388", "", false},
		{"2 55 08 2A 168 025 ??", "", false},
		{"x55081416802538", "", false},
		{"", "", false},
	}
	// Corsica: 2A counts as 19 and 2B as 18 in the key.
	for _, dep := range []struct{ code, digits string }{{"2A", "19"}, {"2B", "18"}, {"2a", "19"}} {
		body := "18503" + dep.digits + "123456"
		k := 97 - mod97(body)
		nir := "18503" + dep.code + "123456" + pad2(k)
		tests = append(tests, struct {
			in   string
			want string
			ok   bool
		}{nir, "18503" + upper(dep.code) + "123456" + pad2(k), true})
		// The same digits with the key computed without the substitution fail.
		tests = append(tests, struct {
			in   string
			want string
			ok   bool
		}{"18503" + dep.code + "123456" + pad2(97-mod97("1850300123456")), "", false})
	}
	for _, tt := range tests {
		got, ok := NormalizeNIR(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeNIR(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func mod97(digits string) int {
	r := 0
	for _, c := range digits {
		r = (r*10 + int(c-'0')) % 97
	}
	return r
}

func pad2(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func upper(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 32
		}
	}
	return string(b)
}

func TestNIRHashIsKeyed(t *testing.T) {
	a := NIRHash([]byte("key-one-key-one-key-one-key-one!"), "255081416802538")
	b := NIRHash([]byte("key-two-key-two-key-two-key-two!"), "255081416802538")
	if a == b || len(a) != 64 {
		t.Errorf("hashes %s and %s: want distinct 64-hex-digit values", a, b)
	}
}

func FuzzNormalizeNIR(f *testing.F) {
	for _, s := range []string{"255081416802538", "2 55 08 14 168 025 38", "18503 2A 123456", "", "2B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := NormalizeNIR(s)
		if !ok {
			if n != "" {
				t.Fatalf("invalid NIR %q normalised to %q", s, n)
			}
			return
		}
		if len(n) != 15 {
			t.Fatalf("valid NIR %q has %d characters", n, len(n))
		}
		again, ok2 := NormalizeNIR(n)
		if !ok2 || again != n {
			t.Fatalf("normalising %q again gave %q, %v", n, again, ok2)
		}
	})
}
