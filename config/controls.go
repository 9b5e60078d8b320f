package config

import "strings"

// Controls configures the automatic controls (fraud, sectarian drift,
// discrimination). The thresholds were chosen on the labelled sets of
// controls/testdata; docs/controls.md gives their precision and recall.
type Controls struct {
	// SectThreshold is the sectarian-drift score from which an offer waits
	// for a controller's review instead of being published.
	SectThreshold float64 `yaml:"sect_threshold"`
	// DiscriminationThreshold is the discrimination score from which an
	// offer or a job post waits for review.
	DiscriminationThreshold float64 `yaml:"discrimination_threshold"`
	// PaymentHoldScore is a dossier's combined fraud score from which its
	// payment is held until a controller releases it.
	PaymentHoldScore float64 `yaml:"payment_hold_score"`
	// ScanSchedule is the cron schedule of the nightly scan.
	ScanSchedule string `yaml:"scan_schedule"`
}

func defaultControls() Controls {
	return Controls{SectThreshold: 0.6, DiscriminationThreshold: 0.5, PaymentHoldScore: 0.7, ScanSchedule: "40 3 * * *"}
}

func (c Controls) validate(bad func(path, format string, args ...any)) {
	for _, t := range []struct {
		path string
		v    float64
	}{{"controls.sect_threshold", c.SectThreshold}, {"controls.discrimination_threshold", c.DiscriminationThreshold}, {"controls.payment_hold_score", c.PaymentHoldScore}} {
		if t.v <= 0 || t.v > 5 {
			bad(t.path, "must be a score above 0 and at most 5")
		}
	}
	if c.PaymentHoldScore > 1 {
		bad("controls.payment_hold_score", "a combined fraud score is at most 1")
	}
	if len(strings.Fields(c.ScanSchedule)) != 5 && !strings.HasPrefix(c.ScanSchedule, "@") {
		bad("controls.scan_schedule", "%q is not a 5-field cron schedule", c.ScanSchedule)
	}
}
