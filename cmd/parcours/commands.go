package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/parcours/parcours/jobs"
)

// Each area of the service wires itself from its own file, in an init
// function: its extra commands, its offline evaluations, its scheduled
// jobs. serve, jobs run and the usage text read these registries, so that
// adding an area does not edit the others' wiring.

// command is a sub-command of parcours.
type command struct {
	// Summary is the usage line, after the command's name.
	Summary string
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var (
	// commands are the top-level commands registered by areas.
	commands = map[string]command{}
	// evaluations are the offline evaluations run by `parcours eval NAME`.
	evaluations = map[string]command{}
	// jobSources add scheduled jobs to serve's scheduler and to
	// `parcours jobs run`. A source reads what it needs from the app.
	jobSources []func(a *app, log *slog.Logger) ([]jobs.Job, error)
)

func registerCommand(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("command registered twice: " + name)
	}
	commands[name] = c
}

func registerEvaluation(name string, c command) {
	if _, dup := evaluations[name]; dup {
		panic("evaluation registered twice: " + name)
	}
	evaluations[name] = c
}

func registerJobs(src func(a *app, log *slog.Logger) ([]jobs.Job, error)) {
	jobSources = append(jobSources, src)
}

func init() {
	registerCommand("eval", command{
		Summary: "run an offline evaluation: eval NAME [FLAGS], NAME one of " + evaluationNames(),
		Run:     cmdEval,
	})
}

func evaluationNames() string {
	names := make([]string, 0, len(evaluations))
	for n := range evaluations {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("eval: which evaluation? one of %s", evaluationNames())
	}
	e, ok := evaluations[args[0]]
	if !ok {
		return fmt.Errorf("eval: unknown evaluation %q, one of %s", args[0], evaluationNames())
	}
	return e.Run(ctx, args[1:], stdout, stderr)
}

// registeredUsage lists the registered commands for the usage text.
func registeredUsage() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		summary := commands[n].Summary
		if n == "eval" {
			summary = "run an offline evaluation: eval NAME [FLAGS], NAME one of " + evaluationNames()
		}
		fmt.Fprintf(&b, "  %-9s %s\n", n, summary)
	}
	return b.String()
}

// areaJobs collects the scheduled jobs every registered area adds.
func (a *app) areaJobs(log *slog.Logger) ([]jobs.Job, error) {
	var all []jobs.Job
	for _, src := range jobSources {
		js, err := src(a, log)
		if err != nil {
			return nil, err
		}
		all = append(all, js...)
	}
	return all, nil
}

func init() {
	registerCommand("jobs", command{
		Summary: "list or run scheduled jobs by hand: jobs list | jobs run NAME (embedded store: service stopped)",
		Run:     cmdJobs,
	})
}

// cmdJobs runs one of the areas' scheduled jobs once, now, as the
// scheduler would (holding the job's lease on a shared database).
func cmdJobs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "run") {
		return fmt.Errorf("jobs: say `jobs list` or `jobs run NAME`")
	}
	sub := args[0]
	var cf commonFlags
	fs := newFlagSet("jobs "+sub, stderr, &cf)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	all, err := a.areaJobs(log)
	if err != nil {
		return err
	}
	if sub == "list" {
		for _, j := range all {
			fmt.Fprintf(stdout, "%-32s %s\n", j.Name, j.Schedule)
		}
		return nil
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("jobs run: name one job (see `parcours jobs list`)")
	}
	a.progress = stderr
	for _, j := range all {
		if j.Name == fs.Arg(0) {
			return j.Run(ctx)
		}
	}
	// A name may also stand for a group of jobs: NAME-1-of-4, NAME-2-of-4...
	ran := false
	for _, j := range all {
		if strings.HasPrefix(j.Name, fs.Arg(0)+"-") {
			if err := j.Run(ctx); err != nil {
				return err
			}
			ran = true
		}
	}
	if ran {
		return nil
	}
	return fmt.Errorf("jobs run: no job named %q (see `parcours jobs list`)", fs.Arg(0))
}
