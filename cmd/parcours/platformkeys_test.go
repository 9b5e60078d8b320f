package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
)

// platformCredentialFiles opens the app on dir and writes, under out, the
// verification bundle of every credential the platform signed for the demo
// learner (name-N.json), the platform's DID document as fetched at
// /.well-known/did.json (issuers/did.json), and returns the log key.
// Without attest it first loads the demo data; with attest, it first
// attests one more completed training.
func platformCredentialFiles(t *testing.T, dir, out, name string, attest bool) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := loadConfig(commonFlags{data: dir})
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	learner := demoAccounts[0].id
	if !attest { // the first call: the demo data, as serve loads it
		if _, _, err := a.loadDemo(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.loadDemoAccounts(ctx, demoEpoch(time.Now())); err != nil {
			t.Fatal(err)
		}
		if err := a.loadDemoProfiles(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if attest {
		offers, _, err := a.store.Offers(ctx, marketplace.OfferFilter{Status: marketplace.Published}, marketplace.Page{Limit: 1})
		if err != nil || len(offers) == 0 {
			t.Fatalf("no offer to attest a training of: %v", err)
		}
		d := marketplace.Dossier{ID: "after-rotation", AccountID: learner, OfferID: offers[0].ID, ProviderID: offers[0].ProviderID, Title: offers[0].Title,
			State: marketplace.ServiceDoneValidated, Evaluated: true, CompletionRate: 100, SessionStart: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}
		if _, done, err := a.profiles.AttestTraining(ctx, a.store, d); err != nil || !done {
			t.Fatalf("attesting a training: %v %v", done, err)
		}
	}
	cs, err := a.profiles.Store().Credentials(ctx, learner)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cs {
		if c.IssuerID != profiles.PlatformIssuer {
			continue
		}
		b, err := a.profiles.Bundle(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if err := os.WriteFile(filepath.Join(out, name+"-"+string(rune('0'+n))+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatal("the demo holds no credential signed by the platform")
	}
	d, err := a.profiles.Notary().PlatformDocument(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := d.Marshal()
	os.MkdirAll(filepath.Join(out, "issuers"), 0o700)
	if err := os.WriteFile(filepath.Join(out, "issuers", "did.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return a.profiles.Notary().LogKey()
}

// `parcours platform-keys rotate` retires the platform's key: bundles
// downloaded before and after, and credentials signed before and after,
// all verify offline with `parcours verify`, against the bundle's own
// documents and against the platform's document fetched after the
// rotation.
func TestPlatformKeysCommand(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	t.Setenv("PARCOURS_CONFIG", "")
	ctx := context.Background()
	logKey := platformCredentialFiles(t, dir, out, "before", false)

	var list bytes.Buffer
	if err := run(ctx, []string{"platform-keys", "list", "--data", dir}, &list, io.Discard); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(list.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "from the start  until now  (in service)") {
		t.Fatalf("platform-keys list before any rotation:\n%s", list.String())
	}
	var rot bytes.Buffer
	if err := run(ctx, []string{"platform-keys", "rotate", "--data", dir}, &rot, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(rot.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], strings.Fields(list.String())[0]) || !strings.HasSuffix(lines[0], "(retired)") || !strings.HasSuffix(lines[1], "(in service)") {
		t.Fatalf("platform-keys rotate:\n%s", rot.String())
	}
	if err := run(ctx, []string{"platform-keys", "turn"}, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown sub-command must fail")
	}
	time.Sleep(time.Second) // the rotation takes effect at the next whole second
	platformCredentialFiles(t, dir, out, "after", true)

	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	if len(files) < 3 {
		t.Fatalf("bundles written: %v", files)
	}
	newKey := strings.Fields(lines[1])[0]
	signedWithNew := false
	for _, f := range files {
		for _, extra := range [][]string{nil, {"--issuers", filepath.Join(out, "issuers")}} {
			var rep bytes.Buffer
			args := append([]string{"verify", f, "--log-key", logKey}, extra...)
			if err := run(ctx, args, &rep, io.Discard); err != nil {
				t.Fatalf("parcours %s: %v\n%s", strings.Join(args, " "), err, rep.String())
			}
		}
		data, _ := os.ReadFile(f)
		signedWithNew = signedWithNew || strings.Contains(string(data), `"verificationMethod": "`+newKey+`"`)
	}
	if !signedWithNew {
		t.Fatalf("no credential attested after the rotation is signed with the new key %s", newKey)
	}
}
