package verify

import "testing"

// FuzzVerify feeds arbitrary files to the bundle reader and verifier:
// they never panic, and only the genuine bundle verifies.
func FuzzVerify(f *testing.F) {
	w := newWorld(f)
	signed := w.issue(f, 3, w.issuerKey, w.issuerVM, issued)
	good, _ := w.bundle(f, signed, 5).Marshal()
	f.Add(good)
	f.Add(signed)
	f.Add([]byte(`{"credential":{}}`))
	opts := w.trusted()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			return
		}
		rep := Verify(b, opts)
		if rep.OK && string(data) != string(good) {
			// Only white space may differ from the genuine bundle.
			g, _ := ParseBundle(good)
			if !sameCanonical(g, b) {
				t.Fatalf("a changed bundle verifies:\n%s", data)
			}
		}
	})
}
