package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newKey(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMintVerify(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	key := newKey(t)
	tk := NewTokens(key, "parcours", 24*time.Hour, clock)
	tok, err := tk.Mint(Provider, "prov-1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tk.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != Provider || p.Subject != "prov-1" || !p.Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("Verify = %+v", p)
	}

	tests := []struct {
		name  string
		token func() string
	}{
		{"other key", func() string {
			s, _ := NewTokens(newKey(t), "parcours", time.Hour, clock).Mint(Admin, "x", time.Hour)
			return s
		}},
		{"other issuer", func() string {
			s, _ := NewTokens(key, "elsewhere", time.Hour, clock).Mint(Admin, "x", time.Hour)
			return s
		}},
		{"expired", func() string {
			s, _ := NewTokens(key, "parcours", time.Hour, func() time.Time { return now.Add(-2 * time.Hour) }).Mint(Admin, "x", time.Hour)
			return s
		}},
		{"tampered role", func() string {
			parts := strings.Split(tok, ".")
			forged := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims{Role: Admin, RegisteredClaims: jwt.RegisteredClaims{Subject: "prov-1"}})
			s, _ := forged.SignedString(newKey(t))
			return strings.Join([]string{parts[0], strings.Split(s, ".")[1], parts[2]}, ".")
		}},
		{"alg none", func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims{Role: Admin, RegisteredClaims: jwt.RegisteredClaims{
				Issuer: "parcours", Audience: jwt.ClaimStrings{"parcours"}, Subject: "x", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
			}}).SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}},
		{"garbage", func() string { return "not.a.token" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tk.Verify(tt.token()); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Verify: err = %v, want ErrInvalidToken", err)
			}
		})
	}
}

func TestMintRefuses(t *testing.T) {
	tk := NewTokens(newKey(t), "parcours", time.Hour, nil)
	if _, err := tk.Mint("boss", "x", time.Minute); err == nil {
		t.Error("minted an unknown role")
	}
	if _, err := tk.Mint(Admin, "", time.Minute); err == nil {
		t.Error("minted an empty subject")
	}
	if _, err := tk.Mint(Admin, "x", 2*time.Hour); err == nil {
		t.Error("minted past the maximum lifetime")
	}
}

// A remembered token expires like any other.
func TestRememberedTokenExpires(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk := NewTokens(newKey(t), "parcours", 24*time.Hour, func() time.Time { return now })
	tok, err := tk.Mint(Learner, "acct-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := tk.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Minute)
	if _, err := tk.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("an expired remembered token: %v", err)
	}
	// A token forged from a remembered one is still refused.
	if _, err := tk.Verify(tok[:len(tok)-2] + "xx"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("a forged token: %v", err)
	}
}
