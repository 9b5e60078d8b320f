package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

// The controllers' pages: the review queue, an alert with its evidence and
// history, and the decision form; and the page where a provider reads why
// its offer waits for review.

func init() {
	pageNames = append(pageNames, "controles.html", "controle-alerte.html", "offre-examen.html")
}

func (p *Pages) registerControls(g gin.IRouter) {
	g.GET("/controles", p.handle(p.controlQueue))
	g.GET("/controles/alertes/:id", p.handle(p.controlAlert))
	g.POST("/controles/alertes/:id", p.act(p.controlAct))
	g.GET("/organisme/offres/:id/examen", p.handle(p.offerExamination))
}

// reviewURL is where the provider of an offer waiting for review reads why.
func reviewURL(o marketplace.Offer) string {
	if o.Status != marketplace.Review {
		return ""
	}
	return "/organisme/offres/" + o.ID + "/examen"
}

// reviewer is the signed-in controller (or administrator).
func reviewer(c *gin.Context) (controls.Reviewer, error) {
	v := viewerOf(c)
	if v == nil || (v.principal.Role != auth.Controller && v.principal.Role != auth.Admin) {
		return controls.Reviewer{}, forbidden("Connectez-vous en tant que contrôleur pour examiner les alertes.")
	}
	return controls.Reviewer{ID: string(v.principal.Role) + ":" + v.principal.Subject, Controller: true}, nil
}

// note records a signed-in learner's search, visit or enrolment for the
// fraud detectors (canvassing, shared devices).
func (p *Pages) note(c *gin.Context, kind controls.SignalKind, offerID string) {
	v := viewerOf(c)
	if p.Controls == nil || v == nil || v.principal.Role != auth.Learner {
		return
	}
	device := ""
	if ck, err := c.Request.Cookie(deviceCookie); err == nil {
		device = ck.Value
	}
	p.Controls.Note(c, v.principal.Subject, kind, offerID, c.ClientIP(), device)
}

type alertRow struct {
	ID, Detector, Subject, Reason, Score, Status string
	ScoreClass                                   string
	PaymentHeld, OfferHeld                       bool
}

type choice struct {
	Value, Label string
	Selected     bool
}

type queueView struct {
	Alerts    []alertRow
	Statuses  []choice
	Detectors []choice
	Next      string
}

var alertStatusLabels = map[controls.Status]string{controls.Open: "À examiner", controls.Dismissed: "Classée sans suite", controls.Closed: "Traitée"}

func subjectLabel(a controls.Alert) string {
	switch {
	case a.DossierID != "":
		return "Dossier " + shortID(a.DossierID)
	case a.OfferID != "":
		return "Offre " + shortID(a.OfferID)
	case a.JobPostID != "":
		return "Offre d’emploi " + shortID(a.JobPostID)
	case a.ProviderID != "":
		return "Organisme " + shortID(a.ProviderID)
	}
	return "Compte " + shortID(a.AccountID)
}

func rowOf(a controls.Alert) alertRow {
	r := alertRow{ID: a.ID, Detector: controls.DetectorLabel(a.Detector), Subject: subjectLabel(a), Score: fmt.Sprintf("%.2f", a.Score),
		Status: alertStatusLabels[a.Status], PaymentHeld: a.PaymentHeld, OfferHeld: a.OfferHeld, ScoreClass: "etiquette-grise"}
	if a.Score >= 0.7 {
		r.ScoreClass = ""
	}
	if len(a.Reasons) > 0 {
		r.Reason = a.Reasons[0]
	}
	return r
}

func (p *Pages) controlQueue(c *gin.Context) (response, error) {
	who, err := reviewer(c)
	if err != nil {
		return response{}, err
	}
	st := controls.Status(c.DefaultQuery("statut", string(controls.Open)))
	det := c.Query("detecteur")
	f := controls.AlertFilter{Status: st, Detector: det}
	if st == "toutes" {
		f.Status = ""
	}
	list, next, err := p.Controls.Queue(c, who, f, marketplace.Page{After: c.Query("page"), Limit: 50})
	var ve *marketplace.ValidationError
	if errors.As(err, &ve) {
		return response{}, badRequest("Ce filtre n’existe pas.")
	} else if err != nil {
		return response{}, err
	}
	v := queueView{}
	for _, s := range []controls.Status{controls.Open, controls.Dismissed, controls.Closed} {
		v.Statuses = append(v.Statuses, choice{string(s), alertStatusLabels[s], s == st})
	}
	v.Statuses = append(v.Statuses, choice{"toutes", "Toutes", st == "toutes"})
	v.Detectors = append(v.Detectors, choice{"", "Tous les contrôles", det == ""})
	for _, d := range controls.Detectors {
		v.Detectors = append(v.Detectors, choice{d, controls.DetectorLabel(d), d == det})
	}
	for _, a := range list {
		v.Alerts = append(v.Alerts, rowOf(a))
	}
	if next != "" {
		q := url.Values{"statut": {string(st)}, "page": {next}}
		if det != "" {
			q.Set("detecteur", det)
		}
		v.Next = "/controles?" + q.Encode()
	}
	c.Header("Cache-Control", "no-store")
	return response{page: "controles.html", title: "Alertes à examiner", nav: "controles", data: v}, nil
}

type findingRow struct{ Criterion, Field, Passage, Explanation string }

var screenedFieldLabels = map[string]string{"title": "Intitulé", "description": "Description", "objectives": "Objectifs",
	"prerequisites": "Prérequis", "skills": "Compétences", "certification": "Certification"}

func screenedFieldLabel(f string) string {
	if l, ok := screenedFieldLabels[f]; ok {
		return l
	}
	return f
}

type actionRow struct{ Label, Actor, Reason, At, Amount string }

type alertView struct {
	alertRow
	Reasons         []string
	Findings        []findingRow
	Evidence        []controls.Evidence
	Dossier         []controls.Evidence
	Actions         []actionRow
	ProviderHistory []alertRow
	AccountHistory  []alertRow
	Kinds           []choice
	Message         string
	OfferURL        string
	Suspended       bool
	JobPost         *jobPostView
}

var controlDone = map[string]string{"1": "Décision enregistrée."}

func (p *Pages) controlAlert(c *gin.Context) (response, error) {
	who, err := reviewer(c)
	if err != nil {
		return response{}, err
	}
	a, err := p.Controls.View(c, who, c.Param("id"))
	if err != nil {
		return response{}, err
	}
	v := alertView{alertRow: rowOf(a.Alert), Reasons: a.Reasons, Evidence: a.Evidence, Message: controlDone[c.Query("fait")], Suspended: a.Suspension != nil}
	for _, f := range a.Findings {
		v.Findings = append(v.Findings, findingRow{controls.CriterionLabel(f.Criterion), screenedFieldLabel(f.Field), f.Passage, f.Explanation})
	}
	if d := a.Dossier; d != nil {
		v.Dossier = []controls.Evidence{{Label: "Formation", Value: d.Title}, {Label: "Étape", Value: d.State.Label()},
			{Label: "Prix", Value: price(d.PriceCents)}, {Label: "Session", Value: "du " + frenchDate(d.SessionStart) + " au " + frenchDate(d.SessionEnd)},
			{Label: "Payé à l’organisme", Value: price(d.PaidCents)}}
		if d.Hold != nil {
			v.Dossier = append(v.Dossier, controls.Evidence{Label: "Paiement bloqué", Value: d.Hold.Reason})
		}
	}
	if a.OfferID != "" {
		v.OfferURL = "/formations/" + a.OfferID
	}
	v.JobPost = jobPostOf(a.JobPost, a.Findings)
	heldPost := a.JobPost != nil && a.JobPost.Held
	for _, x := range a.Actions {
		r := actionRow{Label: x.Kind.Label(), Actor: x.Actor, Reason: x.Reason, At: frenchDate(x.At) + " à " + x.At.In(marketplace.Paris).Format("15:04")}
		if x.AmountCents > 0 {
			r.Amount = price(x.AmountCents)
		}
		v.Actions = append(v.Actions, r)
	}
	for _, h := range a.ProviderHistory {
		v.ProviderHistory = append(v.ProviderHistory, rowOf(h))
	}
	for _, h := range a.AccountHistory {
		v.AccountHistory = append(v.AccountHistory, rowOf(h))
	}
	for _, k := range controls.ActionKinds {
		switch {
		case (k == controls.ActHold || k == controls.ActRelease || k == controls.ActRecredit || k == controls.ActCancelDossie) && a.DossierID == "",
			(k == controls.ActUnpublish || k == controls.ActPublish) && a.OfferID == "",
			(k == controls.ActSuspend || k == controls.ActReinstate) && a.ProviderID == "",
			k == controls.ActHold && a.PaymentHeld, k == controls.ActRelease && !a.PaymentHeld,
			k == controls.ActPublish && !a.OfferHeld, k == controls.ActSuspend && a.Suspension != nil, k == controls.ActReinstate && a.Suspension == nil,
			(k == controls.ActPublishJob || k == controls.ActRejectJob) && !heldPost:
			continue
		}
		v.Kinds = append(v.Kinds, choice{Value: string(k), Label: k.Label()})
	}
	c.Header("Cache-Control", "no-store")
	return response{page: "controle-alerte.html", title: "Alerte : " + v.Detector, nav: "controles", data: v}, nil
}

func (p *Pages) controlAct(c *gin.Context) (string, error) {
	who, err := reviewer(c)
	if err != nil {
		return "", err
	}
	id := c.Param("id")
	var cents int64
	if raw := strings.TrimSpace(c.PostForm("montant")); raw != "" {
		euros, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", "."), 64)
		if err != nil || euros <= 0 || euros > 100000 {
			return "", badRequest("Le montant doit être un nombre d’euros positif, par exemple 1250,50.")
		}
		cents = int64(euros*100 + 0.5)
	}
	_, _, err = p.Controls.Act(c, who, id, controls.ActRequest{Kind: controls.ActionKind(c.PostForm("decision")), Reason: c.PostForm("motif"), AmountCents: cents})
	var ve *marketplace.ValidationError
	switch {
	case errors.As(err, &ve):
		return "", &pageError{http.StatusBadRequest, "La décision n’a pas été enregistrée : " + controlFieldMessage(ve)}
	case errors.Is(err, marketplace.ErrNotPublishable):
		return "", &pageError{http.StatusConflict, "L’offre ne peut pas être publiée : l’organisme n’a plus de certification Qualiopi valide."}
	case errors.Is(err, marketplace.ErrInvalidState):
		return "", moneyPageError(err)
	case errors.Is(err, marketplace.ErrConflict):
		return "", &pageError{http.StatusConflict, "Cette décision n’est plus possible : le dossier, l’offre ou l’alerte a changé entre-temps. Rechargez la page."}
	case err != nil:
		return "", moneyPageError(err)
	}
	return "/controles/alertes/" + url.PathEscape(id) + "?fait=1", nil
}

// controlFieldMessage says in French which field of the decision form is wrong.
func controlFieldMessage(ve *marketplace.ValidationError) string {
	for _, f := range ve.Fields {
		switch f.Field {
		case "reason":
			return "indiquez le motif de la décision (2 000 caractères au plus)."
		case "amount_cents":
			return "le montant à recréditer doit être positif et au plus ce que le compte a payé pour ce dossier."
		case "kind":
			return "choisissez une décision possible pour cette alerte."
		case "dossier_id":
			return "le compte n’a rien payé à l’organisme pour ce dossier."
		}
	}
	return "vérifiez le formulaire."
}

type examinationView struct {
	Title, Status, OfferURL string
	InReview                bool
	Alerts                  []struct {
		Detector string
		Reasons  []string
		Findings []findingRow
		Status   string
	}
}

// offerExamination tells a provider why its offer waits for review.
func (p *Pages) offerExamination(c *gin.Context) (response, error) {
	v := viewerOf(c)
	if v == nil || (v.principal.Role != auth.Provider && v.principal.Role != auth.Controller && v.principal.Role != auth.Admin) {
		return response{}, forbidden("Connectez-vous en tant qu’organisme de formation pour voir l’examen de vos offres.")
	}
	provider := ""
	if v.principal.Role == auth.Provider {
		provider = v.principal.Subject
	}
	o, alerts, err := p.Controls.OfferReview(c, provider, provider == "", c.Param("id"))
	if err != nil {
		return response{}, err
	}
	ev := examinationView{Title: o.Title, OfferURL: "/formations/" + o.ID, InReview: o.Status == marketplace.Review}
	switch o.Status {
	case marketplace.Review:
		ev.Status = "En attente de l’examen d’un contrôleur : l’offre n’est pas publiée."
	case marketplace.Published:
		ev.Status = "Publiée."
	case marketplace.Unpublished:
		ev.Status = "Retirée de la publication."
	default:
		ev.Status = "Brouillon."
	}
	for _, a := range alerts {
		x := struct {
			Detector string
			Reasons  []string
			Findings []findingRow
			Status   string
		}{Detector: controls.DetectorLabel(a.Detector), Status: alertStatusLabels[a.Status]}
		for _, f := range a.Findings {
			x.Findings = append(x.Findings, findingRow{controls.CriterionLabel(f.Criterion), screenedFieldLabel(f.Field), f.Passage, f.Explanation})
		}
		ev.Alerts = append(ev.Alerts, x)
	}
	c.Header("Cache-Control", "no-store")
	return response{page: "offre-examen.html", title: "Examen de l’offre", nav: "demandes", data: ev}, nil
}
