package secrets

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadGeneratesOnceWith0600(t *testing.T) {
	dir := t.TempDir()
	a, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"token.key", "nir-hmac.key", "attestation.key", "search.key"} {
		info, err := os.Stat(filepath.Join(dir, Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, perm)
		}
	}
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !a.TokenKey.Equal(b.TokenKey) || !bytes.Equal(a.NIRKey, b.NIRKey) || !a.AttestationKey.Equal(b.AttestationKey) || !bytes.Equal(a.SearchKey, b.SearchKey) || len(a.SearchKey) != 32 {
		t.Error("second Load returned different keys: keys must persist")
	}
	if a.TokenKey.Equal(a.AttestationKey) {
		t.Error("token and attestation keys are the same key")
	}
	c, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if c.TokenKey.Equal(a.TokenKey) {
		t.Error("two instances got the same token key")
	}
}

func TestLoadRefusesLooseOrCorruptKeys(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, Dir, "token.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("Load accepted a world-readable key")
	}
	if err := os.WriteFile(key, []byte("not base64!"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(key, 0o600)
	if _, err := Load(dir); err == nil {
		t.Error("Load accepted a corrupt key")
	}
}

func TestConcurrentFirstStartsAgree(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	keys := make(chan *Secrets, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := Load(dir)
			keys <- s
			errs <- err
		}()
	}
	var first *Secrets
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		s := <-keys
		if first == nil {
			first = s
		} else if !first.TokenKey.Equal(s.TokenKey) || !bytes.Equal(first.NIRKey, s.NIRKey) {
			t.Fatal("processes starting at once got different keys")
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, Dir, ".key-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
