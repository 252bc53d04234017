package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// wantClientError fails unless err is nil or one of the answers meant for
// a bad request: never an internal error.
func wantClientError(t *testing.T, body []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if k := classify(err); k.status >= 500 || k.status < 400 {
		t.Fatalf("body %q: %v answers %d %s", body, err, k.status, k.code)
	}
}

// fuzzSeeds are bodies worth starting every decoder from.
var fuzzSeeds = []string{
	`{"data":1}`, `{"data":null,"transfer":[]}`, `{"data":{"a":[1,2,{"b":"c"}]},"transfer":[{"port":"01M7Z9ZAEYB3WVD1BRTFA6JAW0","token":"t"}]}`,
	`{"through":"1-2"}`, `{"through":"01-2"}`, `{"through":5}`, `{"Data":1}`, `{"data":1,"data":2}`, `{"data":1}{"data":2}`,
	`{"data":1,}`, `[]`, `null`, `"x"`, ``, `{"data":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	"{\"data\":\"\xff\"}", `{"data":1e999999}`, `{"data":-0.0e-0}`, `{"data":"\ud800"}`, `{"transfer":[{"PORT":"x"}],"data":0}`,
	`{"transfer":{"port":"x"},"data":0}`, `{"transfer":[null],"data":0}`, "\ufeff{\"data\":1}", `{"data":1}   `,
}

// fuzzDecode decodes body into T as a handler would, and checks that the
// answer is never a server error, and that a decoded value holds no name
// the strict check should have refused.
func fuzzDecode[T any](f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		v, err := decode[T](httptest.NewRecorder(), r, 1<<16, 32)
		wantClientError(t, body, err)
		if err != nil {
			return
		}
		// What decoded is valid JSON, no deeper than allowed, and encodes
		// to something that decodes to the same value.
		if !json.Valid(body) || !checkDepth(body, 32) {
			t.Fatalf("accepted %q", body)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var w T
		if err := json.Unmarshal(again, &w); err != nil || !reflect.DeepEqual(normalize(t, v), normalize(t, w)) {
			t.Fatalf("%q: %+v re-encodes as %s: %v", body, v, again, err)
		}
	})
}

// normalize compacts the raw JSON inside v, so that values compare by
// meaning rather than spacing.
func normalize(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, b)
	return buf.String()
}

func FuzzDecodePost(f *testing.F) { fuzzDecode[postRequest](f) }

func FuzzDecodeAck(f *testing.F) { fuzzDecode[ackRequest](f) }

// FuzzReadOutgoing reads a post's body as the handler does, with a JSON
// and with a text Content-Type: never a server error, and a text body
// comes back as the same text in a JSON string.
func FuzzReadOutgoing(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	s := NewServer(nil, nil, Config{MaxJSONDepth: 16, MaxTransfer: 4})
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if asJSON {
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
		} else {
			r.Header.Set("Content-Type", "text/plain")
		}
		msg, err := s.readOutgoing(httptest.NewRecorder(), r)
		wantClientError(t, body, err)
		if err != nil {
			return
		}
		if !json.Valid(msg.Data) || bytes.ContainsAny(msg.Data, "\r\n") || len(msg.Transfer) > 4 {
			t.Fatalf("%q gave data %q, %d transfers", body, msg.Data, len(msg.Transfer))
		}
		if !asJSON {
			var text string
			if err := json.Unmarshal(msg.Data, &text); err != nil || text != string(body) {
				t.Fatalf("text %q came back as %q", body, msg.Data)
			}
		}
	})
}

// FuzzExactNames checks the strict-names check: it never panics, refuses
// only with invalid_request, and what it lets through into a struct has no
// member that matches a field only when case is ignored, and none twice.
func FuzzExactNames(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := exactNames(body, reflect.TypeFor[postRequest]())
		if err != nil {
			if !errors.Is(err, errInvalidRequest) {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		var members map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(body))
		if dec.Decode(&members) != nil {
			return
		}
		for name := range members {
			if name != "data" && name != "transfer" {
				t.Fatalf("%q: member %q let through", body, name)
			}
		}
	})
}

// FuzzCheckDepth compares the bracket count with a decoder's own idea of
// depth, on valid JSON.
func FuzzCheckDepth(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, body []byte, limit int) {
		if limit < 0 || limit > 200 || !json.Valid(body) {
			checkDepth(body, max(limit, 0)) // must not panic on anything
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		depth, deepest := 0, 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch tok {
			case json.Delim('['), json.Delim('{'):
				depth++
				deepest = max(deepest, depth)
			case json.Delim(']'), json.Delim('}'):
				depth--
			}
		}
		if got := checkDepth(body, limit); got != (deepest <= limit) {
			t.Fatalf("%q: depth %d, limit %d, checkDepth says %v", body, deepest, limit, got)
		}
	})
}
