package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parcours/parcours/profiles"
)

// The platform's signing key (training attestations, status lists) is
// kept in the store and rotated like issuers' keys: `parcours
// platform-keys rotate` does what POST /api/v1/admin/platform-keys does,
// for an operator with access to the server.
func init() {
	registerCommand("platform-keys", command{
		Summary: "list or rotate the platform's signing keys: platform-keys list | platform-keys rotate (embedded store: service stopped)",
		Run:     cmdPlatformKeys,
	})
}

func cmdPlatformKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		return errors.New("platform-keys: say `platform-keys list` or `platform-keys rotate`")
	}
	sub := args[0]
	var cf commonFlags
	fs := newFlagSet("platform-keys "+sub, stderr, &cf)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("platform-keys %s: unexpected argument %q", sub, fs.Arg(0))
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.close()
	if a.profiles == nil {
		return errors.New("platform-keys: career profiles are not configured")
	}
	var keys profiles.Issuer
	if sub == "rotate" {
		keys, err = a.profiles.RotatePlatformKey(ctx)
	} else {
		keys, err = a.profiles.Notary().PlatformKeys(ctx)
	}
	if err != nil {
		return err
	}
	printPlatformKeys(stdout, a.profiles.Notary().PlatformDID(), keys)
	return nil
}

// printPlatformKeys writes one line per key, oldest first: its
// verification method and its window of service.
func printPlatformKeys(w io.Writer, did string, keys profiles.Issuer) {
	stamp := func(t time.Time, zero string) string {
		if t.IsZero() {
			return zero
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys.Keys {
		state := "in service"
		if !k.Retired.IsZero() {
			state = "retired"
		}
		fmt.Fprintf(w, "%s#%s  from %s  until %s  (%s)\n", did, k.ID, stamp(k.Created, "the start"), stamp(k.Retired, "now"), state)
	}
}
