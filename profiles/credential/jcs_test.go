package credential

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// Number serializations from RFC 8785 Appendix B (IEEE 754 bit patterns
// and the ECMAScript string each must give).
func TestCanonicalNumbersRFC8785(t *testing.T) {
	tests := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, tt := range tests {
		f := math.Float64frombits(tt.bits)
		if got := string(appendNumber(nil, f)); got != tt.want {
			t.Errorf("%016x (%g): got %s, want %s", tt.bits, f, got, tt.want)
		}
		// And through the parser: the shortest round-trip text of f.
		in, _ := json.Marshal(f)
		got, err := Canonicalize(in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Canonicalize(%s) = %s, %v; want %s", in, got, err, tt.want)
		}
	}
}

func TestCanonicalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		// RFC 8785 §3.2.2's example.
		{"rfc8785 example",
			`{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
			  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
			  "literals": [null, true, false]}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		// RFC 8785 §3.2.3: members sorted by UTF-16 code units (the
		// emoji's surrogates sort before U+FB33).
		{"rfc8785 sorting",
			`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{"nested and empty", ` { "b" : [ {} , [ ] , { "z":1,"a":2 } ] , "a" : "" } `, `{"a":"","b":[{},[],{"a":2,"z":1}]}`},
		{"escapes", `["\u0000\b\t\n\f\r\u001f<>&\u2028"]`, "[\"\\u0000\\b\\t\\n\\f\\r\\u001f<>&\u2028\"]"},
		{"integers", `[1, -1, 10.0, 1e2, 123456789012345678901234]`, `[1,-1,10,100,1.2345678901234569e+23]`},
		{"scalar", `"x"`, `"x"`},
	}
	for _, tt := range tests {
		got, err := Canonicalize([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestCanonicalizeRefuses(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"a":2}`,    // duplicate member: parsers disagree on it
		`{"a":1} {}`,       // trailing data
		"{\"a\":\"\xff\"}", // invalid UTF-8
		`[1e400]`,          // not a double
		`{"a":}`,           // not JSON
		``,                 // nothing
		`{"a":[1,2}`,       // unbalanced
	} {
		if got, err := Canonicalize([]byte(in)); err == nil {
			t.Errorf("Canonicalize(%q) = %s, want an error", in, got)
		}
	}
}

func TestCanonicalizeDepth(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if _, err := Canonicalize([]byte(deep)); err == nil {
		t.Error("10,000 nested arrays accepted")
	}
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if got, err := Canonicalize([]byte(ok)); err != nil || string(got) != ok {
		t.Errorf("100 nested arrays: %v", err)
	}
	if got, err := Canonicalize([]byte(`["\ud83d\ude00\u00e9\/"]`)); err != nil || string(got) != "[\"\U0001F600\u00e9/\"]" {
		t.Errorf("escapes: %s, %v", got, err)
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x"]}`, `[1e30,-0,0.1]`, `"\u00e9"`, `{"":{"":[]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Canonicalize(data)
		if err != nil {
			return
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form %q is not JSON", c)
		}
		again, err := Canonicalize(c)
		if err != nil || string(again) != string(c) {
			t.Fatalf("not idempotent: %q -> %q (%v)", c, again, err)
		}
		// The canonical form means what the input meant, as the
		// standard library reads both.
		var a, b any
		if err := json.Unmarshal(data, &a); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", data, err)
		}
		if err := json.Unmarshal(c, &b); err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("%q canonicalized to %q, which means something else", data, c)
		}
	})
}
