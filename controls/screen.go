package controls

import "context"

// What the other subsystems call before publishing a text and before
// showing an offer. The implementations live in this package; a subsystem
// that receives a nil Screener or Flags publishes without screening and
// says so in its logs (the wiring in cmd/parcours always sets them).

// Text is what a screening reads: the free-text parts of a training offer,
// of its prerequisites, or of a job post.
type Text struct {
	// Kind is "training_offer" or "job_post".
	Kind string
	// Fields maps an API field name ("title", "description",
	// "prerequisites"...) to its text.
	Fields map[string]string
	// Certification is the registered certification the text prepares
	// for (RNCP or RS code), empty when none.
	Certification string
	// Ref, when set, names the screened record ("job_post:<id>"): a
	// screening that holds the text then opens an alert in the
	// controllers' review queue. Optional.
	Ref string
}

// Finding is one passage a detector flags, and why.
type Finding struct {
	// Detector is "discrimination" or "sectarian_drift".
	Detector string `json:"detector"`
	// Criterion is the ground flagged: a criterion of article 225-1 of
	// the penal code ("age", "sex", "origin"...) or a sectarian-drift risk
	// signal ("pseudo_therapy", "isolation"...).
	Criterion string `json:"criterion"`
	// Field is the API field holding the passage.
	Field string `json:"field"`
	// Passage is the flagged words, as written.
	Passage string `json:"passage"`
	// Explanation says in French why the passage is flagged, for the
	// author and for the controller.
	Explanation string `json:"explanation"`
	// Score is the finding's weight in the screening's score.
	Score float64 `json:"score"`
}

// Screening is the verdict on a text before publication.
type Screening struct {
	Findings []Finding `json:"findings"`
	Score    float64   `json:"score"`
	// Hold tells that the text waits for a controller's review instead of
	// being published.
	Hold bool `json:"hold"`
}

// Screener screens texts before publication. Implementations are safe for
// concurrent use.
type Screener interface {
	Screen(ctx context.Context, t Text) (Screening, error)
}

// Flags tells which training offers have an open alert from a control, so
// that recommendations leave them out.
type Flags interface {
	FlaggedOffer(ctx context.Context, offerID string) (bool, error)
}
