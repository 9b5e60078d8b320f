package controls_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

// posts is a job matching as the controls see it: the posts' states and
// the decisions it received, with matching's rules (only a held post is
// reviewed; a rejection needs a reason).
type posts struct {
	mu        sync.Mutex
	m         map[string]*controls.JobPost
	reasons   map[string]string
	reviewers []string
}

func (p *posts) JobPost(_ context.Context, id string) (controls.JobPost, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if x, ok := p.m[id]; ok {
		return *x, nil
	}
	return controls.JobPost{}, marketplace.ErrNotFound
}

func (p *posts) ReviewJobPost(_ context.Context, reviewer, id string, publish bool, reason string) (controls.JobPost, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	x, ok := p.m[id]
	if !ok {
		return controls.JobPost{}, marketplace.ErrNotFound
	}
	if !x.Held {
		return controls.JobPost{}, fmt.Errorf("%w: not held", marketplace.ErrConflict)
	}
	x.Held, x.Status = false, "rejected"
	if publish {
		x.Status = "published"
	}
	p.reasons[id], p.reviewers = reason, append(p.reviewers, reviewer)
	return *x, nil
}

// holdPost screens a job post as the job matching does on publication
// and records it held when the screening holds it.
func holdPost(t *testing.T, e *env, p *posts, id, title, desc string) controls.Screening {
	t.Helper()
	sc, err := e.ctl.Screen(context.Background(), controls.Text{Kind: controls.KindJobPost, Ref: "job_post:" + id,
		Fields: map[string]string{"title": title, "description": desc}})
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Hold {
		t.Fatalf("the post %q is not held: %+v", title, sc)
	}
	p.mu.Lock()
	p.m[id] = &controls.JobPost{ID: id, EmployerSIRET: "90123456700013", Title: title, Description: desc, Status: "held", Held: true}
	p.mu.Unlock()
	return sc
}

func newPosts(e *env) *posts {
	p := &posts{m: map[string]*controls.JobPost{}, reasons: map[string]string{}}
	e.ctl.AttachJobPosts(p)
	return p
}

const (
	discrimTitle = "Serveuse"
	discrimDesc  = "Rejoignez notre jeune équipe dynamique : moins de 30 ans, nationalité française exigée, service en salle et au bar."
)

func TestControllerRejectsHeldJobPostFromItsAlert(t *testing.T) { onBoth(t, testRejectJobPost) }

func testRejectJobPost(t *testing.T, e *env) {
	ctx := context.Background()
	p := newPosts(e)
	holdPost(t, e, p, "job-1", discrimTitle, discrimDesc)
	id := controls.AlertID(controls.DetectDiscrim, "job_post:job-1")
	v, err := e.ctl.View(ctx, ctrl, id)
	if err != nil {
		t.Fatal(err)
	}
	if v.JobPost == nil || v.JobPost.Description != discrimDesc || !v.JobPost.Held || !v.OfferHeld || len(v.Findings) == 0 {
		t.Fatalf("the alert does not show the held post: %+v", v)
	}
	// Only a controller decides, with a reason; a refused decision
	// changes nothing.
	if _, _, err := e.ctl.Act(ctx, controls.Reviewer{ID: "employer:x"}, id, controls.ActRequest{Kind: controls.ActRejectJob, Reason: "non"}); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("non-controller: %v", err)
	}
	if _, _, err := e.ctl.Act(ctx, ctrl, id, controls.ActRequest{Kind: controls.ActRejectJob, Reason: "  "}); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("no reason: %v", err)
	}
	if got, _ := p.JobPost(ctx, "job-1"); !got.Held || len(p.reviewers) != 0 {
		t.Fatalf("a refused decision reached the post: %+v %v", got, p.reviewers)
	}
	reason := "Critères d’âge et de nationalité interdits : republiez l’annonce sans eux, avec la mention H/F."
	a, act, err := e.ctl.Act(ctx, ctrl, id, controls.ActRequest{Kind: controls.ActRejectJob, Reason: reason})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != controls.Closed || a.OfferHeld || act.Kind != controls.ActRejectJob || act.Actor != ctrl.ID || act.At.IsZero() || act.Reason != reason {
		t.Errorf("after the rejection: %+v / %+v", a, act)
	}
	got, _ := p.JobPost(ctx, "job-1")
	if got.Status != "rejected" || p.reasons["job-1"] != reason || p.reviewers[0] != ctrl.ID {
		t.Errorf("the post after the rejection: %+v, reason %q, by %v", got, p.reasons["job-1"], p.reviewers)
	}
	v, err = e.ctl.View(ctx, ctrl, id)
	if err != nil || len(v.Actions) != 2 || v.Actions[0].Kind != controls.ActAutoReview || v.Actions[1].Kind != controls.ActRejectJob {
		t.Errorf("audit trail: %+v %v", v.Actions, err)
	}
	// Deciding again is a conflict, and audits nothing more.
	if _, _, err := e.ctl.Act(ctx, ctrl, id, controls.ActRequest{Kind: controls.ActPublishJob, Reason: "finalement"}); !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("second decision: %v", err)
	}
	if v, _ := e.ctl.View(ctx, ctrl, id); len(v.Actions) != 2 {
		t.Errorf("a refused decision was audited: %+v", v.Actions)
	}
}

func TestControllerPublishesHeldJobPostAndClosesItsOtherAlert(t *testing.T) {
	onBoth(t, testPublishJobPost)
}

func testPublishJobPost(t *testing.T, e *env) {
	ctx := context.Background()
	p := newPosts(e)
	holdPost(t, e, p, "job-2", discrimTitle,
		discrimDesc+" Harmonisation des chakras et soins énergétiques offerts, stage résidentiel avec jeûne hydrique.")
	disc, sect := controls.AlertID(controls.DetectDiscrim, "job_post:job-2"), controls.AlertID(controls.DetectSect, "job_post:job-2")
	if a, err := e.store.Alert(ctx, sect); err != nil || a.Status != controls.Open {
		t.Fatalf("the sectarian alert of the post: %+v %v", a, err)
	}
	// The training offers' publish_offer does not apply to a job post.
	if _, _, err := e.ctl.Act(ctx, ctrl, disc, controls.ActRequest{Kind: controls.ActPublish, Reason: "x"}); !errors.Is(err, marketplace.ErrInvalid) {
		t.Errorf("publish_offer on a job post's alert: %v", err)
	}
	if _, err := e.ctl.ReviewJobPost(ctx, controls.Reviewer{ID: "learner:x"}, "job-2", true, "ok"); !errors.Is(err, marketplace.ErrForbidden) {
		t.Errorf("non-controller through ReviewJobPost: %v", err)
	}
	got, err := e.ctl.ReviewJobPost(ctx, ctrl, "job-2", true, "Fausse alerte : annonce d’un centre de bien-être, corrigée par l’employeur.")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "published" || got.Held {
		t.Errorf("the post after publication: %+v", got)
	}
	for _, id := range []string{disc, sect} {
		v, err := e.ctl.View(ctx, ctrl, id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != controls.Closed || v.OfferHeld {
			t.Errorf("alert %s after the publication: %s held=%v", id, v.Status, v.OfferHeld)
		}
		last := v.Actions[len(v.Actions)-1]
		if last.Kind != controls.ActPublishJob || last.Actor != ctrl.ID || last.Reason == "" {
			t.Errorf("alert %s: last action %+v", id, last)
		}
	}
	if len(p.reviewers) != 1 {
		t.Errorf("the post was reviewed %d times", len(p.reviewers))
	}
	// The employer edits the post and publishes the same text again: it is
	// held again, and its alert reopens for a new decision.
	holdPost(t, e, p, "job-2", discrimTitle, discrimDesc+" Harmonisation des chakras et soins énergétiques offerts, stage résidentiel avec jeûne hydrique.")
	a, err := e.store.Alert(ctx, disc)
	if err != nil || a.Status != controls.Open || !a.OfferHeld {
		t.Fatalf("the alert of a post held again: %+v %v", a, err)
	}
	if _, _, err := e.ctl.Act(ctx, ctrl, disc, controls.ActRequest{Kind: controls.ActRejectJob, Reason: "toujours discriminatoire"}); err != nil {
		t.Errorf("rejecting the post held again: %v", err)
	}
}

func TestDismissingAJobPostAlertPublishesThePost(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := newPosts(e)
	holdPost(t, e, p, "job-3", discrimTitle, discrimDesc)
	id := controls.AlertID(controls.DetectDiscrim, "job_post:job-3")
	a, _, err := e.ctl.Act(ctx, ctrl, id, controls.ActRequest{Kind: controls.ActDismiss, Reason: "annonce déjà corrigée"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := p.JobPost(ctx, "job-3"); a.Status != controls.Dismissed || got.Status != "published" {
		t.Errorf("after dismissing: alert %s, post %s", a.Status, got.Status)
	}
}

func TestJobPostDecisionsNeedTheJobMatching(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.ctl.Screen(ctx, controls.Text{Kind: controls.KindJobPost, Ref: "job_post:job-4",
		Fields: map[string]string{"title": discrimTitle, "description": discrimDesc}}); err != nil {
		t.Fatal(err)
	}
	id := controls.AlertID(controls.DetectDiscrim, "job_post:job-4")
	if _, _, err := e.ctl.Act(ctx, ctrl, id, controls.ActRequest{Kind: controls.ActPublishJob, Reason: "ok"}); !errors.Is(err, marketplace.ErrUnavailable) {
		t.Errorf("without the job matching: %v", err)
	}
	if a, _ := e.store.Alert(ctx, id); a.Status != controls.Open {
		t.Errorf("the alert changed: %s", a.Status)
	}
	if _, _, err := e.ctl.Act(ctx, ctrl, "nope", controls.ActRequest{Kind: controls.ActPublishJob, Reason: "ok"}); !errors.Is(err, marketplace.ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
}
