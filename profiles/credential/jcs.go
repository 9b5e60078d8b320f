package credential

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Canonicalize returns the RFC 8785 JSON Canonicalization Scheme (JCS)
// form of the JSON text data: no insignificant white space, object
// members sorted by the UTF-16 code units of their names, strings with
// the minimal escapes, numbers serialized as ECMAScript does (IEEE 754
// double precision). It rejects invalid UTF-8, duplicate member names,
// numbers outside the double range and trailing data, as RFC 8785 §3.1
// requires of its input (I-JSON, RFC 7493).
func Canonicalize(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if !utf8.Valid(data) {
		return nil, errors.New("jcs: the JSON text is not valid UTF-8")
	}
	var out bytes.Buffer
	out.Grow(len(data))
	if err := canonValue(dec, &out); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("jcs: data after the top-level JSON value")
	}
	return out.Bytes(), nil
}

// CanonicalizeValue marshals v with encoding/json and canonicalizes the
// result.
func CanonicalizeValue(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Canonicalize(b)
}

func canonValue(dec *json.Decoder, out *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("jcs: %w", err)
	}
	return canonToken(dec, tok, out)
}

type member struct {
	key   string
	units []uint16
	value []byte
}

func canonToken(dec *json.Decoder, tok json.Token, out *bytes.Buffer) error {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var members []member
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return fmt.Errorf("jcs: %w", err)
				}
				key, ok := kt.(string)
				if !ok {
					return errors.New("jcs: object member name is not a string")
				}
				if seen[key] {
					return fmt.Errorf("jcs: duplicate member name %q", key)
				}
				seen[key] = true
				var v bytes.Buffer
				if err := canonValue(dec, &v); err != nil {
					return err
				}
				members = append(members, member{key: key, units: utf16.Encode([]rune(key)), value: v.Bytes()})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return fmt.Errorf("jcs: %w", err)
			}
			slices.SortFunc(members, func(a, b member) int { return slices.Compare(a.units, b.units) })
			out.WriteByte('{')
			for i, m := range members {
				if i > 0 {
					out.WriteByte(',')
				}
				writeString(out, m.key)
				out.WriteByte(':')
				out.Write(m.value)
			}
			out.WriteByte('}')
			return nil
		case '[':
			out.WriteByte('[')
			first := true
			for dec.More() {
				if !first {
					out.WriteByte(',')
				}
				first = false
				if err := canonValue(dec, out); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return fmt.Errorf("jcs: %w", err)
			}
			out.WriteByte(']')
			return nil
		}
		return fmt.Errorf("jcs: unexpected %q", t)
	case string:
		writeString(out, t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("jcs: number %s is not an IEEE 754 double", t)
		}
		out.Write(appendNumber(nil, f))
	case bool:
		if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null")
	default:
		return fmt.Errorf("jcs: unexpected token %v", tok)
	}
	return nil
}

// appendNumber serializes f as ECMAScript's Number.prototype.toString
// does (ECMA-262 §7.1.12.1, the form RFC 8785 §3.2.2.3 requires): the
// shortest digits that round-trip, plain notation for 1e-6 <= |f| < 1e21,
// exponent notation with an explicit sign otherwise, and -0 as "0".
func appendNumber(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0')
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	b = strconv.AppendFloat(b, f, 'e', -1, 64)
	// Go writes e-07 / e+21; ECMAScript writes e-7 / e+21.
	n := len(b)
	if n >= 4 && b[n-4] == 'e' && b[n-2] == '0' {
		b[n-2] = b[n-1]
		b = b[:n-1]
	}
	return b
}

const hexDigits = "0123456789abcdef"

// writeString writes s as RFC 8785 §3.2.2.2 says: only '"', '\\' and the
// control characters are escaped, with the short forms where JSON has
// them and \u00XX (lower-case hex) otherwise.
func writeString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out.WriteString(s[start:i])
		switch c {
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		case '\b':
			out.WriteString(`\b`)
		case '\f':
			out.WriteString(`\f`)
		case '\n':
			out.WriteString(`\n`)
		case '\r':
			out.WriteString(`\r`)
		case '\t':
			out.WriteString(`\t`)
		default:
			out.WriteString(`\u00`)
			out.WriteByte(hexDigits[c>>4])
			out.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	out.WriteString(s[start:])
	out.WriteByte('"')
}
