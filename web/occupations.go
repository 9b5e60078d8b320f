package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parcours/parcours/auth"
	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/skills"
)

// The occupation pages show the skills graph: what an occupation requires,
// the certifications and trainings that prepare for it, the occupations
// near it, and, for a signed-in learner, what they miss for it.

type occupationsView struct {
	Query   string
	Domains []domainGroup
	Total   int
}

type domainGroup struct {
	Letter, Name string
	Occupations  []occupationLink
}

type occupationLink struct {
	Code, Label, URL string
}

// romeDomains names the 14 large domains of the ROME, by letter.
var romeDomains = map[string]string{
	"A": "Agriculture et pêche, espaces naturels et espaces verts, soins aux animaux",
	"B": "Arts et façonnage d’ouvrages d’art",
	"C": "Banque, assurance, immobilier",
	"D": "Commerce, vente et grande distribution",
	"E": "Communication, média et multimédia",
	"F": "Construction, bâtiment et travaux publics",
	"G": "Hôtellerie-restauration, tourisme, loisirs et animation",
	"H": "Industrie",
	"I": "Installation et maintenance",
	"J": "Santé",
	"K": "Services à la personne et à la collectivité",
	"L": "Spectacle",
	"M": "Support à l’entreprise",
	"N": "Transport et logistique",
}

func occupationURL(code string) string { return "/metiers/" + url.PathEscape(code) }

// occupations lists the occupations by ROME domain, optionally filtered by
// words of their labels and job titles.
func (p *Pages) occupations(c *gin.Context) (response, error) {
	all, err := p.Graph.Occupations(c)
	if err != nil {
		return response{}, err
	}
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 200 {
		return response{}, badRequest("La recherche est trop longue (200 caractères au plus).")
	}
	words := fold.Words(q)
	v := occupationsView{Query: q}
	groups := map[string]*domainGroup{}
	var order []string
	for _, o := range all {
		if !matchesAll(words, o) {
			continue
		}
		letter := "Autres"
		if _, ok := romeDomains[o.ID[:1]]; ok && len(o.ID) == 5 {
			letter = o.ID[:1]
		}
		g, ok := groups[letter]
		if !ok {
			g = &domainGroup{Letter: letter, Name: cmp.Or(romeDomains[letter], "Autres métiers")}
			groups[letter] = g
			order = append(order, letter)
		}
		g.Occupations = append(g.Occupations, occupationLink{Code: o.ID, Label: o.Label, URL: occupationURL(o.ID)})
		v.Total++
	}
	slices.Sort(order)
	for _, l := range order {
		v.Domains = append(v.Domains, *groups[l])
	}
	return response{page: "occupations.html", title: "Métiers", nav: "metiers", data: v}, nil
}

// matchesAll tells whether every word is in the occupation's label, job
// titles or code.
func matchesAll(words []string, o skills.Occupation) bool {
	if len(words) == 0 {
		return true
	}
	text := " " + fold.String(o.Label+" "+strings.Join(o.AltLabels, " ")+" "+o.ID) + " "
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

type skillLine struct {
	ID, Label string
	Essential bool
	Held      bool
}

type certLine struct {
	Code, Title, URL, Level string
}

type occupationView struct {
	Code, Label    string
	AltLabels      []string
	Essential      []skillLine
	Optional       []skillLine
	Certifications []certLine
	Trainings      resultList
	Near           []occupationLink
	GapURL         string // set for a signed-in learner
	SignInURL      string // set in demo mode for anyone else
}

func (p *Pages) occupationCode(c *gin.Context) (string, error) {
	code := c.Param("code")
	if code == "" || len(code) > 200 || strings.ContainsAny(code, " /\\<>\"'") {
		return "", notFound("Ce métier n’existe pas dans le référentiel.")
	}
	return code, nil
}

// trainingCards turns graph trainings into the catalogue's cards.
func (p *Pages) trainingCards(ctx context.Context, ts []skills.Training, empty string) resultList {
	l := resultList{Empty: empty, Sub: true}
	names := map[string]string{}
	today := p.now()
	for _, t := range ts {
		if h, ok := p.Index.Offer(t.Offer.ID); ok {
			l.Cards = append(l.Cards, p.card(ctx, h, search.Query{}, names, today))
		}
	}
	l.Total = len(l.Cards)
	l.TotalText = count(l.Total, "formation", "formations")
	return l
}

func (p *Pages) occupation(c *gin.Context) (response, error) {
	code, err := p.occupationCode(c)
	if err != nil {
		return response{}, err
	}
	v, err := p.Graph.Occupation(c, code)
	if err != nil {
		return response{}, err
	}
	ov := occupationView{Code: v.Occupation.ID, Label: v.Occupation.Label, AltLabels: v.Occupation.AltLabels}
	for _, r := range v.Requires {
		line := skillLine{ID: r.Skill.ID, Label: r.Skill.Label, Essential: r.Essential}
		if r.Essential {
			ov.Essential = append(ov.Essential, line)
		} else {
			ov.Optional = append(ov.Optional, line)
		}
	}
	for _, cert := range v.Certifications {
		cl := certLine{Code: cert.Code, Title: cert.Title, URL: "/certifications/" + cert.Code}
		if cert.Level > 0 {
			cl.Level = "niveau " + strconv.Itoa(cert.Level)
		}
		ov.Certifications = append(ov.Certifications, cl)
	}
	ts, err := p.Graph.Trainings(c, v.Requires, skills.TrainingQuery{Limit: 6})
	if err != nil {
		return response{}, err
	}
	ov.Trainings = p.trainingCards(c, ts, "Aucune formation publiée n’enseigne encore les compétences de ce métier.")
	near, err := p.Graph.NearOccupations(c, code, 6)
	if err != nil {
		return response{}, err
	}
	for _, n := range near {
		ov.Near = append(ov.Near, occupationLink{Code: n.Occupation.ID, Label: n.Occupation.Label, URL: occupationURL(n.Occupation.ID)})
	}
	if vw := viewerOf(c); vw != nil && vw.principal.Role == auth.Learner {
		ov.GapURL = occupationURL(code) + "/ce-qui-me-manque"
	} else if p.Demo {
		ov.SignInURL = "/connexion-demo"
	}
	return response{page: "occupation.html", title: v.Occupation.Label, nav: "metiers", data: ov}, nil
}

type gapView struct {
	Code, Label, URL, FormURL string
	Required, CoveredCount    int
	Percent                   int
	Essential, Optional       []skillLine
	MissingEssential          int
	Trainings                 resultList
	Saved                     bool
}

// learner returns the signed-in learner, or an error page inviting to sign in.
func (p *Pages) learner(c *gin.Context) (string, error) {
	vw := viewerOf(c)
	if vw == nil {
		msg := "Connectez-vous en tant qu’apprenant pour voir ce qu’il vous manque pour ce métier."
		if p.Demo {
			msg += " En démonstration, utilisez la page « Connexion démo »."
		}
		return "", &pageError{http.StatusUnauthorized, msg}
	}
	if vw.principal.Role != auth.Learner {
		return "", forbidden("Cette page est réservée aux apprenants : elle compare vos compétences avec celles du métier.")
	}
	return vw.principal.Subject, nil
}

func (p *Pages) gap(c *gin.Context) (response, error) {
	code, err := p.occupationCode(c)
	if err != nil {
		return response{}, err
	}
	person, err := p.learner(c)
	if err != nil {
		return response{}, err
	}
	gap, err := p.Graph.Gap(c, person, skills.Target{Occupation: code})
	if err != nil {
		return response{}, err
	}
	gv := gapView{Code: code, Label: gap.Label, URL: occupationURL(code), FormURL: occupationURL(code) + "/ce-qui-me-manque",
		Required: gap.Required, CoveredCount: len(gap.Covered), Saved: c.Query("enregistre") == "1"}
	if gap.Required > 0 {
		gv.Percent = 100 * len(gap.Covered) / gap.Required
	}
	lines := map[string]skillLine{}
	for _, cv := range gap.Covered {
		lines[cv.Skill.ID] = skillLine{ID: cv.Skill.ID, Label: cv.Skill.Label, Essential: cv.Essential, Held: true}
	}
	for _, m := range gap.Missing {
		lines[m.Skill.ID] = skillLine{ID: m.Skill.ID, Label: m.Skill.Label, Essential: m.Essential}
		if m.Essential {
			gv.MissingEssential++
		}
	}
	v, err := p.Graph.Occupation(c, code)
	if err != nil {
		return response{}, err
	}
	for _, r := range v.Requires { // in the documented order
		if r.Essential {
			gv.Essential = append(gv.Essential, lines[r.Skill.ID])
		} else {
			gv.Optional = append(gv.Optional, lines[r.Skill.ID])
		}
	}
	ts, err := p.Graph.Trainings(c, gap.Missing, skills.TrainingQuery{Limit: 6})
	if err != nil {
		return response{}, err
	}
	empty := "Aucune formation publiée n’enseigne les compétences qui vous manquent."
	if len(gap.Missing) == 0 {
		empty = "Il ne vous manque aucune compétence requise pour ce métier."
	}
	gv.Trainings = p.trainingCards(c, ts, empty)
	return response{page: "gap.html", title: "Ce qu’il me manque – " + gap.Label, nav: "metiers", data: gv}, nil
}

// saveGap records the skills the learner ticks among the occupation's
// requirements as declared skills; the declared skills outside this
// occupation are kept, and attested ones never change.
func (p *Pages) saveGap(c *gin.Context) {
	if err := p.saveDeclared(c); err != nil {
		p.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, occupationURL(c.Param("code"))+"/ce-qui-me-manque?enregistre=1")
}

func (p *Pages) saveDeclared(c *gin.Context) error {
	code, err := p.occupationCode(c)
	if err != nil {
		return err
	}
	person, err := p.learner(c)
	if err != nil {
		return err
	}
	v, err := p.Graph.Occupation(c, code)
	if err != nil {
		return err
	}
	if err := c.Request.ParseForm(); err != nil {
		return badRequest("Le formulaire envoyé n’est pas lisible.")
	}
	required := map[string]bool{}
	for _, r := range v.Requires {
		required[r.Skill.ID] = true
	}
	ticked := map[string]bool{}
	for _, id := range c.Request.PostForm["competence"] {
		if !required[id] {
			return badRequest(fmt.Sprintf("La compétence %q ne fait pas partie de ce métier.", id))
		}
		ticked[id] = true
	}
	held, err := p.Graph.PersonSkills(c, person)
	if err != nil {
		return err
	}
	var keep []skills.Held
	for _, h := range held {
		if h.Evidence == skills.Declared && !required[h.Skill.ID] || ticked[h.Skill.ID] {
			keep = append(keep, skills.Held{Skill: h.Skill, Level: h.Level})
			delete(ticked, h.Skill.ID)
		}
	}
	for _, r := range v.Requires {
		if ticked[r.Skill.ID] {
			keep = append(keep, skills.Held{Skill: r.Skill, Level: 2})
		}
	}
	return p.Graph.SetDeclaredSkills(c, person, keep)
}
