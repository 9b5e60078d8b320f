package credential

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// double precision). It rejects what RFC 8785 §3.1 excludes from its
// input (I-JSON, RFC 7493): invalid UTF-8, lone surrogate escapes,
// duplicate member names, numbers outside the double range; and trailing
// data. Safe for concurrent use.
func Canonicalize(data []byte) ([]byte, error) {
	p := parser{s: data}
	var out bytes.Buffer
	out.Grow(len(data))
	if err := p.document(&out); err != nil {
		return nil, err
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

// member is an object member in canonical form.
type member struct {
	key   string
	value []byte // canonical JSON
}

// canonMembers canonicalizes data, which must be a JSON object, and
// returns its members in canonical order.
func canonMembers(data []byte) ([]member, error) {
	p := parser{s: data}
	if err := p.start(); err != nil {
		return nil, err
	}
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return nil, errors.New("jcs: not a JSON object")
	}
	ms, err := p.members(0)
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return ms, nil
}

// writeObject writes the canonical object of ms (already in canonical
// order), leaving out the member named skip[0] if given.
func writeObject(out *bytes.Buffer, ms []member, skip ...string) {
	out.WriteByte('{')
	first := true
	for _, m := range ms {
		if len(skip) > 0 && m.key == skip[0] {
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		writeString(out, m.key)
		out.WriteByte(':')
		out.Write(m.value)
	}
	out.WriteByte('}')
}

func lookup(ms []member, key string) ([]byte, bool) {
	for _, m := range ms {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

// maxDepth bounds nesting, so that hostile input cannot exhaust the
// stack.
const maxDepth = 512

type parser struct {
	s []byte
	i int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("jcs: at byte %d: %s", p.i+1, fmt.Sprintf(format, args...))
}

func (p *parser) start() error {
	if !utf8.Valid(p.s) {
		return errors.New("jcs: the JSON text is not valid UTF-8")
	}
	return nil
}

func (p *parser) end() error {
	p.ws()
	if p.i != len(p.s) {
		return p.errorf("data after the top-level JSON value")
	}
	return nil
}

func (p *parser) document(out *bytes.Buffer) error {
	if err := p.start(); err != nil {
		return err
	}
	if err := p.value(out, 0); err != nil {
		return err
	}
	return p.end()
}

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(out *bytes.Buffer, depth int) error {
	p.ws()
	if p.i >= len(p.s) {
		return p.errorf("unexpected end of JSON text")
	}
	if depth > maxDepth {
		return p.errorf("nested deeper than %d", maxDepth)
	}
	switch c := p.s[p.i]; {
	case c == '{':
		ms, err := p.members(depth)
		if err != nil {
			return err
		}
		writeObject(out, ms)
		return nil
	case c == '[':
		p.i++
		out.WriteByte('[')
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			out.WriteByte(']')
			return nil
		}
		for {
			if err := p.value(out, depth+1); err != nil {
				return err
			}
			p.ws()
			if p.i >= len(p.s) {
				return p.errorf("unterminated array")
			}
			if p.s[p.i] == ']' {
				p.i++
				out.WriteByte(']')
				return nil
			}
			if p.s[p.i] != ',' {
				return p.errorf("expected ',' or ']' in an array")
			}
			p.i++
			out.WriteByte(',')
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		writeString(out, s)
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(out)
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.s[p.i:], []byte(lit)) {
				p.i += len(lit)
				out.WriteString(lit)
				return nil
			}
		}
		return p.errorf("invalid character %q", c)
	}
}

// members parses an object (at '{') into its members in canonical order.
func (p *parser) members(depth int) ([]member, error) {
	p.i++ // '{'
	var ms []member
	var vals bytes.Buffer
	var ends []int
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return ms, nil
	}
	for {
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.errorf("expected a member name")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errorf("expected ':' after a member name")
		}
		p.i++
		if err := p.value(&vals, depth+1); err != nil {
			return nil, err
		}
		ms = append(ms, member{key: key})
		ends = append(ends, vals.Len())
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated object")
		}
		if p.s[p.i] == '}' {
			p.i++
			break
		}
		if p.s[p.i] != ',' {
			return nil, p.errorf("expected ',' or '}' in an object")
		}
		p.i++
	}
	all := vals.Bytes()
	start := 0
	for k := range ms {
		ms[k].value = all[start:ends[k]:ends[k]]
		start = ends[k]
	}
	slices.SortStableFunc(ms, func(a, b member) int { return compareUTF16(a.key, b.key) })
	for k := 1; k < len(ms); k++ {
		if ms[k].key == ms[k-1].key {
			return nil, fmt.Errorf("jcs: duplicate member name %q", ms[k].key)
		}
	}
	return ms, nil
}

// compareUTF16 orders strings by their UTF-16 code units (RFC 8785
// §3.2.3): code point order, except that characters beyond the BMP
// (surrogate pairs, 0xD800-0xDFFF) sort before U+E000-U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := firstUnit(ra), firstUnit(rb)
			if ua != ub {
				return int(ua) - int(ub)
			}
			return int(ra) - int(rb) // same high surrogate: the low one decides
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

func firstUnit(r rune) rune {
	if r >= 0x10000 {
		hi, _ := utf16.EncodeRune(r)
		return hi
	}
	return r
}

// str parses a string (at '"') and returns its value.
func (p *parser) str() (string, error) {
	p.i++ // '"'
	start := p.i
	// Fast path: no escape.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := string(p.s[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errorf("control character in a string")
		}
		p.i++
	}
	buf := append([]byte{}, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			break
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || p.i+1 >= len(p.s) || p.s[p.i] != '\\' || p.s[p.i+1] != 'u' {
					return "", p.errorf("lone surrogate escape")
				}
				p.i += 2
				r2, ok := p.hex4()
				if !ok || r2 < 0xdc00 || r2 > 0xdfff {
					return "", p.errorf("lone surrogate escape")
				}
				r = utf16.DecodeRune(r, r2)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.errorf("bad escape \\%c", e)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

func digits(s []byte, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// number parses a number (JSON grammar) and writes its ECMAScript form.
func (p *parser) number(out *bytes.Buffer) error {
	start := p.i
	i := p.i
	if p.s[i] == '-' {
		i++
	}
	switch {
	case i < len(p.s) && p.s[i] == '0':
		i++
	case i < len(p.s) && p.s[i] >= '1' && p.s[i] <= '9':
		i = digits(p.s, i)
	default:
		return p.errorf("invalid number")
	}
	integer := true
	if i < len(p.s) && p.s[i] == '.' {
		integer = false
		j := digits(p.s, i+1)
		if j == i+1 {
			return p.errorf("invalid number")
		}
		i = j
	}
	if i < len(p.s) && (p.s[i] == 'e' || p.s[i] == 'E') {
		integer = false
		i++
		if i < len(p.s) && (p.s[i] == '+' || p.s[i] == '-') {
			i++
		}
		j := digits(p.s, i)
		if j == i {
			return p.errorf("invalid number")
		}
		i = j
	}
	lit := p.s[start:i]
	p.i = i
	// Integers of up to 15 digits are exact doubles that ECMAScript
	// writes as they are (but "-0" is "0").
	if integer && len(lit) <= 15 && string(lit) != "-0" {
		out.Write(lit)
		return nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil || math.IsInf(f, 0) {
		return fmt.Errorf("jcs: number %s is not an IEEE 754 double", lit)
	}
	out.Write(appendNumber(out.AvailableBuffer(), f))
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
