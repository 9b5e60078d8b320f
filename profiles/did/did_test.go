package did

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/profiles/credential"
)

func TestWebIdentifiers(t *testing.T) {
	tests := []struct {
		host  string
		path  []string
		id    string
		url   string
		isErr bool
	}{
		{"parcours.example", nil, "did:web:parcours.example", "https://parcours.example/.well-known/did.json", false},
		{"parcours.example", []string{"issuers", "12345678901234"}, "did:web:parcours.example:issuers:12345678901234", "https://parcours.example/issuers/12345678901234/did.json", false},
		{"localhost:8080", nil, "did:web:localhost%3A8080", "https://localhost:8080/.well-known/did.json", false},
		{"Parcours.Example", []string{"issuers", "x"}, "did:web:parcours.example:issuers:x", "https://parcours.example/issuers/x/did.json", false},
		{"", nil, "", "", true},
		{"a/b", nil, "", "", true},
		{"h", []string{"a:b"}, "", "", true},
		{"h", []string{""}, "", "", true},
	}
	for _, tt := range tests {
		id, err := Web(tt.host, tt.path...)
		if tt.isErr {
			if err == nil {
				t.Errorf("Web(%q, %q) = %s, want an error", tt.host, tt.path, id)
			}
			continue
		}
		if err != nil || id != tt.id {
			t.Errorf("Web(%q, %q) = %s, %v; want %s", tt.host, tt.path, id, err, tt.id)
			continue
		}
		if u, err := URL(id); err != nil || u != tt.url {
			t.Errorf("URL(%s) = %s, %v; want %s", id, u, err, tt.url)
		}
	}
	if id, err := Issuer("parcours.example", "12345678901234"); err != nil || id != "did:web:parcours.example:issuers:12345678901234" {
		t.Errorf("Issuer = %s, %v", id, err)
	}
	if _, err := Issuer("parcours.example", "1234"); err == nil {
		t.Error("a 4-digit SIRET was accepted")
	}
	for _, bad := range []string{"did:key:z6Mk", "did:web:", "did:web:h#k", "did:web:h:a%ZZ", "https://h"} {
		if _, err := URL(bad); err == nil {
			t.Errorf("URL(%q) accepted it", bad)
		}
	}
}

var (
	t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 = t0.AddDate(0, 6, 0) // rotation
)

// An issuer rotates its key: what the old key signed before the rotation
// still verifies, what it signs after fails with key-revoked, and the new
// key verifies from the rotation on but not before.
func TestRotation(t *testing.T) {
	id, _ := Issuer("parcours.example", "12345678901234")
	doc, err := New(id)
	if err != nil {
		t.Fatal(err)
	}
	oldPub, oldKey, _ := ed25519.GenerateKey(nil)
	newPub, newKey, _ := ed25519.GenerateKey(nil)
	oldVM, err := doc.AddKey(oldPub, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.AddKey(oldPub, t0); err == nil {
		t.Error("the same key was added twice")
	}
	newVM, err := doc.Rotate(newPub, t1)
	if err != nil {
		t.Fatal(err)
	}
	if cur, _ := doc.Current(t1.Add(time.Hour)); cur.ID != newVM.ID {
		t.Errorf("current key after rotation = %s", cur.ID)
	}
	if cur, _ := doc.Current(t1.Add(-time.Hour)); cur.ID != oldVM.ID {
		t.Errorf("current key before rotation = %s", cur.ID)
	}
	if _, err := doc.Current(t0.Add(-time.Hour)); err == nil {
		t.Error("a key is current before any was created")
	}

	// The document survives publication.
	js, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(js)
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	r := NewResolver(parsed)

	issue := func(key ed25519.PrivateKey, vm string, at time.Time) []byte {
		c := &credential.Credential{
			Context: []string{credential.ContextV2}, Type: []string{credential.TypeCredential},
			Issuer: id, CredentialSubject: map[string]any{"id": "urn:parcours:worker:1"},
		}
		b, err := credential.Issue(c, key, vm, at)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		key  ed25519.PrivateKey
		vm   string
		at   time.Time
		code credential.Code // "" = verifies
	}{
		{"old key before rotation", oldKey, oldVM.ID, t1.Add(-time.Second), ""},
		{"old key at rotation", oldKey, oldVM.ID, t1, credential.CodeKeyRevoked},
		{"old key after rotation", oldKey, oldVM.ID, t1.AddDate(0, 1, 0), credential.CodeKeyRevoked},
		{"new key after rotation", newKey, newVM.ID, t1.Add(time.Second), ""},
		{"new key before it existed", newKey, newVM.ID, t1.Add(-time.Second), credential.CodeKeyNotYetValid},
		{"old key before it existed", oldKey, oldVM.ID, t0.Add(-time.Second), credential.CodeKeyNotYetValid},
		{"new key claimed as the old one", newKey, oldVM.ID, t1.Add(-time.Second), credential.CodeSignature},
		{"key of another document", oldKey, "did:web:other.example#" + oldVM.PublicKeyMultibase, t1.Add(-time.Second), credential.CodeKeyUnknown},
		{"unknown fragment", oldKey, id + "#nope", t1.Add(-time.Second), credential.CodeKeyUnknown},
		{"no fragment", oldKey, id, t1.Add(-time.Second), credential.CodeKeyUnknown},
	}
	for _, tt := range tests {
		_, err := credential.Verify(issue(tt.key, tt.vm, tt.at), r)
		if tt.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var f *credential.Failure
		if !errors.As(err, &f) || f.Code != tt.code {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
		}
	}

	// A key another DID controls cannot sign for this issuer.
	otherDoc, _ := New("did:web:other.example")
	otherPub, otherKey, _ := ed25519.GenerateKey(nil)
	ovm, _ := otherDoc.AddKey(otherPub, t0)
	r.Add(otherDoc)
	_, err = credential.Verify(issue(otherKey, ovm.ID, t1), r)
	var f *credential.Failure
	if !errors.As(err, &f) || f.Code != credential.CodeKeyController {
		t.Errorf("another DID's key: %v", err)
	}
}

func TestRetire(t *testing.T) {
	doc, _ := New("did:web:parcours.example")
	pub, _, _ := ed25519.GenerateKey(nil)
	vm, _ := doc.AddKey(pub, t1)
	if err := doc.Retire(vm.ID, t0); err == nil {
		t.Error("retired before creation")
	}
	if err := doc.Retire(vm.ID+"x", t1); err == nil {
		t.Error("retired an unknown key")
	}
	doc.Retire(vm.ID, t1.AddDate(0, 2, 0))
	doc.Retire(vm.ID, t1.AddDate(0, 3, 0)) // later: keeps the earlier date
	if got := doc.VerificationMethod[0].Revoked; !got.Equal(t1.AddDate(0, 2, 0)) {
		t.Errorf("revoked = %v", got)
	}
	doc.Retire(vm.ID, t1.AddDate(0, 1, 0)) // earlier: moves it back
	if got := doc.VerificationMethod[0].Revoked; !got.Equal(t1.AddDate(0, 1, 0)) {
		t.Errorf("revoked = %v", got)
	}
}

func TestParseRefuses(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	doc, _ := New("did:web:parcours.example")
	doc.AddKey(pub, t0)
	good, _ := doc.Marshal()
	if _, err := Parse(good); err != nil {
		t.Fatal(err)
	}
	mk := credential.EncodeMultikey(pub)
	for name, edit := range map[string][2]string{
		"other context":       {`"https://www.w3.org/ns/did/v1"`, `"https://example.org/v1"`},
		"not did:web":         {`"id": "did:web:parcours.example"`, `"id": "did:key:z6Mk"`},
		"foreign key id":      {`"id": "did:web:parcours.example#`, `"id": "did:web:evil.example#`},
		"foreign controller":  {`"controller": "did:web:parcours.example"`, `"controller": "did:web:evil.example"`},
		"other type":          {`"type": "Multikey"`, `"type": "JsonWebKey"`},
		"bad key":             {`"publicKeyMultibase": "` + mk, `"publicKeyMultibase": "` + mk[:20]},
		"dangling assertion":  {`"assertionMethod": [` + "\n" + `    "did:web:parcours.example#`, `"assertionMethod": [` + "\n" + `    "did:web:parcours.example#x`},
		"revoked before born": {`"created": "2026-01-01T00:00:00Z"`, `"created": "2026-01-01T00:00:00Z", "revoked": "2025-01-01T00:00:00Z"`},
	} {
		bad := bytes.Replace(good, []byte(edit[0]), []byte(edit[1]), 1)
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: the edit did not apply to\n%s", name, good)
		}
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: Parse accepted\n%s", name, bad)
		}
	}
	if !strings.Contains(string(good), `"assertionMethod"`) {
		t.Error("no assertionMethod in the published document")
	}
}
