package controls

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// The review of held job posts. The job matching screens each post
// (Screener, with Text.Ref "job_post:<id>"); a held post opens an alert
// here, and a controller publishes or rejects the post from the queue.
// The controls reach the job matching through JobPosts: the matching
// package imports this one, so the wiring (cmd/parcours) attaches it.

// JobPost is a job post as a controller reviews it.
type JobPost struct {
	ID            string
	EmployerSIRET string
	EmployerName  string
	Title         string
	Description   string
	// Status is the post's state in the job matching: "draft", "held",
	// "published", "rejected" or "closed".
	Status string
	// Held tells that the post waits for a controller's decision.
	Held      bool
	UpdatedAt time.Time
}

// JobPosts is what the controls need of the job matching:
// *matching.Service implements it.
type JobPosts interface {
	// JobPost returns a post, or ErrNotFound.
	JobPost(ctx context.Context, id string) (JobPost, error)
	// ReviewJobPost publishes or rejects a held post (ErrConflict when it
	// is not held), reason being what the employer reads of a rejection;
	// reviewer is the audit's actor ("controller:<id>").
	ReviewJobPost(ctx context.Context, reviewer, id string, publish bool, reason string) (JobPost, error)
}

// AttachJobPosts gives the service the job matching its job-post
// decisions go through. The wiring calls it once both exist.
func (s *Service) AttachJobPosts(j JobPosts) {
	s.mu.Lock()
	s.jobPosts = j
	s.mu.Unlock()
}

func (s *Service) posts() JobPosts {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.jobPosts
}

// jobPostAlertIDs are the IDs of the alerts a job post's screening may
// raise: one per text detector.
func jobPostAlertIDs(jobPostID string) []string {
	return []string{AlertID(DetectDiscrim, "job_post:"+jobPostID), AlertID(DetectSect, "job_post:"+jobPostID)}
}

// jobPostAlerts returns the stored alerts of a job post.
func (s *Service) jobPostAlerts(ctx context.Context, jobPostID string) ([]Alert, error) {
	var out []Alert
	for _, id := range jobPostAlertIDs(jobPostID) {
		a, err := s.cfg.Store.Alert(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// reviewJobPost carries out a decision on the job post of alert a:
// publish or reject it through the job matching.
func (s *Service) reviewJobPost(ctx context.Context, who Reviewer, a Alert, publish bool, reason string) error {
	j := s.posts()
	if j == nil {
		return fmt.Errorf("controls: the job matching is not attached: %w", marketplace.ErrUnavailable)
	}
	_, err := j.ReviewJobPost(ctx, who.ID, a.JobPostID, publish, reason)
	return err
}

// closeSiblings closes the other open alerts of a job post once a
// controller decided on the post from one of them, each with its entry
// in the audit trail.
func (s *Service) closeSiblings(ctx context.Context, who Reviewer, decided Alert, act Action) error {
	others, err := s.jobPostAlerts(ctx, decided.JobPostID)
	if err != nil {
		return err
	}
	var errs []error
	for _, o := range others {
		if o.ID == decided.ID || o.Status != Open {
			continue
		}
		sib := act
		sib.ID, sib.AlertID = marketplace.NewID(), o.ID
		sib.Reason = fmt.Sprintf("%s (décision prise sur l’alerte %s)", act.Reason, decided.ID)
		if err := s.cfg.Store.AddAction(ctx, sib); err != nil {
			errs = append(errs, err)
			continue
		}
		for attempt := 0; ; attempt++ {
			prev := o.Version
			o.Status, o.OfferHeld, o.UpdatedAt, o.Version = Closed, false, act.At, prev+1
			err := s.cfg.Store.SaveAlert(ctx, o, prev)
			if err == nil || !errors.Is(err, ErrStale) || attempt > 5 {
				errs = append(errs, err)
				break
			}
			if o, err = s.cfg.Store.Alert(ctx, o.ID); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// ReviewJobPost is a controller's decision on a held job post outside
// the queue (the job matching's review endpoint): it acts on the post's
// open alert when there is one, so that the decision closes the alerts
// and is audited in the controls like any other; a post held without an
// alert is reviewed directly, audited by the job matching.
func (s *Service) ReviewJobPost(ctx context.Context, who Reviewer, jobPostID string, publish bool, reason string) (JobPost, error) {
	if err := who.check(); err != nil {
		return JobPost{}, err
	}
	kind := ActRejectJob
	if publish {
		kind = ActPublishJob
	}
	alerts, err := s.jobPostAlerts(ctx, jobPostID)
	if err != nil {
		return JobPost{}, err
	}
	j := s.posts()
	if j == nil {
		return JobPost{}, fmt.Errorf("controls: the job matching is not attached: %w", marketplace.ErrUnavailable)
	}
	for _, a := range alerts {
		if a.Status == Open {
			if _, _, err := s.Act(ctx, who, a.ID, ActRequest{Kind: kind, Reason: reason}); err != nil {
				return JobPost{}, err
			}
			return j.JobPost(ctx, jobPostID)
		}
	}
	if err := validReason(reason); err != nil {
		return JobPost{}, err
	}
	return j.ReviewJobPost(ctx, who.ID, jobPostID, publish, reason)
}
