package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// JSON posts carry any JSON value; other bodies are the data
// as a string. Messages go to the peer, in order, with increasing ids.
func TestPost(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		cases := []struct {
			contentType, body string
			want              string // the data as delivered
		}{
			{"application/json", `{"data": {"b": [1, 2.5, "<&>"], "a": null}}`, `{"b":[1,2.5,"<&>"],"a":null}`},
			{"application/json; charset=utf-8", `{"data":"caf\u00e9"}`, `"caf\u00e9"`},
			{"Application/JSON", `{"data":null}`, `null`},
			{"application/json", `{"data":[],"transfer":[]}`, `[]`},
			{"application/json", `{"data":1,"transfer":null}`, `1`},
			{"application/json", "\n {\"data\" : \"multi\\nline\"}\n\n", `"multi\nline"`},
			{"application/x-www-form-urlencoded", `hello`, `"hello"`}, // curl -d hello
			{"text/plain", "two\nlines <b>", `"two\nlines <b>"`},
			{"text/markdown", `{"data":1}`, `"{\"data\":1}"`},
			{"text/plain", "", `""`},
			{"text/plain; charset=utf-8", "ünïcode ✓", `"ünïcode ✓"`},
		}
		var last store.EventID
		before := time.Now().Add(-time.Second)
		for i, tc := range cases {
			res := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: tc.contentType, body: tc.body})
			res.want(t, http.StatusCreated)
			id, err := store.ParseEventID(decodeBody[struct{ ID string }](t, res).ID)
			if err != nil || id.Compare(last) <= 0 {
				t.Fatalf("case %d: id %v (err %v) after %v", i, id, err, last)
			}
			last = id
		}
		l := c.list(ch.Port2, "")
		if len(l.Messages) != len(cases) {
			t.Fatalf("got %d messages, want %d", len(l.Messages), len(cases))
		}
		for i, m := range l.Messages {
			if string(m.Data) != cases[i].want {
				t.Errorf("case %d: data %s, want %s", i, m.Data, cases[i].want)
			}
			if m.Source != ch.Port1.ID || m.Ports == nil || len(m.Ports) != 0 || m.SentAt.Before(before) {
				t.Errorf("case %d: message %+v", i, m)
			}
		}
		// Nothing went to the sender's own queue.
		if got := c.list(ch.Port1, ""); len(got.Messages) != 0 {
			t.Errorf("the sender's queue holds %d messages", len(got.Messages))
		}
		// The other direction works too.
		c.send(ch.Port2, `"back"`)
		if got := c.list(ch.Port1, ""); len(got.Messages) != 1 || string(got.Messages[0].Data) != `"back"` {
			t.Errorf("reply: %+v", got)
		}
	})
}

// Contracts 3 and 13: every malformed post gets 400 invalid_request, and
// changes nothing.
func TestPostRefusals(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.cfg.MaxMessageSize = 1024 })
		ch := c.createChannel()
		c.send(ch.Port1, `"first"`)
		before := c.describe(ch.Port2)
		bad := []struct {
			name, contentType, body string
		}{
			{"malformed", "application/json", `{"data":`},
			{"not json", "application/json", `hello`},
			{"empty", "application/json", ``},
			{"missing data", "application/json", `{}`},
			{"null body", "application/json", `null`},
			{"array body", "application/json", `[{"data":1}]`},
			{"string body", "application/json", `"x"`},
			{"unknown field", "application/json", `{"data":1,"extra":2}`},
			{"unknown field in transfer", "application/json", `{"data":1,"transfer":[{"port":"x","token":"y","z":1}]}`},
			{"transfer not an array", "application/json", `{"data":1,"transfer":"x"}`},
			{"transfer entry not an object", "application/json", `{"data":1,"transfer":[1]}`},
			{"port not a string", "application/json", `{"data":1,"transfer":[{"port":1,"token":"y"}]}`},
			{"trailing object", "application/json", `{"data":1}{"data":2}`},
			{"trailing garbage", "application/json", `{"data":1} x`},
			{"trailing brace", "application/json", `{"data":1}}`},
			{"invalid UTF-8 text", "text/plain", "caf\xe9"},
			{"invalid UTF-8 form", "application/x-www-form-urlencoded", "\xff\xfe"},
			{"invalid UTF-8 JSON", "application/json", "{\"data\":\"caf\xe9\"}"},
			{"field name in another case", "application/json", `{"Data":1}`},
			{"field given twice", "application/json", `{"data":1,"data":2}`},
			{"transfer field given twice", "application/json", `{"data":1,"transfer":[],"transfer":[]}`},
		}
		for _, tc := range bad {
			res := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: tc.contentType, body: tc.body})
			if res.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400; %s", tc.name, res.status, res.body)
				continue
			}
			res.wantProblem(t, http.StatusBadRequest, "invalid_request")
		}
		// Too large: JSON and text alike.
		big := strings.Repeat("x", 1025)
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "text/plain", body: big}).
			wantProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
		c.postJSON(ch.Port1, `{"data":"`+big+`"}`).wantProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
		// Just within the limit is fine.
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", token: ch.Port1.Token, contentType: "text/plain", body: big[:1024]}).
			want(t, http.StatusCreated)

		after := c.describe(ch.Port2)
		if after.Queued != before.Queued+1 {
			t.Errorf("refused posts changed the queue: %d before, %d after one good post", before.Queued, after.Queued)
		}
		l := c.list(ch.Port2, "")
		if len(l.Messages) != 2 || string(l.Messages[0].Data) != `"first"` || len(l.Messages[1].Data) != 1026 {
			t.Errorf("queue after refusals: %d messages", len(l.Messages))
		}
	})
}

// A full queue refuses with 429 queue_full and drops nothing.
func TestQueueFull(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.limits.MaxQueue = 3 })
		ch := c.createChannel()
		var ids []string
		for i := range 3 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		res := c.postJSON(ch.Port1, `{"data":3}`)
		res.wantProblem(t, http.StatusTooManyRequests, "queue_full")
		if res.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q", res.header.Get("Retry-After"))
		}
		// The other direction has its own queue.
		c.send(ch.Port2, `"other way"`)
		l := c.list(ch.Port2, "")
		if len(l.Messages) != 3 || l.Messages[2].ID != ids[2] {
			t.Fatalf("queue: %+v", l)
		}
		// Acknowledging makes room again.
		c.ack(ch.Port2, ids[0]).want(t, http.StatusNoContent)
		c.send(ch.Port1, `3`)
	})
}

// What is posted before anyone listens is delivered when they
// do, over SSE.
func TestPostBeforeListen(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		var ids []string
		for i := range 3 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		s := c.open(ch.Port2, streamReq{})
		for i := range 3 {
			m := s.nextMessage()
			if m.ID != ids[i] || string(m.Data) != strconv.Itoa(i) || m.Source != ch.Port1.ID {
				t.Errorf("message %d: %+v", i, m)
			}
		}
		s.wantQuiet(100 * time.Millisecond)
	})
}
