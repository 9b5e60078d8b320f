// Package verify checks a verification bundle: everything needed to trust
// one attestation offline — the credential, its issuer's DID document(s),
// the status list credential, the credential's entry in the transparency
// log with its inclusion proof, and a signed checkpoint with the log's
// key. It returns a report listing every check with its reason, in
// English, and a stable code for failures.
//
// The bundle is what the API hands a worker for a credential (and what
// the verification page and `parcours verify` read). Its own DID
// documents and log key only show the bundle is consistent; independent
// trust comes from documents and keys obtained elsewhere (Options), and
// the report warns when it rests on the bundle alone.
package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parcours/parcours/profiles/credential"
	"github.com/parcours/parcours/profiles/tlog"
)

// Bundle is the JSON verification bundle of one credential:
//
//	{
//	  "credential": { ... the signed credential ... },
//	  "issuerDocuments": [ { ... did.json ... } ],
//	  "statusListCredential": { ... the signed status list credential ... },
//	  "log": {
//	    "index": 41,
//	    "inclusionProof": ["base64 SHA-256", ...],
//	    "checkpoint": "origin\n42\nbase64 root\n\n— origin base64sig\n",
//	    "logKey": "origin+keyid+base64key"
//	  }
//	}
//
// issuerDocuments holds the DID documents of the credential's issuer and
// of the status list's issuer (the platform, if it signs the lists).
type Bundle struct {
	Credential           json.RawMessage   `json:"credential"`
	IssuerDocuments      []json.RawMessage `json:"issuerDocuments,omitempty"`
	StatusListCredential json.RawMessage   `json:"statusListCredential,omitempty"`
	Log                  *LogProof         `json:"log,omitempty"`
}

// LogProof places the credential's issuance entry (IssuanceEntry) in the
// transparency log: its index, the inclusion proof (standard base64
// hashes, RFC 9162 order) in the tree of the checkpoint's size, the
// signed checkpoint (C2SP signed note) and the log's verifier key.
type LogProof struct {
	Index          uint64   `json:"index"`
	InclusionProof []string `json:"inclusionProof"`
	Checkpoint     string   `json:"checkpoint"`
	LogKey         string   `json:"logKey,omitempty"`
}

// ParseBundle reads a bundle. A file holding a bare credential (a JSON
// object with a proof and no "credential" member) is read as a bundle
// carrying only that credential.
func ParseBundle(data []byte) (*Bundle, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("verify: the file is not a JSON object: %w", err)
	}
	if _, ok := probe["credential"]; !ok {
		if _, ok := probe["proof"]; ok {
			return &Bundle{Credential: bytes.TrimSpace(data)}, nil
		}
		return nil, errors.New("verify: the file is neither a verification bundle (no \"credential\" member) nor a signed credential (no \"proof\")")
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("verify: the bundle has a member of the wrong type: %w", err)
	}
	return &b, nil
}

// Marshal encodes the bundle, indented.
func (b *Bundle) Marshal() ([]byte, error) { return json.MarshalIndent(b, "", "  ") }

// EncodeHashes encodes proof hashes for LogProof.InclusionProof.
func EncodeHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// DecodeHashes is the inverse of EncodeHashes.
func DecodeHashes(ss []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("hash %d of the proof is not a base64 SHA-256 hash", i+1)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// Log entry types: what the platform appends to the transparency log.
const (
	EntryIssuance   = "issuance"
	EntryRevocation = "revocation"
)

// IssuanceEntry returns the log entry recording the issuance of the
// signed credential: the JCS form of {"type":"issuance","credential":
// credential}. The log publishes only its leaf hash; a verifier
// recomputes it from the credential it holds.
func IssuanceEntry(signedCredential []byte) ([]byte, error) {
	if !json.Valid(signedCredential) {
		return nil, errors.New("verify: the credential is not JSON")
	}
	return credential.CanonicalizeValue(map[string]json.RawMessage{
		"type":       json.RawMessage(`"issuance"`),
		"credential": signedCredential,
	})
}

// RevocationEntry returns the log entry recording the revocation, at at,
// of the credential credentialID whose status entry is status: the JCS
// form of {"type":"revocation","credentialId":...,"credentialStatus":...,
// "revoked":RFC 3339 time}.
func RevocationEntry(credentialID string, status credential.Status, at time.Time) ([]byte, error) {
	return credential.CanonicalizeValue(struct {
		Type             string            `json:"type"`
		CredentialID     string            `json:"credentialId"`
		CredentialStatus credential.Status `json:"credentialStatus"`
		Revoked          string            `json:"revoked"`
	}{EntryRevocation, credentialID, status, at.UTC().Format(time.RFC3339)})
}
