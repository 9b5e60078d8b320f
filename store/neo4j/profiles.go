package neo4j

import (
	"context"

	"github.com/parcours/parcours/skills"
)

// QueryTaughtBy lists the skills a certification teaches, for the
// training attestation of career profiles (profiles.AttestTraining).
const QueryTaughtBy = `MATCH (:Certification {id: $code})-[:TEACHES]->(s:Skill)
RETURN s.id AS id, s.label AS label, s.kind AS kind, s.altLabels AS altLabels
ORDER BY label, id`

func init() { statements["QueryTaughtBy"] = QueryTaughtBy }

// TaughtBy lists the skills a certification teaches, by label, as the
// embedded graph's TaughtBy does.
func (g *Graph) TaughtBy(ctx context.Context, code string) ([]skills.Skill, error) {
	recs, err := g.run(ctx, QueryTaughtBy, map[string]any{"code": code})
	if err != nil {
		return nil, err
	}
	var out []skills.Skill
	for _, r := range recs {
		out = append(out, skillOf(r))
	}
	return out, nil
}
