package search

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parcours/parcours/fold"
)

// The analysis of French text shared by offers and queries:
//
//  1. elided articles and pronouns are dropped with their apostrophe
//     (l'anglais, d'anglais, qu'un -> anglais, un);
//  2. the text is folded (package fold): lower case, accents removed;
//  3. "RNCP 37674" and "rs 5436" are joined into one code word;
//  4. stop words (le, de, pour...), the word "formation" that every offer
//     holds, and sales words (meilleur, promo, exceptionnel...) are dropped;
//  5. every other word is reduced to its light stem (stem).
//
// Words holding a digit are kept whole and never stemmed: certification
// codes, postcodes and numbers match exactly or not at all.

// elided are the French words that lose their vowel before an
// apostrophe (l'anglais, qu'un), folded.
var elided = set("l d j m n s t c qu jusqu lorsqu puisqu presqu quoiqu")

// isApostrophe reports whether r is one of the apostrophes French text uses.
func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

// rawWords splits s into folded words, dropping elided words (a word
// directly followed by an apostrophe and in elided). ASCII words are
// folded by hand; others through fold.String.
func rawWords(s string) []string {
	out := make([]string, 0, len(s)/7+1)
	start := -1
	ascii := true
	flush := func(end int, apostrophe bool) {
		if start < 0 {
			return
		}
		tok := s[start:end]
		start = -1
		var w string
		if ascii {
			w = asciiLower(tok)
		} else {
			w = foldLatin(tok)
		}
		if apostrophe && elided[w] {
			return
		}
		if strings.IndexByte(w, ' ') >= 0 {
			out = append(out, strings.Fields(w)...)
		} else if w != "" {
			out = append(out, w)
		}
	}
	for i, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
				if start < 0 {
					start, ascii = i, true
				}
				continue
			}
			flush(i, r == '\'')
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			ascii = false
			continue
		}
		flush(i, isApostrophe(r))
	}
	flush(len(s), false)
	return out
}

// latin folds the accented letters of French to their base letters.
var latin = map[rune]string{
	'à': "a", 'â': "a", 'ä': "a", 'á': "a", 'ã': "a", 'å': "a", 'ç': "c", 'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'î': "i", 'ï': "i", 'í': "i", 'ì': "i", 'ô': "o", 'ö': "o", 'ó': "o", 'ò': "o", 'õ': "o", 'ù': "u", 'û': "u",
	'ü': "u", 'ú': "u", 'ÿ': "y", 'ñ': "n", 'œ': "oe", 'æ': "ae",
}

// foldLatin folds a word the way fold.String does, quickly for the
// letters of French; any other non-ASCII letter sends the word through
// fold.String.
func foldLatin(tok string) string {
	b := make([]byte, 0, len(tok))
	for _, r := range tok {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b = append(b, byte(r))
		case latin[r] != "":
			b = append(b, latin[r]...)
		case latin[unicode.ToLower(r)] != "":
			b = append(b, latin[unicode.ToLower(r)]...)
		default:
			return fold.String(tok)
		}
	}
	return string(b)
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// stopWords are French words too common to tell offers apart, with the
// words every training offer holds. The list is written by hand from the
// common French function words; folded.
var stopWords = set(`a afin ai aie ainsi alors au aucun aucune aupres auquel aussi autre autres aux auxquelles auxquels avait avant avec avoir
	ayant c ca ce ceci cela celle celles celui cependant certain certaines certains ces cet cette ceux chacun chaque chez ci comme comment
	dans de dela depuis des desquelles desquels dessous dessus doit donc dont du duquel durant elle elles en encore entre est et etaient
	etait etant ete etre eu eux fait faire font hormis ici il ils je jusqu jusque la laquelle le lequel les lesquelles lesquels leur leurs
	lors lorsque lui ma mais me meme memes mes moi mon ne ni nos notre nous on ont or ou par parce parmi pas peu peut plus plutot pour pourquoi
	quand que quel quelle quelles quels qui quoi sa sans se selon ses si sien soi soit son sont sous sur ta te tes toi ton tous tout toute
	toutes tres tu un une unes uns vers via voici voila vos votre vous y
	formation formations cpf`)

// salesWords are promotional words. They are never indexed and ignored in
// queries, so that no title gains anything by shouting them.
var salesWords = set(`meilleur meilleure meilleurs meilleures promo promos promotion promotions offert offerte offerts offertes exceptionnel
	exceptionnelle exceptionnels garanti garantie garantis incroyable incroyables exclusif exclusive exclusifs top leader leaders premium
	reduction reductions remise remises urgent imbattable imbattables n1 no1 incontournable incontournables
	excellent excellente excellents excellentes gratuit gratuite gratuits gratuites`)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// words returns the significant folded words of s in order: elisions,
// stop words and sales words removed, certification codes joined. It does
// not stem.
func words(s string) []string {
	ws := rawWords(s)
	out := ws[:0]
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if (w == "rncp" || w == "rs") && i+1 < len(ws) && allDigits(ws[i+1]) {
			out = append(out, w+ws[i+1])
			i++
			continue
		}
		if stopWords[w] || salesWords[w] {
			continue
		}
		out = append(out, w)
	}
	return out
}

// analyze returns the stems of s in order (see words and stem).
func analyze(s string) []string {
	ws := words(s)
	for i, w := range ws {
		ws[i] = stem(w)
	}
	// A plural sales word ("promos") is caught once stemmed.
	out := ws[:0]
	for _, w := range ws {
		if !salesStems[w] {
			out = append(out, w)
		}
	}
	return out
}

var salesStems = func() map[string]bool {
	m := map[string]bool{}
	for w := range salesWords {
		m[stem(w)] = true
	}
	return m
}()

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// abbreviations are the acronyms learners type for common certifications
// and trades, with what they stand for. An offer whose title,
// certification or skills hold the phrase is also found by the acronym,
// and one that holds the acronym is found by the phrase's words.
var abbreviations = map[string]string{
	"dwwm":  "développeur web et web mobile",
	"cda":   "concepteur développeur d'applications",
	"cdui":  "concepteur designer UI",
	"tssr":  "technicien supérieur systèmes et réseaux",
	"tai":   "technicien d'assistance informatique",
	"sst":   "sauveteur secouriste du travail",
	"aps":   "agent de prévention et de sécurité",
	"ssiap": "service de sécurité incendie et d'assistance à personnes",
	"haccp": "hygiène alimentaire",
	"fle":   "français langue étrangère",
	"pemp":  "plates-formes élévatrices mobiles de personnes",
	"avf":   "assistant de vie aux familles",
	"deas":  "diplôme d'État d'aide-soignant",
	"pcie":  "passeport de compétences informatique européen",
	"icdl":  "passeport de compétences informatique européen",
	"cqp":   "certificat de qualification professionnelle",
	"gcf":   "gestionnaire comptable et fiscal",
	"pao":   "publication assistée par ordinateur",
	"rh":    "ressources humaines",
	"etg":   "épreuve théorique générale",
	"vae":   "validation des acquis de l'expérience",
}

// synonyms are groups of words a learner may type for one another. A
// query word of a group also matches offers holding any other word of it;
// such a match counts as an exact one.
var synonymGroups = [][]string{
	{"compta", "comptabilité", "comptable"},
	{"excel", "tableur"},
	{"word", "traitement de texte"},
	{"anglais", "english"},
	{"informatique", "info"},
	{"développeur", "dev", "programmeur", "développement"},
	{"cariste", "chariot", "chariots"},
	{"nacelle", "pemp"},
	{"secourisme", "secouriste"},
	{"cuisinier", "cuisine"},
	{"vendeur", "vente"},
	{"soudeur", "soudure"},
	{"auto-école", "conduite", "conduire"},
	{"poids lourd", "camion"},
	{"secrétaire", "secrétariat"},
	{"manager", "management", "encadrement"},
	{"photoshop", "retouche"},
	{"réseaux sociaux", "community manager"},
}

// synonyms maps a stem to the other stems of its groups. Multi-word
// entries only give their first significant stem as an alternative to the
// others: a query word finds offers holding any one of them.
var synonyms = func() map[string][]string {
	m := map[string][]string{}
	for _, g := range synonymGroups {
		var stems []string
		for _, w := range g {
			if a := analyze(w); len(a) > 0 {
				stems = append(stems, a[0])
			}
		}
		for _, s := range stems {
			for _, o := range stems {
				if o != s && !contains(m[s], o) {
					m[s] = append(m[s], o)
				}
			}
		}
	}
	return m
}()

// abbrev is an acronym, as a stem, and its phrase's stems.
type abbrev struct {
	token  string
	phrase []string
}

// abbrevByToken maps an acronym's stem to its phrase's stems, and
// abbrevByFirst a phrase's first stem to the acronyms it may start.
var abbrevByToken, abbrevByFirst = func() (map[string][]string, map[string][]abbrev) {
	byToken, byFirst := map[string][]string{}, map[string][]abbrev{}
	for a, phrase := range abbreviations {
		ab := abbrev{token: stem(a), phrase: analyze(phrase)}
		if len(ab.phrase) == 0 {
			continue
		}
		byToken[ab.token] = ab.phrase
		byFirst[ab.phrase[0]] = append(byFirst[ab.phrase[0]], ab)
	}
	return byToken, byFirst
}()

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// expandAbbreviations returns the acronyms whose phrase appears, in order
// and contiguous, in stems, and the phrase stems of the acronyms stems
// holds.
func expandAbbreviations(stems []string) []string {
	var extra []string
	for i, s := range stems {
		extra = append(extra, abbrevByToken[s]...)
		for _, a := range abbrevByFirst[s] {
			if i+len(a.phrase) <= len(stems) && slices.Equal(stems[i:i+len(a.phrase)], a.phrase) {
				extra = append(extra, a.token)
			}
		}
	}
	return extra
}
