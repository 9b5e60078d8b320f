package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
)

// registerMoney adds the pages of training accounts and dossiers: the
// learner's account, the enrolment from an offer's page, the evaluation
// form and the provider's inbox. Every form works without JavaScript and
// carries an idempotency key (field "cle") made when the page was shown,
// so that sending a form twice acts once.
func (p *Pages) registerMoney(g gin.IRouter) {
	g.GET("/mon-compte", p.handle(p.account))
	g.POST("/formations/:id/inscription", p.act(p.enrol))
	g.POST("/mon-compte/dossiers/:id", p.act(p.learnerAction))
	g.GET("/mon-compte/dossiers/:id/evaluation", p.handle(p.evaluationForm))
	g.POST("/mon-compte/dossiers/:id/evaluation", p.act(p.evaluate))
	g.GET("/organisme/demandes", p.handle(p.inbox))
	g.POST("/organisme/demandes/:id", p.act(p.providerAction))
}

// act adapts a form handler: it returns where to go next (Post/Redirect/Get).
func (p *Pages) act(h func(c *gin.Context) (string, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		next, err := h(c)
		if err != nil {
			p.fail(c, moneyPageError(err))
			return
		}
		c.Redirect(http.StatusSeeOther, next)
	}
}

// moneyPageError says in French why an action was refused.
func moneyPageError(err error) error {
	var se *marketplace.StateError
	var ve *marketplace.ValidationError
	var co *marketplace.CoolingOffError
	switch {
	case errors.As(err, &co):
		return &pageError{http.StatusConflict, coolingOffMessage(co.Until) + " Vous pourrez alors accepter la proposition, si elle est encore valable."}
	case errors.As(err, &se):
		return &pageError{http.StatusConflict, "Cette action n’est plus possible : le dossier est à l’étape « " + se.State.Label() + " »."}
	case errors.Is(err, marketplace.ErrInsufficientBalance):
		return &pageError{http.StatusConflict, "Votre solde et les abondements ne couvrent pas le prix de la formation. Cochez « J’accepte de payer le reste à ma charge » pour régler la différence."}
	case errors.Is(err, marketplace.ErrIdempotencyMismatch):
		return &pageError{http.StatusConflict, "Ce formulaire a déjà été envoyé avec d’autres valeurs. Rechargez la page."}
	case errors.As(err, &ve):
		var parts []string
		for _, f := range ve.Fields {
			parts = append(parts, f.Field+" : "+f.Reason)
		}
		return badRequest("La demande n’a pas pu être traitée (" + strings.Join(parts, " ; ") + ").")
	case errors.Is(err, marketplace.ErrConflict):
		return &pageError{http.StatusConflict, "Cette action n’est plus possible : le délai est dépassé ou le dossier a changé. Rechargez la page."}
	case errors.Is(err, marketplace.ErrForbidden):
		return forbidden("Vous ne pouvez pas faire cette action sur ce dossier.")
	}
	return err
}

// party is who is signed in, for the enrolment service; ok is false for a
// visitor or a role that has no business here.
func party(c *gin.Context, role auth.Role) (marketplace.Party, error) {
	v := viewerOf(c)
	if v == nil || v.principal.Role != role {
		switch role {
		case auth.Learner:
			return marketplace.Party{}, forbidden("Connectez-vous en tant qu’apprenant pour voir votre compte et vous inscrire.")
		default:
			return marketplace.Party{}, forbidden("Connectez-vous en tant qu’organisme de formation pour voir les demandes.")
		}
	}
	if role == auth.Learner {
		return marketplace.Party{AccountID: v.principal.Subject}, nil
	}
	return marketplace.Party{ProviderID: v.principal.Acting()}, nil
}

// stepUp checks that the signed-in learner authenticated strongly and
// recently enough to move money (Deps.StepUp). If not, it returns the
// address that sends them through their identity provider again, at the
// step-up level, and back to ret, where they send the form again: a form
// is never replayed behind their back.
func (p *Pages) stepUp(c *gin.Context, ret string) (string, error) {
	v := viewerOf(c)
	if v == nil || p.StepUp.Satisfied(v.principal, p.now()) {
		return "", nil
	}
	if u := p.stepUpURL(ret); u != "" {
		return u, nil
	}
	return "", &pageError{http.StatusUnauthorized, "Cette action demande une connexion renforcée récente. Reconnectez-vous."}
}

// newFormKey makes a form's idempotency key.
func newFormKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// formIdem scopes a form's key to the signed-in holder and fingerprints
// the form's fields.
func formIdem(c *gin.Context) marketplace.Idem {
	v := viewerOf(c)
	key := c.PostForm("cle")
	if key == "" || len(key) > 64 {
		key = newFormKey()
	}
	c.Request.ParseForm()
	names := make([]string, 0, len(c.Request.PostForm))
	for k := range c.Request.PostForm {
		if k != "cle" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	h := sha256.New()
	h.Write([]byte(c.Request.URL.Path))
	for _, k := range names {
		h.Write([]byte("\x00" + k + "=" + strings.Join(c.Request.PostForm[k], ",")))
	}
	return marketplace.Idem{Key: "web:" + string(v.principal.Role) + ":" + v.principal.Subject + ":" + key, Fingerprint: hex.EncodeToString(h.Sum(nil))}
}

// movementLabels name ledger movements for the learner.
var movementLabels = map[marketplace.MovementKind]string{
	marketplace.MoveYearlyCredit: "Alimentation de vos droits",
	marketplace.MoveHold:         "Réservé pour une inscription",
	marketplace.MoveRelease:      "Rendu après une annulation",
	marketplace.MoveCapture:      "Part non utilisée rendue",
}

type movementRow struct {
	Date, Label, Amount, Balance string
	Credit                       bool
}

type dossierRow struct {
	ID, Title, OfferURL, State, Session, Price, NextStep, Deadline, Funding, Key string
	CanAccept, CanRefuse, CanCancel, CanEvaluate, Done                           bool
}

type accountView struct {
	Balance   string
	JobSeeker bool
	Message   string
	// NewDevices are the devices that signed in to the account lately,
	// when it has others: the learner may not be the one who did.
	NewDevices []string
	Movements  []movementRow
	Dossiers   []dossierRow
	// Recommendations is the recommended trainings section (recommend.go).
	Recommendations *recoView
}

var doneMessages = map[string]string{
	"demande":    "Votre demande d’inscription est envoyée à l’organisme. Il a deux jours ouvrés pour vous répondre.",
	"accepter":   "Vous avez accepté la proposition : le montant est réservé sur votre compte.",
	"refuser":    "Vous avez refusé la proposition.",
	"annuler":    "Le dossier est annulé.",
	"evaluation": "Merci pour votre évaluation. L’organisme est payé.",
	"proposer":   "La proposition est envoyée à l’apprenant.",
	"entree":     "L’entrée en formation est déclarée.",
	"sortie":     "La sortie de formation est déclarée.",

	"recommandations": "Vos préférences sont enregistrées : vos recommandations en tiennent compte.",
}

func (p *Pages) account(c *gin.Context) (response, error) {
	who, err := party(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	a, err := p.Enrolment.Account(c, who, who.AccountID)
	if errors.Is(err, marketplace.ErrNotFound) {
		return response{}, notFound("Aucun compte de formation n’est ouvert à ce nom.")
	} else if err != nil {
		return response{}, err
	}
	v := accountView{Balance: euros(a.BalanceCents), JobSeeker: a.JobSeeker, Message: doneMessages[c.Query("fait")]}
	v.NewDevices = p.newDevices(c, a.ID)
	es, _, err := p.Enrolment.Movements(c, who, a.ID, marketplace.Page{Limit: 20})
	if err != nil {
		return response{}, err
	}
	for _, e := range es {
		v.Movements = append(v.Movements, movementRow{Date: frenchDate(e.At), Label: movementLabels[e.Kind], Amount: euros(e.Cents), Balance: euros(e.Balance), Credit: e.Cents > 0})
	}
	ds, _, err := p.Enrolment.Dossiers(c, who, marketplace.DossierFilter{AccountID: a.ID}, marketplace.Page{Limit: marketplace.MaxPageSize})
	if err != nil {
		return response{}, err
	}
	for i := len(ds) - 1; i >= 0; i-- { // newest first
		d := ds[i]
		r := dossierRow{ID: d.ID, Title: d.Title, OfferURL: "/formations/" + d.OfferID, State: d.State.Label(),
			Session: "du " + frenchDate(d.SessionStart) + " au " + frenchDate(d.SessionEnd), Price: price(d.PriceCents),
			NextStep: d.NextStep(), Key: newFormKey(), Done: d.State.Terminal() || d.State == marketplace.ServiceDoneValidated}
		if !d.Deadline.IsZero() {
			r.Deadline = frenchDate(d.Deadline)
		}
		r.Funding = funding(d)
		r.CanAccept = d.State == marketplace.Validated
		r.CanRefuse = d.State == marketplace.Validated
		r.CanCancel = d.State == marketplace.NotProcessed || d.State == marketplace.Validated || d.State == marketplace.Accepted
		r.CanEvaluate = d.State == marketplace.ServiceDoneDeclared || d.State == marketplace.ServiceDoneValidated && !d.Evaluated
		v.Dossiers = append(v.Dossiers, r)
	}
	v.Recommendations = p.recommendationsSection(c, a.ID)
	c.Header("Cache-Control", "no-store")
	return response{page: "account.html", title: "Mon compte formation", nav: "compte", data: v}, nil
}

// funding describes in French who pays what.
func funding(d marketplace.Dossier) string {
	var parts []string
	for _, s := range d.Funding {
		switch s.Kind {
		case "account":
			parts = append(parts, euros(s.Cents)+" de votre compte")
		case "topup":
			parts = append(parts, euros(s.Cents)+" d’abondement")
		case "external":
			parts = append(parts, euros(s.Cents)+" à votre charge")
		}
	}
	if d.PaidCents > 0 {
		parts = append(parts, euros(d.PaidCents)+" payés à l’organisme")
	}
	return strings.Join(parts, ", ")
}

func (p *Pages) enrol(c *gin.Context) (string, error) {
	who, err := party(c, auth.Learner)
	if err != nil {
		return "", err
	}
	session := c.PostForm("session")
	if session == "" {
		return "", badRequest("Choisissez une session.")
	}
	if _, err := p.Enrolment.Request(c, who, formIdem(c), c.Param("id"), session); err != nil {
		return "", err
	}
	p.note(c, controls.SignalEnrol, c.Param("id"))
	return "/mon-compte?fait=demande", nil
}

func (p *Pages) learnerAction(c *gin.Context) (string, error) {
	who, err := party(c, auth.Learner)
	if err != nil {
		return "", err
	}
	id, action, idem := c.Param("id"), c.PostForm("action"), formIdem(c)
	if action == "accepter" || action == "annuler" {
		if next, err := p.stepUp(c, "/mon-compte#dossier-"+url.PathEscape(id)); next != "" || err != nil {
			return next, err
		}
	}
	switch action {
	case "accepter":
		_, err = p.Enrolment.Accept(c, who, idem, id, c.PostForm("reste") == "oui")
	case "refuser":
		_, err = p.Enrolment.Refuse(c, who, idem, id)
	case "annuler":
		reason := ""
		if c.PostForm("force_majeure") == "oui" {
			reason = string(marketplace.ForceMajeure)
		}
		_, err = p.Enrolment.Cancel(c, who, idem, id, reason)
	default:
		return "", badRequest("Action inconnue.")
	}
	if err != nil {
		return "", err
	}
	return "/mon-compte?fait=" + action + "#dossier-" + url.PathEscape(id), nil
}

type evaluationView struct {
	ID, Title, Key string
	Criteria       []criterionField
}

type criterionField struct {
	Name, Label string
	Scores      []string
}

func (p *Pages) evaluationForm(c *gin.Context) (response, error) {
	who, err := party(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	d, err := p.Enrolment.Dossier(c, who, c.Param("id"))
	if err != nil {
		return response{}, err
	}
	if d.State != marketplace.ServiceDoneDeclared && (d.State != marketplace.ServiceDoneValidated || d.Evaluated) {
		return response{}, moneyPageError(&marketplace.StateError{DossierID: d.ID, State: d.State, Action: "evaluate"})
	}
	v := evaluationView{ID: d.ID, Title: d.Title, Key: newFormKey()}
	for i, name := range marketplace.Criteria {
		v.Criteria = append(v.Criteria, criterionField{Name: name, Label: marketplace.CriteriaLabels[i], Scores: []string{"1", "2", "3", "4", "5"}})
	}
	return response{page: "evaluation.html", title: "Évaluer la formation", nav: "compte", data: v}, nil
}

func (p *Pages) evaluate(c *gin.Context) (string, error) {
	who, err := party(c, auth.Learner)
	if err != nil {
		return "", err
	}
	if next, err := p.stepUp(c, "/mon-compte/dossiers/"+url.PathEscape(c.Param("id"))+"/evaluation"); next != "" || err != nil {
		return next, err
	}
	var e marketplace.Evaluation
	for i, name := range marketplace.Criteria {
		n, err := strconv.Atoi(c.PostForm(name))
		if err != nil {
			return "", badRequest("Donnez une note de 1 à 5 à chaque critère.")
		}
		e.Scores[i] = n
	}
	e.Comment = c.PostForm("commentaire")
	if _, err := p.Enrolment.Evaluate(c, who, formIdem(c), c.Param("id"), e); err != nil {
		return "", err
	}
	return "/mon-compte?fait=evaluation", nil
}

type inboxRow struct {
	ID, Title, OfferURL, Learner, State, Session, Price, Deadline, Key, EntryFrom string
	CanPropose, CanRefuse, CanEntry, CanExit, CanCancel                           bool
	// Hold says why the controls hold the payment, when they do.
	Hold string
}

type inboxView struct {
	Message  string
	Dossiers []inboxRow
}

func (p *Pages) inbox(c *gin.Context) (response, error) {
	who, err := party(c, auth.Provider)
	if err != nil {
		return response{}, err
	}
	ds, _, err := p.Enrolment.Dossiers(c, who, marketplace.DossierFilter{ProviderID: who.ProviderID}, marketplace.Page{Limit: marketplace.MaxPageSize})
	if err != nil {
		return response{}, err
	}
	today := marketplace.Day(p.Enrolment.Now())
	v := inboxView{Message: doneMessages[c.Query("fait")]}
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		r := inboxRow{ID: d.ID, Title: d.Title, OfferURL: "/formations/" + d.OfferID, Learner: "Apprenant " + shortID(d.AccountID), State: d.State.Label(),
			Session: "du " + frenchDate(d.SessionStart) + " au " + frenchDate(d.SessionEnd), Price: price(d.PriceCents), Key: newFormKey()}
		if !d.Deadline.IsZero() {
			r.Deadline = frenchDate(d.Deadline)
		}
		r.CanPropose = d.State == marketplace.NotProcessed
		r.CanRefuse = d.State == marketplace.NotProcessed
		r.CanCancel = d.State == marketplace.Validated || d.State == marketplace.Accepted
		if d.State == marketplace.Accepted && d.Billing == marketplace.DepositPaid {
			if today.Before(d.SessionStart) {
				r.EntryFrom = "Entrée à déclarer à partir du " + frenchDate(d.SessionStart) + "."
			} else {
				r.CanEntry = true
			}
		}
		r.CanExit = d.State == marketplace.InTraining
		if d.Hold != nil {
			r.Hold = d.Hold.Reason
		}
		v.Dossiers = append(v.Dossiers, r)
	}
	c.Header("Cache-Control", "no-store")
	return response{page: "inbox.html", title: "Demandes d’inscription", nav: "demandes", data: v}, nil
}

// shortID shortens an identifier for display.
func shortID(id string) string {
	if len(id) > 8 {
		return "…" + id[len(id)-8:]
	}
	return id
}

func (p *Pages) providerAction(c *gin.Context) (string, error) {
	who, err := party(c, auth.Provider)
	if err != nil {
		return "", err
	}
	id, action, idem := c.Param("id"), c.PostForm("action"), formIdem(c)
	switch action {
	case "proposer":
		_, err = p.Enrolment.Propose(c, who, idem, id, 0, "")
	case "refuser":
		_, err = p.Enrolment.Refuse(c, who, idem, id)
	case "annuler":
		_, err = p.Enrolment.Cancel(c, who, idem, id, "")
	case "entree":
		_, err = p.Enrolment.DeclareEntry(c, who, idem, id)
	case "sortie":
		rate, cerr := strconv.Atoi(c.PostForm("taux"))
		if cerr != nil {
			return "", badRequest("Le taux de réalisation est un pourcentage de 0 à 100.")
		}
		_, err = p.Enrolment.DeclareExit(c, who, idem, id, rate, marketplace.ExitReason(c.PostForm("motif")))
	default:
		return "", badRequest("Action inconnue.")
	}
	if err != nil {
		return "", err
	}
	return "/organisme/demandes?fait=" + action + "#dossier-" + url.PathEscape(id), nil
}

// ratingsView is the summary of evaluations shown on offer and provider pages.
type ratingsView struct {
	Count    string
	Overall  string
	Criteria []ratingRow
	Comments []string
}

type ratingRow struct{ Label, Average string }

func average(x float64) string {
	return strings.Replace(strconv.FormatFloat(x, 'f', 1, 64), ".", ",", 1) + nbsp + "/" + nbsp + "5"
}

// ratings returns the summary of the evaluations of "offer:<id>" or
// "provider:<id>", nil without an enrolment service.
func (p *Pages) ratings(c *gin.Context, subject, offerID string) (*ratingsView, error) {
	if p.Enrolment == nil {
		return nil, nil
	}
	r, err := p.Enrolment.Store().Ratings(c, subject)
	if err != nil {
		return nil, err
	}
	v := &ratingsView{Count: count(r.Count, "évaluation", "évaluations")}
	if r.Count == 0 {
		return v, nil
	}
	v.Overall = average(r.Average(5))
	for i, label := range marketplace.CriteriaLabels {
		v.Criteria = append(v.Criteria, ratingRow{Label: label, Average: average(r.Average(i))})
	}
	if offerID != "" {
		evals, err := p.Enrolment.Store().Evaluations(c, offerID, 5)
		if err != nil {
			return nil, err
		}
		for _, e := range evals {
			if e.Comment != "" && !e.CommentHidden {
				v.Comments = append(v.Comments, e.Comment)
			}
		}
	}
	return v, nil
}

// enrolView is the enrolment form of an offer's page.
type enrolView struct {
	Learner  bool // a learner is signed in
	Demo     bool
	Key      string
	Sessions []enrolSession
}

type enrolSession struct {
	ID, Label string
	Checked   bool
}

// enrolForm lists the sessions a learner may still ask for.
func (p *Pages) enrolForm(c *gin.Context, o marketplace.Offer, sessions []marketplace.Session) *enrolView {
	if p.Enrolment == nil || o.Status != marketplace.Published {
		return nil
	}
	v := &enrolView{Demo: p.Demo, Key: newFormKey()}
	if vw := viewerOf(c); vw != nil && vw.principal.Role == auth.Learner {
		v.Learner = true
	}
	today := marketplace.Day(p.Enrolment.Now())
	for _, s := range sessions {
		if s.Start.After(today) {
			v.Sessions = append(v.Sessions, enrolSession{ID: s.ID, Label: "Du " + frenchDate(s.Start) + " au " + frenchDate(s.End), Checked: len(v.Sessions) == 0})
		}
	}
	return v
}
