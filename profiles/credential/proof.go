package credential

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Code is the stable, machine-readable name of a verification failure;
// API clients and the verify command's JSON output carry it.
type Code string

// Failure codes returned by Verify (and by KeyResolver implementations).
const (
	CodeMalformed        Code = "malformed"         // not a JSON object, or a member of the wrong type
	CodeNoProof          Code = "no-proof"          // no proof member
	CodeUnsupportedProof Code = "unsupported-proof" // not a single DataIntegrityProof of eddsa-jcs-2022
	CodeProofPurpose     Code = "proof-purpose"     // proofPurpose is not assertionMethod
	CodeProofCreated     Code = "proof-created"     // created missing or not an XML Schema dateTime
	CodeProofValue       Code = "proof-value"       // proofValue missing or not a base58btc Ed25519 signature
	CodeContextMismatch  Code = "context-mismatch"  // proof @context is not a prefix of the document's
	CodeKeyUnknown       Code = "key-unknown"       // the verification method cannot be found
	CodeKeyNotYetValid   Code = "key-not-yet-valid" // the proof predates the key
	CodeKeyRevoked       Code = "key-revoked"       // the proof was made after the key was retired
	CodeKeyController    Code = "key-controller"    // the key does not belong to the issuer
	CodeSignature        Code = "signature"         // the Ed25519 signature does not match the bytes
	CodeCanonicalization Code = "canonicalization"  // the document cannot be canonicalized (RFC 8785)
)

// Failure explains why a credential does not verify: which check failed
// (Code, stable) and why, in an English sentence (Reason). Verify returns
// a *Failure as its error; use errors.As to read it.
type Failure struct {
	Code   Code
	Reason string
}

func (f *Failure) Error() string { return string(f.Code) + ": " + f.Reason }

func fail(code Code, format string, args ...any) *Failure {
	return &Failure{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Key is a public key a verification method designates.
type Key struct {
	// ID is the verification method's URL (DID URL with a fragment).
	ID string
	// Controller is the identifier (DID) the key belongs to.
	Controller string
	Public     ed25519.PublicKey
}

// KeyResolver finds the key of a verification method and checks that it
// was valid at signedAt (the proof's creation time). An implementation
// returns a *Failure with CodeKeyUnknown, CodeKeyNotYetValid or
// CodeKeyRevoked to say why a key is refused; any other error is reported
// as CodeKeyUnknown. profiles/did.Resolver is the implementation over
// did:web documents.
type KeyResolver interface {
	ResolveKey(verificationMethod string, signedAt time.Time) (Key, error)
}

// KeyResolverFunc adapts a function to KeyResolver.
type KeyResolverFunc func(verificationMethod string, signedAt time.Time) (Key, error)

// ResolveKey calls f.
func (f KeyResolverFunc) ResolveKey(vm string, at time.Time) (Key, error) { return f(vm, at) }

// Verified is what Verify learned from a valid credential.
type Verified struct {
	Issuer             string
	VerificationMethod string
	// Created is the proof's creation time, the moment the key was
	// checked against.
	Created time.Time
	Proof   Proof
}

// Sign secures the JSON object doc with an eddsa-jcs-2022 Data Integrity
// proof (VC DI EdDSA §3.3.1 "Create Proof") made with key for
// verificationMethod at created (truncated to the second, UTC), purpose
// assertionMethod. The proof copies doc's @context, as the cryptosuite
// says. The result is doc with a "proof" member appended; doc must not
// already carry one. key must be an Ed25519 key (ed25519.PrivateKey, or
// any crypto.Signer whose public key is ed25519.PublicKey, e.g. a
// hardware-held key). Safe for concurrent use.
func Sign(doc []byte, key crypto.Signer, verificationMethod string, created time.Time) ([]byte, error) {
	if _, ok := key.Public().(ed25519.PublicKey); !ok {
		return nil, errors.New("sign: the key is not an Ed25519 key")
	}
	if verificationMethod == "" {
		return nil, errors.New("sign: no verification method")
	}
	members, err := canonMembers(doc)
	if err != nil {
		return nil, fmt.Errorf("sign: the document is not a JSON object: %w", err)
	}
	if _, ok := lookup(members, "proof"); ok {
		return nil, errors.New("sign: the document already has a proof (proof sets are not supported)")
	}
	proof := Proof{
		Type:               ProofType,
		Cryptosuite:        Cryptosuite,
		Created:            created.UTC().Truncate(time.Second).Format(time.RFC3339),
		VerificationMethod: verificationMethod,
		ProofPurpose:       PurposeAssertion,
	}
	if ctx, ok := lookup(members, "@context"); ok {
		proof.Context = json.RawMessage(ctx)
	}
	cfg, err := CanonicalizeValue(proof)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	var canon bytes.Buffer
	writeObject(&canon, members)
	input := hashData(cfg, canon.Bytes())
	sig, err := key.Sign(nil, input, crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	proof.ProofValue = EncodeBase58btc(sig)
	pj, err := json.Marshal(proof)
	if err != nil {
		return nil, err
	}
	// Append the proof to the document as the issuer wrote it.
	trimmed := bytes.TrimSpace(doc)
	body := bytes.TrimSpace(trimmed[1 : len(trimmed)-1])
	out := make([]byte, 0, len(trimmed)+len(pj)+16)
	out = append(out, '{')
	out = append(out, body...)
	if len(body) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"proof":`...)
	out = append(out, pj...)
	return append(out, '}'), nil
}

// SigningInput returns the bytes an eddsa-jcs-2022 proof signs for the
// unsecured document doc (no proof member) and the proof options proof
// (its ProofValue is ignored; a nil Context takes the document's
// @context, as the cryptosuite says): SHA-256 of the JCS proof
// configuration followed by SHA-256 of the JCS document (VC DI EdDSA
// §3.3.4-3.3.5). An issuer holding its own key signs these 64 bytes with
// Ed25519, sets proof.ProofValue to EncodeBase58btc(signature) and adds
// the proof to the document: the same result as Sign.
func SigningInput(doc []byte, proof Proof) ([]byte, error) {
	members, err := canonMembers(doc)
	if err != nil {
		return nil, fmt.Errorf("the document is not a JSON object: %w", err)
	}
	if _, ok := lookup(members, "proof"); ok {
		return nil, errors.New("the document already has a proof")
	}
	proof.ProofValue = ""
	if ctx, ok := lookup(members, "@context"); ok && proof.Context == nil {
		proof.Context = json.RawMessage(ctx)
	}
	cfg, err := CanonicalizeValue(proof)
	if err != nil {
		return nil, err
	}
	var canon bytes.Buffer
	writeObject(&canon, members)
	return hashData(cfg, canon.Bytes()), nil
}

func hashData(canonProofConfig, canonDoc []byte) []byte {
	h1 := sha256.Sum256(canonProofConfig)
	h2 := sha256.Sum256(canonDoc)
	return append(h1[:], h2[:]...)
}

// Verify checks the eddsa-jcs-2022 proof of the secured JSON document doc
// (VC DI EdDSA §3.3.2 "Verify Proof"), that its verification method is a
// key the resolver says was valid at the proof's creation time, and that
// the key belongs to the credential's issuer. It returns what it learned,
// or a *Failure naming the first check that failed. Any change to a byte
// that JCS keeps (every member name and value, of the document or of the
// proof) makes it fail. Safe for concurrent use if r is.
func Verify(doc []byte, r KeyResolver) (*Verified, error) {
	// Canonicalizing the whole document once also refuses duplicate
	// member names, which different parsers would read differently.
	members, err := canonMembers(doc)
	if err != nil {
		if json.Valid(doc) && bytes.HasPrefix(bytes.TrimSpace(doc), []byte("{")) {
			return nil, fail(CodeCanonicalization, "the document cannot be canonicalized (RFC 8785): %v", err)
		}
		return nil, fail(CodeMalformed, "the document is not a JSON object: %v", err)
	}
	rawProof, ok := lookup(members, "proof")
	if !ok {
		return nil, fail(CodeNoProof, "the document has no proof member: it is not signed")
	}
	if rawProof[0] == '[' {
		return nil, fail(CodeUnsupportedProof, "the document carries a set of proofs; only a single eddsa-jcs-2022 proof is accepted")
	}
	if rawProof[0] != '{' {
		return nil, fail(CodeMalformed, "the proof is not a JSON object")
	}
	proofMembers, err := canonMembers(rawProof)
	if err != nil {
		return nil, fail(CodeMalformed, "the proof: %v", err)
	}
	var proof Proof
	if err := json.Unmarshal(rawProof, &proof); err != nil {
		return nil, fail(CodeMalformed, "the proof has a member of the wrong type: %v", err)
	}
	if proof.Type != ProofType || proof.Cryptosuite != Cryptosuite {
		return nil, fail(CodeUnsupportedProof, "the proof is of type %q with cryptosuite %q; only %s with %s is accepted", proof.Type, proof.Cryptosuite, ProofType, Cryptosuite)
	}
	if proof.ProofPurpose != PurposeAssertion {
		return nil, fail(CodeProofPurpose, "the proof purpose is %q, not %s: the key did not assert this credential", proof.ProofPurpose, PurposeAssertion)
	}
	if proof.Created == "" {
		return nil, fail(CodeProofCreated, "the proof has no creation time, so the key's validity at signing cannot be checked")
	}
	created, err := time.Parse(time.RFC3339, proof.Created)
	if err != nil {
		return nil, fail(CodeProofCreated, "the proof's creation time %q is not a date-time with a time zone", proof.Created)
	}
	if proof.ProofValue == "" {
		return nil, fail(CodeProofValue, "the proof has no proofValue")
	}
	sig, err := DecodeBase58btc(proof.ProofValue)
	if err != nil {
		return nil, fail(CodeProofValue, "the proofValue is not multibase base58btc: %v", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fail(CodeProofValue, "the proofValue holds %d bytes, an Ed25519 signature has %d", len(sig), ed25519.SignatureSize)
	}

	// The unsecured document is doc without its proof, with the proof's
	// @context if it has one (which must be a prefix of the document's);
	// the proof configuration is the proof without its value.
	if pctx, ok := lookup(proofMembers, "@context"); ok {
		dctx, _ := lookup(members, "@context")
		if err := contextPrefix(dctx, pctx); err != nil {
			return nil, fail(CodeContextMismatch, "%v", err)
		}
		members = slices.Clone(members)
		for i := range members {
			if members[i].key == "@context" {
				members[i].value = pctx
			}
		}
	}
	var canonDoc, canonCfg bytes.Buffer
	writeObject(&canonDoc, members, "proof")
	writeObject(&canonCfg, proofMembers, "proofValue")

	rawIssuer, _ := lookup(members, "issuer")
	issuer, err := issuerID(rawIssuer)
	if err != nil {
		return nil, fail(CodeMalformed, "%v", err)
	}
	key, err := r.ResolveKey(proof.VerificationMethod, created)
	if err != nil {
		var f *Failure
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, fail(CodeKeyUnknown, "the verification method %s cannot be resolved: %v", proof.VerificationMethod, err)
	}
	if key.Controller != issuer {
		return nil, fail(CodeKeyController, "the signing key %s belongs to %s, not to the issuer %s", proof.VerificationMethod, key.Controller, issuer)
	}
	if len(key.Public) != ed25519.PublicKeySize {
		return nil, fail(CodeKeyUnknown, "the verification method %s is not an Ed25519 key", proof.VerificationMethod)
	}
	if !ed25519.Verify(key.Public, hashData(canonCfg.Bytes(), canonDoc.Bytes()), sig) {
		return nil, fail(CodeSignature, "the Ed25519 signature does not match: the credential or its proof was changed after signing, or it was signed by another key than %s", proof.VerificationMethod)
	}
	return &Verified{Issuer: issuer, VerificationMethod: proof.VerificationMethod, Created: created, Proof: proof}, nil
}

// contextPrefix checks that the document's @context starts with every
// value of the proof's @context, in order (VC DI EdDSA §3.3.2 step 4).
func contextPrefix(docCtx, proofCtx json.RawMessage) error {
	list := func(raw json.RawMessage) ([]json.RawMessage, bool) {
		var l []json.RawMessage
		if json.Unmarshal(raw, &l) == nil {
			return l, true
		}
		if len(raw) == 0 {
			return nil, false
		}
		return []json.RawMessage{raw}, true
	}
	d, ok1 := list(docCtx)
	p, ok2 := list(proofCtx)
	if !ok1 || !ok2 {
		return errors.New("the document or the proof has an unreadable @context")
	}
	if len(p) > len(d) {
		return errors.New("the proof's @context is longer than the document's")
	}
	for i := range p {
		a, err1 := Canonicalize(p[i])
		b, err2 := Canonicalize(d[i])
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			return fmt.Errorf("the document's @context does not start with the proof's (entry %d differs)", i+1)
		}
	}
	return nil
}
