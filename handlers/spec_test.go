package handlers

// The checks that keep api/openapi.yaml and the server in step: the spec is
// valid, the router serves exactly the spec's routes, and
// validateAgainstSpec, which the end-to-end tests call on every answer they
// get, holds a real answer against the spec.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/api"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// loadSpec parses api.Spec into a fresh document, so that callers may
// change their copy.
func loadSpec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(api.Spec)
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.yaml: %w", err)
	}
	// Message data is any JSON value, null included, so the spec gives it
	// the empty schema: OpenAPI 3.0.3 says an untyped schema admits null
	// and `nullable` means something only beside a `type` (Spectral's
	// spectral:oas refuses it elsewhere). kin-openapi admits null only
	// where `nullable: true` is, so its copy gets the flag the published
	// spec must not carry.
	data := doc.Components.Schemas["Data"]
	if data == nil || data.Value == nil {
		return nil, errors.New("api/openapi.yaml: components.schemas.Data is missing")
	}
	if data.Value.Type != nil || data.Value.Nullable {
		return nil, errors.New("api/openapi.yaml: components.schemas.Data must stay the untyped schema without nullable (any JSON value, null included)")
	}
	data.Value.Nullable = true
	return doc, nil
}

func TestSpecValid(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	// Examples are validated here as well as by Redocly and Spectral, with
	// the validator the handlers' parity tests use.
	err = doc.Validate(context.Background(),
		openapi3.EnableExamplesValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableSchemaPatternValidation(),
	)
	if err != nil {
		t.Fatalf("api/openapi.yaml is not a valid OpenAPI 3.0 document: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3 (what every generator accepts)", doc.OpenAPI)
	}
}

// specOperations are the operation ids the brief fixes, by method and path.
var specOperations = map[string]string{
	"POST /channels":            "createChannel",
	"GET /ports/{id}":           "describePort",
	"POST /ports/{id}/messages": "postMessage",
	"GET /ports/{id}/messages":  "listMessages",
	"GET /ports/{id}/events":    "streamEvents",
	"POST /ports/{id}/tickets":  "createTicket",
	"POST /ports/{id}/ack":      "ackMessages",
	"POST /ports/{id}/close":    "closePort",
	"POST /ports/{id}/transfer": "transferPort",
	"GET /healthz":              "healthz",
	"GET /readyz":               "readyz",
	"GET /openapi.yaml":         "getOpenAPI",
	"GET /metrics":              "getMetrics",
	"GET /":                     "getDemoPage",
	"GET /docs":                 "getDocsPage",
	"GET /docs/errors":          "getErrorCatalogue",

	// HEAD beside the GETs that neither change anything nor wait.
	"HEAD /ports/{id}":   "headPort",
	"HEAD /healthz":      "headHealthz",
	"HEAD /readyz":       "headReadyz",
	"HEAD /openapi.yaml": "headOpenAPI",
	"HEAD /metrics":      "headMetrics",
	"HEAD /":             "headDemoPage",
	"HEAD /docs":         "headDocsPage",
	"HEAD /docs/errors":  "headErrorCatalogue",

	"POST /ports/{id}/tokens":              "mintToken",
	"GET /ports/{id}/tokens":               "listTokens",
	"DELETE /ports/{id}/tokens/{token_id}": "revokeToken",

	// One message's raw content, and the tickets that open it.
	"GET /ports/{id}/messages/{message_id}/body":     "getMessageBody",
	"HEAD /ports/{id}/messages/{message_id}/body":    "headMessageBody",
	"POST /ports/{id}/messages/{message_id}/tickets": "createMessageTicket",

	"POST /collections":                       "createCollection",
	"GET /collections/{id}":                   "describeCollection",
	"DELETE /collections/{id}":                "deleteCollection",
	"POST /collections/{id}/members":          "addMember",
	"DELETE /collections/{id}/members/{port}": "removeMember",
	"POST /collections/{id}/messages":         "broadcastMessage",
}

// TestSpecOperations checks what generated clients rely on: operation ids,
// which token schemes each operation accepts, and that every error is a
// problem whose example code belongs to its status.
func TestSpecOperations(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	statusOf := problemStatuses(t, doc)
	for name := range specOperations {
		method, path, _ := strings.Cut(name, " ")
		if item := doc.Paths.Value(path); item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s: an operation of the brief that the spec lacks", name)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if want, ok := specOperations[name]; !ok {
				t.Errorf("%s: not an operation of the brief", name)
			} else if op.OperationID != want {
				t.Errorf("%s: operationId %q, want %q", name, op.OperationID, want)
			}

			var schemes []string
			if op.Security == nil {
				t.Errorf("%s: no security requirement; say `security: []` for a public route", name)
			} else {
				for _, req := range *op.Security {
					for s := range req {
						schemes = append(schemes, s)
					}
				}
			}
			slices.Sort(schemes)
			var want []string
			switch {
			case path == "/channels" || path == "/collections":
				// Open (the empty requirement) or a creation credential,
				// as the deployment chooses.
				want = []string{"creatorBearer"}
			case strings.HasPrefix(path, "/collections/"):
				// The collection's own token, in the header only.
				want = []string{"collectionToken"}
			case !strings.HasPrefix(path, "/ports/"):
			case path == "/ports/{id}/events":
				// A stream ticket stands in for a token on the stream only.
				want = []string{"portToken", "portTokenQuery", "streamTicket"}
			case path == "/ports/{id}/messages/{message_id}/body":
				// A message ticket, on the raw body only.
				want = []string{"messageTicketKey", "portToken", "portTokenQuery"}
			case method == http.MethodGet || method == http.MethodHead:
				want = []string{"portToken", "portTokenQuery"}
			default:
				want = []string{"portToken"}
			}
			if !slices.Equal(schemes, want) {
				t.Errorf("%s: security schemes %v, want %v (access_token only on GET and HEAD routes)", name, schemes, want)
			}

			if method == http.MethodHead {
				checkHeadOperation(t, name, op, item.Get)
				continue
			}
			for status, ref := range op.Responses.Map() {
				if status[0] != '4' && status[0] != '5' {
					continue
				}
				checkProblemResponse(t, name+" "+status, status, ref.Value, statusOf)
			}
		}
	}
	for name, ref := range doc.Components.Responses {
		for _, mt := range ref.Value.Content {
			if ex, ok := mt.Example.(map[string]any); ok {
				checkProblemResponse(t, "components/responses/"+name, fmt.Sprint(ex["status"]), ref.Value, statusOf)
			}
		}
	}
}

// checkHeadOperation checks that a HEAD operation is its path's GET
// without bodies: the same statuses, no content (so that a generated
// client reads none), and every header the GET's answer of that status
// documents.
func checkHeadOperation(t *testing.T, name string, head, get *openapi3.Operation) {
	t.Helper()
	if get == nil {
		t.Errorf("%s: no GET beside it; HEAD answers as a GET would", name)
		return
	}
	if !slices.Equal(slices.Sorted(maps.Keys(head.Responses.Map())), slices.Sorted(maps.Keys(get.Responses.Map()))) {
		t.Errorf("%s: statuses %v, the GET's %v", name,
			slices.Sorted(maps.Keys(head.Responses.Map())), slices.Sorted(maps.Keys(get.Responses.Map())))
	}
	for status, ref := range head.Responses.Map() {
		if len(ref.Value.Content) > 0 {
			t.Errorf("%s %s: describes a body; a HEAD answer has none", name, status)
		}
		g := get.Responses.Value(status)
		if g == nil {
			continue
		}
		for h := range g.Value.Headers {
			if ref.Value.Headers[h] == nil {
				t.Errorf("%s %s: no %s header, which the GET's answer has", name, status, h)
			}
		}
	}
}

// checkProblemResponse checks that an error response is a problem only and
// that its example's code, type and status agree with the table.
func checkProblemResponse(t *testing.T, where, status string, res *openapi3.Response, statusOf map[string]int) {
	t.Helper()
	if len(res.Content) != 1 || res.Content.Get("application/problem+json") == nil {
		t.Errorf("%s: error content is not exactly application/problem+json", where)
		return
	}
	ex, ok := res.Content.Get("application/problem+json").Example.(map[string]any)
	if !ok {
		t.Errorf("%s: the problem has no example", where)
		return
	}
	code, _ := ex["code"].(string)
	if got := fmt.Sprint(statusOf[code]); got != status || fmt.Sprint(ex["status"]) != status {
		t.Errorf("%s: example code %q (status %s) and status %v do not belong together", where, code, got, ex["status"])
	}
	if ex["type"] != problemTypeBase+code {
		t.Errorf("%s: example type %v, want /docs/errors#%s", where, ex["type"], code)
	}
}

// problemStatuses reads the code -> status table from the ProblemCode
// schema's x-status, and checks it lists exactly the enum's codes.
func problemStatuses(t testing.TB, doc *openapi3.T) map[string]int {
	t.Helper()
	statusOf, err := problemTable(doc)
	if err != nil {
		t.Fatal(err)
	}
	return statusOf
}

func problemTable(doc *openapi3.T) (map[string]int, error) {
	ref := doc.Components.Schemas["ProblemCode"]
	if ref == nil {
		return nil, errors.New("no ProblemCode schema")
	}
	raw, ok := ref.Value.Extensions["x-status"].(map[string]any)
	if !ok {
		return nil, errors.New("ProblemCode has no x-status table")
	}
	statusOf := make(map[string]int, len(raw))
	for code, v := range raw {
		n, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("ProblemCode x-status %s: %v is not a number", code, v)
		}
		statusOf[code] = int(n)
	}
	var enum []string
	for _, v := range ref.Value.Enum {
		enum = append(enum, fmt.Sprint(v))
	}
	keys := make([]string, 0, len(statusOf))
	for k := range statusOf {
		keys = append(keys, k)
	}
	slices.Sort(enum)
	slices.Sort(keys)
	if !slices.Equal(enum, keys) {
		return nil, fmt.Errorf("ProblemCode enum %v and x-status codes %v differ", enum, keys)
	}
	return statusOf, nil
}

// TestSpecComponentsUsed stands in for the linter's no-unused-components
// rule, which does not see references inside x- extensions.
func TestSpecComponentsUsed(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	// Responses that belong to no operation: validateAgainstSpec uses them
	// for unknown routes and wrong methods.
	routeLevel := map[string]bool{
		"#/components/responses/NotFound":         true,
		"#/components/responses/MethodNotAllowed": true,
	}
	var refs []string
	for name := range doc.Components.Schemas {
		refs = append(refs, "#/components/schemas/"+name)
	}
	for name := range doc.Components.Responses {
		refs = append(refs, "#/components/responses/"+name)
	}
	for name := range doc.Components.Parameters {
		refs = append(refs, "#/components/parameters/"+name)
	}
	for name := range doc.Components.Headers {
		refs = append(refs, "#/components/headers/"+name)
	}
	for _, ref := range refs {
		if !routeLevel[ref] && !bytes.Contains(api.Spec, []byte("'"+ref+"'")) {
			t.Errorf("%s is never referenced", ref)
		}
	}
}

// TestSpecComponentNamesDistinct checks that no two components share a
// name across their kinds once the first letter is upper case, as
// generators name the types they make of them: openapi-typescript-codegen
// exported a parameter and a schema both named Ticket, and ogen refused
// the messageTicket security scheme beside the MessageTicket schema.
func TestSpecComponentNamesDistinct(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]string{
		"schemas":         slices.Collect(maps.Keys(doc.Components.Schemas)),
		"parameters":      slices.Collect(maps.Keys(doc.Components.Parameters)),
		"responses":       slices.Collect(maps.Keys(doc.Components.Responses)),
		"requestBodies":   slices.Collect(maps.Keys(doc.Components.RequestBodies)),
		"securitySchemes": slices.Collect(maps.Keys(doc.Components.SecuritySchemes)),
	}
	seen := map[string]string{} // type name -> the component that has it
	for _, kind := range slices.Sorted(maps.Keys(kinds)) {
		for _, name := range slices.Sorted(slices.Values(kinds[kind])) {
			typeName := strings.ToUpper(name[:1]) + name[1:]
			if other, ok := seen[typeName]; ok {
				t.Errorf("%s/%s and %s both make the type name %s", kind, name, other, typeName)
			}
			seen[typeName] = kind + "/" + name
		}
	}
}

// TestRoutesMatchSpec checks both ways that the router serves exactly the
// spec's operations, by method and path: every route (HEAD routes
// included) is in the spec, and every operation of the spec (its `head:`
// operations included) is served.
func TestRoutesMatchSpec(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New(store.Limits{})
	t.Cleanup(func() { _ = st.Close() })
	srv := NewServer(slog.New(slog.DiscardHandler), st, Config{})

	served := map[string]bool{}
	walk := func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served[method+" "+route] = true
		return nil
	}
	if err := chi.Walk(srv.router, walk); err != nil {
		t.Fatalf("walk the router: %v", err)
	}
	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}

	var onlyServed, onlyDescribed []string
	for r := range served {
		if !described[r] {
			onlyServed = append(onlyServed, r)
		}
	}
	for r := range described {
		if !served[r] {
			onlyDescribed = append(onlyDescribed, r)
		}
	}
	slices.Sort(onlyServed)
	slices.Sort(onlyDescribed)
	if len(onlyServed) > 0 || len(onlyDescribed) > 0 {
		t.Errorf("the router (handlers/routes.go) and api/openapi.yaml disagree:\n"+
			"  served but not in the spec:   %s\n"+
			"  in the spec but not served:   %s",
			listOrNone(onlyServed), listOrNone(onlyDescribed))
	}
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

// contract is the spec prepared for checking answers: every object schema
// that lists its properties is closed (additionalProperties: false), and the
// servers are dropped so that any host matches.
type contract struct {
	doc      *openapi3.T
	router   routers.Router
	statusOf map[string]int
}

// The spec leaves response objects open so that adding a field later does
// not break generated clients; the tests close them so that a field the
// spec does not describe is caught.
var loadContract = sync.OnceValues(func() (*contract, error) {
	doc, err := loadSpec()
	if err != nil {
		return nil, err
	}
	doc.Servers = nil
	// A page is checked as the string it is (its schema is type: string).
	openapi3filter.RegisterBodyDecoder("text/html", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		return string(b), err
	})
	// An inline allOf branch sees the whole object, so closing it would
	// refuse the other branches' fields; a branch by $ref is closed like
	// any named schema (Problem lists every field a problem may have).
	inlineBranches := map[*openapi3.Schema]bool{}
	err = doc.WalkSchemas(func(_ string, s *openapi3.SchemaRef) error {
		for _, b := range s.Value.AllOf {
			if b.Ref == "" {
				inlineBranches[b.Value] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find allOf branches: %w", err)
	}
	err = doc.WalkSchemas(func(_ string, s *openapi3.SchemaRef) error {
		v := s.Value
		if len(v.Properties) > 0 && !inlineBranches[v] && v.AdditionalProperties.Has == nil && v.AdditionalProperties.Schema == nil {
			closed := false
			v.AdditionalProperties.Has = &closed
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("close the schemas: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route api/openapi.yaml: %w", err)
	}
	statusOf, err := problemTable(doc)
	if err != nil {
		return nil, err
	}
	return &contract{doc: doc, router: router, statusOf: statusOf}, nil
})

// validateAgainstSpec reports, as a test error, every way in which a real
// answer to req disagrees with api/openapi.yaml: an undocumented status, a
// content type or body the spec does not describe, a missing required
// header, a problem whose code does not belong to its status. body is the
// answer's body, already read. Event streams are checked by status,
// headers and content type only.
func validateAgainstSpec(t testing.TB, req *http.Request, res *http.Response, body []byte) {
	t.Helper()
	if err := checkAgainstSpec(req, res, body); err != nil {
		t.Errorf("%s %s -> %d: the answer does not match api/openapi.yaml: %v\nbody: %.2000s",
			req.Method, req.URL.Path, res.StatusCode, err, body)
	}
}

// validateEventData reports, as a test error, an SSE event's data that
// does not match the named schema of api/openapi.yaml (see the stream's
// x-sse-events), closed like every schema of the contract.
func validateEventData(t testing.TB, schema, data string) {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	ref := c.doc.Components.Schemas[schema]
	if ref == nil {
		t.Fatalf("api/openapi.yaml has no schema %s", schema)
	}
	var v any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatalf("event data %q: %v", data, err)
	}
	if err := ref.Value.VisitJSON(v, openapi3.EnableFormatValidation(), openapi3.MultiErrors()); err != nil {
		t.Errorf("event data does not match %s: %v\ndata: %.2000s", schema, err, data)
	}
}

// checkAgainstSpec is validateAgainstSpec returning its finding, so that
// it can be tested.
func checkAgainstSpec(req *http.Request, res *http.Response, body []byte) error {
	c, err := loadContract()
	if err != nil {
		return err
	}
	route, params, err := c.router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		route = c.routeLevel(req, http.StatusMethodNotAllowed, "MethodNotAllowed")
	case errors.Is(err, routers.ErrPathNotFound):
		route = c.routeLevel(req, http.StatusNotFound, "NotFound")
	case err != nil:
		return fmt.Errorf("find the route: %w", err)
	}

	spec := route.Operation.Responses.Status(res.StatusCode)
	if spec == nil {
		return fmt.Errorf("status %d is not documented for %s %s", res.StatusCode, route.Method, route.Path)
	}
	mediaType := ""
	if ct := res.Header.Get("Content-Type"); ct != "" {
		if mediaType, _, err = mime.ParseMediaType(ct); err != nil {
			return fmt.Errorf("content type %q: %w", ct, err)
		}
	}
	// A HEAD answer is the GET's without the body: its Content-Type is
	// the one the GET's answer of that status documents.
	head := req.Method == http.MethodHead
	typed := spec
	if head {
		if len(body) > 0 {
			return fmt.Errorf("a HEAD answer with %d bytes of body", len(body))
		}
		typed = c.getAnswer(req, res.StatusCode, spec)
	}
	if len(typed.Value.Content) == 0 {
		if len(body) > 0 || mediaType != "" {
			return fmt.Errorf("status %d has no body in the spec, got %d bytes of %q", res.StatusCode, len(body), mediaType)
		}
	} else if typed.Value.Content.Get(mediaType) == nil {
		return fmt.Errorf("content type %q is not documented for status %d", mediaType, res.StatusCode)
	}

	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		// The server checked the token; the spec's schemes are not ours
		// to re-check here.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// An event stream is not a JSON value: its frames are checked by
		// the stream tests.
		ExcludeResponseBody:     mediaType == "text/event-stream" || head,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()},
	}
	validated := req
	if head {
		// kin-openapi checks nothing at all of an answer to a HEAD; as a
		// GET's, checked against the HEAD operation, its headers are.
		validated = req.Clone(req.Context())
		validated.Method = http.MethodGet
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    validated,
			PathParams: params,
			Route:      route,
			Options:    opts,
		},
		Status:  res.StatusCode,
		Header:  res.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return err
	}
	if mediaType == "application/problem+json" && !head {
		return c.checkProblem(res.StatusCode, body)
	}
	return nil
}

// getAnswer is the answer the GET of req's URL documents for status; or
// fallback when there is none, as for a HEAD refused before any operation
// (405, 404), whose route-level answer describes its type.
func (c *contract) getAnswer(req *http.Request, status int, fallback *openapi3.ResponseRef) *openapi3.ResponseRef {
	get := req.Clone(req.Context())
	get.Method = http.MethodGet
	route, _, err := c.router.FindRoute(get)
	if err != nil {
		return fallback
	}
	if r := route.Operation.Responses.Status(status); r != nil {
		return r
	}
	return fallback
}

// routeLevel makes a stand-in operation for a request that matches no
// operation of the spec, answered by the named component response, or by
// RateLimited, since the rate limits come before routing.
func (c *contract) routeLevel(req *http.Request, status int, response string) *routers.Route {
	return &routers.Route{
		Spec:   c.doc,
		Path:   req.URL.Path,
		Method: req.Method,
		Operation: &openapi3.Operation{
			Responses: openapi3.NewResponses(
				openapi3.WithStatus(status, c.doc.Components.Responses[response]),
				openapi3.WithStatus(http.StatusTooManyRequests, c.doc.Components.Responses["RateLimited"]),
			),
		},
	}
}

// checkProblem checks what a schema cannot say: a problem's code belongs to
// the answer's status, its type and status fields repeat them, and it has
// the extension members of its code (problemMembers).
func (c *contract) checkProblem(status int, body []byte) error {
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("problem: %w", err)
	}
	switch {
	case c.statusOf[p.Code] != status:
		return fmt.Errorf("problem code %q belongs to status %d, not %d", p.Code, c.statusOf[p.Code], status)
	case p.Status != status:
		return fmt.Errorf("problem status field %d, answer status %d", p.Status, status)
	case p.Type != problemTypeBase+p.Code:
		return fmt.Errorf("problem type %q, want /docs/errors#%s", p.Type, p.Code)
	}
	return checkProblemMembers(p.Code, body)
}

// problemMembers lists, by code, the sets of extension members a problem
// of that code may have, as the Problem schema's description says: one
// Problem schema describes every code (generators make one type of it, where
// a choice of schemas stopped some), so these per-code rules are checked
// here. A code not listed has none; a code whose sets do not include the
// empty one must have one of them.
var problemMembers = map[string][][]string{
	"invalid_transfer": {{"port", "reason", "transfer_index"}},
	"invalid_member":   {{"member_code", "port"}},
	"port_busy":        {{}, {"port", "reason", "transfer_index"}, {"port"}},
	"unavailable":      {{}, {"port"}},
}

// problemExtensions are the Problem schema's members beyond RFC 9457's and
// code.
var problemExtensions = []string{"member_code", "port", "reason", "transfer_index"}

// checkProblemMembers checks that a problem of code has one of the sets of
// extension members problemMembers allows it.
func checkProblemMembers(code string, body []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return fmt.Errorf("problem: %w", err)
	}
	have := []string{}
	for _, name := range problemExtensions {
		if _, ok := fields[name]; ok {
			have = append(have, name)
		}
	}
	allowed := problemMembers[code]
	if allowed == nil {
		allowed = [][]string{{}}
	}
	for _, set := range allowed {
		if slices.Equal(have, set) {
			return nil
		}
	}
	return fmt.Errorf("problem %q has the extension members %v; its code allows exactly one of %v", code, have, allowed)
}

// answer fabricates a response for testing checkAgainstSpec.
func answer(status int, contentType, body string, header ...string) *http.Response {
	res := &http.Response{StatusCode: status, Header: http.Header{}}
	if contentType != "" {
		res.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		res.Header.Set(header[i], header[i+1])
	}
	return res
}

// bodyHeaders are the headers of a raw body's answer, Content-Type aside.
var bodyHeaders = []string{
	"Content-Security-Policy", "sandbox; default-src 'none'; frame-ancestors 'none'",
	"Content-Disposition", "inline",
	"Cache-Control", "private, no-store",
	"ETag", `"0123456789abcdef0123456789abcdef"`,
	"Content-Length", "7",
	"X-Content-Type-Options", "nosniff",
}

const (
	testPort  = "01KAK9Q01VBCAB18KVMXVCJ4NX"
	testPeer  = "01KAK9Q01VBCAB18KVMXN4YNBZ"
	testToken = "0voxnM0Y3nhDl52Cxhozk_TeftiHmGA7tQCYu2ol4rs"
)

func problemBody(status int, code string) string {
	return fmt.Sprintf(`{"type":"/docs/errors#%s","title":"T","status":%d,"detail":"d","code":%q}`, code, status, code)
}

// specCase is one fabricated exchange for the self-test of
// checkAgainstSpec.
type specCase struct {
	name   string
	method string
	path   string
	res    *http.Response
	body   string
}

func TestCheckAgainstSpecAccepts(t *testing.T) {
	msg := `{"id":"1763731800456-0","port":"` + testPort + `","data":null,"ports":[{"id":"` + testPeer + `","token":"` + testToken + `"}],"source":"` + testPort + `","sent_at":"2025-11-21T13:30:00.4567Z","origin":""}`
	cases := []specCase{
		{"health", "GET", "/healthz", answer(200, "application/json", ""), `{"status":"ok"}`},
		{"channel", "POST", "/channels", answer(201, "application/json; charset=utf-8", ""),
			`{"id":"01KAK9Q01VBCAB18KVMXX5178Z","created_at":"2025-11-21T13:30:00Z","port1":{"id":"` + testPort + `","token":"` + testToken + `"},"port2":{"id":"` + testPeer + `","token":"` + testToken + `"}}`},
		{"open port", "GET", "/ports/" + testPort, answer(200, "application/json", ""),
			`{"id":"` + testPort + `","channel":"01KAK9Q01VBCAB18KVMXX5178Z","peer":"` + testPeer + `","state":"open","created_at":"2025-11-21T13:30:00.1Z","queued":0,"queued_bytes":0,"last_event_id":"","acked_event_id":"","posted":0,"acknowledged":0}`},
		{"messages", "GET", "/ports/" + testPort + "/messages", answer(200, "application/json", ""),
			`{"messages":[` + msg + `],"message_errors":[],"next":"1763731800456-0","state":"closed"}`},
		{"messages with an origin and an error", "GET", "/ports/" + testPort + "/messages", answer(200, "application/json", ""),
			`{"messages":[` + strings.Replace(msg, `"origin":""`, `"origin":"https://[::1]:8443"`, 1) + `],"message_errors":[{"id":"1763731800456-1","port":"` + testPort + `","error":"no data"}],"next":"1763731800456-1","state":"open"}`},
		{"posted", "POST", "/ports/" + testPort + "/messages", answer(201, "application/json", ""), `{"id":"1763731800456-0"}`},
		{"a binary message", "GET", "/ports/" + testPort + "/messages", answer(200, "application/json", ""),
			`{"messages":[` + strings.Replace(msg, `"data":null`, `"binary":"AAEC/w==","content_type":"image/png; name=x"`, 1) + `],"message_errors":[],"next":"1763731800456-0","state":"open"}`},
		{"raw body", "GET", "/ports/" + testPort + "/messages/1763731800456-0/body", answer(200, "image/png", "", bodyHeaders...), "\x89PNG\r\n"},
		{"raw body part", "GET", "/ports/" + testPort + "/messages/1763731800456-0/body",
			answer(206, "video/mp4", "", append(bodyHeaders, "Content-Range", "bytes 0-1/7")...), "\x00\x01"},
		{"raw body HEAD", "HEAD", "/ports/" + testPort + "/messages/1763731800456-0/body", answer(200, "text/html", "", bodyHeaders...), ""},
		{"raw body not modified", "GET", "/ports/" + testPort + "/messages/1763731800456-0/body", answer(304, "", "", "ETag", `"0123456789abcdef0123456789abcdef"`), ""},
		{"range not satisfiable", "GET", "/ports/" + testPort + "/messages/1763731800456-0/body",
			answer(416, "application/problem+json", "", "Content-Range", "bytes */7"), problemBody(416, "range_not_satisfiable")},
		{"a message ticket", "POST", "/ports/" + testPort + "/messages/1763731800456-0/tickets", answer(201, "application/json", "", "Cache-Control", "no-store"),
			`{"ticket":"` + testToken + `","url":"/ports/` + testPort + `/messages/1763731800456-0/body?ticket=` + testToken + `","expires_at":"2025-11-21T13:31:00.5Z"}`},
		{"no Content-Type", "POST", "/ports/" + testPort + "/messages", answer(415, "application/problem+json", ""), problemBody(415, "content_type_required")},
		{"acked", "POST", "/ports/" + testPort + "/ack", answer(204, "", ""), ""},
		{"stream", "GET", "/ports/" + testPort + "/events",
			answer(200, "text/event-stream", "", "Cache-Control", "no-cache", "X-Accel-Buffering", "no"), "retry: 2000\n\n"},
		{"drained stream", "GET", "/ports/" + testPort + "/events", answer(204, "", ""), ""},
		{"unauthorized", "GET", "/ports/nonsense/events",
			answer(401, "application/problem+json", "", "WWW-Authenticate", `Bearer realm="tincan"`), problemBody(401, "unauthorized")},
		{"refused transfer", "POST", "/ports/" + testPort + "/messages", answer(422, "application/problem+json", ""),
			`{"type":"/docs/errors#invalid_transfer","title":"T","status":422,"detail":"d","code":"invalid_transfer","transfer_index":1,"port":"x","reason":"duplicate"}`},
		{"queue full", "POST", "/ports/" + testPort + "/messages",
			answer(429, "application/problem+json", "", "Retry-After", "1"), problemBody(429, "queue_full")},
		{"rate limited", "POST", "/ports/" + testPort + "/close",
			answer(429, "application/problem+json", "", "Retry-After", "3"), problemBody(429, "rate_limited")},
		{"unknown route rate limited", "GET", "/nowhere",
			answer(429, "application/problem+json", "", "Retry-After", "1"), problemBody(429, "rate_limited")},
		{"replayed post", "POST", "/ports/" + testPort + "/messages",
			answer(201, "application/json", "", "Idempotent-Replayed", "true"), `{"id":"1763731800456-0"}`},
		{"key reused", "POST", "/ports/" + testPort + "/messages", answer(422, "application/problem+json", ""), problemBody(422, "idempotency_key_reused")},
		{"busy transfer entry", "POST", "/ports/" + testPort + "/messages", answer(409, "application/problem+json", "", "Retry-After", "1"),
			`{"type":"/docs/errors#port_busy","title":"T","status":409,"detail":"d","code":"port_busy","transfer_index":0,"port":"x","reason":"busy"}`},
		{"post in flight", "POST", "/ports/" + testPort + "/messages",
			answer(409, "application/problem+json", "", "Retry-After", "1"), problemBody(409, "idempotency_in_flight")},
		{"creation in flight", "POST", "/channels",
			answer(409, "application/problem+json", "", "Retry-After", "1"), problemBody(409, "idempotency_in_flight")},
		{"unknown route", "GET", "/nowhere", answer(404, "application/problem+json", ""), problemBody(404, "not_found")},
		{"wrong method", "DELETE", "/ports/" + testPort,
			answer(405, "application/problem+json", "", "Allow", "GET"), problemBody(405, "method_not_allowed")},
		{"spec", "GET", "/openapi.yaml", answer(200, "application/yaml", ""), string(api.Spec)},
		{"health HEAD", "HEAD", "/healthz", answer(200, "application/json", ""), ""},
		{"page HEAD", "HEAD", "/docs", answer(200, "text/html; charset=utf-8", "", "Content-Length", "5120", "ETag", `"x"`), ""},
		{"port HEAD refused", "HEAD", "/ports/" + testPort,
			answer(401, "application/problem+json", "", "WWW-Authenticate", `Bearer realm="tincan"`), ""},
		{"stream HEAD", "HEAD", "/ports/" + testPort + "/events",
			answer(405, "application/problem+json", "", "Allow", "GET"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			if err := checkAgainstSpec(req, tc.res, []byte(tc.body)); err != nil {
				t.Errorf("a conforming answer was refused: %v", err)
			}
		})
	}
}

func TestCheckAgainstSpecRefuses(t *testing.T) {
	cases := []specCase{
		{"undocumented status", "GET", "/healthz", answer(418, "application/json", ""), `{"status":"ok"}`},
		{"wrong enum value", "GET", "/healthz", answer(200, "application/json", ""), `{"status":"fine"}`},
		{"undescribed field", "GET", "/healthz", answer(200, "application/json", ""), `{"status":"ok","uptime":3}`},
		{"wrong content type", "GET", "/healthz", answer(200, "text/plain", ""), `ok`},
		{"missing field", "POST", "/ports/" + testPort + "/messages", answer(201, "application/json", ""), `{}`},
		{"bad event id", "POST", "/ports/" + testPort + "/messages", answer(201, "application/json", ""), `{"id":"7"}`},
		{"local time", "POST", "/channels", answer(201, "application/json", ""),
			`{"id":"01KAK9Q01VBCAB18KVMXX5178Z","created_at":"2025-11-21T14:30:00+01:00","port1":{"id":"` + testPort + `","token":"` + testToken + `"},"port2":{"id":"` + testPeer + `","token":"` + testToken + `"}}`},
		{"ports null", "GET", "/ports/" + testPort + "/messages", answer(200, "application/json", ""),
			`{"messages":[{"id":"1-0","data":1,"ports":null,"source":"` + testPort + `","sent_at":"2025-11-21T13:30:00Z"}],"next":"1-0","state":"open"}`},
		{"no message_errors", "GET", "/ports/" + testPort + "/messages", answer(200, "application/json", ""), `{"messages":[],"next":"","state":"open"}`},
		{"origin with a path", "GET", "/ports/" + testPort + "/messages", answer(200, "application/json", ""),
			`{"messages":[{"id":"1-0","port":"` + testPort + `","data":1,"ports":[],"source":"` + testPort + `","sent_at":"2025-11-21T13:30:00Z","origin":"https://a.example/x"}],"message_errors":[],"next":"1-0","state":"open"}`},
		{"message error without a reason", "GET", "/ports/" + testPort + "/messages", answer(200, "application/json", ""),
			`{"messages":[],"message_errors":[{"id":"1-0","port":"` + testPort + `"}],"next":"1-0","state":"open"}`},
		{"body on 204", "POST", "/ports/" + testPort + "/close", answer(204, "application/json", ""), `{}`},
		{"binary not base64", "GET", "/ports/" + testPort + "/messages", answer(200, "application/json", ""),
			`{"messages":[{"id":"1-0","port":"` + testPort + `","binary":"not base64!","content_type":"image/png","ports":[],"source":"` + testPort + `","sent_at":"2025-11-21T13:30:00Z","origin":""}],"message_errors":[],"next":"1-0","state":"open"}`},
		{"raw body without its sandbox", "GET", "/ports/" + testPort + "/messages/1763731800456-0/body",
			answer(200, "text/html", "", "Content-Disposition", "attachment", "Cache-Control", "private, no-store", "ETag", `"0123456789abcdef0123456789abcdef"`, "Content-Length", "5", "X-Content-Type-Options", "nosniff"), "<b>x"},
		{"raw body inline as anything", "GET", "/ports/" + testPort + "/messages/1763731800456-0/body",
			answer(200, "text/html", "", append(bodyHeaders[:len(bodyHeaders):len(bodyHeaders)], "Content-Disposition", "render")...), "<b>x"},
		{"raw body cached", "GET", "/ports/" + testPort + "/messages/1763731800456-0/body",
			answer(200, "image/png", "", append(bodyHeaders[:len(bodyHeaders):len(bodyHeaders)], "Cache-Control", "public")...), "x"},
		{"no WWW-Authenticate", "POST", "/ports/" + testPort + "/close", answer(401, "application/problem+json", ""), problemBody(401, "unauthorized")},
		{"no Retry-After", "POST", "/ports/" + testPort + "/messages", answer(429, "application/problem+json", ""), problemBody(429, "queue_full")},
		{"rate limited without Retry-After", "GET", "/ports/" + testPort, answer(429, "application/problem+json", ""), problemBody(429, "rate_limited")},
		{"health check rate limited", "GET", "/healthz",
			answer(429, "application/problem+json", "", "Retry-After", "1"), problemBody(429, "rate_limited")},
		{"error as plain JSON", "POST", "/ports/" + testPort + "/transfer", answer(410, "application/json", ""), problemBody(410, "port_closed")},
		{"code of another status", "POST", "/ports/" + testPort + "/transfer", answer(410, "application/problem+json", ""), problemBody(410, "queue_full")},
		{"unknown code", "POST", "/ports/" + testPort + "/transfer", answer(410, "application/problem+json", ""), problemBody(410, "gone")},
		{"undescribed field in a transfer problem", "POST", "/ports/" + testPort + "/messages", answer(422, "application/problem+json", ""),
			`{"type":"/docs/errors#invalid_transfer","title":"T","status":422,"detail":"d","code":"invalid_transfer","transfer_index":1,"port":"x","reason":"self","stack":"..."}`},
		{"transfer problem without index", "POST", "/ports/" + testPort + "/messages", answer(422, "application/problem+json", ""),
			`{"type":"/docs/errors#invalid_transfer","title":"T","status":422,"detail":"d","code":"invalid_transfer","port":"x","reason":"self"}`},
		{"transfer problem without its members", "POST", "/ports/" + testPort + "/messages", answer(422, "application/problem+json", ""), problemBody(422, "invalid_transfer")},
		{"key reused with transfer members", "POST", "/ports/" + testPort + "/messages", answer(422, "application/problem+json", ""),
			`{"type":"/docs/errors#idempotency_key_reused","title":"T","status":422,"detail":"d","code":"idempotency_key_reused","transfer_index":1,"port":"x","reason":"self"}`},
		{"transfer problem with a member code", "POST", "/ports/" + testPort + "/messages", answer(422, "application/problem+json", ""),
			`{"type":"/docs/errors#invalid_transfer","title":"T","status":422,"detail":"d","code":"invalid_transfer","transfer_index":1,"port":"x","reason":"self","member_code":"unauthorized"}`},
		{"in flight without Retry-After", "POST", "/channels", answer(409, "application/problem+json", ""), problemBody(409, "idempotency_in_flight")},
		{"key reused on a creation", "POST", "/channels", answer(422, "application/problem+json", ""), problemBody(422, "idempotency_key_reused")},
		{"replayed as yes", "POST", "/ports/" + testPort + "/messages",
			answer(201, "application/json", "", "Idempotent-Replayed", "yes"), `{"id":"1763731800456-0"}`},
		{"stream as JSON", "GET", "/ports/" + testPort + "/events",
			answer(200, "application/json", "", "Cache-Control", "no-cache", "X-Accel-Buffering", "no"), `{}`},
		{"stream without no-cache", "GET", "/ports/" + testPort + "/events",
			answer(200, "text/event-stream", "", "X-Accel-Buffering", "no"), "retry: 2000\n\n"},
		{"405 without Allow", "PUT", "/healthz", answer(405, "application/problem+json", ""), problemBody(405, "method_not_allowed")},
		{"unknown route answered 401", "GET", "/nowhere", answer(401, "application/problem+json", "", "WWW-Authenticate", "Bearer"), problemBody(401, "unauthorized")},
		{"HEAD with a body", "HEAD", "/healthz", answer(200, "application/json", ""), `{"status":"ok"}`},
		{"HEAD of a type the GET lacks", "HEAD", "/healthz", answer(200, "text/plain", ""), ""},
		{"page HEAD without its length", "HEAD", "/docs", answer(200, "text/html", ""), ""},
		{"HEAD 401 without WWW-Authenticate", "HEAD", "/ports/" + testPort, answer(401, "application/problem+json", ""), ""},
		{"HEAD of a status the GET lacks", "HEAD", "/ports/" + testPort, answer(410, "application/problem+json", ""), ""},
		{"HEAD stream served", "HEAD", "/ports/" + testPort + "/events",
			answer(200, "text/event-stream", "", "Cache-Control", "no-cache", "X-Accel-Buffering", "no"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			err := checkAgainstSpec(req, tc.res, []byte(tc.body))
			if err == nil {
				t.Fatal("a wrong answer was accepted")
			}
			t.Logf("refused as it should be: %v", err)
		})
	}
}
