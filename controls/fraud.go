package controls

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// Fraud detectors: each is a pure function of what it reads, returning a
// Hit (score 0 to 1, reasons, evidence) or nothing. The real-time checks
// and the nightly scan call the same functions; their thresholds are
// constants here, chosen on the labelled dossier histories of testdata
// and documented in docs/controls.md.

// Hit is one detector's finding about a subject.
type Hit struct {
	Detector string
	Score    float64
	Reasons  []string
	Evidence []Evidence
}

// Detector parameters.
const (
	// MaxHoursPerDay is the most training hours a day can hold: the
	// labour code's daily maximum of ten hours of work.
	MaxHoursPerDay = 10
	// PriceZ is the robust z-score (0.6745 (x - median) / MAD) above which
	// a price is an outlier (Iglewicz and Hoaglin's 3.5).
	PriceZ = 3.5
	// PriceMinSample is the fewest offers of one certification for a
	// price baseline.
	PriceMinSample = 8
	// VolumeZ is the robust z-score of a week's requests above the
	// provider's weekly history from which the volume is abnormal.
	VolumeZ = 5
	// VolumeMinRequests is the fewest requests in a week to look at.
	VolumeMinRequests = 20
	// VolumeHistoryWeeks is how many past weeks make the history.
	VolumeHistoryWeeks = 26
	// TakeoverWindow is how recent a change of contact or bank details
	// must be, before a purchase, to look like an account takeover.
	TakeoverWindow = 72 * time.Hour
	// CanvassingWindow is how far back a search or a visit must be found
	// before an enrolment request.
	CanvassingWindow = 30 * 24 * time.Hour
	// OriginWindow is the period over which accounts sharing a device or
	// an IP address are counted; DeviceAccounts and IPAccounts are the
	// counts from which it is suspicious. A shared origin alone never
	// holds a payment (its score stays below PaymentHoldScore): public
	// computers of libraries and employment agencies, and company
	// networks behind one address, are legitimate shared origins.
	OriginWindow   = 30 * 24 * time.Hour
	DeviceAccounts = 4
	IPAccounts     = 10
	// IdenticalEvaluations is the size of a group of identical evaluations
	// (same scores, same comment of at least MinCommentRunes) that is
	// suspicious.
	IdenticalEvaluations = 5
	MinCommentRunes      = 20
	// FloodTowns is the number of towns from which one training published
	// again and again is flooding.
	FloodTowns = 20
	// PaymentHoldScore is the combined score of a dossier from which its
	// payment is held.
	PaymentHoldScore = 0.7
)

func euros(cents int64) string {
	return fmt.Sprintf("%d,%02d €", cents/100, cents%100)
}

// Median returns the median of xs (which it sorts); 0 when empty.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// MAD returns the median absolute deviation of xs from med.
func MAD(xs []float64, med float64) float64 {
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - med)
	}
	return Median(dev)
}

// Baseline is the usual price of a certification's offers: the median and
// MAD of their prices and of their prices per hour.
type Baseline struct {
	N                   int
	Median, MAD         float64 // cents
	HourMedian, HourMAD float64 // cents per hour
}

// NewBaseline computes a baseline from prices (cents) and hours.
func NewBaseline(prices []float64, perHour []float64) Baseline {
	b := Baseline{N: len(prices)}
	b.Median = Median(prices)
	b.MAD = MAD(prices, b.Median)
	b.HourMedian = Median(perHour)
	b.HourMAD = MAD(perHour, b.HourMedian)
	return b
}

// robustZ is 0.6745 (x - med) / MAD, with the MAD floored at 5% of the
// median so that a certification whose offers all cost the same does not
// make every other price infinitely far.
func robustZ(x, med, mad float64) float64 {
	mad = max(mad, 0.05*med, 1)
	return 0.6745 * (x - med) / mad
}

// PriceOutlier flags a price far above its certification's usual price:
// both the price and the price per hour must be outliers, so that a
// longer, legitimately dearer training is not flagged.
func PriceOutlier(priceCents int64, hours int, cert string, b Baseline) (Hit, bool) {
	if b.N < PriceMinSample || hours <= 0 || priceCents <= 0 {
		return Hit{}, false
	}
	z := robustZ(float64(priceCents), b.Median, b.MAD)
	hz := robustZ(float64(priceCents)/float64(hours), b.HourMedian, b.HourMAD)
	if z < PriceZ || hz < PriceZ || float64(priceCents) < 1.5*b.Median {
		return Hit{}, false
	}
	score := min(0.95, 0.55+0.05*(min(z, hz)-PriceZ))
	return Hit{Detector: DetectPrice, Score: round2(score),
		Reasons: []string{fmt.Sprintf("Le prix (%s) est %.1f fois le prix médian des %d offres de la certification %s, et le prix horaire est lui aussi hors norme.",
			euros(priceCents), float64(priceCents)/b.Median, b.N, cert)},
		Evidence: []Evidence{
			{"Prix", euros(priceCents)}, {"Durée", fmt.Sprintf("%d h", hours)},
			{"Prix médian de la certification", euros(int64(b.Median))},
			{"Écart absolu médian", euros(int64(b.MAD))},
			{"Score z robuste (prix, prix horaire)", fmt.Sprintf("%.1f ; %.1f", z, hz)},
			{"Offres comparées", fmt.Sprint(b.N)},
		}}, true
}

// FastCompletion flags an exit declared with a completion the training's
// hours cannot fit in the days elapsed since the entry (at most
// MaxHoursPerDay a day, every calendar day counted).
func FastCompletion(d marketplace.Dossier, hours int) (Hit, bool) {
	if d.ExitedAt.IsZero() || hours <= 0 || d.CompletionRate <= 0 {
		return Hit{}, false
	}
	start := d.EnteredAt
	if start.IsZero() {
		start = d.SessionStart
	}
	days := marketplace.Day(d.ExitedAt).Sub(marketplace.Day(start)).Hours()/24 + 1
	due := float64(hours) * float64(d.CompletionRate) / 100
	possible := days * MaxHoursPerDay
	if due <= possible {
		return Hit{}, false
	}
	short := 1 - possible/due
	score := min(0.95, 0.6+0.4*short)
	return Hit{Detector: DetectFastExit, Score: round2(score),
		Reasons: []string{fmt.Sprintf("La sortie est déclarée à %d %% après %.0f jour(s) de formation, alors que %.0f heures demandent au moins %.0f jours à raison de %d heures par jour.",
			d.CompletionRate, days, due, math.Ceil(due/MaxHoursPerDay), MaxHoursPerDay)},
		Evidence: []Evidence{
			{"Entrée", start.Format(time.DateOnly)}, {"Sortie déclarée", d.ExitedAt.Format(time.DateOnly)},
			{"Taux de réalisation", fmt.Sprintf("%d %%", d.CompletionRate)}, {"Durée de la formation", fmt.Sprintf("%d h", hours)},
			{"Heures possibles au plus", fmt.Sprintf("%.0f h", possible)},
		}}, true
}

// RequestVolume flags a provider whose requests of the last week are far
// above its weekly history (robust z-score over VolumeHistoryWeeks weeks).
// A provider without VolumeHistoryWeeks/4 weeks of history is only
// flagged from five times VolumeMinRequests a week.
func RequestVolume(providerID string, current int, history []int) (Hit, bool) {
	if current < VolumeMinRequests {
		return Hit{}, false
	}
	xs := make([]float64, len(history))
	for i, h := range history {
		xs[i] = float64(h)
	}
	med := Median(slices.Clone(xs))
	mad := MAD(xs, med)
	z := 0.6745 * (float64(current) - med) / max(mad, 0.1*med, 1)
	young := len(history) < VolumeHistoryWeeks/4
	switch {
	case young && current < 5*VolumeMinRequests:
		return Hit{}, false
	case !young && (z < VolumeZ || float64(current) < 3*med):
		return Hit{}, false
	}
	score := min(0.9, 0.5+0.02*(z-VolumeZ))
	if young {
		score = 0.5
	}
	return Hit{Detector: DetectVolume, Score: round2(score),
		Reasons: []string{fmt.Sprintf("L’organisme a reçu %d demandes d’inscription en 7 jours, contre %.0f par semaine en médiane sur ses %d semaines précédentes.",
			current, med, len(history))},
		Evidence: []Evidence{
			{"Demandes des 7 derniers jours", fmt.Sprint(current)}, {"Médiane hebdomadaire", fmt.Sprintf("%.0f", med)},
			{"Écart absolu médian", fmt.Sprintf("%.1f", mad)}, {"Score z robuste", fmt.Sprintf("%.1f", z)},
			{"Semaines d’historique", fmt.Sprint(len(history))},
		}}, true
}

// SharedOrigin flags an account enrolling from a device or an IP address
// that many other accounts used.
func SharedOrigin(deviceAccounts, ipAccounts []string) (Hit, bool) {
	nd, ni := len(deviceAccounts), len(ipAccounts)
	if nd < DeviceAccounts && ni < IPAccounts {
		return Hit{}, false
	}
	score := 0.0
	var reasons []string
	var ev []Evidence
	if nd >= DeviceAccounts {
		score = max(score, min(0.65, 0.5+0.03*float64(nd-DeviceAccounts)))
		reasons = append(reasons, fmt.Sprintf("%d comptes différents ont demandé une inscription depuis le même appareil en 30 jours.", nd))
		ev = append(ev, Evidence{"Comptes sur l’appareil", joinMax(deviceAccounts, 12)})
	}
	if ni >= IPAccounts {
		score = max(score, min(0.6, 0.45+0.02*float64(ni-IPAccounts)))
		reasons = append(reasons, fmt.Sprintf("%d comptes différents ont demandé une inscription depuis la même adresse IP en 30 jours.", ni))
		ev = append(ev, Evidence{"Comptes sur l’adresse IP", joinMax(ipAccounts, 12)})
	}
	return Hit{Detector: DetectSharedOrig, Score: round2(score), Reasons: reasons, Evidence: ev}, true
}

// ContactChanged flags a purchase shortly after the account's contact or
// bank details changed: what an account takeover looks like.
func ContactChanged(changed time.Time, what string, purchase time.Time) (Hit, bool) {
	if changed.IsZero() || changed.After(purchase) || purchase.Sub(changed) > TakeoverWindow {
		return Hit{}, false
	}
	score := 0.6
	if what == "bank" {
		score = 0.75
	}
	label := map[string]string{"bank": "coordonnées bancaires", "email": "adresse électronique", "phone": "numéro de téléphone"}[what]
	if label == "" {
		label = "coordonnées"
	}
	return Hit{Detector: DetectTakeover, Score: score,
		Reasons: []string{fmt.Sprintf("Les %s du compte ont changé %s avant l’achat.", label, humanDuration(purchase.Sub(changed)))},
		Evidence: []Evidence{{"Modification", changed.Format("2006-01-02 15:04")}, {"Nature", label},
			{"Achat", purchase.Format("2006-01-02 15:04")}}}, true
}

// NoSearch flags an enrolment request the account made without any search
// or visit of the catalogue in the CanvassingWindow before it: the sign of
// canvassing (démarchage), which the 2022 law bans. Only requests the
// controls saw (an enrol signal) are judged.
func NoSearch(signals []Signal, requested time.Time) (Hit, bool) {
	sawEnrol, browsed := false, false
	for _, s := range signals {
		switch {
		case s.Kind == SignalEnrol && !s.At.After(requested.Add(time.Minute)):
			sawEnrol = true
		case (s.Kind == SignalSearch || s.Kind == SignalVisit) && !s.At.After(requested) && requested.Sub(s.At) <= CanvassingWindow:
			browsed = true
		}
	}
	if !sawEnrol || browsed {
		return Hit{}, false
	}
	return Hit{Detector: DetectCanvassing, Score: 0.45,
		Reasons:  []string{"Le titulaire a demandé l’inscription sans avoir fait de recherche ni consulté d’offre dans les 30 jours précédents : signe possible de démarchage."},
		Evidence: []Evidence{{"Demande", requested.Format("2006-01-02 15:04")}, {"Recherches ou visites en 30 jours", "0"}}}, true
}

// QualiopiLapsed flags money committed to a provider whose Qualiopi
// certification is no longer valid.
func QualiopiLapsed(p marketplace.Provider, at time.Time, openDossiers, published int) (Hit, bool) {
	if p.Qualiopi.ValidAt(at) || openDossiers+published == 0 {
		return Hit{}, false
	}
	until := "jamais certifié"
	if !p.Qualiopi.ValidUntil.IsZero() {
		until = "expirée le " + p.Qualiopi.ValidUntil.Format(time.DateOnly)
	}
	score := 0.6
	if openDossiers > 0 {
		score = 0.8
	}
	return Hit{Detector: DetectQualiopi, Score: score,
		Reasons: []string{fmt.Sprintf("La certification Qualiopi de l’organisme n’est plus valide (%s) alors que %d dossier(s) sont en cours et %d offre(s) publiées.", until, openDossiers, published)},
		Evidence: []Evidence{{"Certificat", p.Qualiopi.Certificate}, {"Validité", until},
			{"Dossiers en cours", fmt.Sprint(openDossiers)}, {"Offres publiées", fmt.Sprint(published)}}}, true
}

// Flooding flags one training (same title and certification) published
// by one provider in many towns.
func Flooding(title, cert string, towns []string) (Hit, bool) {
	if len(towns) < FloodTowns {
		return Hit{}, false
	}
	score := min(0.9, 0.5+0.01*float64(len(towns)-FloodTowns))
	return Hit{Detector: DetectFlooding, Score: round2(score),
		Reasons:  []string{fmt.Sprintf("La même formation « %s » (%s) est publiée dans %d communes : inondation du catalogue.", title, cert, len(towns))},
		Evidence: []Evidence{{"Communes", fmt.Sprint(len(towns))}, {"Exemples (codes INSEE)", joinMax(towns, 10)}}}, true
}

// IdenticalBatch flags a group of identical evaluations of one provider.
func IdenticalBatch(n int, comment string, scores [6]int, dossiers []string) (Hit, bool) {
	if n < IdenticalEvaluations {
		return Hit{}, false
	}
	score := min(0.9, 0.55+0.03*float64(n-IdenticalEvaluations))
	return Hit{Detector: DetectEvaluations, Score: round2(score),
		Reasons:  []string{fmt.Sprintf("%d évaluations de l’organisme portent les mêmes notes et le même commentaire mot pour mot.", n)},
		Evidence: []Evidence{{"Commentaire", comment}, {"Notes", fmt.Sprint(scores)}, {"Dossiers (extrait)", joinMax(dossiers, 8)}}}, true
}

// Combine is the combined score of independent hits (noisy-or).
func Combine(hits []Hit) float64 {
	p := 1.0
	for _, h := range hits {
		p *= 1 - h.Score
	}
	return round2(1 - p)
}

func joinMax(xs []string, n int) string {
	out := ""
	for i, x := range xs {
		if i == n {
			return out + fmt.Sprintf(" … (+%d)", len(xs)-n)
		}
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

func humanDuration(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return fmt.Sprintf("%d heures", int(d.Hours()))
}
