package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/matching"
)

// The app wires the controls to the job matching: a controller rejects a
// held job post from its alert, and the post is rejected in the job
// matching with the reason its employer reads.
func TestControlsDecideOnHeldJobPosts(t *testing.T) {
	t.Setenv("PARCOURS_CONFIG", "")
	ctx := context.Background()
	cfg, err := loadConfig(commonFlags{data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if a.matching == nil || a.controls == nil {
		t.Fatal("the job matching or the controls are off")
	}
	now := time.Now().UTC()
	post := matching.JobOffer{ID: "job-wired", EmployerSIRET: "90123456700013", ROME: "G1602", Title: "Serveuse",
		Description: "Jeune équipe dynamique, moins de 30 ans, nationalité française exigée.", Status: matching.OfferHeld,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := a.matching.Store().CreateJobOffer(ctx, post); err != nil {
		t.Fatal(err)
	}
	sc, err := a.controls.Screen(ctx, controls.Text{Kind: controls.KindJobPost, Ref: "job_post:" + post.ID,
		Fields: map[string]string{"title": post.Title, "description": post.Description}})
	if err != nil || !sc.Hold {
		t.Fatalf("screening: %+v %v", sc, err)
	}
	who := controls.Reviewer{ID: "controller:c1", Controller: true}
	alert := controls.AlertID(controls.DetectDiscrim, "job_post:"+post.ID)
	if _, _, err := a.controls.Act(ctx, who, alert, controls.ActRequest{Kind: controls.ActRejectJob, Reason: "Critères interdits."}); err != nil {
		t.Fatal(err)
	}
	got, err := a.matching.EmployerOffer(ctx, post.EmployerSIRET, post.ID)
	if err != nil || got.Status != matching.OfferRejected || got.Review == nil || got.Review.Reason != "Critères interdits." {
		t.Errorf("the post after the rejection: %+v %v", got, err)
	}
}
