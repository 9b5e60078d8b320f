package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The shipped config.yaml must list every setting with its default, and
// differ from Default only by turning demo mode on.
func TestShippedConfigMatchesDefaults(t *testing.T) {
	c, err := Load(filepath.Join("..", "config.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Demo.Enabled = true
	if diff := cmp.Diff(want, c, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("config.yaml differs from the defaults (-default +file):\n%s", diff)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("shipped config does not validate: %v", err)
	}
	data, err := os.ReadFile(filepath.Join("..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range Settings() {
		leaf := path[strings.LastIndex(path, ".")+1:]
		if !strings.Contains(string(data), leaf+":") {
			t.Errorf("config.yaml does not document %s", path)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	env := []string{
		"PARCOURS_SERVER_ADDR=0.0.0.0:9090",
		"PARCOURS_DEMO_ENABLED=false",
		"PARCOURS_DEMO_OFFERS=500",
		"PARCOURS_SERVER_READ_TIMEOUT=3s",
		"PARCOURS_SERVER_TRUSTED_PROXIES=10.0.0.0/8, 192.168.1.1",
		"PARCOURS_RATE_LIMIT_PER_SECOND=2.5",
		"UNRELATED=1",
	}
	c, err := Load(filepath.Join("..", "config.yaml"), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != "0.0.0.0:9090" || c.Demo.Enabled || c.Demo.Offers != 500 || c.Server.ReadTimeout != 3*time.Second || c.RateLimit.PerSecond != 2.5 {
		t.Errorf("env not applied: %+v", c)
	}
	if diff := cmp.Diff([]string{"10.0.0.0/8", "192.168.1.1"}, c.Server.TrustedProxies); diff != "" {
		t.Error(diff)
	}
}

func TestBadInputIsReported(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     []string
		wantErr string
	}{
		{"unknown key", "server:\n  adress: x\n", nil, "adress"},
		{"bad env duration", "", []string{"PARCOURS_SERVER_READ_TIMEOUT=soon"}, "PARCOURS_SERVER_READ_TIMEOUT"},
		{"bad env bool", "", []string{"PARCOURS_DEMO_ENABLED=perhaps"}, "PARCOURS_DEMO_ENABLED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(path, []byte(tt.yaml), 0o600)
			_, err := Load(path, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want mention of %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"bad addr", func(c *Config) { c.Server.Addr = "8080" }, "server.addr"},
		{"bad port", func(c *Config) { c.Server.Addr = "127.0.0.1:99999" }, "server.addr"},
		{"zero timeout", func(c *Config) { c.Server.ReadTimeout = 0 }, "server.read_timeout"},
		{"driver", func(c *Config) { c.Store.Driver = "oracle" }, "store.driver"},
		{"file with slash", func(c *Config) { c.Store.Bolt.File = "../x.db" }, "store.bolt.file"},
		{"ttl over max", func(c *Config) { c.Auth.TokenTTL = 1000 * time.Hour }, "auth.token_ttl"},
		{"proxy", func(c *Config) { c.Server.TrustedProxies = []string{"not-an-ip"} }, "server.trusted_proxies"},
		{"log level", func(c *Config) { c.Log.Level = "loud" }, "log.level"},
		{"rate", func(c *Config) { c.RateLimit.PerSecond = 0 }, "rate_limit.per_second"},
		{"offers", func(c *Config) { c.Demo.Offers = 1 }, "demo.offers"},
		{"empty data dir", func(c *Config) { c.DataDir = " " }, "data_dir"},
		{"graph backend", func(c *Config) { c.Graph.Backend = "dgraph" }, "graph.backend"},
		{"neo4j uri", func(c *Config) { c.Graph.Neo4j.URI = "http://localhost:7474" }, "graph.neo4j.uri"},
		{"neo4j user", func(c *Config) { c.Graph.Backend = "neo4j"; c.Graph.Neo4j.User = "" }, "graph.neo4j.user"},
		{"neo4j timeout", func(c *Config) { c.Graph.Neo4j.QueryTimeout = 0 }, "graph.neo4j.query_timeout"},
		{"co-payment", func(c *Config) { c.Money.CoPayments = []string{"2025-13-01=10223"} }, "money.copayments"},
		{"release days", func(c *Config) { c.Money.EvaluationReleaseDays = 0 }, "money.evaluation_release_days"},
		{"payment provider", func(c *Config) { c.Money.Payments.Provider = "cash" }, "money.payments.provider"},
		{"deadline schedule", func(c *Config) { c.Money.DeadlineSchedule = "often" }, "money.deadline_schedule"},
		{"key rotation", func(c *Config) { c.Search.KeyRotation = time.Second }, "search.key_rotation"},
		{"provider cap", func(c *Config) { c.Search.ProviderCap = -1 }, "search.provider_cap"},
		{"per page", func(c *Config) { c.Search.DefaultPerPage = 200 }, "search.default_per_page"},
		{"neutrality clients", func(c *Config) { c.Search.Neutrality.Clients = 1 }, "search.neutrality.clients"},
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), EnvName(tt.want)) {
				t.Errorf("Validate() = %v, want an error naming %s and its variable", err, tt.want)
			}
		})
	}
}

func TestEmptyFileMeansDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(path, nil, 0o600)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Default(), c); diff != "" {
		t.Error(diff)
	}
}
