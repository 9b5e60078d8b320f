// Package neo4j is the Neo4j backend of the skills graph, on the official
// driver. It runs the queries of skills.Graph in Cypher (statements.go),
// every value passed as a parameter, and creates its constraints and
// indexes at start. It answers exactly as the embedded graph does, which
// the shared suite skills/graphtest checks against a live server when
// PARCOURS_TEST_NEO4J_URI is set.
package neo4j

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/marketplace"
	"github.com/parcours/parcours/skills"
)

// Options configure the connection.
type Options struct {
	URI, User, Password, Database string
	ConnectTimeout, QueryTimeout  time.Duration
	Log                           *slog.Logger
}

// Graph is skills.Graph on a Neo4j server. It is safe for concurrent use.
type Graph struct {
	d    driver.DriverWithContext
	db   string
	qt   time.Duration
	log  *slog.Logger
	opts Options
}

var _ skills.Graph = (*Graph)(nil)

// ErrUnavailable wraps failures to reach the server.
var ErrUnavailable = errors.New("the Neo4j server is unavailable")

// Open connects, checks the server answers and creates the schema.
func Open(ctx context.Context, o Options) (*Graph, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 5 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	d, err := driver.NewDriverWithContext(o.URI, driver.BasicAuth(o.User, o.Password, ""), func(c *driver.Config) {
		c.SocketConnectTimeout = o.ConnectTimeout
	})
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	if err := d.VerifyConnectivity(cctx); err != nil {
		d.Close(ctx)
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	g := &Graph{d: d, db: o.Database, qt: o.QueryTimeout, log: o.Log, opts: o}
	for _, st := range schema {
		if _, err := g.run(ctx, st, nil); err != nil {
			d.Close(ctx)
			return nil, fmt.Errorf("creating the schema: %w", err)
		}
	}
	return g, nil
}

// Close closes the driver's connections.
func (g *Graph) Close(ctx context.Context) error { return g.d.Close(ctx) }

// run executes one statement with the query timeout.
func (g *Graph) run(ctx context.Context, cypher string, params map[string]any) ([]map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, g.qt)
	defer cancel()
	res, err := driver.ExecuteQuery(ctx, g.d, cypher, params, driver.EagerResultTransformer, driver.ExecuteQueryWithDatabase(g.db))
	if err != nil {
		return nil, fmt.Errorf("neo4j: %w", err)
	}
	out := make([]map[string]any, len(res.Records))
	for i, r := range res.Records {
		out[i] = r.AsMap()
	}
	return out, nil
}

// written runs an upsert that returns a "written" count.
func (g *Graph) written(ctx context.Context, cypher string, rows []map[string]any) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	param := make([]any, len(rows))
	for i, r := range rows {
		param[i] = r
	}
	recs, err := g.run(ctx, cypher, map[string]any{"rows": param})
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return 0, nil
	}
	return int(num(recs[0]["written"])), nil
}

func str(v any) string { s, _ := v.(string); return s }
func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}
func boolean(v any) bool { b, _ := v.(bool); return b }
func strs(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		out = append(out, str(x))
	}
	return out
}
func list(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func skillOf(r map[string]any) skills.Skill {
	return skills.Skill{ID: str(r["id"]), Label: str(r["label"]), Kind: str(r["kind"]), AltLabels: strs(r["altLabels"])}
}

func occupationOf(r map[string]any) skills.Occupation {
	return skills.Occupation{ID: str(r["id"]), Label: str(r["label"]), Domain: str(r["domain"]), AltLabels: strs(r["altLabels"])}
}

// Apply implements skills.Graph. Each kind of record is one statement; a
// failure part-way leaves the earlier statements applied, which a retry
// of the same batch completes, since every write is an upsert.
func (g *Graph) Apply(ctx context.Context, b skills.Batch) (skills.Stats, error) {
	if err := b.Validate(); err != nil {
		return skills.Stats{}, err
	}
	var st skills.Stats
	add := func(total int, cypher string, rows []map[string]any) error {
		n, err := g.written(ctx, cypher, rows)
		st.Written += n
		st.Unchanged += total - n
		return err
	}
	var rows []map[string]any
	for _, s := range b.Skills {
		rows = append(rows, map[string]any{"id": s.ID, "label": s.Label, "labelFolded": fold.String(s.Label), "kind": s.Kind, "altLabels": list(s.AltLabels)})
	}
	if err := add(len(rows), UpsertSkills, rows); err != nil {
		return st, err
	}
	rows = nil
	for _, o := range b.Occupations {
		rows = append(rows, map[string]any{"id": o.ID, "label": o.Label, "domain": o.Domain, "altLabels": list(o.AltLabels)})
	}
	if err := add(len(rows), UpsertOccupations, rows); err != nil {
		return st, err
	}
	rows = nil
	for _, c := range b.Certifications {
		rows = append(rows, map[string]any{"code": c.Code, "title": c.Title, "level": int64(c.Level), "active": c.Active,
			"formacodes": list(c.Formacodes), "certifiers": list(c.Certifiers)})
	}
	if err := add(len(rows), UpsertCertifications, rows); err != nil {
		return st, err
	}
	rows = nil
	for _, j := range b.JobOffers {
		rows = append(rows, map[string]any{"id": j.ID, "title": j.Title, "occupation": j.Occupation})
	}
	if err := add(len(rows), UpsertJobOffers, rows); err != nil {
		return st, err
	}
	rows = nil
	for _, o := range b.Outcomes {
		rows = append(rows, map[string]any{"key": o.Key(), "formacode": o.Formacode, "label": o.Label, "areaKind": string(o.AreaKind),
			"area": o.Area, "year": int64(o.Year), "leavers": int64(o.Leavers), "ratePerMil": int64(o.RatePerMil), "suppressed": o.Suppressed})
	}
	if err := add(len(rows), UpsertOutcomes, rows); err != nil {
		return st, err
	}
	rows = nil
	for _, h := range b.Hiring {
		rows = append(rows, map[string]any{"key": h.Key(), "year": int64(h.Year), "job": h.Job, "jobLabel": h.JobLabel, "area": h.Area,
			"areaLabel": h.AreaLabel, "region": h.Region, "projects": int64(h.Projects), "difficult": int64(h.Difficult), "seasonal": int64(h.Seasonal)})
	}
	if err := add(len(rows), UpsertHiring, rows); err != nil {
		return st, err
	}
	byRel := func(edges []skills.Edge) map[skills.Relation][]map[string]any {
		m := map[skills.Relation][]map[string]any{}
		for _, e := range edges {
			m[e.Rel] = append(m[e.Rel], map[string]any{"from": e.From, "to": e.To, "essential": e.Essential,
				"level": int64(e.Level), "evidence": string(e.Evidence)})
		}
		return m
	}
	for _, rel := range relations {
		if rs := byRel(b.DeleteEdges)[rel]; len(rs) > 0 {
			if err := add(len(rs), deleteEdge[rel], rs); err != nil {
				return st, err
			}
		}
	}
	for _, rel := range relations {
		if rs := byRel(b.Edges)[rel]; len(rs) > 0 {
			if err := add(len(rs), upsertEdge[rel], rs); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

var relations = []skills.Relation{skills.Requires, skills.Teaches, skills.Broader, skills.Related, skills.Prepares, skills.HasSkill}

// Skill implements skills.Graph.
func (g *Graph) Skill(ctx context.Context, id string) (skills.Skill, error) {
	recs, err := g.run(ctx, QuerySkill, map[string]any{"id": id})
	if err != nil {
		return skills.Skill{}, err
	}
	if len(recs) == 0 {
		return skills.Skill{}, fmt.Errorf("skill %s: %w", id, skills.ErrNotFound)
	}
	return skillOf(recs[0]), nil
}

// SkillsByLabel implements skills.Graph.
func (g *Graph) SkillsByLabel(ctx context.Context, label string) ([]skills.Skill, error) {
	recs, err := g.run(ctx, QuerySkillsByLabel, map[string]any{"folded": fold.String(label)})
	if err != nil {
		return nil, err
	}
	var out []skills.Skill
	for _, r := range recs {
		out = append(out, skillOf(r))
	}
	return out, nil
}

func (g *Graph) requirements(ctx context.Context, id string) ([]skills.Requirement, error) {
	recs, err := g.run(ctx, QueryRequirements, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	var out []skills.Requirement
	for _, r := range recs {
		out = append(out, skills.Requirement{Skill: skillOf(r), Essential: boolean(r["essential"])})
	}
	skills.SortRequirements(out)
	return out, nil
}

// Occupations implements skills.Graph.
func (g *Graph) Occupations(ctx context.Context) ([]skills.Occupation, error) {
	recs, err := g.run(ctx, QueryOccupations, nil)
	if err != nil {
		return nil, err
	}
	out := make([]skills.Occupation, 0, len(recs))
	for _, r := range recs {
		out = append(out, occupationOf(r))
	}
	skills.SortOccupations(out)
	return out, nil
}

// Occupation implements skills.Graph.
func (g *Graph) Occupation(ctx context.Context, id string) (skills.OccupationView, error) {
	recs, err := g.run(ctx, QueryOccupation, map[string]any{"id": id})
	if err != nil {
		return skills.OccupationView{}, err
	}
	if len(recs) == 0 {
		return skills.OccupationView{}, fmt.Errorf("occupation %s: %w", id, skills.ErrNotFound)
	}
	v := skills.OccupationView{Occupation: occupationOf(recs[0])}
	if v.Requires, err = g.requirements(ctx, id); err != nil {
		return v, err
	}
	recs, err = g.run(ctx, QueryPreparing, map[string]any{"id": id})
	if err != nil {
		return v, err
	}
	for _, r := range recs {
		v.Certifications = append(v.Certifications, skills.Certification{Code: str(r["code"]), Title: str(r["title"]), Level: int(num(r["level"])),
			Active: boolean(r["active"]), Formacodes: strs(r["formacodes"]), Certifiers: strs(r["certifiers"])})
	}
	return v, nil
}

// Neighbours implements skills.Graph.
func (g *Graph) Neighbours(ctx context.Context, id string) ([]skills.Neighbour, error) {
	if _, err := g.Skill(ctx, id); err != nil {
		return nil, err
	}
	recs, err := g.run(ctx, QueryNeighbours, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	var out []skills.Neighbour
	for _, r := range recs {
		out = append(out, skills.Neighbour{Skill: skillOf(r), Relation: str(r["relation"])})
	}
	skills.SortNeighbours(out)
	return out, nil
}

// NearOccupations implements skills.Graph.
func (g *Graph) NearOccupations(ctx context.Context, id string, limit int) ([]skills.Near, error) {
	recs, err := g.run(ctx, QueryOccupation, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("occupation %s: %w", id, skills.ErrNotFound)
	}
	recs, err = g.run(ctx, QueryNear, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	var out []skills.Near
	for _, r := range recs {
		sim, _ := r["similarity"].(float64)
		out = append(out, skills.Near{Occupation: occupationOf(r), Shared: int(num(r["shared"])), Similarity: math.Round(sim*1000) / 1000})
	}
	skills.SortNear(out)
	return out[:min(len(out), skills.Limit(limit))], nil
}

// PersonSkills implements skills.Graph.
func (g *Graph) PersonSkills(ctx context.Context, person string) ([]skills.Held, error) {
	recs, err := g.run(ctx, QueryHeld, map[string]any{"person": person})
	if err != nil {
		return nil, err
	}
	var out []skills.Held
	for _, r := range recs {
		out = append(out, skills.Held{Skill: skillOf(r), Level: int(num(r["level"])), Evidence: skills.Evidence(str(r["evidence"]))})
	}
	skills.SortHeld(out)
	return out, nil
}

// SetDeclaredSkills implements skills.Graph.
func (g *Graph) SetDeclaredSkills(ctx context.Context, person string, held []skills.Held) error {
	if person == "" {
		return fmt.Errorf("person: %w", skills.ErrInvalid)
	}
	ids := make([]any, len(held))
	for i, h := range held {
		ids[i] = h.Skill.ID
	}
	known := map[string]bool{}
	if len(ids) > 0 {
		recs, err := g.run(ctx, QueryKnownSkills, map[string]any{"ids": ids})
		if err != nil {
			return err
		}
		for _, r := range recs {
			known[str(r["id"])] = boolean(r["known"])
		}
	}
	current, err := g.PersonSkills(ctx, person)
	if err != nil {
		return err
	}
	b, verr := skills.DeclaredChanges(person, held, current, func(id string) bool { return known[id] })
	if verr != nil {
		return verr
	}
	_, err = g.Apply(ctx, b)
	return err
}

// Gap implements skills.Graph.
func (g *Graph) Gap(ctx context.Context, person string, t skills.Target) (skills.Gap, error) {
	id, kind, err := skills.TargetNode(t)
	if err != nil {
		return skills.Gap{}, err
	}
	recs, err := g.run(ctx, QueryTarget, map[string]any{"id": id, "kind": kind})
	if err != nil {
		return skills.Gap{}, err
	}
	if len(recs) == 0 {
		return skills.Gap{}, fmt.Errorf("%s %s: %w", kind, id, skills.ErrNotFound)
	}
	gap := skills.Gap{Target: t, Label: str(recs[0]["label"])}
	reqs, err := g.requirements(ctx, id)
	if err != nil {
		return gap, err
	}
	recs, err = g.run(ctx, QueryCoverage, map[string]any{"person": person})
	if err != nil {
		return gap, err
	}
	cover := skills.Cover{}
	for _, r := range recs {
		cover.Add(str(r["covered"]), str(r["held"]), skills.Evidence(str(r["evidence"])))
	}
	return cover.Gap(gap, reqs), nil
}

// Trainings implements skills.Graph.
func (g *Graph) Trainings(ctx context.Context, need []skills.Requirement, q skills.TrainingQuery) ([]skills.Training, error) {
	weights := skills.Weights(need)
	if len(weights) == 0 {
		return nil, nil
	}
	var ns []any
	for id, w := range weights {
		ns = append(ns, map[string]any{"id": id, "weight": int64(w)})
	}
	recs, err := g.run(ctx, QueryTrainings, map[string]any{"need": ns, "region": q.Region, "limit": int64(skills.Limit(q.Limit)),
		"perProvider": int64(skills.MaxPerProvider)})
	if err != nil {
		return nil, err
	}
	var out []skills.Training
	for _, r := range recs {
		teaches := strs(r["teaches"])
		slices.Sort(teaches)
		out = append(out, skills.Training{
			Offer: skills.Offer{ID: str(r["id"]), ProviderID: str(r["providerId"]), Title: str(r["title"]), Certification: str(r["certification"]),
				PriceCents: num(r["priceCents"]), Hours: int(num(r["hours"])), Region: str(r["region"])},
			Teaches: slices.Compact(teaches), Coverage: int(num(r["coverage"])),
		})
	}
	return out, nil
}

// Passerelles implements skills.Graph.
func (g *Graph) Passerelles(ctx context.Context, person string, limit int) ([]skills.Passerelle, error) {
	recs, err := g.run(ctx, QueryPasserelles, map[string]any{"person": person})
	if err != nil {
		return nil, err
	}
	var out []skills.Passerelle
	for _, r := range recs {
		req, cov := int(num(r["required"])), int(num(r["nCovered"]))
		out = append(out, skills.Passerelle{Occupation: occupationOf(r), Required: req, Covered: cov, Missing: req - cov,
			MissingEssential: int(num(r["missingEssential"]))})
	}
	skills.SortPasserelles(out)
	return out[:min(len(out), skills.Limit(limit))], nil
}

// Counts implements skills.Graph.
func (g *Graph) Counts(ctx context.Context) (skills.Counts, error) {
	recs, err := g.run(ctx, QueryCounts, nil)
	if err != nil || len(recs) == 0 {
		return skills.Counts{}, err
	}
	r := recs[0]
	return skills.Counts{Skills: int(num(r["skills"])), Occupations: int(num(r["occupations"])), Certifications: int(num(r["certifications"])),
		JobOffers: int(num(r["jobOffers"])), Offers: int(num(r["offers"])), Edges: int(num(r["edges"])),
		Outcomes: int(num(r["outcomes"])), Hiring: int(num(r["hiring"]))}, nil
}

func offerRow(o marketplace.Offer) map[string]any {
	return map[string]any{"id": o.ID, "providerId": o.ProviderID, "title": o.Title, "certification": o.Certification.Code,
		"priceCents": o.PriceCents, "hours": int64(o.Hours), "region": o.Region}
}

// OfferSaved implements marketplace.Observer. The observer cannot fail the
// write that is already durable: a failure is logged, and the next start
// (Build) brings the offers back in line.
func (g *Graph) OfferSaved(o marketplace.Offer, _ []marketplace.Session) {
	var err error
	if o.Status == marketplace.Published {
		_, err = g.run(context.Background(), UpsertOffers, map[string]any{"rows": []any{offerRow(o)}})
	} else {
		_, err = g.run(context.Background(), DeleteOffer, map[string]any{"id": o.ID})
	}
	if err != nil {
		g.log.Error("neo4j: mirroring an offer", "offer", o.ID, "err", err)
	}
}

// OfferDeleted implements marketplace.Observer.
func (g *Graph) OfferDeleted(id string) {
	if _, err := g.run(context.Background(), DeleteOffer, map[string]any{"id": id}); err != nil {
		g.log.Error("neo4j: removing an offer", "offer", id, "err", err)
	}
}

// Build replaces the mirrored offers with the store's published offers.
func (g *Graph) Build(ctx context.Context, store marketplace.OfferStore) error {
	if _, err := g.run(ctx, DeleteAllOffers, nil); err != nil {
		return err
	}
	page := marketplace.Page{Limit: marketplace.MaxPageSize}
	for {
		offers, next, err := store.Offers(ctx, marketplace.OfferFilter{Status: marketplace.Published}, page)
		if err != nil {
			return err
		}
		rows := make([]any, len(offers))
		for i, o := range offers {
			rows[i] = offerRow(o)
		}
		if len(rows) > 0 {
			if _, err := g.run(ctx, UpsertOffers, map[string]any{"rows": rows}); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		page.After = next
	}
}

// Reset empties the whole database. Only tests call it, on a database of
// their own.
func (g *Graph) Reset(ctx context.Context) error {
	_, err := g.run(ctx, DeleteEverything, nil)
	return err
}
