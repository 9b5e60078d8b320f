package matching

import (
	"context"

	"github.com/parcours/parcours/controls"
)

// The job matching as the controls' review queue reaches it: a
// controller reads a held post and publishes or rejects it from the
// post's alert. Service implements controls.JobPosts; the wiring attaches
// it to the controls (cmd/parcours/wire_matching.go).

var _ controls.JobPosts = (*Service)(nil)

func jobPost(o JobOffer) controls.JobPost {
	return controls.JobPost{ID: o.ID, EmployerSIRET: o.EmployerSIRET, EmployerName: o.EmployerName, Title: o.Title,
		Description: o.Description, Status: string(o.Status), Held: o.Status == OfferHeld, UpdatedAt: o.UpdatedAt}
}

// JobPost implements controls.JobPosts.
func (s *Service) JobPost(ctx context.Context, id string) (controls.JobPost, error) {
	o, err := s.store.JobOffer(ctx, id)
	if err != nil {
		return controls.JobPost{}, err
	}
	return jobPost(o), nil
}

// ReviewJobPost implements controls.JobPosts with Review.
func (s *Service) ReviewJobPost(ctx context.Context, reviewer, id string, publish bool, reason string) (controls.JobPost, error) {
	o, err := s.Review(ctx, reviewer, id, publish, reason)
	if err != nil {
		return controls.JobPost{}, err
	}
	return jobPost(o), nil
}
