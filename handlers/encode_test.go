package handlers

import (
	"bytes"
	"errors"
	"log/slog"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// decode is strict, and says what was wrong in words for the client.
func TestDecode(t *testing.T) {
	type body struct {
		Through store.EventID `json:"through"`
		N       int           `json:"n"`
		List    []string      `json:"list"`
	}
	tests := []struct {
		in     string
		err    error
		detail string // a part of the detail
	}{
		{`{"through":"1-2","n":3,"list":["a"]}`, nil, ""},
		{` {"n":1} `, nil, ""},
		{``, errInvalidRequest, "empty"},
		{`{"n":`, errInvalidRequest, "ends in the middle"},
		{`{"n":1,}`, errInvalidRequest, "not valid JSON"},
		{`{"m":1}`, errInvalidRequest, `unknown field "m"`},
		{`{"n":"1"}`, errInvalidRequest, `"n" must be a JSON number`},
		{`{"list":{}}`, errInvalidRequest, `"list" must be a JSON array`},
		{`{"through":5}`, errInvalidRequest, `"through" must be a JSON string`},
		{`{"through":"1-x"}`, errInvalidRequest, "malformed event id"},
		{`[]`, errInvalidRequest, "must be a JSON object"},
		{`{"n":1}{"n":2}`, errInvalidRequest, "more than one JSON value"},
		{`{"n":1}]`, errInvalidRequest, "not valid JSON"},
		{`{"list":["` + strings.Repeat("x", 100) + `"]}`, errTooLarge, ""},
		{`{"N":1}`, errInvalidRequest, `unknown field "N"`},
		{`{"n":1,"n":2}`, errInvalidRequest, `"n" more than once`},
		{"{\"list\":[\"\xff\"]}", errInvalidRequest, "UTF-8"},
		{`{"list":[],"x":[[[[[]]]]]}`, errInvalidRequest, "more than 4 deep"},
		{`{"list":["[[[[[[[[[["]}`, nil, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.in))
		_, err := decode[body](httptest.NewRecorder(), r, 64, 4)
		if tt.err == nil {
			if err != nil {
				t.Errorf("%s: %v", tt.in, err)
			}
			continue
		}
		if k := classify(err); !errors.Is(err, tt.err) && k.err != tt.err {
			t.Errorf("%s: %v (%s), want %v", tt.in, err, k.code, tt.err)
			continue
		}
		var re *requestError
		if tt.detail != "" && (!errors.As(err, &re) || !strings.Contains(re.detail, tt.detail)) {
			t.Errorf("%s: detail of %v lacks %q", tt.in, err, tt.detail)
		}
	}
}

// Member names are exact and unique at every depth of our own types, and
// the sender's data is left as it is.
func TestDecodeExactNames(t *testing.T) {
	tests := []struct {
		in     string
		detail string // a part of the detail, or "" when the body is fine
	}{
		{`{"data":{"a":1,"a":2,"A":3},"transfer":[{"port":"p","token":"t"}]}`, ""},
		{`{"Data":1}`, `unknown field "Data"`},
		{`{"data":1,"data":2}`, `"data" more than once`},
		{`{"data":1,"transfer":[{"port":"p","Token":"t"}]}`, `unknown field "Token"`},
		{`{"data":1,"transfer":[{"port":"p","port":"q","token":"t"}]}`, `"port" more than once`},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.in))
		_, err := decode[postRequest](httptest.NewRecorder(), r, 1024, DefaultMaxJSONDepth)
		var re *requestError
		switch {
		case tt.detail == "" && err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.detail != "" && (!errors.As(err, &re) || !strings.Contains(re.detail, tt.detail)):
			t.Errorf("%s: got %v, want a detail with %q", tt.in, err, tt.detail)
		}
	}
}

// The request log never holds a token: from the header, from the query
// whatever the parameter's case, or put in the path by mistake, on a route
// or on none. Ids and the routes' words stay readable.
func TestRequestLogHidesTokens(t *testing.T) {
	mem := memory.New(store.Limits{})
	defer mem.Close()
	var logs bytes.Buffer
	s := NewServer(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), mem, Config{})
	const id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	for _, tc := range []struct{ method, target, path string }{
		{"GET", "/ports/" + id + "/messages?access_token=sekrit-query", "/ports/" + id + "/messages"},
		{"GET", "/ports/" + id + "/messages?ACCESS_TOKEN=sekrit-query&wait=1", "/ports/" + id + "/messages"},
		{"GET", "/ports/" + id + "/events?Ticket=sekrit-ticket", "/ports/" + id + "/events"},
		{"GET", "/ports/sekrit-path/messages", "/ports/REDACTED/messages"},
		{"GET", "/ports/sekrit-path", "/ports/REDACTED"},
		{"DELETE", "/ports/" + id + "/tokens/sekrit-path", "/ports/" + id + "/tokens/REDACTED"},
		{"GET", "/sekrit-path/" + id, "/REDACTED/" + id},
		{"POST", "/channels/sekrit-path", "/channels/REDACTED"},
	} {
		logs.Reset()
		r := httptest.NewRequest(tc.method, tc.target, nil)
		r.Header.Set("Authorization", "Bearer sekrit-header")
		s.ServeHTTP(httptest.NewRecorder(), r)
		if !strings.Contains(logs.String(), "msg=request ") || !strings.Contains(logs.String(), " path="+tc.path+" ") {
			t.Errorf("%s %s: no request log with path=%s: %s", tc.method, tc.target, tc.path, logs.String())
		}
		if strings.Contains(logs.String(), "sekrit") {
			t.Errorf("%s %s: a secret was logged: %s", tc.method, tc.target, logs.String())
		}
	}
}

// TestLoggedParams: the query parameters whose values are logged are the
// spec's, but for the one that carries a credential.
func TestLoggedParams(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	spec := map[string]bool{}
	for _, p := range doc.Components.Parameters {
		if p.Value.In == "query" && p.Value.Name != ticketParam {
			spec[p.Value.Name] = true
		}
	}
	if !maps.Equal(spec, loggedParams) {
		t.Errorf("the spec's query parameters, less ticket: %v; loggedParams: %v", spec, loggedParams)
	}
}
