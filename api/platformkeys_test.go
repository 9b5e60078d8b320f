package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles/did"
	"github.com/parcours/parcours/profiles/verify"
)

// platformCatalogue is the catalogue a test training attestation reads.
type platformCatalogue struct{}

func (platformCatalogue) Offer(_ context.Context, id string) (marketplace.Offer, error) {
	return marketplace.Offer{ID: id, Title: "Soudage TIG"}, nil
}

func (platformCatalogue) Provider(_ context.Context, id string) (marketplace.Provider, error) {
	return marketplace.Provider{ID: id, Name: "Atelier"}, nil
}

// platformBundle issues a training attestation signed by the platform and
// returns its verification bundle and the key its proof claims.
func (e *testEnv) platformBundle(t *testing.T, dossier string) (string, string) {
	t.Helper()
	ctx := context.Background()
	d := marketplace.Dossier{ID: dossier, AccountID: "learner-" + dossier, OfferID: "o", ProviderID: "p", Title: "Soudage TIG",
		State: marketplace.ServiceDoneValidated, Evaluated: true, CompletionRate: 100, SessionStart: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC),
		SessionEnd: time.Date(2025, 12, 19, 0, 0, 0, 0, time.UTC)}
	line, done, err := e.profiles.AttestTraining(ctx, platformCatalogue{}, d)
	if err != nil || !done {
		t.Fatalf("attesting %s: %v %v", dossier, done, err)
	}
	c, err := e.profiles.Store().Credential(ctx, line.CredentialID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.profiles.Bundle(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Proof struct {
			VerificationMethod string `json:"verificationMethod"`
		} `json:"proof"`
	}
	json.Unmarshal(c.Document, &p)
	return string(b), p.Proof.VerificationMethod
}

// An administrator rotates the platform's key: the DID document lists the
// retired key with its window, what it signed still verifies, and the
// platform signs from then on with the new key.
func TestPlatformKeyRotationThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/admin/platform-keys"
	problem(t, e.do(req{method: "GET", path: path}), 401, "")
	problem(t, e.do(req{method: "POST", path: path, token: e.token(t, auth.Controller, "c")}), 403, "")
	keys := decodeAs[api.PlatformKeysOutput](t, e.do(req{method: "GET", path: path, token: e.admin(t)}))
	if len(keys.Keys) != 1 || keys.Keys[0].CreatedAt != nil || keys.Keys[0].RetiredAt != nil || keys.DID != "did:web:parcours.example" {
		t.Fatalf("the keys before any rotation: %+v", keys)
	}
	oldBundle, oldVM := e.platformBundle(t, "d-before")
	if oldVM != keys.Keys[0].ID {
		t.Fatalf("signed with %s, want %s", oldVM, keys.Keys[0].ID)
	}

	rec := e.do(req{method: "POST", path: path, token: e.admin(t)})
	rot := decodeAs[api.PlatformKeysOutput](t, rec)
	if rec.Code != 200 || len(rot.Keys) != 2 || rot.Keys[0].ID != oldVM || rot.Keys[0].RetiredAt == nil || rot.Keys[1].CreatedAt == nil || !rot.Keys[1].CreatedAt.Equal(*rot.Keys[0].RetiredAt) {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}
	// The rotation takes effect at the next whole second.
	e.shift.Add(int64(2 * time.Second))

	doc, err := did.Parse(e.do(req{method: "GET", path: "/.well-known/did.json"}).Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.VerificationMethod) != 2 || doc.VerificationMethod[0].ID != oldVM || doc.VerificationMethod[0].Revoked.IsZero() || !doc.VerificationMethod[1].Revoked.IsZero() {
		t.Fatalf("the platform's DID document after the rotation: %+v", doc.VerificationMethod)
	}
	newBundle, newVM := e.platformBundle(t, "d-after")
	if newVM != rot.Keys[1].ID {
		t.Fatalf("a credential issued after the rotation is signed with %s, want %s", newVM, rot.Keys[1].ID)
	}
	for name, b := range map[string]string{"before": oldBundle, "after": newBundle} {
		if rep := decodeAs[verify.Report](t, e.do(req{method: "POST", path: "/api/v1/verify", body: b})); !rep.OK {
			t.Fatalf("the bundle issued %s the rotation: %+v", name, rep.Failed())
		}
	}
	// The status list is signed with the new key.
	if body := e.do(req{method: "GET", path: "/api/v1/status-lists/1"}).Body.String(); !strings.Contains(body, newVM) {
		t.Fatalf("the status list is not signed with the new key: %.300s", body)
	}
}
