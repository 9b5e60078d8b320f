package skills

import (
	"context"

	"github.com/parcours/parcours/marketplace"
)

// Graph is the skills graph: what is stored, and the queries recommendations
// and job matching stand on. Every backend (the embedded graph of this
// package, Neo4j in store/neo4j) answers the queries identically, which the
// suite in skills/graphtest checks. Implementations are safe for concurrent
// use.
type Graph interface {
	// Apply upserts the records of b and deletes its DeleteEdges. Writing a
	// record identical to the stored one counts as Unchanged, so that
	// re-importing a file reports no change. Edges may name nodes not yet
	// known: they take effect when the nodes arrive.
	Apply(ctx context.Context, b Batch) (Stats, error)

	// Skill returns one skill, or ErrNotFound.
	Skill(ctx context.Context, id string) (Skill, error)
	// SkillsByLabel returns the skills whose label matches label once both
	// are folded (case, accents and punctuation ignored), by ID.
	SkillsByLabel(ctx context.Context, label string) ([]Skill, error)
	// Occupations lists every occupation, by label then ID.
	Occupations(ctx context.Context) ([]Occupation, error)
	// Occupation returns an occupation with what it requires and the
	// certifications that prepare for it, or ErrNotFound.
	Occupation(ctx context.Context, id string) (OccupationView, error)
	// Neighbours lists the skills linked to a skill (broader, narrower,
	// related), ordered by relation then label; ErrNotFound if unknown.
	Neighbours(ctx context.Context, skillID string) ([]Neighbour, error)
	// NearOccupations lists the occupations sharing the most required skills
	// with an occupation (Jaccard similarity of their required skills).
	NearOccupations(ctx context.Context, id string, limit int) ([]Near, error)

	// PersonSkills lists the skills a person holds, by label.
	PersonSkills(ctx context.Context, personID string) ([]Held, error)
	// SetDeclaredSkills replaces the skills a person declares; attested
	// skills are kept, and a declared skill is ignored where the same
	// skill is attested. Unknown skills are a *marketplace.ValidationError.
	SetDeclaredSkills(ctx context.Context, personID string, skills []Held) error

	// Gap compares what a person holds with what an occupation or a job
	// offer requires. A required skill is covered when the person holds it
	// or one of its narrower skills (up to three levels below).
	Gap(ctx context.Context, personID string, target Target) (Gap, error)
	// Trainings lists the published training offers that teach the most of
	// the given skills: ranked by coverage (an essential skill weighs 2, an
	// optional one 1), then price, then hours, then ID; at most
	// MaxPerProvider offers of one provider.
	Trainings(ctx context.Context, need []Requirement, q TrainingQuery) ([]Training, error)
	// Passerelles lists the occupations a person could move to with the
	// smallest gap: fewest missing essential skills, then fewest missing
	// skills, then most covered, then label. Occupations the person already
	// fully covers come first; occupations sharing no skill are left out.
	Passerelles(ctx context.Context, personID string, limit int) ([]Passerelle, error)

	// Counts tells how many nodes and edges the graph holds.
	Counts(ctx context.Context) (Counts, error)

	// The graph follows the marketplace's offers.
	marketplace.Observer
}

// Target is what a gap is measured against: exactly one of its fields is set.
type Target struct {
	Occupation string
	JobOffer   string
}

// Requirement is one skill an occupation or job offer requires.
type Requirement struct {
	Skill     Skill
	Essential bool
}

// OccupationView is an occupation with its requirements (essential first,
// then by label) and the certifications that prepare for it (by code).
type OccupationView struct {
	Occupation     Occupation
	Requires       []Requirement
	Certifications []Certification
}

// Neighbour is a skill next to another one.
type Neighbour struct {
	Skill    Skill
	Relation string // "broader" (a parent), "narrower" (a child) or "related"
}

// Near is an occupation close to another one.
type Near struct {
	Occupation Occupation
	Shared     int     // required skills in common
	Similarity float64 // Jaccard index of the required skills, 0 to 1
}

// Held is a skill a person holds.
type Held struct {
	Skill    Skill
	Level    int
	Evidence Evidence
}

// Covered is a required skill the person covers, and by which held skill.
type Covered struct {
	Requirement
	By       string // ID of the held skill (the same, or a narrower one)
	Evidence Evidence
}

// Gap is the result of a gap query.
type Gap struct {
	Target   Target
	Label    string // the occupation's or job offer's label
	Covered  []Covered
	Missing  []Requirement // essential first, then by label
	Required int
}

// TrainingQuery narrows a Trainings query. Limit defaults to 10 and is at
// most 100; Region, when set, keeps the offers of that region (INSEE code).
type TrainingQuery struct {
	Limit  int
	Region string
}

// Training is an offer that teaches some of the needed skills.
type Training struct {
	Offer    Offer
	Teaches  []string // IDs of the needed skills it teaches, sorted
	Coverage int      // 2 per essential skill taught, 1 per optional one
}

// Passerelle is an occupation reachable from a person's skills.
type Passerelle struct {
	Occupation       Occupation
	MissingEssential int
	Missing          int
	Covered          int
	Required         int
}

// Counts is the size of the graph.
type Counts struct {
	Skills, Occupations, Certifications, JobOffers, Offers, Edges, Outcomes, Hiring int
}

// clampLimit applies a query's default and maximum.
func clampLimit(n, def, max int) int {
	switch {
	case n <= 0:
		return def
	case n > max:
		return max
	}
	return n
}

// TrainingLimit returns the effective limit of q.
func (q TrainingQuery) limit() int { return clampLimit(q.Limit, 10, 100) }

// Limit returns the effective limit of a query asking for n results (default
// 10, at most 100): every backend applies the same bounds.
func Limit(n int) int { return clampLimit(n, 10, 100) }

// Store persists the embedded graph. Implementations are safe for concurrent
// use; store/bolt provides one.
type Store interface {
	// PutGraph upserts b's records and deletes its DeleteEdges, atomically.
	PutGraph(ctx context.Context, b Batch) error
	// ScanGraph calls fn with every stored record, in batches of bounded
	// size; it stops at fn's first error and returns it.
	ScanGraph(ctx context.Context, fn func(Batch) error) error
}
