package verify

// Names of the checks of a report, in the order they run. Stable: the
// API, the verification page and scripts read them.
const (
	CheckFormat       = "format"               // the bundle and the credential are well formed
	CheckIssuerKey    = "issuer-key"           // the signing key is the issuer's and was valid when the proof was made
	CheckProof        = "proof"                // the eddsa-jcs-2022 signature matches every byte
	CheckValidity     = "validity-period"      // now is within validFrom / validUntil
	CheckStatusList   = "status-list"          // the status list credential is authentic and the one the credential names
	CheckNotRevoked   = "not-revoked"          // the credential's bit in the status list is clear
	CheckCheckpoint   = "checkpoint-signature" // the checkpoint is signed by the log key
	CheckLogInclusion = "log-inclusion"        // the issuance entry is in the tree the checkpoint commits to
)

// Outcomes of a check.
const (
	Pass    = "pass"
	Fail    = "fail"
	Skipped = "skipped" // a check it depends on failed
)

// Check is one line of a report.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// Code is a stable machine-readable reason, set on failures (e.g.
	// "signature", "key-revoked", "revoked", "not-included").
	Code string `json:"code,omitempty"`
	// Reason says, in English, what was found: why it failed, or what
	// passing established.
	Reason string `json:"reason"`
}

// Report is the outcome of verifying a bundle. OK is true only if every
// check passed.
type Report struct {
	OK           bool    `json:"ok"`
	CredentialID string  `json:"credentialId,omitempty"`
	Issuer       string  `json:"issuer,omitempty"`
	Subject      string  `json:"subject,omitempty"`
	Checks       []Check `json:"checks"`
	// Warnings say what the verdict rests on that the bundle supplied
	// itself (its own DID documents, its own log key) rather than the
	// verifier's independent sources.
	Warnings []string `json:"warnings,omitempty"`
}

// Failed returns the checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}
