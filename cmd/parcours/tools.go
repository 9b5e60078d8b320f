package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/secrets"
	"github.com/parcours/parcours/store/bolt"
)

// cmdToken mints a bearer token with the instance's signing key: the
// operator's tool, used by tests and scripts.
func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("token", stderr, &cf)
	role := fs.String("role", "", "role: "+rolesList())
	subject := fs.String("subject", "", "subject identifier (provider ID for providers...)")
	ttl := fs.Duration("ttl", 0, "lifetime (default: auth.token_ttl)")
	acr := fs.String("acr", "", "authentication level to claim, e.g. eidas2: a learner token without one cannot move money (for tests and scripts; the sign-in time is now)")
	org := fs.String("org", "", "organisation the holder is a member of (the subject is then the member's ID)")
	orgAdmin := fs.Bool("org-admin", false, "the member administers the organisation (with --org)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	if *role == "" || *subject == "" {
		return errors.New("token needs --role and --subject")
	}
	if *ttl == 0 {
		*ttl = cfg.Auth.TokenTTL
	}
	sec, err := secrets.Load(cfg.DataDir)
	if err != nil {
		return err
	}
	p := auth.Principal{Role: auth.Role(*role), Subject: *subject, Org: *org, OrgAdmin: *orgAdmin}
	if *acr != "" {
		p.ACR, p.AuthTime = *acr, time.Now()
	}
	tok, err := auth.NewTokens(sec.TokenKey, cfg.Auth.Issuer, cfg.Auth.MaxTTL, nil).MintPrincipal(p, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

func rolesList() string {
	var names []string
	for _, r := range auth.Roles {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// cmdDemo loads the demo data set into the configured store. The set is
// deterministic, so running it twice changes nothing.
func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("demo", stderr, &cf)
	if err := fs.Parse(args); err != nil {
		return err
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
	cat, took, err := a.loadDemo(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data loaded: %d providers, %d offers, %d sessions in %s\n",
		len(cat.Providers), len(cat.Offers), len(cat.Sessions), took.Round(time.Millisecond))
	return nil
}

// cmdBackup writes a consistent copy of the embedded store to FILE. When
// the service is running it holds the file's lock, so the copy is asked
// of the service itself (POST /api/v1/admin/backup with an admin token
// minted from the instance key); otherwise the file is read directly.
func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("backup", stderr, &cf)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: parcours backup FILE")
	}
	dest := fs.Arg(0)
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	if cfg.Store.Driver != "bolt" {
		return fmt.Errorf("backup copies the embedded store; with store.driver %q use the database's own tools", cfg.Store.Driver)
	}
	via := "file"
	n, err := writeAtomically(dest, func(w io.Writer) (int64, error) {
		s, err := bolt.OpenReadOnly(filepath.Join(cfg.DataDir, cfg.Store.Bolt.File), 200*time.Millisecond)
		if errors.Is(err, bolt.ErrLocked) {
			via = "running service"
			return backupFromService(ctx, cfg.Server.Addr, cfg.DataDir, cfg.Auth.Issuer, w)
		}
		if err != nil {
			return 0, err
		}
		defer s.Close()
		return s.Backup(w)
	})
	if err != nil {
		return err
	}
	if err := bolt.Verify(dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("the backup does not verify, removed it: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s (%d bytes, from the %s)\n", dest, n, via)
	return nil
}

func backupFromService(ctx context.Context, addr, dataDir, issuer string, w io.Writer) (int64, error) {
	sec, err := secrets.Load(dataDir)
	if err != nil {
		return 0, err
	}
	tok, err := auth.NewTokens(sec.TokenKey, issuer, time.Hour, nil).Mint(auth.Admin, "backup", 10*time.Minute)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/api/v1/admin/backup", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("the store is locked by a running service, and asking it for a backup failed: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return 0, fmt.Errorf("the service refused the backup: %s: %s", resp.Status, body)
	}
	return io.Copy(w, resp.Body)
}

// writeAtomically writes a file through a temporary sibling, synced and
// renamed into place, so that dest is either the old file or the whole new one.
func writeAtomically(dest string, write func(io.Writer) (int64, error)) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		return n, err
	}
	// The rename itself must reach the disk before we say it is done.
	dir, err := os.Open(filepath.Dir(dest))
	if err != nil {
		return n, err
	}
	defer dir.Close()
	return n, dir.Sync()
}

// cmdRestore replaces the embedded store with a backup. The service must be
// stopped: a running service holds the file's lock and restore refuses.
func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("restore", stderr, &cf)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: parcours restore FILE")
	}
	src := fs.Arg(0)
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	if cfg.Store.Driver != "bolt" {
		return fmt.Errorf("restore replaces the embedded store; with store.driver %q use the database's own tools", cfg.Store.Driver)
	}
	if err := bolt.Verify(src); err != nil {
		return fmt.Errorf("%s is not a valid Parcours store: %w", src, err)
	}
	target := filepath.Join(cfg.DataDir, cfg.Store.Bolt.File)
	// Hold the target's lock while replacing it, so a service cannot start
	// on a half-restored file, and so a running service makes restore refuse.
	cur, err := bolt.Open(target, 200*time.Millisecond)
	if errors.Is(err, bolt.ErrLocked) {
		return errors.New("the store is in use: stop the service before restoring")
	}
	if err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		cur.Close()
		return err
	}
	defer in.Close()
	n, err := writeAtomically(target, func(w io.Writer) (int64, error) { return io.Copy(w, in) })
	cur.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s (%d bytes)\n", src, target, n)
	return nil
}
