package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parcours/parcours/profiles/did"
	"github.com/parcours/parcours/profiles/verify"
)

// The verify command checks an attestation offline, from a verification
// bundle (or a bare credential) and the verifier's own copies of the
// issuers' DID documents, of a checkpoint and of the log's key.

func init() {
	registerCommand("verify", command{
		Summary: "check an attestation offline: verify FILE [--issuers DIR] [--checkpoint FILE [--consistency FILE]] [--log-key KEY] [--at TIME] [--json]",
		Run:     cmdVerify,
	})
}

func cmdVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("verify", flag.ContinueOnError)
	fset.SetOutput(stderr)
	issuers := fset.String("issuers", "", "directory of DID documents (did.json files) obtained independently; they replace the bundle's")
	checkpoint := fset.String("checkpoint", "", "signed checkpoint file obtained independently (a witness's, or one kept from earlier)")
	consistency := fset.String("consistency", "", "the log's consistency proof (JSON from GET /api/v1/transparency-log/consistency-proof) between the bundle's checkpoint and --checkpoint")
	logKey := fset.String("log-key", "", "the log's verifier key (name+id+key), obtained independently")
	at := fset.String("at", "", "check validity periods at this RFC 3339 time instead of now")
	asJSON := fset.Bool("json", false, "print the report as JSON")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: parcours verify FILE [--issuers DIR] [--checkpoint FILE [--consistency FILE]] [--log-key KEY] [--at TIME] [--json]")
		fmt.Fprintln(stderr, "FILE is a verification bundle or a signed credential (JSON). Exit status 1 if any check fails.")
		fset.PrintDefaults()
	}
	// Flags may come before or after the file name.
	var files []string
	for {
		if err := fset.Parse(args); err != nil {
			return err
		}
		if fset.NArg() == 0 {
			break
		}
		files = append(files, fset.Arg(0))
		args = fset.Args()[1:]
	}
	if len(files) != 1 {
		fset.Usage()
		return errors.New("verify: name one file")
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	b, err := verify.ParseBundle(data)
	if err != nil {
		return err
	}
	opts := verify.Options{LogKey: strings.TrimSpace(*logKey)}
	if *at != "" {
		if opts.Now, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("verify: --at %q is not an RFC 3339 time", *at)
		}
	}
	if *issuers != "" {
		if opts.Issuers, err = readDIDDocuments(*issuers); err != nil {
			return err
		}
	}
	if *checkpoint != "" {
		if opts.Checkpoint, err = os.ReadFile(*checkpoint); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
	}
	if *consistency != "" {
		if *checkpoint == "" {
			return errors.New("verify: --consistency goes with --checkpoint")
		}
		data, err := os.ReadFile(*consistency)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		var p verify.ConsistencyProof
		if err := json.Unmarshal(data, &p); err != nil {
			return fmt.Errorf("verify: --consistency: not a consistency proof (JSON with from_size, to_size, proof): %w", err)
		}
		opts.Consistency = &p
	}
	rep := verify.Verify(b, opts)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(stdout, rep)
	}
	if !rep.OK {
		return fmt.Errorf("verify: %s does not verify (%d check(s) failed)", files[0], len(rep.Failed()))
	}
	return nil
}

// readDIDDocuments reads every .json file under dir (a mirror such as
// issuers/SIRET/did.json and .well-known/did.json, or flat files) as a
// DID document.
func readDIDDocuments(dir string) ([]*did.Document, error) {
	var docs []*did.Document
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := did.Parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		docs = append(docs, doc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: --issuers: %w", err)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("verify: --issuers: no .json DID document in %s", dir)
	}
	return docs, nil
}

func printReport(w io.Writer, rep *verify.Report) {
	if rep.CredentialID != "" || rep.Issuer != "" {
		fmt.Fprintf(w, "Credential %s\n  issuer  %s\n", orDash(rep.CredentialID), orDash(rep.Issuer))
		if rep.Subject != "" {
			fmt.Fprintf(w, "  subject %s\n", rep.Subject)
		}
		fmt.Fprintln(w)
	}
	for _, c := range rep.Checks {
		mark := map[string]string{verify.Pass: "ok  ", verify.Fail: "FAIL", verify.Skipped: "skip"}[c.Status]
		code := ""
		if c.Code != "" {
			code = " [" + c.Code + "]"
		}
		fmt.Fprintf(w, "%s  %-21s%s %s\n", mark, c.Name, code, c.Reason)
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, warn := range rep.Warnings {
			fmt.Fprintf(w, "  - %s\n", warn)
		}
	}
	if rep.OK {
		fmt.Fprintln(w, "\nVALID: every check passed.")
	} else {
		fmt.Fprintln(w, "\nNOT VALID: see the failed checks above.")
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
