package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/parcours/parcours/profiles"
	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/tlog"
)

// checkpointless is a log store keeping no checkpoints: the platform key
// suite signs nothing into the log.
type checkpointless struct{ tlog.MemoryStore }

func (*checkpointless) SaveCheckpoint(context.Context, uint64, []byte) error { return nil }
func (*checkpointless) Checkpoint(context.Context) ([]byte, error)           { return nil, nil }
func (*checkpointless) CheckpointAt(context.Context, uint64) ([]byte, error) { return nil, nil }

// testPlatformKeys checks that the backend keeps the platform's key record
// (stored as an issuer under profiles.PlatformIssuer) as the notary needs
// it: seeded once by concurrent replicas, the seed key's "since always"
// window kept through the store, rotated with the old key still listed.
func testPlatformKeys(t *testing.T, s ProfileStore) {
	ctx := context.Background()
	_, seed, _ := ed25519.GenerateKey(rand.Reader)
	_, lk, _ := ed25519.GenerateKey(rand.Reader)
	seal := make([]byte, 32)
	rand.Read(seal)
	now := Time.Add(500 * time.Millisecond)
	notary := func(platform ed25519.PrivateKey) *profiles.Notary {
		n, err := profiles.NewNotary(profiles.NotaryConfig{Store: s, Log: &checkpointless{}, BaseURL: "https://parcours.example",
			PlatformKey: platform, LogKey: lk, SealKey: seal, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Replicas starting together seed one record, with the configured key.
	var wg sync.WaitGroup
	firsts := make([]string, 4)
	for r := range firsts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i, err := notary(seed).PlatformKeys(ctx)
			if err != nil {
				t.Errorf("seeding: %v", err)
				return
			}
			firsts[r] = i.Keys[0].ID
		}()
	}
	wg.Wait()
	want := credential.EncodeMultikey(seed.Public().(ed25519.PublicKey))
	for _, id := range firsts {
		if id != want {
			t.Fatalf("a replica seeded key %s, want the configured key %s", id, want)
		}
	}
	i, err := s.Issuer(ctx, profiles.PlatformIssuer)
	if err != nil || i.Kind != profiles.PlatformRole || len(i.Keys) != 1 || !i.Keys[0].Created.IsZero() || len(i.Keys[0].Sealed) == 0 {
		t.Fatalf("the stored platform record: %+v, %v", i, err)
	}

	svc := profiles.NewService(profiles.Config{Store: s, Notary: notary(seed), Now: func() time.Time { return now }})
	rotated, err := svc.RotatePlatformKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Another replica, even one configured with another key, reads the
	// rotated record from the store.
	d, err := notary(ed25519.NewKeyFromSeed(make([]byte, 32))).PlatformDocument(ctx)
	if err != nil {
		t.Fatal(err)
	}
	boundary := now.Truncate(time.Second).Add(time.Second) // the next whole second
	if len(d.VerificationMethod) != 2 || len(rotated.Keys) != 2 {
		t.Fatalf("after a rotation the document lists %d keys, want 2", len(d.VerificationMethod))
	}
	old, cur := d.VerificationMethod[0], d.VerificationMethod[1]
	if old.PublicKeyMultibase != want || !old.Created.IsZero() || !old.Revoked.Equal(boundary) {
		t.Fatalf("the retired key: %+v, want %s in service since always until %s", old, want, boundary)
	}
	if cur.PublicKeyMultibase != rotated.Keys[1].ID || !cur.Created.Equal(boundary) || !cur.Revoked.IsZero() {
		t.Fatalf("the new key: %+v, want in service from %s", cur, boundary)
	}
}
