package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestEvalMatching(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"eval", "matching", "-candidates", "400", "-offers", "80", "-occupations", "8"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, want := range []string{"reciprocal", "one-sided baseline", "mutual-match rate: reciprocal / baseline"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
	if err := run(context.Background(), []string{"eval", "matching", "-offers", "0"}, &out, &errb); err == nil {
		t.Error("zero offers accepted")
	}
}
