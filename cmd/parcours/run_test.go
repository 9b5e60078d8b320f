package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/secrets"
)

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingRE = regexp.MustCompile(`serving on (http://[0-9.:]+)/`)

// startServe runs `parcours serve` in-process on a free loopback port and
// returns its base URL and a function that stops it and returns run's error.
func startServe(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(stdout.String()); m != nil {
			stop := func() error {
				cancel()
				select {
				case err := <-done:
					return err
				case <-time.After(30 * time.Second):
					t.Fatal("serve did not stop after its context was cancelled")
					return nil
				}
			}
			t.Cleanup(func() { cancel() })
			return m[1], stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", stderr.String())
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServeWithDemoData(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PARCOURS_CONFIG", "")
	t.Setenv("PARCOURS_DEMO_ENABLED", "true")
	t.Setenv("PARCOURS_DEMO_PROVIDERS", "30")
	t.Setenv("PARCOURS_DEMO_OFFERS", "600")
	base, stop := startServe(t, "--data", dir)

	code, body := get(t, base+"/")
	if code != http.StatusOK || !strings.Contains(body, `lang="fr"`) {
		t.Errorf("home page: %d\n%.300s", code, body)
	}
	code, body = get(t, base+"/api/v1/offers?limit=5")
	var list struct {
		Results []struct{ ID string } `json:"results"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list.Results) != 5 {
		t.Errorf("offers listing after demo load: %d %.300s", code, body)
	}
	if code, _ := get(t, base+"/connexion-demo"); code != http.StatusOK {
		t.Errorf("demo sign-in in demo mode: %d, want 200", code)
	}
	// The starter referential is loaded and the demo offers teach it.
	code, body = get(t, base+"/api/v1/occupations/M1805/trainings?limit=3")
	var tl struct {
		Results []struct{ Certification string } `json:"results"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &tl) != nil || len(tl.Results) == 0 {
		t.Errorf("trainings toward M1805 in demo mode: %d %.300s", code, body)
	}
	if code, body := get(t, base+"/metiers/M1805"); code != http.StatusOK || !strings.Contains(body, "Études et développement informatique") {
		t.Errorf("occupation page: %d", code)
	}
	if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}
	if err := stop(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}
}

func TestServeWithoutDemoStaysEmpty(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PARCOURS_CONFIG", "")
	t.Setenv("PARCOURS_DEMO_ENABLED", "false")
	base, stop := startServe(t, "--data", dir)
	_, body := get(t, base+"/api/v1/offers")
	if !strings.Contains(body, `"results":[]`) {
		t.Errorf("production store is not empty: %.300s", body)
	}
	if code, _ := get(t, base+"/connexion-demo"); code != http.StatusNotFound {
		t.Errorf("demo sign-in without demo mode: %d, want 404", code)
	}
	if err := stop(); err != nil {
		t.Error(err)
	}
}

func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PARCOURS_CONFIG", "")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"token", "--data", dir, "--role", "provider", "--subject", "prov-1", "--ttl", "10m"}, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	sec, err := secrets.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.NewTokens(sec.TokenKey, "parcours", time.Hour, nil).Verify(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("minted token does not verify with the instance key: %v", err)
	}
	if p.Role != auth.Provider || p.Subject != "prov-1" || time.Until(p.Expires) > 10*time.Minute {
		t.Errorf("token holder = %+v", p)
	}
	for _, args := range [][]string{
		{"token", "--data", dir, "--role", "king", "--subject", "x"},
		{"token", "--data", dir, "--role", "admin"},
		{"token", "--data", dir, "--role", "admin", "--subject", "x", "--ttl", "10000h"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestConfigErrorsAreClear(t *testing.T) {
	t.Setenv("PARCOURS_CONFIG", "")
	t.Setenv("PARCOURS_SERVER_READ_TIMEOUT", "0s")
	err := run(context.Background(), []string{"serve", "--data", t.TempDir()}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PARCOURS_SERVER_READ_TIMEOUT") {
		t.Errorf("err = %v, want one naming PARCOURS_SERVER_READ_TIMEOUT", err)
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "parcours ") {
		t.Errorf("version: %v %q", err, out.String())
	}
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
}

// TestIngestCommand imports ROME files into a data directory, twice: the
// summary names the bad rows, and the second run imports nothing. A file
// of another format makes the command fail after the others.
func TestIngestCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PARCOURS_CONFIG", "")
	files := []string{
		"../../ingest/testdata/rome/unix_referentiel_code_rome_v460.csv",
		"../../ingest/testdata/rome/unix_referentiel_competence_v460.csv",
		"../../ingest/testdata/rome/unix_liens_rome_referentiels_v460.csv",
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"ingest", "--data", dir, "rome"}, files...), &out, &errOut); err != nil {
		t.Fatalf("ingest: %v\n%s", err, errOut.String())
	}
	if s := out.String(); !strings.Contains(s, "unix_referentiel_code_rome_v460.csv:4: code_rome \"X12\"") ||
		!strings.Contains(s, "rome import: 3 files, 18 rows read, 13 records imported, 0 unchanged, 5 rows skipped") {
		t.Errorf("summary:\n%s", s)
	}
	out.Reset()
	if err := run(context.Background(), append([]string{"ingest", "--data", dir, "rome"}, files...), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 records imported, 13 unchanged") {
		t.Errorf("second import:\n%s", out.String())
	}
	err := run(context.Background(), []string{"ingest", "--data", dir, "rome", "../../ingest/testdata/bmo2025.csv"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a BMO file given as ROME: %v", err)
	}
	if err := run(context.Background(), []string{"ingest", "--data", dir, "nope", "x.csv"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("unknown kind: %v", err)
	}
}
