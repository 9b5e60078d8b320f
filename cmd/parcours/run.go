package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/parcours/parcours/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Parcours: a fair training marketplace and career service.

Usage: parcours [COMMAND] [FLAGS]

Commands:
  serve     run the service (the default command)
  demo      load the demo data set into the configured store
  ingest    import open-data files: ingest KIND FILE... (service stopped), KIND one of
            catalogue (CPF catalogue extract), rncp (RNCP/RS export tables),
            rome (ROME 4.0 tables), esco (ESCO v1.2 CSV tables),
            outcomes (return to employment after training), bmo (hiring survey),
            employment (employment declarations, see docs/employment-declarations.md:
            opens accounts and credits past years' rights)
  token     mint a bearer token: token --role ROLE --subject ID [--ttl 1h]
  backup    write a consistent copy of the embedded store: backup FILE
  restore   replace the embedded store with a backup: restore FILE (service stopped)
  version   print the version
%s
Common flags:
  --config FILE   configuration file (default: config.yaml when present; env PARCOURS_CONFIG)
  --addr H:P      listen address (server.addr; env PARCOURS_SERVER_ADDR)
  --data DIR      data directory (data_dir; env PARCOURS_DATA_DIR)

Every setting of config.yaml can be overridden by an environment variable
named PARCOURS_ followed by its path in upper case, e.g. PARCOURS_DEMO_ENABLED.
`

// run is the whole program: it parses args, runs one command and returns
// when the command is done or ctx is cancelled.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, args, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args, stdout, stderr)
	case "ingest":
		return cmdIngest(ctx, args, stdout, stderr)
	case "token":
		return cmdToken(ctx, args, stdout, stderr)
	case "backup":
		return cmdBackup(ctx, args, stdout, stderr)
	case "restore":
		return cmdRestore(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "parcours", versionString())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintf(stdout, usage, registeredUsage())
		return nil
	}
	if c, ok := commands[cmd]; ok {
		return c.Run(ctx, args, stdout, stderr)
	}
	fmt.Fprintf(stderr, usage, registeredUsage())
	return fmt.Errorf("unknown command %q", cmd)
}

func versionString() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + info.GoVersion
	}
	return v
}

// commonFlags are the flags every command that reads the configuration takes.
type commonFlags struct {
	config, addr, data string
}

func newFlagSet(name string, stderr io.Writer, cf *commonFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cf.config, "config", "", "configuration file")
	fs.StringVar(&cf.addr, "addr", "", "listen address HOST:PORT")
	fs.StringVar(&cf.data, "data", "", "data directory")
	return fs
}

// loadConfig reads the configuration: defaults, then the file, then the
// environment, then flags.
func loadConfig(cf commonFlags) (config.Config, error) {
	path := cf.config
	if path == "" {
		path = os.Getenv("PARCOURS_CONFIG")
	}
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		} else if !errors.Is(err, fs.ErrNotExist) {
			return config.Config{}, err
		}
	}
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		return cfg, err
	}
	if cf.addr != "" {
		cfg.Server.Addr = cf.addr
	}
	if cf.data != "" {
		cfg.DataDir = cf.data
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
