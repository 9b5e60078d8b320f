package controls

import (
	"context"
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/parcours/parcours/marketplace"
)

// The labelled sets of testdata are embedded, so that `parcours eval
// controls` measures the detectors of the binary that runs.
//
//go:embed testdata/texts.json testdata/texts_heldout.json testdata/histories.json
var evalData embed.FS

// textCase is one labelled offer or job post.
type textCase struct {
	ID            string            `json:"id"`
	Kind          string            `json:"kind"`
	Certification string            `json:"certification"`
	Fields        map[string]string `json:"fields"`
	Labels        map[string]bool   `json:"labels"`
}

// history is one labelled case of a fraud detector: a story and its facts.
type history struct {
	Detector string `json:"detector"`
	ID       string `json:"id"`
	Label    bool   `json:"label"`
	Story    string `json:"story"`
	// price_outlier
	Certification string `json:"certification"`
	Peers         []struct {
		PriceCents int64 `json:"price_cents"`
		Hours      int   `json:"hours"`
	} `json:"peers"`
	PriceCents int64 `json:"price_cents"`
	Hours      int   `json:"hours"`
	// fast_completion
	Entered, Exited string
	Rate            int `json:"rate"`
	// provider_volume
	History []int `json:"history"`
	Current int   `json:"current"`
	// shared_origin
	DeviceAccounts int `json:"device_accounts"`
	IPAccounts     int `json:"ip_accounts"`
	// contact_change
	Changed, What, Purchase string
	// no_search
	Signals []struct {
		Kind string    `json:"kind"`
		At   time.Time `json:"at"`
	} `json:"signals"`
	Requested time.Time `json:"requested"`
	// identical_evaluations
	Evaluations []struct {
		Scores  [6]int `json:"scores"`
		Comment string `json:"comment"`
	} `json:"evaluations"`
	// offer_flooding
	Towns int    `json:"towns"`
	Title string `json:"title"`
	// qualiopi_lapsed
	ValidUntil   string `json:"valid_until"`
	At           string `json:"at"`
	OpenDossiers int    `json:"open_dossiers"`
	Published    int    `json:"published"`
}

// HeldOut suffixes the detectors' names in the results of the held-out
// texts.
const HeldOut = " (held out)"

// Confusion counts a detector's verdicts against the labels.
type Confusion struct {
	TP, FP, FN, TN int
	Wrong          []string // the IDs it got wrong
}

func (c *Confusion) add(id string, predicted, label bool) {
	switch {
	case predicted && label:
		c.TP++
	case predicted:
		c.FP++
		c.Wrong = append(c.Wrong, id+" (false positive)")
	case label:
		c.FN++
		c.Wrong = append(c.Wrong, id+" (missed)")
	default:
		c.TN++
	}
}

// Precision is TP / (TP + FP); 1 when nothing was flagged.
func (c Confusion) Precision() float64 {
	if c.TP+c.FP == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FP)
}

// Recall is TP / (TP + FN); 1 when nothing was to find.
func (c Confusion) Recall() float64 {
	if c.TP+c.FN == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FN)
}

// Evaluation is the result of the labelled sets, per detector.
type Evaluation struct {
	Detectors map[string]*Confusion
	// Sweeps are the text detectors' precision and recall by threshold.
	Sweeps map[string][]SweepPoint
}

// SweepPoint is a text detector's result at one threshold.
type SweepPoint struct {
	Threshold float64
	Confusion
}

// Evaluate runs every detector on the embedded labelled sets with the
// thresholds th (zero: DefaultThresholds).
func Evaluate(ctx context.Context, th Thresholds) (Evaluation, error) {
	var texts, heldOut struct {
		Registry map[string]string `json:"registry"`
		Texts    []textCase        `json:"texts"`
	}
	var hist struct {
		Histories []history `json:"histories"`
	}
	for name, v := range map[string]any{"testdata/texts.json": &texts, "testdata/texts_heldout.json": &heldOut, "testdata/histories.json": &hist} {
		data, err := evalData.ReadFile(name)
		if err != nil {
			return Evaluation{}, err
		}
		if err := json.Unmarshal(data, v); err != nil {
			return Evaluation{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	reg := RegistryFunc(func(_ context.Context, code string) (string, bool, error) {
		if t, ok := texts.Registry[code]; ok {
			return t, true, nil
		}
		t, ok := heldOut.Registry[code]
		return t, ok, nil
	})
	sc := NewTextScreener(reg, th)
	th = sc.Thresholds()
	ev := Evaluation{Detectors: map[string]*Confusion{}, Sweeps: map[string][]SweepPoint{}}
	conf := func(d string) *Confusion {
		if ev.Detectors[d] == nil {
			ev.Detectors[d] = &Confusion{}
		}
		return ev.Detectors[d]
	}
	type scored struct {
		id           string
		sect, disc   float64
		lsect, ldisc bool
	}
	var all []scored
	for _, c := range texts.Texts {
		a, err := sc.Assess(ctx, Text{Kind: c.Kind, Fields: c.Fields, Certification: c.Certification})
		if err != nil {
			return Evaluation{}, err
		}
		all = append(all, scored{c.ID, a.Sect, a.Discrim, c.Labels[DetectSect], c.Labels[DetectDiscrim]})
		conf(DetectSect).add(c.ID, a.Sect >= th.Sect, c.Labels[DetectSect])
		conf(DetectDiscrim).add(c.ID, a.Discrim >= th.Discrim, c.Labels[DetectDiscrim])
	}
	// The held-out texts were written after the patterns and thresholds
	// were fixed, and never used to tune them.
	for _, c := range heldOut.Texts {
		a, err := sc.Assess(ctx, Text{Kind: c.Kind, Fields: c.Fields, Certification: c.Certification})
		if err != nil {
			return Evaluation{}, err
		}
		conf(DetectSect+HeldOut).add(c.ID, a.Sect >= th.Sect, c.Labels[DetectSect])
		conf(DetectDiscrim+HeldOut).add(c.ID, a.Discrim >= th.Discrim, c.Labels[DetectDiscrim])
	}
	for i := 2; i <= 16; i++ {
		t := float64(i) / 10
		var s, d SweepPoint
		s.Threshold, d.Threshold = t, t
		for _, x := range all {
			s.add(x.id, x.sect >= t, x.lsect)
			d.add(x.id, x.disc >= t, x.ldisc)
		}
		s.Wrong, d.Wrong = nil, nil
		ev.Sweeps[DetectSect] = append(ev.Sweeps[DetectSect], s)
		if t <= 1 {
			ev.Sweeps[DetectDiscrim] = append(ev.Sweeps[DetectDiscrim], d)
		}
	}
	for _, h := range hist.Histories {
		got, err := h.flagged()
		if err != nil {
			return Evaluation{}, fmt.Errorf("history %s: %w", h.ID, err)
		}
		conf(h.Detector).add(h.ID, got, h.Label)
	}
	return ev, nil
}

func day(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}

// flagged runs the history's detector on its facts.
func (h history) flagged() (bool, error) {
	switch h.Detector {
	case DetectPrice:
		var prices, perHour []float64
		for _, p := range h.Peers {
			prices, perHour = append(prices, float64(p.PriceCents)), append(perHour, float64(p.PriceCents)/float64(p.Hours))
		}
		_, ok := PriceOutlier(h.PriceCents, h.Hours, h.Certification, NewBaseline(prices, perHour))
		return ok, nil
	case DetectFastExit:
		in, err := day(h.Entered)
		if err != nil {
			return false, err
		}
		out, err := day(h.Exited)
		if err != nil {
			return false, err
		}
		_, ok := FastCompletion(marketplace.Dossier{EnteredAt: in, ExitedAt: out, CompletionRate: h.Rate}, h.Hours)
		return ok, nil
	case DetectVolume:
		_, ok := RequestVolume("p", h.Current, h.History)
		return ok, nil
	case DetectSharedOrig:
		_, ok := SharedOrigin(make([]string, h.DeviceAccounts), make([]string, h.IPAccounts))
		return ok, nil
	case DetectTakeover:
		changed, err := time.Parse(time.RFC3339, h.Changed)
		if err != nil {
			return false, err
		}
		purchase, err := time.Parse(time.RFC3339, h.Purchase)
		if err != nil {
			return false, err
		}
		_, ok := ContactChanged(changed, h.What, purchase)
		return ok, nil
	case DetectCanvassing:
		var sig []Signal
		for _, s := range h.Signals {
			sig = append(sig, Signal{Kind: SignalKind(s.Kind), At: s.At})
		}
		_, ok := NoSearch(sig, h.Requested)
		return ok, nil
	case DetectEvaluations:
		sc := newScanner(time.Now(), PaymentHoldScore)
		for i, e := range h.Evaluations {
			sc.addEvaluation(marketplace.Evaluation{DossierID: fmt.Sprint(i), ProviderID: "p", Scores: e.Scores, Comment: e.Comment})
		}
		sc.evaluationsDone()
		return len(sc.alerts) > 0, nil
	case DetectFlooding:
		towns := make([]string, h.Towns)
		for i := range towns {
			towns[i] = fmt.Sprintf("%05d", 10000+i)
		}
		_, ok := Flooding(h.Title, "RS1", towns)
		return ok, nil
	case DetectQualiopi:
		until, err := day(h.ValidUntil)
		if err != nil {
			return false, err
		}
		at, err := day(h.At)
		if err != nil {
			return false, err
		}
		q := marketplace.Qualiopi{ValidUntil: until}
		if !until.IsZero() {
			q.Certificate = "Q"
		}
		_, ok := QualiopiLapsed(marketplace.Provider{Qualiopi: q}, at.Add(12*time.Hour), h.OpenDossiers, h.Published)
		return ok, nil
	}
	return false, fmt.Errorf("unknown detector %q", h.Detector)
}

// RunEvaluation is `parcours eval controls [-v] [-sweep]`: precision and
// recall of each detector on the labelled sets, at the default thresholds.
func RunEvaluation(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("eval controls", flag.ContinueOnError)
	fs.SetOutput(stdout)
	verbose := fs.Bool("v", false, "list the cases each detector gets wrong")
	sweep := fs.Bool("sweep", false, "show the text detectors' precision and recall by threshold")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ev, err := Evaluate(ctx, Thresholds{})
	if err != nil {
		return err
	}
	WriteEvaluation(stdout, ev, *verbose, *sweep)
	return nil
}

// WriteEvaluation prints an evaluation as a Markdown table.
func WriteEvaluation(w io.Writer, ev Evaluation, verbose, sweep bool) {
	names := make([]string, 0, len(ev.Detectors))
	for n := range ev.Detectors {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return indexOf(Detectors, names[i]) < indexOf(Detectors, names[j]) })
	fmt.Fprintf(w, "| detector | cases | TP | FP | FN | TN | precision | recall |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range names {
		c := ev.Detectors[n]
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %.2f | %.2f |\n", n, c.TP+c.FP+c.FN+c.TN, c.TP, c.FP, c.FN, c.TN, c.Precision(), c.Recall())
	}
	if verbose {
		for _, n := range names {
			if w2 := ev.Detectors[n].Wrong; len(w2) > 0 {
				fmt.Fprintf(w, "\n%s: %s\n", n, strings.Join(w2, ", "))
			}
		}
	}
	if sweep {
		for _, n := range []string{DetectSect, DetectDiscrim} {
			fmt.Fprintf(w, "\n%s by threshold:\n\n| threshold | TP | FP | FN | precision | recall |\n|---:|---:|---:|---:|---:|---:|\n", n)
			for _, p := range ev.Sweeps[n] {
				fmt.Fprintf(w, "| %.1f | %d | %d | %d | %.2f | %.2f |\n", p.Threshold, p.TP, p.FP, p.FN, p.Precision(), p.Recall())
			}
		}
	}
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return 2 * i
		}
		if y+HeldOut == x {
			return 2*i + 1
		}
	}
	return 2 * len(xs)
}
