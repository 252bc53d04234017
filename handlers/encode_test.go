package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

// v1JSON is v as encoding/json writes it with HTML left alone, as every
// answer was written before the package moved to JSON v2, without the
// newline.
func v1JSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// v2JSON is v as the package writes it, without the newline.
func v2JSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := new(jsonWriter).encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

// v1Message mirrors messageJSON with the data as encoding/json knows raw
// JSON, so that encoding/json can write what a message was before.
type v1Message struct {
	ID     store.EventID           `json:"id"`
	Port   string                  `json:"port"`
	Data   json.RawMessage         `json:"data"`
	Ports  []store.PortCredentials `json:"ports"`
	Source string                  `json:"source"`
	SentAt time.Time               `json:"sent_at"`
	Origin string                  `json:"origin"`
}

// TestEncodeMatchesEncodingJSON: every kind of answer and event data is
// written byte for byte as encoding/json wrote it, with the strings and
// the empty, nil and zero values where the two packages' defaults differ.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	const odd = "a\u2028b\u2029<&>\x01\x7f\"\\\té\U0001F600"
	at := time.Date(2024, 11, 21, 12, 53, 20, 123456000, time.FixedZone("X", 3600))
	id := store.EventID{Ms: 1732190000123, Seq: 42}
	zero := store.EventID{}
	idx := 0
	ports := []store.PortCredentials{{ID: odd, Token: odd}}
	for _, v := range []any{
		postResponse{ID: id}, postResponse{}, postResponse{ID: store.EventID{Ms: ^uint64(0), Seq: ^uint64(0)}},
		channelResponse{ID: odd, CreatedAt: at, Port1: ports[0]},
		collectionResponse{ID: odd, Token: odd, CreatedAt: at},
		collectionInfo{ID: odd, CreatedAt: at}, collectionInfo{Members: []string{}}, collectionInfo{Members: []string{odd, ""}},
		memberResponse{Port: odd, Added: true}, memberResponse{},
		broadcastResponse{}, broadcastResponse{Reached: 1, Delivered: []deliveryJSON{{Port: odd, ID: id}}, Refused: []refusedMember{{Port: odd, Code: odd}}, Unknown: []string{odd}},
		problem{}, problem{Type: odd, Title: odd, Status: 400, Detail: odd, Code: odd, TransferIndex: &idx, Port: odd, Reason: odd, MemberCode: odd},
		statusResponse{Status: odd},
		portResponse{}, portResponse{ID: odd, State: store.State(odd), CreatedAt: at, ClosedAt: &at, LastEventID: id, Posted: -1},
		ticketJSON{}, ticketJSON{Ticket: odd, Ports: []string{odd}, ExpiresAt: at, EventsURL: odd},
		tokenList{}, tokenList{Tokens: []scopedToken{{ID: odd, Token: odd, Scope: store.Scope(odd), Label: odd, CreatedAt: at}, {}}},
		listResponse{}, listResponse{Messages: []messageJSON{}, MessageErrors: []messageErrorJSON{{ID: id, Port: odd, Error: odd}}, Next: id, State: store.StateOpen,
			Reset: &resetJSON{LastEventID: id, AckedThrough: zero, RewoundTo: &zero}},
		listResponse{Reset: &resetJSON{RewoundTo: &id}},
		messageErrorJSON{}, closeData{Port: odd, ClosedAt: at}, closeData{}, transferredData{Port: odd},
		resetData{}, resetData{Port: odd, LastEventID: id, AckedThrough: id, RewoundTo: &zero},
		store.PortCredentials{ID: odd, Token: odd},
	} {
		if got, want := v2JSON(t, v), v1JSON(t, v); !bytes.Equal(got, want) {
			t.Errorf("%T %+v:\n  wrote %s\n  encoding/json %s", v, v, got, want)
		}
	}
	// The answer to a post, with its newline and header.
	w := httptest.NewRecorder()
	if err := encode(w, http.StatusCreated, postResponse{ID: id}); err != nil {
		t.Fatal(err)
	}
	if got := w.Body.String(); w.Code != http.StatusCreated || got != `{"id":"1732190000123-42"}`+"\n" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("encode wrote %d %q %q", w.Code, w.Header().Get("Content-Type"), got)
	}
}

// FuzzMessageJSON holds a delivered message, as streams and long polls
// write it, to what encoding/json wrote: the same bytes for any message a
// store may hold whose strings are UTF-8, and for strings that are not,
// the same JSON value (encoding/json wrote \ufffd for a bad byte, this
// package the replacement character itself). An encoding error happens
// for the same messages (data that is not JSON, a year past 9999).
func FuzzMessageJSON(f *testing.F) {
	f.Add(uint64(1732190000123), uint64(7), "01JD0000000000000000000000", []byte(`{"a":1}`), "01JD0000000000000000000001", int64(1732190000123456789), "", "")
	f.Add(uint64(0), uint64(0), "p", []byte("[1,\"x\",{}]"), "", int64(0), "01JD0000000000000000000002", "tok-en_1")
	f.Add(uint64(1<<64-1), uint64(1<<64-1), "p", []byte(`"<&>\u2028é"`), "s", int64(-1<<63), "i", "t")
	f.Add(uint64(5), uint64(1), "p\"q", []byte(`null`), "s\\", int64(1<<63-1), "", "")
	f.Add(uint64(5), uint64(1), "p", []byte(`{"a":`), "s", int64(1), "é", "\n")
	f.Add(uint64(5), uint64(1), "p", []byte(``), "s", int64(1), "\u2028", "\xff")
	f.Add(uint64(5), uint64(1), "p", []byte("{\"a\":\"\u2028\xff\",\"a\":2}"), "s", int64(1), "", "")
	f.Fuzz(func(t *testing.T, ms, seq uint64, port string, data []byte, source string, sentNs int64, portID, token string) {
		// Data is stored compact; the token doubles as the origin: any
		// string may reach the encoder from a store.
		var compact bytes.Buffer
		if json.Compact(&compact, data) == nil {
			data = compact.Bytes()
		}
		m := store.Message{ID: store.EventID{Ms: ms, Seq: seq}, Data: data, Source: source, SentAt: time.Unix(0, sentNs).In(time.FixedZone("X", 3600)), Origin: token}
		if portID != "" || token != "" {
			m.Ports = []store.PortCredentials{{ID: portID, Token: token}, {ID: token, Token: portID}}
		}
		mj := toMessageJSON(port, m)
		got, err := new(jsonWriter).encode(&mj)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		wantErr := enc.Encode(v1Message{mj.ID, mj.Port, json.RawMessage(mj.Data), mj.Ports, mj.Source, mj.SentAt, mj.Origin})
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error %v; encoding/json: %v", err, wantErr)
		}
		if err != nil {
			return
		}
		wantBytes := bytes.TrimSuffix(want.Bytes(), []byte("\n"))
		got = bytes.TrimSuffix(got, []byte("\n"))
		// Each string on its own: joined, the halves of a bad sequence in
		// two of them can make a good one (the fuzzer found that).
		if allUTF8(port, source, portID, token) && utf8.Valid(data) {
			if !bytes.Equal(got, wantBytes) {
				t.Fatalf("wrote\n %q\nencoding/json:\n %q", got, wantBytes)
			}
			return
		}
		var a, b any
		if json.Unmarshal(got, &a) != nil || json.Unmarshal(wantBytes, &b) != nil || normalizeAny(a) != normalizeAny(b) {
			t.Fatalf("wrote\n %q\nencoding/json, another value:\n %q", got, wantBytes)
		}
	})
}

// normalizeAny writes a decoded JSON value back in one spelling.
func normalizeAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestReadShapeCompacts: the body comes out of readShape as encoding/json's
// Compact makes it, strings and numbers as written.
func TestReadShapeCompacts(t *testing.T) {
	for _, c := range []string{
		`1`, `"a b"`, `{"a":"x y","b":[1,2]}`, `{ "a" : 1 }`, "[1,\n2]", "{\"a\":\"\\\" \"}",
		`"\\"`, `{"a":"\\\\"  }`, "\t\"x\"\r\n", `{"text":"the quick brown fox"}`, `[]`, `{}`,
		` { "a" : [ 1.50 , -0 , 1E+5, "\u00e9\u2028\ud800" ] , "a" : null } `, "\"\u2028<&>\"",
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(c)); err != nil {
			t.Fatal(err)
		}
		sr := new(shapeReader)
		got, err := sr.readShape([]byte(c), 8)
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("readShape(%q) = %q, %v; json.Compact gives %q", c, got, err, want.Bytes())
		}
	}
}

// allUTF8 reports whether every one of ss is valid UTF-8.
func allUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
