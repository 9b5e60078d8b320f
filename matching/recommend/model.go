package recommend

import (
	"errors"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// Sentinel errors: the marketplace's, so that the API's error table maps them.
var (
	ErrNotFound = marketplace.ErrNotFound
	ErrConflict = marketplace.ErrConflict
	ErrInvalid  = marketplace.ErrInvalid
)

// errNoSignals is returned when an account has nothing to recommend from.
var errNoSignals = errors.New("recommend: no signals")

// Source names a recommender.
type Source string

// The three recommenders.
const (
	Similar Source = "similar" // collaborative filtering: people with a close profile followed it
	Skills  Source = "skills"  // it teaches skills the worker lacks for an occupation
	Local   Source = "local"   // it leads to work in the worker's area
)

// Offer is a training offer as the recommender sees it. Nothing in it that
// a provider could pay for weighs in a score: the title and provider are
// only shown, and the tie-break ignores the provider.
type Offer struct {
	ID            string
	ProviderID    string
	Title         string
	Certification string
	Formacodes    []string // the certification's Formacode domains
	Department    string
	Region        string
	Distance      bool // distance learning: reachable from anywhere
	// Available tells whether the offer may be recommended: published, not
	// flagged by a control, with a session ahead that has free seats.
	Available bool
	// NextSession is the start of the first session ahead with free seats.
	NextSession time.Time
	PriceCents  int64
	Teaches     []string // skill IDs its certification teaches
	Occupations []string // occupations its certification prepares for
}

// Event is one signal linking an account to an offer: a dossier in some
// state, or a page view the worker consented to share.
type Event struct {
	Offer  string
	Weight float32 // implicit feedback strength
	// Dossier tells that the worker has a dossier on the offer: it is
	// never recommended to them again.
	Dossier bool
	// Followed tells that the dossier went as far as an accepted
	// enrolment: the worker followed (or is following) the training.
	Followed bool
	At       time.Time
}

// Need is what a worker lacks for one occupation.
type Need struct {
	Occupation string
	Label      string
	// Chosen tells the worker chose it as a target; otherwise it is an
	// occupation near their skills or targets.
	Chosen  bool
	Missing []string // skill IDs the worker lacks
}

// Account is everything the recommender reads about one worker.
type Account struct {
	ID         string
	Commune    string
	Department string
	Region     string
	History    []Event
	Needs      []Need
}

// Reason is one true statement on why an item is recommended.
type Reason struct {
	Source Source
	// Text is the French explanation shown to the worker.
	Text string
	// The figures the text states, for the test that recomputes them and
	// for API clients.
	People     int    `json:",omitempty"` // similar: people with a close profile who followed it
	Covered    int    `json:",omitempty"` // skills: missing skills it teaches
	Missing    int    `json:",omitempty"` // skills: skills missing for the occupation
	Occupation string `json:",omitempty"` // skills: the occupation
	RatePerMil int    `json:",omitempty"` // local: return to work within 6 months, per mille
	Area       string `json:",omitempty"` // local: the area the rate is measured in
	Hires      int    `json:",omitempty"` // local: planned hires in the worker's region
}

// Item is one recommended training.
type Item struct {
	Offer   string
	Title   string
	Score   float64 // blended score, 0 to 1, quantised to 1/1000
	Reasons []Reason
}

// Result is an account's stored top-K.
type Result struct {
	Account string
	Items   []Item
	// Fingerprint digests the inputs the result was computed from; a
	// batch recomputes an account only when it changed.
	Fingerprint string
	// Model is the version of the collaborative model used ("" when the
	// result was computed without one, e.g. on demand at cold start).
	Model      string
	ComputedAt time.Time
}

// Preferences are what a worker tells the recommender: target
// occupations, home commune, and whether their page views may be used.
type Preferences struct {
	Account string
	Targets []string // occupation codes, at most MaxTargets
	Commune string   // INSEE code of the home commune
	// ViewsConsent allows using the worker's page views; without it no
	// view is recorded.
	ViewsConsent bool
	// Views are the last offers the worker viewed (with consent), newest
	// first, at most MaxViews.
	Views     []View
	UpdatedAt time.Time
}

// View is one consented page view.
type View struct {
	Offer string
	At    time.Time
}

// Limits of the preferences.
const (
	MaxTargets = 5
	MaxViews   = 50
)

// Validate checks the preferences' own fields; occupationKnown and
// communeKnown tell whether codes exist.
func (p *Preferences) Validate(occupationKnown, communeKnown func(string) bool) error {
	var v marketplace.ValidationError
	if len(p.Targets) > MaxTargets {
		v.Add("targets", "must list at most %d occupations", MaxTargets)
	}
	seen := map[string]bool{}
	for i, t := range p.Targets {
		switch {
		case t == "":
			v.Add(fieldIndex("targets", i), "must not be empty")
		case seen[t]:
			v.Add(fieldIndex("targets", i), "lists %q twice", t)
		case !occupationKnown(t):
			v.Add(fieldIndex("targets", i), "unknown occupation %q", t)
		}
		seen[t] = true
	}
	if p.Commune != "" && !communeKnown(p.Commune) {
		v.Add("commune", "unknown INSEE commune code %q", p.Commune)
	}
	return v.Err()
}

// WidgetKey lets one third-party site embed the widget.
type WidgetKey struct {
	ID   string // the public key written in data-key
	Site string // the site's name, for administrators
	// Origins are the exact origins ("https://example.org") allowed to
	// embed the widget.
	Origins []string
	// PerMinute bounds the widget's requests per minute under this key.
	PerMinute int
	CreatedAt time.Time
	RevokedAt time.Time // zero while valid
}

// Revoked tells whether the key was revoked.
func (k WidgetKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Allows tells whether origin may embed the widget with this key.
func (k WidgetKey) Allows(origin string) bool {
	if k.Revoked() {
		return false
	}
	for _, o := range k.Origins {
		if o == origin {
			return true
		}
	}
	return false
}
