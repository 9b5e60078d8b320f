package neo4j_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parcours/parcours/skills"
	"github.com/parcours/parcours/skills/graphtest"
	"github.com/parcours/parcours/store/neo4j"
)

// required tells whether a missing tool must fail the test rather than
// skip it: in CI and wherever the test script installed the tools.
func required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("PARCOURS_REQUIRE_BROWSER") == "1"
}

// banner logs loudly why a test does not run.
func banner(t *testing.T, msg string) {
	t.Helper()
	line := strings.Repeat("*", 72)
	t.Logf("\n%s\n*** SKIPPED: %s\n%s", line, msg, line)
}

// TestGraphSuite runs the shared graph suite on a live Neo4j 5 server
// when PARCOURS_TEST_NEO4J_URI names one (with PARCOURS_TEST_NEO4J_USER,
// default neo4j, PARCOURS_TEST_NEO4J_PASSWORD and
// PARCOURS_TEST_NEO4J_DATABASE, default neo4j). It empties that database.
// No server can be installed where CI runs, so there it skips, loudly.
func TestGraphSuite(t *testing.T) {
	uri := os.Getenv("PARCOURS_TEST_NEO4J_URI")
	if uri == "" {
		banner(t, "Neo4j integration tests need PARCOURS_TEST_NEO4J_URI (e.g. neo4j://localhost:7687); the Neo4j backend was NOT tested against a server")
		t.Skip("PARCOURS_TEST_NEO4J_URI is not set")
	}
	ctx := context.Background()
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	g, err := neo4j.Open(ctx, neo4j.Options{URI: uri, User: env("PARCOURS_TEST_NEO4J_USER", "neo4j"),
		Password: os.Getenv("PARCOURS_TEST_NEO4J_PASSWORD"), Database: env("PARCOURS_TEST_NEO4J_DATABASE", "neo4j"),
		ConnectTimeout: 10 * time.Second, QueryTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(ctx)
	graphtest.Run(t, func(t *testing.T) skills.Graph {
		if err := g.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		return g
	})
}

// cypherCheck runs tools/cypher-check.js on statements and returns its
// verdict per statement.
func cypherCheck(t *testing.T, stmts []neo4j.Statement) map[string][]string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	modules := filepath.Join(root, "build", "npm", "node_modules")
	node, err := exec.LookPath("node")
	_, perr := os.Stat(filepath.Join(modules, "@neo4j-cypher", "language-support", "package.json"))
	if err != nil || perr != nil {
		msg := "node or @neo4j-cypher/language-support is missing (run scripts/install-test-deps); the Cypher statements were NOT checked"
		if required() {
			t.Fatal(msg)
		}
		banner(t, msg)
		t.Skip(msg)
	}
	type in struct {
		Name   string `json:"name"`
		Cypher string `json:"cypher"`
	}
	var input []in
	for _, s := range stmts {
		input = append(input, in{s.Name, s.Cypher})
	}
	data, _ := json.Marshal(input)
	cmd := exec.Command(node, filepath.Join(root, "tools", "cypher-check.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cypher-check: %v\n%s", err, stderr.String())
	}
	var res []struct {
		Name     string   `json:"name"`
		Errors   []string `json:"errors"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("cypher-check output %q: %v", out, err)
	}
	got := map[string][]string{}
	for _, r := range res {
		got[r.Name] = append(r.Errors, r.Warnings...)
	}
	if len(got) != len(stmts) {
		t.Fatalf("cypher-check answered for %d statements of %d", len(got), len(stmts))
	}
	return got
}

// TestCypherParses hands every statement of the backend to Neo4j's own
// Cypher parser: no syntax or semantic error, and no deprecation warning.
func TestCypherParses(t *testing.T) {
	stmts := neo4j.Statements()
	if len(stmts) < 40 {
		t.Fatalf("only %d statements listed: is the table complete?", len(stmts))
	}
	for name, problems := range cypherCheck(t, stmts) {
		for _, p := range problems {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// TestCypherCheckCatchesErrors proves the check can fail: a statement with
// a missing parenthesis and one with an undefined variable are reported.
func TestCypherCheckCatchesErrors(t *testing.T) {
	got := cypherCheck(t, []neo4j.Statement{
		{Name: "unclosed", Cypher: "MATCH (s:Skill {id: $id} RETURN s"},
		{Name: "undefined", Cypher: "MATCH (s:Skill) RETURN t"},
		{Name: "fine", Cypher: neo4j.QuerySkill},
	})
	if len(got["unclosed"]) == 0 || len(got["undefined"]) == 0 {
		t.Errorf("broken statements not reported: %v", got)
	}
	if len(got["fine"]) != 0 {
		t.Errorf("a good statement was reported: %v", got["fine"])
	}
}
