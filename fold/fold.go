// Package fold normalises French text for matching: lower case, accents and
// other combining marks removed, ligatures expanded (œ -> oe, æ -> ae), and
// every run of non-letters, non-digits turned into one space. Place names,
// search queries and offer texts all go through it so that "Orléans",
// "ORLEANS" and "orleans" match.
package fold

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// String returns the folded form of s, with single spaces between words
// and none at either end.
func String(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	gap := false // a separator was seen since the last word rune
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte(' ')
		}
		gap = false
		switch r {
		case 'œ', 'Œ':
			b.WriteString("oe")
		case 'æ', 'Æ':
			b.WriteString("ae")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Words returns the folded words of s.
func Words(s string) []string { return strings.Fields(String(s)) }
