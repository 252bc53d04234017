package handlers

import (
	"net/http"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// portRoutes are every route that acts on a port, with a body and
// headers that would be accepted.
var portRoutes = []struct {
	method, path, body string
	header             map[string]string
}{
	{"GET", "", "", nil},
	{"POST", "/messages", `{"data":1}`, nil},
	{"GET", "/messages", "", nil},
	{"GET", "/events", "", nil},
	{"POST", "/ack", `{"through":"1-0"}`, nil},
	{"POST", "/close", "", nil},
	{"POST", "/transfer", "", keyHeader("auth-test")},
}

// A missing or wrong token, an unknown port and a malformed
// port id all get one and the same 401.
func TestUnauthorizedIsOneAnswer(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		other := c.createChannel()
		unknown, _, _, err := store.NewChannelIDs(ch.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name      string
			id, token string
		}{
			{"missing token", ch.Port1.ID, ""},
			{"wrong token", ch.Port1.ID, "wrong"},
			{"another port's token", ch.Port1.ID, ch.Port2.Token},
			{"another channel's token", ch.Port1.ID, other.Port1.Token},
			{"unknown port", unknown, ch.Port1.Token},
			{"malformed id", "not-a-port", ch.Port1.Token},
			{"lower-case id", toLower(ch.Port1.ID), ch.Port1.Token},
		}
		var first []byte
		for _, r := range portRoutes {
			for _, tc := range cases {
				res := c.do(req{method: r.method, path: "/ports/" + tc.id + r.path, token: tc.token, contentType: "application/json", body: r.body, header: r.header})
				res.wantProblem(t, http.StatusUnauthorized, "unauthorized")
				if got := res.header.Get("WWW-Authenticate"); got != `Bearer realm="tincan"` {
					t.Errorf("%s %s, %s: WWW-Authenticate %q", r.method, r.path, tc.name, got)
				}
				if first == nil {
					first = res.body
				} else if string(res.body) != string(first) {
					t.Errorf("%s %s, %s: body %s differs from %s", r.method, r.path, tc.name, res.body, first)
				}
			}
		}
		// A Bearer scheme is needed; other schemes are no token.
		res := c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID, header: map[string]string{"Authorization": "Basic " + ch.Port1.Token}})
		res.wantProblem(t, http.StatusUnauthorized, "unauthorized")
		// Nothing of the above changed anything.
		if info := c.describe(ch.Port2); info.Queued != 0 || info.State != "open" {
			t.Errorf("refused requests changed the channel: %+v", info)
		}
		c.describe(ch.Port1) // the token still works: no transfer happened
	})
}

// A missing token is refused before the body is looked at.
func TestMissingTokenBeforeBody(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		res := c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/messages", contentType: "application/json", body: `{"data":`})
		res.wantProblem(t, http.StatusUnauthorized, "unauthorized")
	})
}

// GET routes take ?access_token=, for EventSource; POST routes
// do not; the header wins when both are given.
func TestAccessToken(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		p := ch.Port2
		c.send(ch.Port1, `"hi"`)
		c.do(req{method: "GET", path: "/ports/" + p.ID + "?access_token=" + p.Token}).want(t, http.StatusOK)
		res := c.do(req{method: "GET", path: "/ports/" + p.ID + "/messages?access_token=" + p.Token}).want(t, http.StatusOK)
		if l := decodeBody[list](t, res); len(l.Messages) != 1 {
			t.Errorf("list with access_token: %+v", l)
		}
		s := c.open(p, streamReq{queryToken: true})
		if s.status != http.StatusOK {
			t.Fatalf("stream with access_token: %d", s.status)
		}
		s.nextMessage()
		s.close()

		for _, r := range portRoutes {
			if r.method != "POST" {
				continue
			}
			res := c.do(req{method: "POST", path: "/ports/" + p.ID + r.path + "?access_token=" + p.Token, contentType: "application/json", body: r.body, header: r.header})
			res.wantProblem(t, http.StatusUnauthorized, "unauthorized")
		}
		res = c.do(req{method: "GET", path: "/ports/" + p.ID + "?access_token=" + p.Token, token: "wrong"})
		res.wantProblem(t, http.StatusUnauthorized, "unauthorized")
		if info := c.describe(p); info.State != "open" || info.Queued != 1 {
			t.Errorf("POSTs with access_token changed something: %+v", info)
		}
	})
}

// A token from before a transfer gets 403 port_transferred on
// every route, not a bare 401.
func TestTransferredTokenEverywhere(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		c.transfer(ch.Port1).want(t, http.StatusOK)
		for _, r := range portRoutes {
			res := c.do(req{method: r.method, path: "/ports/" + ch.Port1.ID + r.path, token: ch.Port1.Token, contentType: "application/json", body: r.body, header: r.header})
			res.wantProblem(t, http.StatusForbidden, "port_transferred")
		}
		if info := c.describe(ch.Port2); info.Queued != 0 || info.State != "open" {
			t.Errorf("the old token changed something: %+v", info)
		}
	})
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
