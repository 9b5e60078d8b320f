package search

import "strings"

// stem reduces a folded French word (lower case, no accents) to a light
// stem: plural and feminine forms meet their masculine singular, and
// nothing more. It follows the spirit of Savoy's "light" French stemmer
// (inflection only, no derivation), so that words of one family with
// different meanings stay apart: formation and formateur, gestion and
// gestionnaire, commerce and commercial keep their own stems, while
// développeur, développeurs and développeuse share one.
//
// Words holding a digit (certification codes, postcodes, hours) and words
// of three letters or fewer are returned unchanged.
func stem(w string) string {
	if len(w) <= 3 || hasDigit(w) {
		return w
	}
	// Plural.
	switch {
	case strings.HasSuffix(w, "aux") && len(w) > 5:
		w = w[:len(w)-3] + "al" // chevaux, régionaux -> cheval, regional
	case strings.HasSuffix(w, "eux") && len(w) > 4:
		// heureux, sérieux are already singular; jeux, feux keep "eu" alike.
		w = w[:len(w)-1]
	case strings.HasSuffix(w, "x") && len(w) > 4:
		w = w[:len(w)-1]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		// anglais, francais, bus keep an s that belongs to the word.
		w = w[:len(w)-1]
	}
	// Feminine, masculine plural forms already reduced above.
	for _, r := range feminine {
		if strings.HasSuffix(w, r.from) && len(w)-len(r.from) >= r.min {
			w = w[:len(w)-len(r.from)] + r.to
			break
		}
	}
	// A final mute e: anglaise -> anglais, comptable -> comptabl,
	// entreprise -> entrepris. Kept for short words, where it carries
	// meaning (cale, code).
	if len(w) > 5 && w[len(w)-1] == 'e' {
		w = w[:len(w)-1]
	}
	return w
}

// feminine maps feminine endings to masculine ones, longest first; min is
// the least length the remaining root must have.
var feminine = []struct {
	from, to string
	min      int
}{
	{"trice", "teur", 3}, // formatrice, conductrice -> formateur, conducteur
	{"euse", "eur", 3},   // développeuse, vendeuse -> développeur, vendeur
	{"enne", "en", 3},    // européenne, technicienne -> europeen, technicien
	{"elle", "el", 3},    // professionnelle -> professionnel
	{"ere", "er", 3},     // boulangère, première -> boulanger, premier
	{"ive", "if", 3},     // active, intensive -> actif, intensif
	{"ee", "e", 3},       // certifiée -> certifie
}

func hasDigit(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			return true
		}
	}
	return false
}
