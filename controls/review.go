package controls

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parcours/parcours/marketplace"
)

// Reviewer is who reviews alerts: a controller (or an administrator)
// known by its subject, which the audit trail records.
type Reviewer struct {
	ID         string
	Controller bool
}

func (r Reviewer) check() error {
	if !r.Controller || r.ID == "" {
		return fmt.Errorf("reviewing alerts needs the controller role: %w", marketplace.ErrForbidden)
	}
	return nil
}

// Queue lists alerts for a controller, highest score first.
func (s *Service) Queue(ctx context.Context, who Reviewer, f AlertFilter, page marketplace.Page) ([]Alert, string, error) {
	if err := who.check(); err != nil {
		return nil, "", err
	}
	var v marketplace.ValidationError
	if f.Status != "" && !f.Status.Valid() {
		v.Add("status", "must be open, dismissed or closed")
	}
	if f.Detector != "" && !validDetector(f.Detector) {
		v.Add("detector", "is not a detector: one of %s", strings.Join(Detectors, ", "))
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	return s.cfg.Store.Alerts(ctx, f, page)
}

func validDetector(d string) bool {
	for _, x := range Detectors {
		if x == d {
			return true
		}
	}
	return false
}

// AlertView is an alert with what a controller needs to decide: its audit
// trail, the other alerts of its provider and account, and its dossier.
type AlertView struct {
	Alert
	Actions         []Action
	ProviderHistory []Alert
	AccountHistory  []Alert
	Dossier         *marketplace.Dossier
	Suspension      *Suspension
	// JobPost is the job post the alert is about, as it stands now (nil
	// when the alert is about no post, or the job matching is not
	// attached).
	JobPost *JobPost
}

// View returns an alert with its history.
func (s *Service) View(ctx context.Context, who Reviewer, id string) (AlertView, error) {
	if err := who.check(); err != nil {
		return AlertView{}, err
	}
	a, err := s.cfg.Store.Alert(ctx, id)
	if err != nil {
		return AlertView{}, err
	}
	v := AlertView{Alert: a}
	if v.Actions, err = s.cfg.Store.Actions(ctx, id); err != nil {
		return AlertView{}, err
	}
	others := func(f AlertFilter) ([]Alert, error) {
		list, _, err := s.cfg.Store.Alerts(ctx, f, marketplace.Page{Limit: 50})
		out := list[:0]
		for _, x := range list {
			if x.ID != id {
				out = append(out, x)
			}
		}
		return out, err
	}
	if a.ProviderID != "" {
		if v.ProviderHistory, err = others(AlertFilter{ProviderID: a.ProviderID}); err != nil {
			return AlertView{}, err
		}
		if sp, err := s.cfg.Store.Suspension(ctx, a.ProviderID); err == nil {
			v.Suspension = &sp
		} else if !errors.Is(err, ErrNotFound) {
			return AlertView{}, err
		}
	}
	if a.AccountID != "" {
		if v.AccountHistory, err = others(AlertFilter{AccountID: a.AccountID}); err != nil {
			return AlertView{}, err
		}
	}
	if a.DossierID != "" {
		if d, err := s.cfg.Dossiers.Dossier(ctx, a.DossierID); err == nil {
			v.Dossier = &d
		} else if !errors.Is(err, ErrNotFound) {
			return AlertView{}, err
		}
	}
	if j := s.posts(); a.JobPostID != "" && j != nil {
		if p, err := j.JobPost(ctx, a.JobPostID); err == nil {
			v.JobPost = &p
		} else if !errors.Is(err, ErrNotFound) {
			return AlertView{}, err
		}
	}
	return v, nil
}

// validReason checks a decision's reason.
func validReason(reason string) error {
	var v marketplace.ValidationError
	if strings.TrimSpace(reason) == "" {
		v.Add("reason", "is required: every decision is audited with its reason")
	} else if utf8.RuneCountInString(reason) > MaxReasonRunes {
		v.Add("reason", "must be at most %d characters", MaxReasonRunes)
	}
	return v.Err()
}

// ActRequest is a controller's decision on an alert.
type ActRequest struct {
	Kind   ActionKind
	Reason string
	// AmountCents is what a re-credit gives back (recredit_account).
	AmountCents int64
}

// MaxReasonRunes bounds a decision's reason.
const MaxReasonRunes = 2000

// Act carries out a controller's decision on an alert and records it in
// the audit trail: who, when, why. Money moves only through the
// marketplace's services (holds, releases and re-credits are ledger
// operations); nothing is done when the request is invalid.
func (s *Service) Act(ctx context.Context, who Reviewer, alertID string, r ActRequest) (Alert, Action, error) {
	if err := who.check(); err != nil {
		return Alert{}, Action{}, err
	}
	r.Reason = strings.TrimSpace(r.Reason)
	var v marketplace.ValidationError
	if !r.Kind.Valid() {
		var names []string
		for _, k := range ActionKinds {
			names = append(names, string(k))
		}
		v.Add("kind", "must be one of %s", strings.Join(names, ", "))
	}
	if err := validReason(r.Reason); err != nil {
		var rv *marketplace.ValidationError
		if errors.As(err, &rv) {
			v.Fields = append(v.Fields, rv.Fields...)
		}
	}
	if r.Kind == ActRecredit && r.AmountCents <= 0 {
		v.Add("amount_cents", "must be a positive amount of cents")
	}
	if r.Kind != ActRecredit && r.AmountCents != 0 {
		v.Add("amount_cents", "only goes with recredit_account")
	}
	if err := v.Err(); err != nil {
		return Alert{}, Action{}, err
	}
	a, err := s.cfg.Store.Alert(ctx, alertID)
	if err != nil {
		return Alert{}, Action{}, err
	}
	act := Action{ID: marketplace.NewID(), AlertID: a.ID, Kind: r.Kind, Actor: who.ID, Reason: r.Reason, At: s.clock(),
		DossierID: a.DossierID, OfferID: a.OfferID, ProviderID: a.ProviderID, AccountID: a.AccountID, AmountCents: r.AmountCents}
	enrol, cat := s.services()
	party := marketplace.Party{Controller: true}
	idem := marketplace.Idem{Key: "controls:" + act.ID, Fingerprint: act.ID}
	need := func(field, value string) error {
		if value == "" {
			var v marketplace.ValidationError
			v.Add("kind", "%s needs an alert about a %s", r.Kind, field)
			return &v
		}
		if (field == "dossier" && enrol == nil) || (field != "dossier" && cat == nil) {
			return fmt.Errorf("controls: the marketplace services are not attached: %w", marketplace.ErrUnavailable)
		}
		return nil
	}
	status := a.Status
	switch r.Kind {
	case ActDismiss:
		status = Dismissed
		if a.OfferHeld && a.JobPostID != "" {
			// Nothing wrong: the job post is published, unless another
			// open alert holds it too.
			others, err := s.jobPostAlerts(ctx, a.JobPostID)
			if err != nil {
				return Alert{}, Action{}, err
			}
			held := false
			for _, o := range others {
				held = held || o.ID != a.ID && o.Status == Open && o.OfferHeld
			}
			if !held {
				if err := s.reviewJobPost(ctx, who, a, true, r.Reason); err != nil && !errors.Is(err, ErrConflict) {
					return Alert{}, Action{}, err
				}
			}
			a.OfferHeld = false
		} else if a.OfferHeld {
			// Nothing wrong: the offer held for this alert is published,
			// unless another open alert holds it too.
			others, _, err := s.cfg.Store.Alerts(ctx, AlertFilter{OfferID: a.OfferID, Status: Open}, marketplace.Page{Limit: marketplace.MaxPageSize})
			if err != nil {
				return Alert{}, Action{}, err
			}
			held := false
			for _, o := range others {
				held = held || o.ID != a.ID && o.OfferHeld
			}
			if !held && cat != nil {
				if _, err := cat.SetOfferStatus(ctx, a.OfferID, marketplace.Published); err != nil && !errors.Is(err, ErrConflict) {
					return Alert{}, Action{}, err
				}
			}
			a.OfferHeld = false
		}
	case ActNote:
	case ActHold:
		if err := need("dossier", a.DossierID); err != nil {
			return Alert{}, Action{}, err
		}
		if _, err := enrol.HoldPayment(ctx, party, idem, a.DossierID, who.ID, r.Reason); err != nil {
			return Alert{}, Action{}, err
		}
		a.PaymentHeld = true
	case ActRelease:
		if err := need("dossier", a.DossierID); err != nil {
			return Alert{}, Action{}, err
		}
		if _, err := enrol.ReleasePayment(ctx, party, idem, a.DossierID); err != nil {
			return Alert{}, Action{}, err
		}
		a.PaymentHeld, status = false, Closed
	case ActCancelDossie:
		if err := need("dossier", a.DossierID); err != nil {
			return Alert{}, Action{}, err
		}
		if _, err := enrol.Cancel(ctx, party, idem, a.DossierID, ""); err != nil {
			return Alert{}, Action{}, err
		}
		a.PaymentHeld, status = false, Closed
	case ActRecredit:
		if err := need("dossier", a.DossierID); err != nil {
			return Alert{}, Action{}, err
		}
		if _, err := enrol.Recredit(ctx, party, "controls:"+a.ID, a.DossierID, r.AmountCents); err != nil {
			return Alert{}, Action{}, err
		}
		status = Closed
	case ActUnpublish:
		if err := need("offer", a.OfferID); err != nil {
			return Alert{}, Action{}, err
		}
		if _, err := cat.SetOfferStatus(ctx, a.OfferID, marketplace.Unpublished); err != nil {
			return Alert{}, Action{}, err
		}
		a.OfferHeld, status = false, Closed
	case ActPublish:
		if err := need("offer", a.OfferID); err != nil {
			return Alert{}, Action{}, err
		}
		if _, err := cat.SetOfferStatus(ctx, a.OfferID, marketplace.Published); err != nil {
			return Alert{}, Action{}, err
		}
		a.OfferHeld, status = false, Closed
	case ActPublishJob, ActRejectJob:
		if a.JobPostID == "" {
			var v marketplace.ValidationError
			v.Add("kind", "%s needs an alert about a job post", r.Kind)
			return Alert{}, Action{}, &v
		}
		if err := s.reviewJobPost(ctx, who, a, r.Kind == ActPublishJob, r.Reason); err != nil {
			return Alert{}, Action{}, err
		}
		a.OfferHeld, status = false, Closed
	case ActSuspend:
		if err := need("provider", a.ProviderID); err != nil {
			return Alert{}, Action{}, err
		}
		if err := s.cfg.Store.PutSuspension(ctx, Suspension{ProviderID: a.ProviderID, Since: act.At, By: who.ID, Reason: r.Reason}); err != nil {
			return Alert{}, Action{}, err
		}
		if _, err := cat.UnpublishProvider(ctx, a.ProviderID); err != nil {
			return Alert{}, Action{}, err
		}
		status = Closed
	case ActReinstate:
		if err := need("provider", a.ProviderID); err != nil {
			return Alert{}, Action{}, err
		}
		if err := s.cfg.Store.DeleteSuspension(ctx, a.ProviderID); err != nil {
			return Alert{}, Action{}, err
		}
	}
	if err := s.cfg.Store.AddAction(ctx, act); err != nil {
		return Alert{}, Action{}, err
	}
	if r.Kind == ActPublishJob || r.Kind == ActRejectJob {
		// The decision is on the post: its other alert closes with it.
		if err := s.closeSiblings(ctx, who, a, act); err != nil {
			return Alert{}, Action{}, err
		}
	}
	for attempt := 0; ; attempt++ {
		prev := a.Version
		a.Status, a.UpdatedAt, a.Version = status, act.At, prev+1
		err := s.cfg.Store.SaveAlert(ctx, a, prev)
		if err == nil {
			return a, act, nil
		}
		if !errors.Is(err, ErrStale) || attempt > 5 {
			return Alert{}, Action{}, err
		}
		// A detector updated the alert meanwhile: keep its view, apply the decision.
		fresh, ferr := s.cfg.Store.Alert(ctx, a.ID)
		if ferr != nil {
			return Alert{}, Action{}, ferr
		}
		fresh.PaymentHeld, fresh.OfferHeld = a.PaymentHeld, a.OfferHeld
		a = fresh
	}
}

// OfferReview tells a provider why its offer waits for review or was
// flagged: the open and closed alerts of the offer, with their passages.
// Only the offer's provider (or a controller) may read it.
func (s *Service) OfferReview(ctx context.Context, providerID string, controller bool, offerID string) (marketplace.Offer, []Alert, error) {
	o, err := s.cfg.Catalogue.Offer(ctx, offerID)
	if err != nil {
		return marketplace.Offer{}, nil, err
	}
	if !controller && o.ProviderID != providerID {
		return marketplace.Offer{}, nil, fmt.Errorf("offer %s: %w", offerID, marketplace.ErrNotFound)
	}
	list, _, err := s.cfg.Store.Alerts(ctx, AlertFilter{OfferID: offerID}, marketplace.Page{Limit: marketplace.MaxPageSize})
	if err != nil {
		return marketplace.Offer{}, nil, err
	}
	// A provider reads the text detectors' findings; fraud evidence about
	// other parties (accounts, prices of others) stays with controllers.
	out := list[:0]
	for _, a := range list {
		if controller || a.Detector == DetectSect || a.Detector == DetectDiscrim {
			out = append(out, a)
		}
	}
	return o, out, nil
}
