package controls

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parcours/parcours/marketplace"
)

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func registry(known map[string]string) Registry {
	return RegistryFunc(func(_ context.Context, code string) (string, bool, error) {
		t, ok := known[code]
		return t, ok, nil
	})
}

func screen(t *testing.T, reg Registry, x Text) Screening {
	t.Helper()
	sc, err := NewTextScreener(reg, Thresholds{}).Screen(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func criteria(sc Screening) map[string]string {
	m := map[string]string{}
	for _, f := range sc.Findings {
		m[f.Criterion] = f.Passage
	}
	return m
}

func TestSectarianDrift(t *testing.T) {
	healer := Text{Kind: KindOffer, Fields: map[string]string{
		"title":       "Devenez praticien en soins énergétiques",
		"description": "Vous apprendrez à rééquilibrer les chakras et à libérer les mémoires cellulaires. La formation se termine par une retraite de silence de dix jours avec jeûne hydrique. Le niveau 2 est réservé aux élèves ayant suivi le niveau 1.",
	}}
	sc := screen(t, nil, healer)
	if !sc.Hold {
		t.Fatalf("energy-healing offer not held: %+v", sc)
	}
	c := criteria(sc)
	for _, want := range []string{SectPseudoTherapy, SectFasting, SectIsolation, SectChain} {
		if c[want] == "" {
			t.Errorf("no %s finding in %v", want, c)
		}
	}
	if c[SectFasting] != "jeûne hydrique" {
		t.Errorf("passage quoted %q, want the words as written", c[SectFasting])
	}
	// Inflections: a verb in another person, plural and feminine forms.
	inflected := Text{Kind: KindOffer, Fields: map[string]string{"description": "Pendant le stage vous jeûnerez trois jours ; les praticiennes certifiées vous guideront vers l'éveil spirituel et la guérison quantique."}}
	c = criteria(screen(t, nil, inflected))
	for _, want := range []string{SectTitle, SectEsoteric, SectPseudoTherapy} {
		if c[want] == "" {
			t.Errorf("inflected text: no %s finding in %v", want, c)
		}
	}
}

func TestSectarianDriftTrueNegatives(t *testing.T) {
	for name, x := range map[string]Text{
		"plumbing": {Kind: KindOffer, Certification: "RNCP35150", Fields: map[string]string{
			"title": "Plombier chauffagiste", "description": "Pose et raccordement des canalisations, soudure, lecture de plans. Stage en entreprise de quatre semaines."}},
		"management": {Kind: KindOffer, Fields: map[string]string{
			"title": "Manager une équipe", "description": "Conduire un entretien annuel, déléguer, gérer les conflits. Des niveaux 1 et 2 de management."}},
		"nursing aide": {Kind: KindOffer, Fields: map[string]string{
			"title": "Aide-soignant", "description": "Soins d'hygiène et de confort, surveillance de l'état de santé, travail en équipe pluridisciplinaire."}},
	} {
		if sc := screen(t, nil, x); sc.Hold || len(sc.Findings) > 0 {
			t.Errorf("%s: %+v", name, sc)
		}
	}
}

// TestRegisteredYogaCertificationIsNotSectarian is the trap: a yoga-teacher
// training leading to a registered certification mentions chakras and a
// residential week; the same text without it waits for review.
func TestRegisteredYogaCertificationIsNotSectarian(t *testing.T) {
	yoga := Text{Kind: KindOffer, Certification: "RNCP36013", Fields: map[string]string{
		"title":       "Devenir professeur de yoga",
		"description": "Postures, respiration, anatomie et pédagogie. Un module présente l'histoire du yoga et la notion de chakras dans les textes anciens. Une semaine en stage résidentiel clôt la formation.",
	}}
	reg := registry(map[string]string{"RNCP36013": "Professeur de yoga"})
	if sc := screen(t, reg, yoga); sc.Hold {
		t.Errorf("registered yoga-teacher certification held: %+v", sc)
	}
	unregistered := yoga
	unregistered.Certification = ""
	if sc := screen(t, reg, unregistered); !sc.Hold {
		t.Errorf("the same text without a registered certification was not held: %+v", sc)
	}
}

func TestDiscrimination(t *testing.T) {
	post := Text{Kind: KindJobPost, Fields: map[string]string{
		"title":       "Hôtesse d'accueil",
		"description": "Rejoignez une jeune équipe dynamique, moins de 30 ans. Bonne présentation exigée. Nationalité française exigée. Candidates sans enfants de préférence.",
	}}
	sc := screen(t, nil, post)
	if !sc.Hold {
		t.Fatalf("not held: %+v", sc)
	}
	c := criteria(sc)
	want := map[string]string{CritAge: "", CritAppearance: "Bonne présentation exigée", CritOrigin: "Nationalité française exigée",
		CritFamily: "sans enfants", CritSex: "Hôtesse"}
	for k, passage := range want {
		if c[k] == "" || passage != "" && c[k] != passage {
			t.Errorf("criterion %s: passage %q, want %q", k, c[k], passage)
		}
	}
	// Prerequisites of a training.
	pre := Text{Kind: KindOffer, Fields: map[string]string{"prerequisites": "Être âgé de moins de 45 ans et en parfaite santé."}}
	c = criteria(screen(t, nil, pre))
	if c[CritAge] == "" || c[CritHealth] == "" {
		t.Errorf("prerequisites: %v", c)
	}
}

func TestDiscriminationTraps(t *testing.T) {
	for name, x := range map[string]Text{
		"H/F present":            {Kind: KindJobPost, Fields: map[string]string{"title": "Serveur H/F", "description": "Brasserie du centre-ville, service midi et soir."}},
		"F/H in the description": {Kind: KindJobPost, Fields: map[string]string{"title": "Chauffeur livreur", "description": "Poste ouvert F/H, permis B exigé."}},
		"inclusive form":         {Kind: KindJobPost, Fields: map[string]string{"title": "Vendeur·se en boulangerie"}},
		"apprenticeship age limit": {Kind: KindJobPost, Fields: map[string]string{"title": "Apprenti cuisinier H/F",
			"description": "Contrat d'apprentissage : vous avez moins de 30 ans à la signature du contrat."}},
		"legal minimum age": {Kind: KindOffer, Fields: map[string]string{"prerequisites": "Avoir 18 ans minimum et le permis B."}},
		"work permit":       {Kind: KindJobPost, Fields: map[string]string{"title": "Agent de sécurité H/F", "description": "Carte professionnelle et autorisation de travail en France valides."}},
		"open to disabled":  {Kind: KindJobPost, Fields: map[string]string{"title": "Comptable H/F", "description": "Poste ouvert aux personnes en situation de handicap."}},
		"training title in one gender": {Kind: KindOffer, Fields: map[string]string{"title": "Diplôme d'État d'aide-soignant",
			"description": "Formation préparant au diplôme."}},
	} {
		if sc := screen(t, nil, x); sc.Hold || len(sc.Findings) > 0 {
			t.Errorf("%s: flagged %+v", name, sc.Findings)
		}
	}
	if sc := screen(t, nil, Text{Kind: KindJobPost, Fields: map[string]string{"title": "Serveuse", "description": "Brasserie du centre-ville."}}); !sc.Hold {
		t.Errorf("a job title in one gender without H/F: %+v", sc)
	}
}

func TestPriceOutlier(t *testing.T) {
	var prices, perHour []float64
	for i := 0; i < 30; i++ {
		p := float64(1200_00 + 10_00*i)
		prices, perHour = append(prices, p), append(perHour, p/35)
	}
	b := NewBaseline(prices, perHour)
	if h, ok := PriceOutlier(4900_00, 35, "RS5517", b); !ok || h.Score < 0.55 {
		t.Errorf("4,900 EUR for 35 hours: %v %+v", ok, h)
	}
	if _, ok := PriceOutlier(1500_00, 35, "RS5517", b); ok {
		t.Error("an ordinary price was flagged")
	}
	// Trap: a much longer training costs more in total, not per hour.
	if _, ok := PriceOutlier(4900_00, 140, "RS5517", b); ok {
		t.Error("a long training at the usual hourly price was flagged")
	}
	if _, ok := PriceOutlier(9900_00, 35, "RS5517", NewBaseline(prices[:5], perHour[:5])); ok {
		t.Error("flagged on a sample too small")
	}
}

func TestFastCompletion(t *testing.T) {
	d := marketplace.Dossier{EnteredAt: t0, ExitedAt: t0.Add(24 * time.Hour), CompletionRate: 100}
	if h, ok := FastCompletion(d, 150); !ok || h.Score < 0.9 {
		t.Errorf("150 hours in 2 days: %v %+v", ok, h)
	}
	if _, ok := FastCompletion(d, 20); ok {
		t.Error("20 hours in 2 days flagged")
	}
	d.CompletionRate = 10
	if _, ok := FastCompletion(d, 150); ok {
		t.Error("a 10% exit after 2 days of a 150-hour training flagged")
	}
}

func TestRequestVolume(t *testing.T) {
	quiet := []int{3, 4, 2, 5, 3, 4, 3, 2, 4, 3, 5, 4}
	if h, ok := RequestVolume("p", 90, quiet); !ok || h.Score < 0.5 {
		t.Errorf("90 requests after ~3 a week: %v %+v", ok, h)
	}
	// Trap: a legitimately popular provider, steadily high.
	popular := []int{410, 395, 430, 402, 388, 420, 415, 399, 405, 412, 398, 425}
	if _, ok := RequestVolume("p", 440, popular); ok {
		t.Error("a popular provider's ordinary week flagged")
	}
	if _, ok := RequestVolume("p", 12, quiet); ok {
		t.Error("a small number flagged")
	}
	if _, ok := RequestVolume("p", 60, []int{1}); ok {
		t.Error("a young provider's first weeks flagged below the absolute bar")
	}
}

func TestSharedOriginAndCanvassingAndTakeover(t *testing.T) {
	accts := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("a%d", i))
		}
		return out
	}
	if _, ok := SharedOrigin(accts(2), accts(3)); ok {
		t.Error("a household flagged")
	}
	if h, ok := SharedOrigin(accts(9), accts(2)); !ok || h.Score >= PaymentHoldScore {
		t.Errorf("nine accounts on one device: flagged %v, score %+v (alone, below the hold)", ok, h)
	}
	req := t0
	enrol := Signal{Kind: SignalEnrol, At: req}
	if _, ok := NoSearch([]Signal{enrol}, req); !ok {
		t.Error("an enrolment without search not flagged")
	}
	if _, ok := NoSearch([]Signal{{Kind: SignalSearch, At: req.Add(-48 * time.Hour)}, enrol}, req); ok {
		t.Error("an enrolment after a search flagged")
	}
	if _, ok := NoSearch(nil, req); ok {
		t.Error("a request the controls never saw was judged")
	}
	if h, ok := ContactChanged(req.Add(-3*time.Hour), "bank", req); !ok || h.Score < PaymentHoldScore {
		t.Errorf("bank details changed 3 hours before: %v %+v", ok, h)
	}
	if _, ok := ContactChanged(req.Add(-30*24*time.Hour), "bank", req); ok {
		t.Error("a change a month before flagged")
	}
}

func TestScannerEvaluationsFloodingQualiopi(t *testing.T) {
	sc := newScanner(t0, PaymentHoldScore)
	lapsed := marketplace.Provider{ID: "old", Qualiopi: marketplace.Qualiopi{Certificate: "Q", ValidUntil: t0.AddDate(0, -2, 0)}}
	fine := marketplace.Provider{ID: "fine", Qualiopi: marketplace.Qualiopi{Certificate: "Q", ValidUntil: t0.AddDate(1, 0, 0)}}
	sc.addProvider(lapsed)
	sc.addProvider(fine)
	for i := 0; i < 30; i++ {
		sc.addOffer(marketplace.Offer{ID: fmt.Sprintf("flood-%d", i), ProviderID: "fine", Title: "Permis B accéléré", Certification: marketplace.Certification{Code: "RS1"},
			Commune: fmt.Sprintf("%05d", 10000+i), Status: marketplace.Published, PriceCents: 1000_00, Hours: 30})
	}
	for i := 0; i < 5; i++ { // trap: a chain in five towns is not flooding
		sc.addOffer(marketplace.Offer{ID: fmt.Sprintf("chain-%d", i), ProviderID: "fine", Title: "CACES R489", Certification: marketplace.Certification{Code: "RS2"},
			Commune: fmt.Sprintf("%05d", 20000+i), Status: marketplace.Published, PriceCents: 900_00, Hours: 21})
	}
	sc.offersDone()
	sc.addDossier(marketplace.Dossier{ID: "d1", ProviderID: "old", OfferID: "x", State: marketplace.InTraining, Billing: marketplace.DepositPaid, RequestedAt: t0.AddDate(0, -1, 0)})
	sc.dossiersDone()
	for i := 0; i < 8; i++ {
		sc.addEvaluation(marketplace.Evaluation{DossierID: fmt.Sprintf("e%d", i), ProviderID: "fine", Scores: [6]int{5, 5, 5, 5, 5, 5},
			Comment: "Formation au top, formateur génial, je recommande à 100% !"})
		// Trap: a popular provider's many short, identical ratings.
		sc.addEvaluation(marketplace.Evaluation{DossierID: fmt.Sprintf("f%d", i), ProviderID: "fine", Scores: [6]int{5, 5, 5, 5, 5, 5}, Comment: "Très bien"})
	}
	sc.evaluationsDone()
	got := map[string]int{}
	for _, a := range sc.alerts {
		got[a.alert.Detector]++
		if a.alert.Detector == DetectQualiopi && a.alert.ProviderID != "old" {
			t.Errorf("Qualiopi alert on %s", a.alert.ProviderID)
		}
	}
	want := map[string]int{DetectFlooding: 1, DetectQualiopi: 1, DetectEvaluations: 1}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s alerts: %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
}
