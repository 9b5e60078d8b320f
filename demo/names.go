package demo

import (
	"strings"
	"unicode/utf8"
)

// multi marks the general training centres (GRETA-like public networks,
// consular and associative centres) that teach families of several sectors.
const multi = nSectors

// nameTemplates are the provider names per sector, multi last. {V} is the
// town, {deV} "de Lyon", "d'Annecy" or "du Mans", {Q} a qualifier and {D}
// the department's name.
var nameTemplates = [nSectors + 1][]string{
	driving: {
		"Auto-école {Q}",
		"Auto-école {Q} – {V}",
		"École de conduite {deV}",
		"{V} Permis",
		"Conduite & Réussite {V}",
		"Centre de conduite {Q}",
	},
	safety: {
		"{V} Sécurité Formation",
		"Centre de formation sécurité {deV}",
		"Prévention & Sécurité {V}",
		"Institut de prévention {deV}",
		"Logistique Formation {V}",
		"Cap Sécurité {Q}",
	},
	languages: {
		"Langues & Co {V}",
		"Institut de langues {deV}",
		"{V} Language Centre",
		"Maison des langues {deV}",
		"Babel Formation {V}",
		"Lingua {Q}",
	},
	office: {
		"{V} Informatique Formation",
		"Atelier numérique {deV}",
		"Digital Campus {V}",
		"Bureautique Pro {V}",
		"Clic & Compétences {V}",
		"Espace multimédia {Q}",
	},
	software: {
		"École du code {deV}",
		"Institut du numérique {deV}",
		"{V} Dev Academy",
		"Campus numérique {deV}",
		"Fabrique numérique {deV}",
		"Code & Co {V}",
	},
	business: {
		"Institut de gestion {deV}",
		"{V} Formation Tertiaire",
		"Comptabilité & Gestion {V}",
		"Cap Entreprendre {V}",
		"Management & Compétences {V}",
		"Centre de formation tertiaire {Q}",
	},
	care: {
		"Institut de formation sanitaire et sociale {deV}",
		"Centre de formation aux métiers du soin {deV}",
		"{V} Services à la personne Formation",
		"Soins & Compétences {V}",
		"Institut des métiers de l'aide {deV}",
	},
	food: {
		"Centre de formation hôtellerie-restauration {deV}",
		"Toques & Formation {V}",
		"Hygiène & Restauration {V}",
		"Institut culinaire {deV}",
	},
	multi: {
		"GRETA {D}",
		"Centre de formation professionnelle {deV}",
		"{V} Formation",
		"Maison de la formation {deV}",
		"Centre de formation continue {deV}",
		"Institut de formation {Q}",
	},
}

// qualifiers are the place or founder names French training centres like.
var qualifiers = []string{
	"du Centre", "de la Gare", "de la Mairie", "Pasteur", "Victor Hugo",
	"Jean Jaurès", "Horizon", "Étoile", "Avenir", "Liberté", "du Marché",
	"des Remparts", "du Parc", "Saint-Michel", "Concorde", "Voltaire",
	"République", "des Halles", "Gambetta", "Carnot", "Montaigne", "Lumière",
}

// sectorLabels say what a provider of each sector teaches.
var sectorLabels = [nSectors + 1]string{
	driving:   "conduite et sécurité routière",
	safety:    "sécurité, prévention des risques et logistique",
	languages: "langues",
	office:    "bureautique et communication numérique",
	software:  "développement informatique et réseaux",
	business:  "gestion, commerce et création d'entreprise",
	care:      "santé et services à la personne",
	food:      "hôtellerie-restauration",
	multi:     "formation professionnelle continue dans de nombreux métiers",
}

// certifier is a Qualiopi certifying body and the shape of its
// certificate numbers.
type certifier struct {
	name   string
	weight int
	prefix string
}

// certifiers are real bodies accredited by COFRAC to deliver Qualiopi;
// certificate numbers are made up.
var certifiers = []certifier{
	{"AFNOR Certification", 20, "QUA-AFN-"},
	{"Bureau Veritas Certification", 15, "FR-BV-Q"},
	{"SGS ICS", 10, "FR-SGS-"},
	{"Certif'Innov", 12, "CI-QUALIOPI-"},
	{"ICPF", 15, "ICPF-Q-"},
	{"Qualitia Certification", 10, "QLT-"},
	{"I.Cert", 8, "ICERT-QUA-"},
	{"Apave Certification", 5, "APAVE-Q-"},
	{"DEKRA Certification", 5, "DEKRA-QOF-"},
}

// deVille returns "de Lyon", "d'Orléans", "du Mans" or "des Ulis".
func deVille(town string) string {
	switch {
	case strings.HasPrefix(town, "Le "):
		return "du " + town[3:]
	case strings.HasPrefix(town, "Les "):
		return "des " + town[4:]
	case startsWithVowel(town):
		return "d'" + town
	}
	return "de " + town
}

// aVille returns "à Lyon", "au Mans" or "aux Ulis".
func aVille(town string) string {
	switch {
	case strings.HasPrefix(town, "Le "):
		return "au " + town[3:]
	case strings.HasPrefix(town, "Les "):
		return "aux " + town[4:]
	}
	return "à " + town
}

func startsWithVowel(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return strings.ContainsRune("AEIOUYÂÉÈÊÎÔÛ", r)
}

// slug turns a name into a host-name label: lower-case ASCII letters and
// digits joined by single hyphens, accents dropped, at most 50 bytes cut
// between words.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if f, ok := unaccent[r]; ok {
			r = f
		}
		switch {
		case r == 'œ' || r == 'Œ':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteString("oe")
			dash = false
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		case r >= 'A' && r <= 'Z':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r + 'a' - 'A')
			dash = false
		default:
			dash = true
		}
	}
	s := b.String()
	if len(s) > 50 {
		// Cut at a word boundary: "…-sociale-de-taverny" loses whole words.
		s = s[:50]
		if i := strings.LastIndexByte(s, '-'); i > 0 {
			s = s[:i]
		}
	}
	return s
}

var unaccent = map[rune]rune{
	'à': 'a', 'â': 'a', 'ä': 'a', 'á': 'a', 'ç': 'c', 'é': 'e', 'è': 'e',
	'ê': 'e', 'ë': 'e', 'î': 'i', 'ï': 'i', 'í': 'i', 'ô': 'o', 'ö': 'o',
	'ó': 'o', 'ù': 'u', 'û': 'u', 'ü': 'u', 'ú': 'u', 'ÿ': 'y', 'ñ': 'n',
	'À': 'a', 'Â': 'a', 'Ç': 'c', 'É': 'e', 'È': 'e', 'Ê': 'e', 'Î': 'i',
	'Ô': 'o', 'Û': 'u', 'Ü': 'u',
}
