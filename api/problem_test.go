package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parcours/parcours/marketplace"
)

// TestProblemTypesAreDocumented checks that the OpenAPI description lists
// every problem type the error table can produce, with its status, since
// clients branch on those URIs.
func TestProblemTypesAreDocumented(t *testing.T) {
	var doc struct {
		Info struct {
			Description string `json:"description"`
		} `json:"info"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{"internal": http.StatusInternalServerError}
	for _, row := range errorTable {
		if st, ok := rows[row.slug]; ok && st != row.status {
			t.Errorf("problem type %s has statuses %d and %d", row.slug, st, row.status)
		}
		rows[row.slug] = row.status
	}
	for slug, status := range rows {
		if want := fmt.Sprintf("| `%s` | %d |", slug, status); !strings.Contains(doc.Info.Description, want) {
			t.Errorf("the description lacks the row %q", want)
		}
	}
	if !strings.Contains(doc.Info.Description, ProblemTypeBase) {
		t.Errorf("the description does not give the base URI %s", ProblemTypeBase)
	}
}

func TestProblemFor(t *testing.T) {
	var v marketplace.ValidationError
	v.Add("siret", "must be 14 digits")
	for _, c := range []struct {
		err    error
		status int
		slug   string
		fields int
	}{
		{fmt.Errorf("creating: %w", &v), 400, "invalid-input", 1},
		{fmt.Errorf("offer x: %w", marketplace.ErrNotFound), 404, "not-found", 0},
		{fmt.Errorf("x: %w", marketplace.ErrNotPublishable), 422, "not-publishable", 0},
		{errors.New("disk on fire"), 500, "internal", 0},
	} {
		p := problemFor(c.err)
		if p.Status != c.status || p.Type != ProblemTypeBase+c.slug || len(p.Errors) != c.fields {
			t.Errorf("problemFor(%v) = %+v", c.err, p)
		}
		if c.status == 500 && strings.Contains(p.Detail, "disk") {
			t.Errorf("a 500 leaks its cause: %q", p.Detail)
		}
	}
}
