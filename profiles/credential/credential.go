package credential

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Well-known values of the data model and the cryptosuite.
const (
	// ContextV2 is the base JSON-LD context of a VC Data Model 2.0
	// credential; it comes first in @context.
	ContextV2 = "https://www.w3.org/ns/credentials/v2"
	// TypeCredential is the type every credential carries.
	TypeCredential = "VerifiableCredential"
	// ProofType and Cryptosuite name the only proof this package makes
	// and accepts.
	ProofType   = "DataIntegrityProof"
	Cryptosuite = "eddsa-jcs-2022"
	// PurposeAssertion is the proof purpose of an issuer's statement.
	PurposeAssertion = "assertionMethod"
	// StatusEntryType and PurposeRevocation describe a credentialStatus
	// entry pointing into a Bitstring Status List (see profiles/statuslist).
	StatusEntryType   = "BitstringStatusListEntry"
	PurposeRevocation = "revocation"
)

// Credential is a VC Data Model 2.0 credential as Parcours issues it. It
// is the convenient way to build one; Sign and Verify work on the JSON
// bytes, so members this type does not know are kept and signed as they
// are. The zero value is not a valid credential: Context, Type, Issuer and
// CredentialSubject are required.
type Credential struct {
	Context     []string `json:"@context"`
	ID          string   `json:"id,omitempty"`
	Type        []string `json:"type"`
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	// Issuer is the issuer's identifier (a did:web for Parcours). When
	// the JSON holds an object, Parse keeps its "id".
	Issuer     string    `json:"issuer"`
	ValidFrom  time.Time `json:"validFrom,omitzero"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
	// CredentialSubject holds the claims; "id" names the subject.
	CredentialSubject map[string]any `json:"credentialSubject"`
	CredentialStatus  *Status        `json:"credentialStatus,omitempty"`
	Proof             *Proof         `json:"proof,omitempty"`
}

// Status is a credentialStatus entry of type BitstringStatusListEntry
// (W3C Bitstring Status List v1.0 §2.1). StatusListIndex is a decimal
// string, as the specification says.
type Status struct {
	ID                   string `json:"id,omitempty"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// Proof is a Data Integrity proof (VC Data Integrity 1.0 §2.1).
type Proof struct {
	Context            any    `json:"@context,omitempty"`
	ID                 string `json:"id,omitempty"`
	Type               string `json:"type"`
	Cryptosuite        string `json:"cryptosuite"`
	Created            string `json:"created,omitempty"`
	VerificationMethod string `json:"verificationMethod"`
	ProofPurpose       string `json:"proofPurpose"`
	ProofValue         string `json:"proofValue,omitempty"`
}

// Parse decodes a credential. It checks the shape the data model
// requires (base context first, VerifiableCredential type, an issuer, a
// subject) but not the proof: call Verify for that.
func Parse(data []byte) (*Credential, error) {
	var raw struct {
		Credential
		Issuer json.RawMessage `json:"issuer"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("credential: not a JSON credential: %w", err)
	}
	c := raw.Credential
	issuer, err := issuerID(raw.Issuer)
	if err != nil {
		return nil, err
	}
	c.Issuer = issuer
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func issuerID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", errors.New("credential: no issuer")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.ID == "" {
		return "", errors.New("credential: issuer is neither a URL nor an object with an id")
	}
	return o.ID, nil
}

func (c *Credential) check() error {
	switch {
	case len(c.Context) == 0 || c.Context[0] != ContextV2:
		return fmt.Errorf("credential: @context must start with %s", ContextV2)
	case !contains(c.Type, TypeCredential):
		return fmt.Errorf("credential: type must include %s", TypeCredential)
	case c.Issuer == "":
		return errors.New("credential: no issuer")
	case len(c.CredentialSubject) == 0:
		return errors.New("credential: no credentialSubject")
	case !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.ValidFrom):
		return errors.New("credential: validUntil is before validFrom")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Marshal checks c's shape and encodes it as JSON, ready for Sign.
func (c *Credential) Marshal() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// Issue marshals c (which must carry no proof) and signs it: the secured
// credential's JSON.
func Issue(c *Credential, key crypto.Signer, verificationMethod string, created time.Time) ([]byte, error) {
	if c.Proof != nil {
		return nil, errors.New("credential: already has a proof")
	}
	doc, err := c.Marshal()
	if err != nil {
		return nil, err
	}
	return Sign(doc, key, verificationMethod, created)
}
