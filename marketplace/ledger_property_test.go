package marketplace_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/parcours/parcours/marketplace"
)

// TestMoneyIsNeitherCreatedNorDestroyed runs random batches of concurrent
// credits, top-up fundings, enrolments, cancellations, evaluations,
// deadline runs and retries, and checks after each batch that the ledger
// balances (all balances sum to zero, so accounts, holds, budgets and
// provider payouts hold exactly what the sources put in), that no balance
// is negative, that every entry agrees with the balances, that finished
// dossiers hold nothing, and that replaying operations under their
// idempotency keys changes nothing.
//
// Each run makes up to about 200 operations; -rapid.checks sets the number
// of runs (rapid's default, 100, makes some 5,000 operations).
func TestMoneyIsNeitherCreatedNorDestroyed(t *testing.T) {
	moneyProperty(t, openBolt, 0)
}

// TestMoneyOnMongo runs the same property on the MongoDB backend (the
// test server: embedded FerretDB), whose Apply has no transaction to lean
// on. Its first 12 runs check the property; later ones return at once, as
// FerretDB under the race detector is some 50 times slower than bbolt.
func TestMoneyOnMongo(t *testing.T) {
	moneyProperty(t, openMongo, 12)
}

// moneyProperty checks the property on stores open makes; maxRuns > 0
// bounds the runs that do work.
func moneyProperty(t *testing.T, open func(testing.TB) testStore, maxRuns int) {
	runs := 0
	start := day(2026, 6, 1)
	phases := []time.Time{parisNoon(2026, 4, 15), parisNoon(2026, 6, 2), parisNoon(2026, 7, 20)}
	ops := 0
	{
		rapid.Check(t, func(rt *rapid.T) {
			if maxRuns > 0 && runs >= maxRuns {
				return
			}
			runs++
			e := newEnvOn(t, open(t), phases[0], start)
			ctx := context.Background()
			admin := marketplace.Party{Admin: true}
			funder := marketplace.Party{FunderID: "region"}
			rule, err := e.svc.CreateRule(ctx, funder, marketplace.TopUpRule{Name: "Région", FunderKind: marketplace.FunderRegion, Percent: 50, CapCents: 700_00})
			if err != nil {
				rt.Fatal(err)
			}
			var learners []marketplace.Party
			for j := 0; j < 4; j++ {
				learners = append(learners, e.learner(0, marketplace.Account{JobSeeker: j%2 == 0}))
			}
			var (
				mu       sync.Mutex
				dossiers []string
				replays  []func()
				credited int64
				funded   int64
				// unsure holds credits and fundings that failed without a
				// refusal: their outcome is unknown until the store's
				// recovery settles them and the client retries.
				unsure []func()
			)
			pickDossier := func(t *rapid.T) string {
				mu.Lock()
				defer mu.Unlock()
				if len(dossiers) == 0 {
					return "none"
				}
				return dossiers[rapid.IntRange(0, len(dossiers)-1).Draw(t, "dossier")]
			}
			// record keeps an operation for replay under the same key.
			record := func(f func()) {
				mu.Lock()
				replays = append(replays, f)
				mu.Unlock()
			}
			batches := rapid.IntRange(3, 8).Draw(rt, "batches")
			for b := 0; b < batches; b++ {
				e.clock.set(phases[rapid.IntRange(0, len(phases)-1).Draw(rt, "phase")])
				n := rapid.IntRange(1, 24).Draw(rt, "ops")
				var work []func()
				for k := 0; k < n; k++ {
					l := learners[rapid.IntRange(0, len(learners)-1).Draw(rt, "learner")]
					id := pickDossier(rt)
					idem := key()
					switch rapid.IntRange(0, 10).Draw(rt, "op") {
					case 0:
						cents := rapid.Int64Range(1, 3000_00).Draw(rt, "credit")
						var f func()
						f = func() {
							err := e.svc.Credit(ctx, idem.Key, l.AccountID, cents, e.clock.now())
							mu.Lock()
							defer mu.Unlock()
							switch {
							case err == nil:
								credited += cents
							case !marketplace.Refused(err):
								unsure = append(unsure, f)
							}
						}
						work = append(work, func() {
							f()
							record(func() { e.svc.Credit(ctx, idem.Key, l.AccountID, cents, e.clock.now()) })
						})
					case 1:
						cents := rapid.Int64Range(1, 2000_00).Draw(rt, "fund")
						var f func()
						f = func() {
							_, err := e.svc.FundBudget(ctx, funder, idem, rule.ID, cents)
							mu.Lock()
							defer mu.Unlock()
							switch {
							case err == nil:
								funded += cents
							case !marketplace.Refused(err):
								unsure = append(unsure, f)
							}
						}
						work = append(work, func() {
							f()
							record(func() { e.svc.FundBudget(ctx, funder, idem, rule.ID, cents) })
						})
					case 2:
						work = append(work, func() {
							if d, err := e.svc.Request(ctx, l, idem, e.offer.ID, e.session.ID); err == nil {
								mu.Lock()
								dossiers = append(dossiers, d.ID)
								mu.Unlock()
							}
						})
					case 3:
						f := func() error { _, err := e.svc.Propose(ctx, e.provider(), idem, id, 0, ""); return err }
						work = append(work, once(f, record))
					case 4, 5:
						remainder := rapid.Bool().Draw(rt, "remainder")
						f := func() error { _, err := e.svc.Accept(ctx, e.owner(id), idem, id, remainder); return err }
						work = append(work, once(f, record))
					case 6:
						who := []marketplace.Party{e.owner(id), e.provider(), admin}[rapid.IntRange(0, 2).Draw(rt, "canceller")]
						reason := []string{"", "force_majeure"}[rapid.IntRange(0, 1).Draw(rt, "reason")]
						f := func() error { _, err := e.svc.Cancel(ctx, who, idem, id, reason); return err }
						work = append(work, once(f, record))
					case 7:
						f := func() error { _, err := e.svc.DeclareEntry(ctx, e.provider(), idem, id); return err }
						work = append(work, once(f, record))
					case 8:
						rate := rapid.IntRange(0, 100).Draw(rt, "rate")
						reason := marketplace.ExitReason("")
						if rate < 100 {
							reason = marketplace.Interruption
						}
						f := func() error { _, err := e.svc.DeclareExit(ctx, e.provider(), idem, id, rate, reason); return err }
						work = append(work, once(f, record))
					case 9:
						f := func() error {
							_, err := e.svc.Evaluate(ctx, e.owner(id), idem, id, marketplace.Evaluation{Scores: [6]int{5, 5, 4, 4, 3, 5}})
							return err
						}
						work = append(work, once(f, record))
					case 10:
						work = append(work, func() { e.svc.EnforceDeadlines(ctx) })
					}
				}
				run(work)
				ops += len(work)
				// A store without transactions may leave an operation that
				// failed mid-way pending (MongoDB under load): its recovery
				// pass finishes or undoes it, as the service runs it, and the
				// clients retry what they were not told the outcome of.
				if r, ok := e.store.(recoverer); ok {
					if _, err := r.Recover(ctx, 0); err != nil {
						rt.Fatal(err)
					}
				}
				for retries := 0; len(unsure) > 0; retries++ {
					if retries == 5 {
						rt.Fatalf("%d credits or fundings still fail after retries", len(unsure))
					}
					again := unsure
					unsure = nil
					run(again)
				}
				e.checkMoney(rt, credited, funded, dossiers)

				// Replays of earlier operations under their keys move nothing.
				if len(replays) > 0 {
					before := e.allBalances(rt)
					var again []func()
					for k := rapid.IntRange(1, min(8, len(replays))).Draw(rt, "replays"); k > 0; k-- {
						again = append(again, replays[rapid.IntRange(0, len(replays)-1).Draw(rt, "replay")])
					}
					run(again)
					after := e.allBalances(rt)
					if fmt.Sprint(before) != fmt.Sprint(after) {
						rt.Fatalf("a replay moved money:\nbefore %v\nafter  %v", before, after)
					}
				}
			}
		})
	}
	t.Logf("%d operations in %d runs", ops, runs)
}

// recoverer is a store whose operations may be left pending by a failure
// (MongoDB); Recover finishes or undoes those older than age.
type recoverer interface {
	Recover(ctx context.Context, age time.Duration) (int, error)
}

// owner returns the learner of a dossier (a stranger if unknown).
func (e *env) owner(id string) marketplace.Party {
	d, err := e.store.Dossier(context.Background(), id)
	if err != nil {
		return marketplace.Party{AccountID: "stranger"}
	}
	return marketplace.Party{AccountID: d.AccountID}
}

// once runs f and, when it succeeds, records it for replay: a retry of a
// request that failed may succeed later, a retry of one that succeeded
// must change nothing.
func once(f func() error, record func(func())) func() {
	return func() {
		if f() == nil {
			record(func() { f() })
		}
	}
}

func run(work []func()) {
	var wg sync.WaitGroup
	for _, f := range work {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	wg.Wait()
}

func (e *env) allBalances(t *rapid.T) map[marketplace.LedgerAccount]int64 {
	bal, _, err := e.store.AuditLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return bal
}

func (e *env) checkMoney(t *rapid.T, credited, funded int64, dossiers []string) {
	ctx := context.Background()
	bal, fromEntries, err := e.store.AuditLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sum, in, held int64
	for a, b := range bal {
		sum += b
		if a.IsSource() {
			in -= b
		} else {
			held += b
			if b < 0 {
				t.Fatalf("%s is negative: %d", a, b)
			}
		}
		if fromEntries[a] != b {
			t.Fatalf("%s: balance %d but its entries sum to %d", a, b, fromEntries[a])
		}
	}
	if sum != 0 || in != held {
		t.Fatalf("money created or destroyed: balances sum to %d; sources put in %d, accounts hold %d", sum, in, held)
	}
	if got := marketplace.RightsIssued(bal); got != credited {
		t.Fatalf("rights issued %d, credits that succeeded %d", got, credited)
	}
	var fromFunders int64
	for a, b := range bal {
		if a.Kind() == "source" && !a.IsRightsSource() && a.IsSource() && len(a) > len("source:funder:") && string(a[:14]) == "source:funder:" {
			fromFunders -= b
		}
	}
	if fromFunders != funded {
		t.Fatalf("funders put in %d, fundings that succeeded %d", fromFunders, funded)
	}
	for _, id := range dossiers {
		d, err := e.store.Dossier(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		h := bal[marketplace.HoldAccount(id)]
		if (d.State.Terminal() || d.State == marketplace.ServiceDoneValidated) && h != 0 {
			t.Fatalf("dossier in %s still holds %d", d.State, h)
		}
		if h < 0 {
			t.Fatalf("hold negative")
		}
	}
}
