package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/controls"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching"
)

// Job matching: employers post offers and see pseudonymous candidates;
// learners opt in and see offers; a mutual like makes a match that
// reveals contacts and opens a thread. Employers act under their SIRET
// (the token's subject).

// JobContactWire is how to reach one side, shown by a match only.
type JobContactWire struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// JobOfferInput is what an employer writes in an offer.
type JobOfferInput struct {
	Version        int            `json:"version,omitempty"`
	EmployerName   string         `json:"employer_name"`
	ROME           string         `json:"rome"`
	Title          string         `json:"title"`
	Description    string         `json:"description"`
	Commune        string         `json:"commune"`
	Contract       string         `json:"contract"`
	HoursPerWeek   int            `json:"hours_per_week"`
	SalaryMinCents int64          `json:"salary_min_cents"`
	SalaryMaxCents int64          `json:"salary_max_cents"`
	Start          string         `json:"start"`
	Seats          int            `json:"seats"`
	Contact        JobContactWire `json:"contact"`
}

// JobSkillWire is a skill an offer requires or a suggestion.
type JobSkillWire struct {
	SkillID   string `json:"skill_id"`
	Label     string `json:"label,omitempty"`
	Essential bool   `json:"essential"`
	Source    string `json:"source,omitempty"`
}

// JobOfferWire is an offer as the API shows it. Contact is only shown to
// the offer's employer; candidates see it through a match.
type JobOfferWire struct {
	ID             string              `json:"id"`
	EmployerSIRET  string              `json:"employer_siret"`
	EmployerName   string              `json:"employer_name"`
	ROME           string              `json:"rome"`
	Title          string              `json:"title"`
	Description    string              `json:"description"`
	Skills         []JobSkillWire      `json:"skills"`
	Suggested      []JobSkillWire      `json:"suggested_skills,omitempty"`
	Extraction     string              `json:"extraction,omitempty"`
	Commune        string              `json:"commune"`
	Contract       string              `json:"contract"`
	HoursPerWeek   int                 `json:"hours_per_week"`
	SalaryMinCents int64               `json:"salary_min_cents"`
	SalaryMaxCents int64               `json:"salary_max_cents"`
	Start          string              `json:"start"`
	Seats          int                 `json:"seats"`
	Status         string              `json:"status"`
	Screening      *controls.Screening `json:"screening,omitempty"`
	Review         *JobReviewWire      `json:"review,omitempty"`
	Contact        *JobContactWire     `json:"contact,omitempty"`
	Version        int                 `json:"version"`
	CreatedAt      time.Time           `json:"created_at"`
	UpdatedAt      time.Time           `json:"updated_at"`
}

func jobSkills(in []matching.OfferSkill) []JobSkillWire {
	out := make([]JobSkillWire, len(in))
	for i, s := range in {
		out[i] = JobSkillWire{SkillID: s.SkillID, Label: s.Label, Essential: s.Essential, Source: s.Source}
	}
	return out
}

func contactWire(c matching.Contact) JobContactWire {
	return JobContactWire{Name: c.Name, Email: c.Email, Phone: c.Phone}
}

// jobOfferWire shows o; owner adds what only its employer sees.
func jobOfferWire(o matching.JobOffer, owner bool) JobOfferWire {
	w := JobOfferWire{ID: o.ID, EmployerSIRET: o.EmployerSIRET, EmployerName: o.EmployerName, ROME: o.ROME, Title: o.Title,
		Description: o.Description, Skills: jobSkills(o.Skills), Commune: o.Commune, Contract: string(o.Contract),
		HoursPerWeek: o.HoursPerWeek, SalaryMinCents: o.SalaryMinCents, SalaryMaxCents: o.SalaryMaxCents,
		Start: o.Start.Format(time.DateOnly), Seats: o.Seats, Status: string(o.Status), Version: o.Version,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if r := o.Review; r != nil {
		w.Review = &JobReviewWire{Outcome: string(r.Outcome), Reason: r.Reason, At: r.At}
	}
	if owner {
		w.Suggested, w.Extraction, w.Screening = jobSkills(o.Suggested), o.Extraction, o.Screening
		c := contactWire(o.Contact)
		w.Contact = &c
		if w.Screening != nil && w.Screening.Findings == nil {
			w.Screening.Findings = []controls.Finding{}
		}
	}
	return w
}

// JobOfferList lists offers.
type JobOfferList struct {
	Results []JobOfferWire `json:"results"`
}

func (in JobOfferInput) domain() (matching.OfferInput, error) {
	start, err := parseDate("start", in.Start)
	if err != nil {
		return matching.OfferInput{}, err
	}
	return matching.OfferInput{ROME: in.ROME, Title: in.Title, Description: in.Description, Commune: in.Commune,
		Contract: matching.Contract(in.Contract), HoursPerWeek: in.HoursPerWeek, SalaryMinCents: in.SalaryMinCents,
		SalaryMaxCents: in.SalaryMaxCents, Start: start, Seats: in.Seats, EmployerName: in.EmployerName,
		Contact: matching.Contact{Name: in.Contact.Name, Email: in.Contact.Email, Phone: in.Contact.Phone}}, nil
}

// JobPublishInput confirms an offer's skills.
type JobPublishInput struct {
	Version int            `json:"version"`
	Skills  []JobSkillWire `json:"skills"`
}

// JobReviewInput is a controller's decision on a held offer.
type JobReviewInput struct {
	Decision string `json:"decision"`
	// Reason is audited; the employer reads it when the post is rejected.
	Reason string `json:"reason"`
	// Note is the former name of Reason, still accepted.
	Note string `json:"note,omitempty"`
}

// JobReviewWire is a controller's decision on a held post, as its
// employer reads it.
type JobReviewWire struct {
	Outcome string    `json:"outcome"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

// JobPreferencesInput is what a learner looks for, and how to reach them
// after a match.
type JobPreferencesInput struct {
	Occupations    []string       `json:"occupations"`
	Commune        string         `json:"commune"`
	RadiusKm       int            `json:"radius_km"`
	Contracts      []string       `json:"contracts"`
	HoursMin       int            `json:"hours_min"`
	HoursMax       int            `json:"hours_max"`
	AvailableFrom  string         `json:"available_from"`
	MinSalaryCents int64          `json:"min_salary_cents"`
	Contact        JobContactWire `json:"contact"`
}

// JobCandidateWire is the learner's own matching record.
type JobCandidateWire struct {
	Status         string         `json:"status"`
	Pseudonym      string         `json:"pseudonym"`
	Occupations    []string       `json:"occupations"`
	Commune        string         `json:"commune"`
	RadiusKm       int            `json:"radius_km"`
	Contracts      []string       `json:"contracts"`
	HoursMin       int            `json:"hours_min"`
	HoursMax       int            `json:"hours_max"`
	AvailableFrom  string         `json:"available_from"`
	MinSalaryCents int64          `json:"min_salary_cents"`
	Contact        JobContactWire `json:"contact"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

func candidateWire(c matching.Candidate) JobCandidateWire {
	p := c.Preferences
	w := JobCandidateWire{Status: string(c.Status), Pseudonym: c.Pseudonym, Occupations: p.Occupations, Commune: p.Commune,
		RadiusKm: p.RadiusKm, HoursMin: p.HoursMin, HoursMax: p.HoursMax, AvailableFrom: p.AvailableFrom.Format(time.DateOnly),
		MinSalaryCents: p.MinSalaryCents, Contact: contactWire(c.Contact), UpdatedAt: c.UpdatedAt, Contracts: []string{}}
	for _, k := range p.Contracts {
		w.Contracts = append(w.Contracts, string(k))
	}
	return w
}

// JobOfferCard is an offer in a learner's feed.
type JobOfferCard struct {
	Offer      JobOfferWire `json:"offer"`
	Score      float64      `json:"score"`
	DistanceKm float64      `json:"distance_km"`
	Proposed   string       `json:"proposed_on"`
	Decision   string       `json:"decision"` // "like", "pass" or "pending"
}

// JobFeed is a learner's feed.
type JobFeed struct {
	Results []JobOfferCard `json:"results"`
}

// JobCoveredSkillWire is a required skill a candidate holds.
type JobCoveredSkillWire struct {
	SkillID   string `json:"skill_id"`
	Label     string `json:"label"`
	Essential bool   `json:"essential"`
	Evidence  string `json:"evidence"`
}

// JobCandidateCard is a candidate as an employer sees them before a
// match: no name, contact, age, photo or address.
type JobCandidateCard struct {
	Pseudonym  string                `json:"pseudonym"`
	Score      float64               `json:"score"`
	Covered    []JobCoveredSkillWire `json:"covered_skills"`
	Missing    []JobSkillWire        `json:"missing_skills"`
	DistanceKm float64               `json:"distance_km"`
	Available  string                `json:"available_from"`
	Contracts  []string              `json:"contracts"`
	HoursMin   int                   `json:"hours_min"`
	HoursMax   int                   `json:"hours_max"`
	Proposed   string                `json:"proposed_on"`
	Decision   string                `json:"decision"`
}

// JobCandidateFeed is an offer's feed of candidates.
type JobCandidateFeed struct {
	Results []JobCandidateCard `json:"results"`
}

func decisionWord(d *bool) string {
	switch {
	case d == nil:
		return "pending"
	case *d:
		return "like"
	}
	return "pass"
}

func candidateCard(c matching.CandidateCard) JobCandidateCard {
	w := JobCandidateCard{Pseudonym: c.Pseudonym, Score: c.Score, DistanceKm: c.DistanceKm, Available: c.Available.Format(time.DateOnly),
		HoursMin: c.HoursMin, HoursMax: c.HoursMax, Proposed: c.Proposed, Decision: decisionWord(c.Decision),
		Covered: []JobCoveredSkillWire{}, Missing: jobSkills(c.Missing), Contracts: []string{}}
	for _, s := range c.Covered {
		w.Covered = append(w.Covered, JobCoveredSkillWire{SkillID: s.SkillID, Label: s.Label, Essential: s.Essential, Evidence: string(s.Evidence)})
	}
	for _, k := range c.Contracts {
		w.Contracts = append(w.Contracts, string(k))
	}
	return w
}

// JobDecisionInput is a like or a pass.
type JobDecisionInput struct {
	Like *bool `json:"like"`
}

// JobDecisionWire is a recorded decision and the match it made, if any.
type JobDecisionWire struct {
	Decision string        `json:"decision"`
	Match    *JobMatchWire `json:"match,omitempty"`
}

// JobMatchWire is a mutual like: both contacts, while it is open.
type JobMatchWire struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"`
	WithdrawnBy      string          `json:"withdrawn_by,omitempty"`
	Offer            JobOfferWire    `json:"offer"`
	Pseudonym        string          `json:"pseudonym"`
	CandidateContact *JobContactWire `json:"candidate_contact,omitempty"`
	EmployerContact  *JobContactWire `json:"employer_contact,omitempty"`
	CreatedAt        time.Time       `json:"created_at"`
}

func matchWire(v matching.MatchView) JobMatchWire {
	w := JobMatchWire{ID: v.Match.ID, Status: string(v.Match.Status), WithdrawnBy: string(v.Match.WithdrawnBy),
		Offer: jobOfferWire(v.Offer, false), Pseudonym: v.Pseudonym, CreatedAt: v.Match.CreatedAt}
	if v.Candidate != (matching.Contact{}) {
		c := contactWire(v.Candidate)
		w.CandidateContact = &c
	}
	if v.Employer != (matching.Contact{}) {
		c := contactWire(v.Employer)
		w.EmployerContact = &c
	}
	return w
}

// JobMatchList lists matches, newest first.
type JobMatchList struct {
	Results []JobMatchWire `json:"results"`
}

// JobMessageInput is a message to send.
type JobMessageInput struct {
	Body string `json:"body"`
}

// JobMessageWire is one message of a thread.
type JobMessageWire struct {
	ID   string    `json:"id"`
	From string    `json:"from"`
	Body string    `json:"body"`
	At   time.Time `json:"at"`
}

// JobMessageList is a thread, oldest first.
type JobMessageList struct {
	Results []JobMessageWire `json:"results"`
}

// JobAuditWire is one audit event.
type JobAuditWire struct {
	ID          string    `json:"id"`
	At          time.Time `json:"at"`
	Actor       string    `json:"actor"`
	Action      string    `json:"action"`
	OfferID     string    `json:"offer_id,omitempty"`
	CandidateID string    `json:"candidate_id,omitempty"`
	MatchID     string    `json:"match_id,omitempty"`
	Detail      string    `json:"detail,omitempty"`
}

// JobAuditList lists audit events, oldest first.
type JobAuditList struct {
	Results []JobAuditWire `json:"results"`
}

// JobExtractInput asks for the skills of a text.
type JobExtractInput struct {
	ROME        string `json:"rome"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// JobExtraction is the skills found in a text.
type JobExtraction struct {
	Method string         `json:"method"`
	Skills []JobSkillWire `json:"skills"`
}

func (s *Server) matchingRoutes(v1 gin.IRouter) {
	v1.POST("/job-offers", s.handler(s.createJobOffer))
	v1.GET("/job-offers", s.handler(s.listJobOffers))
	v1.GET("/job-offers/:id", s.handler(s.getJobOffer))
	v1.PUT("/job-offers/:id", s.handler(s.updateJobOffer))
	v1.POST("/job-offers/:id/publish", s.handler(s.publishJobOffer))
	v1.POST("/job-offers/:id/close", s.handler(s.closeJobOffer))
	v1.POST("/job-offers/:id/review", s.handler(s.reviewJobOffer))
	v1.GET("/job-offers/:id/candidates", s.handler(s.jobOfferCandidates))
	v1.POST("/job-offers/:id/candidates/:pseudonym/decision", s.handler(s.employerDecision))
	v1.POST("/job-skills/extract", s.handler(s.extractJobSkills))
	v1.GET("/me/job-preferences", s.handler(s.getJobPreferences))
	v1.PUT("/me/job-preferences", s.handler(s.putJobPreferences))
	v1.DELETE("/me/job-preferences", s.handler(s.leaveJobMatching))
	v1.POST("/me/job-preferences/pause", s.handler(s.pauseJobMatching(true)))
	v1.POST("/me/job-preferences/resume", s.handler(s.pauseJobMatching(false)))
	v1.GET("/me/job-feed", s.handler(s.myJobFeed))
	v1.POST("/me/job-feed/:id/decision", s.handler(s.candidateDecision))
	v1.GET("/job-matches", s.handler(s.listJobMatches))
	v1.GET("/job-matches/:id", s.handler(s.getJobMatch))
	v1.POST("/job-matches/:id/withdraw", s.handler(s.withdrawJobMatch))
	v1.GET("/job-matches/:id/messages", s.handler(s.jobMessages))
	v1.POST("/job-matches/:id/messages", s.handler(s.sendJobMessage))
	v1.GET("/job-matching/audit", s.handler(s.jobAudit))
}

func employer(c *gin.Context) (string, error) {
	p, err := requireRole(c, auth.Employer)
	if err != nil {
		return "", err
	}
	return p.Subject, nil
}

func learner(c *gin.Context) (string, error) {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return "", err
	}
	return p.Subject, nil
}

// jobActor is the learner or employer calling.
func jobActor(c *gin.Context) (matching.Actor, error) {
	p, err := requireRole(c, auth.Learner, auth.Employer)
	if err != nil {
		return matching.Actor{}, err
	}
	if p.Role == auth.Learner {
		return matching.Actor{CandidateID: p.Subject}, nil
	}
	return matching.Actor{EmployerSIRET: p.Subject}, nil
}

func (s *Server) createJobOffer(c *gin.Context) error {
	siret, err := employer(c)
	if err != nil {
		return err
	}
	var in JobOfferInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	d, err := in.domain()
	if err != nil {
		return err
	}
	o, err := s.Matching.CreateOffer(c, siret, d)
	if err != nil {
		return err
	}
	c.Header("Location", "/api/v1/job-offers/"+o.ID)
	c.JSON(http.StatusCreated, jobOfferWire(o, true))
	return nil
}

func (s *Server) listJobOffers(c *gin.Context) error {
	siret, err := employer(c)
	if err != nil {
		return err
	}
	os, err := s.Matching.EmployerOffers(c, siret)
	if err != nil {
		return err
	}
	out := JobOfferList{Results: []JobOfferWire{}}
	for _, o := range os {
		out.Results = append(out.Results, jobOfferWire(o, true))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) getJobOffer(c *gin.Context) error {
	p, err := requireRole(c, auth.Roles...)
	if err != nil {
		return err
	}
	id := c.Param("id")
	switch p.Role {
	case auth.Employer:
		if o, err := s.Matching.EmployerOffer(c, p.Subject, id); err == nil {
			c.JSON(http.StatusOK, jobOfferWire(o, true))
			return nil
		} else if !errors.Is(err, matching.ErrNotFound) && !errors.Is(err, matching.ErrForbidden) {
			return err
		}
	case auth.Controller, auth.Admin:
		o, err := s.Matching.Store().JobOffer(c, id)
		if err != nil {
			return err
		}
		w := jobOfferWire(o, false)
		w.Screening = o.Screening
		c.JSON(http.StatusOK, w)
		return nil
	}
	o, err := s.Matching.PublishedOffer(c, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, jobOfferWire(o, false))
	return nil
}

func (s *Server) updateJobOffer(c *gin.Context) error {
	siret, err := employer(c)
	if err != nil {
		return err
	}
	var in JobOfferInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Version < 1 {
		return invalid("version", "is required: the version read")
	}
	d, err := in.domain()
	if err != nil {
		return err
	}
	o, err := s.Matching.UpdateOffer(c, siret, c.Param("id"), in.Version, d)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, jobOfferWire(o, true))
	return nil
}

func (s *Server) publishJobOffer(c *gin.Context) error {
	siret, err := employer(c)
	if err != nil {
		return err
	}
	var in JobPublishInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Version < 1 {
		return invalid("version", "is required: the version read")
	}
	sk := make([]matching.OfferSkill, len(in.Skills))
	for i, x := range in.Skills {
		sk[i] = matching.OfferSkill{SkillID: x.SkillID, Essential: x.Essential}
	}
	o, err := s.Matching.Publish(c, siret, c.Param("id"), in.Version, sk)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, jobOfferWire(o, true))
	return nil
}

func (s *Server) closeJobOffer(c *gin.Context) error {
	siret, err := employer(c)
	if err != nil {
		return err
	}
	o, err := s.Matching.Close(c, siret, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, jobOfferWire(o, true))
	return nil
}

// reviewJobOffer is a controller's decision on a held post: it goes
// through the controls, like a decision taken from the post's alert, so
// that the alert closes and the decision is audited there.
func (s *Server) reviewJobOffer(c *gin.Context) error {
	who, err := reviewer(c)
	if err != nil {
		return err
	}
	var in JobReviewInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Reason == "" {
		in.Reason = in.Note
	}
	if in.Decision != "publish" && in.Decision != "reject" {
		return invalid("decision", "must be publish or reject")
	}
	if strings.TrimSpace(in.Reason) == "" {
		return invalid("reason", "is required: every decision is audited with its reason, and the employer reads it on a rejection")
	}
	if len([]rune(in.Reason)) > controls.MaxReasonRunes {
		return invalid("reason", "must be at most 2000 characters")
	}
	if s.Controls == nil {
		return fmt.Errorf("the controls are not configured: %w", marketplace.ErrUnavailable)
	}
	if _, err := s.Controls.ReviewJobPost(c, who, c.Param("id"), in.Decision == "publish", in.Reason); err != nil {
		return err
	}
	o, err := s.Matching.Store().JobOffer(c, c.Param("id"))
	if err != nil {
		return err
	}
	w := jobOfferWire(o, false)
	w.Screening = o.Screening
	c.JSON(http.StatusOK, w)
	return nil
}

func pendingOnly(c *gin.Context) (bool, error) {
	switch c.Query("pending") {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, invalid("pending", "must be true or false")
}

func (s *Server) jobOfferCandidates(c *gin.Context) error {
	siret, err := employer(c)
	if err != nil {
		return err
	}
	pending, err := pendingOnly(c)
	if err != nil {
		return err
	}
	cards, err := s.Matching.OfferFeed(c, siret, c.Param("id"), pending)
	if err != nil {
		return err
	}
	out := JobCandidateFeed{Results: []JobCandidateCard{}}
	for _, k := range cards {
		out.Results = append(out.Results, candidateCard(k))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func decisionOf(c *gin.Context) (bool, error) {
	var in JobDecisionInput
	if err := decodeJSON(c, &in); err != nil {
		return false, err
	}
	if in.Like == nil {
		return false, invalid("like", "is required: true to like, false to pass")
	}
	return *in.Like, nil
}

func (s *Server) respondDecision(c *gin.Context, a matching.Actor, d matching.Decision) error {
	out := JobDecisionWire{Decision: "pass"}
	if d.Swipe.Like {
		out.Decision = "like"
	}
	if d.Match != nil {
		v, err := s.Matching.Match(c, a, d.Match.ID)
		if err != nil {
			return err
		}
		m := matchWire(v)
		out.Match = &m
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) employerDecision(c *gin.Context) error {
	siret, err := employer(c)
	if err != nil {
		return err
	}
	like, err := decisionOf(c)
	if err != nil {
		return err
	}
	d, err := s.Matching.EmployerDecides(c, siret, c.Param("id"), c.Param("pseudonym"), like)
	if err != nil {
		return retryLater(c, err)
	}
	return s.respondDecision(c, matching.Actor{EmployerSIRET: siret}, d)
}

func (s *Server) candidateDecision(c *gin.Context) error {
	id, err := learner(c)
	if err != nil {
		return err
	}
	like, err := decisionOf(c)
	if err != nil {
		return err
	}
	d, err := s.Matching.CandidateDecides(c, id, c.Param("id"), like)
	if err != nil {
		return retryLater(c, err)
	}
	return s.respondDecision(c, matching.Actor{CandidateID: id}, d)
}

// retryLater tells a rate-limited client when to try again.
func retryLater(c *gin.Context, err error) error {
	if errors.Is(err, matching.ErrRateLimited) {
		c.Header("Retry-After", "60")
	}
	return err
}

func (s *Server) extractJobSkills(c *gin.Context) error {
	if _, err := employer(c); err != nil {
		return err
	}
	var in JobExtractInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if len([]rune(in.Description)) > 8000 || len([]rune(in.Title)) > 140 {
		return invalid("description", "must be at most 8000 characters (title 140)")
	}
	sk, method, err := s.Matching.Extract(c, in.ROME, in.Title, in.Description)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, JobExtraction{Method: method, Skills: jobSkills(sk)})
	return nil
}

func (s *Server) getJobPreferences(c *gin.Context) error {
	id, err := learner(c)
	if err != nil {
		return err
	}
	cand, err := s.Matching.Candidate(c, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, candidateWire(cand))
	return nil
}

func (s *Server) putJobPreferences(c *gin.Context) error {
	id, err := learner(c)
	if err != nil {
		return err
	}
	var in JobPreferencesInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	avail, err := parseDate("available_from", in.AvailableFrom)
	if err != nil {
		return err
	}
	p := matching.Preferences{Occupations: in.Occupations, Commune: in.Commune, RadiusKm: in.RadiusKm, HoursMin: in.HoursMin,
		HoursMax: in.HoursMax, AvailableFrom: avail, MinSalaryCents: in.MinSalaryCents}
	for _, k := range in.Contracts {
		p.Contracts = append(p.Contracts, matching.Contract(k))
	}
	cand, err := s.Matching.OptIn(c, id, p, matching.Contact{Name: in.Contact.Name, Email: in.Contact.Email, Phone: in.Contact.Phone})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, candidateWire(cand))
	return nil
}

func (s *Server) leaveJobMatching(c *gin.Context) error {
	id, err := learner(c)
	if err != nil {
		return err
	}
	if err := s.Matching.Leave(c, id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) pauseJobMatching(paused bool) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		id, err := learner(c)
		if err != nil {
			return err
		}
		cand, err := s.Matching.SetPaused(c, id, paused)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, candidateWire(cand))
		return nil
	}
}

func (s *Server) myJobFeed(c *gin.Context) error {
	id, err := learner(c)
	if err != nil {
		return err
	}
	pending, err := pendingOnly(c)
	if err != nil {
		return err
	}
	cards, err := s.Matching.CandidateFeed(c, id, pending)
	if err != nil {
		return err
	}
	out := JobFeed{Results: []JobOfferCard{}}
	for _, k := range cards {
		out.Results = append(out.Results, JobOfferCard{Offer: jobOfferWire(k.Offer, false), Score: k.Score, DistanceKm: k.DistanceKm,
			Proposed: k.Proposed, Decision: decisionWord(k.Decision)})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) listJobMatches(c *gin.Context) error {
	a, err := jobActor(c)
	if err != nil {
		return err
	}
	ms, err := s.Matching.Matches(c, a)
	if err != nil {
		return err
	}
	out := JobMatchList{Results: []JobMatchWire{}}
	for _, m := range ms {
		out.Results = append(out.Results, matchWire(m))
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) getJobMatch(c *gin.Context) error {
	a, err := jobActor(c)
	if err != nil {
		return err
	}
	v, err := s.Matching.Match(c, a, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, matchWire(v))
	return nil
}

func (s *Server) withdrawJobMatch(c *gin.Context) error {
	a, err := jobActor(c)
	if err != nil {
		return err
	}
	if _, err := s.Matching.Withdraw(c, a, c.Param("id")); err != nil {
		return err
	}
	v, err := s.Matching.Match(c, a, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, matchWire(v))
	return nil
}

func (s *Server) jobMessages(c *gin.Context) error {
	a, err := jobActor(c)
	if err != nil {
		return err
	}
	ms, err := s.Matching.Messages(c, a, c.Param("id"))
	if err != nil {
		return err
	}
	out := JobMessageList{Results: []JobMessageWire{}}
	for _, m := range ms {
		out.Results = append(out.Results, JobMessageWire{ID: m.ID, From: string(m.From), Body: m.Body, At: m.At})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) sendJobMessage(c *gin.Context) error {
	a, err := jobActor(c)
	if err != nil {
		return err
	}
	var in JobMessageInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.Matching.Send(c, a, c.Param("id"), in.Body)
	if err != nil {
		return retryLater(c, err)
	}
	c.JSON(http.StatusCreated, JobMessageWire{ID: m.ID, From: string(m.From), Body: m.Body, At: m.At})
	return nil
}

func (s *Server) jobAudit(c *gin.Context) error {
	if _, err := requireRole(c, auth.Controller, auth.Admin); err != nil {
		return err
	}
	evs, err := s.Matching.Audit(c, matching.AuditQuery{OfferID: c.Query("offer_id"), CandidateID: c.Query("candidate_id")})
	if err != nil {
		return err
	}
	out := JobAuditList{Results: []JobAuditWire{}}
	for _, e := range evs {
		out.Results = append(out.Results, JobAuditWire{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, OfferID: e.OfferID,
			CandidateID: e.CandidateID, MatchID: e.MatchID, Detail: e.Detail})
	}
	c.JSON(http.StatusOK, out)
	return nil
}
