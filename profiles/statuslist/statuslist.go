// Package statuslist implements W3C Bitstring Status List v1.0 for
// revocation: a list of at least 131,072 bits, one per credential, where
// bit i set means "the credential at index i is revoked". The list is
// published inside a status list credential (GZIP-compressed, multibase
// base64url) signed like any credential; each credential points to its bit
// with a BitstringStatusListEntry in credentialStatus.
//
// The package is pure: the profiles stores keep the lists and allocate
// indexes; the API serves the signed list credential; profiles/verify
// reads it.
package statuslist

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/parcours/parcours/profiles/credential"
)

// Sizes of a list, in bits (one entry per bit).
const (
	// MinSize is the smallest list the specification allows (16 KiB),
	// so that a holder's index hides among many.
	MinSize = 131072
	// MaxSize bounds what Decode inflates, against compression bombs
	// (16 MiB of bits, 134 million entries).
	MaxSize = 16 << 20 * 8
)

// Names the specification fixes.
const (
	CredentialType = "BitstringStatusListCredential"
	SubjectType    = "BitstringStatusList"
)

// List is a bitstring of status entries; index 0 is the most significant
// bit of the first byte (the left-most bit). The zero value is an empty
// list; use New. Not safe for concurrent mutation.
type List struct {
	bits []byte
}

// New returns a list of size entries, all clear (not revoked). size must
// be a multiple of 8 and at least MinSize.
func New(size int) (*List, error) {
	if size < MinSize || size%8 != 0 || size > MaxSize {
		return nil, fmt.Errorf("statuslist: size %d must be a multiple of 8 between %d and %d", size, MinSize, MaxSize)
	}
	return &List{bits: make([]byte, size/8)}, nil
}

// Len returns the number of entries.
func (l *List) Len() int { return len(l.bits) * 8 }

func (l *List) check(i int) error {
	if i < 0 || i >= l.Len() {
		return fmt.Errorf("statuslist: index %d outside the list of %d entries", i, l.Len())
	}
	return nil
}

// Get reports whether entry i is set (revoked).
func (l *List) Get(i int) (bool, error) {
	if err := l.check(i); err != nil {
		return false, err
	}
	return l.bits[i/8]&(0x80>>(i%8)) != 0, nil
}

// Set sets (revoked) or clears entry i.
func (l *List) Set(i int, set bool) error {
	if err := l.check(i); err != nil {
		return err
	}
	if set {
		l.bits[i/8] |= 0x80 >> (i % 8)
	} else {
		l.bits[i/8] &^= 0x80 >> (i % 8)
	}
	return nil
}

// Bytes returns the raw bitstring (shared, not copied), for a store to
// persist; FromBytes is the inverse.
func (l *List) Bytes() []byte { return l.bits }

// FromBytes returns the list whose raw bitstring is b (not copied).
func FromBytes(b []byte) (*List, error) {
	if len(b)*8 < MinSize || len(b)*8 > MaxSize {
		return nil, fmt.Errorf("statuslist: %d entries, want between %d and %d", len(b)*8, MinSize, MaxSize)
	}
	return &List{bits: b}, nil
}

// Encode returns the encodedList value: "u" (multibase base64url, no
// padding) followed by the base64url of the GZIP-compressed bitstring.
func (l *List) Encode() (string, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(l.bits); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// Decode parses an encodedList value.
func Decode(encoded string) (*List, error) {
	b64, ok := strings.CutPrefix(encoded, "u")
	if !ok {
		return nil, errors.New("statuslist: encodedList is not multibase base64url (it must start with 'u')")
	}
	gz, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("statuslist: encodedList is not base64url without padding: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("statuslist: encodedList is not GZIP data: %w", err)
	}
	bits, err := io.ReadAll(io.LimitReader(zr, MaxSize/8+1))
	if err != nil {
		return nil, fmt.Errorf("statuslist: encodedList does not inflate: %w", err)
	}
	return FromBytes(bits)
}

// Subject is the credentialSubject of a status list credential.
type Subject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
}

// NewCredential returns the unsigned status list credential publishing l
// at listURL (the credential's id, which entries point to), issued by
// issuer from validFrom; sign it with credential.Issue.
func NewCredential(listURL, issuer string, validFrom time.Time, l *List) (*credential.Credential, error) {
	enc, err := l.Encode()
	if err != nil {
		return nil, err
	}
	return &credential.Credential{
		Context: []string{credential.ContextV2},
		ID:      listURL,
		Type:    []string{credential.TypeCredential, CredentialType},
		Issuer:  issuer,
		// Seconds are what the data model's dateTimeStamp carries.
		ValidFrom: validFrom.UTC().Truncate(time.Second),
		CredentialSubject: map[string]any{
			"id":            listURL + "#list",
			"type":          SubjectType,
			"statusPurpose": credential.PurposeRevocation,
			"encodedList":   enc,
		},
	}, nil
}

// Entry returns the credentialStatus entry of the credential given index
// in the list published at listURL.
func Entry(listURL string, index int) credential.Status {
	i := strconv.Itoa(index)
	return credential.Status{
		ID:                   listURL + "#" + i,
		Type:                 credential.StatusEntryType,
		StatusPurpose:        credential.PurposeRevocation,
		StatusListIndex:      i,
		StatusListCredential: listURL,
	}
}

// Check reads the bit entry points to in the status list credential
// listCredential (JSON) and reports whether the credential is revoked. It
// checks that the list is the one the entry names and has the same
// purpose, but not the list's proof: verify that with credential.Verify
// first.
func Check(entry credential.Status, listCredential []byte) (revoked bool, err error) {
	if entry.Type != credential.StatusEntryType {
		return false, fmt.Errorf("statuslist: the status entry is of type %q, not %s", entry.Type, credential.StatusEntryType)
	}
	if entry.StatusPurpose != credential.PurposeRevocation {
		return false, fmt.Errorf("statuslist: the status purpose is %q; only %s is checked", entry.StatusPurpose, credential.PurposeRevocation)
	}
	index, err := strconv.Atoi(entry.StatusListIndex)
	if err != nil || index < 0 || strconv.Itoa(index) != entry.StatusListIndex {
		return false, fmt.Errorf("statuslist: statusListIndex %q is not a non-negative decimal integer", entry.StatusListIndex)
	}
	var lc struct {
		ID                string   `json:"id"`
		Type              []string `json:"type"`
		CredentialSubject Subject  `json:"credentialSubject"`
	}
	if err := json.Unmarshal(listCredential, &lc); err != nil {
		return false, fmt.Errorf("statuslist: the status list credential is not readable JSON: %w", err)
	}
	if lc.ID != entry.StatusListCredential {
		return false, fmt.Errorf("statuslist: the credential points to the status list %s, but the list given is %s", entry.StatusListCredential, lc.ID)
	}
	isList := false
	for _, t := range lc.Type {
		isList = isList || t == CredentialType
	}
	if !isList || lc.CredentialSubject.Type != SubjectType {
		return false, fmt.Errorf("statuslist: %s is not a %s", lc.ID, CredentialType)
	}
	if lc.CredentialSubject.StatusPurpose != entry.StatusPurpose {
		return false, fmt.Errorf("statuslist: the list's purpose is %q, the entry's %q", lc.CredentialSubject.StatusPurpose, entry.StatusPurpose)
	}
	l, err := Decode(lc.CredentialSubject.EncodedList)
	if err != nil {
		return false, err
	}
	return l.Get(index)
}
