package matching

import (
	"os"
	"testing"
)

func TestEvaluateReciprocalBeatsBaseline(t *testing.T) {
	ev := Evaluate(DefaultMarket, DefaultCaps)
	if testing.Verbose() {
		ev.Write(os.Stdout)
	}
	r, b := ev.Reciprocal, ev.Baseline
	if b.MutualRate == 0 || r.MutualRate < 2*b.MutualRate {
		t.Errorf("mutual-match rate: reciprocal %.3f, baseline %.3f: want at least double", r.MutualRate, b.MutualRate)
	}
	if r.FittingOffersUnreached != 0 {
		t.Errorf("%d offers fit a candidate yet got no proposal", r.FittingOffersUnreached)
	}
	if r.MaxPerOffer > DefaultCaps.PerOffer {
		t.Errorf("an offer got %d proposals, cap %d", r.MaxPerOffer, DefaultCaps.PerOffer)
	}
	if r.MaxPerCandidate > DefaultCaps.PerCandidate+DefaultCaps.Floor {
		t.Errorf("a candidate got %d proposals, cap %d + floor %d", r.MaxPerCandidate, DefaultCaps.PerCandidate, DefaultCaps.Floor)
	}
	if r.CandidateSuccess10 <= b.CandidateSuccess10 {
		t.Errorf("candidate success@10: reciprocal %.3f not above baseline %.3f", r.CandidateSuccess10, b.CandidateSuccess10)
	}
}
