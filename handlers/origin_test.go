package handlers

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The Origin header of a post reaches the receiver as the message's
// origin, in a long poll and on a stream; a post without one gives "".
// TestRedis runs it on Redis too, where the live message is pushed.
func TestOriginDelivered(t *testing.T) { onMemory(t, testOriginDelivered) }

func testOriginDelivered(t *testing.T, e env) {
	c := e.server(t)
	ch := c.createChannel()
	posts := []struct {
		origin, contentType, body, data string
	}{
		{"https://app.example:8443", "application/json", `{"data":{"n":1}}`, `{"n":1}`},
		{"", "application/json", `{"data":2}`, `2`},
		{"null", "text/plain", `three`, `"three"`},
		{"http://[::1]:3000", "application/x-www-form-urlencoded", `four`, `"four"`},
	}
	var ids []string
	for _, p := range posts {
		r := req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: p.contentType, body: p.body}
		if p.origin != "" {
			r.header = map[string]string{"Origin": p.origin}
		}
		res := c.do(r).want(t, http.StatusCreated)
		ids = append(ids, decodeBody[struct{ ID string }](t, res).ID)
	}

	l := c.list(ch.Port2, "")
	if len(l.Messages) != len(posts) || len(l.MessageErrors) != 0 || l.MessageErrors == nil {
		t.Fatalf("long poll: %d messages, message_errors %v; want %d and []", len(l.Messages), l.MessageErrors, len(posts))
	}
	s := c.open(ch.Port2, streamReq{})
	for i, p := range posts {
		m := l.Messages[i]
		if m.ID != ids[i] || m.Origin != p.origin || string(m.Data) != p.data || m.Source != ch.Port1.ID {
			t.Errorf("long poll message %d: %+v, want id %s origin %q data %s", i, m, ids[i], p.origin, p.data)
		}
		ev := s.next()
		validateEventData(t, "MessageEvent", ev.data)
		sm := decodeEvent[message](t, ev, "message")
		if sm.ID != ids[i] || sm.Origin != p.origin || string(sm.Data) != p.data || ev.id != ids[i] {
			t.Errorf("stream message %d: %+v (id: %s), want id %s origin %q", i, sm, ev.id, ids[i], p.origin)
		}
	}

	// Live, through the stream's pushed path on Redis.
	id := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token,
		contentType: "text/plain", body: "live", header: map[string]string{"Origin": "https://live.example"}}).want(t, http.StatusCreated)
	sm := s.nextMessage()
	if sm.ID != decodeBody[struct{ ID string }](t, id).ID || sm.Origin != "https://live.example" || string(sm.Data) != `"live"` {
		t.Errorf("live message %+v", sm)
	}
}

// A message that carries ports, and one posted under an Idempotency-Key,
// keep their origins too; a replay answers the first post.
func TestOriginWithTransferAndIdempotency(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch, other := c.createChannel(), c.createChannel()
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "application/json",
			body:   `{"data":"port","transfer":[{"port":"` + other.Port1.ID + `","token":"` + other.Port1.Token + `"}]}`,
			header: map[string]string{"Origin": "https://a.example"}}).want(t, http.StatusCreated)
		for range 2 {
			c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "text/plain", body: "once",
				header: map[string]string{"Origin": "https://b.example", "Idempotency-Key": "origin-once"}}).want(t, http.StatusCreated)
		}
		l := c.list(ch.Port2, "")
		if len(l.Messages) != 2 {
			t.Fatalf("%d messages, want 2", len(l.Messages))
		}
		if m := l.Messages[0]; m.Origin != "https://a.example" || len(m.Ports) != 1 || m.Ports[0].ID != other.Port1.ID {
			t.Errorf("message with a port: %+v", m)
		}
		if m := l.Messages[1]; m.Origin != "https://b.example" || string(m.Data) != `"once"` {
			t.Errorf("idempotent message: %+v", m)
		}
	})
}

// An Origin header that is not a serialized origin or "null", an empty
// one, or two of them, is 400 invalid_request, and nothing is stored.
func TestOriginMalformed(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		bad := []string{
			"https://app.example/path", "https://App.example", "HTTPS://app.example", "app.example",
			"https://app.example:99999", "https://app.example?x", "Null", "*", "https://" + strings.Repeat("a", 260),
			"https://a.example, https://b.example", "https://user@app.example",
		}
		for _, o := range bad {
			for _, key := range []string{"", "k-" + o[:min(len(o), 20)]} {
				h := map[string]string{"Origin": o}
				if key != "" {
					h["Idempotency-Key"] = key
				}
				p := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token,
					contentType: "application/json", body: `{"data":1}`, header: h}).wantProblem(t, http.StatusBadRequest, "invalid_request")
				if !strings.Contains(p.Detail, "Origin") {
					t.Errorf("origin %q: detail %q does not name the header", o, p.Detail)
				}
			}
		}
		// An empty header and two headers, sent by hand.
		for _, values := range [][]string{{""}, {"https://a.example", "https://b.example"}} {
			hr, err := http.NewRequest("POST", c.url+"/ports/"+ch.Port1.ID+"/messages", strings.NewReader("x"))
			if err != nil {
				t.Fatal(err)
			}
			hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
			hr.Header.Set("Content-Type", "text/plain")
			hr.Header["Origin"] = values
			res, err := c.hc.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			checkSpec(t, hr, res, body)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"invalid_request"`) {
				t.Errorf("Origin %q: %d %s, want 400 invalid_request", values, res.StatusCode, body)
			}
		}
		if info := c.describe(ch.Port2); info.Queued != 0 || info.LastEventID != "" {
			t.Errorf("after refused posts: queued %d, last id %q; want nothing stored", info.Queued, info.LastEventID)
		}
		// The same port posts fine with a good origin afterwards.
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "text/plain", body: "ok",
			header: map[string]string{"Origin": "https://app.example"}}).want(t, http.StatusCreated)
	})
}
