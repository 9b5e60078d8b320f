package neo4j

import "github.com/parcours/parcours/skills"

// The recommender's skills reason and the profiles' training attestations
// find TaughtBy by type assertion: without it they would stay silent on
// this backend, so its absence must not compile.
var _ skills.Teacher = (*Graph)(nil)
