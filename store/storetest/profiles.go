package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/profiles"
)

// ProfileStore is what a backend implements for career profiles.
type ProfileStore interface {
	profiles.Store
	profiles.Employments
	SaveDeclarations(ctx context.Context, ds []marketplace.Declaration) error
}

// RunProfiles runs the conformance suite of career profiles.
func RunProfiles(t *testing.T, open func(t *testing.T) ProfileStore) {
	t.Run("Entries", func(t *testing.T) { testProfileEntries(t, open(t)) })
	t.Run("ShareLinks", func(t *testing.T) { testShareLinks(t, open(t)) })
	t.Run("IssuerVersions", func(t *testing.T) { testIssuerVersions(t, open(t)) })
	t.Run("Credentials", func(t *testing.T) { testCredentials(t, open(t)) })
	t.Run("StatusBits", func(t *testing.T) { testStatusBits(t, open(t)) })
	t.Run("CreateIssued", func(t *testing.T) { testCreateIssued(t, open(t)) })
	t.Run("EmploymentYears", func(t *testing.T) { testEmploymentYears(t, open(t)) })
	t.Run("PlatformKeys", func(t *testing.T) { testPlatformKeys(t, open(t)) })
}

// ProfileEntry returns a valid declared line numbered n of a person.
func ProfileEntry(person string, n int) profiles.Entry {
	return profiles.Entry{
		ID: fmt.Sprintf("entry-%04d", n), PersonID: person, Kind: profiles.Employment, Evidence: profiles.Declared,
		Title: fmt.Sprintf("Poste %d", n), Organisation: "Boulangerie Martin", SIRET: SIRET(n),
		Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2022, 6, 30, 0, 0, 0, 0, time.UTC),
		Skills: []string{"rome:100001"}, CreatedAt: Time, UpdatedAt: Time,
	}
}

func testProfileEntries(t *testing.T, s ProfileStore) {
	ctx := context.Background()
	for _, n := range []int{2, 1, 3} {
		if err := s.CreateProfileEntry(ctx, ProfileEntry("p1", n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateProfileEntry(ctx, ProfileEntry("p2", 1)); err != nil {
		t.Fatalf("the same entry ID for another person: %v", err)
	}
	if err := s.CreateProfileEntry(ctx, ProfileEntry("p1", 1)); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("duplicate entry: got %v, want ErrConflict", err)
	}
	got, err := s.ProfileEntries(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	want := []profiles.Entry{ProfileEntry("p1", 1), ProfileEntry("p1", 2), ProfileEntry("p1", 3)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("entries of p1 (-want +got):\n%s", diff)
	}
	e := ProfileEntry("p1", 2)
	e.Title, e.Evidence, e.CredentialID = "Chef de rang", profiles.Attested, "urn:uuid:x"
	if err := s.PutProfileEntry(ctx, e); err != nil {
		t.Fatal(err)
	}
	if g, err := s.ProfileEntry(ctx, "p1", e.ID); err != nil || !cmp.Equal(g, e) {
		t.Fatalf("after put: %+v, %v", g, err)
	}
	if _, err := s.ProfileEntry(ctx, "p2", "entry-0002"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("another person's entry: got %v, want ErrNotFound", err)
	}
	if err := s.PutProfileEntry(ctx, ProfileEntry("p3", 1)); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("put of a missing entry: got %v, want ErrNotFound", err)
	}
	if err := s.DeleteProfileEntry(ctx, "p2", "entry-0003"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("deleting another person's entry: got %v, want ErrNotFound", err)
	}
	if err := s.DeleteProfileEntry(ctx, "p1", "entry-0003"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ProfileEntries(ctx, "p1"); len(got) != 2 {
		t.Fatalf("after delete: %d entries, want 2", len(got))
	}
	if got, _ := s.ProfileEntries(ctx, "p"); len(got) != 0 {
		t.Fatalf("a person's prefix must not list another's entries: %d", len(got))
	}
}

func testShareLinks(t *testing.T, s ProfileStore) {
	ctx := context.Background()
	a := profiles.Share{ID: "aa", PersonID: "p1", EntryIDs: []string{"e1", "e2"}, Label: "Acme", Expires: Time.Add(48 * time.Hour), Created: Time.Add(time.Minute)}
	b := profiles.Share{ID: "bb", PersonID: "p1", EntryIDs: []string{"e1"}, Expires: Time.Add(time.Hour), Created: Time}
	for _, sh := range []profiles.Share{a, b, {ID: "cc", PersonID: "p2", Created: Time, Expires: Time}} {
		if err := s.CreateShareLink(ctx, sh); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateShareLink(ctx, a); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("duplicate link: got %v, want ErrConflict", err)
	}
	if got, err := s.ShareLink(ctx, "aa"); err != nil || !cmp.Equal(got, a) {
		t.Fatalf("ShareLink: %+v, %v", got, err)
	}
	got, err := s.ShareLinks(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]profiles.Share{b, a}, got); diff != "" {
		t.Fatalf("links of p1 by creation (-want +got):\n%s", diff)
	}
	if err := s.DeleteShareLink(ctx, "p2", "aa"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("deleting another person's link: got %v, want ErrNotFound", err)
	}
	if err := s.DeleteShareLink(ctx, "p1", "aa"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ShareLink(ctx, "aa"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("deleted link: got %v, want ErrNotFound", err)
	}
}

func testIssuerVersions(t *testing.T, s ProfileStore) {
	ctx := context.Background()
	i := profiles.Issuer{SIRET: SIRET(7), Kind: profiles.EmployerIssuer, Name: "Acme", Custody: profiles.PlatformKey,
		Keys: []profiles.IssuerKey{{ID: "key-1", Public: make([]byte, 32), Sealed: []byte{1, 2, 3}, Created: Time}}, CreatedAt: Time, UpdatedAt: Time, Version: 1}
	if err := s.CreateIssuer(ctx, i); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIssuer(ctx, i); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("duplicate issuer: got %v, want ErrConflict", err)
	}
	// Two rotations from the same version: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for n := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := i
			j.Keys = append([]profiles.IssuerKey{}, i.Keys...)
			j.Keys[0].Retired = Time
			j.Keys = append(j.Keys, profiles.IssuerKey{ID: fmt.Sprintf("key-%d", 2+n), Public: make([]byte, 32), Created: Time})
			j.Version = 2
			errs[n] = s.UpdateIssuer(ctx, j)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, marketplace.ErrConflict):
			t.Fatalf("concurrent update: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent updates of version 1 won, want exactly 1", won)
	}
	got, err := s.Issuer(ctx, i.SIRET)
	if err != nil || got.Version != 2 || len(got.Keys) != 2 {
		t.Fatalf("after rotation: %+v, %v", got, err)
	}
	if k, ok := got.Current(); !ok || k.ID == "key-1" {
		t.Fatalf("current key after rotation: %+v", k)
	}
	if _, err := s.Issuer(ctx, SIRET(8)); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("unknown issuer: got %v, want ErrNotFound", err)
	}
	missing := i
	missing.SIRET, missing.Version = SIRET(9), 2
	if err := s.UpdateIssuer(ctx, missing); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("update of an unknown issuer: got %v, want ErrNotFound", err)
	}
}

func testCredentials(t *testing.T, s ProfileStore) {
	ctx := context.Background()
	mk := func(id, person string) profiles.Credential {
		return profiles.Credential{ID: id, PersonID: person, IssuerID: profiles.PlatformIssuer, EntryID: "e-" + id, State: profiles.Issued,
			Document: []byte(`{"id":"` + id + `"}`), StatusIndex: 3, IssueLeaf: 7, RevokeLeaf: -1, IssuedAt: Time}
	}
	for _, c := range []profiles.Credential{mk("urn:uuid:2", "p1"), mk("urn:uuid:1", "p1"), mk("urn:uuid:3", "p2")} {
		if err := s.CreateCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateCredential(ctx, mk("urn:uuid:1", "p1")); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("duplicate credential: got %v, want ErrConflict", err)
	}
	got, err := s.Credentials(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]profiles.Credential{mk("urn:uuid:1", "p1"), mk("urn:uuid:2", "p1")}, got); diff != "" {
		t.Fatalf("credentials of p1 (-want +got):\n%s", diff)
	}
	c := mk("urn:uuid:1", "p1")
	c.State, c.RevokedAt, c.RevokeLeaf, c.Reason = profiles.Revoked, Time.Add(time.Hour), 9, "erreur de saisie"
	if err := s.PutCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Credential(ctx, c.ID); err != nil || !cmp.Equal(g, c) {
		t.Fatalf("after put: %+v, %v", g, err)
	}
	if err := s.PutCredential(ctx, mk("urn:uuid:9", "p1")); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("put of a missing credential: got %v, want ErrNotFound", err)
	}
}

func testStatusBits(t *testing.T, s ProfileStore) {
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 4 {
				ns, err := s.NextStatusIndexes(ctx, k%2+1)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ns) != k%2+1 {
					t.Errorf("%d indexes for %d asked", len(ns), k%2+1)
				}
				mu.Lock()
				for _, n := range ns {
					if seen[n] {
						t.Errorf("status index %d allocated twice", n)
					}
					seen[n] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 48 {
		t.Fatalf("%d distinct status indexes for 48 asked", len(seen))
	}
	for i := range seen {
		if i < 0 {
			t.Fatalf("negative status index %d", i)
		}
	}
	for _, i := range []int{5, 131072, 3, 5, 131071} {
		if err := s.SetStatusBit(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.StatusBits(ctx, 0, 131072)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{3, 5, 131071}, got); diff != "" {
		t.Fatalf("bits of the first list (-want +got):\n%s", diff)
	}
	if got, _ := s.StatusBits(ctx, 131072, 2*131072); !cmp.Equal(got, []int{131072}) {
		t.Fatalf("bits of the second list: %v", got)
	}
}

func testEmploymentYears(t *testing.T, s ProfileStore) {
	ctx := context.Background()
	ds := []marketplace.Declaration{
		{AccountID: "acc-1", Year: 2023, EmployerSIRET: SIRET(1), HoursWorked: 1600, FullTimeHours: 1607},
		{AccountID: "acc-1", Year: 2021, EmployerSIRET: SIRET(1), HoursWorked: 1600, FullTimeHours: 1607},
		{AccountID: "acc-1", Year: 2022, EmployerSIRET: SIRET(2), HoursWorked: 1600, FullTimeHours: 1607},
		{AccountID: "acc-10", Year: 2022, EmployerSIRET: SIRET(1), HoursWorked: 1600, FullTimeHours: 1607},
	}
	if err := s.SaveDeclarations(ctx, ds); err != nil {
		t.Fatal(err)
	}
	got, err := s.EmploymentYears(ctx, "acc-1", SIRET(1))
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got, []int{2021, 2023}) {
		t.Fatalf("years acc-1 worked for employer 1: %v, want [2021 2023]", got)
	}
	if got, _ := s.EmploymentYears(ctx, "acc-1", SIRET(3)); len(got) != 0 {
		t.Fatalf("an employer that never declared the worker: %v", got)
	}
	if got, _ := s.EmploymentYears(ctx, "acc", SIRET(1)); len(got) != 0 {
		t.Fatalf("an account ID prefix must not match: %v", got)
	}
}

func testCreateIssued(t *testing.T, s ProfileStore) {
	ctx := context.Background()
	var cs []profiles.Credential
	var es []profiles.Entry
	for n := range 120 { // more than one chunk of some backends
		e := ProfileEntry(fmt.Sprintf("p%d", n%3), n)
		e.Evidence, e.CredentialID = profiles.Attested, fmt.Sprintf("urn:uuid:c%04d", n)
		es = append(es, e)
		cs = append(cs, profiles.Credential{ID: e.CredentialID, PersonID: e.PersonID, IssuerID: "x", EntryID: e.ID, State: profiles.Issued, Document: []byte(`{}`), IssueLeaf: int64(n), RevokeLeaf: -1, IssuedAt: Time})
	}
	if err := s.CreateIssued(ctx, cs, es); err != nil {
		t.Fatal(err)
	}
	for p := range 3 {
		person := fmt.Sprintf("p%d", p)
		got, _ := s.ProfileEntries(ctx, person)
		creds, _ := s.Credentials(ctx, person)
		if len(got) != 40 || len(creds) != 40 {
			t.Fatalf("%s: %d lines and %d credentials, want 40 each", person, len(got), len(creds))
		}
	}
	if c, err := s.Credential(ctx, "urn:uuid:c0042"); err != nil || !cmp.Equal(c, cs[42]) {
		t.Fatalf("credential 42: %+v %v", c, err)
	}
	if err := s.CreateIssued(ctx, cs[:1], es[:1]); !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("issuing an existing credential again: %v, want ErrConflict", err)
	}
}
