package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"

	"github.com/parcours/parcours/api"
	"github.com/parcours/parcours/geo"
	"github.com/parcours/parcours/marketplace"
)

// loadDoc loads and validates the embedded OpenAPI document, examples
// included.
func loadDoc(tb testing.TB) *openapi3.T {
	tb.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		tb.Fatalf("loading openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context, openapi3.EnableExamplesValidation()); err != nil {
		tb.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// operation is one documented method and path.
type operation struct {
	method, path string
	item         *openapi3.PathItem
	op           *openapi3.Operation
}

func operations(doc *openapi3.T) []operation {
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, operation{method, path, item, op})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].path != ops[j].path {
			return ops[i].path < ops[j].path
		}
		return ops[i].method < ops[j].method
	})
	return ops
}

// anonymous reports whether an operation can be called without a token.
func anonymous(doc *openapi3.T, op *openapi3.Operation) bool {
	sec := op.Security
	if sec == nil {
		sec = &doc.Security
	}
	return len(*sec) == 0 || slices.ContainsFunc(*sec, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 })
}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadDoc(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	for _, want := range []string{"Authentication", "parcours token", "Pagination", "next_cursor", "RFC 9457", "errors[]", "Retry-After", "429", api.ProblemTypeBase} {
		if !strings.Contains(doc.Info.Description, want) {
			t.Errorf("the description does not mention %q", want)
		}
	}
	bearer := doc.Components.SecuritySchemes["bearerAuth"]
	if bearer == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" || bearer.Value.BearerFormat != "JWT" {
		t.Errorf("bearerAuth scheme = %+v, want http bearer JWT", bearer)
	}
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	ids := map[string]string{}
	for _, o := range operations(doc) {
		name := o.method + " " + o.path
		t.Run(name, func(t *testing.T) {
			op := o.op
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("operationId %q, summary %q: want both", op.OperationID, op.Summary)
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q is also %s", op.OperationID, other)
			}
			ids[op.OperationID] = name
			if len(op.Tags) == 0 {
				t.Error("no tag")
			}
			for _, tag := range op.Tags {
				if !tags[tag] {
					t.Errorf("tag %q is not declared", tag)
				}
			}
			if op.Security == nil {
				t.Error("no security of its own: say `security: []` for public operations")
			}
			if rb := op.RequestBody; rb != nil {
				mt := rb.Value.Content.Get("application/json")
				switch {
				case !rb.Value.Required:
					t.Error("request body not required")
				case mt == nil || len(rb.Value.Content) != 1:
					t.Errorf("request body content %v, want application/json only", slices.Collect(maps.Keys(rb.Value.Content)))
				case mt.Example == nil && len(mt.Examples) == 0:
					t.Error("request body without example")
				default:
					closedObjects(t, "request body", mt.Schema, map[*openapi3.Schema]bool{})
				}
			}
			for code, resp := range op.Responses.Map() {
				for ctype, mt := range resp.Value.Content {
					switch {
					case code[0] == '2' && ctype != "application/octet-stream" && mt.Example == nil && len(mt.Examples) == 0:
						t.Errorf("response %s %s has no example", code, ctype)
					case code[0] == '4' || code[0] == '5':
						if ctype != "application/problem+json" || mt.Schema.Ref != "#/components/schemas/Problem" {
							t.Errorf("response %s is %s %s, want a Problem as application/problem+json", code, ctype, mt.Schema.Ref)
						}
					}
				}
				if code == "401" && resp.Value.Headers["WWW-Authenticate"] == nil {
					t.Error("401 without WWW-Authenticate")
				}
				if code == "429" && resp.Value.Headers["Retry-After"] == nil {
					t.Error("429 without Retry-After")
				}
			}
			if strings.HasPrefix(o.path, "/api/v1/") {
				for _, code := range []string{"401", "429"} {
					if op.Responses.Status(atoi(code)) == nil {
						t.Errorf("no %s response, though every /api/v1 request may get one", code)
					}
				}
			}
			if op.RequestBody != nil {
				for _, code := range []string{"400", "413", "415"} {
					if op.Responses.Status(atoi(code)) == nil {
						t.Errorf("takes a body but documents no %s", code)
					}
				}
			}
		})
	}
	for name, s := range doc.Components.Schemas {
		if s.Value.Type.Is("object") {
			closedObjects(t, "schema "+name, s, map[*openapi3.Schema]bool{})
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// closedObjects fails for any object schema in s that allows properties it
// does not list, so that the document says unknown fields are refused.
func closedObjects(tb testing.TB, where string, s *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	tb.Helper()
	if s == nil || s.Value == nil || seen[s.Value] {
		return
	}
	seen[s.Value] = true
	v := s.Value
	if v.Type.Is("object") {
		if ap := v.AdditionalProperties; ap.Has == nil || *ap.Has || ap.Schema != nil {
			tb.Errorf("%s: object %s allows unlisted properties: want additionalProperties: false", where, s.Ref)
		}
	}
	for name, p := range v.Properties {
		closedObjects(tb, where+"."+name, p, seen)
	}
	closedObjects(tb, where+"[]", v.Items, seen)
}

// serverRoutes lists the API routes a fully equipped server registers, as
// "METHOD /path/{param}"; web pages are left out.
func serverRoutes(tb testing.TB) []string {
	e := newEnv(tb)
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	var out []string
	for _, r := range e.srv.Routes() {
		path := param.ReplaceAllString(r[1], "{$1}")
		if strings.HasPrefix(path, "/api/v1/") || path == "/healthz" || path == "/readyz" || path == "/metrics" {
			out = append(out, r[0]+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadDoc(t)
	var documented []string
	for _, o := range operations(doc) {
		documented = append(documented, o.method+" "+o.path)
	}
	sort.Strings(documented)
	registered := serverRoutes(t)
	if !slices.Contains(registered, "POST /api/v1/admin/backup") {
		t.Fatal("the test server has no backup route: Deps.Backup must be set for the comparison to cover it")
	}
	if diff := cmp.Diff(registered, documented); diff != "" {
		t.Errorf("routes (-registered by the server +documented):\n%s", diff)
	}
}

// example is one example of the document and the schema it illustrates.
type example struct {
	where    string
	schema   *openapi3.SchemaRef
	value    any
	response bool
}

func mediaExamples(where string, content openapi3.Content, response bool) []example {
	var out []example
	for ctype, mt := range content {
		if mt.Example != nil {
			out = append(out, example{where + " " + ctype, mt.Schema, mt.Example, response})
		}
		for name, ex := range mt.Examples {
			out = append(out, example{where + " " + ctype + " " + name, mt.Schema, ex.Value.Value, response})
		}
	}
	return out
}

func paramExamples(where string, params openapi3.Parameters) []example {
	var out []example
	for _, p := range params {
		if p.Value.Example != nil {
			out = append(out, example{where + " parameter " + p.Value.Name, p.Value.Schema, p.Value.Example, false})
		}
	}
	return out
}

func TestOpenAPIExamplesMatchSchemas(t *testing.T) {
	doc := loadDoc(t)
	var all []example
	for _, o := range operations(doc) {
		where := o.method + " " + o.path
		all = append(all, paramExamples(where, o.item.Parameters)...)
		all = append(all, paramExamples(where, o.op.Parameters)...)
		if o.op.RequestBody != nil {
			all = append(all, mediaExamples(where+" request", o.op.RequestBody.Value.Content, false)...)
		}
		for code, resp := range o.op.Responses.Map() {
			all = append(all, mediaExamples(where+" "+code, resp.Value.Content, true)...)
		}
	}
	for name, resp := range doc.Components.Responses {
		all = append(all, mediaExamples("response "+name, resp.Value.Content, true)...)
	}
	if len(all) < 40 {
		t.Errorf("only %d examples found: the walk misses some", len(all))
	}
	for _, ex := range all {
		opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsRequest()}
		if ex.response {
			opts[1] = openapi3.VisitAsResponse()
		}
		if err := ex.schema.Value.VisitJSON(ex.value, opts...); err != nil {
			t.Errorf("%s: the example does not match its schema: %v", ex.where, err)
		}
	}
}

// The examples must be checked by something that can fail: a broken copy
// of one is refused.
func TestOpenAPIExampleCheckCanFail(t *testing.T) {
	doc := loadDoc(t)
	mt := doc.Paths.Value("/api/v1/offers").Post.RequestBody.Value.Content.Get("application/json")
	good := mt.Example.(map[string]any)
	for name, broken := range map[string]map[string]any{
		"unknown field":    with2(good, "nickname", "x"),
		"bad modality":     with2(good, "modality", "online"),
		"bad cert code":    with2(good, "certification", map[string]any{"code": "RNCP"}),
		"missing required": with2(good, "title", nil),
		"bad commune":      with2(good, "commune", "6912"),
	} {
		if err := mt.Schema.Value.VisitJSON(broken); err == nil {
			t.Errorf("%s: a broken OfferInput example passes its schema", name)
		}
	}
	sess := doc.Paths.Value("/api/v1/offers/{id}/sessions").Post.RequestBody.Value.Content.Get("application/json")
	if err := sess.Schema.Value.VisitJSON(map[string]any{"start": "2026-02-30", "end": "2026-03-02", "seats": 3.0}); err == nil {
		t.Error("a session starting on February 30 passes the SessionInput schema")
	}
}

func with2(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m))
	for key, val := range m {
		out[key] = val
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	rec := e.do(req{method: "GET", path: "/api/v1/openapi.json"})
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.Equal(rec.Body.Bytes(), api.OpenAPI) {
		t.Error("the served document is not the embedded one")
	}
}

// concrete turns a documented path into one that names the fixtures.
func (e *testEnv) concrete(path string) string {
	id := e.offer.ID
	if strings.HasPrefix(path, "/api/v1/providers/") {
		id = e.lyon.ID
	}
	if strings.HasPrefix(path, "/api/v1/skills/") {
		id = testSkill
	}
	return strings.NewReplacer("{id}", id, "{session_id}", e.session.ID, "{insee}", "69123", "{code}", "M1805",
		"{secret}", shareSecret, "{credential_id}", url.PathEscape(e.profileCred), "{siret}", employerSIRET, "{n}", "1", "{size}", "1").Replace(path)
}

// TestOpenAPISecurityMatchesServer calls every documented operation
// without a token: those documented as needing one must answer 401, the
// others must serve.
func TestOpenAPISecurityMatchesServer(t *testing.T) {
	doc := loadDoc(t)
	e := newEnv(t)
	before := e.snapshot(t)
	for _, o := range operations(doc) {
		t.Run(o.method+" "+o.path, func(t *testing.T) {
			path := e.concrete(o.path)
			var query []string
			for _, p := range o.op.Parameters {
				if p.Value.In == "query" && p.Value.Required {
					query = append(query, p.Value.Name+"="+fmt.Sprint(p.Value.Example))
				}
			}
			if len(query) > 0 {
				path += "?" + strings.Join(query, "&")
			}
			r := req{method: o.method, path: path}
			if rb := o.op.RequestBody; rb != nil {
				r.body = jsonBody(t, rb.Value.Content.Get("application/json").Example)
			}
			rec := e.do(r)
			if strings.Contains(o.path, "/payments/webhook/") {
				// Signed by the payment provider instead of a token: TestPaymentWebhook.
				if rec.Code != http.StatusNotFound && rec.Code != http.StatusUnauthorized {
					t.Errorf("an unsigned webhook answers %d", rec.Code)
				}
				return
			}
			if anonymous(doc, o.op) {
				if rec.Code >= 300 {
					t.Errorf("documented as public, answers %d to an anonymous call: %.300s", rec.Code, rec.Body)
				}
				return
			}
			problem(t, rec, http.StatusUnauthorized, "")
		})
	}
	e.unchanged(t, before)
}

// bearerPresent stands for the server's token check in request
// validation: the document's security needs a bearer token.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearerAuth" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return errors.New("no bearer token")
	}
	return nil
}

// conformanceCall is a real request whose exchange must match the document.
type conformanceCall struct {
	name   string
	r      req
	status int
	// offDoc marks requests that break the document on purpose (a
	// missing token, a bad value): request validation must refuse them too,
	// so that the document states the rule the server enforces.
	offDoc bool
}

// TestOpenAPIConformance makes real requests through the server and checks
// each request and response against the document, so that the
// implementation and the document cannot drift apart.
func TestOpenAPIConformance(t *testing.T) {
	doc := loadDoc(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	admin, lyon, villeurbanne, nocert := e.admin(t), e.as(t, e.lyon), e.as(t, e.villeurbanne), e.as(t, e.nocert)
	etag := func(ts time.Time) map[string]string {
		return map[string]string{"If-Match": fmt.Sprintf(`"%d"`, ts.UnixMilli())}
	}
	offerPath := "/api/v1/offers/" + e.offer.ID
	big := with(t, e.providerBody(t), "description", strings.Repeat("é", testMaxBody))
	calls := []conformanceCall{
		{name: "health", r: req{method: "GET", path: "/healthz"}, status: 200},
		{name: "ready", r: req{method: "GET", path: "/readyz"}, status: 200},
		{name: "metrics", r: req{method: "GET", path: "/metrics", token: admin}, status: 200},
		{name: "metrics anonymous", r: req{method: "GET", path: "/metrics"}, status: 401, offDoc: true},
		{name: "openapi", r: req{method: "GET", path: "/api/v1/openapi.json"}, status: 200},
		{name: "me", r: req{method: "GET", path: "/api/v1/me", token: lyon}, status: 200},
		{name: "me anonymous", r: req{method: "GET", path: "/api/v1/me"}, status: 401, offDoc: true},
		{name: "me expired token", r: req{method: "GET", path: "/api/v1/me", token: e.expiredToken(t)}, status: 401},

		{name: "list providers, first page", r: req{method: "GET", path: "/api/v1/providers?limit=2"}, status: 200},
		{name: "list providers, bad cursor", r: req{method: "GET", path: "/api/v1/providers?cursor=%21%21"}, status: 400},
		{name: "list providers, bad limit", r: req{method: "GET", path: "/api/v1/providers?limit=0"}, status: 400, offDoc: true},
		{name: "get provider", r: req{method: "GET", path: "/api/v1/providers/" + e.lyon.ID}, status: 200},
		{name: "get provider without Qualiopi", r: req{method: "GET", path: "/api/v1/providers/" + e.nocert.ID}, status: 200},
		{name: "get provider, unknown", r: req{method: "GET", path: "/api/v1/providers/" + marketplace.NewID()}, status: 404},
		{name: "get provider, bad id", r: req{method: "GET", path: "/api/v1/providers/bad!id"}, status: 400, offDoc: true},
		{name: "create provider as admin", r: req{method: "POST", path: "/api/v1/providers", token: admin, body: e.providerBody(t)}, status: 201},
		{name: "create provider, SIRET taken", r: req{method: "POST", path: "/api/v1/providers", token: admin, body: e.providerBody(t)}, status: 409},
		{name: "create provider, bad SIRET", r: req{method: "POST", path: "/api/v1/providers", token: admin, body: with(t, e.providerBody(t), "siret", "90123456700014")}, status: 400},
		{name: "create provider, unknown field", r: req{method: "POST", path: "/api/v1/providers", token: admin, body: with(t, e.providerBody(t), "nickname", "x")}, status: 400, offDoc: true},
		{name: "create provider as a provider", r: req{method: "POST", path: "/api/v1/providers", token: lyon, body: e.providerBody(t)}, status: 403},
		{name: "create provider, too large", r: req{method: "POST", path: "/api/v1/providers", token: admin, body: big}, status: 413, offDoc: true},
		{name: "create provider, not JSON", r: req{method: "POST", path: "/api/v1/providers", token: admin, body: e.providerBody(t), contentType: "text/plain"}, status: 415, offDoc: true},
		{name: "replace provider as itself", r: req{method: "PUT", path: "/api/v1/providers/" + e.lyon.ID, token: lyon, header: etag(e.lyon.UpdatedAt),
			body: with(t, e.providerBody(t), "siret", e.lyon.SIRET)}, status: 200},
		{name: "replace provider, stale", r: req{method: "PUT", path: "/api/v1/providers/" + e.lyon.ID, token: lyon, header: etag(e.lyon.UpdatedAt),
			body: with(t, e.providerBody(t), "siret", e.lyon.SIRET)}, status: 409},
		{name: "replace another provider", r: req{method: "PUT", path: "/api/v1/providers/" + e.lyon.ID, token: villeurbanne, body: e.providerBody(t)}, status: 403},

		{name: "list offers", r: req{method: "GET", path: "/api/v1/offers"}, status: 200},
		{name: "list offers, filtered", r: req{method: "GET", path: "/api/v1/offers?region=84&department=69&certification=RNCP37674&limit=1"}, status: 200},
		{name: "list own drafts", r: req{method: "GET", path: "/api/v1/offers?status=draft&provider_id=" + e.lyon.ID, token: lyon}, status: 200},
		{name: "list another's drafts", r: req{method: "GET", path: "/api/v1/offers?status=draft&provider_id=" + e.lyon.ID, token: villeurbanne}, status: 403},
		{name: "list drafts anonymously", r: req{method: "GET", path: "/api/v1/offers?status=draft&provider_id=" + e.lyon.ID}, status: 401},
		{name: "list offers, unknown region", r: req{method: "GET", path: "/api/v1/offers?region=99"}, status: 400},
		{name: "list offers, bad certification", r: req{method: "GET", path: "/api/v1/offers?certification=XYZ"}, status: 400, offDoc: true},
		{name: "get offer", r: req{method: "GET", path: offerPath}, status: 200},
		{name: "get draft anonymously", r: req{method: "GET", path: "/api/v1/offers/" + e.draft.ID}, status: 404},
		{name: "get own draft", r: req{method: "GET", path: "/api/v1/offers/" + e.draft.ID, token: lyon}, status: 200},
		{name: "create offer as provider", r: req{method: "POST", path: "/api/v1/offers", token: lyon, body: offerBody(t, "", "published")}, status: 201},
		{name: "create offer as admin", r: req{method: "POST", path: "/api/v1/offers", token: admin, body: offerBody(t, e.villeurbanne.ID, "draft")}, status: 201},
		{name: "create offer, not publishable", r: req{method: "POST", path: "/api/v1/offers", token: nocert, body: offerBody(t, "", "published")}, status: 422},
		{name: "create offer for another provider", r: req{method: "POST", path: "/api/v1/offers", token: villeurbanne, body: offerBody(t, e.lyon.ID, "draft")}, status: 403},
		{name: "create offer, bad hours", r: req{method: "POST", path: "/api/v1/offers", token: lyon, body: with(t, offerBody(t, "", "draft"), "hours", 0)}, status: 400, offDoc: true},
		{name: "create offer anonymously", r: req{method: "POST", path: "/api/v1/offers", body: offerBody(t, "", "draft")}, status: 401, offDoc: true},
		{name: "replace offer", r: req{method: "PUT", path: offerPath, token: lyon, header: etag(e.offer.UpdatedAt), body: offerBody(t, "", "published")}, status: 200},
		{name: "replace offer, stale", r: req{method: "PUT", path: offerPath, token: lyon, header: etag(e.offer.UpdatedAt), body: offerBody(t, "", "published")}, status: 409},
		{name: "replace another's offer", r: req{method: "PUT", path: offerPath, token: villeurbanne, body: offerBody(t, "", "draft")}, status: 403},
		{name: "replace offer as admin", r: req{method: "PUT", path: offerPath, token: admin, header: map[string]string{"If-Match": "*"}, body: offerBody(t, "", "published")}, status: 200},
		{name: "list sessions", r: req{method: "GET", path: offerPath + "/sessions"}, status: 200},
		{name: "create session", r: req{method: "POST", path: offerPath + "/sessions", token: lyon, body: sessionBody}, status: 201},
		{name: "create session, bad date", r: req{method: "POST", path: offerPath + "/sessions", token: lyon, body: with(t, sessionBody, "start", "2026-02-30")}, status: 400, offDoc: true},
		{name: "create session, ends before it starts", r: req{method: "POST", path: offerPath + "/sessions", token: lyon, body: with(t, sessionBody, "end", "2026-09-01")}, status: 400},
		{name: "create session on unknown offer", r: req{method: "POST", path: "/api/v1/offers/" + marketplace.NewID() + "/sessions", token: lyon, body: sessionBody}, status: 404},
		{name: "delete another's session", r: req{method: "DELETE", path: offerPath + "/sessions/" + e.session.ID, token: villeurbanne}, status: 403},
		{name: "delete session", r: req{method: "DELETE", path: offerPath + "/sessions/" + e.session.ID, token: lyon}, status: 204},
		{name: "delete session again", r: req{method: "DELETE", path: offerPath + "/sessions/" + e.session.ID, token: lyon}, status: 404},
		{name: "delete another's offer", r: req{method: "DELETE", path: offerPath, token: villeurbanne}, status: 403},
		{name: "delete offer", r: req{method: "DELETE", path: offerPath, token: lyon}, status: 204},

		{name: "search offers", r: req{method: "GET", path: "/api/v1/search/offers?q=d%C3%A9veloppeur+web&commune=69266&radius_km=20&explain=true"}, status: 200},
		{name: "search offers, every filter", r: req{method: "GET", path: "/api/v1/search/offers?q=web&lat=45.76&lon=4.84&radius_km=50&modality=mixed&price_max=900000&hours_min=10&hours_max=900" +
			"&certification=RNCP37674&certification_type=RNCP&start_after=2026-01-01&start_before=2030-01-01&region=84&department=69&sort=distance&per_page=5"}, status: 200},
		{name: "search offers, nothing", r: req{method: "GET", path: "/api/v1/search/offers?q=boulangerie"}, status: 200},
		{name: "search offers, by price", r: req{method: "GET", path: "/api/v1/search/offers?sort=price&per_page=1"}, status: 200},
		{name: "search offers, bad cursor", r: req{method: "GET", path: "/api/v1/search/offers?cursor=abc"}, status: 400},
		{name: "search offers, negative radius", r: req{method: "GET", path: "/api/v1/search/offers?commune=69123&radius_km=-5"}, status: 400, offDoc: true},
		{name: "search offers, unknown modality", r: req{method: "GET", path: "/api/v1/search/offers?modality=online"}, status: 400, offDoc: true},
		{name: "search offers, malformed commune", r: req{method: "GET", path: "/api/v1/search/offers?commune=6912"}, status: 400, offDoc: true},
		{name: "search offers, huge per_page", r: req{method: "GET", path: "/api/v1/search/offers?per_page=100000"}, status: 400, offDoc: true},
		{name: "search offers, distance without place", r: req{method: "GET", path: "/api/v1/search/offers?sort=distance"}, status: 400},
		{name: "neutrality", r: req{method: "GET", path: "/api/v1/transparency/neutrality"}, status: 200},
		{name: "search communes by name", r: req{method: "GET", path: "/api/v1/communes?q=lyon&limit=3"}, status: 200},
		{name: "search communes by postcode", r: req{method: "GET", path: "/api/v1/communes?q=69003"}, status: 200},
		{name: "search communes without q", r: req{method: "GET", path: "/api/v1/communes"}, status: 400, offDoc: true},
		{name: "get commune", r: req{method: "GET", path: "/api/v1/communes/2A004"}, status: 200},
		{name: "get arrondissement", r: req{method: "GET", path: "/api/v1/communes/69381"}, status: 404},
		{name: "get commune, bad code", r: req{method: "GET", path: "/api/v1/communes/ABCDE"}, status: 400, offDoc: true},
		{name: "regions", r: req{method: "GET", path: "/api/v1/regions"}, status: 200},
		{name: "backup", r: req{method: "POST", path: "/api/v1/admin/backup", token: admin}, status: 200},
		{name: "backup as provider", r: req{method: "POST", path: "/api/v1/admin/backup", token: lyon}, status: 403},
	}
	runConformance(t, doc, router, e, calls)

	limited := newEnv(t, func(d *api.Deps) { d.RatePerSecond, d.RateBurst = 0.01, 1 })
	runConformance(t, doc, router, limited, []conformanceCall{
		{name: "first anonymous call", r: req{method: "GET", path: "/api/v1/regions"}, status: 200},
		{name: "rate limited", r: req{method: "GET", path: "/api/v1/regions"}, status: 429},
	})
	down := newEnv(t, func(d *api.Deps) { d.Ready = func(context.Context) error { return errors.New("store closed") } })
	runConformance(t, doc, router, down, []conformanceCall{
		{name: "not ready", r: req{method: "GET", path: "/readyz"}, status: 503},
	})
}

func runConformance(t *testing.T, doc *openapi3.T, router routers.Router, e *testEnv, calls []conformanceCall) {
	t.Helper()
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: bearerPresent}
	ctx := context.Background()
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			hr := c.r.build()
			route, params, err := router.FindRoute(hr)
			if err != nil {
				t.Fatalf("%s %s is not documented: %v", c.r.method, c.r.path, err)
			}
			in := &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route, Options: opts}
			err = openapi3filter.ValidateRequest(ctx, in)
			switch {
			case c.offDoc && err == nil:
				t.Errorf("the document allows this request, which the server refuses with %d", c.status)
			case !c.offDoc && err != nil:
				t.Errorf("the request does not match the document: %v", err)
			}
			rec := e.do(c.r)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d: %.400s", rec.Code, c.status, rec.Body)
			}
			out := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
				Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: opts,
			}
			if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
				t.Errorf("the response does not match the document: %v\nbody: %.600s", err, rec.Body)
			}
		})
	}
}

// TestOpenAPIBoundsMatchDomain keeps the limits and patterns the document
// states equal to the ones the domain enforces.
func TestOpenAPIBoundsMatchDomain(t *testing.T) {
	doc := loadDoc(t)
	schema := func(name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	prop := func(name, field string) *openapi3.Schema { return schema(name).Properties[field].Value }
	param := func(name string) *openapi3.Schema { return doc.Components.Parameters[name].Value.Schema.Value }
	num := func(f *float64) float64 {
		if f == nil {
			return -1
		}
		return *f
	}
	got := map[string]float64{
		"price_cents max":   num(prop("OfferInput", "price_cents").Max),
		"hours min":         num(prop("OfferInput", "hours").Min),
		"hours max":         num(prop("OfferInput", "hours").Max),
		"skills max":        float64(*prop("OfferInput", "skills").MaxItems),
		"seats min":         num(prop("SessionInput", "seats").Min),
		"seats max":         num(prop("SessionInput", "seats").Max),
		"level max":         num(prop("CertificationInput", "level").Max),
		"limit max":         num(param("limit").Max),
		"limit default":     param("limit").Default.(float64),
		"title max":         float64(*prop("OfferInput", "title").MaxLength),
		"provider name max": float64(*prop("ProviderInput", "name").MaxLength),
		"cursor max":        float64(*param("cursor").MaxLength),
	}
	want := map[string]float64{
		"price_cents max":   marketplace.MaxPriceCents,
		"hours min":         1,
		"hours max":         marketplace.MaxHours,
		"skills max":        marketplace.MaxSkills,
		"seats min":         1,
		"seats max":         marketplace.MaxSeats,
		"level max":         8,
		"limit max":         marketplace.MaxPageSize,
		"limit default":     marketplace.DefaultPageSize,
		"title max":         200,
		"provider name max": 200,
		"cursor max":        200,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bounds (-domain +document):\n%s", diff)
	}

	// Canonical values the document's patterns accept are exactly those
	// the domain accepts.
	matches := func(s *openapi3.Schema, v string) bool { return s.VisitJSON(v) == nil }
	siret, insee, cert := prop("ProviderInput", "siret"), prop("ProviderInput", "commune"), prop("CertificationInput", "code")
	for _, c := range []struct {
		kind, value string
		domain      bool
		schema      *openapi3.Schema
	}{
		{"SIRET", "90123456700013", true, siret},
		{"SIRET", "9012345670001", false, siret},
		{"SIRET", "9012345670001a", false, siret},
		{"certification", "RNCP37674", true, cert},
		{"certification", "RS5487", true, cert},
		{"certification", "RNCP123456", true, cert},
		{"certification", "RNCP1234567", false, cert},
		{"certification", "RNCP", false, cert},
		{"certification", "CQP1234", false, cert},
		{"INSEE", "69123", true, insee},
		{"INSEE", "2A004", true, insee},
		{"INSEE", "97411", true, insee},
		{"INSEE", "6912", false, insee},
		{"INSEE", "2C004", false, insee},
	} {
		var domain bool
		switch c.kind {
		case "SIRET":
			// The pattern checks the form; the Luhn key is the server's.
			domain = len(c.value) == 14 && strings.Trim(c.value, "0123456789") == ""
		case "certification":
			_, code, ok := marketplace.ParseCertificationCode(c.value)
			domain = ok && code == c.value
		case "INSEE":
			domain = geo.ValidINSEE(c.value)
		}
		if domain != c.domain {
			t.Errorf("%s %q: the domain says %v, the test table %v", c.kind, c.value, domain, c.domain)
		}
		if doc := matches(c.schema, c.value); doc != domain {
			t.Errorf("%s %q: the document's pattern says %v, the domain %v", c.kind, c.value, doc, domain)
		}
	}
}
