package matching_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parcours/parcours/matching"
	"github.com/parcours/parcours/matching/skillmodel"
	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/starter"
)

// starterGraph is an in-memory skills graph with the starter referential.
func starterGraph(t testing.TB) skills.Graph {
	t.Helper()
	g, err := skills.NewEmbedded(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := starter.Load(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return g
}

const cookText = "Notre restaurant cherche un commis de cuisine. Vous préparerez les légumes, les viandes et les poissons, " +
	"réaliserez les cuissons de base et dresserez les assiettes dans le respect de la chaîne du froid."

func ids(ss []matching.OfferSkill) map[string]string {
	m := map[string]string{}
	for _, s := range ss {
		m[s.SkillID] = s.Source
	}
	return m
}

func TestLexiconExtraction(t *testing.T) {
	e := matching.NewExtractor(starterGraph(t), matching.ExtractorOptions{})
	got, method, err := e.Extract(context.Background(), "G1602", "Commis de cuisine", cookText)
	if err != nil {
		t.Fatal(err)
	}
	if method != "lexicon" {
		t.Errorf("method %q", method)
	}
	m := ids(got)
	for _, id := range []string{"rome:900198", "rome:900199", "rome:900200", "rome:900195"} {
		if m[id] != "lexicon" {
			t.Errorf("skill %s not found by the lexicon: %v", id, got)
		}
	}
	if _, ok := m["rome:900203"]; ok {
		t.Errorf("desserts found in a text that does not name them: %v", got)
	}
}

// chatServer speaks the chat-completions API: it answers content, after
// delay, and counts the calls.
func chatServer(t *testing.T, content string, delay time.Duration, calls *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Model          string `json:"model"`
			ResponseFormat struct {
				Type string `json:"type"`
			} `json:"response_format"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.ResponseFormat.Type != "json_schema" || req.Model != "test-model" {
			t.Errorf("request %s", body)
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "x", "object": "chat.completion", "model": "test-model",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestModelExtractionMergedAndCached(t *testing.T) {
	var calls atomic.Int32
	answer := `{"skills":[{"id":"rome:900203","label":"","essential":false},{"id":"rome:900198","label":"","essential":true},` +
		`{"id":"","label":"Appliquer les bonnes pratiques d'hygiène","essential":true},{"id":"","label":"Piloter un avion","essential":true}]}`
	srv := chatServer(t, answer, 0, &calls)
	reg := prometheus.NewRegistry()
	e := matching.NewExtractor(starterGraph(t), matching.ExtractorOptions{
		Model: skillmodel.New(srv.URL+"/v1", "test-model", "", nil), Timeout: 2 * time.Second, Registry: reg})
	for range 2 {
		got, method, err := e.Extract(context.Background(), "G1602", "Commis de cuisine", cookText)
		if err != nil {
			t.Fatal(err)
		}
		if method != "lexicon+model" {
			t.Errorf("method %q", method)
		}
		m := ids(got)
		want := map[string]string{"rome:900203": "model", "rome:900198": "lexicon+model", "rome:900193": "model", "rome:900199": "lexicon"}
		for id, src := range want {
			if m[id] != src {
				t.Errorf("skill %s: source %q, want %q (%v)", id, m[id], src, got)
			}
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the server was called %d times; the second extraction should come from the cache", n)
	}
	if e.ModelCalls("ok") != 1 || e.ModelCalls("cached") != 1 {
		t.Errorf("metrics ok=%v cached=%v", e.ModelCalls("ok"), e.ModelCalls("cached"))
	}
}

func TestModelFallbacks(t *testing.T) {
	g := starterGraph(t)
	lexicon, _, _ := matching.NewExtractor(g, matching.ExtractorOptions{}).Extract(context.Background(), "G1602", "Commis", cookText)
	var calls atomic.Int32
	cases := []struct {
		name    string
		url     string
		outcome string
	}{
		{"timeout", chatServer(t, `{"skills":[]}`, 5*time.Second, &calls).URL + "/v1", "timeout"},
		{"not the schema", chatServer(t, `du texte libre`, 0, &calls).URL + "/v1", "error"},
		{"unreachable", "http://127.0.0.1:1/v1", "error"},
		{"wrong path", chatServer(t, `{}`, 0, &calls).URL + "/nope", "error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := matching.NewExtractor(g, matching.ExtractorOptions{Model: skillmodel.New(c.url, "test-model", "", nil), Timeout: 200 * time.Millisecond})
			got, method, err := e.Extract(context.Background(), "G1602", "Commis", cookText)
			if err != nil {
				t.Fatal(err)
			}
			if method != "lexicon" || len(got) != len(lexicon) {
				t.Errorf("method %q, %d skills; want the lexicon's %d", method, len(got), len(lexicon))
			}
			if e.ModelCalls(c.outcome) != 1 {
				t.Errorf("outcome %s not counted", c.outcome)
			}
		})
	}
}
