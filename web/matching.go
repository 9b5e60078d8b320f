package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
)

// The job matching pages ("Emploi"): the employer's offers, posting form
// and candidate feed; the learner's preferences and swipe feed; the
// matches with their threads. A candidate is shown to an employer by
// pseudonym and skills only, until a mutual like.

func init() {
	pageNames = append(pageNames, "emploi.html", "emploi-offres.html", "emploi-offre.html", "emploi-preferences.html",
		"emploi-propositions.html", "emploi-relations.html", "emploi-relation.html")
}

func (p *Pages) registerMatching(g gin.IRouter) {
	g.GET("/emploi", p.handle(p.jobHome))
	g.GET("/emploi/offres", p.handle(p.jobOffers))
	g.POST("/emploi/offres", p.handle(p.postJobOffer))
	g.GET("/emploi/offres/:id", p.handle(p.jobOffer))
	g.POST("/emploi/offres/:id/publier", p.handle(p.publishJobOffer))
	g.POST("/emploi/offres/:id/cloturer", p.handle(p.closeJobOffer))
	g.POST("/emploi/offres/:id/candidats/:pseudo", p.handle(p.employerDecides))
	g.GET("/emploi/preferences", p.handle(p.jobPreferences))
	g.POST("/emploi/preferences", p.handle(p.saveJobPreferences))
	g.POST("/emploi/preferences/pause", p.handle(p.pauseJob(true)))
	g.POST("/emploi/preferences/reprise", p.handle(p.pauseJob(false)))
	g.POST("/emploi/preferences/quitter", p.handle(p.leaveJob))
	g.GET("/emploi/propositions", p.handle(p.jobFeed))
	g.POST("/emploi/propositions/:id", p.handle(p.candidateDecides))
	g.GET("/emploi/mises-en-relation", p.handle(p.jobMatches))
	g.GET("/emploi/mises-en-relation/:id", p.handle(p.jobMatch))
	g.POST("/emploi/mises-en-relation/:id/messages", p.handle(p.sendJobMessage))
	g.POST("/emploi/mises-en-relation/:id/retrait", p.handle(p.withdrawJobMatch))
}

// jobViewer is who uses the job pages.
func (p *Pages) jobViewer(c *gin.Context, roles ...auth.Role) (auth.Principal, error) {
	vw := viewerOf(c)
	if vw == nil {
		msg := "Connectez-vous pour utiliser la mise en relation pour l’emploi."
		if p.Demo {
			msg += " En démonstration, utilisez la page « Connexion démo » (rôle Apprenant, ou Employeur avec votre SIRET pour identifiant)."
		}
		return auth.Principal{}, &pageError{http.StatusUnauthorized, msg}
	}
	if !slices.Contains(roles, vw.principal.Role) {
		return auth.Principal{}, forbidden("Cette page est réservée aux " + map[bool]string{true: "employeurs", false: "apprenants"}[roles[0] == auth.Employer] + ".")
	}
	if vw.principal.Role == auth.Employer && !marketplace.ValidSIRET(vw.principal.Subject) {
		return auth.Principal{}, forbidden("Un employeur agit sous son numéro SIRET (14 chiffres, clé de Luhn) : reconnectez-vous avec votre SIRET pour identifiant.")
	}
	return vw.principal, nil
}

func jobActor(pr auth.Principal) matching.Actor {
	if pr.Role == auth.Learner {
		return matching.Actor{CandidateID: pr.Subject}
	}
	return matching.Actor{EmployerSIRET: pr.Subject}
}

var contractLabels = map[matching.Contract]string{
	matching.CDI: "CDI", matching.CDD: "CDD", matching.Interim: "Intérim", matching.Apprenticeship: "Apprentissage",
	matching.Professional: "Contrat de professionnalisation", matching.Seasonal: "Saisonnier",
}

var offerStatusLabels = map[matching.OfferStatus]string{
	matching.OfferDraft: "Brouillon : compétences à confirmer", matching.OfferHeld: "En attente d’examen par un contrôleur",
	matching.OfferPublished: "Publiée", matching.OfferRejected: "Refusée par un contrôleur", matching.OfferClosed: "Clôturée",
}

// fieldLabels says in French what a field of the job forms needs.
var fieldLabels = map[string]string{
	"rome": "Choisissez un métier.", "title": "Donnez un intitulé de 1 à 140 caractères.",
	"description": "Décrivez le poste en 20 à 8 000 caractères.", "commune": "Indiquez une commune française.",
	"contract": "Choisissez un type de contrat.", "hours_per_week": "Indiquez de 1 à 48 heures par semaine.",
	"salary_min_cents": "Indiquez un salaire minimum positif.", "salary_max_cents": "Le salaire maximum doit être au moins le minimum.",
	"start": "Indiquez une date de début.", "seats": "Indiquez de 1 à 1 000 postes.", "employer_name": "Le nom de l’employeur compte au plus 200 caractères.",
	"contact.name": "Indiquez un nom de contact.", "contact.email": "Indiquez une adresse électronique valide.", "contact.phone": "Indiquez un numéro de téléphone valide.",
	"occupations": "Choisissez de 1 à 5 métiers différents.", "radius_km": "Indiquez un rayon de 1 à 200 km.",
	"contracts": "Cochez au moins un type de contrat.", "hours_min": "Indiquez de 1 à 48 heures au minimum.",
	"hours_max": "Le maximum d’heures doit être au moins le minimum (48 au plus).", "available_from": "Indiquez votre date de disponibilité.",
	"min_salary_cents": "Le salaire minimum ne peut pas être négatif.", "skills": "Confirmez au moins une compétence, dont une essentielle.",
	"body": "Écrivez un message de 1 à 4 000 caractères.",
}

// formErrors turns a validation error into French messages, one a field.
func formErrors(err error) ([]string, bool) {
	var v *marketplace.ValidationError
	if !errors.As(err, &v) {
		return nil, false
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range v.Fields {
		field := f.Field
		if i := strings.IndexByte(field, '['); i > 0 {
			field = field[:i]
		}
		msg, ok := fieldLabels[field]
		if !ok {
			msg = "Le champ « " + field + " » est invalide."
		}
		if !seen[msg] {
			seen[msg] = true
			out = append(out, msg)
		}
	}
	return out, true
}

type jobHomeView struct {
	Employer, Learner bool
	DemoSIRET         string // a demo employer to sign in as, in demo mode
}

func (p *Pages) jobHome(c *gin.Context) (response, error) {
	v := jobHomeView{}
	if p.Demo {
		v.DemoSIRET = matching.DemoEmployers[0].SIRET
	}
	if vw := viewerOf(c); vw != nil {
		v.Employer, v.Learner = vw.principal.Role == auth.Employer, vw.principal.Role == auth.Learner
	}
	return response{page: "emploi.html", title: "Emploi", nav: "emploi", data: v}, nil
}

// ---- Employer ----

type occupationOption struct {
	Code, Label string
	Selected    bool
}

func (p *Pages) occupationOptions(ctx context.Context, selected ...string) ([]occupationOption, error) {
	os, err := p.Graph.Occupations(ctx)
	if err != nil {
		return nil, err
	}
	var out []occupationOption
	for _, o := range os {
		if len(o.ID) != 5 { // ROME codes only
			continue
		}
		out = append(out, occupationOption{Code: o.ID, Label: o.Label, Selected: slices.Contains(selected, o.ID)})
	}
	return out, nil
}

type contractOption struct {
	Value, Label string
	Checked      bool
}

func contractOptions(checked ...matching.Contract) []contractOption {
	var out []contractOption
	for _, k := range matching.Contracts {
		out = append(out, contractOption{Value: string(k), Label: contractLabels[k], Checked: slices.Contains(checked, k)})
	}
	return out
}

type offerForm struct {
	Title, Description, Commune, Start, EmployerName string
	Contract                                         string
	Hours, Seats                                     string
	SalaryMin, SalaryMax                             string
	ContactName, ContactEmail, ContactPhone          string
}

type offerLine struct {
	ID, Title, Status, Commune, Contract string
	Proposals                            int
}

type jobOffersView struct {
	Offers      []offerLine
	Occupations []occupationOption
	Contracts   []contractOption
	Form        offerForm
	Errors      []string
}

func (p *Pages) jobOffers(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Employer)
	if err != nil {
		return response{}, err
	}
	return p.jobOffersPage(c, pr, offerForm{Contract: "cdi", Hours: "35", Seats: "1"}, "", nil)
}

func (p *Pages) jobOffersPage(c *gin.Context, pr auth.Principal, f offerForm, rome string, errs []string) (response, error) {
	os, err := p.Matching.EmployerOffers(c, pr.Subject)
	if err != nil {
		return response{}, err
	}
	v := jobOffersView{Form: f, Errors: errs, Contracts: contractOptions(matching.Contract(f.Contract))}
	for _, o := range os {
		line := offerLine{ID: o.ID, Title: o.Title, Status: offerStatusLabels[o.Status], Contract: contractLabels[o.Contract], Commune: p.communeName(o.Commune)}
		if ps, err := p.Matching.Store().ProposalsForOffer(c, o.ID); err == nil {
			line.Proposals = len(ps)
		}
		v.Offers = append(v.Offers, line)
	}
	if v.Occupations, err = p.occupationOptions(c, rome); err != nil {
		return response{}, err
	}
	status := 0
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	return response{status: status, page: "emploi-offres.html", title: "Mes offres d’emploi", nav: "emploi", data: v}, nil
}

// communeCode reads a commune given by INSEE code or by name.
func (p *Pages) communeCode(s string) string {
	s = strings.TrimSpace(s)
	if _, ok := p.Places.Commune(s); ok {
		return s
	}
	if cs := p.Places.Search(s, 1); len(cs) == 1 {
		return cs[0].INSEE
	}
	return s
}

// cents reads an amount in euros ("2 200", "2200,50") as cents; -1 when
// it is not a number.
func cents(s string) int64 {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "", ",", ".", "€", "").Replace(s)
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 1e9) { // also refuses NaN
		return -1
	}
	return int64(f*100 + 0.5)
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return n
}

func (p *Pages) postJobOffer(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Employer)
	if err != nil {
		return response{}, err
	}
	f := offerForm{Title: c.PostForm("titre"), Description: c.PostForm("description"), Commune: c.PostForm("commune"),
		Start: c.PostForm("debut"), EmployerName: c.PostForm("employeur"), Contract: c.PostForm("contrat"), Hours: c.PostForm("heures"),
		Seats: c.PostForm("postes"), SalaryMin: c.PostForm("salaire_min"), SalaryMax: c.PostForm("salaire_max"),
		ContactName: c.PostForm("contact_nom"), ContactEmail: c.PostForm("contact_courriel"), ContactPhone: c.PostForm("contact_tel")}
	rome := c.PostForm("metier")
	start, _ := time.Parse(time.DateOnly, f.Start)
	in := matching.OfferInput{ROME: rome, Title: f.Title, Description: f.Description, Commune: p.communeCode(f.Commune),
		Contract: matching.Contract(f.Contract), HoursPerWeek: atoiOr(f.Hours, 0), SalaryMinCents: cents(f.SalaryMin), SalaryMaxCents: cents(f.SalaryMax),
		Start: start, Seats: atoiOr(f.Seats, 0), EmployerName: f.EmployerName,
		Contact: matching.Contact{Name: f.ContactName, Email: f.ContactEmail, Phone: f.ContactPhone}}
	o, err := p.Matching.CreateOffer(c, pr.Subject, in)
	if errs, ok := formErrors(err); ok {
		return p.jobOffersPage(c, pr, f, rome, errs)
	}
	if err != nil {
		return response{}, err
	}
	c.Redirect(http.StatusSeeOther, "/emploi/offres/"+url.PathEscape(o.ID))
	return response{}, errRedirected
}

type skillChoice struct {
	Index              int
	ID, Label, Source  string
	Checked, Essential bool
}

type candidateLine struct {
	Pseudonym, Distance, Available, Contracts, Hours, Score, Decision string
	Covered                                                           []matching.CoveredSkill
	Missing                                                           []matching.OfferSkill
}

type jobOfferView struct {
	Offer                     matching.JobOffer
	Status, Contract, Commune string
	Salary, Start             string
	Draft, Held, Published    bool
	// Rejected and ReviewedOn tell the controller's decision on a held
	// post; RejectionReason is what the controller wrote to the employer.
	Rejected             bool
	ReviewedOn           string
	RejectionReason      string
	PublishedAfterReview bool
	Choices              []skillChoice
	Findings             []string
	Candidates           []candidateLine
	Errors               []string
}

func (p *Pages) jobOffer(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Employer)
	if err != nil {
		return response{}, err
	}
	return p.jobOfferPage(c, pr, c.Param("id"), nil)
}

func (p *Pages) jobOfferPage(c *gin.Context, pr auth.Principal, id string, errs []string) (response, error) {
	o, err := p.Matching.EmployerOffer(c, pr.Subject, id)
	if errors.Is(err, matching.ErrNotFound) {
		return response{}, notFound("Cette offre n’existe pas, ou pas pour vous.")
	}
	if err != nil {
		return response{}, err
	}
	v := jobOfferView{Offer: o, Status: offerStatusLabels[o.Status], Contract: contractLabels[o.Contract], Commune: p.communeName(o.Commune),
		Salary: euros(o.SalaryMinCents) + " à " + euros(o.SalaryMaxCents) + " brut par an", Start: frenchDate(o.Start),
		Draft: o.Status == matching.OfferDraft, Held: o.Status == matching.OfferHeld, Published: o.Status == matching.OfferPublished, Errors: errs}
	for i, s := range o.Suggested {
		v.Choices = append(v.Choices, skillChoice{Index: i, ID: s.SkillID, Label: s.Label, Source: sourceLabel(s.Source), Checked: true, Essential: s.Essential})
	}
	if v.Draft {
		// The occupation's other skills, unticked, for what the text
		// did not name.
		if ov, err := p.Graph.Occupation(c, o.ROME); err == nil {
			for _, r := range ov.Requires {
				if slices.ContainsFunc(o.Suggested, func(x matching.OfferSkill) bool { return x.SkillID == r.Skill.ID }) {
					continue
				}
				v.Choices = append(v.Choices, skillChoice{Index: len(v.Choices), ID: r.Skill.ID, Label: r.Skill.Label,
					Source: "compétence du métier, absente du texte", Essential: r.Essential})
			}
		}
	}
	if r := o.Review; r != nil {
		v.ReviewedOn = frenchDate(r.At)
		v.Rejected = o.Status == matching.OfferRejected && r.Outcome == matching.OfferRejected
		v.PublishedAfterReview = r.Outcome == matching.OfferPublished
		if v.Rejected {
			v.RejectionReason = r.Reason
		}
	}
	if o.Screening != nil {
		for _, f := range o.Screening.Findings {
			v.Findings = append(v.Findings, fmt.Sprintf("« %s » (%s) : %s", f.Passage, f.Field, f.Explanation))
		}
	}
	if v.Published {
		cards, err := p.Matching.OfferFeed(c, pr.Subject, o.ID, false)
		if err != nil {
			return response{}, err
		}
		for _, k := range cards {
			line := candidateLine{Pseudonym: k.Pseudonym, Distance: fmt.Sprintf("%.0f km au plus", k.DistanceKm), Available: frenchDate(k.Available),
				Hours: fmt.Sprintf("%d à %d h par semaine", k.HoursMin, k.HoursMax), Score: fmt.Sprintf("%.0f %%", 100*k.Score),
				Covered: k.Covered, Missing: k.Missing, Decision: decisionLabel(k.Decision)}
			var cs []string
			for _, x := range k.Contracts {
				cs = append(cs, contractLabels[x])
			}
			line.Contracts = strings.Join(cs, ", ")
			v.Candidates = append(v.Candidates, line)
		}
	}
	status := 0
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	return response{status: status, page: "emploi-offre.html", title: o.Title, nav: "emploi", data: v}, nil
}

func sourceLabel(s string) string {
	switch s {
	case "lexicon":
		return "trouvée dans le texte"
	case "model", "lexicon+model":
		return "trouvée dans le texte (analyse automatique)"
	}
	return "ajoutée par vous"
}

func decisionLabel(d *bool) string {
	switch {
	case d == nil:
		return ""
	case *d:
		return "Vous avez dit oui"
	}
	return "Vous avez passé"
}

func (p *Pages) publishJobOffer(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Employer)
	if err != nil {
		return response{}, err
	}
	o, err := p.Matching.EmployerOffer(c, pr.Subject, c.Param("id"))
	if err != nil {
		return response{}, err
	}
	if err := c.Request.ParseForm(); err != nil {
		return response{}, badRequest("Le formulaire envoyé n’est pas lisible.")
	}
	essential := map[string]bool{}
	for _, id := range c.Request.PostForm["essentielle"] {
		essential[id] = true
	}
	var confirmed []matching.OfferSkill
	for _, id := range c.Request.PostForm["competence"] {
		confirmed = append(confirmed, matching.OfferSkill{SkillID: id, Essential: essential[id]})
	}
	_, err = p.Matching.Publish(c, pr.Subject, o.ID, atoiOr(c.PostForm("version"), 0), confirmed)
	if errs, ok := formErrors(err); ok {
		return p.jobOfferPage(c, pr, o.ID, errs)
	}
	if errors.Is(err, matching.ErrConflict) {
		return response{}, &pageError{http.StatusConflict, "L’offre a changé entre-temps : rechargez la page."}
	}
	if err != nil {
		return response{}, err
	}
	c.Redirect(http.StatusSeeOther, "/emploi/offres/"+url.PathEscape(o.ID))
	return response{}, errRedirected
}

func (p *Pages) closeJobOffer(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Employer)
	if err != nil {
		return response{}, err
	}
	if _, err := p.Matching.Close(c, pr.Subject, c.Param("id")); err != nil {
		return response{}, err
	}
	c.Redirect(http.StatusSeeOther, "/emploi/offres/"+url.PathEscape(c.Param("id")))
	return response{}, errRedirected
}

func decisionForm(c *gin.Context) (bool, error) {
	switch c.PostForm("decision") {
	case "oui":
		return true, nil
	case "non":
		return false, nil
	}
	return false, badRequest("Choisissez « Oui » ou « Passer ».")
}

func (p *Pages) employerDecides(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Employer)
	if err != nil {
		return response{}, err
	}
	like, err := decisionForm(c)
	if err != nil {
		return response{}, err
	}
	d, err := p.Matching.EmployerDecides(c, pr.Subject, c.Param("id"), c.Param("pseudo"), like)
	if err != nil {
		return response{}, jobError(err)
	}
	if d.Match != nil {
		c.Redirect(http.StatusSeeOther, "/emploi/mises-en-relation/"+url.PathEscape(d.Match.ID))
	} else {
		c.Redirect(http.StatusSeeOther, "/emploi/offres/"+url.PathEscape(c.Param("id"))+"#candidats")
	}
	return response{}, errRedirected
}

// jobError says in French what went wrong with a decision or a message.
func jobError(err error) error {
	switch {
	case errors.Is(err, matching.ErrRateLimited):
		return &pageError{http.StatusTooManyRequests, "Vous êtes allé trop vite : attendez quelques minutes avant de continuer."}
	case errors.Is(err, matching.ErrNotActive):
		return &pageError{http.StatusConflict, "La mise en relation est en pause, ou l’offre n’est plus publiée."}
	case errors.Is(err, matching.ErrConflict):
		return &pageError{http.StatusConflict, "Votre choix est déjà enregistré : il ne peut pas être changé."}
	case errors.Is(err, matching.ErrNotFound):
		return notFound("Cette proposition n’existe pas, ou plus.")
	}
	return err
}

// ---- Learner ----

type prefsForm struct {
	Occ1, Occ2, Occ3                        []occupationOption
	Commune, Radius, HoursMin, HoursMax     string
	Available, MinSalary                    string
	ContactName, ContactEmail, ContactPhone string
	Contracts                               []contractOption
}

type jobPrefsView struct {
	Form            prefsForm
	OptedIn, Paused bool
	Pseudonym       string
	Errors          []string
	Saved           bool
}

func (p *Pages) jobPreferences(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	cand, err := p.Matching.Candidate(c, pr.Subject)
	switch {
	case errors.Is(err, matching.ErrNotFound):
		return p.prefsPage(c, jobPrefsView{}, []string{"", "", ""}, prefsForm{Radius: "20", HoursMin: "24", HoursMax: "39",
			Available: time.Now().Format(time.DateOnly)}, []matching.Contract{matching.CDI, matching.CDD})
	case err != nil:
		return response{}, err
	}
	pf := cand.Preferences
	occ := append(slices.Clone(pf.Occupations), "", "", "")
	f := prefsForm{Commune: p.communeName(pf.Commune), Radius: strconv.Itoa(pf.RadiusKm), HoursMin: strconv.Itoa(pf.HoursMin), HoursMax: strconv.Itoa(pf.HoursMax),
		Available: pf.AvailableFrom.Format(time.DateOnly), ContactName: cand.Contact.Name, ContactEmail: cand.Contact.Email, ContactPhone: cand.Contact.Phone}
	if pf.MinSalaryCents > 0 {
		f.MinSalary = strconv.FormatInt(pf.MinSalaryCents/100, 10)
	}
	v := jobPrefsView{OptedIn: true, Paused: cand.Status == matching.CandidatePaused, Pseudonym: cand.Pseudonym, Saved: c.Query("enregistre") == "1"}
	return p.prefsPage(c, v, occ[:3], f, pf.Contracts)
}

func (p *Pages) prefsPage(c *gin.Context, v jobPrefsView, occ []string, f prefsForm, contracts []matching.Contract) (response, error) {
	var err error
	for i, dst := range []*[]occupationOption{&f.Occ1, &f.Occ2, &f.Occ3} {
		if *dst, err = p.occupationOptions(c, occ[i]); err != nil {
			return response{}, err
		}
	}
	f.Contracts = contractOptions(contracts...)
	v.Form = f
	status := 0
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	}
	return response{status: status, page: "emploi-preferences.html", title: "Mes préférences d’emploi", nav: "emploi", data: v}, nil
}

func (p *Pages) saveJobPreferences(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	if err := c.Request.ParseForm(); err != nil {
		return response{}, badRequest("Le formulaire envoyé n’est pas lisible.")
	}
	occ := []string{c.PostForm("metier1"), c.PostForm("metier2"), c.PostForm("metier3")}
	var occupations []string
	for _, o := range occ {
		if o != "" {
			occupations = append(occupations, o)
		}
	}
	var contracts []matching.Contract
	for _, k := range c.Request.PostForm["contrat"] {
		contracts = append(contracts, matching.Contract(k))
	}
	f := prefsForm{Commune: c.PostForm("commune"), Radius: c.PostForm("rayon"), HoursMin: c.PostForm("heures_min"), HoursMax: c.PostForm("heures_max"),
		Available: c.PostForm("disponible"), MinSalary: c.PostForm("salaire_min"), ContactName: c.PostForm("contact_nom"),
		ContactEmail: c.PostForm("contact_courriel"), ContactPhone: c.PostForm("contact_tel")}
	avail, _ := time.Parse(time.DateOnly, f.Available)
	prefs := matching.Preferences{Occupations: occupations, Commune: p.communeCode(f.Commune), RadiusKm: atoiOr(f.Radius, 0), Contracts: contracts,
		HoursMin: atoiOr(f.HoursMin, 0), HoursMax: atoiOr(f.HoursMax, 0), AvailableFrom: avail, MinSalaryCents: cents(f.MinSalary)}
	_, err = p.Matching.OptIn(c, pr.Subject, prefs, matching.Contact{Name: f.ContactName, Email: f.ContactEmail, Phone: f.ContactPhone})
	if errs, ok := formErrors(err); ok {
		return p.prefsPage(c, jobPrefsView{Errors: errs}, occ, f, contracts)
	}
	if err != nil {
		return response{}, err
	}
	c.Redirect(http.StatusSeeOther, "/emploi/preferences?enregistre=1")
	return response{}, errRedirected
}

func (p *Pages) pauseJob(paused bool) func(c *gin.Context) (response, error) {
	return func(c *gin.Context) (response, error) {
		pr, err := p.jobViewer(c, auth.Learner)
		if err != nil {
			return response{}, err
		}
		if _, err := p.Matching.SetPaused(c, pr.Subject, paused); err != nil {
			return response{}, err
		}
		c.Redirect(http.StatusSeeOther, "/emploi/preferences")
		return response{}, errRedirected
	}
}

func (p *Pages) leaveJob(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	if err := p.Matching.Leave(c, pr.Subject); err != nil && !errors.Is(err, matching.ErrNotFound) {
		return response{}, err
	}
	c.Redirect(http.StatusSeeOther, "/emploi/preferences")
	return response{}, errRedirected
}

type offerCardView struct {
	ID, Title, Employer, Commune, Contract, Hours, Salary, Start, Distance, Score, Description string
	Skills                                                                                     []matching.OfferSkill
}

type jobFeedView struct {
	OptedIn, Paused bool
	Current         *offerCardView
	Remaining       int
	Decided         int
}

func (p *Pages) jobFeed(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	v := jobFeedView{}
	cand, err := p.Matching.Candidate(c, pr.Subject)
	switch {
	case errors.Is(err, matching.ErrNotFound):
		return response{page: "emploi-propositions.html", title: "Offres proposées", nav: "emploi", data: v}, nil
	case err != nil:
		return response{}, err
	}
	v.OptedIn, v.Paused = true, cand.Status == matching.CandidatePaused
	cards, err := p.Matching.CandidateFeed(c, pr.Subject, false)
	if err != nil {
		return response{}, err
	}
	for _, k := range cards {
		if k.Decision != nil {
			v.Decided++
			continue
		}
		if v.Current == nil {
			o := k.Offer
			v.Current = &offerCardView{ID: o.ID, Title: o.Title, Employer: o.EmployerName, Commune: p.communeName(o.Commune),
				Contract: contractLabels[o.Contract], Hours: fmt.Sprintf("%d h par semaine", o.HoursPerWeek),
				Salary: euros(o.SalaryMinCents) + " à " + euros(o.SalaryMaxCents) + " brut par an", Start: frenchDate(o.Start),
				Distance: strings.Replace(fmt.Sprintf("%.1f", k.DistanceKm), ".", ",", 1) + nbsp + "km", Score: fmt.Sprintf("%.0f %%", 100*k.Score), Description: o.Description, Skills: o.Skills}
		}
		v.Remaining++
	}
	return response{page: "emploi-propositions.html", title: "Offres proposées", nav: "emploi", data: v}, nil
}

func (p *Pages) candidateDecides(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner)
	if err != nil {
		return response{}, err
	}
	like, err := decisionForm(c)
	if err != nil {
		return response{}, err
	}
	d, err := p.Matching.CandidateDecides(c, pr.Subject, c.Param("id"), like)
	if err != nil {
		return response{}, jobError(err)
	}
	if d.Match != nil {
		c.Redirect(http.StatusSeeOther, "/emploi/mises-en-relation/"+url.PathEscape(d.Match.ID)+"?nouvelle=1")
	} else {
		c.Redirect(http.StatusSeeOther, "/emploi/propositions")
	}
	return response{}, errRedirected
}

// ---- Matches ----

type matchLine struct {
	ID, Title, Other, Status, Date string
	Open                           bool
}

type jobMatchesView struct {
	Employer bool
	Matches  []matchLine
}

func (p *Pages) jobMatches(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner, auth.Employer)
	if err != nil {
		return response{}, err
	}
	ms, err := p.Matching.Matches(c, jobActor(pr))
	if err != nil {
		return response{}, err
	}
	v := jobMatchesView{Employer: pr.Role == auth.Employer}
	for _, m := range ms {
		l := matchLine{ID: m.Match.ID, Title: m.Offer.Title, Date: frenchDate(m.Match.CreatedAt), Open: m.Match.Status == matching.MatchOpen, Status: "Ouverte"}
		if !l.Open {
			l.Status = "Retirée"
		}
		if v.Employer {
			l.Other = m.Candidate.Name
			if l.Other == "" {
				l.Other = m.Pseudonym
			}
		} else {
			l.Other = m.Offer.EmployerName
		}
		v.Matches = append(v.Matches, l)
	}
	return response{page: "emploi-relations.html", title: "Mises en relation", nav: "emploi", data: v}, nil
}

type messageLine struct {
	Mine       bool
	From, Body string
	At         string
}

type jobMatchView struct {
	ID, Title, Employer, Pseudonym string
	Open, IsEmployer, New          bool
	Candidate, Recruiter           matching.Contact
	Messages                       []messageLine
	Errors                         []string
}

func (p *Pages) jobMatch(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner, auth.Employer)
	if err != nil {
		return response{}, err
	}
	return p.jobMatchPage(c, pr, nil)
}

func (p *Pages) jobMatchPage(c *gin.Context, pr auth.Principal, errs []string) (response, error) {
	a := jobActor(pr)
	m, err := p.Matching.Match(c, a, c.Param("id"))
	if errors.Is(err, matching.ErrNotFound) {
		return response{}, notFound("Cette mise en relation n’existe pas, ou pas pour vous.")
	}
	if err != nil {
		return response{}, err
	}
	msgs, err := p.Matching.Messages(c, a, m.Match.ID)
	if err != nil {
		return response{}, err
	}
	v := jobMatchView{ID: m.Match.ID, Title: m.Offer.Title, Employer: m.Offer.EmployerName, Pseudonym: m.Pseudonym, Open: m.Match.Status == matching.MatchOpen,
		IsEmployer: pr.Role == auth.Employer, New: c.Query("nouvelle") == "1", Candidate: m.Candidate, Recruiter: m.Employer, Errors: errs}
	mySide := matching.CandidateSide
	if v.IsEmployer {
		mySide = matching.EmployerSide
	}
	for _, msg := range msgs {
		from := "Employeur"
		if msg.From == matching.CandidateSide {
			from = "Candidat"
		}
		if msg.From == mySide {
			from = "Vous"
		}
		v.Messages = append(v.Messages, messageLine{Mine: msg.From == mySide, From: from, Body: msg.Body, At: msg.At.In(paris).Format("02/01/2006 15:04")})
	}
	status := 0
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	return response{status: status, page: "emploi-relation.html", title: "Mise en relation – " + m.Offer.Title, nav: "emploi", data: v}, nil
}

var paris = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.UTC
	}
	return l
}()

func (p *Pages) sendJobMessage(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner, auth.Employer)
	if err != nil {
		return response{}, err
	}
	_, err = p.Matching.Send(c, jobActor(pr), c.Param("id"), c.PostForm("message"))
	if errs, ok := formErrors(err); ok {
		return p.jobMatchPage(c, pr, errs)
	}
	if err != nil {
		return response{}, jobError(err)
	}
	c.Redirect(http.StatusSeeOther, "/emploi/mises-en-relation/"+url.PathEscape(c.Param("id"))+"#fil")
	return response{}, errRedirected
}

func (p *Pages) withdrawJobMatch(c *gin.Context) (response, error) {
	pr, err := p.jobViewer(c, auth.Learner, auth.Employer)
	if err != nil {
		return response{}, err
	}
	if _, err := p.Matching.Withdraw(c, jobActor(pr), c.Param("id")); err != nil {
		return response{}, jobError(err)
	}
	c.Redirect(http.StatusSeeOther, "/emploi/mises-en-relation/"+url.PathEscape(c.Param("id")))
	return response{}, errRedirected
}
