package controls

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// The nightly scan at the target scale: 300,000 offers of 3,000 providers
// over 2,000 certifications, 1,000,000 dossiers and 300,000 evaluations,
// generated, a few of them fraudulent. The store's reading is left out
// (see docs/benchmarks.md): this is the detectors' own cost.

const (
	benchProviders   = 3_000
	benchCerts       = 2_000
	benchOffers      = 300_000
	benchDossiers    = 1_000_000
	benchEvaluations = 300_000
)

var benchNow = time.Date(2026, 5, 4, 3, 40, 0, 0, time.UTC)

// benchSet is the generated catalogue and the pools the dossiers draw from.
type benchSet struct {
	providers []marketplace.Provider
	offers    []marketplace.Offer
	accounts  []string
	dossierID []string
	comments  []string
}

func newBenchSet() *benchSet {
	r := rand.New(rand.NewPCG(11, 11))
	s := &benchSet{}
	for i := range benchProviders {
		q := marketplace.Qualiopi{Certificate: "Q", ValidUntil: benchNow.AddDate(1, 0, 0)}
		if i%500 == 0 {
			q.ValidUntil = benchNow.AddDate(0, -1, 0)
		}
		s.providers = append(s.providers, marketplace.Provider{ID: fmt.Sprintf("prov-%05d", i), Qualiopi: q})
	}
	for i := range benchOffers {
		cert := fmt.Sprintf("RNCP%05d", r.IntN(benchCerts))
		hours := 20 + r.IntN(200)
		price := int64(hours) * int64(3000+r.IntN(3000))
		if i%10_000 == 0 {
			price *= 5
		}
		p := s.providers[r.IntN(benchProviders)].ID
		title := fmt.Sprintf("Formation %d", i)
		if i < 150 { // one provider floods 150 towns
			p, title, cert = "prov-00007", "Permis B accéléré", "RS5041"
		}
		desc := benchDescriptions[r.IntN(len(benchDescriptions))]
		if i%20_000 == 1 {
			desc = "Stage résidentiel de purification : jeûne hydrique, soins énergétiques et harmonisation des chakras."
		}
		s.offers = append(s.offers, marketplace.Offer{ID: fmt.Sprintf("off-%06d", i), ProviderID: p, Title: title, Description: desc,
			Certification: marketplace.Certification{Code: cert}, PriceCents: price, Hours: hours, Commune: fmt.Sprintf("%05d", r.IntN(35_000)),
			Status: marketplace.Published})
	}
	for i := range 400_000 {
		s.accounts = append(s.accounts, fmt.Sprintf("acct-%06d", i))
	}
	for i := range 10_000 {
		s.dossierID = append(s.dossierID, fmt.Sprintf("doss-%07d", i))
	}
	for i := range 1000 {
		s.comments = append(s.comments, fmt.Sprintf("Très bonne formation numéro %d, formateur disponible et contenu utile.", i))
	}
	return s
}

// benchDescriptions are ordinary offer descriptions, as long as real ones.
var benchDescriptions = []string{
	"Huit mois pour apprendre HTML, CSS, JavaScript, les bases de données relationnelles et le déploiement d'applications. Projet en équipe, stage de deux mois et préparation au titre professionnel.",
	"Pose et raccordement des canalisations, installation de chaudières et de pompes à chaleur, soudure, lecture de plans et normes de sécurité. Quatre semaines de stage en entreprise.",
	"Techniques de vente, accueil de la clientèle, encaissement et merchandising. Mises en situation en magasin pédagogique et stage de six semaines.",
	"Saisie comptable, rapprochements bancaires, déclarations de TVA et paie. Formation accessible aux personnes en situation de handicap.",
	"Compréhension orale et écrite, expression en réunion et rédaction de courriels en anglais. Test de positionnement et passage du TOEIC en fin de parcours.",
	"Conduite en sécurité des chariots élévateurs de catégories 1A, 3 et 5, théorie et pratique, avec test CACES en fin de formation.",
}

// feed gives the scanner everything, generating the dossiers and
// evaluations on the fly in one reused record so that the benchmark's
// memory is the scanner's.
func (s *benchSet) feed(sc *scanner, scan bool) {
	r := rand.New(rand.NewPCG(7, 7))
	if scan {
		for _, p := range s.providers {
			sc.addProvider(p)
		}
		for _, o := range s.offers {
			sc.addOffer(o)
		}
		sc.offersDone()
	}
	var d marketplace.Dossier
	states := []marketplace.DossierState{marketplace.ServiceDoneValidated, marketplace.ServiceDoneValidated, marketplace.ServiceDoneValidated,
		marketplace.InTraining, marketplace.Accepted, marketplace.ServiceDoneDeclared, marketplace.CanceledByAttendee}
	for i := range benchDossiers {
		o := &s.offers[r.IntN(benchOffers)]
		d.ID, d.OfferID, d.ProviderID, d.AccountID = s.dossierID[i%len(s.dossierID)], o.ID, o.ProviderID, s.accounts[r.IntN(len(s.accounts))]
		d.State = states[r.IntN(len(states))]
		d.Billing = marketplace.DepositPaid
		d.PriceCents = o.PriceCents
		d.RequestedAt = benchNow.Add(-time.Duration(r.IntN(180*24)) * time.Hour)
		d.EnteredAt = d.RequestedAt.AddDate(0, 0, 15)
		d.ExitedAt, d.CompletionRate = time.Time{}, 0
		if d.State == marketplace.ServiceDoneDeclared {
			days := o.Hours/7 + 1
			if i%5_000 == 0 {
				days = 1 // declared too fast
			}
			d.ExitedAt, d.CompletionRate = d.EnteredAt.AddDate(0, 0, days), 100
		}
		if scan {
			sc.addDossier(d)
		}
	}
	if scan {
		sc.dossiersDone()
	}
	var e marketplace.Evaluation
	for i := range benchEvaluations {
		e.DossierID, e.ProviderID = s.dossierID[i%len(s.dossierID)], s.providers[r.IntN(benchProviders)].ID
		e.Scores = [6]int{5, 4 + r.IntN(2), 5, 4, 4 + r.IntN(2), 5}
		e.Comment = s.comments[r.IntN(len(s.comments))]
		if i < 40 {
			e.ProviderID, e.Scores, e.Comment = "prov-00042", [6]int{5, 5, 5, 5, 5, 5}, "Formation au top, formateur génial, je recommande à 100% !"
		}
		if scan {
			sc.addEvaluation(e)
		}
	}
	if scan {
		sc.evaluationsDone()
	}
}

// BenchmarkNightlyScan is the scan's time and memory over the whole set,
// text screening of every published offer included;
// heap-MB is the live heap at the end of the scan (its aggregates and
// alerts), alerts the number raised.
func BenchmarkNightlyScan(b *testing.B) {
	set := newBenchSet()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	b.ResetTimer()
	for b.Loop() {
		sc := newScanner(benchNow, PaymentHoldScore)
		sc.screener = NewTextScreener(nil, Thresholds{})
		set.feed(sc, true)
		b.StopTimer()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b.ReportMetric(float64(m.HeapInuse-base.HeapInuse)/(1<<20), "heap-MB")
		b.ReportMetric(float64(len(sc.alerts)), "alerts")
		if sc.counts.Alerts[DetectSect] != benchOffers/20_000 || sc.counts.Alerts[DetectFlooding] == 0 || sc.counts.Alerts[DetectEvaluations] == 0 || sc.counts.Alerts[DetectFastExit] == 0 {
			b.Fatalf("the planted frauds were not all found: %v", sc.counts.Alerts)
		}
		runtime.KeepAlive(sc)
		b.StartTimer()
	}
}

// BenchmarkNightlyScanFeedOnly is the generation of the dossiers and
// evaluations alone, to subtract from BenchmarkNightlyScan.
func BenchmarkNightlyScanFeedOnly(b *testing.B) {
	set := newBenchSet()
	b.ResetTimer()
	for b.Loop() {
		set.feed(nil, false)
	}
}

// BenchmarkScreenOffer is the screening of one offer before publication.
func BenchmarkScreenOffer(b *testing.B) {
	s := NewTextScreener(nil, Thresholds{})
	t := Text{Kind: KindOffer, Certification: "RNCP37674", Fields: map[string]string{
		"title":       "Développeur web et web mobile",
		"description": "Huit mois pour apprendre HTML, CSS, JavaScript, les bases de données relationnelles et le déploiement d'applications. Projet en équipe, stage de deux mois, accompagnement à la recherche d'emploi et préparation au titre professionnel.",
		"objectives":  "Maquetter une application, réaliser une interface utilisateur, développer les composants d'accès aux données.",
	}}
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Screen(ctx, t); err != nil {
			b.Fatal(err)
		}
	}
}
