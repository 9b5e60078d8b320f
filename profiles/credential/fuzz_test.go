package credential

import (
	"bytes"
	"testing"
)

// FuzzVerify: Verify never panics on arbitrary input, and nothing but
// the W3C vector (up to white space) verifies with its key.
func FuzzVerify(f *testing.F) {
	signed := readFile(f, "eddsa-jcs-2022-signed.json")
	canon, _ := Canonicalize(signed)
	f.Add(signed)
	f.Add(canon)
	f.Add([]byte(`{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022"}}`))
	r := vectorResolver(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Verify(data, r); err == nil {
			c, _ := Canonicalize(data)
			if !bytes.Equal(c, canon) {
				t.Fatalf("verified a changed document: %s", data)
			}
		}
	})
}
