package handlers

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/api"
)

// Contracts 13 and 14: unknown routes and wrong methods are problems; the
// service routes answer. A route with a GET that answers HEAD lists both
// in Allow (head_test.go has the HEAD cases).
func TestServiceRoutes(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		for _, path := range []string{"/nope", "/docs/nope", "/channels/x", "/ports", "/ports/", "/ports/x/y", "/healthz/x"} {
			c.do(req{method: "GET", path: path}).wantProblem(t, http.StatusNotFound, "not_found")
			// A method chi does not know is no different there.
			c.do(req{method: "BREW", path: path}).wantProblem(t, http.StatusNotFound, "not_found")
		}
		for _, tc := range []struct {
			method, path string
			allow        []string
		}{
			{"GET", "/channels", []string{"POST"}},
			{"DELETE", "/ports/01ARZ3NDEKTSV4RRFFQ69G5FAV", []string{"GET", "HEAD"}},
			{"PUT", "/ports/01ARZ3NDEKTSV4RRFFQ69G5FAV/messages", []string{"GET", "POST"}},
			{"POST", "/ports/01ARZ3NDEKTSV4RRFFQ69G5FAV/events", []string{"GET"}},
			{"GET", "/ports/01ARZ3NDEKTSV4RRFFQ69G5FAV/close", []string{"POST"}},
			{"POST", "/healthz", []string{"GET", "HEAD"}},
			{"BREW", "/channels", []string{"POST"}},
		} {
			res := c.do(req{method: tc.method, path: tc.path})
			res.wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
			allow := res.header.Values("Allow")
			slices.Sort(allow)
			if !slices.Equal(allow, tc.allow) {
				t.Errorf("%s %s: Allow %v, want %v", tc.method, tc.path, allow, tc.allow)
			}
		}
		if res := c.do(req{method: "GET", path: "/healthz"}).want(t, http.StatusOK); strings.TrimSpace(string(res.body)) != `{"status":"ok"}` {
			t.Errorf("healthz: %s", res.body)
		}
		if res := c.do(req{method: "GET", path: "/readyz"}).want(t, http.StatusOK); strings.TrimSpace(string(res.body)) != `{"status":"ready"}` {
			t.Errorf("readyz: %s", res.body)
		}
		res := c.do(req{method: "GET", path: "/openapi.yaml"}).want(t, http.StatusOK)
		if ct := res.header.Get("Content-Type"); ct != "application/yaml" {
			t.Errorf("openapi.yaml Content-Type %q", ct)
		}
		if string(res.body) != string(api.Spec) {
			t.Error("openapi.yaml is not the embedded spec")
		}
	})
}
