package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// broadcastAnswer is POST /collections/{id}/messages's answer as a test
// reads it.
type broadcastAnswer struct {
	Reached   int `json:"reached"`
	Delivered []struct {
		Port string `json:"port"`
		ID   string `json:"id"`
	} `json:"delivered"`
	Refused []struct {
		Port string `json:"port"`
		Code string `json:"code"`
	} `json:"refused"`
}

func (c *client) createCollection() collectionCreds {
	c.t.Helper()
	res := c.do(req{method: "POST", path: "/collections"}).want(c.t, http.StatusCreated)
	cc := decodeBody[collectionCreds](c.t, res)
	if !store.ValidID(cc.ID) || !urlSafe.MatchString(cc.Token) {
		c.t.Fatalf("created collection %+v", cc)
	}
	return cc
}

func (c *client) addMember(cc collectionCreds, p port) response {
	c.t.Helper()
	return c.do(jsonReq2("/collections/"+cc.ID+"/members", `{"port":"`+p.ID+`","token":"`+p.Token+`"}`, cc.Token))
}

func (c *client) broadcast(cc collectionCreds, contentType, body string) response {
	c.t.Helper()
	return c.do(req{method: "POST", path: "/collections/" + cc.ID + "/messages", token: cc.Token, contentType: contentType, body: body})
}

// TestBroadcast: docs/GUIDE.md's walk-through: two channels, a collection
// with one port of each, one broadcast, each peer reads it in its own
// queue; then refusals are reported, never skipped.
func TestBroadcast(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		a, b := c.createChannel(), c.createChannel()
		cc := c.createCollection()
		c.addMember(cc, a.Port1).want(t, http.StatusCreated)
		// A post-scoped token proves the right as well as the port's own.
		poster := c.mint(b.Port1, "post", "broadcaster")
		c.addMember(cc, port{ID: b.Port1.ID, Token: poster.Token}).want(t, http.StatusCreated)
		// Adding again answers 200 and adds nothing.
		again := decodeBody[memberResponse](t, c.addMember(cc, a.Port1).want(t, http.StatusOK))
		if again.Added || again.Port != a.Port1.ID {
			t.Errorf("re-add: %+v", again)
		}
		info := decodeBody[collectionInfo](t, c.do(req{method: "GET", path: "/collections/" + cc.ID, token: cc.Token}).want(t, http.StatusOK))
		if info.Count != 2 || len(info.Members) != 2 {
			t.Errorf("describe: %+v", info)
		}

		res := decodeBody[broadcastAnswer](t, c.broadcast(cc, "application/json", `{"data":{"news":1}}`).want(t, http.StatusOK))
		if res.Reached != 2 || len(res.Delivered) != 2 || len(res.Refused) != 0 {
			t.Fatalf("broadcast: %+v", res)
		}
		if got := c.scrape().value("tincan_messages_posted_total"); got != 2 {
			t.Errorf("posted counted %v after a broadcast to 2 members, want 2", got)
		}
		ids := map[string]string{}
		for _, d := range res.Delivered {
			ids[d.Port] = d.ID
		}
		for _, ch := range []channel{a, b} {
			l := c.list(ch.Port2, "")
			if len(l.Messages) != 1 || string(l.Messages[0].Data) != `{"news":1}` || l.Messages[0].Source != ch.Port1.ID || l.Messages[0].ID != ids[ch.Port1.ID] {
				t.Errorf("at %s: %+v, want the broadcast with id %s", ch.Port2.ID, l.Messages, ids[ch.Port1.ID])
			}
		}
		// A text body is a string, as for a post.
		c.broadcast(cc, "text/plain", "hello all").want(t, http.StatusOK)
		if l := c.list(a.Port2, ""); len(l.Messages) != 2 || string(l.Messages[1].Data) != `"hello all"` {
			t.Errorf("text broadcast: %+v", l.Messages)
		}

		// The Origin header reaches every peer, as a post's does; a
		// malformed one is refused and posts nothing.
		c.do(req{method: "POST", path: "/collections/" + cc.ID + "/messages", token: cc.Token, contentType: "text/plain",
			body: "from a page", header: map[string]string{"Origin": "https://example.com"}}).want(t, http.StatusOK)
		if l := c.list(b.Port2, ""); len(l.Messages) != 3 || l.Messages[2].Origin != "https://example.com" {
			t.Errorf("broadcast with an origin: %+v", l.Messages)
		}
		c.do(req{method: "POST", path: "/collections/" + cc.ID + "/messages", token: cc.Token, contentType: "text/plain",
			body: "x", header: map[string]string{"Origin": "https://example.com/path"}}).wantProblem(t, http.StatusBadRequest, "invalid_request")
		if l := c.list(b.Port2, ""); len(l.Messages) != 3 {
			t.Errorf("a refused broadcast posted: %d messages", len(l.Messages))
		}

		// A transfer list is refused: one port cannot go to many.
		other := c.createChannel()
		p := c.broadcast(cc, "application/json", `{"data":1,"transfer":[{"port":"`+other.Port1.ID+`","token":"`+other.Port1.Token+`"}]}`).
			wantProblem(t, http.StatusBadRequest, "invalid_request")
		if p.Detail == "" {
			t.Error("no detail")
		}
		if info := c.describe(other.Port1); info.ID != other.Port1.ID {
			t.Errorf("the listed port changed: %+v", info)
		}

		// b's port is transferred: its member is refused, a is reached.
		c.transfer(b.Port1).want(t, http.StatusOK)
		res = decodeBody[broadcastAnswer](t, c.broadcast(cc, "application/json", `{"data":"after"}`).want(t, http.StatusOK))
		if res.Reached != 1 || len(res.Refused) != 1 || res.Refused[0].Port != b.Port1.ID || res.Refused[0].Code != "port_transferred" {
			t.Errorf("after the transfer: %+v", res)
		}

		// Removing a member; removing it again is 404.
		path := "/collections/" + cc.ID + "/members/" + b.Port1.ID
		c.do(req{method: "DELETE", path: path, token: cc.Token}).want(t, http.StatusNoContent)
		c.do(req{method: "DELETE", path: path, token: cc.Token}).wantProblem(t, http.StatusNotFound, "not_found")

		// A wrong collection token, none, and a deleted collection, are
		// 401, each saying it is the collection's token that is wanted.
		wantCollection := func(p problem) {
			t.Helper()
			if !strings.Contains(p.Detail, "collection") || strings.Contains(p.Detail, "port") {
				t.Errorf("a refused collection token: detail %q", p.Detail)
			}
		}
		wantCollection(c.do(req{method: "GET", path: "/collections/" + cc.ID, token: a.Port1.Token}).wantProblem(t, http.StatusUnauthorized, "unauthorized"))
		wantCollection(c.do(req{method: "GET", path: "/collections/" + cc.ID}).wantProblem(t, http.StatusUnauthorized, "unauthorized"))
		c.do(req{method: "DELETE", path: "/collections/" + cc.ID, token: cc.Token}).want(t, http.StatusNoContent)
		wantCollection(c.broadcast(cc, "application/json", `{"data":1}`).wantProblem(t, http.StatusUnauthorized, "unauthorized"))
		wantCollection(c.do(req{method: "DELETE", path: path, token: cc.Token}).wantProblem(t, http.StatusUnauthorized, "unauthorized"))
	})
}

// TestAddMemberRefused: a member's credentials are checked, and their
// refusal is told apart from the collection's.
func TestAddMemberRefused(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t, func(o *options) { o.limits.MaxCollectionMembers = 1 })
		a, b := c.createChannel(), c.createChannel()
		cc := c.createCollection()

		listen := c.mint(a.Port1, "listen", "")
		p := c.addMember(cc, port{ID: a.Port1.ID, Token: listen.Token}).wantProblem(t, http.StatusUnprocessableEntity, "invalid_member")
		if p.Port != a.Port1.ID || p.MemberCode != "insufficient_scope" {
			t.Errorf("listen token: %+v", p)
		}
		p = c.addMember(cc, port{ID: a.Port1.ID, Token: store.NewToken()}).wantProblem(t, http.StatusUnprocessableEntity, "invalid_member")
		if p.MemberCode != "unauthorized" {
			t.Errorf("wrong token: %+v", p)
		}
		c.closePort(b.Port2).want(t, http.StatusNoContent)
		p = c.addMember(cc, b.Port1).wantProblem(t, http.StatusUnprocessableEntity, "invalid_member")
		if p.MemberCode != "port_closed" {
			t.Errorf("closed port: %+v", p)
		}
		c.do(jsonReq2("/collections/"+cc.ID+"/members", `{"port":"`+a.Port1.ID+`"}`, cc.Token)).wantProblem(t, http.StatusBadRequest, "invalid_request")
		// The wrong collection token is the caller's problem, 401, and
		// says so; a member's wrong token above named the port.
		p = c.do(jsonReq2("/collections/"+cc.ID+"/members", `{"port":"`+a.Port1.ID+`","token":"`+a.Port1.Token+`"}`, a.Port1.Token)).
			wantProblem(t, http.StatusUnauthorized, "unauthorized")
		if !strings.Contains(p.Detail, "collection") {
			t.Errorf("a wrong collection token: detail %q", p.Detail)
		}

		c.addMember(cc, a.Port1).want(t, http.StatusCreated)
		d := c.createChannel()
		c.addMember(cc, d.Port1).wantProblem(t, http.StatusConflict, "too_many_members")
	})
}

// TestBroadcastStreams: a broadcast arrives on each peer's open event
// stream, as a post does, under the id the answer names.
func TestBroadcastStreams(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		cc := c.createCollection()
		chans := []channel{c.createChannel(), c.createChannel(), c.createChannel()}
		streams := make([]*sseStream, len(chans))
		for i, ch := range chans {
			c.addMember(cc, ch.Port1).want(t, http.StatusCreated)
			streams[i] = c.open(ch.Port2, streamReq{})
		}
		res := decodeBody[broadcastAnswer](t, c.broadcast(cc, "application/json", `{"data":{"to":"streams"}}`).want(t, http.StatusOK))
		ids := map[string]string{}
		for _, d := range res.Delivered {
			ids[d.Port] = d.ID
		}
		for i, s := range streams {
			m := s.nextMessage()
			if string(m.Data) != `{"to":"streams"}` || m.Source != chans[i].Port1.ID || m.ID != ids[chans[i].Port1.ID] {
				t.Errorf("stream of %s: %+v, want the broadcast with id %s", chans[i].Port2.ID, m, ids[chans[i].Port1.ID])
			}
			s.close()
		}
	})
}

// Issue 12, point 2: a broadcast under an Idempotency-Key, retried, stores
// nothing twice and answers the first ids; a member added in between is
// reached by the retry; the key with another body refuses the members it
// reached before.
func TestBroadcastIdempotent(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		a, b, late := c.createChannel(), c.createChannel(), c.createChannel()
		cc := c.createCollection()
		c.addMember(cc, a.Port1).want(t, http.StatusCreated)
		c.addMember(cc, b.Port1).want(t, http.StatusCreated)
		send := func(key, body string) broadcastAnswer {
			t.Helper()
			res := c.do(req{method: "POST", path: "/collections/" + cc.ID + "/messages", token: cc.Token,
				contentType: "application/json", body: body, header: keyHeader(key)}).want(t, http.StatusOK)
			return decodeBody[broadcastAnswer](t, res)
		}
		first := send("b-1", `{"data":"news"}`)
		if first.Reached != 2 || len(first.Refused) != 0 {
			t.Fatalf("broadcast: %+v", first)
		}
		again := send("b-1", `{"data":"news"}`)
		if fmt.Sprint(again) != fmt.Sprint(first) {
			t.Errorf("retry answered %+v, first %+v", again, first)
		}
		for _, ch := range []channel{a, b} {
			if n := len(c.list(ch.Port2, "").Messages); n != 1 {
				t.Errorf("%s holds %d messages after a retried broadcast, want 1", ch.Port2.ID, n)
			}
		}

		c.addMember(cc, late.Port1).want(t, http.StatusCreated)
		third := send("b-1", `{"data":"news"}`)
		if third.Reached != 3 || len(third.Refused) != 0 {
			t.Fatalf("retry after a member joined: %+v", third)
		}
		if l := c.list(late.Port2, ""); len(l.Messages) != 1 || string(l.Messages[0].Data) != `"news"` {
			t.Errorf("the late member's peer holds %+v", l.Messages)
		}

		// The key with another body: every member it reached refuses.
		other := send("b-1", `{"data":"other news"}`)
		if other.Reached != 0 || len(other.Refused) != 3 {
			t.Fatalf("the key with another body: %+v", other)
		}
		for _, r := range other.Refused {
			if r.Code != "idempotency_key_reused" {
				t.Errorf("member %s refused with %s, want idempotency_key_reused", r.Port, r.Code)
			}
		}
		if n := len(c.list(a.Port2, "").Messages); n != 1 {
			t.Errorf("%d messages after the refused broadcast, want 1", n)
		}
		// Without a key a broadcast posts every time.
		c.broadcast(cc, "application/json", `{"data":"news"}`).want(t, http.StatusOK)
		if n := len(c.list(a.Port2, "").Messages); n != 2 {
			t.Errorf("%d messages after a broadcast without a key, want 2", n)
		}
	})
}
