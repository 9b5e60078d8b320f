// Package secrets keeps the instance's keys in its data directory, never in
// config.yaml: the token signing key, the NIR HMAC key, the attestation
// signing key, the search order key, the transparency log key and the seal
// of the issuers' keys. Missing keys are generated on first start and written with
// mode 0600; existing ones are never replaced, since tokens, NIR lookups and
// attestations depend on them.
package secrets

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Secrets are the instance's keys. The zero value holds no keys.
type Secrets struct {
	TokenKey       ed25519.PrivateKey // signs bearer tokens (EdDSA JWT)
	NIRKey         []byte             // 32 bytes: HMAC-SHA-256 key of NIR lookups
	AttestationKey ed25519.PrivateKey // signs attestations
	// PaymentWebhookKey (32 bytes) is shared with the payment provider,
	// which signs its webhooks with it (HMAC-SHA-256).
	PaymentWebhookKey []byte
	SearchKey         []byte // 32 bytes: HMAC-SHA-256 key of the search tie-break order

	// Career profiles: LogKey signs the transparency log's checkpoints;
	// IssuerSealKey (32 bytes, AES-256-GCM) seals the signing keys the
	// platform holds for employers and certifiers.
	LogKey        ed25519.PrivateKey
	IssuerSealKey []byte
}

// Dir is the directory inside the data directory that holds the keys.
const Dir = "secrets"

// Load reads the keys from dataDir/secrets, generating any that is missing.
func Load(dataDir string) (*Secrets, error) {
	dir := filepath.Join(dataDir, Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", Dir, err)
	}
	var s Secrets
	seed, err := loadOrCreate(filepath.Join(dir, "token.key"), ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	s.TokenKey = ed25519.NewKeyFromSeed(seed)
	if s.NIRKey, err = loadOrCreate(filepath.Join(dir, "nir-hmac.key"), 32); err != nil {
		return nil, err
	}
	if seed, err = loadOrCreate(filepath.Join(dir, "attestation.key"), ed25519.SeedSize); err != nil {
		return nil, err
	}
	s.AttestationKey = ed25519.NewKeyFromSeed(seed)
	if s.PaymentWebhookKey, err = loadOrCreate(filepath.Join(dir, "payment-webhook.key"), 32); err != nil {
		return nil, err
	}
	if s.SearchKey, err = loadOrCreate(filepath.Join(dir, "search.key"), 32); err != nil {
		return nil, err
	}
	if seed, err = loadOrCreate(filepath.Join(dir, "transparency-log.key"), ed25519.SeedSize); err != nil {
		return nil, err
	}
	s.LogKey = ed25519.NewKeyFromSeed(seed)
	if s.IssuerSealKey, err = loadOrCreate(filepath.Join(dir, "issuer-seal.key"), 32); err != nil {
		return nil, err
	}
	return &s, nil
}

// loadOrCreate reads a base64 key of n bytes, or creates it. A new key is
// written whole to a temporary file, synced, then linked into place: a
// crash never leaves a partial key, and of two processes starting at once
// the second to link fails and reads the first one's key.
func loadOrCreate(path string, n int) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, n)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := writeNew(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n")); errors.Is(err, fs.ErrExist) {
			return loadOrCreate(path, n)
		} else if err != nil {
			return nil, fmt.Errorf("creating key %s: %w", filepath.Base(path), err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading key %s: %w", filepath.Base(path), err)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key %s is readable by others (mode %o): make it 0600", filepath.Base(path), info.Mode().Perm())
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != n {
		return nil, fmt.Errorf("key %s is corrupt: want %d base64-encoded bytes", filepath.Base(path), n)
	}
	return key, nil
}

// writeNew creates path with data and mode 0600, failing with fs.ErrExist
// if it already exists; the file appears complete or not at all.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	if err := errors.Join(werr, serr, tmp.Close(), os.Chmod(tmp.Name(), 0o600)); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
