package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
)

func TestOccupationEndpoint(t *testing.T) {
	e := newEnv(t)
	rec := e.do(req{method: "GET", path: "/api/v1/occupations/M1805"})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	o := decodeAs[api.OccupationOutput](t, rec)
	if o.Label != "Études et développement informatique" || len(o.Requires) < 10 || !o.Requires[0].Essential {
		t.Errorf("occupation = %+v", o)
	}
	var certs []string
	for _, c := range o.Certifications {
		certs = append(certs, c.Code)
	}
	if strings.Join(certs, ",") != "RNCP37674,RNCP37873" {
		t.Errorf("certifications = %v", certs)
	}
	if len(o.Near) == 0 || o.Near[0].Similarity <= 0 {
		t.Errorf("near = %+v", o.Near)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/occupations/Z9999"}), http.StatusNotFound, "")
	problem(t, e.do(req{method: "GET", path: "/api/v1/occupations/M1805%20x"}), http.StatusBadRequest, "code")

	rec = e.do(req{method: "GET", path: "/api/v1/occupations/M1805/trainings?region=84"})
	tl := decodeAs[api.TrainingList](t, rec)
	// The fixtures' published DWWM offers in Lyon teach the occupation.
	if len(tl.Results) != 2 || tl.Results[0].Certification != "RNCP37674" || tl.Results[0].Coverage < 8 {
		t.Errorf("trainings = %+v", tl)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/occupations/M1805/trainings?region=99"}), http.StatusBadRequest, "region")
	problem(t, e.do(req{method: "GET", path: "/api/v1/occupations/M1805/trainings?limit=0"}), http.StatusBadRequest, "limit")
}

func TestNeighboursEndpoint(t *testing.T) {
	e := newEnv(t)
	rec := e.do(req{method: "GET", path: "/api/v1/skills/" + testSkill + "/neighbours"})
	n := decodeAs[api.NeighboursOutput](t, rec)
	if rec.Code != http.StatusOK || n.Skill.Label != "Maquetter des interfaces utilisateur" || n.Neighbours == nil {
		t.Errorf("neighbours: %d %+v", rec.Code, n)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/skills/rome:1/neighbours"}), http.StatusNotFound, "")
	problem(t, e.do(req{method: "GET", path: "/api/v1/skills/a%20b/neighbours"}), http.StatusBadRequest, "id")
}

// TestMySkillsAndGap walks the learner's path: declare skills, see the
// gap shrink, and bad input change nothing.
func TestMySkillsAndGap(t *testing.T) {
	e := newEnv(t)
	tok := e.token(t, auth.Learner, "learner-1")
	gap := func() api.GapOutput {
		rec := e.do(req{method: "GET", path: "/api/v1/me/gap?occupation=M1805", token: tok})
		if rec.Code != http.StatusOK {
			t.Fatalf("gap: %d %s", rec.Code, rec.Body)
		}
		return decodeAs[api.GapOutput](t, rec)
	}
	before := gap()
	if len(before.Covered) != 0 || len(before.Missing) != before.Required || len(before.Trainings) == 0 || before.Trainings[0].Certification != "RNCP37674" {
		t.Fatalf("gap before = %+v", before)
	}
	rec := e.do(req{method: "PUT", path: "/api/v1/me/skills", token: tok, body: `{"skills":[{"id":"rome:900124","level":3},{"id":"rome:900125","level":2}]}`})
	if rec.Code != http.StatusOK {
		t.Fatalf("put: %d %s", rec.Code, rec.Body)
	}
	mine := decodeAs[api.MySkillsOutput](t, rec)
	if len(mine.Skills) != 2 || mine.Skills[0].Evidence != "declared" {
		t.Errorf("skills = %+v", mine)
	}
	after := gap()
	if len(after.Covered) != 2 || len(after.Missing) != before.Required-2 {
		t.Errorf("gap after = %d covered, %d missing; want 2 and %d", len(after.Covered), len(after.Missing), before.Required-2)
	}
	// Bad input names the field and changes nothing.
	for _, c := range []struct{ body, field string }{
		{`{"skills":[{"id":"rome:900124","level":3},{"id":"nope","level":2}]}`, "skills[1].id"},
		{`{"skills":[{"id":"rome:900124","level":9}]}`, "skills[0].level"},
		{`{"skills":[{"id":"rome:900124","level":3,"x":1}]}`, "skills[0].x"},
		{`{}`, "skills"},
	} {
		problem(t, e.do(req{method: "PUT", path: "/api/v1/me/skills", token: tok, body: c.body}), http.StatusBadRequest, c.field)
	}
	rec = e.do(req{method: "GET", path: "/api/v1/me/skills", token: tok})
	if got := decodeAs[api.MySkillsOutput](t, rec); len(got.Skills) != 2 {
		t.Errorf("skills after rejected updates = %+v", got)
	}
	rec = e.do(req{method: "GET", path: "/api/v1/me/passerelles?limit=3", token: tok})
	ps := decodeAs[api.PasserelleList](t, rec)
	if len(ps.Results) == 0 || ps.Results[0].Covered == 0 {
		t.Errorf("passerelles = %+v", ps)
	}
	problem(t, e.do(req{method: "GET", path: "/api/v1/me/gap", token: tok}), http.StatusBadRequest, "occupation")
	problem(t, e.do(req{method: "GET", path: "/api/v1/me/gap?occupation=M1805&job_offer=j", token: tok}), http.StatusBadRequest, "occupation")
	problem(t, e.do(req{method: "GET", path: "/api/v1/me/gap?occupation=Z9999", token: tok}), http.StatusNotFound, "")
	// Another learner sees only their own skills.
	other := e.token(t, auth.Learner, "learner-2")
	rec = e.do(req{method: "GET", path: "/api/v1/me/skills", token: other})
	if got := decodeAs[api.MySkillsOutput](t, rec); len(got.Skills) != 0 {
		t.Errorf("another learner sees %+v", got)
	}
}
