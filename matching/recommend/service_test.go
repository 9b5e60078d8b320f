package recommend_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/matching/recommend"
	"github.com/parcours/parcours/search"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/graphtest"
	"github.com/parcours/parcours/store/bolt"
)

type flags map[string]bool

func (f flags) FlaggedOffer(_ context.Context, id string) (bool, error) { return f[id], nil }

// world is a small marketplace with a skills graph, dossiers and
// employment figures.
type world struct {
	store *bolt.Store
	graph *skills.Embedded
	svc   *recommend.Service
	keys  *search.Keys
	now   time.Time
}

var epoch = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "p.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	g, err := skills.NewEmbedded(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := graphtest.Batch()
	for i, c := range b.Certifications {
		switch c.Code {
		case "RNCP37674":
			b.Certifications[i].Formacodes = []string{"31054"}
		case "RNCP37873":
			b.Certifications[i].Formacodes = []string{"31088"}
		case "RNCP38042":
			b.Certifications[i].Formacodes = []string{"32663"}
		}
	}
	b.Outcomes = []skills.Outcome{
		{Formacode: "31054", AreaKind: skills.AreaDepartment, Area: "69", Year: 2025, Leavers: 300, RatePerMil: 723},
		{Formacode: "31054", AreaKind: skills.AreaDepartment, Area: "69", Year: 2024, Leavers: 300, RatePerMil: 500},
		{Formacode: "32663", AreaKind: skills.AreaRegion, Area: "84", Year: 2025, Leavers: 900, RatePerMil: 651},
		{Formacode: "31088", AreaKind: skills.AreaNational, Area: "FR", Year: 2025, Leavers: 9000, RatePerMil: 580},
		{Formacode: "31088", AreaKind: skills.AreaDepartment, Area: "69", Year: 2025, Suppressed: true},
	}
	b.Hiring = []skills.Hiring{
		{Year: 2025, Job: "P2Z90", JobLabel: "Comptabilité", Area: "8401", Region: "84", Projects: 1200},
		{Year: 2025, Job: "P2Z90", JobLabel: "Comptabilité", Area: "1101", Region: "11", Projects: 5000},
		{Year: 2024, Job: "P2Z90", JobLabel: "Comptabilité", Area: "8401", Region: "84", Projects: 99999},
	}
	if _, err := g.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	p := marketplace.Provider{ID: "prov", SIRET: "40000000000001", Name: "Organisme", Commune: "69123", CreatedAt: epoch, UpdatedAt: epoch}
	for d := 0; d < 10 && !marketplace.ValidSIRET(p.SIRET); d++ {
		p.SIRET = p.SIRET[:13] + fmt.Sprint(d)
	}
	if err := s.CreateProvider(ctx, p); err != nil {
		t.Fatal(err)
	}
	type off struct {
		id, cert, provider string
		status             marketplace.Status
		start              time.Time
		seats              int
		modality           marketplace.Modality
	}
	ahead, past := epoch.AddDate(0, 2, 0), epoch.AddDate(0, -2, 0)
	for _, o := range []off{
		{"A", "RNCP37674", "p1", marketplace.Published, ahead, 100, marketplace.InPerson},
		{"B", "RNCP37873", "p2", marketplace.Published, ahead, 100, marketplace.InPerson},
		{"C", "RNCP38042", "p3", marketplace.Published, ahead, 100, marketplace.InPerson},
		{"D", "RS5252", "p4", marketplace.Published, past, 10, marketplace.InPerson},
		{"E", "RNCP37674", "p5", marketplace.Published, ahead, 1, marketplace.InPerson},
		{"F", "RNCP37674", "p6", marketplace.Draft, ahead, 100, marketplace.InPerson},
		{"G", "RNCP37873", "p7", marketplace.Published, ahead, 100, marketplace.InPerson},
		{"H", "RNCP38042", "p8", marketplace.Published, ahead, 100, marketplace.Distance},
		{"I", "RNCP37873", "p9", marketplace.Published, ahead, 100, marketplace.InPerson},
		{"J", "RNCP37873", "p10", marketplace.Published, ahead, 100, marketplace.InPerson},
	} {
		mo := marketplace.Offer{ID: o.id, ProviderID: o.provider, Title: "Formation " + o.id, Certification: marketplace.Certification{Kind: marketplace.RNCP, Code: o.cert},
			PriceCents: 100000, Hours: 100, Modality: o.modality, Commune: "69123", Department: "69", Region: "84", Status: o.status, CreatedAt: epoch, UpdatedAt: epoch}
		if o.id == "H" {
			mo.Commune, mo.Department, mo.Region = "75056", "75", "11"
		}
		if err := s.CreateOffer(ctx, mo); err != nil {
			t.Fatal(err)
		}
		se := marketplace.Session{ID: "s" + o.id, OfferID: o.id, Start: o.start, End: o.start.AddDate(0, 1, 0), Seats: o.seats, CreatedAt: epoch}
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatal(err)
		}
		g.OfferSaved(mo, []marketplace.Session{se})
	}
	n := 0
	dossier := func(account, offer string, st marketplace.DossierState) {
		n++
		d := marketplace.Dossier{ID: fmt.Sprintf("d%03d", n), AccountID: account, OfferID: offer, SessionID: "s" + offer, ProviderID: "prov",
			State: st, RequestedAt: epoch.Add(time.Duration(n) * time.Hour), Version: 1}
		if _, err := s.Apply(ctx, marketplace.Op{Key: d.ID, Dossier: &d}); err != nil {
			t.Fatal(err)
		}
	}
	// Developers follow A then B, I or J; accountants C and H.
	for i := 0; i < 12; i++ {
		dossier(fmt.Sprint("dev", i), "A", marketplace.ServiceDoneValidated)
		dossier(fmt.Sprint("dev", i), []string{"B", "I", "J"}[i%3], marketplace.Accepted)
		dossier(fmt.Sprint("cpt", i), "C", marketplace.ServiceDoneValidated)
		dossier(fmt.Sprint("cpt", i), "H", marketplace.InTraining)
	}
	dossier("other", "E", marketplace.Accepted) // E's only seat
	dossier("learner", "A", marketplace.ServiceDoneValidated)
	for _, p := range []recommend.Preferences{
		{Account: "learner", Commune: "69123", Targets: []string{"M1805"}},
		{Account: "new", Commune: "69123", Targets: []string{"M1203"}},
	} {
		if err := s.PutPreferences(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	places := geo.Default()
	market, err := recommend.NewGraphMarket(ctx, g, places)
	if err != nil {
		t.Fatal(err)
	}
	keys := search.NewKeys([]byte("secret"), time.Hour, func() time.Time { return epoch })
	svc := recommend.NewService(recommend.Sources{Store: s, Dossiers: s, Enrolment: s, Offers: s, Graph: g, Market: market,
		Flags: flags{"G": true}, Places: places}, recommend.Config{Model: recommend.ModelConfig{ALS: recommend.ALSConfig{Seed: 1}, Groups: 2}},
		keys, func() time.Time { return epoch })
	return &world{store: s, graph: g, svc: svc, keys: keys, now: epoch}
}

func TestRulesAndTrueExplanations(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	st, err := w.svc.Refresh(ctx, 0, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Recomputed != st.Accounts || st.Accounts != 27 {
		t.Fatalf("first refresh: %+v", st)
	}
	for _, account := range []string{"learner", "dev0", "cpt0", "new"} {
		r, err := w.svc.ForAccount(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Items) == 0 {
			t.Errorf("%s: no recommendation", account)
		}
		ds, _, _ := w.store.Dossiers(ctx, marketplace.DossierFilter{AccountID: account}, marketplace.Page{Limit: 100})
		for _, it := range r.Items {
			switch it.Offer {
			case "D":
				t.Errorf("%s: D's only session is past", account)
			case "E":
				t.Errorf("%s: E's only session is full", account)
			case "F":
				t.Errorf("%s: F is a draft", account)
			case "G":
				t.Errorf("%s: G is flagged by a control", account)
			}
			for _, d := range ds {
				if d.OfferID == it.Offer {
					t.Errorf("%s: %s already followed", account, it.Offer)
				}
			}
			if len(it.Reasons) == 0 {
				t.Errorf("%s: %s has no reason", account, it.Offer)
			}
			for _, reason := range it.Reasons {
				checkReason(t, w, account, it.Offer, reason)
			}
		}
	}
	// The accountant is offered nothing... but what their peers followed
	// and what pays off; the developer with a target sees B, I or J.
	r, _ := w.svc.ForAccount(ctx, "learner")
	var sources []recommend.Source
	for _, it := range r.Items {
		for _, reason := range it.Reasons {
			if !slices.Contains(sources, reason.Source) {
				sources = append(sources, reason.Source)
			}
		}
	}
	for _, want := range []recommend.Source{recommend.Similar, recommend.Skills, recommend.Local} {
		if !slices.Contains(sources, want) {
			t.Errorf("learner: no %s reason in %+v", want, r.Items)
		}
	}
	// Cold start: no history, but skills and local reasons at once.
	r, _ = w.svc.ForAccount(ctx, "new")
	for _, it := range r.Items {
		for _, reason := range it.Reasons {
			if reason.Source == recommend.Similar {
				t.Errorf("new account with a similar reason: %+v", reason)
			}
		}
	}
	if len(r.Items) == 0 || r.Items[0].Offer != "C" && r.Items[0].Offer != "H" {
		t.Errorf("cold start for an accountant: %+v", r.Items)
	}
}

// checkReason recomputes a reason from the sources.
func checkReason(t *testing.T, w *world, account, offer string, r recommend.Reason) {
	t.Helper()
	ctx := context.Background()
	o, err := w.store.Offer(ctx, offer)
	if err != nil {
		t.Fatal(err)
	}
	switch r.Source {
	case recommend.Similar:
		group := w.svc.Group(account)
		people := 0
		err := w.store.EachDossier(ctx, func(d marketplace.Dossier) error {
			followed := d.State == marketplace.Accepted || d.State == marketplace.InTraining || d.State == marketplace.ServiceDoneDeclared || d.State == marketplace.ServiceDoneValidated
			if d.OfferID == offer && followed && d.AccountID != account && w.svc.Group(d.AccountID) == group {
				people++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if group < 0 || people != r.People || people == 0 || !strings.Contains(r.Text, fmt.Sprintf("Suivie par %d personne", people)) {
			t.Errorf("%s/%s: similar reason %+v, recomputed %d people in group %d", account, offer, r, people, group)
		}
	case recommend.Skills:
		gap, err := w.graph.Gap(ctx, account, skills.Target{Occupation: r.Occupation})
		if err != nil {
			t.Fatal(err)
		}
		taught, _ := w.graph.TaughtBy(ctx, o.Certification.Code)
		covered := 0
		for _, m := range gap.Missing {
			for _, s := range taught {
				if s.ID == m.Skill.ID {
					covered++
				}
			}
		}
		if account == "" {
			return
		}
		want := fmt.Sprintf("Couvre %d des %d compétences qui vous manquent pour %s", covered, len(gap.Missing), gap.Label)
		if covered != r.Covered || len(gap.Missing) != r.Missing || !strings.HasPrefix(r.Text, want) {
			t.Errorf("%s/%s: skills reason %q, recomputed %q", account, offer, r.Text, want)
		}
	case recommend.Local:
		p, _ := w.store.Preferences(ctx, account)
		dept, region := "", ""
		if p.Commune != "" {
			dept, region, _, _, _ = geo.Default().Place(p.Commune)
		}
		// The figures of the fixture, by certification and place.
		rate, area, hires := 0, "", 0
		switch o.Certification.Code {
		case "RNCP37674":
			if dept == "69" {
				rate, area = 723, "Rhône" // the latest year, not 2024's
			}
		case "RNCP37873":
			rate, area = 580, "France" // the department's cell is suppressed
		case "RNCP38042":
			if region == "84" {
				rate, area, hires = 651, "Auvergne-Rhône-Alpes", 1200
			} else if region == "" {
				hires = 6200 // every region; no national rate is published
			}
		}
		if r.RatePerMil != rate || r.Area != area || r.Hires != hires {
			t.Errorf("%s/%s: local reason %+v, want rate %d in %q, %d hires", account, offer, r, rate, area, hires)
		}
		if rate > 0 && !strings.Contains(r.Text, fmt.Sprintf("%d\u202f%% de retour à l’emploi", (rate+5)/10)) {
			t.Errorf("%s/%s: local text %q", account, offer, r.Text)
		}
		wantHires := "1\u202f200 embauches prévues dans la région Auvergne-Rhône-Alpes"
		if region == "" {
			wantHires = "6\u202f200 embauches prévues en France"
		}
		if hires > 0 && !strings.Contains(r.Text, wantHires) {
			t.Errorf("%s/%s: local text %q", account, offer, r.Text)
		}
	default:
		t.Errorf("unknown source %q", r.Source)
	}
}

func TestIncrementalRefresh(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	if _, err := w.svc.Refresh(ctx, 0, false, nil); err != nil {
		t.Fatal(err)
	}
	st, err := w.svc.Refresh(ctx, 0, false, nil)
	if err != nil || st.Recomputed != 0 {
		t.Fatalf("second refresh with no change: %+v %v", st, err)
	}
	// The learner chooses another target: only their result is recomputed
	// (once the retrain period is over, so that the batch reads again).
	if err := w.store.PutPreferences(ctx, recommend.Preferences{Account: "learner", Commune: "69123", Targets: []string{"M1203"}}); err != nil {
		t.Fatal(err)
	}
	w.svc.ForgetSnapshot()
	st, err = w.svc.Refresh(ctx, 0, false, nil)
	if err != nil || st.Recomputed != 1 {
		t.Fatalf("refresh after one change: %+v %v", st, err)
	}
	if st, _ := w.svc.Refresh(ctx, 0, true, nil); st.Recomputed != st.Accounts {
		t.Errorf("full refresh: %+v", st)
	}
}

func TestTiesFollowTheKeyedHash(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	// B, I and J are alike for a newcomer aiming at development work:
	// same certification, same place; no provider comes first by right.
	items, err := w.svc.ForContext(ctx, "M1805", "69123", "203.0.113.9", 10)
	if err != nil {
		t.Fatal(err)
	}
	tie := w.keys.TieBreak("203.0.113.9\x00M1805\x0069123", "recommendations")
	var equal []recommend.Item
	for _, it := range items {
		if slices.Contains([]string{"B", "I", "J"}, it.Offer) {
			equal = append(equal, it)
		}
	}
	if len(equal) != 3 {
		t.Fatalf("B, I, J not all recommended: %+v", items)
	}
	for i := 1; i < len(equal); i++ {
		if equal[i].Score != equal[0].Score {
			t.Fatalf("B, I, J scored differently: %+v", equal)
		}
		if tie.Of(equal[i-1].Offer) > tie.Of(equal[i].Offer) {
			t.Errorf("equal scores not in tie-break order: %+v", equal)
		}
	}
}

// TestShardsSplitTheAccounts runs the shards of one batch as two
// replicas would, each its own service over the shared store: every
// account is recomputed by exactly one shard.
func TestShardsSplitTheAccounts(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	replica := func() *recommend.Service {
		return recommend.NewService(recommend.Sources{Store: w.store, Dossiers: w.store, Enrolment: w.store, Offers: w.store, Graph: w.graph,
			Flags: flags{}, Places: geo.Default()}, recommend.Config{Shards: 3, Model: recommend.ModelConfig{ALS: recommend.ALSConfig{Seed: 1}, Groups: 2}},
			w.keys, func() time.Time { return epoch })
	}
	a, b := replica(), replica()
	total := 0
	for shard, svc := range []*recommend.Service{a, b, a} {
		st, err := svc.Refresh(ctx, shard, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		total += st.Recomputed
	}
	if total != 27 {
		t.Errorf("the shards recomputed %d accounts, want the 27 once each", total)
	}
	n := 0
	if err := w.store.EachResultStamp(ctx, func(string, string) error { n++; return nil }); err != nil || n != 27 {
		t.Errorf("%d results stored, %v", n, err)
	}
	if _, err := a.Refresh(ctx, 3, false, nil); err == nil {
		t.Error("shard 3 of 3 accepted")
	}
}
