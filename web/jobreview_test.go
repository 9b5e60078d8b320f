package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/matching"
)

// screenedJobs turns the job matching on, its posts screened by the
// controls, which reach it to publish or reject a held post (as
// cmd/parcours wires them).
func screenedJobs(t testing.TB, svc **matching.Service) func(*Deps) {
	return func(d *Deps) {
		m, err := matching.New(matching.Config{Store: d.Sessions.(matching.Store), Graph: d.Graph, Places: d.Places, Log: d.Log, Screener: d.Controls})
		if err != nil {
			t.Fatal(err)
		}
		d.Matching = m
		d.Controls.AttachJobPosts(m)
		*svc = m
	}
}

const (
	heldJobTitle = "Serveuse"
	heldJobDesc  = "Rejoignez notre jeune équipe dynamique : moins de 30 ans, nationalité française exigée. Vous préparerez les légumes, les viandes et les poissons."
)

// heldJobPost has the employer publish a post the discrimination
// screening holds; it returns the post and its alert's page.
func heldJobPost(t testing.TB, svc *matching.Service) (matching.JobOffer, string) {
	t.Helper()
	ctx := context.Background()
	in := matching.OfferInput{ROME: "G1602", Title: heldJobTitle, Description: heldJobDesc, Commune: "69123", Contract: matching.CDI,
		HoursPerWeek: 35, SalaryMinCents: 22000_00, SalaryMaxCents: 25000_00, Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Seats: 1,
		EmployerName: "Brasserie du Parc", Contact: matching.Contact{Name: "Paul Martin", Email: recruiterMail}}
	o, err := svc.CreateOffer(ctx, jobEmployer, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Suggested) == 0 {
		t.Fatal("no suggested skill")
	}
	o, err = svc.Publish(ctx, jobEmployer, o.ID, o.Version, []matching.OfferSkill{{SkillID: o.Suggested[0].SkillID, Essential: true}})
	if err != nil || o.Status != matching.OfferHeld {
		t.Fatalf("publishing a discriminatory post: %s %v", o.Status, err)
	}
	return o, "/controles/alertes/" + controls.AlertID(controls.DetectDiscrim, "job_post:"+o.ID)
}

// TestControlPagesRejectJobPost: the alert shows the held post with its
// flagged passages marked and offers to publish or reject it; only a
// controller decides, with a reason; the employer reads the rejection
// and its reason on its offer's page.
func TestControlPagesRejectJobPost(t *testing.T) {
	var svc *matching.Service
	s := newStackWith(t, true, nil, screenedJobs(t, &svc))
	o, alert := heldJobPost(t, svc)
	emp := s.signedIn(t, auth.Employer, jobEmployer)
	for _, ck := range []*http.Cookie{emp, s.signedIn(t, auth.Learner, "someone"), s.signedIn(t, auth.Provider, s.fix.languages.ID)} {
		if res, _ := s.get(t, alert, ck); res.StatusCode != http.StatusForbidden {
			t.Errorf("alert for a non-controller: %d", res.StatusCode)
		}
		if res, _ := s.post(t, alert, url.Values{"decision": {"publish_job_post"}, "motif": {"moi"}}, sameSite, ck); res.StatusCode != http.StatusForbidden {
			t.Errorf("decision by a non-controller: %d", res.StatusCode)
		}
	}
	ctl := s.signedIn(t, auth.Controller, "dreets-ara")
	res, page := s.get(t, alert, ctl)
	if res.StatusCode != 200 {
		t.Fatalf("alert page: %d\n%s", res.StatusCode, page)
	}
	annonce := page[strings.Index(page, `id="annonce"`):]
	annonce = html.UnescapeString(annonce[:strings.Index(annonce, "</div>")])
	for _, want := range []string{"<strong><mark", ">" + heldJobTitle + "</mark></strong>", ">moins de 30 ans</mark>", ">nationalité française exigée</mark>", "Vous préparerez les légumes"} {
		if !strings.Contains(annonce, want) {
			t.Errorf("the post on the alert lacks %q:\n%s", want, annonce)
		}
	}
	for _, want := range []string{`value="publish_job_post"`, `value="reject_job_post"`, "En attente de votre décision"} {
		if !strings.Contains(page, want) {
			t.Errorf("the alert page lacks %s", want)
		}
	}
	if strings.Contains(page, `value="publish_offer"`) {
		t.Error("the alert of a job post offers to publish a training offer")
	}
	if res, _ := s.post(t, alert, url.Values{"decision": {"reject_job_post"}}, sameSite, ctl); res.StatusCode != http.StatusBadRequest {
		t.Errorf("rejection without a reason: %d", res.StatusCode)
	}
	if got, _ := svc.EmployerOffer(context.Background(), jobEmployer, o.ID); got.Status != matching.OfferHeld {
		t.Fatalf("a refused decision changed the post to %s", got.Status)
	}
	// The employer's page says the post waits.
	if _, page := s.get(t, "/emploi/offres/"+o.ID, emp); !strings.Contains(page, "attend l’examen d’un contrôleur") {
		t.Errorf("the employer's held post:\n%s", page)
	}
	reason := "Les critères d’âge et de nationalité sont interdits (article 225-1 du code pénal)."
	res, _ = s.post(t, alert, url.Values{"decision": {"reject_job_post"}, "motif": {reason}}, sameSite, ctl)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rejection: %d", res.StatusCode)
	}
	_, page = s.get(t, alert+"?fait=1", ctl)
	if !strings.Contains(page, "Décision enregistrée") || !strings.Contains(page, "Refuser l’offre d’emploi") || !strings.Contains(page, "controller:dreets-ara") ||
		strings.Contains(page, `value="publish_job_post"`) || !strings.Contains(page, `id="etat-annonce">Refusée<`) {
		t.Errorf("alert after the rejection:\n%s", page)
	}
	_, page = s.get(t, "/emploi/offres/"+o.ID, emp)
	if !strings.Contains(page, "refusée par un contrôleur") || !strings.Contains(html.UnescapeString(page), reason) || !strings.Contains(page, "Refusée par un contrôleur") {
		t.Errorf("the employer does not read the rejection and its reason:\n%s", page)
	}
}

// TestControlPagesPublishJobPost: publishing a false positive from the
// alert publishes the post; its employer reads that it was reviewed.
func TestControlPagesPublishJobPost(t *testing.T) {
	var svc *matching.Service
	s := newStackWith(t, true, nil, screenedJobs(t, &svc))
	o, alert := heldJobPost(t, svc)
	ctl := s.signedIn(t, auth.Controller, "dreets-ara")
	res, _ := s.post(t, alert, url.Values{"decision": {"publish_job_post"}, "motif": {"Fausse alerte : annonce corrigée avec l’employeur."}}, sameSite, ctl)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publication: %d", res.StatusCode)
	}
	if got, _ := svc.EmployerOffer(context.Background(), jobEmployer, o.ID); got.Status != matching.OfferPublished {
		t.Errorf("post %s after publication", got.Status)
	}
	_, page := s.get(t, "/emploi/offres/"+o.ID, s.signedIn(t, auth.Employer, jobEmployer))
	if !strings.Contains(page, `id="publiee-apres-examen"`) || strings.Contains(page, `id="refus"`) {
		t.Errorf("the employer's published post:\n%s", page)
	}
	if a, _ := s.ctl.View(context.Background(), controls.Reviewer{ID: "c", Controller: true}, alert[len("/controles/alertes/"):]); a.Status != controls.Closed {
		t.Errorf("alert %s after publication", a.Status)
	}
}
