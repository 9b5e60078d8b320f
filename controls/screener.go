package controls

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/parcours/parcours/fold"
)

// Detector names (Finding.Detector, Alert.Detector).
const (
	DetectSect    = "sectarian_drift"
	DetectDiscrim = "discrimination"
)

// Kinds of screened texts (Text.Kind).
const (
	KindOffer   = "training_offer"
	KindJobPost = "job_post"
)

// Registry tells whether a certification is registered (RNCP or RS) and
// its title; the skills graph's referential provides it. ok is false for
// an unknown or inactive certification.
type Registry interface {
	Certification(ctx context.Context, code string) (title string, ok bool, err error)
}

// RegistryFunc adapts a function to Registry.
type RegistryFunc func(ctx context.Context, code string) (string, bool, error)

// Certification implements Registry.
func (f RegistryFunc) Certification(ctx context.Context, code string) (string, bool, error) {
	return f(ctx, code)
}

// Thresholds are the scores from which a text waits for review. They were
// chosen on the labelled sets of testdata (docs/controls.md).
type Thresholds struct {
	Sect    float64
	Discrim float64
}

// DefaultThresholds are the thresholds documented in docs/controls.md.
var DefaultThresholds = Thresholds{Sect: 0.6, Discrim: 0.5}

// TextScreener implements Screener with the sectarian-drift and the
// discrimination detectors. It is safe for concurrent use.
type TextScreener struct {
	sect, discrim *matcher
	registry      Registry
	th            Thresholds
}

var _ Screener = (*TextScreener)(nil)

// NewTextScreener returns a screener; registry may be nil (no
// certification is then known as registered), and zero thresholds take
// DefaultThresholds.
func NewTextScreener(registry Registry, th Thresholds) *TextScreener {
	if th.Sect <= 0 {
		th.Sect = DefaultThresholds.Sect
	}
	if th.Discrim <= 0 {
		th.Discrim = DefaultThresholds.Discrim
	}
	dp := discrimPatterns()
	for i := range dp {
		if u, ok := discrimUnless[dp[i].raw]; ok {
			dp[i].unless = append(dp[i].unless, u...)
		}
	}
	return &TextScreener{sect: newMatcher(sectPatterns()), discrim: newMatcher(dp), registry: registry, th: th}
}

// Thresholds returns the screener's thresholds.
func (s *TextScreener) Thresholds() Thresholds { return s.th }

// Screen implements Screener: Score is the larger of the two detectors'
// scores, each divided by its threshold, so that 1 is where a text waits
// for review (Hold).
func (s *TextScreener) Screen(ctx context.Context, t Text) (Screening, error) {
	a, err := s.Assess(ctx, t)
	if err != nil {
		return Screening{}, err
	}
	score := max(a.Sect/s.th.Sect, a.Discrim/s.th.Discrim)
	return Screening{Findings: a.Findings, Score: round2(score), Hold: a.Sect >= s.th.Sect || a.Discrim >= s.th.Discrim}, nil
}

// Assessment is a text's raw scores per detector with their findings.
type Assessment struct {
	Sect, Discrim float64
	Findings      []Finding
}

// fieldOrder makes findings come in a stable order.
var fieldOrder = []string{"title", "description", "objectives", "prerequisites", "skills"}

// Assess scores a text with both detectors, without thresholds.
func (s *TextScreener) Assess(ctx context.Context, t Text) (Assessment, error) {
	names := make([]string, 0, len(t.Fields))
	for k := range t.Fields {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := slices.Index(fieldOrder, names[i]), slices.Index(fieldOrder, names[j])
		if a < 0 {
			a = len(fieldOrder)
		}
		if b < 0 {
			b = len(fieldOrder)
		}
		return a < b || a == b && names[i] < names[j]
	})
	toks := make(map[string][]token, len(names))
	var all []token
	for _, n := range names {
		toks[n] = tokenize(t.Fields[n])
		all = append(all, toks[n]...)
	}
	var sectF, discF []Finding
	for _, n := range names {
		sectF = append(sectF, s.findings(s.sect, DetectSect, t, n, toks[n], all)...)
		discF = append(discF, s.findings(s.discrim, DetectDiscrim, t, n, toks[n], all)...)
	}
	if t.Kind == KindJobPost {
		discF = append(discF, genderedTitle(t, toks)...)
	}
	var a Assessment
	// Sectarian drift: signals add up across criteria; within one, the
	// strongest counts fully and repetitions a quarter.
	if len(sectF) > 0 {
		registered, related := false, false
		if t.Certification != "" && s.registry != nil {
			title, ok, err := s.registry.Certification(ctx, t.Certification)
			if err != nil {
				return Assessment{}, err
			}
			registered = ok
			related = ok && sharesWord(title, t.Fields["title"])
		}
		if related {
			// A registered certification in the offer's own field vouches
			// for its titles (a registered yoga-teacher certification).
			sectF = slices.DeleteFunc(sectF, func(f Finding) bool { return f.Criterion == SectTitle })
		}
		a.Sect = criterionSum(sectF)
		switch {
		case related:
			a.Sect *= 0.4
		case registered:
			a.Sect *= 0.75
		case t.Kind == KindOffer && a.Sect > 0:
			sectF = append(sectF, Finding{Detector: DetectSect, Criterion: "no_registered_certification", Field: "certification",
				Passage: t.Certification, Score: 0.2,
				Explanation: "La formation ne prépare à aucune certification enregistrée au RNCP ou au répertoire spécifique (signal de la Miviludes)."})
			a.Sect += 0.2
		}
	}
	if len(discF) > 0 {
		best := 0.0
		for _, f := range discF {
			best = max(best, f.Score)
		}
		a.Discrim = min(1, best+0.1*float64(len(discF)-1))
	}
	a.Sect, a.Discrim = round2(a.Sect), round2(a.Discrim)
	a.Findings = append(sectF, discF...)
	return a, nil
}

// findings runs one matcher over one field, drops hits a longer or
// heavier hit covers and hits lifted by their context.
func (s *TextScreener) findings(m *matcher, detector string, t Text, field string, toks, all []token) []Finding {
	hits := m.find(toks)
	hits = slices.DeleteFunc(hits, func(h hit) bool {
		return h.p.only != "" && h.p.only != t.Kind || len(h.p.unless) > 0 && hasStem(all, h.p.unless)
	})
	var kept []hit
	for i, h := range hits {
		covered := false
		for j, o := range hits {
			if i == j || o.p.criterion != h.p.criterion {
				continue
			}
			if o.from <= h.from && o.to >= h.to && (o.to-o.from > h.to-h.from || o.p.weight > h.p.weight || (o.to-o.from == h.to-h.from && j < i)) {
				covered = true
				break
			}
		}
		if !covered {
			kept = append(kept, h)
		}
	}
	out := make([]Finding, 0, len(kept))
	text := t.Fields[field]
	for _, h := range kept {
		out = append(out, Finding{Detector: detector, Criterion: h.p.criterion, Field: field,
			Passage: passage(text, toks, h.from, h.to), Explanation: h.p.explanation, Score: h.p.weight})
	}
	return out
}

// criterionSum adds the criteria's scores: each criterion's strongest
// finding, plus a quarter of its others.
func criterionSum(fs []Finding) float64 {
	best := map[string]float64{}
	rest := map[string]float64{}
	for _, f := range fs {
		if f.Score > best[f.Criterion] {
			rest[f.Criterion] += best[f.Criterion]
			best[f.Criterion] = f.Score
		} else {
			rest[f.Criterion] += f.Score
		}
	}
	var sum float64
	for c, b := range best {
		sum += b + min(b, 0.25*rest[c])
	}
	return sum
}

// sharesWord reports whether two titles share a word of five letters or
// more (by stem): "Professeur de yoga" and "Devenir professeur de yoga".
func sharesWord(a, b string) bool {
	seen := map[string]bool{}
	for _, t := range tokenize(a) {
		if len(t.folded) >= 4 {
			seen[t.stem] = true
		}
	}
	for _, t := range tokenize(b) {
		if len(t.folded) >= 4 && seen[t.stem] {
			return true
		}
	}
	return false
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// Gendered job titles: a title naming the job in one gender only, with
// no "H/F" (or "F/H", "homme ou femme"...) anywhere in the post and no
// inclusive form, reads as reserving the job to one sex (article L1142-1
// of the labour code forbids mentioning the sex in a job post; article
// 225-1 of the penal code lists the sex as a criterion).
var (
	feminineTitles = words("serveuse vendeuse hotesse caissiere coiffeuse infirmiere assistante soignante estheticienne " +
		"nourrice gouvernante employee directrice commerciale cuisiniere boulangere ouvriere technicienne conductrice agente " +
		"couturiere vendeuses serveuses hotesses caissieres")
	masculineTitles = words("serveur vendeur chauffeur magasinier technicien cuisinier boulanger ouvrier conducteur employe " +
		"directeur commercial electricien plombier mecanicien macon couvreur developpeur manoeuvre " +
		"preparateur cariste livreur menuisier soudeur charpentier serveurs vendeurs chauffeurs techniciens")
	inclusiveEndings = words("e se euse ere ne enne trice rice ice esse ive")
)

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// hasGenderMarker finds "H/F", "F/H", "H/F/X", "M/F", "homme ou femme",
// "hommes et femmes" in tokens.
func hasGenderMarker(toks []token) bool {
	for i := 0; i+1 < len(toks); i++ {
		a, b := toks[i].folded, toks[i+1].folded
		if (a == "h" || a == "m") && b == "f" || a == "f" && (b == "h" || b == "m") {
			return true
		}
		if i+2 < len(toks) && (a == "homme" || a == "hommes" || a == "femme" || a == "femmes") &&
			(b == "ou" || b == "et") && strings.HasPrefix(toks[i+2].folded, "femme") != strings.HasPrefix(a, "femme") {
			return true
		}
		if a == "tous" && (b == "genres" || b == "sexes") {
			return true
		}
	}
	return false
}

func genderedTitle(t Text, toks map[string][]token) []Finding {
	title := toks["title"]
	if len(title) == 0 {
		return nil
	}
	for _, f := range toks {
		if hasGenderMarker(f) {
			return nil
		}
	}
	stems := map[string]int{}
	for _, tk := range title {
		stems[tk.stem]++
	}
	for i, tk := range title {
		fem, masc := feminineTitles[tk.folded], masculineTitles[tk.folded]
		if !fem && !masc {
			continue
		}
		// "serveur·se", "vendeur(euse)", "serveur/serveuse": inclusive.
		if i+1 < len(title) && inclusiveEndings[title[i+1].folded] || stems[tk.stem] > 1 {
			continue
		}
		weight := 0.5
		if fem {
			weight = 0.6
		}
		return []Finding{{Detector: DetectDiscrim, Criterion: CritSex, Field: "title",
			Passage: passage(t.Fields["title"], title, i, i+1), Score: weight,
			Explanation: "Intitulé de poste à un seul genre sans mention « H/F » : l’annonce paraît réservée à un sexe (article L1142-1 du code du travail, article 225-1 du code pénal)."}}
	}
	return nil
}

// foldTitle is the folded form of a title, for grouping offers.
func foldTitle(s string) string { return fold.String(s) }
