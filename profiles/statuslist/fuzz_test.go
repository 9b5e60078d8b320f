package statuslist

import (
	"bytes"
	"testing"
)

func FuzzDecode(f *testing.F) {
	l, _ := New(MinSize)
	l.Set(5, true)
	enc, _ := l.Encode()
	f.Add(enc)
	f.Add("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")
	f.Add("u")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Decode(s)
		if err != nil {
			return
		}
		enc, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(enc)
		if err != nil || !bytes.Equal(back.Bytes(), l.Bytes()) {
			t.Fatalf("re-encoding changed the list: %v", err)
		}
	})
}
