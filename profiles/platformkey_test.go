package profiles_test

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/verify"
)

func trainingDossier(id string) marketplace.Dossier {
	return marketplace.Dossier{ID: id, AccountID: "alice", OfferID: "o1", ProviderID: "p1", Title: "Développeur web", State: marketplace.ServiceDoneValidated,
		Evaluated: true, CompletionRate: 100, SessionStart: day("2025-09-01"), SessionEnd: day("2026-02-27"), ExitedAt: day("2026-02-27")}
}

func proofOf(t *testing.T, doc []byte) credential.Proof {
	t.Helper()
	var p struct {
		Proof credential.Proof `json:"proof"`
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		t.Fatal(err)
	}
	return p.Proof
}

func TestPlatformKeyRotation(t *testing.T) {
	e := newEnv(t)
	n := e.svc.Notary()
	attest := func(id string) profiles.Credential {
		t.Helper()
		line, done, err := e.svc.AttestTraining(e.ctx, fakeCatalogue{}, trainingDossier(id))
		if err != nil || !done {
			t.Fatalf("attesting %s: %v %v", id, done, err)
		}
		c, err := e.store.Credential(e.ctx, line.CredentialID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// Before any rotation the document is what it was when the key lived
	// only in the secrets: the configured key, in service since always.
	d, err := n.PlatformDocument(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	seed := credential.EncodeMultikey(e.platform.Public().(ed25519.PublicKey))
	if len(d.VerificationMethod) != 1 || d.VerificationMethod[0].PublicKeyMultibase != seed || !d.VerificationMethod[0].Created.IsZero() {
		t.Fatalf("the seeded document: %+v", d.VerificationMethod)
	}
	oldVM := d.VerificationMethod[0].ID
	early := attest("d1")

	// Rotate within a second in which the old key already signed: what it
	// signed in that second, and until the rotation takes effect at the
	// next whole second, stays valid.
	*e.clock = e.clock.Add(time.Hour + 200*time.Millisecond)
	sameSecond := attest("d2")
	*e.clock = e.clock.Add(200 * time.Millisecond)
	rotated, err := e.svc.RotatePlatformKey(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	boundary := e.clock.Truncate(time.Second).Add(time.Second)
	if len(rotated.Keys) != 2 || !rotated.Keys[0].Retired.Equal(boundary) || !rotated.Keys[1].Created.Equal(boundary) {
		t.Fatalf("keys after the rotation: %+v, want the change at %s", rotated.Keys, boundary)
	}
	*e.clock = e.clock.Add(200 * time.Millisecond)
	beforeBoundary := attest("d3")
	*e.clock = e.clock.Add(time.Hour)
	late := attest("d4")

	d, err = n.PlatformDocument(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.VerificationMethod) != 2 || d.VerificationMethod[0].ID != oldVM || !d.VerificationMethod[0].Revoked.Equal(boundary) {
		t.Fatalf("the document after the rotation must list the retired key with its window: %+v", d.VerificationMethod)
	}
	newVM := d.VerificationMethod[1].ID
	for _, c := range []profiles.Credential{early, sameSecond, beforeBoundary} {
		if vm := proofOf(t, c.Document).VerificationMethod; vm != oldVM {
			t.Fatalf("credential %s signed before the rotation took effect with %s, want the old key", c.ID, vm)
		}
	}
	if vm := proofOf(t, late.Document).VerificationMethod; vm != newVM {
		t.Fatalf("a credential issued after the rotation is signed with %s, want the new key %s", vm, newVM)
	}

	// Every credential still verifies: on the instance (API, web page),
	// and offline from its bundle alone, as `parcours verify` does.
	for _, c := range []profiles.Credential{early, sameSecond, beforeBoundary, late} {
		b, err := n.Bundle(e.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := n.VerifyBundle(e.ctx, b)
		if err != nil || !rep.OK {
			t.Fatalf("credential %s on the instance after the rotation: %v %+v", c.ID, err, rep.Failed())
		}
		data, _ := b.Marshal()
		offline, err := verify.ParseBundle(data)
		if err != nil {
			t.Fatal(err)
		}
		if rep := verify.Verify(offline, verify.Options{Now: *e.clock, LogKey: n.LogKey()}); !rep.OK {
			t.Fatalf("credential %s offline after the rotation: %+v", c.ID, rep.Failed())
		}
	}
	// The status lists are signed with the new key and verify too.
	list, err := n.StatusListCredential(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if vm := proofOf(t, list).VerificationMethod; vm != newVM {
		t.Fatalf("the status list is signed with %s, want %s", vm, newVM)
	}
	r, err := n.Resolver(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := credential.Verify(list, r); err != nil {
		t.Fatalf("the status list after the rotation: %v", err)
	}

	// Whoever holds the old key cannot use it after its retirement: a
	// credential claiming it with a later proof fails as key-revoked.
	var m map[string]any
	json.Unmarshal(late.Document, &m)
	delete(m, "proof")
	unsigned, _ := json.Marshal(m)
	forged, err := credential.Sign(unsigned, e.platform, oldVM, boundary.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	_, err = credential.Verify(forged, r)
	var f *credential.Failure
	if !errors.As(err, &f) || f.Code != credential.CodeKeyRevoked {
		t.Fatalf("a credential signed with the retired key after its retirement: got %v, want %s", err, credential.CodeKeyRevoked)
	}
	b, err := n.Bundle(e.ctx, late)
	if err != nil {
		t.Fatal(err)
	}
	b.Credential = forged
	rep, err := n.VerifyBundle(e.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	revoked := false
	for _, c := range rep.Failed() {
		revoked = revoked || c.Code == string(credential.CodeKeyRevoked)
	}
	if rep.OK || !revoked {
		t.Fatalf("the forged bundle: ok=%v, failures %+v, want %s", rep.OK, rep.Failed(), credential.CodeKeyRevoked)
	}

	// A second rotation retires the second key the same way.
	second, err := e.svc.RotatePlatformKey(e.ctx)
	if err != nil || len(second.Keys) != 3 || !second.Keys[1].Retired.After(boundary) {
		t.Fatalf("a second rotation: %+v, %v", second.Keys, err)
	}
}

// The platform's key record is not an issuer: it is not listed as one,
// and the issuer's operations cannot reach it.
func TestPlatformRecordIsNoIssuer(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.RotatePlatformKey(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Issuer(e.ctx, profiles.PlatformIssuer); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("the platform's key record read as an issuer: %v", err)
	}
	if _, _, err := e.svc.Attest(e.ctx, profiles.PlatformIssuer, employment(nirAlice)); err == nil {
		t.Fatal("attesting as the platform's key record must fail")
	}
}
