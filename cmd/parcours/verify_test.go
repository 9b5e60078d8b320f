package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/did"
	"github.com/parcours/parcours/profiles/statuslist"
	"github.com/parcours/parcours/profiles/tlog"
	"github.com/parcours/parcours/profiles/verify"
)

// verifyFixture writes a valid bundle, the issuer's and platform's DID
// documents (as a did:web mirror), a checkpoint and the log key.
type verifyFixture struct {
	dir, bundle, issuers, checkpoint, logKey string
	b                                        *verify.Bundle
	// later is a checkpoint at 6 entries and consistency the proof from
	// the bundle's (4 entries) to it.
	later, consistency string
}

func newVerifyFixture(t *testing.T) verifyFixture {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	pid, _ := did.Platform("parcours.example")
	iid, _ := did.Issuer("parcours.example", "12345678901234")
	pdoc, _ := did.New(pid)
	idoc, _ := did.New(iid)
	ppub, pkey, _ := ed25519.GenerateKey(nil)
	ipub, ikey, _ := ed25519.GenerateKey(nil)
	pvm, err := pdoc.AddKey(ppub, at.AddDate(-1, 0, 0))
	check(err)
	ivm, err := idoc.AddKey(ipub, at.AddDate(-1, 0, 0))
	check(err)

	list, _ := statuslist.New(statuslist.MinSize)
	st := statuslist.Entry("https://parcours.example/status/1", 9)
	signed, err := credential.Issue(&credential.Credential{
		Context: []string{credential.ContextV2}, ID: "urn:uuid:6f1c9e36-0b1e-4b8e-9c55-1a1d1c1e1f10",
		Type: []string{credential.TypeCredential, "TrainingCredential"}, Issuer: iid, ValidFrom: at,
		CredentialSubject: map[string]any{"id": "urn:parcours:worker:3", "training": "Soudage TIG", "hours": 140},
		CredentialStatus:  &st,
	}, ikey, ivm.ID, at)
	check(err)
	lc, err := statuslist.NewCredential(st.StatusListCredential, pid, at, list)
	check(err)
	signedList, err := credential.Issue(lc, pkey, pvm.ID, at)
	check(err)

	l := tlog.New(&tlog.MemoryStore{})
	l.AppendData(ctx, []byte("first"), []byte("second"))
	entry, err := verify.IssuanceEntry(signed)
	check(err)
	idx, err := l.AppendData(ctx, entry)
	check(err)
	l.AppendData(ctx, []byte("fourth"))
	signer, err := tlog.GenerateSigner("parcours.example/log", nil)
	check(err)
	root, _ := l.Root(ctx, 4)
	note, err := signer.Sign(tlog.Checkpoint{Origin: signer.Name(), Size: 4, Root: root})
	check(err)
	proof, err := l.InclusionProof(ctx, idx, 4)
	check(err)
	l.AppendData(ctx, []byte("fifth"), []byte("sixth"))
	root6, _ := l.Root(ctx, 6)
	note6, err := signer.Sign(tlog.Checkpoint{Origin: signer.Name(), Size: 6, Root: root6})
	check(err)
	cons, err := l.ConsistencyProof(ctx, 4, 6)
	check(err)
	consJSON, _ := json.Marshal(verify.ConsistencyProof{FromSize: 4, ToSize: 6, Proof: verify.EncodeHashes(cons)})
	pjs, _ := pdoc.Marshal()
	ijs, _ := idoc.Marshal()
	b := &verify.Bundle{
		Credential: signed, IssuerDocuments: []json.RawMessage{ijs, pjs}, StatusListCredential: signedList,
		Log: &verify.LogProof{Index: idx, InclusionProof: verify.EncodeHashes(proof), Checkpoint: string(note), LogKey: signer.VerifierKey()},
	}

	f := verifyFixture{dir: t.TempDir(), logKey: signer.VerifierKey(), b: b}
	f.bundle = filepath.Join(f.dir, "bundle.json")
	f.issuers = filepath.Join(f.dir, "issuers")
	f.checkpoint = filepath.Join(f.dir, "checkpoint")
	js, _ := b.Marshal()
	check(os.WriteFile(f.bundle, js, 0o600))
	check(os.MkdirAll(filepath.Join(f.issuers, ".well-known"), 0o700))
	check(os.MkdirAll(filepath.Join(f.issuers, "issuers", "12345678901234"), 0o700))
	check(os.WriteFile(filepath.Join(f.issuers, ".well-known", "did.json"), pjs, 0o600))
	check(os.WriteFile(filepath.Join(f.issuers, "issuers", "12345678901234", "did.json"), ijs, 0o600))
	check(os.WriteFile(f.checkpoint, note, 0o600))
	f.later = filepath.Join(f.dir, "checkpoint-6")
	f.consistency = filepath.Join(f.dir, "consistency.json")
	check(os.WriteFile(f.later, note6, 0o600))
	check(os.WriteFile(f.consistency, consJSON, 0o600))
	return f
}

func runVerify(args ...string) (string, error) {
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"verify"}, args...), &out, &errb)
	return out.String() + errb.String(), err
}

func TestVerifyCommand(t *testing.T) {
	f := newVerifyFixture(t)
	out, err := runVerify(f.bundle, "--issuers", f.issuers, "--checkpoint", f.checkpoint, "--log-key", f.logKey)
	if err != nil {
		t.Fatalf("valid bundle: %v\n%s", err, out)
	}
	for _, want := range []string{"VALID: every check passed", "ok    issuer-key", "ok    log-inclusion", "did:web:parcours.example:issuers:12345678901234"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Warnings") {
		t.Errorf("warnings despite independent sources:\n%s", out)
	}

	// Flags first, JSON report.
	out, err = runVerify("--json", "--log-key", f.logKey, "--issuers", f.issuers, f.bundle)
	if err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	var rep verify.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.OK || len(rep.Checks) != 8 {
		t.Errorf("JSON report: %v %+v", err, rep)
	}

	// A later checkpoint the verifier trusts, with the consistency proof.
	out, err = runVerify(f.bundle, "--issuers", f.issuers, "--log-key", f.logKey, "--checkpoint", f.later, "--consistency", f.consistency)
	if err != nil || !strings.Contains(out, "proven consistent with the bundle's checkpoint at 4 entries") {
		t.Errorf("later checkpoint: %v\n%s", err, out)
	}

	// The bundle alone verifies, with warnings.
	out, err = runVerify(f.bundle)
	if err != nil || !strings.Contains(out, "Warnings") {
		t.Errorf("bundle alone: %v\n%s", err, out)
	}
}

func TestVerifyCommandFailures(t *testing.T) {
	f := newVerifyFixture(t)
	write := func(name string, b *verify.Bundle) string {
		js, _ := b.Marshal()
		p := filepath.Join(f.dir, name)
		os.WriteFile(p, js, 0o600)
		return p
	}
	tampered := *f.b
	tampered.Credential = bytes.Replace(f.b.Credential, []byte("Soudage TIG"), []byte("Soudage MIG"), 1)
	otherKey, _ := tlog.GenerateSigner("parcours.example/log", nil)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"tampered credential", []string{write("tampered.json", &tampered), "--issuers", f.issuers}, "FAIL  proof                 [signature]"},
		{"another log key", []string{f.bundle, "--log-key", otherKey.VerifierKey()}, "FAIL  checkpoint-signature  [checkpoint]"},
		{"no such file", []string{filepath.Join(f.dir, "missing.json")}, "no such file"},
		{"two files", []string{f.bundle, f.bundle}, "name one file"},
		{"no file", nil, "name one file"},
		{"not a bundle", []string{f.checkpoint}, "not a JSON object"},
		{"bad issuers dir", []string{f.bundle, "--issuers", f.dir}, "--issuers"},
		{"bad time", []string{f.bundle, "--at", "tomorrow"}, "RFC 3339"},
		{"before validity", []string{f.bundle, "--at", "2026-03-01T00:00:00Z"}, "[not-yet-valid]"},
		{"unknown flag", []string{f.bundle, "--nope"}, "flag provided but not defined"},
		{"later checkpoint without proof", []string{f.bundle, "--log-key", f.logKey, "--checkpoint", f.later}, "[inconsistent]"},
		{"consistency without checkpoint", []string{f.bundle, "--consistency", f.consistency}, "goes with --checkpoint"},
		{"consistency not JSON", []string{f.bundle, "--checkpoint", f.later, "--consistency", f.checkpoint}, "not a consistency proof"},
	}
	for _, tt := range tests {
		out, err := runVerify(tt.args...)
		if err == nil {
			t.Errorf("%s: exit status 0\n%s", tt.name, out)
			continue
		}
		if !strings.Contains(out+err.Error(), tt.want) {
			t.Errorf("%s: output lacks %q:\n%s\n%v", tt.name, tt.want, out, err)
		}
	}
}
