package tlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Checkpoint is a tree head in the C2SP tlog-checkpoint format: the
// log's origin (its unique name, conventionally the name of its key), the
// tree size and the root hash, and optional extension lines.
type Checkpoint struct {
	Origin     string
	Size       uint64
	Root       Hash
	Extensions []string
}

// Text returns the checkpoint's note text: origin, decimal size and
// standard base64 root hash, then the extension lines, each ending in a
// newline.
func (c Checkpoint) Text() []byte {
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root[:]))
	b.WriteByte('\n')
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (c Checkpoint) check() error {
	if c.Origin == "" || strings.ContainsAny(c.Origin, "\n") {
		return errors.New("tlog: a checkpoint's origin is one non-empty line")
	}
	for _, e := range c.Extensions {
		if e == "" || strings.Contains(e, "\n") {
			return errors.New("tlog: a checkpoint's extension is one non-empty line")
		}
	}
	return nil
}

// ParseCheckpoint parses a checkpoint's note text (without signatures).
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	if !utf8.Valid(text) || len(text) == 0 || text[len(text)-1] != '\n' {
		return Checkpoint{}, fmt.Errorf("%w: a checkpoint is UTF-8 text ending with a newline", ErrInvalidProof)
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("%w: a checkpoint has an origin, a size and a root hash line", ErrInvalidProof)
	}
	c := Checkpoint{Origin: lines[0], Extensions: lines[3:]}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("%w: the checkpoint's size %q is not a decimal number", ErrInvalidProof, lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return Checkpoint{}, fmt.Errorf("%w: the checkpoint's root %q is not a base64 SHA-256 hash", ErrInvalidProof, lines[2])
	}
	copy(c.Root[:], root)
	if len(c.Extensions) == 0 {
		c.Extensions = nil
	}
	if err := c.check(); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	return c, nil
}

// The signed-note signature type of Ed25519 keys.
const algEd25519 = 0x01

// keyID is the first four bytes of SHA-256(name || "\n" || 0x01 ||
// public key), as the C2SP signed-note format defines for Ed25519.
func keyID(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algEd25519})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func checkKeyName(name string) error {
	if name == "" || !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r == '+' || unicode.IsSpace(r) }) {
		return fmt.Errorf("tlog: key name %q must be non-empty, without spaces or '+'", name)
	}
	return nil
}

// Signer signs checkpoints as a signed note with an Ed25519 key. Safe for
// concurrent use.
type Signer struct {
	name string
	key  ed25519.PrivateKey
	id   uint32
}

// NewSigner returns the signer named name (the log's origin) of key.
func NewSigner(name string, key ed25519.PrivateKey) (*Signer, error) {
	if err := checkKeyName(name); err != nil {
		return nil, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("tlog: not an Ed25519 private key")
	}
	return &Signer{name: name, key: key, id: keyID(name, key.Public().(ed25519.PublicKey))}, nil
}

// Name returns the key's name, which is the origin of the checkpoints it
// signs.
func (s *Signer) Name() string { return s.name }

// VerifierKey returns the public verifier key to publish:
// name+hex(key ID)+base64(0x01 || public key).
func (s *Signer) VerifierKey() string {
	pub := s.key.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", s.name, s.id, base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, pub...)))
}

// SignerKey returns the secret key in the signed-note text form
// PRIVATE+KEY+name+hex(key ID)+base64(0x01 || seed), for configuration.
func (s *Signer) SignerKey() string {
	return fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", s.name, s.id, base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, s.key.Seed()...)))
}

// ParseSignerKey reads a key written by SignerKey.
func ParseSignerKey(skey string) (*Signer, error) {
	rest, ok := strings.CutPrefix(skey, "PRIVATE+KEY+")
	parts := strings.SplitN(rest, "+", 3)
	if !ok || len(parts) != 3 {
		return nil, errors.New("tlog: a signer key reads PRIVATE+KEY+name+keyid+key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != algEd25519 {
		return nil, errors.New("tlog: the signer key is not an Ed25519 seed")
	}
	s, err := NewSigner(parts[0], ed25519.NewKeyFromSeed(raw[1:]))
	if err != nil {
		return nil, err
	}
	if fmt.Sprintf("%08x", s.id) != parts[1] {
		return nil, errors.New("tlog: the signer key's id does not match its key")
	}
	return s, nil
}

// GenerateSigner makes a signer with a new random key (rand.Reader if r
// is nil).
func GenerateSigner(name string, r io.Reader) (*Signer, error) {
	if r == nil {
		r = rand.Reader
	}
	_, key, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, err
	}
	return NewSigner(name, key)
}

// Sign returns the signed note of c: its text, a blank line and the
// signature line "— name base64(key ID || signature)". c.Origin must be
// the signer's name.
func (s *Signer) Sign(c Checkpoint) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if c.Origin != s.name {
		return nil, fmt.Errorf("tlog: checkpoint origin %q is not the key name %q", c.Origin, s.name)
	}
	return s.SignNote(c.Text())
}

// SignNote signs any note text (C2SP signed-note: UTF-8, ending in a
// newline, without a blank line) and returns the signed note.
func (s *Signer) SignNote(text []byte) ([]byte, error) {
	if !utf8.Valid(text) || len(text) == 0 || text[len(text)-1] != '\n' || bytes.Contains(text, []byte("\n\n")) {
		return nil, errors.New("tlog: a note text is UTF-8, ends with a newline and has no blank line")
	}
	sig := ed25519.Sign(s.key, text)
	blob := binary.BigEndian.AppendUint32(nil, s.id)
	blob = append(blob, sig...)
	out := append(bytes.Clone(text), '\n')
	out = append(out, "\u2014 "...)
	out = append(out, s.name...)
	out = append(out, ' ')
	out = append(out, base64.StdEncoding.EncodeToString(blob)...)
	return append(out, '\n'), nil
}

// Verifier checks signed checkpoints against one log key. Safe for
// concurrent use.
type Verifier struct {
	name string
	id   uint32
	pub  ed25519.PublicKey
}

// NewVerifier parses a verifier key name+keyid+base64(0x01 || key).
func NewVerifier(vkey string) (*Verifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("tlog: a log key reads name+keyid+key")
	}
	if err := checkKeyName(parts[0]); err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != algEd25519 {
		return nil, errors.New("tlog: the log key is not an Ed25519 public key")
	}
	v := &Verifier{name: parts[0], pub: ed25519.PublicKey(raw[1:])}
	v.id = keyID(v.name, v.pub)
	if fmt.Sprintf("%08x", v.id) != parts[1] {
		return nil, errors.New("tlog: the log key's id does not match its key")
	}
	return v, nil
}

// Name returns the key's name, the origin it accepts.
func (v *Verifier) Name() string { return v.name }

// String returns the verifier key.
func (v *Verifier) String() string {
	return fmt.Sprintf("%s+%08x+%s", v.name, v.id, base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, v.pub...)))
}

// Open checks the signed note and returns its checkpoint: the note must
// carry a valid signature by this key, and the checkpoint's origin must
// be the key's name. Signatures by other keys (witnesses) are ignored.
// The error wraps ErrInvalidProof.
func (v *Verifier) Open(note []byte) (Checkpoint, error) {
	text, err := v.OpenNote(note)
	if err != nil {
		return Checkpoint{}, err
	}
	c, err := ParseCheckpoint(text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.name {
		return Checkpoint{}, fmt.Errorf("%w: the checkpoint's origin %q is not the log %q", ErrInvalidProof, c.Origin, v.name)
	}
	return c, nil
}

// OpenNote checks that the signed note carries a valid signature by this
// key and returns its text. The error wraps ErrInvalidProof.
func (v *Verifier) OpenNote(note []byte) ([]byte, error) {
	if !utf8.Valid(note) {
		return nil, fmt.Errorf("%w: the signed note is not UTF-8", ErrInvalidProof)
	}
	split := bytes.LastIndex(note, []byte("\n\n"))
	if split < 0 {
		return nil, fmt.Errorf("%w: the note carries no signature (no blank line before signatures)", ErrInvalidProof)
	}
	text, sigs := note[:split+1], note[split+2:]
	if len(sigs) == 0 || sigs[len(sigs)-1] != '\n' {
		return nil, fmt.Errorf("%w: the note's signature lines must end with a newline", ErrInvalidProof)
	}
	found := false
	for _, line := range strings.Split(string(sigs[:len(sigs)-1]), "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		name, b64, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 || checkKeyName(name) != nil {
			return nil, fmt.Errorf("%w: malformed signature line %q", ErrInvalidProof, line)
		}
		blob, err := base64.StdEncoding.Strict().DecodeString(b64)
		if err != nil || len(blob) < 5 {
			return nil, fmt.Errorf("%w: malformed signature line %q", ErrInvalidProof, line)
		}
		if name != v.name || binary.BigEndian.Uint32(blob) != v.id {
			continue // another key's signature, e.g. a witness's
		}
		if len(blob) != 4+ed25519.SignatureSize || !ed25519.Verify(v.pub, text, blob[4:]) {
			return nil, fmt.Errorf("%w: the signature by %s does not verify: the note was changed after signing, or not signed by this key", ErrInvalidProof, v.name)
		}
		found = true
	}
	if !found {
		return nil, fmt.Errorf("%w: the note is not signed by the key %s", ErrInvalidProof, v.name)
	}
	return text, nil
}
