package matching

import (
	"testing"

	"github.com/parcours/parcours/skills"
)

// FuzzLexicon reads arbitrary job texts: the lexicon never fails, and a
// skill is always found in a text that is its own label.
func FuzzLexicon(f *testing.F) {
	for _, s := range []string{"Préparer les légumes, les viandes et les poissons", "Œuvre d'art", "", "a b", "ÉTÉ 2026 !!", "\xff\xfe"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, label, text string) {
		sk := skills.Skill{ID: "x", Label: label}
		lexiconMatch(sk, stems(text))
		if len(significant(label)) > 0 && !lexiconMatch(sk, stems(label)) {
			t.Errorf("the label %q is not found in itself", label)
		}
	})
}
