package controls

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// Config is what a Service needs. Store, Dossiers and Catalogue are
// required.
type Config struct {
	Store     Store
	Dossiers  marketplace.EnrolmentStore
	Catalogue marketplace.Store
	// Registry tells registered certifications apart (nil: none known).
	Registry Registry
	// Contacts, when set, gives the last change of a learner's contact or
	// bank details (account-takeover detector).
	Contacts ContactChanges
	// Thresholds of the text detectors; zero takes DefaultThresholds.
	Thresholds Thresholds
	// HoldScore is the combined fraud score from which a dossier's payment
	// is held; zero takes PaymentHoldScore.
	HoldScore float64
	// IPKey keys the hashes of IP addresses kept in signals.
	IPKey []byte
	Log   *slog.Logger
	Now   func() time.Time
}

// Service runs the automatic controls and their review. It implements
// marketplace.DossierControl (real-time checks), marketplace.Gate
// (screening before publication), Screener and Flags. It is safe for
// concurrent use.
type Service struct {
	cfg      Config
	screener *TextScreener
	now      func() time.Time
	log      *slog.Logger

	mu        sync.RWMutex
	enrolment *marketplace.EnrolmentService
	catalogue *marketplace.CatalogueService
	jobPosts  JobPosts

	baselines atomic.Pointer[map[string]Baseline] // by certification, from the last scan
}

var (
	_ marketplace.DossierControl = (*Service)(nil)
	_ marketplace.Gate           = (*Service)(nil)
	_ Screener                   = (*Service)(nil)
	_ Flags                      = (*Service)(nil)
)

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{cfg: cfg, now: cfg.Now, log: cfg.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.HoldScore <= 0 {
		s.cfg.HoldScore = PaymentHoldScore
	}
	s.screener = NewTextScreener(cfg.Registry, cfg.Thresholds)
	return s
}

// Attach gives the service the marketplace services its controllers' actions
// go through (holds, releases, re-credits, unpublications). The wiring
// calls it once both exist, before serving.
func (s *Service) Attach(e *marketplace.EnrolmentService, c *marketplace.CatalogueService) {
	s.mu.Lock()
	s.enrolment, s.catalogue = e, c
	s.mu.Unlock()
}

func (s *Service) services() (*marketplace.EnrolmentService, *marketplace.CatalogueService) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.enrolment, s.catalogue
}

// TextScreener returns the text detectors.
func (s *Service) TextScreener() *TextScreener { return s.screener }

// HoldScore is the combined score from which a payment is held.
func (s *Service) HoldScore() float64 { return s.cfg.HoldScore }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// raise writes an alert: a new one opens; an open one is updated when its
// score or reasons changed; a dismissed or closed one reopens only when
// its score rose by 0.1 or more (a detector seeing again what a controller
// already judged must not flood the queue). It returns the stored alert
// and whether it is newly open.
func (s *Service) raise(ctx context.Context, a Alert) (Alert, bool, error) {
	for attempt := 0; attempt < 10; attempt++ {
		now := s.clock()
		old, err := s.cfg.Store.Alert(ctx, a.ID)
		switch {
		case errors.Is(err, ErrNotFound):
			a.Status, a.Version, a.CreatedAt, a.UpdatedAt = Open, 1, now, now
			err = s.cfg.Store.SaveAlert(ctx, a, 0)
			if errors.Is(err, ErrConflict) {
				continue
			}
			return a, err == nil, err
		case err != nil:
			return Alert{}, false, err
		}
		reopen := old.Status != Open
		if reopen && a.Score < old.Score+0.1 {
			return old, false, nil
		}
		if !reopen && a.Score == old.Score && slices.Equal(a.Reasons, old.Reasons) && a.PaymentHeld == old.PaymentHeld && a.OfferHeld == old.OfferHeld {
			return old, false, nil
		}
		a.Status, a.CreatedAt, a.UpdatedAt, a.Version = Open, old.CreatedAt, now, old.Version+1
		a.PaymentHeld = a.PaymentHeld || old.PaymentHeld
		a.OfferHeld = a.OfferHeld || old.OfferHeld && !reopen
		err = s.cfg.Store.SaveAlert(ctx, a, old.Version)
		if errors.Is(err, ErrStale) {
			continue
		}
		if err == nil && reopen {
			err = s.audit(ctx, Action{AlertID: a.ID, Kind: ActReopen, Actor: "controls",
				Reason: fmt.Sprintf("score passé de %.2f à %.2f", old.Score, a.Score)})
		}
		return a, reopen, err
	}
	return Alert{}, false, fmt.Errorf("alert %s kept changing: %w", a.ID, ErrConflict)
}

func (s *Service) audit(ctx context.Context, a Action) error {
	if a.ID == "" {
		a.ID = marketplace.NewID()
	}
	if a.At.IsZero() {
		a.At = s.clock()
	}
	return s.cfg.Store.AddAction(ctx, a)
}

// --- Real time: marketplace.DossierControl ---

// dossierVerdict is the Detail of a ControlVerdict: the hits on a dossier.
type dossierVerdict struct {
	Hits  []Hit
	Score float64
}

// Check implements marketplace.DossierControl: at acceptance and payment
// the price, the provider's Qualiopi, the origin of the request, the
// account's details and browsing; at exit the completion's pace.
func (s *Service) Check(ctx context.Context, ev marketplace.ControlEvent, d marketplace.Dossier) (marketplace.ControlVerdict, error) {
	hits, err := s.dossierHits(ctx, ev, d)
	if err != nil || len(hits) == 0 {
		return marketplace.ControlVerdict{}, err
	}
	score := Combine(hits)
	v := marketplace.ControlVerdict{Detail: dossierVerdict{Hits: hits, Score: score}}
	if score >= s.cfg.HoldScore {
		v.Hold = true
		var reasons []string
		for _, h := range hits {
			reasons = append(reasons, DetectorLabel(h.Detector))
		}
		v.Reason = "Paiement suspendu dans l’attente de l’examen d’un contrôleur : " + strings.ToLower(strings.Join(reasons, " ; ")) + "."
	}
	return v, nil
}

func (s *Service) dossierHits(ctx context.Context, ev marketplace.ControlEvent, d marketplace.Dossier) ([]Hit, error) {
	var hits []Hit
	o, err := s.cfg.Catalogue.Offer(ctx, d.OfferID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if ev == marketplace.EventExit {
		if h, ok := FastCompletion(d, o.Hours); ok {
			hits = append(hits, h)
		}
		return hits, nil
	}
	if bs := s.baselines.Load(); bs != nil && o.ID != "" {
		if h, ok := PriceOutlier(d.PriceCents, o.Hours, o.Certification.Code, (*bs)[o.Certification.Code]); ok {
			hits = append(hits, h)
		}
	}
	if p, err := s.cfg.Catalogue.Provider(ctx, d.ProviderID); err == nil {
		if h, ok := QualiopiLapsed(p, s.now(), 1, 0); ok {
			hits = append(hits, h)
		}
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if c := s.cfg.Contacts; c != nil {
		at, what, ok, err := c.ContactChangedAt(ctx, d.AccountID)
		if err != nil {
			return nil, err
		}
		if h, found := ContactChanged(at, what, s.now()); ok && found {
			hits = append(hits, h)
		}
	}
	if ev == marketplace.EventAccept {
		since := d.RequestedAt.Add(-CanvassingWindow)
		signals, err := s.cfg.Store.Signals(ctx, d.AccountID, since)
		if err != nil {
			return nil, err
		}
		if h, ok := NoSearch(signals, d.RequestedAt); ok {
			hits = append(hits, h)
		}
		h, ok, err := s.sharedOrigin(ctx, signals)
		if err != nil {
			return nil, err
		}
		if ok {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

// sharedOrigin counts the accounts sharing the devices and IP addresses of
// an account's enrolment requests.
func (s *Service) sharedOrigin(ctx context.Context, signals []Signal) (Hit, bool, error) {
	since := s.now().Add(-OriginWindow)
	var devices, ips []string
	for _, sg := range signals {
		if sg.Kind != SignalEnrol {
			continue
		}
		if sg.Device != "" {
			a, err := s.cfg.Store.AccountsFrom(ctx, "device", sg.Device, since, 100)
			if err != nil {
				return Hit{}, false, err
			}
			if len(a) > len(devices) {
				devices = a
			}
		}
		if sg.IP != "" {
			a, err := s.cfg.Store.AccountsFrom(ctx, "ip", sg.IP, since, 100)
			if err != nil {
				return Hit{}, false, err
			}
			if len(a) > len(ips) {
				ips = a
			}
		}
	}
	h, ok := SharedOrigin(devices, ips)
	return h, ok, nil
}

// Record implements marketplace.DossierControl: one alert per detector
// that fired, each marked when the payment was held, and the automatic
// hold in the audit trail.
func (s *Service) Record(ctx context.Context, ev marketplace.ControlEvent, d marketplace.Dossier, v marketplace.ControlVerdict) error {
	dv, _ := v.Detail.(dossierVerdict)
	return s.recordDossier(ctx, string(ev), d, dv.Hits, v.Hold)
}

func (s *Service) recordDossier(ctx context.Context, source string, d marketplace.Dossier, hits []Hit, held bool) error {
	var errs []error
	for _, h := range hits {
		a := Alert{ID: AlertID(h.Detector, "dossier:"+d.ID), Detector: h.Detector, Score: h.Score, Reasons: h.Reasons,
			Evidence:  append(slices.Clone(h.Evidence), Evidence{"Score combiné du dossier", fmt.Sprintf("%.2f", Combine(hits))}),
			DossierID: d.ID, OfferID: d.OfferID, ProviderID: d.ProviderID, AccountID: d.AccountID, PaymentHeld: held, Source: source}
		stored, _, err := s.raise(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if held {
			errs = append(errs, s.audit(ctx, Action{AlertID: stored.ID, Kind: ActAutoHold, Actor: "controls", DossierID: d.ID,
				Reason: fmt.Sprintf("score combiné %.2f, seuil %.2f", Combine(hits), s.cfg.HoldScore)}))
		}
	}
	return errors.Join(errs...)
}

// --- Publication: marketplace.Gate ---

// offerText is what the screening reads of an offer.
func offerText(o marketplace.Offer) Text {
	return Text{Kind: KindOffer, Certification: o.Certification.Code, Ref: "offer:" + o.ID, Fields: map[string]string{
		"title": o.Title, "description": o.Description, "objectives": o.Objectives, "skills": strings.Join(o.Skills, " ; "),
	}}
}

// Admit implements marketplace.Gate: a suspended provider publishes
// nothing; an offer whose screening holds waits for review.
func (s *Service) Admit(ctx context.Context, o marketplace.Offer, old *marketplace.Offer) (marketplace.GateVerdict, error) {
	if sp, err := s.cfg.Store.Suspension(ctx, o.ProviderID); err == nil {
		return marketplace.GateVerdict{}, fmt.Errorf("provider %s is suspended since %s (%s): %w",
			o.ProviderID, sp.Since.Format(time.DateOnly), sp.Reason, marketplace.ErrNotPublishable)
	} else if !errors.Is(err, ErrNotFound) {
		return marketplace.GateVerdict{}, err
	}
	a, err := s.screener.Assess(ctx, offerText(o))
	if err != nil {
		return marketplace.GateVerdict{}, err
	}
	v := marketplace.GateVerdict{Screened: true, Detail: a}
	th := s.screener.Thresholds()
	if a.Sect >= th.Sect || a.Discrim >= th.Discrim {
		v.Review = true
		v.Reason = "Offre en attente de l’examen d’un contrôleur avant publication."
	}
	return v, nil
}

// Gated implements marketplace.Gate: an offer held for review, or one
// with findings at half the threshold or more, gets an alert per detector.
func (s *Service) Gated(ctx context.Context, o marketplace.Offer, v marketplace.GateVerdict) {
	a, _ := v.Detail.(Assessment)
	if err := s.textAlerts(ctx, "offer:"+o.ID, o.ID, o.ProviderID, "", "publication", a, v.Review); err != nil {
		s.log.ErrorContext(ctx, "recording a screening alert", "offer", o.ID, "err", err)
	}
}

// textAlerts raises the alerts of a text assessment.
func (s *Service) textAlerts(ctx context.Context, subject, offerID, providerID, jobPostID, source string, a Assessment, held bool) error {
	th := s.screener.Thresholds()
	var errs []error
	for _, det := range []struct {
		name       string
		raw, limit float64
	}{{DetectSect, a.Sect, th.Sect}, {DetectDiscrim, a.Discrim, th.Discrim}} {
		if det.raw < det.limit/2 {
			continue
		}
		var fs []Finding
		var reasons []string
		for _, f := range a.Findings {
			if f.Detector == det.name {
				fs = append(fs, f)
				reasons = append(reasons, fmt.Sprintf("« %s » (%s) : %s", f.Passage, CriterionLabel(f.Criterion), f.Explanation))
			}
		}
		over := det.raw >= det.limit
		al := Alert{ID: AlertID(det.name, subject), Detector: det.name, Score: round2(min(1, det.raw/det.limit/2)), Reasons: reasons,
			Findings: fs, OfferID: offerID, ProviderID: providerID, JobPostID: jobPostID, OfferHeld: held && over, Source: source,
			Evidence: []Evidence{{"Score du détecteur", fmt.Sprintf("%.2f", det.raw)}, {"Seuil d’examen", fmt.Sprintf("%.2f", det.limit)}}}
		stored, _, err := s.raise(ctx, al)
		if err == nil && held && over && (stored.Status != Open || !stored.OfferHeld) {
			// The text is held again (edited and published anew after a
			// decision) with a score that does not reopen the alert by
			// itself: it must reopen, or nobody would decide on it.
			stored, err = s.reopenHeld(ctx, stored, al)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if held && over {
			errs = append(errs, s.audit(ctx, Action{AlertID: stored.ID, Kind: ActAutoReview, Actor: "controls", OfferID: offerID,
				Reason: fmt.Sprintf("score %.2f, seuil %.2f", det.raw, det.limit)}))
		}
	}
	return errors.Join(errs...)
}

// reopenHeld reopens a decided alert whose text is held for review
// again, with the new screening's findings.
func (s *Service) reopenHeld(ctx context.Context, old, a Alert) (Alert, error) {
	for attempt := 0; attempt < 10; attempt++ {
		prev, was := old.Version, old.Status
		a.Status, a.OfferHeld, a.CreatedAt, a.UpdatedAt, a.Version = Open, true, old.CreatedAt, s.clock(), prev+1
		a.PaymentHeld = old.PaymentHeld
		err := s.cfg.Store.SaveAlert(ctx, a, prev)
		if errors.Is(err, ErrStale) {
			if old, err = s.cfg.Store.Alert(ctx, a.ID); err != nil {
				return Alert{}, err
			}
			continue
		}
		if err != nil || was == Open {
			return a, err
		}
		return a, s.audit(ctx, Action{AlertID: a.ID, Kind: ActReopen, Actor: "controls", OfferID: a.OfferID,
			Reason: "le texte, publié de nouveau, est de nouveau retenu pour examen"})
	}
	return Alert{}, fmt.Errorf("alert %s kept changing: %w", a.ID, ErrConflict)
}

// Screen implements Screener; a text with a Ref that the screening holds
// opens an alert for the controllers.
func (s *Service) Screen(ctx context.Context, t Text) (Screening, error) {
	sc, err := s.screener.Screen(ctx, t)
	if err != nil || t.Ref == "" {
		return sc, err
	}
	a, err := s.screener.Assess(ctx, t)
	if err != nil {
		return sc, err
	}
	jobPost, offer := "", ""
	if id, ok := strings.CutPrefix(t.Ref, "job_post:"); ok {
		jobPost = id
	} else if id, ok := strings.CutPrefix(t.Ref, "offer:"); ok {
		offer = id
	}
	if err := s.textAlerts(ctx, t.Ref, offer, "", jobPost, "screening", a, sc.Hold); err != nil {
		s.log.ErrorContext(ctx, "recording a screening alert", "ref", t.Ref, "err", err)
	}
	return sc, nil
}

// FlaggedOffer implements Flags.
func (s *Service) FlaggedOffer(ctx context.Context, offerID string) (bool, error) {
	return s.cfg.Store.OpenOfferAlert(ctx, offerID)
}

// --- Signals ---

// Note records what a signed-in learner did, with where from: ip is the
// client address (kept as a keyed hash), device the device cookie's value
// (kept as its SHA-256, the key auth's device list uses). A failure is
// logged, never returned: browsing must not fail for the controls.
func (s *Service) Note(ctx context.Context, accountID string, kind SignalKind, offerID, ip, device string) {
	if accountID == "" {
		return
	}
	sg := Signal{ID: marketplace.NewID(), AccountID: accountID, Kind: kind, OfferID: offerID, At: s.clock()}
	if ip != "" {
		m := hmac.New(sha256.New, s.cfg.IPKey)
		m.Write([]byte(ip))
		sg.IP = hex.EncodeToString(m.Sum(nil))[:32]
	}
	if device != "" {
		h := sha256.Sum256([]byte(device))
		sg.Device = hex.EncodeToString(h[:])
	}
	if err := s.cfg.Store.AddSignal(ctx, sg); err != nil {
		s.log.WarnContext(ctx, "recording a control signal", "kind", kind, "err", err)
	}
}

// SetBaselines replaces the price baselines the real-time checks use.
func (s *Service) SetBaselines(b map[string]Baseline) { s.baselines.Store(&b) }
