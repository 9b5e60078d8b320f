package search

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStemMergesInflectionsOnly(t *testing.T) {
	same := [][]string{
		{"developpeur", "developpeurs", "developpeuse", "developpeuses"},
		{"formateur", "formateurs", "formatrice", "formatrices"},
		{"formation", "formations"},
		{"anglais", "anglaise", "anglaises"},
		{"professionnel", "professionnels", "professionnelle", "professionnelles"},
		{"commercial", "commerciaux", "commerciale"},
		{"boulanger", "boulangere", "boulangers"},
		{"technicien", "technicienne", "techniciens"},
		{"intensif", "intensive", "intensifs"},
		{"vendeur", "vendeuse", "vendeurs"},
	}
	for _, group := range same {
		for _, w := range group[1:] {
			if stem(w) != stem(group[0]) {
				t.Errorf("stem(%q) = %q, stem(%q) = %q: want the same", w, stem(w), group[0], stem(group[0]))
			}
		}
	}
	apart := [][2]string{
		{"formation", "formateur"},
		{"formation", "forme"},
		{"gestion", "gestionnaire"},
		{"commerce", "commercial"},
		{"comptable", "compte"},
		{"secretaire", "secretariat"},
		{"conducteur", "conduite"},
	}
	for _, p := range apart {
		if stem(p[0]) == stem(p[1]) {
			t.Errorf("stem(%q) = stem(%q) = %q: unrelated words merged", p[0], p[1], stem(p[0]))
		}
	}
	for _, w := range []string{"rncp37674", "69003", "r489", "b"} {
		if stem(w) != w {
			t.Errorf("stem(%q) = %q: words with digits and short words stay whole", w, stem(w))
		}
	}
}

func TestAnalyze(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"L'anglais pour les développeuses", []string{"anglais", "developpeur"}},
		{"d’anglais", []string{"anglais"}},
		{"Formation CPF au Permis B", []string{"permis", "b"}},
		{"RNCP 37674", []string{"rncp37674"}},
		{"rs5436 ", []string{"rs5436"}},
		{"MEILLEURE formation PROMO exceptionnelle : Excel !!!", []string{"excel"}},
		{"Qu'un CACES R489", []string{"cace", "r489"}},
	} {
		if diff := cmp.Diff(c.want, analyze(c.in)); diff != "" {
			t.Errorf("analyze(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestDamerau(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"anglais", "anglais", 0},
		{"angalis", "anglais", 1}, // swap
		{"anglai", "anglais", 1},
		{"englais", "anglais", 1},
		{"comptabilite", "comptabilte", 1},
		{"developeur", "developpeur", 1},
		{"devlopeur", "developpeur", 2},
	} {
		if got := damerau(c.a, c.b, 2); got != c.want {
			t.Errorf("damerau(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if got := damerau("abc", "xyzuvw", 2); got <= 2 {
		t.Errorf("far words: %d", got)
	}
}
