package starter_test

import (
	"context"
	"testing"

	"github.com/parcours/parcours/demo"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/starter"
)

func load(t *testing.T) *skills.Embedded {
	t.Helper()
	g, err := skills.NewEmbedded(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := starter.Load(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestStarterSize holds the referential to what the issue promises.
func TestStarterSize(t *testing.T) {
	g := load(t)
	c, _ := g.Counts(context.Background())
	if c.Occupations < 60 || c.Skills < 400 || c.Certifications < 30 || c.Edges < 900 {
		t.Errorf("starter referential too small: %+v", c)
	}
}

// TestStarterIdempotent loads it twice: the second load writes nothing.
func TestStarterIdempotent(t *testing.T) {
	g := load(t)
	rome, rncp, err := starter.Load(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []interface{ Totals() (int, int, int, int) }{rome, rncp} {
		if _, imported, unchanged, _ := r.Totals(); imported != 0 || unchanged == 0 {
			t.Errorf("second load imported %d records (%d unchanged), want 0", imported, unchanged)
		}
	}
}

// TestStarterCoversDemo checks that every certification of the demo
// catalogue is in the referential, teaches skills, and that the demo's
// trainings are found for an occupation's gap.
func TestStarterCoversDemo(t *testing.T) {
	ctx := context.Background()
	g := load(t)
	cat := demo.Catalogue(demo.Options{Seed: 1, Providers: 40, Offers: 2000}, geo.Default())
	codes := map[string]bool{}
	for _, o := range cat.Offers {
		if o.Status == marketplace.Published {
			codes[o.Certification.Code] = true
		}
		g.OfferSaved(o, nil)
	}
	if len(codes) < 25 {
		t.Fatalf("only %d certifications with published demo offers", len(codes))
	}
	for code := range codes {
		tr, err := g.Trainings(ctx, teachesOf(t, g, code), skills.TrainingQuery{Limit: 1})
		if err != nil || len(tr) == 0 {
			t.Errorf("certification %s of the demo catalogue: no training found for its own skills (%v)", code, err)
		}
	}
	gap, err := g.Gap(ctx, "nobody", skills.Target{Occupation: "M1805"})
	if err != nil || len(gap.Missing) < 5 {
		t.Fatalf("gap to M1805 = %+v, %v", gap, err)
	}
	tr, err := g.Trainings(ctx, gap.Missing, skills.TrainingQuery{Limit: 3})
	if err != nil || len(tr) == 0 || tr[0].Offer.Certification != "RNCP37674" {
		t.Errorf("trainings for M1805 = %+v, %v; want DWWM first", tr, err)
	}
}

// teachesOf returns the requirements made of a certification's blocks.
func teachesOf(t *testing.T, g *skills.Embedded, code string) []skills.Requirement {
	t.Helper()
	var out []skills.Requirement
	ss, err := g.TaughtBy(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		out = append(out, skills.Requirement{Skill: s, Essential: true})
	}
	if len(out) == 0 {
		t.Errorf("certification %s teaches nothing", code)
	}
	return out
}
