package credential

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// benchCredential is an employment attestation of a realistic size
// (about 1 KiB signed).
func benchCredential() *Credential {
	return &Credential{
		Context:   []string{ContextV2},
		ID:        "urn:uuid:3f2b8c1e-7d4a-4e55-9b0c-5a6d7e8f9012",
		Type:      []string{TypeCredential, "EmploymentCredential"},
		Name:      "Attestation d'emploi",
		Issuer:    "did:web:parcours.example:issuers:12345678901234",
		ValidFrom: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		CredentialSubject: map[string]any{
			"id": "urn:parcours:worker:8c1f0e",
			"employment": map[string]any{
				"employer": "Chaudronnerie Martin et Fils", "siret": "12345678901234",
				"jobTitle": "Soudeuse TIG", "rome": "H2913", "start": "2019-09-02", "end": "2025-12-31",
				"skills": []any{"Souder par procédé TIG", "Lire un plan", "Contrôler une soudure"},
			},
		},
		CredentialStatus: &Status{Type: StatusEntryType, StatusPurpose: PurposeRevocation, StatusListIndex: "94217", StatusListCredential: "https://parcours.example/status/3"},
	}
}

// BenchmarkIssue measures issuing one credential: JSON encoding, JCS of
// the document and the proof options, two SHA-256, one Ed25519 signature.
func BenchmarkIssue(b *testing.B) {
	_, key, _ := ed25519.GenerateKey(nil)
	c := benchCredential()
	vm := c.Issuer + "#key-1"
	at := time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Issue(c, key, vm, at); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "credentials/s")
}

// BenchmarkVerify measures verifying one credential: parsing, JCS,
// hashing, key resolution and one Ed25519 verification.
func BenchmarkVerify(b *testing.B) {
	pub, key, _ := ed25519.GenerateKey(nil)
	c := benchCredential()
	vm := c.Issuer + "#key-1"
	signed, err := Issue(c, key, vm, time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	r := KeyResolverFunc(func(v string, _ time.Time) (Key, error) { return Key{ID: v, Controller: c.Issuer, Public: pub}, nil })
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(signed, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "credentials/s")
}
