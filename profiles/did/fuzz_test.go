package did

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	doc, _ := New("did:web:parcours.example:issuers:12345678901234")
	pub, _, _ := ed25519.GenerateKey(nil)
	vm, _ := doc.AddKey(pub, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	doc.Retire(vm.ID, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	good, _ := doc.Marshal()
	f.Add(good)
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/did/v1"],"id":"did:web:x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		out, err := d.Marshal()
		if err != nil {
			t.Fatalf("a parsed document does not marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("a marshalled document does not parse: %v", err)
		}
		out2, _ := again.Marshal()
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
