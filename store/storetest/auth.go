package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parcours/parcours/auth"
)

// AuthStore is what a backend implements for web sign-in.
type AuthStore interface {
	auth.SessionStore
	auth.LinkStore
	auth.DeviceStore
}

// RunAuth runs the conformance suite of web sessions and identity links.
func RunAuth(t *testing.T, open func(t *testing.T) AuthStore) {
	t.Run("Sessions", func(t *testing.T) { testWebSessions(t, open(t)) })
	t.Run("Links", func(t *testing.T) { testLinks(t, open(t)) })
	t.Run("Devices", func(t *testing.T) { testDevices(t, open(t)) })
}

func testWebSessions(t *testing.T, s AuthStore) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	mk := func(subject string) auth.Session {
		_, key := auth.NewSessionID()
		return auth.Session{Key: key, Role: auth.Learner, Subject: subject, ACR: "eidas2", AuthTime: at, Created: at, LastSeen: at, CSRF: auth.RandomToken()}
	}
	a1, a2, b := mk("a"), mk("a"), mk("b")
	for _, se := range []auth.Session{a1, a2, b} {
		if err := s.CreateWebSession(ctx, se); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.WebSession(ctx, a1.Key)
	if err != nil || got.Subject != "a" || got.CSRF != a1.CSRF || got.ACR != "eidas2" || !got.AuthTime.Equal(at) {
		t.Fatalf("WebSession = %+v, %v; want a1", got, err)
	}
	if _, err := s.WebSession(ctx, "nope"); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("unknown session: err = %v, want ErrNoSession", err)
	}
	later := at.Add(time.Minute)
	if err := s.TouchWebSession(ctx, a1.Key, later); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.WebSession(ctx, a1.Key); !got.LastSeen.Equal(later) {
		t.Fatalf("LastSeen = %v, want %v", got.LastSeen, later)
	}
	if err := s.TouchWebSession(ctx, "nope", later); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("touching an unknown session: err = %v", err)
	}
	if err := s.DeleteWebSession(ctx, b.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WebSession(ctx, b.Key); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("deleted session still there: %v", err)
	}
	// Sweeping: a1 was touched a minute later than a2; a session created
	// long ago goes whatever its activity.
	old := mk("c")
	old.Created = at.Add(-24 * time.Hour)
	old.LastSeen = later
	if err := s.CreateWebSession(ctx, old); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SweepWebSessions(ctx, at.Add(time.Second), at.Add(-time.Hour)); err != nil || n != 2 {
		t.Fatalf("SweepWebSessions = %d, %v; want 2 (a2 idle, c too old)", n, err)
	}
	for key, want := range map[string]bool{a1.Key: true, a2.Key: false, old.Key: false} {
		if _, err := s.WebSession(ctx, key); (err == nil) != want {
			t.Errorf("after the sweep, session present = %v, want %v", err == nil, want)
		}
	}
	if err := s.CreateWebSession(ctx, a2); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteWebSessions(ctx, a1.Holder())
	if err != nil || n != 2 {
		t.Fatalf("DeleteWebSessions = %d, %v; want 2", n, err)
	}
	for _, k := range []string{a1.Key, a2.Key} {
		if _, err := s.WebSession(ctx, k); !errors.Is(err, auth.ErrNoSession) {
			t.Fatalf("revoked session still there: %v", err)
		}
	}
}

func testLinks(t *testing.T, s AuthStore) {
	ctx := context.Background()
	if _, err := s.Link(ctx, "https://op", "sub1"); !errors.Is(err, auth.ErrNotLinked) {
		t.Fatalf("unlinked: err = %v", err)
	}
	if err := s.PutLink(ctx, "https://op", "sub1", "acct1"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLink(ctx, "https://op", "sub1", "acct1"); err != nil {
		t.Fatalf("linking again to the same account: %v", err)
	}
	if err := s.PutLink(ctx, "https://op", "sub1", "acct2"); !errors.Is(err, auth.ErrLinked) {
		t.Fatalf("linking to another account: err = %v, want ErrLinked", err)
	}
	if id, err := s.Link(ctx, "https://op", "sub1"); err != nil || id != "acct1" {
		t.Fatalf("Link = %q, %v", id, err)
	}
	// The same subject at another provider is another person.
	if _, err := s.Link(ctx, "https://other", "sub1"); !errors.Is(err, auth.ErrNotLinked) {
		t.Fatalf("other issuer: err = %v", err)
	}
}

func testDevices(t *testing.T, s AuthStore) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, tt := range []struct {
		account, key string
		new          bool
	}{{"a", "d1", true}, {"a", "d1", false}, {"a", "d2", true}, {"b", "d1", true}} {
		got, err := s.AddDevice(ctx, tt.account, auth.Device{Key: tt.key, Label: "Firefox", First: at.Add(time.Duration(i) * time.Hour)})
		if err != nil || got != tt.new {
			t.Fatalf("AddDevice(%s, %s) = %v, %v; want %v", tt.account, tt.key, got, err, tt.new)
		}
	}
	ds, err := s.Devices(ctx, "a")
	if err != nil || len(ds) != 2 || ds[0].Key != "d2" || ds[1].Key != "d1" || !ds[1].First.Equal(at) {
		t.Fatalf("Devices(a) = %+v, %v; want d2 then d1 (first seen kept)", ds, err)
	}
	if ds, err := s.Devices(ctx, "c"); err != nil || len(ds) != 0 {
		t.Fatalf("Devices(c) = %+v, %v", ds, err)
	}
}
