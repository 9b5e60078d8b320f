package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
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
// it: the configured key until the first rotation stores the record, one
// record when replicas rotate at once, the seed key's "since always"
// window kept through the store, each rotation with the old key still
// listed.
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
	want := credential.EncodeMultikey(seed.Public().(ed25519.PublicKey))
	// Before any rotation the record is the configured key, and reading
	// it stores nothing.
	first, err := notary(seed).PlatformKeys(ctx)
	if err != nil || len(first.Keys) != 1 || first.Keys[0].ID != want || !first.Keys[0].Created.IsZero() {
		t.Fatalf("the platform keys before any rotation: %+v, %v", first, err)
	}
	if _, err := s.Issuer(ctx, profiles.PlatformIssuer); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("reading the platform keys stored a record: %v", err)
	}
	// Replicas rotating together store one record, seeded with the
	// configured key, and each rotation is kept.
	var wg sync.WaitGroup
	const replicas = 3
	for range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := profiles.NewService(profiles.Config{Store: s, Notary: notary(seed), Now: func() time.Time { return now }})
			if _, err := svc.RotatePlatformKey(ctx); err != nil {
				t.Errorf("rotating: %v", err)
			}
		}()
	}
	wg.Wait()
	i, err := s.Issuer(ctx, profiles.PlatformIssuer)
	if err != nil || i.Kind != profiles.PlatformRole || len(i.Keys) != 1+replicas || i.Keys[0].ID != want || !i.Keys[0].Created.IsZero() || len(i.Keys[0].Sealed) == 0 {
		t.Fatalf("the stored platform record: %+v, %v", i, err)
	}
	rotated := i
	// Another replica, even one configured with another key, reads the
	// rotated record from the store.
	d, err := notary(ed25519.NewKeyFromSeed(make([]byte, 32))).PlatformDocument(ctx)
	if err != nil {
		t.Fatal(err)
	}
	boundary := now.Truncate(time.Second).Add(time.Second) // the next whole second
	if len(d.VerificationMethod) != len(rotated.Keys) {
		t.Fatalf("after the rotations the document lists %d keys, want %d", len(d.VerificationMethod), len(rotated.Keys))
	}
	old, cur := d.VerificationMethod[0], d.VerificationMethod[1]
	if old.PublicKeyMultibase != want || !old.Created.IsZero() || !old.Revoked.Equal(boundary) {
		t.Fatalf("the retired key: %+v, want %s in service since always until %s", old, want, boundary)
	}
	if cur.PublicKeyMultibase != rotated.Keys[1].ID || !cur.Created.Equal(boundary) || !cur.Revoked.Equal(boundary.Add(time.Second)) {
		t.Fatalf("the second key: %+v, want in service from %s for a second", cur, boundary)
	}
	if last := d.VerificationMethod[replicas]; !last.Revoked.IsZero() || last.PublicKeyMultibase != rotated.Keys[replicas].ID {
		t.Fatalf("the key in service: %+v", last)
	}
}
