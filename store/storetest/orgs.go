package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/orgs"
)

// OrgStore is what a backend implements for organisations, learners'
// contact details and the shared sign-in counters.
type OrgStore interface {
	orgs.Store
	marketplace.ContactStore
	auth.AttemptStore
}

// RunOrgs runs the conformance suite of organisations, contact details and
// attempt counters.
func RunOrgs(t *testing.T, open func(t *testing.T) OrgStore) {
	t.Run("Organisations", func(t *testing.T) { testOrgs(t, open(t)) })
	t.Run("OrgVersionRace", func(t *testing.T) { testOrgRace(t, open(t)) })
	t.Run("Invitations", func(t *testing.T) { testInvitations(t, open(t)) })
	t.Run("IdentityClaims", func(t *testing.T) { testIdentityClaims(t, open(t)) })
	t.Run("Contacts", func(t *testing.T) { testContacts(t, open(t)) })
	t.Run("Attempts", func(t *testing.T) { testAttempts(t, open(t)) })
}

func testOrgs(t *testing.T, s OrgStore) {
	ctx := context.Background()
	o := orgs.Organisation{ID: "org-1", SIRET: SIRET(1), Name: "Institut", Role: auth.Provider, CreatedAt: Time}
	if err := s.CreateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	for name, dup := range map[string]orgs.Organisation{
		"same id":    {ID: "org-1", SIRET: SIRET(2), Name: "x", Role: auth.Funder},
		"same siret": {ID: "org-2", SIRET: SIRET(1), Name: "x", Role: auth.Funder},
	} {
		if err := s.CreateOrg(ctx, dup); !errors.Is(err, marketplace.ErrConflict) {
			t.Errorf("%s: err = %v, want ErrConflict", name, err)
		}
	}
	if _, err := s.Org(ctx, "nope"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("unknown organisation: %v", err)
	}
	got, err := s.Org(ctx, "org-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("Org (-want +got):\n%s", diff)
	}
	got.Members = append(got.Members, orgs.Member{ID: "m1", Issuer: "https://op", Subject: "s1", Admin: true, AddedAt: Time})
	if err := s.UpdateOrg(ctx, got); err != nil {
		t.Fatal(err)
	}
	// Writing again over the version read is stale.
	if err := s.UpdateOrg(ctx, got); !errors.Is(err, marketplace.ErrStale) {
		t.Errorf("stale update: err = %v, want ErrStale", err)
	}
	again, err := s.Org(ctx, "org-1")
	if err != nil || again.Version != 1 || len(again.Members) != 1 || again.Members[0].ID != "m1" || !again.Members[0].AddedAt.Equal(Time) {
		t.Fatalf("after the update: %+v, %v", again, err)
	}
	if err := s.UpdateOrg(ctx, again); err != nil {
		t.Fatalf("update at the new version: %v", err)
	}
	if err := s.UpdateOrg(ctx, orgs.Organisation{ID: "nope"}); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("updating an unknown organisation: %v", err)
	}
}

// Of concurrent updates over one version, exactly one is written: this is
// what keeps an organisation's last administrator.
func testOrgRace(t *testing.T, s OrgStore) {
	ctx := context.Background()
	o := orgs.Organisation{ID: "org-r", SIRET: SIRET(3), Name: "Race", Role: auth.Employer, CreatedAt: Time}
	if err := s.CreateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range n {
		wg.Go(func() {
			u := o
			u.Name = string(rune('A' + i))
			err := s.UpdateOrg(ctx, u)
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, marketplace.ErrStale) {
				t.Errorf("update: %v", err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d concurrent updates of one version won, want 1", won)
	}
}

func testInvitations(t *testing.T, s OrgStore) {
	ctx := context.Background()
	inv := orgs.Invitation{Key: "k1", OrgID: "org-1", Email: "a@b.fr", Admin: true, CreatedBy: "admin:x", CreatedAt: Time, Expires: Time.Add(time.Hour)}
	if err := s.CreateInvitation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateInvitation(ctx, inv); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("same key again: %v", err)
	}
	got, err := s.Invitation(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inv, got); diff != "" {
		t.Errorf("Invitation (-want +got):\n%s", diff)
	}
	if _, err := s.Invitation(ctx, "nope"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("unknown invitation: %v", err)
	}
	// Used once, concurrently: one acceptance wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 6 {
		wg.Go(func() {
			err := s.UseInvitation(ctx, "k1", string(rune('a'+i)), Time.Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !errors.Is(err, orgs.ErrInvitationGone):
				t.Errorf("UseInvitation: %v", err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d acceptances of one invitation, want 1", won)
	}
	got, _ = s.Invitation(ctx, "k1")
	if got.UsedBy == "" || !got.UsedAt.Equal(Time.Add(time.Minute)) {
		t.Errorf("used invitation: %+v", got)
	}
	if err := s.UseInvitation(ctx, "nope", "m", Time); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("using an unknown invitation: %v", err)
	}
}

func testIdentityClaims(t *testing.T, s OrgStore) {
	ctx := context.Background()
	if _, _, err := s.Membership(ctx, "https://op", "s1"); !errors.Is(err, orgs.ErrNotMember) {
		t.Fatalf("no membership: %v", err)
	}
	if err := s.ClaimIdentity(ctx, "https://op", "s1", "org-1", "m1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimIdentity(ctx, "https://op", "s1", "org-2", "m2"); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("claiming a member identity again: %v", err)
	}
	// Same subject at another issuer is another identity.
	if err := s.ClaimIdentity(ctx, "https://other", "s1", "org-2", "m2"); err != nil {
		t.Fatal(err)
	}
	if o, m, err := s.Membership(ctx, "https://op", "s1"); err != nil || o != "org-1" || m != "m1" {
		t.Errorf("Membership = %s, %s, %v", o, m, err)
	}
	if err := s.ReleaseIdentity(ctx, "https://op", "s1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Membership(ctx, "https://op", "s1"); !errors.Is(err, orgs.ErrNotMember) {
		t.Errorf("after release: %v", err)
	}
	if err := s.ReleaseIdentity(ctx, "https://op", "s1"); err != nil {
		t.Errorf("releasing twice: %v", err)
	}
	if err := s.ClaimIdentity(ctx, "https://op", "s1", "org-3", "m3"); err != nil {
		t.Errorf("claiming a released identity: %v", err)
	}
}

func testContacts(t *testing.T, s OrgStore) {
	ctx := context.Background()
	if _, err := s.Contact(ctx, "acc-1"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("no contact: %v", err)
	}
	c := marketplace.Contact{AccountID: "acc-1", Email: "a@b.fr", Phone: "+33612345678", IBAN: "FR7630006000011234567890189", SetAt: Time}
	if err := s.PutContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.PutContact(ctx, c); !errors.Is(err, marketplace.ErrStale) {
		t.Errorf("creating twice: %v", err)
	}
	got, err := s.Contact(ctx, "acc-1")
	c.Version = 1
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Contact (-want +got):\n%s", diff)
	}
	got.Email, got.ChangedAt = "c@d.fr", Time.Add(time.Hour)
	if err := s.PutContact(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := s.PutContact(ctx, got); !errors.Is(err, marketplace.ErrStale) {
		t.Errorf("writing over an old version: %v", err)
	}
	if again, _ := s.Contact(ctx, "acc-1"); again.Email != "c@d.fr" || again.Version != 2 || !again.ChangedAt.Equal(Time.Add(time.Hour)) {
		t.Errorf("after the change: %+v", again)
	}
}

func testAttempts(t *testing.T, s OrgStore) {
	ctx := context.Background()
	w := 15 * time.Minute
	at := auth.WindowStart(Time, w).Add(time.Minute)
	if n, err := s.Attempts(ctx, "ip:1", w, at); err != nil || n != 0 {
		t.Fatalf("Attempts before any = %d, %v", n, err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := s.AddAttempt(ctx, "ip:1", w, at); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, err := s.AddAttempt(ctx, "ip:1", w, at.Add(time.Minute)); err != nil || n != 11 {
		t.Errorf("AddAttempt after 10 concurrent ones = %d, %v; want 11", n, err)
	}
	if n, _ := s.Attempts(ctx, "ip:1", w, at); n != 11 {
		t.Errorf("Attempts = %d, want 11", n)
	}
	if n, _ := s.Attempts(ctx, "ip:2", w, at); n != 0 {
		t.Errorf("another key counts %d", n)
	}
	// The next window starts again.
	if n, _ := s.AddAttempt(ctx, "ip:1", w, at.Add(w)); n != 1 {
		t.Errorf("next window = %d, want 1", n)
	}
	if n, err := s.SweepAttempts(ctx, at.Add(w)); err != nil || n < 1 {
		t.Errorf("SweepAttempts = %d, %v; want the ended window deleted", n, err)
	}
	if n, _ := s.Attempts(ctx, "ip:1", w, at); n != 0 {
		t.Errorf("the ended window after the sweep = %d, want 0", n)
	}
	if n, _ := s.Attempts(ctx, "ip:1", w, at.Add(w)); n != 1 {
		t.Errorf("the current window after the sweep = %d, want 1", n)
	}
}

// BenchSignIn measures what sign-in and purchases ask of a store beside
// the catalogue: counting a sign-in request of a client address
// (AddAttempt, every sign-in request), reading an account's failures
// (Attempts, every NIR entry), finding an organisation member's
// membership and organisation (every organisation sign-in, 50 members),
// and reading an account's contact details (the cooling-off check of
// every acceptance).
func BenchSignIn(b *testing.B, s OrgStore) {
	ctx := context.Background()
	o := orgs.Organisation{ID: "org-bench", SIRET: SIRET(9), Name: "Bench", Role: auth.Provider, CreatedAt: Time}
	for i := range 50 {
		o.Members = append(o.Members, orgs.Member{ID: fmt.Sprintf("m%02d", i), Issuer: "https://pro", Subject: fmt.Sprintf("s%02d", i), AddedAt: Time})
	}
	if err := s.CreateOrg(ctx, o); err != nil {
		b.Fatal(err)
	}
	for _, m := range o.Members {
		if err := s.ClaimIdentity(ctx, m.Issuer, m.Subject, o.ID, m.ID); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.PutContact(ctx, marketplace.Contact{AccountID: "acc-bench", Email: "a@b.fr", SetAt: Time}); err != nil {
		b.Fatal(err)
	}
	w := 15 * time.Minute
	now := time.Now()
	b.Run("AddAttempt", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			// Five requests per address: the limiter stops counting an
			// address past its limit, so a window holds few events.
			if _, err := s.AddAttempt(ctx, fmt.Sprint("signin-ip:", i/5), w, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Attempts", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := s.Attempts(ctx, fmt.Sprint("signin-ip:", i%1000), w, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Membership", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			org, _, err := s.Membership(ctx, "https://pro", fmt.Sprintf("s%02d", i%50))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Org(ctx, org); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Contact", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Contact(ctx, "acc-bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
