package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func TestRecommendationJobsAndEvaluation(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"jobs", "list", "--data", dir}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		if !strings.Contains(out.String(), "recommendations-"+string(rune('0'+i))+"-of-4") {
			t.Errorf("jobs list lacks shard %d:\n%s", i, out.String())
		}
	}
	// `jobs run recommendations` runs the group of shards.
	if err := run(context.Background(), []string{"jobs", "run", "--data", dir, "recommendations"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"eval", "recommendations", "-accounts", "600", "-offers", "300"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"HR@10", "NDCG@10", "popularity", "random", "blended / popularity"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("evaluation output lacks %q:\n%s", want, out.String())
		}
	}
}
