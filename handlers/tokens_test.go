package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// minted is POST /ports/{id}/tokens's answer.
type minted struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	Scope     string    `json:"scope"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
}

func (c *client) mint(p port, scope, label string) minted {
	c.t.Helper()
	res := c.do(req{method: "POST", path: "/ports/" + p.ID + "/tokens", token: p.Token, contentType: "application/json",
		body: fmt.Sprintf(`{"scope":%q,"label":%q}`, scope, label)}).want(c.t, http.StatusCreated)
	m := decodeBody[minted](c.t, res)
	if m.Scope != scope || m.Label != label || m.Token == "" || !store.ValidID(m.ID) {
		c.t.Fatalf("minted %+v", m)
	}
	return m
}

// TestTokens: mint, list (never the secret), revoke, and what each answer
// looks like.
func TestTokens(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		a := c.mint(ch.Port1, "post", "worker clients")
		b := c.mint(ch.Port1, "listen", "")

		res := c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID + "/tokens", token: ch.Port1.Token}).want(t, http.StatusOK)
		if strings.Contains(string(res.body), a.Token) || strings.Contains(string(res.body), b.Token) || strings.Contains(string(res.body), `"token"`) {
			t.Errorf("the list shows a secret: %s", res.body)
		}
		got := decodeBody[struct{ Tokens []minted }](t, res).Tokens
		if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID || got[0].Label != "worker clients" || !got[0].CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("list %+v", got)
		}

		pa := port{ID: ch.Port1.ID, Token: a.Token}
		c.send(pa, `"through a post token"`)
		c.do(req{method: "DELETE", path: "/ports/" + ch.Port1.ID + "/tokens/" + a.ID, token: ch.Port1.Token}).want(t, http.StatusNoContent)
		c.postJSON(pa, `{"data":1}`).wantProblem(t, http.StatusUnauthorized, "unauthorized")
		c.do(req{method: "DELETE", path: "/ports/" + ch.Port1.ID + "/tokens/" + a.ID, token: ch.Port1.Token}).wantProblem(t, http.StatusNotFound, "not_found")
		c.do(req{method: "DELETE", path: "/ports/" + ch.Port1.ID + "/tokens/not-an-id", token: ch.Port1.Token}).wantProblem(t, http.StatusNotFound, "not_found")

		for _, body := range []string{`{}`, `{"scope":"full"}`, `{"scope":"admin"}`, `{"scope":"post","label":"` + strings.Repeat("x", 65) + `"}`,
			`{"scope":"post","label":"a\nb"}`, `{"scope":"post","extra":1}`, `{"scope":1}`, `{"scope":"post"}}`, `{"scope":"post"} {}`,
			"{\"scope\":\"post\",\"label\":\"\xff\"}", `{"Scope":"post"}`, ``} {
			c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/tokens", token: ch.Port1.Token, contentType: "application/json", body: body}).
				wantProblem(t, http.StatusBadRequest, "invalid_request")
		}
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/tokens", contentType: "application/json", body: `{"scope":"post"}`}).
			wantProblem(t, http.StatusUnauthorized, "unauthorized")
	})
}

// TestTokensBound: the 101st scoped token of a port is refused.
func TestTokensBound(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		for range store.MaxScopedTokens {
			c.mint(ch.Port1, "listen", "")
		}
		c.do(req{method: "POST", path: "/ports/" + ch.Port1.ID + "/tokens", token: ch.Port1.Token, contentType: "application/json", body: `{"scope":"post"}`}).
			wantProblem(t, http.StatusConflict, "too_many_tokens")
	})
}

// scopeRoute is one /ports route, with a request that succeeds for a
// token allowed to use it.
type scopeRoute struct {
	name  string
	op    store.Op
	build func(p port, full port) req
}

var scopeRoutes = []scopeRoute{
	{"describe", store.OpDescribe, func(p, _ port) req { return req{method: "GET", path: "/ports/" + p.ID, token: p.Token} }},
	{"post", store.OpPost, func(p, _ port) req {
		return req{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token, contentType: "application/json", body: `{"data":1}`}
	}},
	{"post raw", store.OpPost, func(p, _ port) req {
		return req{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token, contentType: "text/plain", body: "hi"}
	}},
	{"list messages", store.OpRead, func(p, _ port) req { return req{method: "GET", path: "/ports/" + p.ID + "/messages", token: p.Token} }},
	{"events", store.OpRead, func(p, _ port) req {
		return req{method: "GET", path: "/ports/" + p.ID + "/events", token: p.Token}
	}},
	{"ack", store.OpAck, func(p, _ port) req {
		return req{method: "POST", path: "/ports/" + p.ID + "/ack", token: p.Token, contentType: "application/json", body: `{"through":"1-0"}`}
	}},
	{"close", store.OpClose, func(p, _ port) req { return req{method: "POST", path: "/ports/" + p.ID + "/close", token: p.Token} }},
	{"transfer", store.OpTransfer, func(p, _ port) req {
		return req{method: "POST", path: "/ports/" + p.ID + "/transfer", token: p.Token, header: keyHeader(newKey())}
	}},
	{"mint", store.OpTokens, func(p, _ port) req {
		return req{method: "POST", path: "/ports/" + p.ID + "/tokens", token: p.Token, contentType: "application/json", body: `{"scope":"listen"}`}
	}},
	{"list tokens", store.OpTokens, func(p, _ port) req { return req{method: "GET", path: "/ports/" + p.ID + "/tokens", token: p.Token} }},
	{"revoke", store.OpTokens, func(p, _ port) req {
		return req{method: "DELETE", path: "/ports/" + p.ID + "/tokens/01ARZ3NDEKTSV4RRFFQ69G5FAV", token: p.Token}
	}},
}

// TestScopeMatrix: every /ports route with a post and a listen token: what
// the scope allows works, the rest is 403 insufficient_scope and changes
// nothing.
func TestScopeMatrix(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		for _, scope := range []store.Scope{store.ScopePost, store.ScopeListen} {
			for _, r := range scopeRoutes {
				ch := c.createChannel()
				// A message waits at port 1, so that ack has something to
				// acknowledge and a stream something to deliver.
				id := c.send(ch.Port2, `"waiting"`)
				m := c.mint(ch.Port1, string(scope), "")
				p := port{ID: ch.Port1.ID, Token: m.Token}
				rq := r.build(p, ch.Port1)
				if rq.path == "/ports/"+p.ID+"/ack" {
					rq.body = `{"through":"` + id + `"}`
				}
				what := fmt.Sprintf("%s token, %s", scope, r.name)
				if !scope.Allows(r.op) {
					c.do(rq).wantProblem(t, http.StatusForbidden, "insufficient_scope")
					if info := c.describe(ch.Port1); info.State != "open" || info.Queued != 1 {
						t.Errorf("%s: refused, but the port is now %+v", what, info)
					}
					continue
				}
				if r.name == "events" {
					s := c.open(p, streamReq{})
					if s.status != http.StatusOK {
						t.Errorf("%s: status %d", what, s.status)
					} else if got := s.nextMessage(); got.ID != id {
						t.Errorf("%s: got %+v", what, got)
					}
					s.close()
					continue
				}
				res := c.do(rq)
				if res.status >= 300 && !(r.name == "revoke" && res.status == http.StatusNotFound) {
					t.Errorf("%s: status %d, body %s", what, res.status, res.body)
				}
			}
		}
	})
}

// TestScopeTransferRevokes: a transfer, direct or in a message, kills the
// port's scoped tokens: 403 port_transferred, like its old token.
func TestScopeTransferRevokes(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		a := c.mint(ch.Port1, "post", "")
		b := c.mint(ch.Port1, "listen", "")
		c.transfer(ch.Port1).want(t, http.StatusOK)
		c.postJSON(port{ID: ch.Port1.ID, Token: a.Token}, `{"data":1}`).wantProblem(t, http.StatusForbidden, "port_transferred")
		c.do(req{method: "GET", path: "/ports/" + ch.Port1.ID + "/messages", token: b.Token}).wantProblem(t, http.StatusForbidden, "port_transferred")

		other := c.createChannel()
		d := c.mint(other.Port1, "listen", "")
		c.postJSON(ch.Port2, `{"data":"take it","transfer":[{"port":"`+other.Port1.ID+`","token":"`+other.Port1.Token+`"}]}`).want(t, http.StatusCreated)
		c.do(req{method: "GET", path: "/ports/" + other.Port1.ID, token: d.Token}).wantProblem(t, http.StatusForbidden, "port_transferred")

		// A scoped token cannot give its port away in a message.
		third := c.createChannel()
		f := c.mint(third.Port1, "post", "")
		pr := c.postJSON(ch.Port2, `{"data":1,"transfer":[{"port":"`+third.Port1.ID+`","token":"`+f.Token+`"}]}`).
			wantProblem(t, http.StatusUnprocessableEntity, "invalid_transfer")
		if pr.Reason != string(store.RefusedScope) || pr.Port != third.Port1.ID {
			t.Errorf("refusal %+v", pr)
		}
	})
}

// TestScopeStreamTransferred: a stream opened with a listen token ends with
// event: transferred when the port's holder transfers it.
func TestScopeStreamTransferred(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		l := c.mint(ch.Port1, "listen", "")
		s := c.open(port{ID: ch.Port1.ID, Token: l.Token}, streamReq{})
		defer s.close()
		if s.status != http.StatusOK {
			t.Fatalf("status %d", s.status)
		}
		id := c.send(ch.Port2, `"hello"`)
		if got := s.nextMessage(); got.ID != id {
			t.Fatalf("got %+v", got)
		}
		c.transfer(ch.Port1).want(t, http.StatusOK)
		if ev := s.next(); ev.typ != "transferred" {
			t.Fatalf("event %+v, want transferred", ev)
		}
		s.wantEnd()
	})
}
