package matching

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parcours/parcours/fold"
	"github.com/parcours/parcours/skills"
)

// SkillGraph is what job matching reads from the skills graph;
// skills.Graph is one.
type SkillGraph interface {
	Skill(ctx context.Context, id string) (skills.Skill, error)
	SkillsByLabel(ctx context.Context, label string) ([]skills.Skill, error)
	Occupation(ctx context.Context, id string) (skills.OccupationView, error)
	Neighbours(ctx context.Context, skillID string) ([]skills.Neighbour, error)
	PersonSkills(ctx context.Context, personID string) ([]skills.Held, error)
}

// SkillModel suggests the skills a job text asks for, among candidates
// (the occupation's skills) or by label. The OpenAI-compatible client in
// package matching/skillmodel is one; it is only built when configured.
type SkillModel interface {
	SuggestSkills(ctx context.Context, title, text string, candidates []skills.Requirement) ([]ModelSkill, error)
}

// ModelSkill is one skill a model read in a text: an ID among the
// candidates it was given, or a label to look up in the graph.
type ModelSkill struct {
	ID        string `json:"id"`
	Label     string `json:"label"`
	Essential bool   `json:"essential"`
}

// Extractor finds the skills a job offer's text asks for: by the taxonomy
// lexicon always (the skills of the offer's occupation whose significant
// words the text contains), and by a model when one is configured, the two
// merged. Model answers are cached by text; a model that fails or takes
// longer than Timeout leaves the lexicon's answer, and the failure is
// counted. It is safe for concurrent use.
type Extractor struct {
	graph   SkillGraph
	model   SkillModel
	timeout time.Duration
	log     *slog.Logger

	mu    sync.Mutex
	cache map[[32]byte][]ModelSkill

	calls *prometheus.CounterVec
}

// ExtractorOptions configure an Extractor. Model nil means the lexicon
// alone; Timeout defaults to 5s; Registry, when set, receives the
// parcours_matching_skill_model_calls_total counter.
type ExtractorOptions struct {
	Model    SkillModel
	Timeout  time.Duration
	Log      *slog.Logger
	Registry prometheus.Registerer
}

// cacheSize bounds the model answers kept; past it the cache starts over.
const cacheSize = 4096

// NewExtractor returns an extractor reading the skills graph.
func NewExtractor(g SkillGraph, o ExtractorOptions) *Extractor {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	e := &Extractor{graph: g, model: o.Model, timeout: o.Timeout, log: o.Log, cache: map[[32]byte][]ModelSkill{},
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parcours_matching_skill_model_calls_total",
			Help: "Skill extractions asked of the model, by outcome: ok, cached, timeout, error (the last two fall back to the lexicon).",
		}, []string{"outcome"})}
	if o.Registry != nil {
		if err := o.Registry.Register(e.calls); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				e.calls = are.ExistingCollector.(*prometheus.CounterVec)
			}
		}
	}
	return e
}

// ModelCalls returns how many model calls ended with outcome (for tests
// and the evaluation).
func (e *Extractor) ModelCalls(outcome string) float64 {
	c, err := e.calls.GetMetricWithLabelValues(outcome)
	if err != nil {
		return 0
	}
	return counterValue(c)
}

// Extract returns the suggested skills of an offer text and the method
// that found them ("lexicon" or "lexicon+model").
func (e *Extractor) Extract(ctx context.Context, rome, title, text string) ([]OfferSkill, string, error) {
	view, err := e.graph.Occupation(ctx, rome)
	if err != nil && !errors.Is(err, skills.ErrNotFound) {
		return nil, "", err
	}
	found := map[string]*OfferSkill{}
	var order []string
	add := func(s skills.Skill, essential bool, source string) {
		if f, ok := found[s.ID]; ok {
			f.Essential = f.Essential || essential
			if !strings.Contains(f.Source, source) {
				f.Source += "+" + source
			}
			return
		}
		found[s.ID] = &OfferSkill{SkillID: s.ID, Label: s.Label, Essential: essential, Source: source}
		order = append(order, s.ID)
	}
	words := stems(title + " " + text)
	for _, r := range view.Requires {
		if lexiconMatch(r.Skill, words) {
			add(r.Skill, r.Essential, "lexicon")
		}
	}
	method := "lexicon"
	if e.model != nil {
		if ms, ok := e.ask(ctx, title, text, view.Requires); ok {
			method = "lexicon+model"
			byID := map[string]skills.Skill{}
			for _, r := range view.Requires {
				byID[r.Skill.ID] = r.Skill
			}
			for _, m := range ms {
				if s, ok := byID[m.ID]; ok {
					add(s, m.Essential, "model")
					continue
				}
				if m.Label == "" {
					continue
				}
				if ss, err := e.graph.SkillsByLabel(ctx, m.Label); err == nil && len(ss) > 0 {
					add(ss[0], m.Essential, "model")
				}
			}
		}
	}
	out := make([]OfferSkill, 0, len(order))
	for _, id := range order {
		out = append(out, *found[id])
	}
	slices.SortStableFunc(out, func(a, b OfferSkill) int {
		if a.Essential != b.Essential {
			if a.Essential {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out, method, nil
}

// ask calls the model under the timeout, through the cache; false means
// fall back to the lexicon.
func (e *Extractor) ask(ctx context.Context, title, text string, cands []skills.Requirement) ([]ModelSkill, bool) {
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = c.Skill.ID
	}
	key := sha256.Sum256([]byte(title + "\x00" + text + "\x00" + strings.Join(ids, ",")))
	e.mu.Lock()
	ms, ok := e.cache[key]
	e.mu.Unlock()
	if ok {
		e.calls.WithLabelValues("cached").Inc()
		return ms, true
	}
	cctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	ms, err := e.model.SuggestSkills(cctx, title, text, cands)
	if err != nil {
		outcome := "error"
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(cctx.Err(), context.DeadlineExceeded) {
			outcome = "timeout"
		}
		e.calls.WithLabelValues(outcome).Inc()
		e.log.WarnContext(ctx, "skill model failed, the lexicon's skills stand", "outcome", outcome, "err", err)
		return nil, false
	}
	e.calls.WithLabelValues("ok").Inc()
	e.mu.Lock()
	if len(e.cache) >= cacheSize {
		clear(e.cache)
	}
	e.cache[key] = ms
	e.mu.Unlock()
	return ms, true
}

// stopWords are the French words too common to tell a skill.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("les des une dans pour avec sur par aux ses son leur leurs selon etre avoir faire cette ces " +
		"tout tous toute toutes ainsi afin entre sous vers plus moins tres bien autre autres elle elles nous vous ils qui que quoi dont") {
		stopWords[w] = true
	}
}

// stem cuts a folded word to its first six letters: a crude but
// predictable French stemmer (accueillir, accueil, accueillant agree).
func stem(w string) string {
	if len(w) > 6 {
		return w[:6]
	}
	return w
}

// significant lists a text's stems that tell something: folded, three
// letters or more, not stop words.
func significant(s string) []string {
	var out []string
	for _, w := range fold.Words(s) {
		if len(w) < 3 || stopWords[w] {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

func stems(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range significant(s) {
		m[w] = true
	}
	return m
}

// lexiconMatch reports whether a text holds a skill: most of the
// significant words of its label or of one of its alternative labels (all
// of them for labels of two words or fewer).
func lexiconMatch(s skills.Skill, text map[string]bool) bool {
	for _, label := range append([]string{s.Label}, s.AltLabels...) {
		ws := significant(label)
		if len(ws) == 0 {
			continue
		}
		hit := 0
		for _, w := range ws {
			if text[w] {
				hit++
			}
		}
		need := len(ws)
		if need > 2 {
			need = (len(ws)*6 + 9) / 10 // 60%, rounded up
		}
		if hit >= need {
			return true
		}
	}
	return false
}

// SkillsFor validates the skills an employer confirms: each must exist in
// the graph; labels are filled from it.
func SkillsFor(ctx context.Context, g SkillGraph, in []OfferSkill) ([]OfferSkill, error) {
	out := make([]OfferSkill, 0, len(in))
	seen := map[string]bool{}
	for i, s := range in {
		if seen[s.SkillID] {
			return nil, fieldError(fmt.Sprintf("skills[%d].skill_id", i), "is listed twice")
		}
		seen[s.SkillID] = true
		k, err := g.Skill(ctx, s.SkillID)
		if errors.Is(err, skills.ErrNotFound) {
			return nil, fieldError(fmt.Sprintf("skills[%d].skill_id", i), "is not a skill of the graph")
		}
		if err != nil {
			return nil, err
		}
		src := s.Source
		if src == "" {
			src = "employer"
		}
		out = append(out, OfferSkill{SkillID: k.ID, Label: k.Label, Essential: s.Essential, Source: src})
	}
	return out, nil
}
