package skills

import "context"

// Teacher is the optional capability of a Graph to list the skills a
// certification teaches (its TEACHES edges), by label. Both backends have
// it: the training recommendations' skills reason and the training
// attestations of career profiles read it by type assertion.
type Teacher interface {
	TaughtBy(ctx context.Context, code string) ([]Skill, error)
}

var _ Teacher = (*Embedded)(nil)
