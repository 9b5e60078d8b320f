package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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
	_, err := s.cron.AddJob(j.Schedule, cron.NewChain(cron.SkipIfStillRunning(cron.DiscardLogger)).Then(cron.FuncJob(func() { s.RunNow(j.Name) })))
	if err != nil {
		return fmt.Errorf("job %q: schedule %q: %w", j.Name, j.Schedule, err)
	}
	s.jobs[j.Name] = j
	return nil
}

// RunNow runs a job at once, in the caller's goroutine, and returns its error.
func (s *Scheduler) RunNow(name string) error {
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
		return j.Run(s.ctx)
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
}
