package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// Binary messages over HTTP: the rule of what a post's body is, bytes
// posted raw or in a JSON post's "binary", and the same bytes delivered on
// every path (long poll, stream, resumed stream, broadcast, with a port).

// The Content-Type of a post says what its body is; none is refused.
func TestPostKind(t *testing.T) {
	for ct, want := range map[string]bodyKind{
		"application/json":                  jsonBody,
		"Application/JSON; charset=utf-8":   jsonBody,
		" application/json ; x=y":           jsonBody,
		"application/ld+json":               jsonBody,
		"application/problem+json":          jsonBody,
		"text/plain":                        textBody,
		"TEXT/HTML; charset=utf-8":          textBody,
		"text/markdown":                     textBody,
		"application/x-www-form-urlencoded": textBody,
		"application/octet-stream":          binaryBody,
		"image/png":                         binaryBody,
		"application/jsonx":                 binaryBody,
		"application/json-seq":              binaryBody,
		"multipart/form-data; boundary=x":   binaryBody,
		"application/x-protobuf":            binaryBody,
		"x":                                 binaryBody, // refused once judged as bytes
	} {
		if got, err := postKind(ct); err != nil || got != want {
			t.Errorf("postKind(%q) = %v, %v; want %v", ct, got, err, want)
		}
	}
	for _, ct := range []string{"", " ", ";", "; charset=utf-8"} {
		if _, err := postKind(ct); classify(err).code != "content_type_required" {
			t.Errorf("postKind(%q): %v, want content_type_required", ct, err)
		}
	}
}

// Bytes are kept with their content type in canonical form; what is no
// media type, or too long, is refused.
func TestBinaryContentType(t *testing.T) {
	for in, want := range map[string]string{
		"image/png":                         "image/png",
		"IMAGE/PNG":                         "image/png",
		" image/png ":                       "image/png",
		`application/X-Thing; Name="a b"`:   `application/x-thing; name="a b"`,
		"application/x-thing;name=v":        "application/x-thing; name=v",
		"video/mp4; codecs=\"avc1.42E01E\"": "video/mp4; codecs=avc1.42E01E",
		"image/png; name=\"caf\u00e9\"":     "image/png; name*=utf-8''caf%C3%A9",
	} {
		got, err := binaryContentType(in)
		if err != nil || got != want {
			t.Errorf("binaryContentType(%q) = %q, %v; want %q", in, got, err, want)
		}
		if again, err := binaryContentType(got); err != nil || again != got {
			t.Errorf("binaryContentType(%q) = %q, %v; not canonical", got, again, err)
		}
	}
	for _, in := range []string{"x", "image/", "/png", "image/png; x", `image/png; a="`, "image/png; a=1; a=2",
		"application/" + strings.Repeat("x", 300), "image/png\x00"} {
		if got, err := binaryContentType(in); classify(err).code != "invalid_content_type" {
			t.Errorf("binaryContentType(%q) = %q, %v; want invalid_content_type", in, got, err)
		}
	}
}

// postBinary posts msg's bytes through p: as the body, with the content
// type, or, for a type whose body would be taken as text or JSON, base64
// in a JSON post's "binary". It returns the message's id.
func (c *client) postBinary(p port, msg store.Outgoing) string {
	c.t.Helper()
	r := req{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token, contentType: msg.ContentType, body: string(msg.Bytes)}
	if kind, _ := postKind(msg.ContentType); kind != binaryBody {
		r.contentType, r.body = "application/json", binaryJSON(msg.Bytes, msg.ContentType, "")
	}
	return decodeBody[struct{ ID string }](c.t, c.do(r).want(c.t, http.StatusCreated)).ID
}

// binaryJSON is a JSON post body with b in "binary", the content type (if
// any) and the transfer list's JSON (if any).
func binaryJSON(b []byte, contentType, transfer string) string {
	s := `{"binary":"` + base64.StdEncoding.EncodeToString(b) + `"`
	if contentType != "" {
		ct, _ := json.Marshal(contentType)
		s += `,"content_type":` + string(ct)
	}
	if transfer != "" {
		s += `,"transfer":` + transfer
	}
	return s + "}"
}

// canonical is the content type msg is delivered with.
func canonical(t *testing.T, contentType string) string {
	t.Helper()
	ct, err := binaryContentType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	return ct
}

// wantBinaryMessage fails unless m is the binary message msg: its bytes
// (by SHA-256), its content type, and no data.
func wantBinaryMessage(t *testing.T, what string, m message, msg store.Outgoing) {
	t.Helper()
	if m.Data != nil || m.Binary == nil || sha(m.Binary) != sha(msg.Bytes) || m.ContentType != canonical(t, msg.ContentType) {
		t.Errorf("%s: data %.40q, %s of %q; want no data, %s of %q", what, m.Data, sha(m.Binary), m.ContentType, sha(msg.Bytes), canonical(t, msg.ContentType))
	}
}

// nextEvent is the next message event of s, checked against the spec.
func nextEvent(t *testing.T, s *sseStream) message {
	t.Helper()
	ev := s.next()
	validateEventData(t, "MessageEvent", ev.data)
	m := decodeEvent[message](t, ev, "message")
	if m.ID != ev.id {
		t.Fatalf("message %s in an event with id %q", m.ID, ev.id)
	}
	return m
}

// TestBinaryRoundTrip runs testBinaryRoundTrip on the embedded store
// (TestRedis runs it on Redis).
func TestBinaryRoundTrip(t *testing.T) { onMemory(t, testBinaryRoundTrip) }

// testBinaryRoundTrip: bytes of every size and value, posted raw or in
// JSON, come back byte for byte with their content type from a long poll,
// from a stream open while they were posted, from a stream resumed after
// some of them, and raw from the body route; a JSON message among them is
// unchanged.
func testBinaryRoundTrip(t *testing.T, e env) {
	c := e.server(t)
	ch := c.createChannel()
	live := c.open(ch.Port2, streamReq{})
	msgs := binaryBodies()
	ids := make([]string, len(msgs))
	for i, msg := range msgs {
		ids[i] = c.postBinary(ch.Port1, msg)
	}
	textID := c.send(ch.Port1, `"text after the bytes"`)

	l := c.list(ch.Port2, "")
	if len(l.Messages) != len(msgs)+1 {
		t.Fatalf("the long poll answered %d messages, want %d", len(l.Messages), len(msgs)+1)
	}
	for i, msg := range msgs {
		wantBinaryMessage(t, fmt.Sprintf("long poll, message %d", i), l.Messages[i], msg)
		if l.Messages[i].ID != ids[i] {
			t.Errorf("long poll, message %d: id %s, want %s", i, l.Messages[i].ID, ids[i])
		}
	}
	if m := l.Messages[len(msgs)]; string(m.Data) != `"text after the bytes"` || m.Binary != nil || m.ContentType != "" {
		t.Errorf("the text message: %+v", m)
	}

	for i, msg := range msgs {
		wantBinaryMessage(t, fmt.Sprintf("stream, message %d", i), nextEvent(t, live), msg)
	}
	if m := nextEvent(t, live); m.ID != textID || m.Binary != nil {
		t.Errorf("the stream's text message: %+v", m)
	}
	live.close()

	// Resumed after the second: the first two are acknowledged.
	resumed := c.open(ch.Port2, streamReq{lastEventID: ids[1]})
	for i := 2; i < len(msgs); i++ {
		wantBinaryMessage(t, fmt.Sprintf("resumed stream, message %d", i), nextEvent(t, resumed), msgs[i])
	}
	resumed.close()
	for i, msg := range msgs {
		res := c.getBody(ch.Port2, ids[i], nil)
		if i < 2 {
			res.wantProblem(t, http.StatusNotFound, "message_not_found")
			continue
		}
		wantBody(t, fmt.Sprintf("raw body %d", i), res, canonical(t, msg.ContentType), msg.Bytes)
	}
	if info := c.describe(ch.Port2); info.QueuedBytes != int64(len(msgs[2].Bytes)+len(msgs[3].Bytes)+len(msgs[4].Bytes)+len(`"text after the bytes"`)) {
		t.Errorf("queued_bytes %d: the bytes are not what is counted", info.QueuedBytes)
	}
}

// TestBinaryCarriesPort runs testBinaryCarriesPort on the embedded store.
func TestBinaryCarriesPort(t *testing.T) { onMemory(t, testBinaryCarriesPort) }

// testBinaryCarriesPort: bytes and a port in one message, as postMessage
// sends an ArrayBuffer with a MessagePort: both arrive, and the port works
// with the token the message delivered.
func testBinaryCarriesPort(t *testing.T, e env) {
	c := e.server(t)
	ch, other := c.createChannel(), c.createChannel()
	msg := binaryBodies()[4] // the largest message, which its base64 makes a larger body
	msg.ContentType = "application/octet-stream"
	body := binaryJSON(msg.Bytes, msg.ContentType, `[{"port":"`+other.Port1.ID+`","token":"`+other.Port1.Token+`"}]`)
	res := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "application/json", body: body})
	id := decodeBody[struct{ ID string }](t, res.want(t, http.StatusCreated)).ID
	s := c.open(ch.Port2, streamReq{})
	m := nextEvent(t, s)
	s.close()
	wantBinaryMessage(t, "with a port", m, msg)
	if m.ID != id || len(m.Ports) != 1 || m.Ports[0].ID != other.Port1.ID {
		t.Fatalf("ports %+v", m.Ports)
	}
	c.send(m.Ports[0], `"through the carried port"`)
	if l := c.list(other.Port2, ""); len(l.Messages) != 1 {
		t.Errorf("the carried port's peer has %d messages", len(l.Messages))
	}
}

// TestBinaryBroadcast runs testBinaryBroadcast on the embedded store.
func TestBinaryBroadcast(t *testing.T) { onMemory(t, testBinaryBroadcast) }

// testBinaryBroadcast: a broadcast of bytes, raw or in JSON, reaches
// every member's peer byte for byte; under an Idempotency-Key a retry
// stores nothing twice.
func testBinaryBroadcast(t *testing.T, e env) {
	c := e.server(t)
	a, b := c.createChannel(), c.createChannel()
	cc := c.createCollection()
	c.addMember(cc, a.Port1).want(t, http.StatusCreated)
	c.addMember(cc, b.Port1).want(t, http.StatusCreated)
	raw := binaryBodies()[3]
	raw.ContentType = "image/webp"
	c.broadcast(cc, raw.ContentType, string(raw.Bytes)).want(t, http.StatusOK)
	inJSON := store.Outgoing{ContentType: "text/html", Bytes: []byte("<p>\x00\xff</p>")}
	c.broadcast(cc, "application/json", binaryJSON(inJSON.Bytes, inJSON.ContentType, "")).want(t, http.StatusOK)
	keyed := store.Outgoing{ContentType: "application/octet-stream", Bytes: []byte{0, 1, 2, 0xff}}
	for range 2 {
		r := req{method: "POST", path: "/collections/" + cc.ID + "/messages", token: cc.Token, contentType: keyed.ContentType,
			body: string(keyed.Bytes), header: keyHeader("broadcast-1")}
		c.do(r).want(t, http.StatusOK)
	}
	for _, peer := range []port{a.Port2, b.Port2} {
		l := c.list(peer, "")
		if len(l.Messages) != 3 {
			t.Fatalf("%s has %d messages, want 3", peer.ID, len(l.Messages))
		}
		wantBinaryMessage(t, "a raw broadcast", l.Messages[0], raw)
		wantBinaryMessage(t, "a JSON broadcast", l.Messages[1], inJSON)
		wantBinaryMessage(t, "a keyed broadcast", l.Messages[2], keyed)
	}
	// A broadcast's bytes are bounded like a post's.
	c.broadcast(cc, "application/json", binaryJSON(make([]byte, DefaultMaxMessageSize+1), "", "")).
		wantProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	c.broadcast(cc, "", "x").wantProblem(t, http.StatusUnsupportedMediaType, "content_type_required")
}

// A post is refused, and stores nothing, without a Content-Type, with a
// content type no bytes can be kept with, or with a JSON body whose bytes
// are malformed, beside data, or too many.
func TestBinaryPostRefusals(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		before := c.describe(ch.Port2)
		for _, tc := range []struct {
			name, contentType, body string
			status                  int
			code                    string
		}{
			{"no Content-Type, text", "", "hello", 415, "content_type_required"},
			{"no Content-Type, JSON", "", `{"data":1}`, 415, "content_type_required"},
			{"no Content-Type, empty", "", "", 415, "content_type_required"},
			{"parameters only", "; charset=utf-8", "hello", 415, "content_type_required"},
			{"no media type", "binary", "\x00", 415, "invalid_content_type"},
			{"no subtype", "image/", "\x00", 415, "invalid_content_type"},
			{"a malformed parameter", "image/png; x", "\x00", 415, "invalid_content_type"},
			{"a parameter twice", "image/png; a=1; a=2", "\x00", 415, "invalid_content_type"},
			{"too long", "application/" + strings.Repeat("x", 300), "\x00", 415, "invalid_content_type"},
			{"JSON content_type no media type", "application/json", `{"binary":"AA==","content_type":"png"}`, 415, "invalid_content_type"},
			{"JSON content_type empty", "application/json", `{"binary":"AA==","content_type":""}`, 415, "invalid_content_type"},
			{"data and binary", "application/json", `{"data":1,"binary":"AA=="}`, 400, "invalid_request"},
			{"null data and binary", "application/json", `{"data":null,"binary":"AA=="}`, 400, "invalid_request"},
			{"neither", "application/json", `{"transfer":[]}`, 400, "invalid_request"},
			{"content_type alone", "application/json", `{"data":1,"content_type":"image/png"}`, 400, "invalid_request"},
			{"binary not base64", "application/json", `{"binary":"not base64!"}`, 400, "invalid_request"},
			{"binary unpadded", "application/json", `{"binary":"AA"}`, 400, "invalid_request"},
			{"binary URL-safe", "application/json", `{"binary":"-_8="}`, 400, "invalid_request"},
			{"binary with stray bits", "application/json", `{"binary":"AB=="}`, 400, "invalid_request"},
			{"binary a number", "application/json", `{"binary":1}`, 400, "invalid_request"},
			{"content_type a number", "application/json", `{"binary":"AA==","content_type":1}`, 400, "invalid_request"},
			{"binary over the limit", "application/json", binaryJSON(make([]byte, DefaultMaxMessageSize+1), "", ""), 413, "payload_too_large"},
			{"raw bytes over the limit", "application/octet-stream", strings.Repeat("\x00", DefaultMaxMessageSize+1), 413, "payload_too_large"},
			{"JSON data over the limit", "application/json", `{"data":"` + strings.Repeat("x", DefaultMaxMessageSize) + `"}`, 413, "payload_too_large"},
		} {
			res := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: tc.contentType, body: tc.body})
			if res.status != tc.status {
				t.Errorf("%s: status %d, want %d; %s", tc.name, res.status, tc.status, res.body)
				continue
			}
			res.wantProblem(t, tc.status, tc.code)
		}
		if after := c.describe(ch.Port2); after != before {
			t.Errorf("refusals changed the peer: %+v, then %+v", before, after)
		}
		// At the limit, bytes go raw, or in JSON beside a transfer list.
		atLimit := binaryBodies()[4].Bytes
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "application/octet-stream", body: string(atLimit)}).
			want(t, http.StatusCreated)
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "application/json", body: binaryJSON(atLimit, "", "[]")}).
			want(t, http.StatusCreated)
		// Empty bytes are a message, and content_type defaults.
		empty := decodeBody[struct{ ID string }](t, c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token,
			contentType: "application/json", body: `{"binary":""}`}).want(t, http.StatusCreated)).ID
		l := c.list(ch.Port2, "")
		if n := len(l.Messages); n != 3 || l.Messages[2].ID != empty {
			t.Fatalf("%d messages", n)
		}
		wantBinaryMessage(t, "at the limit, raw", l.Messages[0], store.Outgoing{ContentType: "application/octet-stream", Bytes: atLimit})
		wantBinaryMessage(t, "at the limit, in JSON", l.Messages[1], store.Outgoing{ContentType: "application/octet-stream", Bytes: atLimit})
		wantBinaryMessage(t, "empty", l.Messages[2], store.Outgoing{ContentType: "application/octet-stream", Bytes: []byte{}})
	})
}

// Under an Idempotency-Key, the same bytes with the same content type
// (in any spelling) are the same post; with another content type, or in
// JSON rather than raw, another.
func TestBinaryIdempotency(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		b := "\x00\xffbytes"
		first := c.postWithKey(ch.Port1, "k", "image/png", b).want(t, http.StatusCreated)
		for _, ct := range []string{"image/png", "IMAGE/PNG", "image/png "} {
			again := c.postWithKey(ch.Port1, "k", ct, b).want(t, http.StatusCreated)
			wantReplayed(t, again, true)
			if !bytes.Equal(again.body, first.body) {
				t.Errorf("%s: replay answered %s, first %s", ct, again.body, first.body)
			}
		}
		for _, tc := range []struct{ contentType, body string }{
			{"image/gif", b},
			{"image/png; x=y", b},
			{"image/png", b + "!"},
			{"application/json", binaryJSON([]byte(b), "image/png", "")},
			{"text/plain", "bytes"},
		} {
			c.postWithKey(ch.Port1, "k", tc.contentType, tc.body).wantProblem(t, http.StatusUnprocessableEntity, "idempotency_key_reused")
		}
		j := binaryJSON([]byte(b), "image/png", "")
		c.postWithKey(ch.Port1, "j", "application/json", j).want(t, http.StatusCreated)
		wantReplayed(t, c.postWithKey(ch.Port1, "j", "application/json", j).want(t, http.StatusCreated), true)
		if n := len(c.list(ch.Port2, "").Messages); n != 2 {
			t.Errorf("%d messages stored, want 2", n)
		}
	})
}

// A port's byte bound counts a binary message's bytes.
func TestBinaryQueueBytes(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.limits.MaxQueueBytes = 1000 })
		ch := c.createChannel()
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "application/octet-stream", body: strings.Repeat("\x00", 600)}).
			want(t, http.StatusCreated)
		if q := c.describe(ch.Port2).QueuedBytes; q != 600 {
			t.Errorf("queued_bytes %d, want 600", q)
		}
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "application/octet-stream", body: strings.Repeat("\x00", 401)}).
			wantProblem(t, http.StatusTooManyRequests, "queue_full")
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "application/octet-stream", body: strings.Repeat("\x00", 400)}).
			want(t, http.StatusCreated)
	})
}

// FuzzBinaryPost reads any bytes with any content type, raw or in a JSON
// post's "binary", as the handler does: never a server error; bytes taken
// are the body exactly, kept with a canonical content type a store keeps;
// and a delivered message carries them in "binary" byte for byte, with no
// "data", whatever they hold.
func FuzzBinaryPost(f *testing.F) {
	types := []string{"application/octet-stream", "image/png", "IMAGE/PNG; Q=1", `a/b; n="x y"`, "", "text/plain",
		"application/json", "x", "a/b; n=\"caf\xc3\xa9\"", "a/b; n*=utf-8''%C3%A9", "a/b;;", "\x00/\x00"}
	for _, msg := range binaryBodies()[:3] {
		for i, ct := range types {
			f.Add(msg.Bytes, ct, i%2 == 0)
		}
	}
	for _, b := range []string{"\x00", `{"data":1}`, "data: x\n\nid: 1\r\n", "\xff\xfe", `"`, "\\u0000"} {
		f.Add([]byte(b), "application/octet-stream", false)
		f.Add([]byte(b), "", true)
	}
	s := NewServer(nil, nil, Config{MaxMessageSize: 1 << 16, MaxTransfer: 4, MaxJSONDepth: 8})
	f.Fuzz(func(t *testing.T, body []byte, contentType string, inJSON bool) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header["Content-Type"] = []string{contentType}
		if inJSON {
			ct := ""
			if contentType != "" {
				ct = `,"content_type":` + jsonString(contentType)
			}
			r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"binary":"`+base64.StdEncoding.EncodeToString(body)+`"`+ct+`}`))
			r.Header.Set("Content-Type", "application/json")
		}
		msg, _, err := s.readMessage(httptest.NewRecorder(), r, false)
		wantClientError(t, body, err)
		if err != nil || !msg.Binary() {
			if kind, _ := postKind(contentType); err == nil && (inJSON || kind == binaryBody) {
				t.Fatalf("%q as %q (JSON %v) was taken as %+v", body, contentType, inJSON, msg)
			}
			return
		}
		if !bytes.Equal(msg.Bytes, body) || msg.Bytes == nil || len(msg.Data) > 0 {
			t.Fatalf("%q as %q (JSON %v) was kept as %q, data %q", body, contentType, inJSON, msg.Bytes, msg.Data)
		}
		if err := store.CheckOutgoing(msg); err != nil {
			t.Fatalf("%q: a store refuses what was taken: %v", contentType, err)
		}
		if again, err := binaryContentType(msg.ContentType); err != nil || again != msg.ContentType {
			t.Fatalf("%q kept as %q, not canonical: %q, %v", contentType, msg.ContentType, again, err)
		}
		mj := toMessageJSON("p", store.Message{ID: store.EventID{Ms: 1, Seq: 2}, ContentType: msg.ContentType, Bytes: msg.Bytes})
		line, err := new(jsonWriter).encode(&mj)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("delivered as %q: %v", line, err)
		}
		b64, _ := got["binary"].(string)
		delivered, err := base64.StdEncoding.Strict().DecodeString(b64)
		if _, hasData := got["data"]; hasData || err != nil || !bytes.Equal(delivered, body) || got["content_type"] != msg.ContentType {
			t.Fatalf("%q delivered as %q", body, line)
		}
	})
}

// jsonString is s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
