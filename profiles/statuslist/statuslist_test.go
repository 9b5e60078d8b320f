package statuslist

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/profiles/credential"
)

const listURL = "https://parcours.example/status/1"

func TestBits(t *testing.T) {
	l, err := New(MinSize)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 131072 {
		t.Errorf("Len = %d", l.Len())
	}
	for _, i := range []int{0, 7, 8, 9, 4242, MinSize - 1} {
		if err := l.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	// Index 0 is the left-most (most significant) bit of the first byte.
	if l.Bytes()[0] != 0x81 || l.Bytes()[1] != 0xc0 || l.Bytes()[len(l.Bytes())-1] != 0x01 {
		t.Errorf("bit layout: % x ... % x", l.Bytes()[:2], l.Bytes()[len(l.Bytes())-1:])
	}
	for i := 0; i < l.Len(); i++ {
		got, _ := l.Get(i)
		want := i == 0 || i == 7 || i == 8 || i == 9 || i == 4242 || i == MinSize-1
		if got != want {
			t.Fatalf("bit %d = %v", i, got)
		}
	}
	l.Set(8, false)
	if got, _ := l.Get(8); got {
		t.Error("bit 8 not cleared")
	}
	for _, i := range []int{-1, MinSize} {
		if _, err := l.Get(i); err == nil {
			t.Errorf("Get(%d) accepted", i)
		}
		if err := l.Set(i, true); err == nil {
			t.Errorf("Set(%d) accepted", i)
		}
	}
	for _, n := range []int{0, MinSize - 8, MinSize + 1, MaxSize + 8} {
		if _, err := New(n); err == nil {
			t.Errorf("New(%d) accepted", n)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	l, _ := New(MinSize * 2)
	l.Set(3, true)
	l.Set(200000, true)
	enc, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "u") || strings.ContainsAny(enc, "+/=") {
		t.Errorf("not multibase base64url without padding: %.40s", enc)
	}
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), l.Bytes()) {
		t.Error("round trip changed the list")
	}
	// The all-clear list of 131,072 entries as the specification's
	// examples encode it: another GZIP encoder, same bits.
	spec, err := Decode("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")
	if err != nil || spec.Len() != MinSize || bytes.Count(spec.Bytes(), []byte{0}) != MinSize/8 {
		t.Errorf("specification example: %v", err)
	}

	gz := func(b []byte) string {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	}
	for name, enc := range map[string]string{
		"no multibase prefix": enc[1:],
		"base64 with padding": "u" + base64.URLEncoding.EncodeToString([]byte("xx")),
		"standard base64":     "u+/+/",
		"not gzip":            "u" + base64.RawURLEncoding.EncodeToString([]byte("plain bits")),
		"too short":           gz(make([]byte, 100)),
		"too long":            gz(make([]byte, MaxSize/8+8)),
		"truncated":           enc[:len(enc)/2],
	} {
		if _, err := Decode(enc); err == nil {
			t.Errorf("%s: Decode accepted it", name)
		}
	}
}

func TestCheck(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	issuer := "did:web:parcours.example"
	vm := issuer + "#" + credential.EncodeMultikey(pub)
	l, _ := New(MinSize)
	l.Set(42, true)
	c, err := NewCredential(listURL, issuer, time.Date(2026, 3, 1, 10, 0, 0, 5, time.UTC), l)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := credential.Issue(c, key, vm, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	r := credential.KeyResolverFunc(func(v string, _ time.Time) (credential.Key, error) {
		return credential.Key{ID: v, Controller: issuer, Public: pub}, nil
	})
	if _, err := credential.Verify(signed, r); err != nil {
		t.Fatalf("the status list credential does not verify: %v", err)
	}
	var shape map[string]any
	json.Unmarshal(signed, &shape)
	if shape["type"].([]any)[1] != "BitstringStatusListCredential" || shape["credentialSubject"].(map[string]any)["type"] != "BitstringStatusList" {
		t.Errorf("shape: %v", shape)
	}

	revoked, err := Check(Entry(listURL, 42), signed)
	if err != nil || !revoked {
		t.Errorf("entry 42: %v, %v; want revoked", revoked, err)
	}
	revoked, err = Check(Entry(listURL, 41), signed)
	if err != nil || revoked {
		t.Errorf("entry 41: %v, %v; want not revoked", revoked, err)
	}
	e := Entry(listURL, 7)
	if e.ID != listURL+"#7" || e.StatusListIndex != "7" || e.Type != "BitstringStatusListEntry" || e.StatusPurpose != "revocation" {
		t.Errorf("Entry = %+v", e)
	}

	bad := func(f func(e *credential.Status)) credential.Status {
		e := Entry(listURL, 42)
		f(&e)
		return e
	}
	for name, e := range map[string]credential.Status{
		"other list":       Entry("https://parcours.example/status/2", 42),
		"out of range":     Entry(listURL, MinSize),
		"negative":         bad(func(e *credential.Status) { e.StatusListIndex = "-1" }),
		"leading zero":     bad(func(e *credential.Status) { e.StatusListIndex = "042" }),
		"not a number":     bad(func(e *credential.Status) { e.StatusListIndex = "forty-two" }),
		"suspension":       bad(func(e *credential.Status) { e.StatusPurpose = "suspension" }),
		"other entry type": bad(func(e *credential.Status) { e.Type = "StatusList2021Entry" }),
	} {
		if _, err := Check(e, signed); err == nil {
			t.Errorf("%s: Check accepted it", name)
		}
	}
	if _, err := Check(Entry(listURL, 1), []byte(`{"id":"`+listURL+`","type":["VerifiableCredential"],"credentialSubject":{}}`)); err == nil {
		t.Error("a credential that is not a status list was read as one")
	}
}
