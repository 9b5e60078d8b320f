package tlog

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// The signed-note example of golang.org/x/mod/sumdb/note (its package
// documentation), the reference implementation of the C2SP signed-note
// format: the same key must give the same verifier key and the same
// signature (Ed25519 is deterministic).
const (
	peterSigner   = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
	peterVerifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	peterText     = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
	peterNote     = peterText + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

func TestSignedNoteReferenceVector(t *testing.T) {
	s, err := ParseSignerKey(peterSigner)
	if err != nil {
		t.Fatal(err)
	}
	if s.VerifierKey() != peterVerifier {
		t.Errorf("verifier key = %s, want %s", s.VerifierKey(), peterVerifier)
	}
	if s.SignerKey() != peterSigner {
		t.Errorf("signer key round trip = %s", s.SignerKey())
	}
	note, err := s.SignNote([]byte(peterText))
	if err != nil || string(note) != peterNote {
		t.Errorf("signed note:\n%s\nwant\n%s (%v)", note, peterNote, err)
	}
	v, err := NewVerifier(peterVerifier)
	if err != nil {
		t.Fatal(err)
	}
	text, err := v.OpenNote([]byte(peterNote))
	if err != nil || string(text) != peterText {
		t.Errorf("OpenNote = %q, %v", text, err)
	}
	// Keys with a wrong id or type are refused.
	for _, bad := range []string{
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3+AhpjZ2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3",
	} {
		if _, err := NewVerifier(bad); err == nil {
			t.Errorf("NewVerifier(%q) accepted it", bad)
		}
	}
}

func testCheckpoint(t *testing.T) (*Signer, *Verifier, Checkpoint, []byte) {
	t.Helper()
	s, err := GenerateSigner("parcours.example/log", nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(s.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	l := New(&MemoryStore{})
	l.AppendData(context.Background(), []byte("one"), []byte("two"), []byte("three"))
	root, _ := l.Root(context.Background(), 3)
	c := Checkpoint{Origin: s.Name(), Size: 3, Root: root, Extensions: []string{"time 1767225600"}}
	note, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return s, v, c, note
}

func TestCheckpointRoundTrip(t *testing.T) {
	_, v, c, note := testCheckpoint(t)
	got, err := v.Open(note)
	if err != nil {
		t.Fatal(err)
	}
	if got.Origin != c.Origin || got.Size != 3 || got.Root != c.Root || len(got.Extensions) != 1 || got.Extensions[0] != c.Extensions[0] {
		t.Errorf("Open = %+v, want %+v", got, c)
	}
	lines := strings.Split(string(note), "\n")
	if lines[0] != "parcours.example/log" || lines[1] != "3" || len(lines[2]) != 44 || lines[4] != "" || !strings.HasPrefix(lines[5], "\u2014 parcours.example/log ") {
		t.Errorf("note layout:\n%s", note)
	}
	// A witness's cosignature (another key) is ignored, not an error.
	w, _ := GenerateSigner("witness.example", nil)
	wnote, _ := w.SignNote(c.Text())
	both := append(bytes.Clone(note), wnote[bytes.LastIndex(wnote, []byte("\n\n"))+2:]...)
	if _, err := v.Open(both); err != nil {
		t.Errorf("with a witness signature: %v", err)
	}
}

// Every byte of a signed checkpoint, changed, makes Open fail.
func TestCheckpointEveryChangedByte(t *testing.T) {
	_, v, _, note := testCheckpoint(t)
	for i := range note {
		for _, bit := range []byte{0x01, 0x20, 0x80} {
			m := bytes.Clone(note)
			m[i] ^= bit
			if c, err := v.Open(m); err == nil {
				t.Fatalf("byte %d changed (%q -> %q): Open accepted %+v", i, note[i], m[i], c)
			} else if !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("byte %d: error %v does not wrap ErrInvalidProof", i, err)
			}
		}
	}
}

func TestCheckpointRefusals(t *testing.T) {
	s, v, c, note := testCheckpoint(t)
	other, _ := GenerateSigner("parcours.example/log", nil)
	onote, _ := other.Sign(c)
	if _, err := v.Open(onote); err == nil {
		t.Error("a checkpoint signed by another key with the same name was accepted")
	}
	if _, err := s.Sign(Checkpoint{Origin: "elsewhere", Size: 1}); err == nil {
		t.Error("signed a checkpoint for another origin")
	}
	if _, err := v.Open(c.Text()); err == nil {
		t.Error("accepted an unsigned checkpoint")
	}
	if _, err := v.Open(note[:len(note)-1]); err == nil {
		t.Error("accepted a note without its final newline")
	}
	for _, text := range []string{
		"origin\n3\n",
		"origin\n03\n" + strings.Repeat("A", 43) + "=\n",
		"origin\n-3\n" + strings.Repeat("A", 43) + "=\n",
		"origin\n3\nnot base64\n",
		"origin\n3\nAAAA\n",
		"\n3\n" + strings.Repeat("A", 43) + "=\n",
		"origin\n3\n" + strings.Repeat("A", 43) + "=",
	} {
		if _, err := ParseCheckpoint([]byte(text)); err == nil {
			t.Errorf("ParseCheckpoint(%q) accepted it", text)
		}
	}
	if _, err := ParseSignerKey("PRIVATE+KEY+x+00000000+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"); err == nil {
		t.Error("a signer key with a wrong id was accepted")
	}
}
