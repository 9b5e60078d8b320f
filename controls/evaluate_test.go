package controls

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestEvaluationFloor keeps the labelled sets' results at or above what
// docs/controls.md reports, so that a change of pattern or threshold that
// loses precision or recall fails here.
func TestEvaluationFloor(t *testing.T) {
	ev, err := Evaluate(context.Background(), Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	floor := map[string][2]float64{ // precision, recall
		DetectSect: {1, 1}, DetectDiscrim: {1, 1}, DetectFastExit: {1, 1}, DetectQualiopi: {1, 1},
		DetectPrice: {1, 0.8}, DetectVolume: {0.8, 1}, DetectSharedOrig: {0.6, 1}, DetectTakeover: {0.75, 0.75},
		DetectCanvassing: {1, 0.75}, DetectEvaluations: {1, 0.75}, DetectFlooding: {0.75, 1},
		DetectSect + HeldOut: {1, 0.66}, DetectDiscrim + HeldOut: {1, 1},
	}
	for d, f := range floor {
		c := ev.Detectors[d]
		if c == nil {
			t.Errorf("%s: no labelled case", d)
			continue
		}
		if c.Precision() < f[0]-1e-9 || c.Recall() < f[1]-1e-9 {
			t.Errorf("%s: precision %.2f recall %.2f, below %.2f / %.2f; wrong: %v", d, c.Precision(), c.Recall(), f[0], f[1], c.Wrong)
		}
	}
	var out bytes.Buffer
	WriteEvaluation(&out, ev, true, true)
	if !strings.Contains(out.String(), "| sectarian_drift | 56 |") {
		t.Errorf("report:\n%s", out.String())
	}
}
