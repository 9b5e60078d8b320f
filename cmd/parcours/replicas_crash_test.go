package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/secrets"
	"github.com/parcours/parcours/store/mongo"
	"github.com/parcours/parcours/store/mongo/mongotest"
)

// replicaDataDirs returns n data directories holding the same secrets,
// as replicas of one deployment do (the keys are mounted into each), and
// those secrets.
func replicaDataDirs(t *testing.T, n int) ([]string, *secrets.Secrets) {
	t.Helper()
	first := t.TempDir()
	sec, err := secrets.Load(first)
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{first}
	files, err := os.ReadDir(filepath.Join(first, secrets.Dir))
	if err != nil {
		t.Fatal(err)
	}
	for range n - 1 {
		d := t.TempDir()
		if err := os.MkdirAll(filepath.Join(d, secrets.Dir), 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(first, secrets.Dir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, secrets.Dir, f.Name()), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, d)
	}
	return dirs, sec
}

// testNIR returns the i-th of a series of valid, fictitious NIRs.
func testNIR(i int) string {
	body := fmt.Sprintf("1850375123%03d", i)
	var n int64
	fmt.Sscan(body, &n)
	return fmt.Sprintf("%s%02d", body, 97-n%97)
}

// moneyRequest is one money-moving HTTP request of the stream, sent again
// unchanged (same Idempotency-Key) when retried.
type moneyRequest struct {
	path, token, key, body string
	dossier                string
	payout                 bool // an evaluation paying the provider; else an acceptance (a hold)

	// The first attempt: acked when a 2xx came back, with its body.
	acked   bool
	status  int
	reply   []byte
	failure string // why the first attempt got no answer (the kill), if it did not
}

// send posts r once to base.
func (r *moneyRequest) send(ctx context.Context, c *http.Client, base string) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+r.path, strings.NewReader(r.body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set(api.IdempotencyHeader, r.key)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, resp.Header, err
}

// TestReplicaKilledMidMoneyStream runs two `parcours serve` processes on
// one database (an embedded FerretDB in this test process) and sends them
// a stream of acceptances (holds on the learners' accounts) and
// evaluations (payouts to the provider) over HTTP from several clients.
// Mid-stream one replica is SIGKILLed with requests in flight; it is
// restarted on the same data directory, the stream goes on, and recovery
// finishes or undoes what the kill interrupted. Then:
//   - every acknowledged request is in the store, applied once: sent again
//     with its Idempotency-Key it gets the same response, replayed, and
//     moves no money;
//   - the requests the kill left unanswered, sent again with their keys,
//     all succeed, after which every balance is exactly what the stream
//     asked for (a request applied twice or lost would show);
//   - the ledger audits: each account's balance is the sum of its entries,
//     no balance is negative, and the money credited equals what the
//     learners hold plus what is held for trainings plus what was paid out.
func TestReplicaKilledMidMoneyStream(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two services")
	}
	srv, err := mongotest.Start()
	if err != nil {
		t.Fatal(err)
	}
	db := srv.NewDatabase()
	ctx := context.Background()
	dirs, sec := replicaDataDirs(t, 2)

	// The fixtures are written in this process, through the services over
	// the same database, with a clock moved back to reach trainings that
	// are over: each learner has dossiers awaiting their acceptance (a
	// session ahead) and dossiers awaiting their evaluation (a training
	// finished four days ago).
	store, err := mongo.New(ctx, srv.Client(), mongo.Config{Database: db, OpTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var shift atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	at := func(days int) { shift.Store(int64(time.Duration(days) * 24 * time.Hour)) }
	cat := marketplace.NewCatalogueService(store, geo.Default(), now)
	enrol := marketplace.NewEnrolmentService(store, store, marketplace.EnrolmentConfig{
		NIRKey: sec.NIRKey, EvaluationReleaseDays: 30, Payments: marketplace.DemoPayments{}, Now: now,
	})
	admin := marketplace.Actor{Admin: true}
	prov, err := cat.CreateProvider(ctx, admin, marketplace.Provider{
		SIRET: "90123456700013", Name: "Atelier Numérique Rhône Formation", NDA: "84691234569", Commune: "69123",
		Qualiopi: marketplace.Qualiopi{Certificate: "FR061245-2", Certifier: "AFNOR Certification", ValidUntil: time.Now().AddDate(1, 0, 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	const price = 500_00
	offer, err := cat.CreateOffer(ctx, admin, marketplace.Offer{
		ProviderID: prov.ID, Certification: marketplace.Certification{Code: "RS5517", Title: "TOEIC"},
		Title: "Préparation au TOEIC", Skills: []string{"anglais"}, PriceCents: price, Hours: 30,
		Modality: marketplace.InPerson, Commune: "69123", Status: marketplace.Published,
	})
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, d) }
	ahead, err := cat.AddSession(ctx, admin, marketplace.Session{OfferID: offer.ID, Start: day(40), End: day(50), Seats: 500})
	if err != nil {
		t.Fatal(err)
	}
	past, err := cat.AddSession(ctx, admin, marketplace.Session{OfferID: offer.ID, Start: day(-20), End: day(-5), Seats: 500})
	if err != nil {
		t.Fatal(err)
	}
	const (
		credit     = 5000_00
		toAccept   = 6 // per learner
		toEvaluate = 2 // per learner
	)
	learners := 16
	if raceEnabled {
		learners = 6
	}
	provider := marketplace.Party{ProviderID: prov.ID}
	idem := func(k string) marketplace.Idem { return marketplace.Idem{Key: k, Fingerprint: k} }
	var reqs []*moneyRequest
	for i := range learners {
		at(-40)
		a, _, err := enrol.OpenAccount(ctx, marketplace.Party{Admin: true}, testNIR(i), marketplace.Account{JobSeeker: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := enrol.Credit(ctx, "credit:"+a.ID, a.ID, credit, now()); err != nil {
			t.Fatal(err)
		}
		learner := marketplace.Party{AccountID: a.ID}
		tok, err := auth.NewTokens(sec.TokenKey, "parcours", time.Hour, nil).MintAt(auth.Learner, a.ID, time.Hour, "eidas2", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for j := range toAccept + toEvaluate {
			k := fmt.Sprintf("fixture:%d:%d:", i, j)
			at(0)
			sess := ahead
			if j >= toAccept {
				at(-40)
				sess = past
			}
			d, err := enrol.Request(ctx, learner, idem(k+"request"), offer.ID, sess.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d, err = enrol.Propose(ctx, provider, idem(k+"propose"), d.ID, 0, ""); err != nil {
				t.Fatal(err)
			}
			r := &moneyRequest{token: tok, key: fmt.Sprintf("stream-%d-%d", i, j), dossier: d.ID}
			if j < toAccept {
				r.path, r.body = "/api/v1/dossiers/"+d.ID+"/acceptance", `{"accept_remainder":false}`
				reqs = append(reqs, r)
				continue
			}
			if _, err = enrol.Accept(ctx, learner, idem(k+"accept"), d.ID, false); err != nil {
				t.Fatal(err)
			}
			at(-19)
			if _, err = enrol.DeclareEntry(ctx, provider, idem(k+"entry"), d.ID); err != nil {
				t.Fatal(err)
			}
			at(-4)
			if _, err = enrol.DeclareExit(ctx, provider, idem(k+"exit"), d.ID, 100, ""); err != nil {
				t.Fatal(err)
			}
			r.path, r.payout = "/api/v1/dossiers/"+d.ID+"/evaluation", true
			r.body = `{"reception":5,"content":4,"trainers":5,"resources":4,"support":5,"overall":5}`
			reqs = append(reqs, r)
		}
	}
	rand.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })

	env := []string{"PARCOURS_STORE_DRIVER=mongo", "PARCOURS_STORE_MONGO_URI=" + srv.URI, "PARCOURS_STORE_MONGO_DATABASE=" + db,
		// Operations interrupted by the kill are recovered 10 s after
		// their last attempt, by whichever replica looks first (the
		// embedded FerretDB under the race detector needs that long).
		"PARCOURS_STORE_MONGO_OP_TIMEOUT=10s", "PARCOURS_STORE_MONGO_RECOVER_AFTER=10s", "PARCOURS_LOG_LEVEL=info"}
	replicas := []*service{startService(t, dirs[0], env...), startService(t, dirs[1], env...)}
	var (
		mu      sync.Mutex
		live    = []bool{true, true}
		flight  [2]atomic.Int64
		next    atomic.Int64
		killedN = -1 // index of the first request sent after the kill
	)
	pick := func(n int) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		i := n % 2
		if !live[i] {
			i = 1 - i
		}
		return i, replicas[i].base
	}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	acked := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, r := range reqs {
			if r.acked {
				n++
			}
		}
		return n
	}
	var wg sync.WaitGroup
	stream := func() {
		for range 6 {
			wg.Go(func() {
				for {
					n := int(next.Add(1)) - 1
					if n >= len(reqs) {
						return
					}
					r := reqs[n]
					i, base := pick(n)
					flight[i].Add(1)
					status, body, _, err := r.send(ctx, client, base)
					flight[i].Add(-1)
					mu.Lock()
					switch {
					case err != nil:
						r.failure = err.Error()
					case status/100 == 2:
						r.acked, r.status, r.reply = true, status, body
					case status >= 500:
						r.failure = fmt.Sprintf("%d %s", status, body)
					default:
						t.Errorf("%s: %d %s", r.path, status, body)
					}
					mu.Unlock()
				}
			})
		}
	}
	stream()
	for deadline := time.Now().Add(2 * time.Minute); acked() < len(reqs)/3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	// Kill replica 0 while it is handling requests.
	for deadline := time.Now().Add(10 * time.Second); flight[0].Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Microsecond)
	}
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	inflight := flight[0].Load()
	mu.Lock()
	live[0] = false
	killedN = int(next.Load())
	mu.Unlock()
	replicas[0].kill()
	firstLife := replicas[0]
	journal := srv.Client().Database(db).Collection("journal")
	// Operations the kill interrupted are left pending; those of the
	// other replica finish within moments.
	killedAt := time.Now()
	time.Sleep(2 * time.Second)
	pendingAtKill, err := journal.CountDocuments(ctx, bson.M{"st": "pending",
		"at": bson.M{"$lt": killedAt.UTC().Format("2006-01-02T15:04:05.000000000Z")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("replica 0 killed with %d requests in flight, %d operations pending, %d of %d requests acknowledged", inflight, pendingAtKill, acked(), len(reqs))
	if killedN >= len(reqs) {
		t.Fatal("the stream was over before the kill: make it longer")
	}

	// Restart it on the same data directory; it takes its share again.
	replicas[0] = startService(t, dirs[0], env...)
	mu.Lock()
	live[0] = true
	mu.Unlock()
	wg.Wait()

	// Recovery: no operation is left half applied.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		n, err := journal.CountDocuments(ctx, bson.M{"st": "pending"})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d operations still pending after recovery", n)
		}
	}

	var unanswered []*moneyRequest
	for _, r := range reqs {
		if !r.acked {
			unanswered = append(unanswered, r)
		}
	}
	t.Logf("%d requests acknowledged, %d unanswered (killed in flight, or sent to the dead replica)", len(reqs)-len(unanswered), len(unanswered))
	if len(unanswered) == 0 {
		t.Log("the kill interrupted no request")
	}

	// Each acknowledged request is there, once.
	audit := func() map[marketplace.LedgerAccount]int64 {
		t.Helper()
		bal, sums, err := store.AuditLedger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for a, b := range bal {
			total += b
			if b != sums[a] {
				t.Errorf("%s: balance %d, its entries sum to %d", a, b, sums[a])
			}
			if b < 0 && !a.IsSource() {
				t.Errorf("%s is negative: %d", a, b)
			}
		}
		if total != 0 {
			t.Errorf("the balances sum to %d: money was created or destroyed", total)
		}
		return bal
	}
	before := audit()
	for _, r := range reqs {
		if !r.acked {
			continue
		}
		held := before[marketplace.HoldAccount(r.dossier)]
		if r.payout && held != 0 || !r.payout && held != price {
			t.Errorf("acknowledged %s: %d cents held for the dossier", r.path, held)
		}
	}
	// Sent again, an acknowledged request is replayed and moves nothing.
	for n, r := range reqs {
		if !r.acked {
			continue
		}
		status, body, h, err := r.send(ctx, client, replicas[n%2].base)
		if err != nil || status != r.status || string(body) != string(r.reply) || h.Get("Idempotent-Replayed") != "true" {
			t.Errorf("acknowledged %s sent again: %d %v %s, replayed %q; first answer %d %s", r.path, status, err, body, h.Get("Idempotent-Replayed"), r.status, r.reply)
		}
	}
	if after := audit(); !maps.Equal(before, after) {
		t.Errorf("sending acknowledged requests again moved money")
	}
	// The unanswered ones, sent again, all go through (or are found done).
	for n, r := range unanswered {
		status, body, _, err := r.send(ctx, client, replicas[n%2].base)
		if err != nil || status/100 != 2 {
			t.Errorf("unanswered %s (%s) sent again: %d %v %s", r.path, r.failure, status, err, body)
		}
	}

	// Now every request of the stream is applied exactly once.
	final := audit()
	payouts := int64(0)
	for _, r := range reqs {
		if r.payout {
			payouts += price
		}
	}
	var learnerSum, heldSum int64
	for a, b := range final {
		switch {
		case a.Kind() == marketplace.LearnerAccount("").Kind():
			if b != credit-(toAccept+toEvaluate)*price {
				t.Errorf("%s holds %d, want %d", a, b, credit-(toAccept+toEvaluate)*price)
			}
			learnerSum += b
		case a.Kind() == marketplace.HoldAccount("").Kind():
			heldSum += b
		}
	}
	provBal := final[marketplace.ProviderAccount(prov.ID)]
	credited := marketplace.RightsIssued(final)
	if credited != int64(learners)*credit || provBal != payouts || learnerSum+heldSum+provBal != credited ||
		heldSum != int64(learners)*toAccept*price {
		t.Errorf("credited %d; learners hold %d, trainings %d, the provider was paid %d (want %d)", credited, learnerSum, heldSum, provBal, payouts)
	}
	for _, s := range replicas {
		s.stop()
	}
	if pendingAtKill > 0 {
		// Recovery finished or undid them: some replica says so.
		logs := ""
		for _, s := range append(replicas, firstLife) {
			data, _ := os.ReadFile(s.logs)
			logs += string(data)
		}
		if !strings.Contains(logs, "interrupted money operations recovered") {
			t.Errorf("%d operations were pending after the kill, and no replica logged their recovery", pendingAtKill)
		}
	}
}
