package handlers

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/tincan-dev/tincan/web"
)

// TestSecurityHeaders checks that every kind of answer carries
// Referrer-Policy: no-referrer and X-Content-Type-Options: nosniff: API
// answers, problems, 404, 405, the pages and the spec, preflights and
// event streams.
func TestSecurityHeaders(t *testing.T) {
	want := map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
	check := func(t *testing.T, what string, status int, h http.Header) {
		t.Helper()
		for name, v := range want {
			if got := h.Get(name); got != v {
				t.Errorf("%s (%d): %s %q, want %q", what, status, name, got, v)
			}
		}
	}
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) {
			o.cfg.CORSOrigins = []string{"https://app.example"}
			o.cfg.Pages = web.Static()
		})
		ch := c.createChannel()
		p := ch.Port1
		for _, r := range []req{
			{method: "POST", path: "/channels"},
			{method: "GET", path: "/healthz"},
			{method: "GET", path: "/readyz"},
			{method: "GET", path: "/metrics"},
			{method: "GET", path: "/openapi.yaml"},
			{method: "GET", path: "/"},
			{method: "GET", path: "/docs"},
			{method: "GET", path: "/docs/errors"},
			{method: "GET", path: "/ports/" + p.ID, token: p.Token},
			{method: "GET", path: "/ports/" + p.ID, token: "wrong"},
			{method: "GET", path: "/ports/" + p.ID + "/messages", token: p.Token},
			{method: "GET", path: "/ports/" + p.ID + "/messages?limit=x", token: p.Token},
			{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token, contentType: "text/plain", body: "hi"},
			{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token, contentType: "application/json", body: "{"},
			{method: "GET", path: "/nowhere"},
			{method: "DELETE", path: "/channels"},
		} {
			res := c.do(r)
			check(t, r.method+" "+r.path, res.status, res.header)
		}
		// Preflights, which CORS answers itself (so the spec, which has no
		// OPTIONS operations, is not consulted), from an allowed origin and
		// from another.
		for _, origin := range []string{"https://app.example", "https://evil.example"} {
			pre, _ := http.NewRequest("OPTIONS", c.url+"/ports/"+p.ID+"/messages", nil)
			pre.Header.Set("Origin", origin)
			pre.Header.Set("Access-Control-Request-Method", "POST")
			res, err := c.hc.Do(pre)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			check(t, "preflight from "+origin, res.StatusCode, res.Header)
		}
		s := c.open(ch.Port2, streamReq{})
		defer s.close()
		check(t, "event stream", s.status, s.header)
	})
}

// With RefuseQueryTokens, ?access_token= is a 401 on every route, even
// a correct token and even beside a header; the header alone works.
// Without it (the default), GET routes take it as before.
func TestQueryTokenPolicy(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		open := e.server(t)
		closed := e.server(t, func(o *options) { o.cfg.RefuseQueryTokens = true })
		for _, tt := range []struct {
			name    string
			c       *client
			refused bool
		}{{"allowed", open, false}, {"refused", closed, true}} {
			t.Run(tt.name, func(t *testing.T) {
				c := tt.c
				ch := c.createChannel()
				p := ch.Port2
				c.send(ch.Port1, `"x"`)
				for _, r := range []req{
					{method: "GET", path: "/ports/" + p.ID + "?access_token=" + p.Token},
					{method: "GET", path: "/ports/" + p.ID + "/messages?access_token=" + p.Token},
					{method: "GET", path: "/ports/" + p.ID + "/messages?access_token=" + p.Token, token: p.Token},
				} {
					res := c.do(r)
					if !tt.refused {
						res.want(t, http.StatusOK)
						continue
					}
					pr := res.wantProblem(t, http.StatusUnauthorized, "unauthorized")
					if !bytes.Contains(res.body, []byte("Authorization header")) || pr.Detail == "" {
						t.Errorf("%s: detail %q does not point to the header", r.path, pr.Detail)
					}
				}
				s := c.open(p, streamReq{queryToken: true})
				s.close()
				if want := map[bool]int{false: http.StatusOK, true: http.StatusUnauthorized}[tt.refused]; s.status != want {
					t.Errorf("stream with access_token: %d, want %d", s.status, want)
				}
				c.do(req{method: "GET", path: "/ports/" + p.ID + "/messages", token: p.Token}).want(t, http.StatusOK)
			})
		}
	})
}
