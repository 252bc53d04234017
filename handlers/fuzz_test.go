package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
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

// edgeBodies are bodies at the edges of reading an object: where it stops,
// where it fails, escaped names, values of every kind and their ends.
var edgeBodies = []string{
	` `, `{`, `}`, `[`, `{}`, ` { } `, `{]`, `"x"`, `1`,
	`{"data":1,"data":2`, `{"data":1,"data":2]`,
	`{"data":1 , "transfer" : [ ] }`, "{\t\"data\"\n:\r1}",
	`{,"data":1}`, `{"data"1}`, `{"data":}`, `{"data":`, `{"data"`, `{"data`,
	`{"data":1"x"}`, `{"data":1x}`, `{"data":truex}`, `{"data":true false}`, `{"data":1-2}`,
	`{"data":1e}`, `{"data":1.5e+3}`, `{"data":-0}`, `{"data":01}`, `{"data":+1}`, `{"data":.5}`,
	`{"data":"a""b"}`, `{"data":"a\"b"}`, `{"data":"a\\"}`, `{"data":"\u00e9"}`, `{"data":"\x"}`,
	`{"data":{"a":[1,{"b":"}"}]}}`, `{"data":{"a":[1,{"b":"}"}]}`, `{"data":[}]}`, `{"data":{]}`,
	`{"data":[1,2,]}`, `{"data":nul}`, `{"data":null}garbage`, `{"data":1} {"data":2}`,
	`{"d\u0061ta":1}`, `{"d\u0061ta":1,"data":2}`, `{"\ud800":1}`, `{"\q":1}`, `{"a` + "\x01" + `":1}`,
	`{"data":"` + "\x01" + `"}`, `{"data":1:}`, `{"data":1{}}`, `{"data":1[]}`,
	`{"transfer":[{"port":"p","token":"t"},{"Port":"p"}]}`, `{"data":1,"transfer":null}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}`, `{"data":{"x":"y"}}trailing`,
	"{\"\x85\":0", `{"data":{"a":1,"a":2,"A":3}}`, "{\"data\":\"\u2028<&>\"}",
}

// addSeeds gives f every seed body, once for each of the extra arguments'
// sets.
func addSeeds(f *testing.F, extra ...[]any) {
	if len(extra) == 0 {
		extra = [][]any{nil}
	}
	for _, s := range append(fuzzSeeds, edgeBodies...) {
		for _, e := range extra {
			f.Add(append([]any{[]byte(s)}, e...)...)
		}
	}
}

// jsonDepth is how deeply the JSON text body nests arrays and objects, as
// encoding/json's decoder walks it, and whether it is one valid value.
func jsonDepth(body []byte) (int, bool) {
	if !json.Valid(body) {
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest, true
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
			deepest = max(deepest, depth)
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
}

// fuzzDecode decodes body into T as a handler would, and checks that the
// answer is never a server error, and that a decoded value holds no name
// the strict check should have refused.
func fuzzDecode[T any](f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		v, err := decode[T](httptest.NewRecorder(), r, 1<<16, 32)
		wantClientError(t, body, err)
		if err != nil {
			return
		}
		// What decoded is valid JSON, no deeper than allowed, and encodes
		// to something that decodes to the same value.
		if depth, ok := jsonDepth(body); !ok || depth > 32 {
			t.Fatalf("accepted %q", body)
		}
		again := v2JSON(t, v)
		w, err := decodeJSON[T](again, 32)
		if err != nil || !bytes.Equal(v2JSON(t, w), again) {
			t.Fatalf("%q: %+v re-encodes as %s: %v", body, v, again, err)
		}
	})
}

func FuzzDecodePost(f *testing.F) { fuzzDecode[postRequest](f) }

func FuzzDecodeAck(f *testing.F) { fuzzDecode[ackRequest](f) }

// FuzzReadOutgoing reads a post's body as the handler does, with a JSON
// and with a text Content-Type: never a server error, and a text body
// comes back as the same text in a JSON string. Data is stored compact,
// exactly as encoding/json's Compact makes it, and as encoding/json
// writes a text body's string.
func FuzzReadOutgoing(f *testing.F) {
	addSeeds(f, []any{true}, []any{false})
	s := NewServer(nil, nil, Config{MaxJSONDepth: 16, MaxTransfer: 4})
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if asJSON {
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
		} else {
			r.Header.Set("Content-Type", "text/plain")
		}
		msg, _, err := s.readMessage(httptest.NewRecorder(), r, false)
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
			if want := v1JSON(t, text); !bytes.Equal(msg.Data, want) {
				t.Fatalf("text %q stored as %q; encoding/json writes %q", body, msg.Data, want)
			}
			return
		}
		var sent struct{ Data json.RawMessage }
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("%q was taken; encoding/json says %v", body, err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, sent.Data); err != nil || !bytes.Equal(msg.Data, want.Bytes()) {
			t.Fatalf("%q stored data %q; encoding/json compacts it to %q (%v)", body, msg.Data, want.Bytes(), err)
		}
	})
}

// FuzzExactNames checks the strict names: a body is refused only with
// invalid_request, and what is let through into a struct has no member
// that matches a field only when case is ignored, and none twice.
func FuzzExactNames(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeJSON[postRequest](body, DefaultMaxJSONDepth)
		if err != nil {
			if !errors.Is(err, errInvalidRequest) {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return // null: no members
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("%q: %v", body, err)
			}
			name := tok.(string)
			if name != "data" && name != "transfer" || seen[name] {
				t.Fatalf("%q: member %q let through (%+v)", body, name, req)
			}
			seen[name] = true
			var value json.RawMessage
			if err := dec.Decode(&value); err != nil {
				t.Fatalf("%q: %v", body, err)
			}
			if name == "transfer" && exactTransfer(value) != nil {
				t.Fatalf("%q: transfer entries let through: %v", body, exactTransfer(value))
			}
		}
	})
}

// exactTransfer reports a transfer list's first entry with a member other
// than port and token, or one of them twice.
func exactTransfer(list json.RawMessage) error {
	var entries []json.RawMessage
	if json.Unmarshal(list, &entries) != nil {
		return nil // null
	}
	for _, e := range entries {
		dec := json.NewDecoder(bytes.NewReader(e))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			continue
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, _ := dec.Token()
			name, _ := tok.(string)
			if name != "port" && name != "token" || seen[name] {
				return errors.New(string(e))
			}
			seen[name] = true
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
	}
	return nil
}

// FuzzDepth compares the depth bound with encoding/json's decoder's own
// idea of depth, on valid JSON: a body is refused for its depth exactly
// when it nests deeper than the limit.
func FuzzDepth(f *testing.F) {
	addSeeds(f, []any{3})
	f.Fuzz(func(t *testing.T, body []byte, limit int) {
		if limit < 1 || limit > 200 {
			return
		}
		_, err := new(shapeReader).readShape(body, limit)
		var re *requestError
		tooDeep := errors.As(err, &re) && strings.Contains(re.detail, "deep")
		depth, ok := jsonDepth(body)
		if !ok {
			return
		}
		if tooDeep != (depth > limit) {
			t.Fatalf("%q: depth %d, limit %d, refused as too deep: %v", body, depth, limit, tooDeep)
		}
	})
}
