package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"
)

// Job is one scheduled task.
type Job struct {
	Name     string
	Schedule string // standard 5-field cron expression, or a descriptor such as "@daily"
	Run      func(ctx context.Context) error
}

// Scheduler runs jobs on their schedules. It is safe for concurrent use.
type Scheduler struct {
	cron   *cron.Cron
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	jobs   map[string]Job
	runs   *prometheus.CounterVec
	locker Locker
	// waiting counts the goroutines watching a tick another replica holds.
	waiting sync.WaitGroup
}

// Locker makes each tick of a job run once across the replicas of the
// service. Without one (the embedded store, a single process), every
// tick runs here.
type Locker interface {
	// Lock asks for the run of job's tick. It returns a lease when this
	// process is to run it; nil and wait true when another process holds a
	// live lease on it (ask again later: it may die); nil and false when
	// the tick is done.
	Lock(ctx context.Context, job string, tick time.Time) (lease Lease, wait bool, err error)
	// TTL is how long a lease lives without renewal.
	TTL() time.Duration
}

// Lease is a held run of one tick.
type Lease interface {
	// Token is the fencing token: it grows with every process that takes
	// the run over, so a write stamped with a smaller one comes from a
	// holder presumed dead.
	Token() int64
	// Renew extends the lease; an error means it was lost.
	Renew(ctx context.Context) error
	// Done marks the tick run.
	Done(ctx context.Context) error
}

type tokenKey struct{}

// FencingToken returns the token of the lease a job runs under (0 without
// a Locker). Jobs pass it along with writes where a stale holder must not
// overwrite its successor's work.
func FencingToken(ctx context.Context) int64 {
	n, _ := ctx.Value(tokenKey{}).(int64)
	return n
}

// SetLocker makes runs on schedule go through l. Call it before Start.
func (s *Scheduler) SetLocker(l Locker) {
	s.mu.Lock()
	s.locker = l
	s.mu.Unlock()
}

// runTick runs job name's tick through the locker: it runs it under a
// renewed lease, or waits while another process holds it and takes it
// over if that process stops renewing.
func (s *Scheduler) runTick(name string, tick time.Time) {
	s.mu.Lock()
	l := s.locker
	s.mu.Unlock()
	if l == nil {
		s.RunNow(name)
		return
	}
	for {
		lease, wait, err := l.Lock(s.ctx, name, tick)
		switch {
		case err != nil:
			if s.ctx.Err() == nil {
				s.log.Error("job lease", "job", name, "err", err)
			}
			return
		case lease != nil:
			s.runLeased(name, l.TTL(), lease)
			return
		case !wait:
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(l.TTL() / 3):
		}
	}
}

// scheduledTick is a tick fired by the schedule. When another replica
// holds the tick, watching it for a takeover goes on in the background, so
// that this replica's next ticks are not skipped meanwhile (if the holder
// was killed, every survivor would otherwise sit out its lease).
func (s *Scheduler) scheduledTick(name string, tick time.Time) {
	s.mu.Lock()
	l := s.locker
	s.mu.Unlock()
	if l == nil {
		s.RunNow(name)
		return
	}
	lease, wait, err := l.Lock(s.ctx, name, tick)
	switch {
	case err != nil:
		if s.ctx.Err() == nil {
			s.log.Error("job lease", "job", name, "err", err)
		}
	case lease != nil:
		s.runLeased(name, l.TTL(), lease)
	case wait:
		s.waiting.Add(1)
		go func() {
			defer s.waiting.Done()
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(l.TTL() / 3):
			}
			s.runTick(name, tick)
		}()
	}
}

func (s *Scheduler) runLeased(name string, ttl time.Duration, lease Lease) {
	ctx, cancel := context.WithCancel(context.WithValue(s.ctx, tokenKey{}, lease.Token()))
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := lease.Renew(ctx); err != nil {
					if ctx.Err() == nil {
						s.log.Error("job lease lost", "job", name, "err", err)
						cancel()
					}
					return
				}
			}
		}
	}()
	err := s.run(ctx, name)
	cancel()
	<-renewed
	if err == nil {
		// A run that finished is recorded even while Stop cancels the
		// jobs' context, or another replica would run the tick again.
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(s.ctx), 10*time.Second)
		defer dcancel()
		if err := lease.Done(dctx); err != nil {
			s.log.Error("job lease", "job", name, "err", err)
		}
	}
}

// New returns a scheduler; reg may be nil.
func New(log *slog.Logger, reg prometheus.Registerer) *Scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		cron: cron.New(cron.WithLocation(time.UTC)), log: log, ctx: ctx, cancel: cancel, jobs: map[string]Job{},
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parcours_job_runs_total", Help: "Scheduled job runs by job and outcome.",
		}, []string{"job", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(s.runs)
	}
	return s
}

// Add schedules a job. Runs of the same job are skipped while one is still
// going on.
func (s *Scheduler) Add(j Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[j.Name]; dup {
		return fmt.Errorf("job %q is already scheduled", j.Name)
	}
	// A tick is named by its scheduled time, not by when this process
	// woke up for it: replicas agree on it however late each one fires.
	var id atomic.Int64
	id.Store(-1)
	entry, err := s.cron.AddJob(j.Schedule, cron.NewChain(cron.SkipIfStillRunning(cron.DiscardLogger)).Then(cron.FuncJob(func() {
		tick := time.Now()
		if e := id.Load(); e >= 0 {
			if prev := s.cron.Entry(cron.EntryID(e)).Prev; !prev.IsZero() {
				tick = prev
			}
		}
		s.scheduledTick(j.Name, tick)
	})))
	if err != nil {
		return fmt.Errorf("job %q: schedule %q: %w", j.Name, j.Schedule, err)
	}
	id.Store(int64(entry))
	s.jobs[j.Name] = j
	return nil
}

// RunNow runs a job at once, in the caller's goroutine, and returns its
// error. It takes no lease.
func (s *Scheduler) RunNow(name string) error { return s.run(s.ctx, name) }

func (s *Scheduler) run(ctx context.Context, name string) error {
	s.mu.Lock()
	j, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("no job %q", name)
	}
	start := time.Now()
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("panic: %v", v)
			}
		}()
		return j.Run(ctx)
	}()
	if err != nil {
		s.runs.WithLabelValues(name, "error").Inc()
		s.log.Error("job failed", "job", name, "duration", time.Since(start), "err", err)
		return err
	}
	s.runs.WithLabelValues(name, "ok").Inc()
	s.log.Info("job done", "job", name, "duration", time.Since(start))
	return nil
}

// Start begins running jobs on their schedules.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop cancels the jobs' context and waits for running jobs to return.
func (s *Scheduler) Stop() {
	s.cancel()
	<-s.cron.Stop().Done()
	s.waiting.Wait()
}

// RunTick runs job name's tick as the schedule would, through the
// scheduler's Locker: for tests of several replicas.
func RunTick(s *Scheduler, name string, tick time.Time) { s.runTick(name, tick) }
