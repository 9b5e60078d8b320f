package skills

import (
	"fmt"
	"slices"
	"strings"

	"github.com/parcours/parcours/marketplace"
)

// Sentinel errors of the graph: the marketplace's own, so that the API's
// single error table maps them, and field errors are
// *marketplace.ValidationError.
var (
	ErrNotFound = marketplace.ErrNotFound
	ErrInvalid  = marketplace.ErrInvalid
)

// Skill is a competence (savoir-faire), a piece of knowledge (savoir) or a
// block of competences of a certification. ID is namespaced by its source:
// "rome:<code_ogr>", "esco:<uuid>", "rncp:<bloc code>".
type Skill struct {
	ID        string
	Label     string
	Kind      string // "savoir-faire", "savoir", "savoir-être", "bloc", or ESCO's skillType
	AltLabels []string
}

// Occupation is a trade (métier). ROME occupations have their ROME code as
// ID ("M1805"); ESCO occupations "esco:<uuid>".
type Occupation struct {
	ID        string
	Label     string
	Domain    string   // ROME professional domain ("M18") or ESCO ISCO group
	AltLabels []string // job titles (ROME appellations, ESCO altLabels), sorted
}

// Certification is an RNCP or RS certification, as the France Compétences
// registry describes it. Code is "RNCP37674" or "RS5436".
type Certification struct {
	Code       string
	Title      string
	Level      int // European level 1-8; 0 for none (RS)
	Active     bool
	Formacodes []string
	Certifiers []string
}

// JobOffer is an employer's vacancy: its occupation and the skills it requires.
type JobOffer struct {
	ID         string
	Title      string
	Occupation string // ROME code or ESCO occupation ID; may be empty
}

// Offer is a training offer as the graph sees it: it teaches what its
// certification teaches. It is fed from the marketplace, not stored here.
type Offer struct {
	ID            string
	ProviderID    string
	Title         string
	Certification string
	PriceCents    int64
	Hours         int
	Region        string
}

// Relation is the kind of an edge.
type Relation string

// The relations of the graph. Requires goes from an occupation or a job
// offer to a skill; Teaches from a certification to a skill; Broader from a
// skill to its parent; Related between two skills; HasSkill from a person
// to a skill; Prepares from a certification to an occupation it leads to.
const (
	Requires Relation = "requires"
	Teaches  Relation = "teaches"
	Broader  Relation = "broader"
	Related  Relation = "related"
	HasSkill Relation = "has_skill"
	Prepares Relation = "prepares"
)

// Evidence says how sure a held skill is.
type Evidence string

// Attested skills come from a certifier, an employer or a completed
// training; declared ones from the person alone.
const (
	Attested Evidence = "attested"
	Declared Evidence = "declared"
)

// MaxLevel is the highest skill level (1 notions ... 4 expert).
const MaxLevel = 4

// Edge is one relation. The key is (Rel, From, To); Essential qualifies
// Requires, Level and Evidence qualify HasSkill.
type Edge struct {
	Rel       Relation
	From, To  string
	Essential bool
	Level     int
	Evidence  Evidence
}

// Key identifies an edge.
func (e Edge) Key() string { return string(e.Rel) + "\x00" + e.From + "\x00" + e.To }

// AreaKind is the scale of an employment statistic.
type AreaKind string

// Employment statistics scales: bassin d'emploi (employment area, the
// France Travail BE code), department, region, whole country.
const (
	AreaBassin     AreaKind = "bassin"
	AreaDepartment AreaKind = "departement"
	AreaRegion     AreaKind = "region"
	AreaNational   AreaKind = "national"
)

// Outcome is the rate of return to employment six months after trainings of
// one Formacode domain in one area (France Travail open data). Rates are
// per mille, so that they stay integers; Suppressed marks cells France
// Travail hides because fewer than 60 people left training there.
type Outcome struct {
	Formacode  string
	Label      string
	AreaKind   AreaKind
	Area       string
	Year       int
	Leavers    int
	RatePerMil int
	Suppressed bool
}

// Key identifies an outcome.
func (o Outcome) Key() string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%d", o.Formacode, o.AreaKind, o.Area, o.Year)
}

// Hiring is the number of hiring projects for one occupation in one
// employment area in one year (BMO survey, "besoins en main-d'œuvre").
type Hiring struct {
	Year      int
	Job       string // BMO occupation code
	JobLabel  string
	Area      string // bassin d'emploi code (BE24)
	AreaLabel string
	Region    string
	Projects  int
	Difficult int
	Seasonal  int
}

// Key identifies a hiring record.
func (h Hiring) Key() string { return fmt.Sprintf("%d\x00%s\x00%s", h.Year, h.Job, h.Area) }

// Batch is a set of records written at once. Records are upserted by key;
// DeleteEdges removes edges by key.
type Batch struct {
	Skills         []Skill
	Occupations    []Occupation
	Certifications []Certification
	JobOffers      []JobOffer
	Edges          []Edge
	DeleteEdges    []Edge
	Outcomes       []Outcome
	Hiring         []Hiring
}

// Len counts the records of b.
func (b Batch) Len() int {
	return len(b.Skills) + len(b.Occupations) + len(b.Certifications) + len(b.JobOffers) +
		len(b.Edges) + len(b.DeleteEdges) + len(b.Outcomes) + len(b.Hiring)
}

// Stats counts what a write did: records that changed the graph, and
// records identical to what it already held.
type Stats struct {
	Written   int
	Unchanged int
}

// Validate checks the records of b; the error names each faulty record.
func (b Batch) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	for _, s := range b.Skills {
		if s.ID == "" || strings.TrimSpace(s.Label) == "" {
			bad("skill %q: id and label are required", s.ID)
		}
	}
	for _, o := range b.Occupations {
		if o.ID == "" || strings.TrimSpace(o.Label) == "" {
			bad("occupation %q: id and label are required", o.ID)
		}
	}
	for _, c := range b.Certifications {
		if c.Code == "" || c.Level < 0 || c.Level > 8 {
			bad("certification %q: code is required and level must be 0 to 8", c.Code)
		}
	}
	for _, j := range b.JobOffers {
		if j.ID == "" {
			bad("job offer: id is required")
		}
	}
	for _, e := range append(slices.Clip(b.Edges), b.DeleteEdges...) {
		if err := e.validate(); err != nil {
			bad("%v", err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", strings.Join(errs, "; "), ErrInvalid)
}

func (e Edge) validate() error {
	if e.From == "" || e.To == "" {
		return fmt.Errorf("edge %s: both ends are required", e.Rel)
	}
	switch e.Rel {
	case Requires, Teaches, Broader, Related, Prepares:
	case HasSkill:
		if e.Level < 1 || e.Level > MaxLevel {
			return fmt.Errorf("has_skill %s -> %s: level must be 1 to %d", e.From, e.To, MaxLevel)
		}
		if e.Evidence != Attested && e.Evidence != Declared {
			return fmt.Errorf("has_skill %s -> %s: evidence must be attested or declared", e.From, e.To)
		}
	default:
		return fmt.Errorf("edge %s -> %s: unknown relation %q", e.From, e.To, e.Rel)
	}
	if e.From == e.To {
		return fmt.Errorf("edge %s %s: a node cannot relate to itself", e.Rel, e.From)
	}
	return nil
}
