package controls

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"time"

	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/marketplace"
)

// The nightly scan reads every provider, offer, dossier and evaluation
// once, in that order, keeping only aggregates and the subjects a detector
// flags, so that its memory grows with the catalogue and the number of
// providers, not with the number of dossiers.

type offerInfo struct {
	provider string
	cert     string
	price    int64
	hours    int32
	status   marketplace.Status
}

type floodKey struct{ provider, title, cert string }

type weekly struct {
	first time.Time // the provider's first request
	weeks [VolumeHistoryWeeks + 1]int
}

type evalKey struct {
	provider string
	scores   [6]int
	comment  uint64 // hash of the folded comment
}

type evalGroup struct {
	n        int
	comment  string
	dossiers []string
}

// scanner accumulates the nightly view. It is not safe for concurrent use.
type scanner struct {
	now       time.Time
	hold      float64
	providers map[string]marketplace.Provider
	offers    map[string]offerInfo
	published map[string]int // per provider
	certPrice map[string][]float64
	certHour  map[string][]float64
	floods    map[floodKey]map[string]struct{}
	floodName map[floodKey]string
	volume    map[string]*weekly
	open      map[string]int // per provider: dossiers with money committed
	seed      maphash.Seed
	evals     map[evalKey]*evalGroup
	baselines map[string]Baseline

	alerts []scanAlert
	counts ScanReport

	// screener, when set, screens every published offer's text: offers
	// loaded by imports were never screened at publication.
	screener *TextScreener
	texts    []textHit
}

// textHit is an offer whose text the nightly screening flags.
type textHit struct {
	offer marketplace.Offer
	a     Assessment
}

// scanAlert is an alert the scan raises, with the hold it asks for.
type scanAlert struct {
	alert Alert
	hold  bool
	d     marketplace.Dossier
}

// ScanReport says what a nightly scan read and raised.
type ScanReport struct {
	Providers, Offers, Dossiers, Evaluations int
	Alerts                                   map[string]int // by detector
	Held                                     int
	Duration                                 time.Duration
}

func newScanner(now time.Time, hold float64) *scanner {
	return &scanner{now: now, hold: hold, providers: map[string]marketplace.Provider{}, offers: map[string]offerInfo{},
		published: map[string]int{}, certPrice: map[string][]float64{}, certHour: map[string][]float64{},
		floods: map[floodKey]map[string]struct{}{}, floodName: map[floodKey]string{}, volume: map[string]*weekly{},
		open: map[string]int{}, seed: maphash.MakeSeed(), evals: map[evalKey]*evalGroup{}, counts: ScanReport{Alerts: map[string]int{}}}
}

func (sc *scanner) addProvider(p marketplace.Provider) {
	sc.counts.Providers++
	sc.providers[p.ID] = p
}

func (sc *scanner) addOffer(o marketplace.Offer) {
	sc.counts.Offers++
	sc.offers[o.ID] = offerInfo{provider: o.ProviderID, cert: o.Certification.Code, price: o.PriceCents, hours: int32(o.Hours), status: o.Status}
	if o.Status != marketplace.Published {
		return
	}
	sc.published[o.ProviderID]++
	if sc.screener != nil {
		if a, err := sc.screener.Assess(context.Background(), offerText(o)); err == nil {
			th := sc.screener.Thresholds()
			if a.Sect >= th.Sect/2 || a.Discrim >= th.Discrim/2 {
				sc.texts = append(sc.texts, textHit{offer: o, a: a})
			}
			if a.Sect >= th.Sect/2 {
				sc.counts.Alerts[DetectSect]++
			}
			if a.Discrim >= th.Discrim/2 {
				sc.counts.Alerts[DetectDiscrim]++
			}
		}
	}
	if o.PriceCents > 0 && o.Hours > 0 {
		sc.certPrice[o.Certification.Code] = append(sc.certPrice[o.Certification.Code], float64(o.PriceCents))
		sc.certHour[o.Certification.Code] = append(sc.certHour[o.Certification.Code], float64(o.PriceCents)/float64(o.Hours))
	}
	k := floodKey{o.ProviderID, fold.String(o.Title), o.Certification.Code}
	towns := sc.floods[k]
	if towns == nil {
		towns = map[string]struct{}{}
		sc.floods[k] = towns
		sc.floodName[k] = o.Title
	}
	towns[o.Commune] = struct{}{}
}

// offersDone computes the price baselines and the offers' own alerts
// (prices, flooding).
func (sc *scanner) offersDone() {
	sc.baselines = make(map[string]Baseline, len(sc.certPrice))
	for cert, prices := range sc.certPrice {
		sc.baselines[cert] = NewBaseline(prices, sc.certHour[cert])
	}
	sc.certPrice, sc.certHour = nil, nil
	for id, o := range sc.offers {
		if o.status != marketplace.Published {
			continue
		}
		if h, ok := PriceOutlier(o.price, int(o.hours), o.cert, sc.baselines[o.cert]); ok {
			sc.raise(h, Alert{OfferID: id, ProviderID: o.provider}, "offer:"+id)
		}
	}
	for k, towns := range sc.floods {
		if len(towns) < FloodTowns {
			continue
		}
		list := make([]string, 0, len(towns))
		for t := range towns {
			list = append(list, t)
		}
		sort.Strings(list)
		if h, ok := Flooding(sc.floodName[k], k.cert, list); ok {
			sc.raise(h, Alert{ProviderID: k.provider}, "provider:"+k.provider+":"+k.cert+":"+shortHash(k.title))
		}
	}
	sc.floods, sc.floodName = nil, nil
}

func (sc *scanner) raise(h Hit, subject Alert, key string) {
	a := subject
	a.ID, a.Detector, a.Score, a.Reasons, a.Evidence, a.Source = AlertID(h.Detector, key), h.Detector, h.Score, h.Reasons, h.Evidence, "nightly"
	sc.alerts = append(sc.alerts, scanAlert{alert: a})
	sc.counts.Alerts[h.Detector]++
}

func moneyOpen(d marketplace.Dossier) bool {
	switch d.State {
	case marketplace.Accepted, marketplace.InTraining, marketplace.ServiceDoneDeclared:
		return d.Billing != marketplace.Paid
	}
	return false
}

func (sc *scanner) addDossier(d marketplace.Dossier) {
	sc.counts.Dossiers++
	if !d.RequestedAt.IsZero() {
		w := sc.volume[d.ProviderID]
		if w == nil {
			w = &weekly{first: d.RequestedAt}
			sc.volume[d.ProviderID] = w
		}
		if d.RequestedAt.Before(w.first) {
			w.first = d.RequestedAt
		}
		if age := sc.now.Sub(d.RequestedAt); age >= 0 {
			if i := int(age / (7 * 24 * time.Hour)); i <= VolumeHistoryWeeks {
				w.weeks[i]++
			}
		}
	}
	if !moneyOpen(d) {
		return
	}
	sc.open[d.ProviderID]++
	o, known := sc.offers[d.OfferID]
	var hits []Hit
	if known {
		if h, ok := FastCompletion(d, int(o.hours)); ok {
			hits = append(hits, h)
		}
		if h, ok := PriceOutlier(d.PriceCents, int(o.hours), o.cert, sc.baselines[o.cert]); ok {
			hits = append(hits, h)
		}
	}
	if len(hits) == 0 {
		return
	}
	score := Combine(hits)
	hold := score >= sc.hold && d.Hold == nil
	for _, h := range hits {
		a := Alert{ID: AlertID(h.Detector, "dossier:"+d.ID), Detector: h.Detector, Score: h.Score, Reasons: h.Reasons,
			Evidence:  append(h.Evidence, Evidence{"Score combiné du dossier", fmt.Sprintf("%.2f", score)}),
			DossierID: d.ID, OfferID: d.OfferID, ProviderID: d.ProviderID, AccountID: d.AccountID, Source: "nightly",
			PaymentHeld: hold || d.Hold != nil}
		sc.alerts = append(sc.alerts, scanAlert{alert: a, hold: hold, d: d})
		sc.counts.Alerts[h.Detector]++
	}
}

// dossiersDone raises the providers' alerts: volume and Qualiopi.
func (sc *scanner) dossiersDone() {
	for id, w := range sc.volume {
		weeksOld := int(sc.now.Sub(w.first) / (7 * 24 * time.Hour))
		n := min(weeksOld, VolumeHistoryWeeks)
		history := make([]int, 0, n)
		for i := 1; i <= n; i++ {
			history = append(history, w.weeks[i])
		}
		if h, ok := RequestVolume(id, w.weeks[0], history); ok {
			sc.raise(h, Alert{ProviderID: id}, "provider:"+id)
		}
	}
	for id, p := range sc.providers {
		if h, ok := QualiopiLapsed(p, sc.now, sc.open[id], sc.published[id]); ok {
			sc.raise(h, Alert{ProviderID: id}, "provider:"+id)
		}
	}
}

func (sc *scanner) addEvaluation(e marketplace.Evaluation) {
	sc.counts.Evaluations++
	if len([]rune(e.Comment)) < MinCommentRunes {
		return
	}
	c := fold.String(e.Comment)
	k := evalKey{provider: e.ProviderID, scores: e.Scores, comment: maphash.String(sc.seed, c)}
	g := sc.evals[k]
	if g == nil {
		g = &evalGroup{comment: e.Comment}
		sc.evals[k] = g
	}
	g.n++
	if len(g.dossiers) < 12 {
		g.dossiers = append(g.dossiers, e.DossierID)
	}
}

func (sc *scanner) evaluationsDone() {
	for k, g := range sc.evals {
		if h, ok := IdenticalBatch(g.n, g.comment, k.scores, g.dossiers); ok {
			sc.raise(h, Alert{ProviderID: k.provider}, fmt.Sprintf("provider:%s:%x", k.provider, k.comment))
		}
	}
	sc.evals = nil
}

// RefreshBaselines recomputes the certifications' price baselines the
// real-time checks use, from every published offer; the nightly scan does
// it too, and an hourly job keeps a restarted service from waiting for
// the night.
func (s *Service) RefreshBaselines(ctx context.Context) (int, error) {
	sc := newScanner(s.now(), s.cfg.HoldScore)
	page := marketplace.Page{Limit: marketplace.MaxPageSize}
	for {
		os, next, err := s.cfg.Catalogue.Offers(ctx, marketplace.OfferFilter{Status: marketplace.Published}, page)
		if err != nil {
			return 0, err
		}
		for _, o := range os {
			sc.addOffer(o)
		}
		if next == "" {
			break
		}
		page.After = next
	}
	sc.offersDone()
	s.SetBaselines(sc.baselines)
	return len(sc.baselines), nil
}

func shortHash(s string) string {
	return fmt.Sprintf("%x", maphash.String(fixedSeed, s))[:8]
}

var fixedSeed = maphash.MakeSeed()

// Scan is the nightly scan over everything: it raises the alerts of every
// detector that needs a whole view (volumes, prices, flooding, identical
// evaluations, Qualiopi, completion pace of every open dossier), holds
// the payment of dossiers whose combined score reaches the threshold,
// refreshes the price baselines of the real-time checks and prunes old
// signals.
func (s *Service) Scan(ctx context.Context) (ScanReport, error) {
	start := time.Now()
	scan, ok := s.cfg.Dossiers.(DossierScanner)
	if !ok {
		return ScanReport{}, errors.New("controls: the store cannot list every dossier")
	}
	sc := newScanner(s.now(), s.cfg.HoldScore)
	sc.screener = s.screener
	page := marketplace.Page{Limit: marketplace.MaxPageSize}
	for {
		ps, next, err := s.cfg.Catalogue.Providers(ctx, page)
		if err != nil {
			return sc.counts, err
		}
		for _, p := range ps {
			sc.addProvider(p)
		}
		if next == "" {
			break
		}
		page.After = next
	}
	page = marketplace.Page{Limit: marketplace.MaxPageSize}
	for {
		os, next, err := s.cfg.Catalogue.Offers(ctx, marketplace.OfferFilter{}, page)
		if err != nil {
			return sc.counts, err
		}
		for _, o := range os {
			sc.addOffer(o)
		}
		if next == "" {
			break
		}
		page.After = next
	}
	sc.offersDone()
	s.SetBaselines(sc.baselines)
	if err := scan.EachDossier(ctx, func(d marketplace.Dossier) error { sc.addDossier(d); return nil }); err != nil {
		return sc.counts, err
	}
	sc.dossiersDone()
	if err := scan.EachEvaluation(ctx, func(e marketplace.Evaluation) error { sc.addEvaluation(e); return nil }); err != nil {
		return sc.counts, err
	}
	sc.evaluationsDone()
	if err := s.apply(ctx, sc); err != nil {
		return sc.counts, err
	}
	if _, err := s.cfg.Store.PruneSignals(ctx, s.now().Add(-SignalRetention)); err != nil {
		return sc.counts, err
	}
	sc.counts.Duration = time.Since(start)
	return sc.counts, nil
}

// apply writes the scan's alerts and holds.
func (s *Service) apply(ctx context.Context, sc *scanner) error {
	for _, t := range sc.texts {
		// A published offer stays published: the alert asks a controller,
		// who may unpublish it.
		if err := s.textAlerts(ctx, "offer:"+t.offer.ID, t.offer.ID, t.offer.ProviderID, "", "nightly", t.a, false); err != nil {
			return err
		}
	}
	enrol, _ := s.services()
	held := map[string]bool{}
	for _, sa := range sc.alerts {
		if err := ctx.Err(); err != nil {
			return err
		}
		didHold := false
		if sa.hold {
			// A controller's decision stands: a dossier whose alert was
			// dismissed or closed (a release) is not held again.
			switch old, err := s.cfg.Store.Alert(ctx, sa.alert.ID); {
			case err == nil && old.Status != Open:
				sa.hold, sa.alert.PaymentHeld = false, false
			case err != nil && !errors.Is(err, ErrNotFound):
				return err
			}
		}
		if sa.hold && !held[sa.d.ID] && enrol != nil {
			held[sa.d.ID] = true
			reason := "Paiement suspendu dans l’attente de l’examen d’un contrôleur : " + strings.ToLower(DetectorLabel(sa.alert.Detector)) + "."
			_, err := enrol.HoldPayment(ctx, marketplace.Party{Controller: true}, marketplace.Idem{}, sa.d.ID, "controls", reason)
			switch {
			case err == nil:
				sc.counts.Held++
				didHold = true
			case errors.Is(err, marketplace.ErrConflict):
				// The dossier moved on since it was read: tomorrow's scan sees it again.
				sa.alert.PaymentHeld = false
			default:
				return err
			}
		}
		stored, _, err := s.raise(ctx, sa.alert)
		if err != nil {
			return err
		}
		if didHold {
			if err := s.audit(ctx, Action{AlertID: stored.ID, Kind: ActAutoHold, Actor: "controls", DossierID: sa.d.ID,
				Reason: "analyse de nuit"}); err != nil {
				return err
			}
		}
	}
	return nil
}
