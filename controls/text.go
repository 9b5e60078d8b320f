package controls

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parcours/parcours/fold"
)

// token is one word of a text: its folded form, its stem, and where it
// stands in the text as written (byte offsets), so that a finding quotes
// the passage exactly.
type token struct {
	folded, stem string
	start, end   int
}

// tokenize splits s into words (runs of letters and digits; an apostrophe
// or a hyphen ends a word, as "l'âge" is "l" and "age"), each folded by
// package fold and stemmed.
func tokenize(s string) []token {
	out := make([]token, 0, len(s)/6)
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := foldWord(s[start:end])
		if w != "" {
			out = append(out, token{folded: w, stem: stem(w), start: start, end: end})
		}
		start = -1
	}
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(s))
	return out
}

// foldWord folds one word (a run of letters, digits and marks): lower-case
// ASCII words, most of a French text, skip the Unicode normalisation.
func foldWord(w string) string {
	ascii, lower := true, true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 0x80 {
			ascii = false
			break
		}
		if c >= 'A' && c <= 'Z' {
			lower = false
		}
	}
	switch {
	case ascii && lower:
		return w
	case ascii:
		return strings.ToLower(w)
	}
	return strings.ReplaceAll(fold.String(w), " ", "")
}

// stem reduces a folded French word to a stem shared by its inflections:
// plural, feminine, and the common verb endings (infinitive, participles,
// present), so that "jeûner", "jeûnez", "jeûne" and "jeûnes", or "exigé",
// "exigée" and "exiger", meet. It is heavier than the search's stemmer,
// which keeps word families apart for ranking: a control would rather
// match a verb in any of its forms. Words with a digit and words of three
// letters or fewer are kept whole.
func stem(w string) string {
	if len(w) <= 3 || strings.IndexFunc(w, unicode.IsDigit) >= 0 {
		return w
	}
	// Plural.
	switch {
	case strings.HasSuffix(w, "aux") && len(w) > 5:
		w = w[:len(w)-3] + "al"
	case strings.HasSuffix(w, "x") && len(w) > 4:
		w = w[:len(w)-1]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") && len(w) > 4:
		w = w[:len(w)-1]
	}
	// Feminine forms.
	for _, r := range feminineEndings {
		if strings.HasSuffix(w, r[0]) && len(w)-len(r[0]) >= 3 {
			w = w[:len(w)-len(r[0])] + r[1]
			break
		}
	}
	// Verb endings: present plural and second person, infinitive,
	// participles, and the mute e. The root keeps at least four letters,
	// so that short nouns (cure, date) are not cut to nothing.
	for _, e := range verbEndings {
		if strings.HasSuffix(w, e) && len(w)-len(e) >= 4 {
			return w[:len(w)-len(e)]
		}
	}
	return w
}

var feminineEndings = [][2]string{
	{"trice", "teur"}, {"euse", "eur"}, {"enne", "en"}, {"elle", "el"}, {"ere", "er"}, {"ive", "if"}, {"ee", "e"},
}

var verbEndings = []string{"aient", "ent", "ons", "ez", "er", "ir", "ant", "e", "i"}

// part is one element of a pattern.
type part struct {
	stem   string // the word's stem; or the prefix when prefix is set
	prefix bool   // "exig*": any folded word starting so
	exact  bool   // "=jeune": this folded word only, no other inflection
	number bool   // "#": any number
	any    bool   // "?": any one word
	gap    int    // how many other words may stand before this part
}

// pattern is a phrase to look for, with the criterion it flags.
type pattern struct {
	raw         string
	parts       []part
	criterion   string
	weight      float64
	explanation string
	// unless lists stems whose presence anywhere in the text lifts this
	// pattern (a legitimate context, such as an apprenticeship for an age
	// limit).
	unless []string
	// only restricts the pattern to texts of one kind ("job_post").
	only string
	// fields restricts the pattern to some fields ("title").
	fields []string
}

// compile parses a pattern written as words separated by spaces: a word
// matches any inflection of itself; "word*" any word starting so (after
// folding); "=word" that folded word only; "#" any number; "?" any one word; ".." lets up to three other
// words stand before the next part.
func compile(raw string) []part {
	var parts []part
	gap := 0
	for _, w := range strings.Fields(raw) {
		switch {
		case w == "..":
			gap = 3
			continue
		case w == "#":
			parts = append(parts, part{number: true, gap: gap})
		case w == "?":
			parts = append(parts, part{any: true, gap: gap})
		case strings.HasPrefix(w, "="):
			parts = append(parts, part{stem: fold.String(w[1:]), exact: true, gap: gap})
		case strings.HasSuffix(w, "*"):
			parts = append(parts, part{stem: fold.String(strings.TrimSuffix(w, "*")), prefix: true, gap: gap})
		default:
			for i, f := range fold.Words(w) {
				p := part{stem: stem(f)}
				if i == 0 {
					p.gap = gap
				}
				parts = append(parts, p)
			}
		}
		gap = 0
	}
	return parts
}

func (p part) matches(t token) bool {
	switch {
	case p.any:
		return true
	case p.number:
		return t.folded[0] >= '0' && t.folded[0] <= '9'
	case p.prefix:
		return strings.HasPrefix(t.folded, p.stem)
	case p.exact:
		return t.folded == p.stem
	}
	return t.stem == p.stem
}

// matcher finds a set of patterns in token streams. Patterns are indexed by
// their first part's stem, so a text is read once whatever the number of
// patterns. It is safe for concurrent use once built.
type matcher struct {
	byStem   map[string][]*pattern
	byExact  map[string][]*pattern // first part "=word"
	byPrefix map[string][]*pattern // first part "word*", by its first three bytes
	numbers  []*pattern            // first part "#"
	other    []*pattern            // first part "?" or a short prefix
}

// prefixKey is the index key of a prefix pattern or of a word: its first
// three bytes (prefixes are at least three letters long).
func prefixKey(w string) string {
	if len(w) > 3 {
		return w[:3]
	}
	return w
}

func newMatcher(ps []pattern) *matcher {
	m := &matcher{byStem: map[string][]*pattern{}, byExact: map[string][]*pattern{}, byPrefix: map[string][]*pattern{}}
	for i := range ps {
		p := &ps[i]
		p.parts = compile(p.raw)
		if len(p.parts) == 0 {
			panic("empty pattern")
		}
		for j, u := range p.unless {
			p.unless[j] = stem(fold.String(u))
		}
		switch f := p.parts[0]; {
		case f.exact:
			m.byExact[f.stem] = append(m.byExact[f.stem], p)
		case f.prefix && len(f.stem) >= 3:
			m.byPrefix[prefixKey(f.stem)] = append(m.byPrefix[prefixKey(f.stem)], p)
		case f.number:
			m.numbers = append(m.numbers, p)
		case f.any, f.prefix: // a prefix of one or two letters: tried everywhere
			m.other = append(m.other, p)
		default:
			m.byStem[f.stem] = append(m.byStem[f.stem], p)
		}
	}
	return m
}

// hit is a pattern found at tokens [from, to).
type hit struct {
	p        *pattern
	from, to int
}

// find returns every pattern found in toks, leftmost first; a pattern
// is reported once per place.
func (m *matcher) find(toks []token) []hit {
	var out []hit
	try := func(ps []*pattern, i int) {
		for _, p := range ps {
			if end, ok := matchAt(p.parts, toks, i); ok {
				out = append(out, hit{p, i, end})
			}
		}
	}
	for i, t := range toks {
		try(m.byStem[t.stem], i)
		try(m.byExact[t.folded], i)
		try(m.byPrefix[prefixKey(t.folded)], i)
		if t.folded[0] >= '0' && t.folded[0] <= '9' {
			try(m.numbers, i)
		}
		try(m.other, i)
	}
	return out
}

// matchAt matches parts from toks[i], and returns the end of the match.
func matchAt(parts []part, toks []token, i int) (int, bool) {
	if !parts[0].matches(toks[i]) {
		return 0, false
	}
	if len(parts) == 1 {
		return i + 1, true
	}
	next := parts[1]
	for j := i + 1; j < len(toks) && j <= i+1+next.gap; j++ {
		if end, ok := matchAt(parts[1:], toks, j); ok {
			return end, true
		}
	}
	return 0, false
}

// passage quotes toks[from:to] as written in s, trimmed to a readable
// length.
func passage(s string, toks []token, from, to int) string {
	q := strings.TrimSpace(s[toks[from].start:toks[to-1].end])
	if utf8.RuneCountInString(q) > 160 {
		r := []rune(q)
		q = string(r[:157]) + "…"
	}
	return q
}

// hasStem reports whether a token has one of stems (or, for a stem of
// five letters or more, starts with it).
func hasStem(toks []token, stems []string) bool {
	for _, t := range toks {
		for _, s := range stems {
			if t.stem == s || strings.HasPrefix(t.folded, s) && len(s) >= 5 {
				return true
			}
		}
	}
	return false
}
