package orgs_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/orgs"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

type env struct {
	store *bolt.Store
	svc   *orgs.Service
	now   time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "p.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateProvider(context.Background(), storetest.Provider(1)); err != nil {
		t.Fatal(err)
	}
	e := &env{store: s, now: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	e.svc = orgs.NewService(s, s, s, orgs.Config{InvitationTTL: 48 * time.Hour, Now: func() time.Time { return e.now }})
	return e
}

var admin = auth.Principal{Role: auth.Admin, Subject: "ops"}

func TestCreateValidates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := storetest.Provider(1)
	tests := []struct {
		name  string
		in    orgs.NewOrg
		field string
	}{
		{"bad siret", orgs.NewOrg{SIRET: "12345678901234", Name: "X", Role: auth.Funder, AdminEmail: "a@b.fr"}, "siret"},
		{"no name", orgs.NewOrg{SIRET: storetest.SIRET(5), Role: auth.Funder, AdminEmail: "a@b.fr"}, "name"},
		{"learner role", orgs.NewOrg{SIRET: storetest.SIRET(5), Name: "X", Role: auth.Learner, AdminEmail: "a@b.fr"}, "role"},
		{"bad email", orgs.NewOrg{SIRET: storetest.SIRET(5), Name: "X", Role: auth.Funder, AdminEmail: "nope"}, "admin_email"},
		{"provider without id", orgs.NewOrg{SIRET: p.SIRET, Name: "X", Role: auth.Provider, AdminEmail: "a@b.fr"}, "provider_id"},
		{"provider of another siret", orgs.NewOrg{SIRET: storetest.SIRET(5), Name: "X", Role: auth.Provider, ProviderID: p.ID, AdminEmail: "a@b.fr"}, "provider_id"},
	}
	for _, tt := range tests {
		_, _, _, err := e.svc.Create(ctx, admin, tt.in)
		var v *marketplace.ValidationError
		if !errors.As(err, &v) || v.Fields[0].Field != tt.field {
			t.Errorf("%s: err = %v, want a validation error on %s", tt.name, err, tt.field)
		}
	}
	if _, _, _, err := e.svc.Create(ctx, auth.Principal{Role: auth.Provider, Subject: p.ID}, orgs.NewOrg{SIRET: p.SIRET, Name: "X", Role: auth.Provider, ProviderID: p.ID, AdminEmail: "a@b.fr"}); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("a provider creating an organisation: %v", err)
	}
	o, _, _, err := e.svc.Create(ctx, admin, orgs.NewOrg{SIRET: p.SIRET, Name: "Institut", Role: auth.Provider, ProviderID: p.ID, AdminEmail: "a@b.fr"})
	if err != nil || o.ID != p.ID {
		t.Fatalf("creating the provider's organisation: %+v, %v (its ID must be the provider's)", o, err)
	}
	if _, _, _, err := e.svc.Create(ctx, admin, orgs.NewOrg{SIRET: p.SIRET, Name: "Again", Role: auth.Funder, AdminEmail: "a@b.fr"}); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("a second organisation with the same SIRET: %v", err)
	}
}

func TestInvitationLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o, inv, token, err := e.svc.Create(ctx, admin, orgs.NewOrg{SIRET: storetest.SIRET(7), Name: "Région", Role: auth.Funder, AdminEmail: "chef@region.fr"})
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Admin || inv.Key == token || !inv.Expires.Equal(e.now.Add(48*time.Hour)) {
		t.Errorf("first invitation: %+v (the token must not be its key)", inv)
	}
	if _, _, err := e.svc.Accept(ctx, token, orgs.Identity{}); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("accepting without an identity: %v", err)
	}
	chief := orgs.Identity{Issuer: "https://pro", Subject: "chief", Name: "Claire"}
	o2, m, err := e.svc.Accept(ctx, token, chief)
	if err != nil || !m.Admin || len(o2.Members) != 1 {
		t.Fatalf("Accept = %+v, %+v, %v", o2, m, err)
	}
	// Single use.
	if _, _, err := e.svc.Accept(ctx, token, orgs.Identity{Issuer: "https://pro", Subject: "other"}); !errors.Is(err, orgs.ErrInvitationGone) {
		t.Errorf("second use: %v", err)
	}
	if _, _, err := e.svc.Pending(ctx, "made-up"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	// Sign-in maps the identity to the membership.
	so, sm, err := e.svc.SignIn(ctx, "https://pro", "chief")
	if err != nil || so.ID != o.ID || sm.ID != m.ID {
		t.Fatalf("SignIn = %v, %v, %v", so.ID, sm.ID, err)
	}
	p := orgs.Principal(so, sm)
	if p.Role != auth.Funder || p.Org != o.ID || !p.OrgAdmin || p.Acting() != o.ID {
		t.Errorf("Principal = %+v", p)
	}
	if _, _, err := e.svc.SignIn(ctx, "https://pro", "stranger"); !errors.Is(err, orgs.ErrNotMember) {
		t.Errorf("a stranger signs in: %v", err)
	}

	// An expired invitation is refused.
	_, late, err := e.svc.Invite(ctx, p, o.ID, "late@region.fr", false)
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(49 * time.Hour)
	if _, _, err := e.svc.Accept(ctx, late, orgs.Identity{Issuer: "https://pro", Subject: "late"}); !errors.Is(err, orgs.ErrInvitationGone) {
		t.Errorf("expired invitation: %v", err)
	}
	// An identity already a member cannot join again.
	_, again, _ := e.svc.Invite(ctx, p, o.ID, "x@region.fr", false)
	if _, _, err := e.svc.Accept(ctx, again, chief); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("a member accepting again: %v", err)
	}
	// The invitation was not spent by the refused acceptance.
	if _, _, err := e.svc.Accept(ctx, again, orgs.Identity{Issuer: "https://pro", Subject: "bob"}); err != nil {
		t.Errorf("the invitation after a refused acceptance: %v", err)
	}
}

func TestRemoveKeepsAnAdminAndRevokes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o, _, token, err := e.svc.Create(ctx, admin, orgs.NewOrg{SIRET: storetest.SIRET(8), Name: "Entreprise", Role: auth.Employer, AdminEmail: "rh@ent.fr"})
	if err != nil {
		t.Fatal(err)
	}
	_, chief, err := e.svc.Accept(ctx, token, orgs.Identity{Issuer: "https://pro", Subject: "chief"})
	if err != nil {
		t.Fatal(err)
	}
	boss := auth.Principal{Role: auth.Employer, Subject: chief.ID, Org: o.ID, OrgAdmin: true}
	_, tok2, _ := e.svc.Invite(ctx, boss, o.ID, "emp@ent.fr", false)
	_, staff, err := e.svc.Accept(ctx, tok2, orgs.Identity{Issuer: "https://pro", Subject: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	staffP := auth.Principal{Role: auth.Employer, Subject: staff.ID, Org: o.ID}
	if _, _, err := e.svc.Invite(ctx, staffP, o.ID, "x@ent.fr", false); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("a non-admin member invites: %v", err)
	}
	if err := e.svc.Remove(ctx, staffP, o.ID, chief.ID); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("a non-admin member removes: %v", err)
	}
	other := auth.Principal{Role: auth.Employer, Subject: "x", Org: "another", OrgAdmin: true}
	if err := e.svc.Remove(ctx, other, o.ID, staff.ID); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("another organisation's admin removes: %v", err)
	}
	if _, err := e.svc.Org(ctx, other, o.ID); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("another organisation's admin reads the members: %v", err)
	}
	if err := e.svc.Remove(ctx, boss, o.ID, chief.ID); !errors.Is(err, orgs.ErrLastAdmin) {
		t.Errorf("removing the last admin: %v", err)
	}
	// The staff member's session ends with the removal.
	_, key := auth.NewSessionID()
	se := auth.Session{Key: key, Role: auth.Employer, Subject: staff.ID, Org: o.ID, Created: e.now, LastSeen: e.now}
	if err := e.store.CreateWebSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Remove(ctx, boss, o.ID, staff.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.WebSession(ctx, key); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("the removed member's session: %v", err)
	}
	if _, _, err := e.svc.SignIn(ctx, "https://pro", "staff"); !errors.Is(err, orgs.ErrNotMember) {
		t.Errorf("a removed member signs in: %v", err)
	}
	if err := e.svc.Remove(ctx, boss, o.ID, staff.ID); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
	got, _ := e.svc.Org(ctx, boss, o.ID)
	if got.Admins() != 1 || len(got.Members) != 1 {
		t.Errorf("members left: %+v", got.Members)
	}
}

// Two administrators removing each other at once: one removal only goes
// through, and the organisation keeps an administrator. Two people
// accepting one invitation at once: one only joins.
func TestConcurrentRemovalsAndAcceptances(t *testing.T) {
	for round := range 10 {
		e := newEnv(t)
		ctx := context.Background()
		o, _, token, err := e.svc.Create(ctx, admin, orgs.NewOrg{SIRET: storetest.SIRET(20 + round), Name: "Duo", Role: auth.Controller, AdminEmail: "a@duo.fr"})
		if err != nil {
			t.Fatal(err)
		}
		_, a, err := e.svc.Accept(ctx, token, orgs.Identity{Issuer: "https://pro", Subject: "a"})
		if err != nil {
			t.Fatal(err)
		}
		_, tok2, _ := e.svc.Invite(ctx, admin, o.ID, "b@duo.fr", true)
		results := make(chan error, 2)
		for _, who := range []string{"b", "c"} {
			go func() {
				_, _, err := e.svc.Accept(ctx, tok2, orgs.Identity{Issuer: "https://pro", Subject: who})
				results <- err
			}()
		}
		joined := 0
		for range 2 {
			if err := <-results; err == nil {
				joined++
			} else if !errors.Is(err, orgs.ErrInvitationGone) {
				t.Fatalf("a racing acceptance: %v", err)
			}
		}
		got, _ := e.svc.Org(ctx, admin, o.ID)
		if joined != 1 || len(got.Members) != 2 {
			t.Fatalf("round %d: %d joined, members %+v", round, joined, got.Members)
		}
		b := got.Members[1]
		pa := auth.Principal{Role: auth.Controller, Subject: a.ID, Org: o.ID, OrgAdmin: true}
		pb := auth.Principal{Role: auth.Controller, Subject: b.ID, Org: o.ID, OrgAdmin: true}
		go func() { results <- e.svc.Remove(ctx, pa, o.ID, b.ID) }()
		go func() { results <- e.svc.Remove(ctx, pb, o.ID, a.ID) }()
		removed := 0
		for range 2 {
			if err := <-results; err == nil {
				removed++
			} else if !errors.Is(err, orgs.ErrLastAdmin) {
				t.Fatalf("a racing removal: %v", err)
			}
		}
		got, _ = e.svc.Org(ctx, admin, o.ID)
		if removed != 1 || got.Admins() != 1 {
			t.Fatalf("round %d: %d removals, %d admins left", round, removed, got.Admins())
		}
	}
}
