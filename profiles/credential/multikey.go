package credential

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/big"
)

// Multicodec prefixes (varint-encoded) of Ed25519 keys in a Multikey.
var (
	ed25519PubPrefix  = []byte{0xed, 0x01} // ed25519-pub, 0xed
	ed25519PrivPrefix = []byte{0x80, 0x26} // ed25519-priv, 0x1300
)

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() (idx [256]int8) {
	for i := range idx {
		idx[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		idx[base58Alphabet[i]] = int8(i)
	}
	return idx
}()

// EncodeBase58btc returns the multibase base58btc form of b: "z" followed
// by the Bitcoin base58 alphabet, each leading zero byte written as '1'.
func EncodeBase58btc(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// Work in base 58 digits, little end first.
	digits := make([]byte, 0, len(b)*138/100+1)
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, 0, 1+zeros+len(digits))
	out = append(out, 'z')
	for range zeros {
		out = append(out, '1')
	}
	for i := len(digits) - 1; i >= 0; i-- {
		out = append(out, base58Alphabet[digits[i]])
	}
	return string(out)
}

// DecodeBase58btc decodes a multibase base58btc string (leading "z").
func DecodeBase58btc(s string) ([]byte, error) {
	if len(s) == 0 || s[0] != 'z' {
		return nil, errors.New("not multibase base58btc: it must start with 'z'")
	}
	s = s[1:]
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n := new(big.Int)
	b58 := big.NewInt(58)
	for i := zeros; i < len(s); i++ {
		d := base58Index[s[i]]
		if d < 0 {
			return nil, fmt.Errorf("not base58: character %q at %d", s[i], i+1)
		}
		n.Mul(n, b58)
		n.Add(n, big.NewInt(int64(d)))
	}
	out := make([]byte, zeros, zeros+len(s))
	return append(out, n.Bytes()...), nil
}

// EncodeMultikey returns the publicKeyMultibase of an Ed25519 public key:
// base58btc of 0xed 0x01 followed by the 32 key bytes ("z6Mk...").
func EncodeMultikey(pub ed25519.PublicKey) string {
	return EncodeBase58btc(append(append([]byte{}, ed25519PubPrefix...), pub...))
}

// DecodeMultikey parses a publicKeyMultibase holding an Ed25519 public
// key.
func DecodeMultikey(s string) (ed25519.PublicKey, error) {
	b, err := DecodeBase58btc(s)
	if err != nil {
		return nil, fmt.Errorf("publicKeyMultibase: %w", err)
	}
	if len(b) != 2+ed25519.PublicKeySize || b[0] != ed25519PubPrefix[0] || b[1] != ed25519PubPrefix[1] {
		return nil, errors.New("publicKeyMultibase: not an Ed25519 Multikey (multicodec 0xed01 and 32 bytes)")
	}
	return ed25519.PublicKey(b[2:]), nil
}

// EncodeSecretMultikey returns the secretKeyMultibase of an Ed25519
// private key: base58btc of 0x80 0x26 (multicodec ed25519-priv) and the
// 32-byte seed.
func EncodeSecretMultikey(key ed25519.PrivateKey) string {
	return EncodeBase58btc(append(append([]byte{}, ed25519PrivPrefix...), key.Seed()...))
}

// DecodeSecretMultikey parses a secretKeyMultibase holding an Ed25519
// seed and returns the private key.
func DecodeSecretMultikey(s string) (ed25519.PrivateKey, error) {
	b, err := DecodeBase58btc(s)
	if err != nil {
		return nil, fmt.Errorf("secretKeyMultibase: %w", err)
	}
	if len(b) != 2+ed25519.SeedSize || b[0] != ed25519PrivPrefix[0] || b[1] != ed25519PrivPrefix[1] {
		return nil, errors.New("secretKeyMultibase: not an Ed25519 secret key (multicodec 0x1300 and a 32-byte seed)")
	}
	return ed25519.NewKeyFromSeed(b[2:]), nil
}
