package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/secrets"
	"github.com/parcours/parcours/store/mongo/mongotest"
	"github.com/parcours/parcours/store/storetest"
)

// childEnv, set to 1 in a test binary's environment, makes it run main
// instead of the tests: the crash tests kill a real service process
// without building the command separately.
const childEnv = "RUN_PARCOURS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	// The FerretDB the replica tests start on first use serves every test
	// (and every round of -count) of this binary: stopped once, here.
	mongotest.Cleanup()
	os.Exit(code)
}

// service is `parcours serve` running as a child process on a free
// loopback port.
type service struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string // host:port it listens on
	base   string // http://addr
	logs   string // file receiving its stderr
	exited chan struct{}
	err    error // the result of Wait, once exited is closed
}

// startService starts `parcours serve` on dataDir with demo mode off and
// waits until it serves. env adds PARCOURS_* settings. The process is
// killed at the end of the test if it still runs.
func startService(t *testing.T, dataDir string, env ...string) *service {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logs, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	cmd := exec.Command(exe, "serve", "--addr", "127.0.0.1:0", "--data", dataDir)
	// Run outside the source tree, so that no config.yaml is picked up.
	cmd.Dir = t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARCOURS_") && !strings.HasPrefix(kv, childEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, childEnv+"=1", "PARCOURS_DEMO_ENABLED=false")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &service{t: t, cmd: cmd, logs: logs.Name(), exited: make(chan struct{})}
	addrs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "serving on http://"); ok {
				addrs <- strings.TrimSuffix(rest, "/")
			}
		}
		io.Copy(io.Discard, stdout)
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
	})
	select {
	case s.addr = <-addrs:
		s.base = "http://" + s.addr
		return s
	case <-s.exited:
		t.Fatalf("serve exited before serving: %v\n%s", s.err, s.logTail())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start within 60s\n%s", s.logTail())
	}
	return nil
}

// logTail returns the end of the service's log, for failure messages.
func (s *service) logTail() string {
	data, _ := os.ReadFile(s.logs)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// kill sends SIGKILL, as a crash or the OOM killer would, and waits.
func (s *service) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
}

// stop sends SIGTERM, as an init system does, and checks that the service
// drains and exits cleanly.
func (s *service) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			s.t.Errorf("serve did not exit cleanly on SIGTERM: %v\n%s", s.err, s.logTail())
		}
	case <-time.After(30 * time.Second):
		s.t.Fatalf("serve did not stop within 30s of SIGTERM\n%s", s.logTail())
	}
}

// mint returns a token signed with the key the service generated in dataDir.
func mint(t *testing.T, dataDir string, role auth.Role, subject string) string {
	t.Helper()
	sec, err := secrets.Load(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewTokens(sec.TokenKey, "parcours", time.Hour, nil).Mint(role, subject, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call sends a JSON request and decodes a JSON response into out when the
// status is 2xx. An error means no response arrived.
func call(ctx context.Context, c *http.Client, method, url, token string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding %s %s: %w", method, url, err)
		}
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %.300s", method, url, resp.Status, data)
	}
	return resp.StatusCode, nil
}

// registerProvider registers a provider with a Qualiopi certificate valid
// for a year, so that it may publish, and returns its ID.
func registerProvider(t *testing.T, c *http.Client, base, adminToken string, n int) string {
	t.Helper()
	in := api.ProviderInput{
		SIRET: storetest.SIRET(n), Name: fmt.Sprintf("Organisme de test %d", n), NDA: "11755555575",
		Qualiopi: api.QualiopiInput{Certificate: fmt.Sprintf("Q-%d", n), Certifier: "AFNOR", ValidUntil: time.Now().AddDate(1, 0, 0).Format(time.DateOnly)},
		Commune:  "75056",
	}
	var out api.ProviderOutput
	if _, err := call(context.Background(), c, http.MethodPost, base+"/api/v1/providers", adminToken, in, &out); err != nil {
		t.Fatal(err)
	}
	return out.ID
}

func offerInput(providerID, title string) api.OfferInput {
	return api.OfferInput{
		ProviderID:    providerID,
		Certification: api.CertificationWire{Code: "RS5517", Title: "TOEIC"},
		Title:         title,
		Description:   "Préparation au TOEIC en petits groupes, avec un test blanc chaque semaine.",
		Skills:        []string{"anglais", "compréhension orale"},
		PriceCents:    120000, Hours: 30, Modality: "in_person", Commune: "69123", Status: "published",
	}
}

// writeLoad creates offers through the API from several goroutines and
// records what the service acknowledged.
type writeLoad struct {
	client     *http.Client
	base       string
	token      string // the provider's
	providerID string
	max        int64 // bound on requests of all kinds
	// mixed adds a session to one offer in four and deletes one offer in
	// five right after creating it, so that sessions and index removals
	// are written too.
	mixed bool

	sent     atomic.Int64
	inflight atomic.Int64
	ended    atomic.Bool // errors after this are expected: the service is gone

	mu       sync.Mutex
	acked    map[string]api.OfferOutput // acknowledged and never deleted
	sessions map[string][]string        // acknowledged sessions by offer
	doomed   int                        // offers created then deleted
	errs     []error
	onAck    func(n int) // called with the number of acknowledged offers, under mu
}

func (w *writeLoad) start(ctx context.Context, workers int) (wait func()) {
	w.acked, w.sessions = map[string]api.OfferOutput{}, map[string][]string{}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				if err := w.step(ctx, fmt.Sprintf("w%d-%d", i, n), n); err != nil {
					if ctx.Err() == nil && !w.ended.Load() {
						w.mu.Lock()
						w.errs = append(w.errs, err)
						w.mu.Unlock()
					}
					return
				}
			}
		})
	}
	return wg.Wait
}

var errEnough = errors.New("enough requests")

// request runs one request under the load's bound.
func (w *writeLoad) request(ctx context.Context, method, url string, in, out any) (int, error) {
	if w.sent.Add(1) > w.max {
		return 0, errEnough
	}
	w.inflight.Add(1)
	defer w.inflight.Add(-1)
	return call(ctx, w.client, method, url, w.token, in, out)
}

func (w *writeLoad) step(ctx context.Context, name string, n int) error {
	var o api.OfferOutput
	if _, err := w.request(ctx, http.MethodPost, w.base+"/api/v1/offers", offerInput(w.providerID, "Anglais "+name), &o); err != nil {
		return err
	}
	if w.mixed && n%5 == 4 {
		w.mu.Lock()
		w.doomed++
		w.mu.Unlock()
		_, err := w.request(ctx, http.MethodDelete, w.base+"/api/v1/offers/"+o.ID, nil, nil)
		return err
	}
	w.mu.Lock()
	w.acked[o.ID] = o
	if w.onAck != nil {
		w.onAck(len(w.acked))
	}
	w.mu.Unlock()
	if w.mixed && n%4 == 1 {
		var ss api.SessionOutput
		start := time.Now().AddDate(0, 2, n%28)
		in := api.SessionInput{Start: start.Format(time.DateOnly), End: start.AddDate(0, 0, 5).Format(time.DateOnly), Seats: 12}
		if _, err := w.request(ctx, http.MethodPost, w.base+"/api/v1/offers/"+o.ID+"/sessions", in, &ss); err != nil {
			return err
		}
		w.mu.Lock()
		w.sessions[o.ID] = append(w.sessions[o.ID], ss.ID)
		w.mu.Unlock()
	}
	return nil
}

// snapshot returns a copy of what is acknowledged so far.
func (w *writeLoad) snapshot() (map[string]api.OfferOutput, map[string][]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	offers := make(map[string]api.OfferOutput, len(w.acked))
	for k, v := range w.acked {
		offers[k] = v
	}
	sessions := make(map[string][]string, len(w.sessions))
	for k, v := range w.sessions {
		sessions[k] = append([]string(nil), v...)
	}
	return offers, sessions
}

func (w *writeLoad) failures() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.errs
}

func newClient() *http.Client {
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
}

// TestSIGKILLLosesNoAcknowledgedWrite kills the service with SIGKILL while
// offers are being created, restarts it on the same data directory and
// checks that every offer whose 201 reached the client is there, as it
// was acknowledged, and that the store is sound.
func TestSIGKILLLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the service as a child process")
	}
	dir := t.TempDir()
	svc := startService(t, dir)
	client := newClient()
	providerID := registerProvider(t, client, svc.base, mint(t, dir, auth.Admin, "crash-test"), 1)
	token := mint(t, dir, auth.Provider, providerID)

	// Bounded: at most 2,000 writes and 20 seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const killAfter = 500
	enough := make(chan struct{})
	load := &writeLoad{client: client, base: svc.base, token: token, providerID: providerID, max: 2000,
		onAck: func(n int) {
			if n == killAfter {
				close(enough)
			}
		}}
	wait := load.start(ctx, 8)
	select {
	case <-enough:
	case <-ctx.Done():
	}
	// Kill while requests are in flight, which they nearly always are
	// with eight writers, at a random point of their handling; wait a
	// little for one if none is.
	time.Sleep(time.Duration(rand.IntN(5000)) * time.Microsecond)
	for deadline := time.Now().Add(time.Second); load.inflight.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Microsecond)
	}
	inflight := load.inflight.Load()
	load.ended.Store(true)
	svc.kill()
	wait()
	cancel()
	for _, err := range load.failures() {
		t.Errorf("before the kill: %v", err)
	}
	acked, _ := load.snapshot()
	sent := load.sent.Load()
	t.Logf("killed with %d requests in flight: %d offers acknowledged, %d requests sent", inflight, len(acked), sent)
	if len(acked) == 0 {
		t.Fatalf("no write was acknowledged before the kill\n%s", svc.logTail())
	}

	svc = startService(t, dir)
	for id, want := range acked {
		var got api.OfferOutput
		if _, err := call(context.Background(), client, http.MethodGet, svc.base+"/api/v1/offers/"+id, token, nil, &got); err != nil {
			t.Errorf("acknowledged offer lost: %v", err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("offer %s after restart (-acknowledged +stored):\n%s", id, diff)
		}
	}
	svc.stop()

	offers := checkStoreFile(t, filepath.Join(dir, "parcours.db"))
	t.Logf("the store holds %d offers: %d of the requests in flight were written", len(offers), len(offers)-len(acked))
	// Requests in flight at the kill may or may not have been written;
	// nothing else may appear.
	if n := int64(len(offers)); n < int64(len(acked)) || n > sent {
		t.Errorf("the store holds %d offers; %d were acknowledged and at most %d sent", n, len(acked), sent)
	}
	for _, o := range offers {
		if o.ProviderID != providerID || !strings.HasPrefix(o.Title, "Anglais w") {
			t.Errorf("offer %s was never sent: %+v", o.ID, o)
		}
	}
}
