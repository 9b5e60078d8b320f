package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bbolt "go.etcd.io/bbolt"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/secrets"
	"github.com/parcours/parcours/store/bolt"
	"github.com/parcours/parcours/store/storetest"
)

// TestBackupUnderWriteLoadRestores takes a backup of a running service
// while offers, sessions and deletions are being written, then restores it
// into a fresh data directory and checks the result is a sound store that
// holds everything acknowledged before the backup began, and serves.
func TestBackupUnderWriteLoadRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the service as a child process")
	}
	t.Setenv("PARCOURS_CONFIG", "")
	dir := t.TempDir()
	svc := startService(t, dir)
	client := newClient()
	providerID := registerProvider(t, client, svc.base, mint(t, dir, auth.Admin, "backup-test"), 1)
	token := mint(t, dir, auth.Provider, providerID)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const (
		backupAfter = 60 // acknowledged offers before the backup
		writesAfter = 30 // acknowledged offers after it, before the load stops
	)
	var target int
	reached := make(chan struct{}, 1)
	load := &writeLoad{client: client, base: svc.base, token: token, providerID: providerID, max: 3000, mixed: true,
		onAck: func(n int) {
			if n == target {
				reached <- struct{}{}
			}
		}}
	target = backupAfter
	wait := load.start(ctx, 4)
	select {
	case <-reached:
	case <-ctx.Done():
		t.Fatalf("fewer than %d offers written in 30s: %v", backupAfter, load.failures())
	}

	before, beforeSessions := load.snapshot()
	file := filepath.Join(t.TempDir(), "parcours-backup.db")
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"backup", "--data", dir, "--addr", svc.addr, file}, &out, &errOut); err != nil {
		t.Fatalf("backup under load: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "from the running service") {
		t.Errorf("backup of a running service = %q, want it made by the service", out.String())
	}
	load.mu.Lock()
	target = len(load.acked) + writesAfter
	load.mu.Unlock()
	select {
	case <-reached:
	case <-ctx.Done():
	}

	err := run(ctx, []string{"restore", "--data", dir, file}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "stop the service") {
		t.Errorf("restore onto a running service: %v, want a refusal telling to stop the service", err)
	}

	load.ended.Store(true)
	cancel()
	wait()
	for _, err := range load.failures() {
		t.Errorf("write load: %v", err)
	}
	t.Logf("%d offers acknowledged before the backup, %d requests sent in all", len(before), load.sent.Load())
	svc.stop()

	// The secrets are not in the store file: the operator restores them
	// with it (docs/operations.md), so that issued tokens stay valid.
	restored := t.TempDir()
	copyDir(t, filepath.Join(dir, secrets.Dir), filepath.Join(restored, secrets.Dir))
	out.Reset()
	if err := run(context.Background(), []string{"restore", "--data", restored, file}, &out, &errOut); err != nil {
		t.Fatalf("restore into a fresh data directory: %v\n%s", err, errOut.String())
	}

	offers := checkStoreFile(t, filepath.Join(restored, "parcours.db"))
	got := map[string]marketplace.Offer{}
	for _, o := range offers {
		got[o.ID] = o
		if o.ProviderID != providerID || !strings.HasPrefix(o.Title, "Anglais w") {
			t.Errorf("restored offer %s was never sent: %+v", o.ID, o)
		}
	}
	for id, want := range before {
		o, ok := got[id]
		if !ok {
			t.Errorf("offer %s acknowledged before the backup is not in it", id)
			continue
		}
		if diff := cmp.Diff(wire(want), wireOf(o)); diff != "" {
			t.Errorf("restored offer %s (-acknowledged +restored):\n%s", id, diff)
		}
	}

	s, err := bolt.Open(filepath.Join(restored, "parcours.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range beforeSessions {
		ss, err := s.Sessions(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, x := range ss {
			have[x.ID] = true
		}
		for _, sid := range want {
			if !have[sid] {
				t.Errorf("session %s of offer %s, acknowledged before the backup, is not in it", sid, id)
			}
		}
	}
	s.Close()

	// The restored store serves, and tokens issued before still verify.
	svc = startService(t, restored)
	for id := range before {
		if _, err := call(context.Background(), client, http.MethodGet, svc.base+"/api/v1/offers/"+id, token, nil, nil); err != nil {
			t.Errorf("restored service: %v", err)
		}
		break
	}
	svc.stop()
}

// offerWire is what a client sees of an offer, to compare an acknowledged
// offer with a stored one.
type offerWire struct {
	ID, ProviderID, Title, Certification, Modality, Commune, Department, Region, Status string
	PriceCents                                                                          int64
	Hours                                                                               int
	Skills                                                                              []string
	CreatedAt, UpdatedAt                                                                time.Time
}

func wire(o api.OfferOutput) offerWire {
	return offerWire{o.ID, o.ProviderID, o.Title, o.Certification.Code, o.Modality, o.Commune, o.Department, o.Region, o.Status,
		o.PriceCents, o.Hours, o.Skills, o.CreatedAt.UTC(), o.UpdatedAt.UTC()}
}

func wireOf(o marketplace.Offer) offerWire {
	return offerWire{o.ID, o.ProviderID, o.Title, o.Certification.Code, string(o.Modality), o.Commune, o.Department, o.Region, string(o.Status),
		o.PriceCents, o.Hours, o.Skills, o.CreatedAt.UTC(), o.UpdatedAt.UTC()}
}

func TestRestoreRefusesAFileThatIsNotAStore(t *testing.T) {
	t.Setenv("PARCOURS_CONFIG", "")
	dir := seededDataDir(t, 200)
	valid := filepath.Join(t.TempDir(), "valid.db")
	if err := run(context.Background(), []string{"backup", "--data", dir, valid}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(valid)
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, 64<<10)
	for i := range noise {
		noise[i] = byte(i * 7919 >> 3)
	}
	files := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"text", []byte("not a store\n")},
		{"noise", noise},
		{"json", []byte(`{"offers":[]}`)},
		{"truncated", data[:len(data)/2]},
		{"header only", data[:8192]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(files, tc.name+".db")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			// A child process, so that a fault while reading a damaged
			// file shows as a failure rather than killing the tests.
			code, stderr := runChild(t, "restore", "--data", dir, path)
			if code != 1 || !strings.Contains(stderr, "is not a valid Parcours store") {
				t.Errorf("restore of a %s file: exit %d\n%.2000s", tc.name, code, stderr)
			}
			checkSeeded(t, dir, 200)
		})
	}
	if err := run(context.Background(), []string{"restore", "--data", dir, filepath.Join(files, "missing.db")}, io.Discard, io.Discard); err == nil {
		t.Error("restore of a missing file: no error")
	}
	checkSeeded(t, dir, 200)
}

func TestBackupWithoutServiceReadsTheFile(t *testing.T) {
	t.Setenv("PARCOURS_CONFIG", "")
	dir := seededDataDir(t, 20)
	file := filepath.Join(t.TempDir(), "backup.db")
	var out bytes.Buffer
	// No service listens on port 1: the backup must not need one.
	if err := run(context.Background(), []string{"backup", "--data", dir, "--addr", "127.0.0.1:1", file}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "from the file") {
		t.Errorf("backup with the service stopped = %q, want it read from the file", out.String())
	}
	restored := t.TempDir()
	if err := run(context.Background(), []string{"restore", "--data", restored, file}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	checkSeeded(t, restored, 20)

	// A store locked by a process that does not answer: the backup fails
	// and leaves no file.
	s, err := bolt.Open(filepath.Join(dir, "parcours.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	orphan := filepath.Join(t.TempDir(), "backup.db")
	err = run(context.Background(), []string{"backup", "--data", dir, "--addr", "127.0.0.1:1", orphan}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "locked by a running service") {
		t.Errorf("backup of a locked store with no service: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(orphan)); len(entries) != 0 {
		t.Errorf("a failed backup left files: %v", entries)
	}
}

// seededDataDir returns a data directory whose store holds one provider and
// n offers, closed.
func seededDataDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := bolt.Open(filepath.Join(dir, "parcours.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	p := storetest.Provider(1)
	if err := s.CreateProvider(ctx, p); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := s.CreateOffer(ctx, storetest.Offer(i, p.ID)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// checkSeeded checks that a data directory still holds what seededDataDir put there.
func checkSeeded(t *testing.T, dir string, n int) {
	t.Helper()
	offers := checkStoreFile(t, filepath.Join(dir, "parcours.db"))
	if len(offers) != n {
		t.Errorf("the store holds %d offers, want %d", len(offers), n)
	}
	for i, o := range offers {
		if want := storetest.Offer(i, "prov-0001"); !cmp.Equal(o, want) {
			t.Errorf("offer %d: %s", i, cmp.Diff(want, o))
		}
	}
}

// runChild runs the command in a child process and returns its exit code
// and standard error.
func runChild(t *testing.T, args ...string) (int, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// copyDir copies the files of a directory, keeping their permissions, as
// `cp -p` does: the secrets must stay private to their owner.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// checkStoreFile checks a closed store file and returns its offers in ID
// order. Beyond bbolt's page structure, it checks what the backend's
// writes must keep true together: every index entry names an existing
// offer with that value and every offer is in each of its indexes, every
// session and offer names an existing parent, the SIRET index matches the
// providers, and listings by filter agree with a full scan.
func checkStoreFile(t *testing.T, path string) []marketplace.Offer {
	t.Helper()
	checkLayout(t, path)
	s, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Check(); err != nil {
		t.Fatalf("structural check: %v", err)
	}
	ctx := context.Background()
	var all []marketplace.Offer
	for pg := (marketplace.Page{Limit: marketplace.MaxPageSize}); ; {
		offers, next, err := s.Offers(ctx, marketplace.OfferFilter{}, pg)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, offers...)
		if next == "" {
			break
		}
		pg.After = next
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Fatalf("full scan out of order: %s then %s", all[i-1].ID, all[i].ID)
		}
	}
	if n, err := s.CountOffers(ctx, marketplace.OfferFilter{}); err != nil || n != len(all) {
		t.Errorf("CountOffers() = %d, %v; a full scan finds %d", n, err, len(all))
	}
	// Listings go through the indexes: each must find exactly the offers
	// of the full scan that match.
	filters := map[marketplace.OfferFilter]int{}
	for _, o := range all {
		filters[marketplace.OfferFilter{ProviderID: o.ProviderID}]++
		filters[marketplace.OfferFilter{Region: o.Region}]++
		filters[marketplace.OfferFilter{Department: o.Department}]++
		filters[marketplace.OfferFilter{Certification: o.Certification.Code}]++
		filters[marketplace.OfferFilter{Status: o.Status}]++
		filters[marketplace.OfferFilter{ProviderID: o.ProviderID, Status: o.Status}]++
	}
	for f, want := range filters {
		if n, err := s.CountOffers(ctx, f); err != nil || n != want {
			t.Errorf("CountOffers(%+v) = %d, %v; a full scan finds %d", f, n, err, want)
		}
	}
	for _, o := range all {
		ss, err := s.Sessions(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ss {
			if x.OfferID != o.ID {
				t.Errorf("session %s listed under offer %s names offer %s", x.ID, o.ID, x.OfferID)
			}
		}
	}
	return all
}

// checkLayout reads the file with bbolt directly, for what the store's
// interface cannot show: entries that no listing reaches. It follows the
// bucket layout of store/bolt.
func checkLayout(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		bucket := func(name string) *bbolt.Bucket {
			b := tx.Bucket([]byte(name))
			if b == nil {
				t.Fatalf("bucket %s is missing", name)
			}
			return b
		}
		offers := map[string]marketplace.Offer{}
		err := bucket("offers").ForEach(func(k, v []byte) error {
			var o marketplace.Offer
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if o.ID != string(k) {
				t.Errorf("offer stored under %q has ID %q", k, o.ID)
			}
			offers[o.ID] = o
			return nil
		})
		if err != nil {
			return err
		}
		providers := map[string]string{} // ID -> SIRET
		err = bucket("providers").ForEach(func(k, v []byte) error {
			var p marketplace.Provider
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			providers[string(k)] = p.SIRET
			return nil
		})
		if err != nil {
			return err
		}
		sirets := 0
		err = bucket("providers_by_siret").ForEach(func(k, v []byte) error {
			sirets++
			if providers[string(v)] != string(k) {
				t.Errorf("SIRET index: %s -> provider %s, whose SIRET is %q", k, v, providers[string(v)])
			}
			return nil
		})
		if err != nil {
			return err
		}
		if sirets != len(providers) {
			t.Errorf("SIRET index holds %d entries for %d providers", sirets, len(providers))
		}
		for _, o := range offers {
			if _, ok := providers[o.ProviderID]; !ok {
				t.Errorf("offer %s names missing provider %s", o.ID, o.ProviderID)
			}
		}
		indexes := map[string]func(marketplace.Offer) string{
			"offers_by_provider":      func(o marketplace.Offer) string { return o.ProviderID },
			"offers_by_region":        func(o marketplace.Offer) string { return o.Region },
			"offers_by_department":    func(o marketplace.Offer) string { return o.Department },
			"offers_by_certification": func(o marketplace.Offer) string { return o.Certification.Code },
			"offers_by_status":        func(o marketplace.Offer) string { return string(o.Status) },
		}
		for name, value := range indexes {
			n := 0
			err := bucket(name).ForEach(func(k, _ []byte) error {
				n++
				v, id, ok := strings.Cut(string(k), "\x00")
				o, found := offers[id]
				switch {
				case !ok:
					t.Errorf("index %s: malformed key %q", name, k)
				case !found:
					t.Errorf("index %s: %q names missing offer %s", name, v, id)
				case value(o) != v:
					t.Errorf("index %s: %q names offer %s, whose value is %q", name, v, id, value(o))
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n != len(offers) {
				t.Errorf("index %s holds %d entries for %d offers", name, n, len(offers))
			}
		}
		return bucket("sessions").ForEach(func(k, v []byte) error {
			offerID, id, _ := strings.Cut(string(k), "\x00")
			var s marketplace.Session
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			if _, ok := offers[offerID]; !ok {
				t.Errorf("session %s names missing offer %s", id, offerID)
			}
			if s.ID != id || s.OfferID != offerID {
				t.Errorf("session stored under %q is %s of offer %s", k, s.ID, s.OfferID)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatalf("reading %s: %v", filepath.Base(path), err)
	}
}
