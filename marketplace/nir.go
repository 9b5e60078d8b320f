package marketplace

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// NormalizeNIR returns a social security number (NIR, numéro d'inscription
// au répertoire) without spaces, dots or dashes and in upper case, and
// whether it is valid: 15 characters, the first 13 digits except for the
// Corsican departments 2A and 2B in positions 6-7, and a two-digit key equal
// to 97 - (the 13-digit number mod 97), where 2A counts as 19 and 2B as 18.
//
// The NIR is personal data: callers keep only its HMAC (NIRHash) and never
// log it.
func NormalizeNIR(s string) (string, bool) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\u00a0':
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
	if len(n) != 15 {
		return "", false
	}
	body := n[:13]
	switch body[5:7] {
	case "2A":
		body = body[:5] + "19" + body[7:]
	case "2B":
		body = body[:5] + "18" + body[7:]
	}
	for i := 0; i < 13; i++ {
		if body[i] < '0' || body[i] > '9' {
			return "", false
		}
	}
	for i := 13; i < 15; i++ {
		if n[i] < '0' || n[i] > '9' {
			return "", false
		}
	}
	if n[0] != '1' && n[0] != '2' && n[0] != '3' && n[0] != '4' && n[0] != '7' && n[0] != '8' {
		return "", false
	}
	num, err := strconv.ParseUint(body, 10, 64)
	if err != nil {
		return "", false
	}
	key, _ := strconv.Atoi(n[13:])
	if uint64(key) != 97-num%97 {
		return "", false
	}
	return n, true
}

// NIRHash is the lookup key of a normalised NIR: HMAC-SHA-256 under the
// instance's NIR key (secrets.NIRKey), hex-encoded. Without the key, the
// hash cannot be reversed by trying the few billion possible NIRs.
func NIRHash(key []byte, nir string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(nir))
	return hex.EncodeToString(m.Sum(nil))
}
