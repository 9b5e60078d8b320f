// Package config loads the service's settings: built-in defaults, then the
// YAML file (config.yaml), then PARCOURS_* environment variables, then
// command-line flags, each overriding the one before. Secrets are not
// settings: package secrets keeps them in the data directory.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is every setting of the service. The zero value is not usable;
// start from Default.
type Config struct {
	Server    Server    `yaml:"server"`
	DataDir   string    `yaml:"data_dir"`
	Store     Store     `yaml:"store"`
	Graph     Graph     `yaml:"graph"`
	Demo      Demo      `yaml:"demo"`
	Auth      Auth      `yaml:"auth"`
	RateLimit RateLimit `yaml:"rate_limit"`
	Search    Search    `yaml:"search"`
	Log       Log       `yaml:"log"`
	Money     Money     `yaml:"money"`
	Matching  Matching  `yaml:"matching"`
	Controls  Controls  `yaml:"controls"`
	Profiles  Profiles  `yaml:"profiles"`
	// Housekeeping purges what the service no longer needs.
	Housekeeping Housekeeping `yaml:"housekeeping"`
	// Recommendations configures the training recommendations and their widget.
	Recommendations Recommendations `yaml:"recommendations"`
}

// Profiles configures career profiles and their transparency log.
type Profiles struct {
	// CheckpointSchedule is the cron schedule of the job publishing a
	// signed checkpoint of the transparency log when it grew.
	CheckpointSchedule string `yaml:"checkpoint_schedule"`
}

// Housekeeping configures the job that purges records kept for a while
// only: client idempotency keys on both backends; on MongoDB, the change
// feed entries the replicas have read, finished job leases and version
// claims. The job runs once per tick across replicas, like every job.
type Housekeeping struct {
	Schedule string `yaml:"schedule"` // cron expression
	// IdempotencyRetention is how long a client's Idempotency-Key is
	// remembered: a retry within it replays the first response, a request
	// with the same key after it is a new request.
	IdempotencyRetention time.Duration `yaml:"idempotency_retention"`
	// ChangeRetention bounds the age of change feed entries even when a
	// replica has not read them (it then rebuilds its search index).
	ChangeRetention time.Duration `yaml:"change_retention"`
	// LeaseRetention is how long job leases and version claims are kept.
	LeaseRetention time.Duration `yaml:"lease_retention"`
}

// Recommendations configures the training recommendations.
type Recommendations struct {
	// Schedule is when the batch retrains the model and recomputes the
	// accounts whose inputs changed (cron, UTC).
	Schedule string `yaml:"schedule"`
	// Shards splits the accounts into that many jobs, which replicas share
	// through the jobs' leases.
	Shards int `yaml:"shards"`
	// TopK is how many trainings are stored per account.
	TopK int `yaml:"top_k"`
	// Factors, Iterations: the collaborative model's size and training.
	Factors    int `yaml:"factors"`
	Iterations int `yaml:"iterations"`
	// WidgetPerMinute is the default request budget of a widget key.
	WidgetPerMinute int `yaml:"widget_per_minute"`
}

// Money configures training accounts, dossiers and payments.
type Money struct {
	// CoPayments is the co-payment (reste à charge) schedule: entries
	// "YYYY-MM-DD=cents", each in force from its date.
	CoPayments []string `yaml:"copayments"`
	// EvaluationReleaseDays is how many days after the exit the provider is
	// paid when the learner has not evaluated.
	EvaluationReleaseDays int `yaml:"evaluation_release_days"`
	// CreditSchedule and DeadlineSchedule are the cron schedules of the
	// yearly credit job and of the dossier deadline job.
	CreditSchedule   string   `yaml:"credit_schedule"`
	DeadlineSchedule string   `yaml:"deadline_schedule"`
	Payments         Payments `yaml:"payments"`
}

// Payments configures the external payment provider.
type Payments struct {
	// Provider is auto (demo in demo mode, webhook otherwise), demo or webhook.
	Provider string `yaml:"provider"`
	// Name is the webhook provider's name in /api/v1/payments/webhook/{name}.
	Name string `yaml:"name"`
	// WebhookTolerance bounds the age of a signed webhook.
	WebhookTolerance time.Duration `yaml:"webhook_tolerance"`
}

// CoPayment is one parsed entry of the co-payment schedule.
type CoPayment struct {
	From  time.Time
	Cents int64
}

// ParseCoPayments parses money.copayments.
func ParseCoPayments(entries []string) ([]CoPayment, error) {
	var out []CoPayment
	for _, e := range entries {
		d, c, ok := strings.Cut(e, "=")
		from, err := time.Parse(time.DateOnly, strings.TrimSpace(d))
		cents, cerr := strconv.ParseInt(strings.TrimSpace(c), 10, 64)
		if !ok || err != nil || cerr != nil || cents < 0 || cents > 100000 {
			return nil, fmt.Errorf("%q is not YYYY-MM-DD=cents (0 to 100000)", e)
		}
		out = append(out, CoPayment{From: from, Cents: cents})
	}
	return out, nil
}

// Server holds the HTTP server settings.
type Server struct {
	Addr            string        `yaml:"addr"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	TrustedProxies  []string      `yaml:"trusted_proxies"`
	PublicURL       string        `yaml:"public_url"`
}

// Store chooses and configures the storage backend.
type Store struct {
	Driver string `yaml:"driver"`
	Bolt   Bolt   `yaml:"bolt"`
	Mongo  Mongo  `yaml:"mongo"`
}

// Mongo configures the MongoDB backend. Credentials belong in the URI
// given by the environment variable PARCOURS_STORE_MONGO_URI, never in
// config.yaml.
type Mongo struct {
	URI            string        `yaml:"uri"`
	Database       string        `yaml:"database"`
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	OpTimeout      time.Duration `yaml:"op_timeout"`
	PollInterval   time.Duration `yaml:"poll_interval"`
	RecoverAfter   time.Duration `yaml:"recover_after"`
}

// Bolt configures the embedded backend.
type Bolt struct {
	File        string        `yaml:"file"`
	LockTimeout time.Duration `yaml:"lock_timeout"`
}

// Graph chooses and configures the skills graph backend.
type Graph struct {
	Backend string `yaml:"backend"`
	Neo4j   Neo4j  `yaml:"neo4j"`
}

// Neo4j configures the Neo4j graph backend. The password is a secret, not
// a setting: it is read from the environment variable PARCOURS_NEO4J_PASSWORD.
type Neo4j struct {
	URI            string        `yaml:"uri"`
	User           string        `yaml:"user"`
	Database       string        `yaml:"database"`
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	QueryTimeout   time.Duration `yaml:"query_timeout"`
}

// Neo4jPasswordEnv is the environment variable holding the Neo4j password.
const Neo4jPasswordEnv = "PARCOURS_NEO4J_PASSWORD"

// Demo configures demo mode.
type Demo struct {
	Enabled   bool  `yaml:"enabled"`
	Seed      int64 `yaml:"seed"`
	Providers int   `yaml:"providers"`
	Offers    int   `yaml:"offers"`
}

// Auth configures bearer tokens, web sessions and the OpenID sign-in.
type Auth struct {
	Issuer   string        `yaml:"issuer"`
	TokenTTL time.Duration `yaml:"token_ttl"`
	MaxTTL   time.Duration `yaml:"max_ttl"`
	Sessions Sessions      `yaml:"sessions"`
	StepUp   StepUp        `yaml:"step_up"`
	OIDC     OIDC          `yaml:"oidc"`

	// Organisations, sign-in limits and contact details (issue 5).
	OrgOIDC       OIDC          `yaml:"org_oidc"`
	Organisations Organisations `yaml:"organisations"`
	SignInLimits  SignInLimits  `yaml:"sign_in_limits"`
	CoolingOff    time.Duration `yaml:"cooling_off"`
}

// Organisations configures the organisations' invitations.
type Organisations struct {
	InvitationTTL time.Duration `yaml:"invitation_ttl"`
}

// SignInLimits bounds sign-in attempts, counted in the shared store: at
// most PerIP sign-in requests per client address and PerAccount failed
// NIR entries per training account, per Window.
type SignInLimits struct {
	PerIP      int           `yaml:"per_ip"`
	PerAccount int           `yaml:"per_account"`
	Window     time.Duration `yaml:"window"`
}

// OrgOIDCClientSecretEnv holds the client secret at the organisations'
// OpenID Provider.
const OrgOIDCClientSecretEnv = "PARCOURS_ORG_OIDC_CLIENT_SECRET"

// Sessions bounds the web sessions.
type Sessions struct {
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	MaxAge      time.Duration `yaml:"max_age"`
}

// StepUp is the authentication a learner needs to move money.
type StepUp struct {
	ACR    string        `yaml:"acr"`
	MaxAge time.Duration `yaml:"max_age"`
}

// OIDC configures the OpenID Provider learners sign in with
// (FranceConnect or a compatible one). An empty issuer turns it off. The
// client secret is a secret, not a setting: it is read from the
// environment variable PARCOURS_OIDC_CLIENT_SECRET.
type OIDC struct {
	Issuer   string   `yaml:"issuer"`
	ClientID string   `yaml:"client_id"`
	Label    string   `yaml:"label"`
	Scopes   []string `yaml:"scopes"`
	ACR      string   `yaml:"acr"`
}

// OIDCClientSecretEnv is the environment variable holding the OpenID client secret.
const OIDCClientSecretEnv = "PARCOURS_OIDC_CLIENT_SECRET"

// RateLimit bounds what one client address may ask of public endpoints.
type RateLimit struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// Search configures the fair search.
type Search struct {
	// KeyRotation is how long one order of equally relevant offers lasts
	// for a client and a query before the tie-break key changes.
	KeyRotation time.Duration `yaml:"key_rotation"`
	// ProviderCap is the most results of one provider on a page of
	// relevance-ordered results; 0 means no cap.
	ProviderCap    int `yaml:"provider_cap"`
	DefaultPerPage int `yaml:"default_per_page"`
	MaxPerPage     int `yaml:"max_per_page"`
	// Neutrality configures the job that measures the neutrality indicators.
	Neutrality Neutrality `yaml:"neutrality"`
}

// Neutrality configures the neutrality measure.
type Neutrality struct {
	Schedule string `yaml:"schedule"` // cron expression
	Clients  int    `yaml:"clients"`  // synthetic client addresses
	Queries  int    `yaml:"queries"`  // recent queries replayed
	LogSize  int    `yaml:"log_size"` // anonymised queries kept in memory
	TopK     int    `yaml:"top_k"`    // positions counted for exposure
}

// Matching configures the two-sided job matching.
type Matching struct {
	// Schedule is the cron expression of the feed job (one job per shard).
	Schedule string `yaml:"schedule"`
	// Shards splits the feed job; each shard runs under its own lease.
	Shards int `yaml:"shards"`
	// PerOffer and PerCandidate cap the proposals made per day.
	PerOffer     int `yaml:"per_offer"`
	PerCandidate int `yaml:"per_candidate"`
	// KeepDays is how long an undecided proposal stays in the feeds.
	KeepDays int `yaml:"keep_days"`
	// SwipesPerHour and MessagesPerHour bound each user.
	SwipesPerHour   int        `yaml:"swipes_per_hour"`
	MessagesPerHour int        `yaml:"messages_per_hour"`
	SkillModel      SkillModel `yaml:"skill_model"`
}

// SkillModel is the optional OpenAI-compatible server that reads the
// skills of job offers; an empty BaseURL means the lexicon alone.
type SkillModel struct {
	BaseURL string        `yaml:"base_url"`
	Model   string        `yaml:"model"`
	Timeout time.Duration `yaml:"timeout"`
}

// SkillModelKeyEnv is the environment variable holding the skill model
// server's API key (none for a local server).
const SkillModelKeyEnv = "PARCOURS_SKILL_MODEL_API_KEY"

// Log configures the structured logger.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Default returns the built-in defaults, the same as the shipped config.yaml
// except that demo mode is off: production starts empty.
func Default() Config {
	return Config{
		Server: Server{
			Addr:            "127.0.0.1:8080",
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    30 * time.Second,
			ShutdownTimeout: 15 * time.Second,
			MaxBodyBytes:    1 << 20,
		},
		DataDir: "data",
		Store: Store{Driver: "bolt", Bolt: Bolt{File: "parcours.db", LockTimeout: 5 * time.Second},
			Mongo: Mongo{URI: "mongodb://127.0.0.1:27017", Database: "parcours", ConnectTimeout: 10 * time.Second,
				OpTimeout: 10 * time.Second, PollInterval: time.Second, RecoverAfter: 30 * time.Second}},
		Graph: Graph{Backend: "embedded", Neo4j: Neo4j{URI: "neo4j://localhost:7687", User: "neo4j", Database: "neo4j",
			ConnectTimeout: 10 * time.Second, QueryTimeout: 5 * time.Second}},
		Demo: Demo{Enabled: false, Seed: 1, Providers: 300, Offers: 20000},
		Auth: Auth{Issuer: "parcours", TokenTTL: time.Hour, MaxTTL: 30 * 24 * time.Hour,
			Sessions:      Sessions{IdleTimeout: 30 * time.Minute, MaxAge: 12 * time.Hour},
			StepUp:        StepUp{ACR: "eidas2", MaxAge: 10 * time.Minute},
			OIDC:          OIDC{Label: "S’identifier avec FranceConnect", Scopes: []string{"openid", "profile", "birth"}, ACR: "eidas1"},
			OrgOIDC:       OIDC{Label: "S’identifier avec ProConnect", Scopes: []string{"openid", "profile", "email"}},
			Organisations: Organisations{InvitationTTL: 7 * 24 * time.Hour},
			SignInLimits:  SignInLimits{PerIP: 60, PerAccount: 5, Window: 15 * time.Minute},
			CoolingOff:    72 * time.Hour},
		RateLimit: RateLimit{PerSecond: 20, Burst: 60},
		Search: Search{
			KeyRotation: 24 * time.Hour, ProviderCap: 3, DefaultPerPage: 20, MaxPerPage: 100,
			Neutrality: Neutrality{Schedule: "17 * * * *", Clients: 200, Queries: 50, LogSize: 5000, TopK: 20},
		},
		Log:             Log{Level: "info", Format: "text"},
		Recommendations: Recommendations{Schedule: "40 3 * * *", Shards: 4, TopK: 20, Factors: 32, Iterations: 8, WidgetPerMinute: 120},
		Money: Money{
			CoPayments:            []string{"2024-05-02=10000", "2025-01-01=10223"},
			EvaluationReleaseDays: 30,
			CreditSchedule:        "30 2 * * *",
			DeadlineSchedule:      "*/10 * * * *",
			Payments:              Payments{Provider: "auto", Name: "card", WebhookTolerance: 5 * time.Minute},
		},
		Matching: Matching{Schedule: "*/15 * * * *", Shards: 4, PerOffer: 20, PerCandidate: 10, KeepDays: 7,
			SwipesPerHour: 300, MessagesPerHour: 60, SkillModel: SkillModel{Model: "gpt-4o-mini", Timeout: 5 * time.Second}},
		Controls: defaultControls(),
		Profiles: Profiles{CheckpointSchedule: "*/15 * * * *"},
		Housekeeping: Housekeeping{Schedule: "23 * * * *", IdempotencyRetention: 30 * 24 * time.Hour,
			ChangeRetention: 24 * time.Hour, LeaseRetention: 24 * time.Hour},
	}
}

// Load reads the YAML file at path over the defaults ("" for none), then
// applies environment variables from env (os.Environ format). Unknown keys
// in the file are errors, so that a typo does not silently keep a default.
func Load(path string, env []string) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("reading the configuration: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		// An empty file decodes to io.EOF: it means "all defaults".
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := applyEnv(&c, env); err != nil {
		return c, err
	}
	return c, nil
}

// EnvName returns the environment variable that overrides a YAML path such
// as "server.addr": PARCOURS_SERVER_ADDR.
func EnvName(path string) string {
	return "PARCOURS_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(path))
}

// Settings lists every setting's YAML path, in declaration order.
func Settings() []string {
	var out []string
	walk(reflect.ValueOf(&Config{}).Elem(), "", func(path string, _ reflect.Value) { out = append(out, path) })
	return out
}

func walk(v reflect.Value, prefix string, fn func(path string, field reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(time.Time{}) {
			walk(f, path, fn)
			continue
		}
		fn(path, f)
	}
}

func applyEnv(c *Config, env []string) error {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "PARCOURS_") {
			vars[k] = v
		}
	}
	var errs []error
	walk(reflect.ValueOf(c).Elem(), "", func(path string, f reflect.Value) {
		raw, ok := vars[EnvName(path)]
		if !ok {
			return
		}
		if err := setFromString(f, raw); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvName(path), err))
		}
	})
	return errors.Join(errs...)
}

// Set assigns a setting by its YAML path from a string, as a flag does.
func (c *Config) Set(path, raw string) error {
	var err error = fmt.Errorf("no setting %q", path)
	walk(reflect.ValueOf(c).Elem(), "", func(p string, f reflect.Value) {
		if p == path {
			err = setFromString(f, raw)
		}
	})
	return err
}

func setFromString(f reflect.Value, raw string) error {
	switch {
	case f.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 5m", raw)
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.String:
		f.SetString(raw)
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		f.SetBool(b)
	case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", raw)
		}
		f.SetInt(n)
	case f.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", raw)
		}
		f.SetFloat(x)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		var parts []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		f.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("cannot set a %s from the environment", f.Type())
	}
	return nil
}

// Validate checks every setting and reports all problems at once, each
// naming its setting.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s (%s): %s", path, EnvName(path), fmt.Sprintf(format, args...)))
	}
	if _, port, err := net.SplitHostPort(c.Server.Addr); err != nil {
		bad("server.addr", "%q is not HOST:PORT", c.Server.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("server.addr", "port %q is not a number from 0 to 65535", port)
	}
	for _, d := range []struct {
		path string
		v    time.Duration
	}{
		{"server.read_timeout", c.Server.ReadTimeout},
		{"server.write_timeout", c.Server.WriteTimeout},
		{"server.shutdown_timeout", c.Server.ShutdownTimeout},
		{"store.bolt.lock_timeout", c.Store.Bolt.LockTimeout},
		{"store.mongo.connect_timeout", c.Store.Mongo.ConnectTimeout},
		{"store.mongo.op_timeout", c.Store.Mongo.OpTimeout},
		{"store.mongo.poll_interval", c.Store.Mongo.PollInterval},
		{"store.mongo.recover_after", c.Store.Mongo.RecoverAfter},
		{"graph.neo4j.connect_timeout", c.Graph.Neo4j.ConnectTimeout},
		{"graph.neo4j.query_timeout", c.Graph.Neo4j.QueryTimeout},
		{"auth.token_ttl", c.Auth.TokenTTL},
		{"auth.max_ttl", c.Auth.MaxTTL},
		{"auth.sessions.idle_timeout", c.Auth.Sessions.IdleTimeout},
		{"auth.sessions.max_age", c.Auth.Sessions.MaxAge},
		{"auth.step_up.max_age", c.Auth.StepUp.MaxAge},
		{"auth.organisations.invitation_ttl", c.Auth.Organisations.InvitationTTL},
		{"auth.sign_in_limits.window", c.Auth.SignInLimits.Window},
		{"money.payments.webhook_tolerance", c.Money.Payments.WebhookTolerance},
	} {
		if d.v <= 0 {
			bad(d.path, "must be a positive duration")
		}
	}
	if c.Auth.SignInLimits.PerIP < 1 {
		bad("auth.sign_in_limits.per_ip", "must be at least 1")
	}
	if c.Auth.SignInLimits.PerAccount < 1 {
		bad("auth.sign_in_limits.per_account", "must be at least 1")
	}
	if c.Auth.CoolingOff < 0 {
		bad("auth.cooling_off", "must not be negative (0: no cooling-off)")
	}
	if c.Auth.TokenTTL > c.Auth.MaxTTL {
		bad("auth.token_ttl", "must not exceed auth.max_ttl (%s)", c.Auth.MaxTTL)
	}
	if c.Server.MaxBodyBytes < 1024 || c.Server.MaxBodyBytes > 64<<20 {
		bad("server.max_body_bytes", "must be between 1024 and 67108864")
	}
	for _, p := range c.Server.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad("server.trusted_proxies", "%q is neither an IP address nor a CIDR range", p)
			}
		}
	}
	if c.Server.PublicURL != "" && !strings.HasPrefix(c.Server.PublicURL, "http://") && !strings.HasPrefix(c.Server.PublicURL, "https://") {
		bad("server.public_url", "must start with http:// or https://")
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data_dir", "must not be empty")
	}
	switch c.Store.Driver {
	case "bolt":
		if c.Store.Bolt.File == "" || strings.ContainsAny(c.Store.Bolt.File, `/\`) {
			bad("store.bolt.file", "must be a file name inside data_dir")
		}
	case "mongo":
		if !strings.HasPrefix(c.Store.Mongo.URI, "mongodb://") && !strings.HasPrefix(c.Store.Mongo.URI, "mongodb+srv://") {
			bad("store.mongo.uri", "must start with mongodb:// or mongodb+srv://")
		}
		if c.Store.Mongo.Database == "" || strings.ContainsAny(c.Store.Mongo.Database, `/\. "$`) {
			bad("store.mongo.database", "must be a MongoDB database name")
		}
	default:
		bad("store.driver", "%q is not a known backend (bolt, mongo)", c.Store.Driver)
	}
	switch c.Graph.Backend {
	case "embedded":
	case "neo4j":
		if c.Graph.Neo4j.User == "" {
			bad("graph.neo4j.user", "must not be empty with the neo4j backend")
		}
		if c.Graph.Neo4j.Database == "" {
			bad("graph.neo4j.database", "must not be empty with the neo4j backend")
		}
	default:
		bad("graph.backend", "%q is not a known backend (embedded, neo4j)", c.Graph.Backend)
	}
	if scheme, _, ok := strings.Cut(c.Graph.Neo4j.URI, "://"); !ok || !slices.Contains([]string{"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}, scheme) {
		bad("graph.neo4j.uri", "%q is not a neo4j:// or bolt:// URI", c.Graph.Neo4j.URI)
	}
	if c.Demo.Providers < 1 || c.Demo.Providers > 100000 {
		bad("demo.providers", "must be between 1 and 100000")
	}
	if c.Demo.Offers < c.Demo.Providers || c.Demo.Offers > 2000000 {
		bad("demo.offers", "must be between demo.providers and 2000000")
	}
	if c.Auth.OIDC.Issuer != "" && c.Auth.OIDC.ClientID == "" {
		bad("auth.oidc.client_id", "is required with auth.oidc.issuer")
	}
	if c.Auth.OIDC.Issuer != "" && c.Server.PublicURL == "" {
		bad("server.public_url", "is required with auth.oidc.issuer: the provider sends the browser back to it")
	}
	if c.Auth.Issuer == "" {
		bad("auth.issuer", "must not be empty")
	}
	if c.RateLimit.PerSecond <= 0 {
		bad("rate_limit.per_second", "must be positive")
	}
	if c.RateLimit.Burst < 1 {
		bad("rate_limit.burst", "must be at least 1")
	}
	if c.Search.KeyRotation < time.Minute || c.Search.KeyRotation > 31*24*time.Hour {
		bad("search.key_rotation", "must be between 1m and 744h (31 days)")
	}
	if c.Search.ProviderCap < 0 || c.Search.ProviderCap > 100 {
		bad("search.provider_cap", "must be from 0 (no cap) to 100")
	}
	if c.Search.MaxPerPage < 1 || c.Search.MaxPerPage > 500 {
		bad("search.max_per_page", "must be from 1 to 500")
	}
	if c.Search.DefaultPerPage < 1 || c.Search.DefaultPerPage > c.Search.MaxPerPage {
		bad("search.default_per_page", "must be from 1 to search.max_per_page (%d)", c.Search.MaxPerPage)
	}
	if strings.TrimSpace(c.Search.Neutrality.Schedule) == "" {
		bad("search.neutrality.schedule", "must be a cron expression such as \"17 * * * *\"")
	}
	if n := c.Search.Neutrality.Clients; n < 2 || n > 10000 {
		bad("search.neutrality.clients", "must be from 2 to 10000")
	}
	if n := c.Search.Neutrality.Queries; n < 1 || n > 1000 {
		bad("search.neutrality.queries", "must be from 1 to 1000")
	}
	if n := c.Search.Neutrality.LogSize; n < 1 || n > 1000000 {
		bad("search.neutrality.log_size", "must be from 1 to 1000000")
	}
	if n := c.Search.Neutrality.TopK; n < 1 || n > 100 {
		bad("search.neutrality.top_k", "must be from 1 to 100")
	}
	if m := c.Matching; true {
		if strings.TrimSpace(m.Schedule) == "" {
			bad("matching.schedule", "must be a cron expression such as \"*/15 * * * *\"")
		}
		if m.Shards < 1 || m.Shards > 256 {
			bad("matching.shards", "must be from 1 to 256")
		}
		if m.PerOffer < 1 || m.PerOffer > 1000 {
			bad("matching.per_offer", "must be from 1 to 1000")
		}
		if m.PerCandidate < 1 || m.PerCandidate > 200 {
			bad("matching.per_candidate", "must be from 1 to 200")
		}
		if m.KeepDays < 1 || m.KeepDays > 60 {
			bad("matching.keep_days", "must be from 1 to 60")
		}
		if m.SwipesPerHour < 1 {
			bad("matching.swipes_per_hour", "must be positive")
		}
		if m.MessagesPerHour < 1 {
			bad("matching.messages_per_hour", "must be positive")
		}
		if u := m.SkillModel.BaseURL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			bad("matching.skill_model.base_url", "must start with http:// or https://")
		}
		if m.SkillModel.BaseURL != "" && m.SkillModel.Model == "" {
			bad("matching.skill_model.model", "is required with matching.skill_model.base_url")
		}
		if m.SkillModel.Timeout <= 0 || m.SkillModel.Timeout > time.Minute {
			bad("matching.skill_model.timeout", "must be a positive duration up to 1m")
		}
	}
	if r := c.Recommendations; len(strings.Fields(r.Schedule)) != 5 && !strings.HasPrefix(r.Schedule, "@") {
		bad("recommendations.schedule", "%q is not a 5-field cron schedule", r.Schedule)
	}
	if n := c.Recommendations.Shards; n < 1 || n > 256 {
		bad("recommendations.shards", "must be from 1 to 256")
	}
	if n := c.Recommendations.TopK; n < 1 || n > 100 {
		bad("recommendations.top_k", "must be from 1 to 100")
	}
	if n := c.Recommendations.Factors; n < 4 || n > 256 {
		bad("recommendations.factors", "must be from 4 to 256")
	}
	if n := c.Recommendations.Iterations; n < 1 || n > 100 {
		bad("recommendations.iterations", "must be from 1 to 100")
	}
	if n := c.Recommendations.WidgetPerMinute; n < 1 || n > 100000 {
		bad("recommendations.widget_per_minute", "must be from 1 to 100000")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if _, err := ParseCoPayments(c.Money.CoPayments); err != nil {
		bad("money.copayments", "%v", err)
	}
	if c.Money.EvaluationReleaseDays < 1 || c.Money.EvaluationReleaseDays > 365 {
		bad("money.evaluation_release_days", "must be between 1 and 365")
	}
	for _, sch := range []struct{ path, v string }{{"money.credit_schedule", c.Money.CreditSchedule}, {"money.deadline_schedule", c.Money.DeadlineSchedule},
		{"profiles.checkpoint_schedule", c.Profiles.CheckpointSchedule}} {
		if len(strings.Fields(sch.v)) != 5 && !strings.HasPrefix(sch.v, "@") {
			bad(sch.path, "%q is not a 5-field cron schedule", sch.v)
		}
	}
	switch c.Money.Payments.Provider {
	case "auto", "demo", "webhook":
	default:
		bad("money.payments.provider", "%q is not auto, demo or webhook", c.Money.Payments.Provider)
	}
	if c.Money.Payments.Name == "" || strings.ContainsAny(c.Money.Payments.Name, "/: ") {
		bad("money.payments.name", "must be a short name without / : or spaces")
	}
	c.Controls.validate(bad)
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	// Housekeeping: nothing a live operation or replica still needs may go.
	h := c.Housekeeping
	if len(strings.Fields(h.Schedule)) != 5 && !strings.HasPrefix(h.Schedule, "@") {
		bad("housekeeping.schedule", "%q is not a 5-field cron schedule", h.Schedule)
	}
	if h.IdempotencyRetention < 24*time.Hour {
		bad("housekeeping.idempotency_retention", "must be at least 24h: clients retry within a day")
	}
	if h.ChangeRetention < time.Hour {
		bad("housekeeping.change_retention", "must be at least 1h")
	}
	if h.LeaseRetention < time.Hour || h.LeaseRetention < 10*c.Store.Mongo.RecoverAfter {
		bad("housekeeping.lease_retention", "must be at least 1h and 10 times store.mongo.recover_after: a claim may be needed until an interrupted operation is recovered")
	}
	return errors.Join(errs...)
}
