package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/auth"
)

// Without a recent sign-in at the step-up level, a learner moves no money
// through any path: acceptance, cancellation, evaluation, and the change
// of contact or bank details (where refunds go). Each refusal is
// a 401 with an RFC 9470 challenge and changes nothing.
func TestStepUpRequiredToMoveMoney(t *testing.T) {
	e := newEnv(t)
	f := e.money(t, 10000_00, false)
	id := e.requestAndPropose(t, f)
	path := "/api/v1/dossiers/" + id
	weak := map[string]string{
		"no level":      mustMint(t, e.tokens, f.learner, "", time.Time{}),
		"eidas1":        mustMint(t, e.tokens, f.learner, "eidas1", time.Now()),
		"too old":       mustMint(t, e.tokens, f.learner, "eidas2", time.Now().Add(-11*time.Minute)),
		"unknown acr":   mustMint(t, e.tokens, f.learner, "strong", time.Now()),
		"in the future": mustMint(t, e.tokens, f.learner, "eidas2", time.Now().Add(5*time.Minute)),
	}
	actions := map[string]string{
		"/acceptance":   `{"accept_remainder":true}`,
		"/cancellation": `{"reason":"x"}`,
		"/evaluation":   `{"reception":5,"content":4,"trainers":5,"resources":4,"support":5,"overall":5}`,
		"/contact":      "", // PUT /accounts/{id}/contact
	}
	before := e.snapshot(t)
	contact := req{method: "PUT", path: "/api/v1/accounts/" + f.learner + "/contact", body: `{"email":"a@b.fr","phone":"","iban":"FR7630006000011234567890189"}`}
	for name, tok := range weak {
		for action, body := range actions {
			r := req{method: "POST", path: path + action, token: tok, body: body, header: newKey()}
			if action == "/contact" {
				r = contact
				r.token = tok
			}
			rec := e.do(r)
			p := problem(t, rec, 401, "")
			if p.Type != api.ProblemTypeBase+"step-up-required" {
				t.Errorf("%s %s: problem type %q", name, action, p.Type)
			}
			h := rec.Header().Get("WWW-Authenticate")
			if !strings.Contains(h, `error="insufficient_user_authentication"`) || !strings.Contains(h, `acr_values="eidas2"`) || !strings.Contains(h, "max_age=600") {
				t.Errorf("%s %s: WWW-Authenticate %q", name, action, h)
			}
		}
	}
	e.unchanged(t, before)
	// Reading stays open to a weak sign-in; a stepped-up one may accept.
	if rec := e.do(req{method: "GET", path: path, token: weak["no level"]}); rec.Code != 200 {
		t.Errorf("reading the dossier: %d", rec.Code)
	}
	e.post(t, path+"/acceptance", mustMint(t, e.tokens, f.learner, "eidas3", time.Now()), `{"accept_remainder":true}`, 200)
}

func mustMint(tb testing.TB, tokens *auth.Tokens, subject, acr string, at time.Time) string {
	tb.Helper()
	tok, err := tokens.MintAt(auth.Learner, subject, time.Hour, acr, at)
	if err != nil {
		tb.Fatal(fmt.Errorf("minting: %w", err))
	}
	return tok
}
