package controls

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// Detectors of fraud (Alert.Detector); the text detectors are
// DetectSect and DetectDiscrim.
const (
	DetectVolume      = "provider_volume"       // requests far above the provider's history
	DetectPrice       = "price_outlier"         // price far above the certification's usual price
	DetectFastExit    = "fast_completion"       // completion declared faster than the hours allow
	DetectSharedOrig  = "shared_origin"         // many accounts from one device or IP
	DetectTakeover    = "contact_change"        // contact or bank details changed just before a purchase
	DetectCanvassing  = "no_search"             // enrolment without any search or visit
	DetectEvaluations = "identical_evaluations" // identical evaluations in bulk
	DetectFlooding    = "offer_flooding"        // one training published in dozens of towns
	DetectQualiopi    = "qualiopi_lapsed"       // dossiers running with a lapsed Qualiopi
)

// Detectors lists every detector, for pages and the evaluation.
var Detectors = []string{DetectVolume, DetectPrice, DetectFastExit, DetectSharedOrig, DetectTakeover, DetectCanvassing,
	DetectEvaluations, DetectFlooding, DetectQualiopi, DetectSect, DetectDiscrim}

var detectorLabels = map[string]string{
	DetectVolume: "Volume de demandes anormal", DetectPrice: "Prix anormalement élevé", DetectFastExit: "Formation terminée trop vite",
	DetectSharedOrig: "Comptes multiples sur un appareil ou une adresse IP", DetectTakeover: "Coordonnées modifiées juste avant un achat",
	DetectCanvassing: "Inscription sans recherche ni visite (démarchage)", DetectEvaluations: "Évaluations identiques en série",
	DetectFlooding: "Même formation publiée dans de nombreuses villes", DetectQualiopi: "Certification Qualiopi expirée",
	DetectSect: "Risque de dérive sectaire", DetectDiscrim: "Critère discriminatoire",
}

// DetectorLabel is a detector's French name.
func DetectorLabel(d string) string {
	if l, ok := detectorLabels[d]; ok {
		return l
	}
	return d
}

// Status is an alert's place in the review.
type Status string

// Alert statuses.
const (
	Open      Status = "open"      // awaiting a controller
	Dismissed Status = "dismissed" // a controller found nothing wrong
	Closed    Status = "closed"    // a controller acted (hold, unpublish, suspend...)
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Open || s == Dismissed || s == Closed }

// Evidence is one fact an alert rests on, as a controller reads it.
type Evidence struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Alert is what a detector raises: a score from 0 to 1, the reasons in
// French and the evidence, about a dossier, an offer, a provider, an
// account or a job post. Its ID is derived from the detector and the
// subject, so a detector seeing the same thing again updates its alert.
type Alert struct {
	ID       string
	Detector string
	Score    float64
	Reasons  []string
	Evidence []Evidence
	Findings []Finding // the text detectors' passages
	Status   Status
	// The subject: the first set of these names it; the others give
	// context (a dossier's provider and account).
	DossierID  string
	OfferID    string
	ProviderID string
	AccountID  string
	JobPostID  string
	// PaymentHeld tells that the alert held its dossier's payment;
	// OfferHeld that its offer waits for review instead of being published.
	PaymentHeld bool
	OfferHeld   bool
	Source      string // "accept", "exit", "payment", "nightly", "publication", "screening"
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// Subject names what the alert is about, as "kind:id".
func (a Alert) Subject() string {
	switch {
	case a.DossierID != "":
		return "dossier:" + a.DossierID
	case a.OfferID != "":
		return "offer:" + a.OfferID
	case a.JobPostID != "":
		return "job_post:" + a.JobPostID
	case a.AccountID != "" && a.ProviderID == "":
		return "account:" + a.AccountID
	case a.ProviderID != "":
		return "provider:" + a.ProviderID
	}
	return "account:" + a.AccountID
}

// AlertID derives an alert's ID from its detector and subject: dots
// join the parts, so that the ID is a plain path segment.
func AlertID(detector, subject string) string {
	return detector + "." + strings.ReplaceAll(subject, ":", ".")
}

// ActionKind is what a controller does about an alert.
type ActionKind string

// Controller actions.
const (
	ActDismiss      ActionKind = "dismiss"            // nothing wrong: close the alert (publishes an offer it alone held)
	ActHold         ActionKind = "hold_payment"       // hold the dossier's payment
	ActRelease      ActionKind = "release_payment"    // release it (the provider is paid if due)
	ActUnpublish    ActionKind = "unpublish_offer"    // withdraw the offer
	ActPublish      ActionKind = "publish_offer"      // publish an offer held for review
	ActSuspend      ActionKind = "suspend_provider"   // withdraw every offer, refuse new ones
	ActReinstate    ActionKind = "reinstate_provider" // lift a suspension
	ActRecredit     ActionKind = "recredit_account"   // give a defrauded account its money back
	ActNote         ActionKind = "note"               // a remark in the history
	ActAutoHold     ActionKind = "auto_hold"          // the controls held a payment (automatic)
	ActAutoReview   ActionKind = "auto_review"        // the controls held an offer for review (automatic)
	ActReopen       ActionKind = "reopen"             // a detector saw the subject again, worse
	ActCancelDossie ActionKind = "cancel_dossier"     // cancel the dossier, releasing its money
	ActPublishJob   ActionKind = "publish_job_post"   // publish a job post held for review (a false positive)
	ActRejectJob    ActionKind = "reject_job_post"    // reject a held job post; the employer reads the reason
)

// ActionKinds lists the actions a controller may take.
var ActionKinds = []ActionKind{ActDismiss, ActHold, ActRelease, ActUnpublish, ActPublish, ActSuspend, ActReinstate, ActRecredit, ActCancelDossie, ActPublishJob, ActRejectJob, ActNote}

var actionLabels = map[ActionKind]string{
	ActDismiss: "Classer sans suite", ActHold: "Bloquer le paiement", ActRelease: "Débloquer le paiement",
	ActUnpublish: "Dépublier l’offre", ActPublish: "Publier l’offre après examen", ActSuspend: "Suspendre l’organisme",
	ActReinstate: "Lever la suspension", ActRecredit: "Recréditer le compte", ActNote: "Ajouter une note",
	ActAutoHold: "Paiement bloqué automatiquement", ActAutoReview: "Offre mise en attente d’examen", ActReopen: "Alerte rouverte",
	ActCancelDossie: "Annuler le dossier",
	ActPublishJob:   "Publier l’offre d’emploi (fausse alerte)", ActRejectJob: "Refuser l’offre d’emploi (motif transmis à l’employeur)",
}

// Label is the action's French name.
func (k ActionKind) Label() string { return actionLabels[k] }

// Valid reports whether k is an action a controller may take.
func (k ActionKind) Valid() bool {
	for _, a := range ActionKinds {
		if a == k {
			return true
		}
	}
	return false
}

// Action is one entry of the audit trail: who did what about an alert,
// when and why.
type Action struct {
	ID          string
	AlertID     string
	Kind        ActionKind
	Actor       string // the controller's subject, or "controls"
	Reason      string
	At          time.Time
	DossierID   string
	OfferID     string
	ProviderID  string
	AccountID   string
	AmountCents int64
}

// Suspension is a provider suspended by a controller: its offers are
// withdrawn and it may publish none until reinstated.
type Suspension struct {
	ProviderID string
	Since      time.Time
	By         string
	Reason     string
}

// SignalKind is what a learner did, as the controls see it.
type SignalKind string

// Signal kinds.
const (
	SignalSearch SignalKind = "search" // searched the catalogue
	SignalVisit  SignalKind = "visit"  // opened an offer's page
	SignalEnrol  SignalKind = "enrol"  // requested an enrolment
)

// Signal is one action of a signed-in learner with where it came from:
// the device (hash of the device cookie) and the IP address (keyed hash,
// never the address). The canvassing and shared-origin detectors read
// them; they are kept SignalRetention.
type Signal struct {
	ID        string
	AccountID string
	Kind      SignalKind
	OfferID   string
	IP        string
	Device    string
	At        time.Time
}

// SignalRetention is how long signals are kept.
const SignalRetention = 90 * 24 * time.Hour

// AlertFilter selects alerts in the queue. Zero fields select all.
type AlertFilter struct {
	Status     Status
	Detector   string
	ProviderID string
	AccountID  string
	OfferID    string
}

// ErrNotFound, ErrConflict and ErrStale are the marketplace's, so that the
// API's error table maps them.
var (
	ErrNotFound = marketplace.ErrNotFound
	ErrConflict = marketplace.ErrConflict
	ErrStale    = marketplace.ErrStale
)

// Store keeps alerts, the audit trail, suspensions and signals.
// Implementations are safe for concurrent use.
type Store interface {
	// SaveAlert writes a when the stored alert's Version is ifVersion (0:
	// none must exist, else ErrConflict); otherwise ErrStale. The caller
	// sets a.Version to ifVersion+1.
	SaveAlert(ctx context.Context, a Alert, ifVersion int64) error
	// Alert returns an alert, or ErrNotFound.
	Alert(ctx context.Context, id string) (Alert, error)
	// Alerts lists alerts matching f, highest score first (then ID), with
	// the cursor of the next page ("" at the end).
	Alerts(ctx context.Context, f AlertFilter, page marketplace.Page) ([]Alert, string, error)
	// OpenOfferAlert reports whether an offer has an open alert.
	OpenOfferAlert(ctx context.Context, offerID string) (bool, error)

	// AddAction appends to the audit trail; ErrConflict if its ID is taken.
	AddAction(ctx context.Context, a Action) error
	// Actions lists an alert's actions, oldest first.
	Actions(ctx context.Context, alertID string) ([]Action, error)

	// PutSuspension records a suspension, replacing any of its provider.
	PutSuspension(ctx context.Context, s Suspension) error
	// DeleteSuspension lifts a provider's suspension (no error if none).
	DeleteSuspension(ctx context.Context, providerID string) error
	// Suspension returns a provider's suspension, or ErrNotFound.
	Suspension(ctx context.Context, providerID string) (Suspension, error)

	// AddSignal records a signal (its ID is unique; a repeat is a no-op).
	AddSignal(ctx context.Context, s Signal) error
	// Signals lists an account's signals at or after since, oldest first.
	Signals(ctx context.Context, accountID string, since time.Time) ([]Signal, error)
	// AccountsFrom lists the distinct accounts with a signal from the
	// device (kind "device") or IP hash (kind "ip") at or after since, at
	// most limit.
	AccountsFrom(ctx context.Context, kind, value string, since time.Time, limit int) ([]string, error)
	// PruneSignals deletes the signals before t and reports how many.
	PruneSignals(ctx context.Context, before time.Time) (int, error)
}

// DossierScanner is the optional capability of a store to read every
// dossier and evaluation, in no particular order, for the nightly scan.
type DossierScanner interface {
	EachDossier(ctx context.Context, fn func(marketplace.Dossier) error) error
	EachEvaluation(ctx context.Context, fn func(marketplace.Evaluation) error) error
}

// ContactChanges tells when a learner's contact or bank details last
// changed (the accounts' details issue provides it): ok is false when
// they never changed. The account-takeover detector reads it when wired.
type ContactChanges interface {
	ContactChangedAt(ctx context.Context, accountID string) (at time.Time, what string, ok bool, err error)
}

var errNoStore = errors.New("controls: no store")

// RankKey orders alerts by score, highest first, in a byte-wise sorted
// index: both backends page the queue by (RankKey, ID).
func RankKey(score float64) string {
	s := min(max(score, 0), 9.99999)
	return fmt.Sprintf("%06d", 999999-int(s*100000))
}

// QueueCursor is the cursor resuming the queue after an alert.
func QueueCursor(a Alert) string { return marketplace.EncodeCursor(RankKey(a.Score) + "|" + a.ID) }
