package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// French typography puts a narrow no-break space between groups of
// thousands and a no-break space between a number and its unit.
const (
	thinSpace = "\u202f"
	nbsp      = "\u00a0"
)

var monthNames = [...]string{
	"janvier", "février", "mars", "avril", "mai", "juin",
	"juillet", "août", "septembre", "octobre", "novembre", "décembre",
}

// frenchDate writes a day the French way: "12 janvier 2027", and
// "1er mars 2027" for the first of the month. The date is read in UTC,
// which is how the marketplace stores days.
func frenchDate(t time.Time) string {
	t = t.UTC()
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return day + nbsp + monthNames[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// groupThousands writes a non-negative integer with narrow no-break spaces
// between groups of three digits: 1250 -> "1 250".
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteString(thinSpace)
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// euros writes an amount of cents in euros the French way: "1 250 €",
// "12,50 €"; cents are shown only when there are some.
func euros(cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	s := groupThousands(cents / 100)
	if c := cents % 100; c != 0 {
		s += "," + strconv.FormatInt(c/10, 10) + strconv.FormatInt(c%10, 10)
	}
	if neg {
		s = "−" + s
	}
	return s + nbsp + "€"
}

// price writes an offer's price, "Gratuit" when it costs nothing.
func price(cents int64) string {
	if cents == 0 {
		return "Gratuit"
	}
	return euros(cents)
}

// hours writes a duration in hours: "1 heure", "35 heures", "1 200 heures".
func hours(n int) string {
	if n == 1 || n == 0 {
		return strconv.Itoa(n) + nbsp + "heure"
	}
	return groupThousands(int64(n)) + nbsp + "heures"
}

// count writes a number of things with the French plural: the singular for
// 0 and 1 ("0 formation", "1 formation", "2 formations").
func count(n int, singular, plural string) string {
	if n <= 1 {
		return strconv.Itoa(n) + nbsp + singular
	}
	return groupThousands(int64(n)) + nbsp + plural
}

// modalityLabel names a delivery modality in French.
func modalityLabel(m marketplace.Modality) string {
	switch m {
	case marketplace.InPerson:
		return "Présentiel"
	case marketplace.Distance:
		return "À distance"
	case marketplace.Mixed:
		return "Mixte"
	}
	return string(m)
}

// modalityParams maps the values of the modality filter in page addresses
// to the marketplace's modalities. The French words keep addresses readable.
var modalityParams = map[string]marketplace.Modality{
	"presentiel": marketplace.InPerson,
	"distance":   marketplace.Distance,
	"mixte":      marketplace.Mixed,
}

// siret writes a SIRET in its usual groups: "123 456 789 00012".
func siret(s string) string {
	if len(s) != 14 {
		return s
	}
	return s[:3] + nbsp + s[3:6] + nbsp + s[6:9] + nbsp + s[9:]
}
