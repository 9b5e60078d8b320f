package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
)

// benchClients is the number of concurrent loopback clients.
const benchClients = 32

// BenchmarkLifecycleHTTP measures complete dossier lifecycles through the
// real HTTP stack (router, middleware, JSON, idempotency records, the
// enrolment service and the bbolt store with synced, batched writes) on a
// loopback listener, with 32 concurrent keep-alive clients. One operation
// is one lifecycle of six requests: request, proposal, acceptance (with
// the co-payment confirmed at once by the demo payment provider), entry,
// exit and evaluation, which pays the provider. The entry needs the
// session to have started, so the clock moves on between two phases: all
// clients make the first three steps of their lifecycles, then, 31 days
// later, the last three; the time of both phases counts.
func BenchmarkLifecycleHTTP(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	start := time.Now().AddDate(0, 0, 30).UTC().Truncate(24 * time.Hour)
	sess, err := e.cat.AddSession(ctx, marketplace.Actor{Admin: true}, marketplace.Session{OfferID: e.offer.ID, Start: start, End: start.AddDate(0, 1, 0), Seats: 10000})
	if err != nil {
		b.Fatal(err)
	}
	type client struct {
		learner, provider string
	}
	clients := make([]client, benchClients)
	for i := range clients {
		nir := fmt.Sprintf("1850375%06d", 900000+i)
		var r int
		for _, c := range nir {
			r = (r*10 + int(c-'0')) % 97
		}
		a, _, err := e.enrol.OpenAccount(ctx, marketplace.Party{Admin: true}, fmt.Sprintf("%s%02d", nir, 97-r), marketplace.Account{})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.enrol.Credit(ctx, "bench:"+a.ID, a.ID, 1_000_000_000_00, time.Now()); err != nil {
			b.Fatal(err)
		}
		clients[i] = client{learner: e.token(b, auth.Learner, a.ID), provider: e.token(b, auth.Provider, e.lyon.ID)}
	}
	srv := httptest.NewServer(e.srv)
	defer srv.Close()
	tr := srv.Client().Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = benchClients
	hc := &http.Client{Transport: tr}

	var (
		keys      atomic.Int64
		latMu     sync.Mutex
		latencies []time.Duration
	)
	call := func(token, path, body string) (api.DossierOutput, error) {
		hr, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		hr.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			hr.Header.Set("Content-Type", "application/json")
		}
		hr.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", keys.Add(1)))
		t0 := time.Now()
		resp, err := hc.Do(hr)
		if err != nil {
			return api.DossierOutput{}, err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		latMu.Lock()
		latencies = append(latencies, d)
		latMu.Unlock()
		if err != nil {
			return api.DossierOutput{}, err
		}
		if resp.StatusCode/100 != 2 {
			return api.DossierOutput{}, fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, data)
		}
		var out api.DossierOutput
		return out, json.Unmarshal(data, &out)
	}
	request := fmt.Sprintf(`{"offer_id":%q,"session_id":%q}`, e.offer.ID, sess.ID)
	evaluation := `{"reception":5,"content":4,"trainers":5,"resources":4,"support":5,"overall":5}`

	// phase runs steps over n lifecycles shared among the clients.
	phase := func(ids []string, step func(c client, i int) error) {
		var wg sync.WaitGroup
		var next atomic.Int64
		for w := 0; w < benchClients; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(ids) {
						return
					}
					if err := step(clients[i%benchClients], i); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	sync0 := fsyncLatency(b)
	b.ResetTimer()
	e.shift.Store(0)
	ids := make([]string, b.N)
	phase(ids, func(c client, i int) error {
		d, err := call(c.learner, "/api/v1/dossiers", request)
		if err != nil {
			return err
		}
		ids[i] = d.ID
		if _, err := call(c.provider, "/api/v1/dossiers/"+d.ID+"/proposal", `{}`); err != nil {
			return err
		}
		d, err = call(c.learner, "/api/v1/dossiers/"+d.ID+"/acceptance", `{}`)
		if err == nil && d.Billing != "depositPaid" {
			err = fmt.Errorf("dossier %s: billing %s", d.ID, d.Billing)
		}
		return err
	})
	e.shift.Store(int64(31 * 24 * time.Hour))
	phase(ids, func(c client, i int) error {
		path := "/api/v1/dossiers/" + ids[i]
		if _, err := call(c.provider, path+"/entry", ""); err != nil {
			return err
		}
		if _, err := call(c.provider, path+"/exit", `{"completion_rate":100}`); err != nil {
			return err
		}
		d, err := call(c.learner, path+"/evaluation", evaluation)
		if err == nil && d.Billing != "paid" {
			err = fmt.Errorf("dossier %s: billing %s", d.ID, d.Billing)
		}
		return err
	})
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/secs, "lifecycles/s")
	b.ReportMetric(float64(len(latencies))/secs, "req/s")
	b.ReportMetric(float64(sync0.Microseconds()), "fsync-µs")
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if n := len(latencies); n > 0 {
		b.ReportMetric(float64(latencies[n/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(latencies[n*99/100].Microseconds()), "p99-µs")
	}
	// The money is where it should be: every lifecycle paid the provider.
	bal, _ := e.store.Balances(ctx, marketplace.ProviderAccount(e.lyon.ID))
	if got, want := bal[marketplace.ProviderAccount(e.lyon.ID)], int64(b.N)*e.offer.PriceCents; got != want {
		b.Errorf("provider paid %d, want %d", got, want)
	}
}

// fsyncLatency is the median time to write and sync one 4 KiB page in the
// benchmark's temporary directory: every store commit waits for two such
// syncs, so it tells how fast the disk was during the run.
func fsyncLatency(b *testing.B) time.Duration {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	var ds []time.Duration
	for i := 0; i < 50; i++ {
		t0 := time.Now()
		if _, err := f.WriteAt(page, int64(i%8)*4096); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}
