package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/skills"
)

// SkillWire is a skill as the API shows it.
type SkillWire struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Kind  string `json:"kind,omitempty"`
}

// RequirementWire is a skill an occupation requires.
type RequirementWire struct {
	Skill     SkillWire `json:"skill"`
	Essential bool      `json:"essential"`
}

// OccupationCertification is a certification preparing for an occupation.
type OccupationCertification struct {
	Code   string `json:"code"`
	Title  string `json:"title"`
	Level  int    `json:"level,omitempty"`
	Active bool   `json:"active"`
}

// NearOccupation is an occupation close to another.
type NearOccupation struct {
	Code       string  `json:"code"`
	Label      string  `json:"label"`
	Shared     int     `json:"shared_skills"`
	Similarity float64 `json:"similarity"`
}

// OccupationOutput is an occupation with what it requires, the
// certifications that prepare for it and the occupations near it.
type OccupationOutput struct {
	Code           string                    `json:"code"`
	Label          string                    `json:"label"`
	Domain         string                    `json:"domain,omitempty"`
	AltLabels      []string                  `json:"alt_labels"`
	Requires       []RequirementWire         `json:"requires"`
	Certifications []OccupationCertification `json:"certifications"`
	Near           []NearOccupation          `json:"near"`
}

// TrainingOutput is a training offer that teaches needed skills.
type TrainingOutput struct {
	OfferID       string   `json:"offer_id"`
	ProviderID    string   `json:"provider_id"`
	Title         string   `json:"title"`
	Certification string   `json:"certification"`
	PriceCents    int64    `json:"price_cents"`
	Hours         int      `json:"hours"`
	Region        string   `json:"region"`
	Coverage      int      `json:"coverage"`
	Teaches       []string `json:"teaches"`
}

// TrainingList lists trainings, best first.
type TrainingList struct {
	Results []TrainingOutput `json:"results"`
}

// NeighboursOutput is a skill and the skills next to it.
type NeighboursOutput struct {
	Skill      SkillWire       `json:"skill"`
	Neighbours []NeighbourWire `json:"neighbours"`
}

// NeighbourWire is one neighbour of a skill.
type NeighbourWire struct {
	Skill    SkillWire `json:"skill"`
	Relation string    `json:"relation"`
}

// HeldSkillInput is one skill a learner declares.
type HeldSkillInput struct {
	ID    string `json:"id"`
	Level int    `json:"level"`
}

// MySkillsInput replaces a learner's declared skills.
type MySkillsInput struct {
	Skills []HeldSkillInput `json:"skills"`
}

// HeldSkillOutput is a skill a learner holds.
type HeldSkillOutput struct {
	Skill    SkillWire `json:"skill"`
	Level    int       `json:"level"`
	Evidence string    `json:"evidence"`
}

// MySkillsOutput lists a learner's skills.
type MySkillsOutput struct {
	Skills []HeldSkillOutput `json:"skills"`
}

// CoveredWire is a required skill the learner covers.
type CoveredWire struct {
	Skill     SkillWire `json:"skill"`
	Essential bool      `json:"essential"`
	By        string    `json:"covered_by"`
	Evidence  string    `json:"evidence"`
}

// GapOutput is what a learner misses for an occupation or a job offer,
// with the trainings that close most of it.
type GapOutput struct {
	Occupation string            `json:"occupation,omitempty"`
	JobOffer   string            `json:"job_offer,omitempty"`
	Label      string            `json:"label"`
	Required   int               `json:"required"`
	Covered    []CoveredWire     `json:"covered"`
	Missing    []RequirementWire `json:"missing"`
	Trainings  []TrainingOutput  `json:"trainings"`
}

// PasserelleOutput is an occupation reachable from the learner's skills.
type PasserelleOutput struct {
	Code             string `json:"code"`
	Label            string `json:"label"`
	Required         int    `json:"required"`
	Covered          int    `json:"covered"`
	Missing          int    `json:"missing"`
	MissingEssential int    `json:"missing_essential"`
}

// PasserelleList lists passerelles, nearest first.
type PasserelleList struct {
	Results []PasserelleOutput `json:"results"`
}

func skillWire(s skills.Skill) SkillWire { return SkillWire{ID: s.ID, Label: s.Label, Kind: s.Kind} }

func requirementsWire(rs []skills.Requirement) []RequirementWire {
	out := make([]RequirementWire, 0, len(rs))
	for _, r := range rs {
		out = append(out, RequirementWire{Skill: skillWire(r.Skill), Essential: r.Essential})
	}
	return out
}

func trainingsWire(ts []skills.Training) []TrainingOutput {
	out := make([]TrainingOutput, 0, len(ts))
	for _, t := range ts {
		out = append(out, TrainingOutput{OfferID: t.Offer.ID, ProviderID: t.Offer.ProviderID, Title: t.Offer.Title,
			Certification: t.Offer.Certification, PriceCents: t.Offer.PriceCents, Hours: t.Offer.Hours, Region: t.Offer.Region,
			Coverage: t.Coverage, Teaches: t.Teaches})
	}
	return out
}

// graphID reads a path parameter naming a node of the graph: like pathID,
// with ':' too, which namespaces skill IDs ("rome:900001").
func graphID(c *gin.Context, name string) (string, error) {
	id := c.Param(name)
	if id == "" || len(id) > 200 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~:", r))
	}) {
		return "", invalid(name, "is not an identifier (1 to 200 letters, digits, '-', '.', '_', '~' or ':')")
	}
	return id, nil
}

func (s *Server) trainingQuery(c *gin.Context) (skills.TrainingQuery, error) {
	n, err := queryInt(c, "limit", 10, 1, 100)
	if err != nil {
		return skills.TrainingQuery{}, err
	}
	q := skills.TrainingQuery{Limit: n, Region: c.Query("region")}
	if q.Region != "" {
		if _, ok := s.Places.Region(q.Region); !ok {
			return q, invalid("region", "unknown region code %q", q.Region)
		}
	}
	return q, nil
}

func (s *Server) getOccupation(c *gin.Context) error {
	code, err := graphID(c, "code")
	if err != nil {
		return err
	}
	v, err := s.Graph.Occupation(c, code)
	if err != nil {
		return err
	}
	near, err := s.Graph.NearOccupations(c, code, 5)
	if err != nil {
		return err
	}
	out := OccupationOutput{Code: v.Occupation.ID, Label: v.Occupation.Label, Domain: v.Occupation.Domain,
		AltLabels: append([]string{}, v.Occupation.AltLabels...), Requires: requirementsWire(v.Requires),
		Certifications: []OccupationCertification{}, Near: []NearOccupation{}}
	for _, cert := range v.Certifications {
		out.Certifications = append(out.Certifications, OccupationCertification{Code: cert.Code, Title: cert.Title, Level: cert.Level, Active: cert.Active})
	}
	for _, n := range near {
		out.Near = append(out.Near, NearOccupation{Code: n.Occupation.ID, Label: n.Occupation.Label, Shared: n.Shared, Similarity: n.Similarity})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) occupationTrainings(c *gin.Context) error {
	code, err := graphID(c, "code")
	if err != nil {
		return err
	}
	q, err := s.trainingQuery(c)
	if err != nil {
		return err
	}
	v, err := s.Graph.Occupation(c, code)
	if err != nil {
		return err
	}
	ts, err := s.Graph.Trainings(c, v.Requires, q)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, TrainingList{Results: trainingsWire(ts)})
	return nil
}

func (s *Server) skillNeighbours(c *gin.Context) error {
	id, err := graphID(c, "id")
	if err != nil {
		return err
	}
	sk, err := s.Graph.Skill(c, id)
	if err != nil {
		return err
	}
	ns, err := s.Graph.Neighbours(c, id)
	if err != nil {
		return err
	}
	out := NeighboursOutput{Skill: skillWire(sk), Neighbours: []NeighbourWire{}}
	for _, n := range ns {
		out.Neighbours = append(out.Neighbours, NeighbourWire{Skill: skillWire(n.Skill), Relation: n.Relation})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) mySkills(c *gin.Context) error {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return err
	}
	return s.writeMySkills(c, p.Subject)
}

func (s *Server) writeMySkills(c *gin.Context, person string) error {
	held, err := s.Graph.PersonSkills(c, person)
	if err != nil {
		return err
	}
	out := MySkillsOutput{Skills: []HeldSkillOutput{}}
	for _, h := range held {
		out.Skills = append(out.Skills, HeldSkillOutput{Skill: skillWire(h.Skill), Level: h.Level, Evidence: string(h.Evidence)})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// MaxDeclaredSkills bounds the skills one request may declare.
const MaxDeclaredSkills = 200

func (s *Server) putMySkills(c *gin.Context) error {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return err
	}
	var in MySkillsInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Skills == nil {
		return invalid("skills", "is required (an empty list clears the declared skills)")
	}
	if len(in.Skills) > MaxDeclaredSkills {
		return invalid("skills", "must list at most %d skills", MaxDeclaredSkills)
	}
	held := make([]skills.Held, len(in.Skills))
	for i, h := range in.Skills {
		held[i] = skills.Held{Skill: skills.Skill{ID: h.ID}, Level: h.Level}
	}
	if err := s.Graph.SetDeclaredSkills(c, p.Subject, held); err != nil {
		return err
	}
	return s.writeMySkills(c, p.Subject)
}

func (s *Server) myGap(c *gin.Context) error {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return err
	}
	t := skills.Target{Occupation: c.Query("occupation"), JobOffer: c.Query("job_offer")}
	if (t.Occupation == "") == (t.JobOffer == "") {
		return invalid("occupation", "give exactly one of occupation (a ROME code such as M1805) and job_offer")
	}
	q, err := s.trainingQuery(c)
	if err != nil {
		return err
	}
	gap, err := s.Graph.Gap(c, p.Subject, t)
	if err != nil {
		return err
	}
	ts, err := s.Graph.Trainings(c, gap.Missing, q)
	if err != nil {
		return err
	}
	out := GapOutput{Occupation: t.Occupation, JobOffer: t.JobOffer, Label: gap.Label, Required: gap.Required,
		Covered: []CoveredWire{}, Missing: requirementsWire(gap.Missing), Trainings: trainingsWire(ts)}
	for _, cv := range gap.Covered {
		out.Covered = append(out.Covered, CoveredWire{Skill: skillWire(cv.Skill), Essential: cv.Essential, By: cv.By, Evidence: string(cv.Evidence)})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) myPasserelles(c *gin.Context) error {
	p, err := requireRole(c, auth.Learner)
	if err != nil {
		return err
	}
	n, err := queryInt(c, "limit", 10, 1, 100)
	if err != nil {
		return err
	}
	ps, err := s.Graph.Passerelles(c, p.Subject, n)
	if err != nil {
		return err
	}
	out := PasserelleList{Results: []PasserelleOutput{}}
	for _, x := range ps {
		out.Results = append(out.Results, PasserelleOutput{Code: x.Occupation.ID, Label: x.Occupation.Label, Required: x.Required,
			Covered: x.Covered, Missing: x.Missing, MissingEssential: x.MissingEssential})
	}
	c.JSON(http.StatusOK, out)
	return nil
}
