package tlog

import (
	"bytes"
	"testing"
)

func FuzzCheckpoint(f *testing.F) {
	s, _ := ParseSignerKey(peterSigner)
	v, _ := NewVerifier(peterVerifier)
	note, _ := s.Sign(Checkpoint{Origin: "PeterNeumann", Size: 42, Root: LeafHash(nil), Extensions: []string{"ext"}})
	f.Add(note)
	f.Add([]byte(peterNote))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ParseCheckpoint(data); err == nil && !bytes.Equal(c.Text(), data) {
			t.Fatalf("checkpoint %q re-encodes as %q", data, c.Text())
		}
		c, err := v.Open(data)
		if err != nil {
			return
		}
		// Whatever opens was signed by the key: re-signing gives it back.
		again, err := s.Sign(c)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("opened a note the key did not sign: %q", data)
		}
	})
}
