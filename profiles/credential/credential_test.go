package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// The W3C eddsa-jcs-2022 test vectors: see testdata/README.md for their
// source (Data Integrity EdDSA Cryptosuites v1.0, Appendix A).
const (
	vectorSecretKey = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
	vectorPublicKey = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
	vectorIssuer    = "https://vc.example/issuers/5678"
	vectorVM        = vectorIssuer + "#" + vectorPublicKey
	vectorDocHash   = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
	vectorProof     = "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
)

var vectorCreated = time.Date(2023, 2, 24, 23, 36, 38, 0, time.UTC)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vectorResolver knows the test vectors' single key, valid forever.
func vectorResolver(t testing.TB) KeyResolver {
	pub, err := DecodeMultikey(vectorPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return KeyResolverFunc(func(vm string, _ time.Time) (Key, error) {
		if vm != vectorVM {
			return Key{}, &Failure{Code: CodeKeyUnknown, Reason: "unknown " + vm}
		}
		return Key{ID: vm, Controller: vectorIssuer, Public: pub}, nil
	})
}

func TestW3CVectorKeyPair(t *testing.T) {
	key, err := DecodeSecretMultikey(vectorSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := EncodeMultikey(key.Public().(ed25519.PublicKey)); got != vectorPublicKey {
		t.Errorf("public key of the vector's secret key = %s, want %s", got, vectorPublicKey)
	}
	if got := EncodeSecretMultikey(key); got != vectorSecretKey {
		t.Errorf("secret key round trip = %s, want %s", got, vectorSecretKey)
	}
}

func TestW3CVectorCanonicalDocument(t *testing.T) {
	canon, err := Canonicalize(readFile(t, "eddsa-jcs-2022-unsigned.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := readFile(t, "eddsa-jcs-2022-canonical.txt"); !bytes.Equal(canon, want) {
		t.Errorf("canonical document:\n got %s\nwant %s", canon, want)
	}
	if h := sha256.Sum256(canon); hex.EncodeToString(h[:]) != vectorDocHash {
		t.Errorf("document hash = %x, want %s", h, vectorDocHash)
	}
}

// Ed25519 is deterministic: signing the vector's credential with its key,
// verification method and creation time must give its proofValue, which
// exercises the canonical proof configuration and the hash layout.
func TestW3CVectorSign(t *testing.T) {
	key, _ := DecodeSecretMultikey(vectorSecretKey)
	signed, err := Sign(readFile(t, "eddsa-jcs-2022-unsigned.json"), key, vectorVM, vectorCreated)
	if err != nil {
		t.Fatal(err)
	}
	var got, want struct{ Proof map[string]any }
	if err := json.Unmarshal(signed, &got); err != nil {
		t.Fatalf("signed document is not JSON: %v\n%s", err, signed)
	}
	json.Unmarshal(readFile(t, "eddsa-jcs-2022-signed.json"), &want)
	if got.Proof["proofValue"] != vectorProof {
		t.Errorf("proofValue = %v, want %s", got.Proof["proofValue"], vectorProof)
	}
	gj, _ := CanonicalizeValue(got.Proof)
	wj, _ := CanonicalizeValue(want.Proof)
	if !bytes.Equal(gj, wj) {
		t.Errorf("proof:\n got %s\nwant %s", gj, wj)
	}
	// The whole document equals the vector, member for member.
	a, _ := Canonicalize(signed)
	b, _ := Canonicalize(readFile(t, "eddsa-jcs-2022-signed.json"))
	if !bytes.Equal(a, b) {
		t.Errorf("signed document differs from the vector:\n got %s\nwant %s", a, b)
	}
}

func TestW3CVectorVerify(t *testing.T) {
	v, err := Verify(readFile(t, "eddsa-jcs-2022-signed.json"), vectorResolver(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.Issuer != vectorIssuer || v.VerificationMethod != vectorVM || !v.Created.Equal(vectorCreated) {
		t.Errorf("Verify learned %+v", v)
	}
}

// Every byte of the signed vector is tried with its lowest bit flipped:
// verification must fail exactly when the change alters the JSON content
// (which JCS keeps); a change of insignificant white space (the
// document is pretty-printed) must still verify.
func TestVerifyEveryChangedByte(t *testing.T) {
	doc := readFile(t, "eddsa-jcs-2022-signed.json")
	canon, _ := Canonicalize(doc)
	r := vectorResolver(t)
	failed, same := 0, 0
	for i := range doc {
		for _, mutate := range []func(byte) byte{
			func(c byte) byte { return c ^ 0x01 },
			func(c byte) byte { return c ^ 0x20 },
		} {
			m := bytes.Clone(doc)
			m[i] = mutate(m[i])
			_, err := Verify(m, r)
			if mc, cerr := Canonicalize(m); cerr == nil && bytes.Equal(mc, canon) {
				same++
				if err != nil {
					t.Errorf("byte %d (%q -> %q) changes no content, yet: %v", i, doc[i], m[i], err)
				}
				continue
			}
			var f *Failure
			if !errors.As(err, &f) {
				t.Fatalf("byte %d (%q -> %q): changed document verified (err %v)", i, doc[i], m[i], err)
			}
			if f.Reason == "" || f.Code == "" {
				t.Errorf("byte %d: failure without code or reason: %+v", i, f)
			}
			failed++
		}
	}
	// Only white space between tokens may change without effect; the
	// compact canonical form has none, so each of its bytes matters.
	if failed == 0 || same > 2*bytes.Count(doc, []byte("\n"))+2*bytes.Count(doc, []byte(" ")) {
		t.Errorf("%d changes failed, %d had no effect", failed, same)
	}
	for i := range canon {
		m := bytes.Clone(canon)
		m[i] ^= 0x01
		if _, err := Verify(m, r); err == nil {
			t.Errorf("canonical form with byte %d changed (%q) still verifies", i, canon[i])
		}
	}
}

func TestVerifyFailures(t *testing.T) {
	doc := readFile(t, "eddsa-jcs-2022-signed.json")
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(doc, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	proof := func(m map[string]any) map[string]any { return m["proof"].(map[string]any) }
	other, _, _ := ed25519.GenerateKey(nil)
	tests := []struct {
		name string
		doc  []byte
		r    KeyResolver
		code Code
	}{
		{"not json", []byte("{"), nil, CodeMalformed},
		{"array", []byte("[]"), nil, CodeMalformed},
		{"duplicate member", []byte(`{"proof":{},"proof":{}}`), nil, CodeCanonicalization},
		{"no proof", readFile(t, "eddsa-jcs-2022-unsigned.json"), nil, CodeNoProof},
		{"proof set", edit(func(m map[string]any) { m["proof"] = []any{m["proof"]} }), nil, CodeUnsupportedProof},
		{"other cryptosuite", edit(func(m map[string]any) { proof(m)["cryptosuite"] = "eddsa-rdfc-2022" }), nil, CodeUnsupportedProof},
		{"other type", edit(func(m map[string]any) { proof(m)["type"] = "Ed25519Signature2020" }), nil, CodeUnsupportedProof},
		{"purpose", edit(func(m map[string]any) { proof(m)["proofPurpose"] = "authentication" }), nil, CodeProofPurpose},
		{"no created", edit(func(m map[string]any) { delete(proof(m), "created") }), nil, CodeProofCreated},
		{"bad created", edit(func(m map[string]any) { proof(m)["created"] = "yesterday" }), nil, CodeProofCreated},
		{"no proofValue", edit(func(m map[string]any) { delete(proof(m), "proofValue") }), nil, CodeProofValue},
		{"proofValue not base58btc", edit(func(m map[string]any) { proof(m)["proofValue"] = "u" + vectorProof[1:] }), nil, CodeProofValue},
		{"proofValue short", edit(func(m map[string]any) { proof(m)["proofValue"] = vectorProof[:40] }), nil, CodeProofValue},
		{"proof context", edit(func(m map[string]any) { proof(m)["@context"] = []any{ContextV2, "https://other.example/v1"} }), nil, CodeContextMismatch},
		{"unknown key", edit(func(m map[string]any) { proof(m)["verificationMethod"] = vectorIssuer + "#other" }), vectorResolver(t), CodeKeyUnknown},
		{"resolver error", doc, KeyResolverFunc(func(string, time.Time) (Key, error) { return Key{}, errors.New("network down") }), CodeKeyUnknown},
		{"retired key", doc, KeyResolverFunc(func(string, time.Time) (Key, error) {
			return Key{}, &Failure{Code: CodeKeyRevoked, Reason: "the key was retired before the proof was made"}
		}), CodeKeyRevoked},
		{"other issuer", edit(func(m map[string]any) { m["issuer"] = "did:web:forger.example" }), vectorResolver(t), CodeKeyController},
		{"other key", doc, KeyResolverFunc(func(vm string, _ time.Time) (Key, error) {
			return Key{ID: vm, Controller: vectorIssuer, Public: other}, nil
		}), CodeSignature},
		{"subject changed", edit(func(m map[string]any) {
			m["credentialSubject"].(map[string]any)["alumniOf"] = "The School of Forgeries"
		}), vectorResolver(t), CodeSignature},
		{"created changed", edit(func(m map[string]any) { proof(m)["created"] = "2023-02-24T23:36:39Z" }), vectorResolver(t), CodeSignature},
		{"member added", edit(func(m map[string]any) { m["validUntil"] = "2030-01-01T00:00:00Z" }), vectorResolver(t), CodeSignature},
		{"proof member added", edit(func(m map[string]any) { proof(m)["id"] = "urn:x" }), vectorResolver(t), CodeSignature},
	}
	for _, tt := range tests {
		r := tt.r
		if r == nil {
			r = vectorResolver(t)
		}
		_, err := Verify(tt.doc, r)
		var f *Failure
		if !errors.As(err, &f) {
			t.Errorf("%s: got %v, want a failure %s", tt.name, err, tt.code)
			continue
		}
		if f.Code != tt.code {
			t.Errorf("%s: code %s (%s), want %s", tt.name, f.Code, f.Reason, tt.code)
		}
		if !strings.Contains(f.Error(), string(tt.code)) || len(f.Reason) < 10 {
			t.Errorf("%s: unhelpful message %q", tt.name, f.Error())
		}
	}
}

func TestIssueParcoursCredential(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	issuer := "did:web:parcours.example:issuers:12345678901234"
	vm := issuer + "#" + EncodeMultikey(pub)
	c := &Credential{
		Context:   []string{ContextV2},
		ID:        "urn:uuid:0d7b1c1e-5a7e-4f7e-9d1b-2f1f1b1d1e1f",
		Type:      []string{TypeCredential, "EmploymentCredential"},
		Issuer:    issuer,
		ValidFrom: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		CredentialSubject: map[string]any{
			"id": "urn:parcours:worker:42", "jobTitle": "Soudeuse — niveau 3 « TIG »", "hours": 1607.5,
		},
		CredentialStatus: &Status{Type: StatusEntryType, StatusPurpose: PurposeRevocation, StatusListIndex: "7", StatusListCredential: "https://parcours.example/status/1"},
	}
	signed, err := Issue(c, key, vm, time.Date(2026, 1, 6, 9, 30, 0, 123, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	r := KeyResolverFunc(func(v string, _ time.Time) (Key, error) { return Key{ID: v, Controller: issuer, Public: pub}, nil })
	v, err := Verify(signed, r)
	if err != nil {
		t.Fatalf("%v\n%s", err, signed)
	}
	if v.Created != time.Date(2026, 1, 6, 9, 30, 0, 0, time.UTC) {
		t.Errorf("created = %v, want truncated to the second", v.Created)
	}
	back, err := Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	if back.Issuer != issuer || back.CredentialStatus.StatusListIndex != "7" || back.Proof == nil || back.Proof.ProofValue == "" {
		t.Errorf("Parse gave %+v", back)
	}
	canon, _ := Canonicalize(signed)
	for i := range canon {
		m := bytes.Clone(canon)
		m[i] ^= 0x01
		if _, err := Verify(m, r); err == nil {
			t.Errorf("byte %d changed (%q) still verifies", i, canon[i])
		}
	}
	if _, err := Issue(back, key, vm, time.Now()); err == nil {
		t.Error("Issue signed a credential that already has a proof")
	}
	if _, err := Sign(signed, key, vm, time.Now()); err == nil {
		t.Error("Sign added a second proof")
	}
}

func TestParseShape(t *testing.T) {
	for _, in := range []string{
		`{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"issuer":"x","credentialSubject":{"id":"s"}}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["Other"],"issuer":"x","credentialSubject":{"id":"s"}}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"id":"s"}}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"x"}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":{"name":"no id"},"credentialSubject":{"id":"s"}}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"x","credentialSubject":{"id":"s"},"validFrom":"2026-01-02T00:00:00Z","validUntil":"2026-01-01T00:00:00Z"}`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%s) accepted it", in)
		}
	}
	c, err := Parse([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":{"id":"did:web:x","name":"X"},"credentialSubject":{"id":"s"}}`))
	if err != nil || c.Issuer != "did:web:x" {
		t.Errorf("issuer object: %v %+v", err, c)
	}
}

func TestBase58(t *testing.T) {
	for _, b := range [][]byte{{}, {0}, {0, 0, 1}, {0xff, 0xff}, bytes.Repeat([]byte{0x42}, 70)} {
		s := EncodeBase58btc(b)
		got, err := DecodeBase58btc(s)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("round trip of %x: %s -> %x, %v", b, s, got, err)
		}
	}
	// "Hello World!" in base58btc, from the multibase specification.
	if got := EncodeBase58btc([]byte("Hello World!")); got != "z2NEpo7TZRRrLZSi2U" {
		t.Errorf("Hello World! = %s", got)
	}
	for _, bad := range []string{"", "f00", "z0OIl"} {
		if _, err := DecodeBase58btc(bad); err == nil {
			t.Errorf("DecodeBase58btc(%q) accepted it", bad)
		}
	}
	if _, err := DecodeMultikey(EncodeBase58btc(append([]byte{0xe7, 0x01}, make([]byte, 33)...))); err == nil {
		t.Error("a secp256k1 Multikey was read as Ed25519")
	}
}

// An issuer signing with its own key computes SigningInput, signs it and
// attaches the proof: the result is the W3C vector's proof.
func TestSigningInputForOwnKey(t *testing.T) {
	key, _ := DecodeSecretMultikey(vectorSecretKey)
	doc := readFile(t, "eddsa-jcs-2022-unsigned.json")
	p := Proof{Type: ProofType, Cryptosuite: Cryptosuite, Created: "2023-02-24T23:36:38Z", VerificationMethod: vectorVM, ProofPurpose: PurposeAssertion}
	input, err := SigningInput(doc, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := EncodeBase58btc(ed25519.Sign(key, input)); got != vectorProof {
		t.Errorf("proofValue from SigningInput = %s, want %s", got, vectorProof)
	}
	if _, err := SigningInput(readFile(t, "eddsa-jcs-2022-signed.json"), p); err == nil {
		t.Error("SigningInput accepted a document that already has a proof")
	}
}
