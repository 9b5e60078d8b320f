package matching

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/parcours/parcours/skills"
)

// DemoEmployers are the SIRETs of the demo job market's employers: sign in
// as an employer with one of them to see its offers and candidates.
var DemoEmployers = []struct{ SIRET, Name string }{
	{"90123456700013", "Brasserie du Parc"},
	{"81234567300014", "Logistique Rhône Express"},
	{"85392107800012", "Clinique des Tilleuls"},
}

// demoCities are INSEE codes of the demo market's places.
var demoCities = []string{"69123", "69266", "75056", "13055", "59350", "44109", "31555", "33063"}

// DemoMarket returns a small job market for demo mode: offers of the demo
// employers on the occupations of the graph that have required skills,
// and candidates (with fictitious contacts) holding some of those skills,
// plus the demo learner account opted in near Lyon. The same inputs give
// the same market, so loading it again changes nothing. held lists the
// skills to give each candidate in the graph.
func DemoMarket(ctx context.Context, g SkillGraph, places Places, occupations []string, now time.Time, demoLearner string) ([]JobOffer, []Candidate, []skills.Edge, error) {
	r := rand.New(rand.NewPCG(42, 7))
	day := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	type occ struct {
		code string
		reqs []skills.Requirement
	}
	var occs []occ
	for _, code := range occupations {
		v, err := g.Occupation(ctx, code)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(v.Requires) >= 3 {
			occs = append(occs, occ{code, v.Requires})
		}
	}
	if len(occs) == 0 {
		return nil, nil, nil, nil
	}
	var offers []JobOffer
	for i := range 48 {
		o := occs[i%len(occs)]
		emp := DemoEmployers[i%len(DemoEmployers)]
		city := demoCities[r.IntN(len(demoCities))]
		if i%4 == 0 {
			city = "69123" // Lyon has several, for the demo learner
		}
		_, _, lat, lon, ok := places.Place(city)
		if !ok {
			return nil, nil, nil, fmt.Errorf("demo market: no commune %s", city)
		}
		lo := int64(21_000+r.IntN(15_000)) * 100
		off := JobOffer{ID: fmt.Sprintf("job-demo-%03d", i), EmployerSIRET: emp.SIRET, EmployerName: emp.Name, ROME: o.code,
			Title: o.reqs[0].Skill.Label, Commune: city, Lat: lat, Lon: lon, Contract: Contracts[r.IntN(3)], HoursPerWeek: 24 + r.IntN(16),
			SalaryMinCents: lo, SalaryMaxCents: lo + int64(r.IntN(5_000))*100, Start: day.AddDate(0, 1+r.IntN(3), 0), Seats: 1 + r.IntN(3),
			Contact: Contact{Name: "Service recrutement", Email: fmt.Sprintf("recrutement-%d@demo.invalid", i%len(DemoEmployers))},
			Status:  OfferPublished, Extraction: "lexicon", CreatedAt: day.Add(time.Duration(i) * time.Minute), Version: 1}
		off.UpdatedAt = off.CreatedAt
		off.Title = "Poste " + o.code + " – " + o.reqs[0].Skill.Label
		off.Description = "Offre de démonstration. Missions : "
		for k, req := range o.reqs[:min(6, len(o.reqs))] {
			if k > 0 {
				off.Description += " ; "
			}
			off.Description += req.Skill.Label
			off.Skills = append(off.Skills, OfferSkill{SkillID: req.Skill.ID, Label: req.Skill.Label, Essential: k < 3, Source: "lexicon"})
		}
		off.Description += "."
		off.Suggested = off.Skills
		offers = append(offers, off)
	}
	var cands []Candidate
	var edges []skills.Edge
	addSkills := func(id string, o occ, n int) {
		for k, j := range r.Perm(len(o.reqs))[:min(n, len(o.reqs))] {
			ev := skills.Declared
			if k%2 == 0 {
				ev = skills.Attested
			}
			edges = append(edges, skills.Edge{Rel: skills.HasSkill, From: id, To: o.reqs[j].Skill.ID, Level: 2, Evidence: ev})
		}
	}
	for i := range 240 {
		o := occs[r.IntN(len(occs))]
		city := demoCities[r.IntN(len(demoCities))]
		_, _, lat, lon, _ := places.Place(city)
		id := fmt.Sprintf("demo-candidate-%03d", i)
		c := Candidate{ID: id, Status: CandidateActive, Pseudonym: fmt.Sprintf("C-D%05d", i), CreatedAt: day, UpdatedAt: day, Version: 1,
			Preferences: Preferences{Occupations: []string{o.code}, Commune: city, Lat: lat, Lon: lon, RadiusKm: 15 + r.IntN(30),
				Contracts: []Contract{CDI, CDD, Interim}[:1+r.IntN(3)], HoursMin: 20 + r.IntN(10), HoursMax: 35 + r.IntN(5),
				AvailableFrom: day.AddDate(0, 0, r.IntN(60)), MinSalaryCents: int64(18_000+r.IntN(8_000)) * 100},
			Contact: Contact{Name: fmt.Sprintf("Candidat·e de démonstration %d", i), Email: fmt.Sprintf("candidat-%d@demo.invalid", i)}}
		cands = append(cands, c)
		addSkills(id, o, 2+r.IntN(5))
	}
	if demoLearner != "" {
		o := occs[0]
		_, _, lat, lon, _ := places.Place("69123")
		cands = append(cands, Candidate{ID: demoLearner, Status: CandidateActive, Pseudonym: "C-DEMO01", CreatedAt: day, UpdatedAt: day, Version: 1,
			Preferences: Preferences{Occupations: []string{o.code}, Commune: "69123", Lat: lat, Lon: lon, RadiusKm: 30,
				Contracts: []Contract{CDI, CDD, Interim}, HoursMin: 20, HoursMax: 39, AvailableFrom: day},
			Contact: Contact{Name: "Apprenant de démonstration", Email: "apprenant@demo.invalid"}})
		addSkills(demoLearner, o, 5)
	}
	return offers, cands, edges, nil
}
