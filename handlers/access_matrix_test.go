package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/storetest"
	"github.com/tincan-dev/tincan/web"
)

// The access matrix: every route of the router (found with chi.Walk, so a
// route added without rows fails TestAccessMatrix) against every way of
// presenting a credential, in three deployments. Each cell has one
// expected outcome: a success status, or a refusal's exact status and
// problem code; a refused request must change nothing.
//
// To add a credential state, append a matrixState (the stream tickets are
// an example): present makes whatever it needs on the world (a fresh
// ticket per cell, since stream tickets are single-use) and says how the
// credential travels; expect gives its outcome on a port route (the
// service routes and POST /channels are derived for every state by
// expected). To add a route, add a matrixRoute; a row's except map
// overrides single cells.

// outcome is what one cell must answer: a success status, or a refusal's
// status and problem code.
type outcome struct {
	status int
	code   string
}

func (o outcome) String() string {
	if o.code == "" {
		return fmt.Sprint(o.status)
	}
	return fmt.Sprintf("%d %s", o.status, o.code)
}

func success(status int) outcome { return outcome{status: status} }

var (
	refusedUnauthorized  = outcome{http.StatusUnauthorized, "unauthorized"}
	refusedTransferred   = outcome{http.StatusForbidden, "port_transferred"}
	refusedScope         = outcome{http.StatusForbidden, "insufficient_scope"}
	refusedClosed        = outcome{http.StatusGone, "port_closed"}
	refusedTicket        = outcome{http.StatusUnauthorized, "invalid_ticket"}
	refusedMixed         = outcome{http.StatusBadRequest, "invalid_request"}
	refusedNoContentType = outcome{http.StatusUnsupportedMediaType, "content_type_required"}
)

// matrixRoute is one row: a route as the router knows it.
type matrixRoute struct {
	method, pattern string
	// op is what the route does to its port, for scoped tokens; "" for
	// the routes without a port (service routes and POST /channels).
	op store.Op
	// ok is the answer to the holder of the port's own token.
	ok int
	// afterClose is the answer to that holder once the channel is closed.
	afterClose outcome
	// build makes the request for port p, without credentials. It may
	// prepare what the request needs on the world first (a token to
	// revoke, say), using the port's own token.
	build func(w *world, p port) req
	// except overrides the derived outcome for the states it names.
	except map[string]outcome
	// collection is set for the routes of a collection (w.coll), which
	// take the collection's token: a cell presents it wherever its state
	// presents a1's own token (see forCollection).
	collection bool
	// refusedBody is set for a row whose body is refused whatever the
	// credential: it is the answer of every cell whose request gets past
	// the header checks (a bearer token, of any worth), since the body is
	// judged before the store checks the token (see bodyOutcome).
	refusedBody outcome
}

// bodyOutcome is the outcome of a cell of a row with refusedBody: a
// request without a bearer token (or with a token in the URL where that is
// refused) is unauthorized before its body is read; any other gets the
// body's refusal, which tells nothing of the token.
func (r matrixRoute) bodyOutcome(p presented, m matrixMode) outcome {
	scheme, token, _ := strings.Cut(p.header, " ")
	switch {
	case m.refuseQuery && p.query != "":
		return refusedUnauthorized
	case !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "":
		return refusedUnauthorized
	}
	return r.refusedBody
}

// presented is how a cell's credential travels: an Authorization header,
// an access_token query parameter and a ticket query parameter, each left
// out when empty.
type presented struct {
	header string
	query  string
	ticket string
}

// matrixState is one column: a way of presenting a credential.
type matrixState struct {
	name string
	// present returns the port the request is about and the credential,
	// which it may make on the world.
	present func(w *world) (port, presented)
	// query is set for states that put a token in the URL, refused
	// everywhere by a deployment that keeps tokens out of URLs.
	query bool
	// creator is set for the state that presents a valid credential for
	// creating channels.
	creator bool
	// expect is the outcome on a route with a port, in mode m.
	expect func(r matrixRoute, m matrixMode) outcome
}

// matrixMode is one deployment the matrix runs in.
type matrixMode struct {
	name string
	// auth is the creation-auth mode, nil for open creation.
	auth *authMode
	// refuseQuery is ACCESS_TOKEN_IN_QUERY=false.
	refuseQuery bool
}

// world is what the cells of one mode act on, made afresh after any cell
// that may have changed it.
type world struct {
	t *testing.T
	c *client
	m matrixMode
	// clock is the store's.
	clock *storetest.Clock
	// creatorCred is a valid credential for POST /channels ("" when
	// creation is open).
	creatorCred string
	// a1 (peer a2) is the port most cells target; b1 is in another
	// channel; t1 was transferred (t1Old is its dead token); c1's channel
	// (peer c2) is closed.
	a1, a2, b1, t1, t1Old, t2, c1, c2 port
	// Scoped tokens of a1; revoked was a listen token.
	post, listen, revoked string
	// queued names a message waiting at each of a1, t1 and c1.
	queued map[string]string
	// full is every port's own live token, by port id.
	full map[string]string
	// coll is a collection whose one member is a1, added with a1's own
	// token.
	coll collectionCreds
}

// collectionCreds are a collection's id and token.
type collectionCreds struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// forCollection is the credential of a cell on a collection route: the
// state's, with a1's own token replaced by the collection's, so that
// "own token" holds the collection's token and every other state holds
// something that is not it.
func (w *world) forCollection(p presented) presented {
	p.header = strings.ReplaceAll(p.header, w.a1.Token, w.coll.Token)
	p.query = strings.ReplaceAll(p.query, w.a1.Token, w.coll.Token)
	return p
}

// collectionExpect is the outcome of a state on a collection route: only
// the collection's token in the header opens it (a ticket beside it is
// ignored; a token in the URL is no credential of a collection).
func collectionExpect(r matrixRoute, s matrixState) outcome {
	switch s.name {
	case "own token", "header and a wrong access_token", "ticket and own token", "message ticket and own token":
		return success(r.ok)
	}
	return refusedUnauthorized
}

func bearer(token string) presented { return presented{header: "Bearer " + token} }

// portOnly is the outcome of a state that holds no credential of the port.
func portOnly(o outcome) func(matrixRoute, matrixMode) outcome {
	return func(matrixRoute, matrixMode) outcome { return o }
}

// ownToken is the outcome for the holder of the port's own token.
func ownToken(r matrixRoute, _ matrixMode) outcome { return success(r.ok) }

// scoped is the outcome of a token of the scope.
func scoped(s store.Scope) func(matrixRoute, matrixMode) outcome {
	return func(r matrixRoute, _ matrixMode) outcome {
		if s.Allows(r.op) {
			return success(r.ok)
		}
		return refusedScope
	}
}

var matrixStates = []matrixState{
	{name: "none", present: func(w *world) (port, presented) { return w.a1, presented{} }, expect: portOnly(refusedUnauthorized)},
	{name: "Bearer without a token", present: func(w *world) (port, presented) { return w.a1, presented{header: "Bearer"} }, expect: portOnly(refusedUnauthorized)},
	{name: "own token under Basic", present: func(w *world) (port, presented) {
		return w.a1, presented{header: "Basic " + w.a1.Token}
	}, expect: portOnly(refusedUnauthorized)},
	{name: "own token twice", present: func(w *world) (port, presented) {
		return w.a1, presented{header: "Bearer " + w.a1.Token + " " + w.a1.Token}
	}, expect: portOnly(refusedUnauthorized)},
	{name: "random token", present: func(w *world) (port, presented) { return w.a1, bearer(store.NewToken()) }, expect: portOnly(refusedUnauthorized)},
	{name: "peer's token", present: func(w *world) (port, presented) { return w.a1, bearer(w.a2.Token) }, expect: portOnly(refusedUnauthorized)},
	{name: "other channel's token", present: func(w *world) (port, presented) { return w.a1, bearer(w.b1.Token) }, expect: portOnly(refusedUnauthorized)},
	{name: "post scope", present: func(w *world) (port, presented) { return w.a1, bearer(w.post) }, expect: scoped(store.ScopePost)},
	{name: "listen scope", present: func(w *world) (port, presented) { return w.a1, bearer(w.listen) }, expect: scoped(store.ScopeListen)},
	{name: "revoked scoped token", present: func(w *world) (port, presented) { return w.a1, bearer(w.revoked) }, expect: portOnly(refusedUnauthorized)},
	{name: "transferred-away token", present: func(w *world) (port, presented) { return w.t1, bearer(w.t1Old.Token) }, expect: portOnly(refusedTransferred)},
	{name: "own token, channel closed", present: func(w *world) (port, presented) { return w.c1, bearer(w.c1.Token) },
		expect: func(r matrixRoute, _ matrixMode) outcome { return r.afterClose }},
	{name: "own token", present: func(w *world) (port, presented) { return w.a1, bearer(w.a1.Token) }, expect: ownToken},
	{name: "creation credential", creator: true, present: func(w *world) (port, presented) {
		if w.creatorCred == "" {
			return w.a1, bearer(apiKey)
		}
		return w.a1, bearer(w.creatorCred)
	}, expect: portOnly(refusedUnauthorized)},
	{name: "wrong creation credential", present: func(w *world) (port, presented) { return w.a1, bearer(apiKey + "x") }, expect: portOnly(refusedUnauthorized)},
	{name: "access_token in the query", query: true, present: func(w *world) (port, presented) {
		return w.a1, presented{query: w.a1.Token}
	}, expect: func(r matrixRoute, m matrixMode) outcome {
		if r.method == http.MethodGet || r.method == http.MethodHead { // the only routes that read it
			return success(r.ok)
		}
		return refusedUnauthorized
	}},
	{name: "header and a wrong access_token", query: true, present: func(w *world) (port, presented) {
		return w.a1, presented{header: "Bearer " + w.a1.Token, query: store.NewToken()}
	}, expect: ownToken}, // the header wins
	// Stream tickets: each cell mints its own, since a ticket works once.
	// A ticket is a credential of the event stream and of a message's
	// raw body alone (each of its own kind), whatever
	// ACCESS_TOKEN_IN_QUERY says; every other route ignores ?ticket=.
	{name: "valid ticket", present: func(w *world) (port, presented) {
		return w.a1, presented{ticket: w.issueTicket(w.a1)}
	}, expect: onTickets(ownToken, portOnly(refusedTicket), refusedUnauthorized)},
	{name: "used ticket", present: func(w *world) (port, presented) {
		return w.a1, presented{ticket: w.usedTicket(w.a1)}
	}, expect: onTickets(portOnly(refusedTicket), portOnly(refusedTicket), refusedUnauthorized)},
	{name: "another port's ticket", present: func(w *world) (port, presented) {
		return w.a1, presented{ticket: w.issueTicket(w.b1)}
	}, expect: onTickets(portOnly(refusedTicket), portOnly(refusedTicket), refusedUnauthorized)},
	{name: "expired ticket", present: func(w *world) (port, presented) {
		return w.a1, presented{ticket: w.expiredTicket(w.a1)}
	}, expect: onTickets(portOnly(refusedTicket), portOnly(refusedTicket), refusedUnauthorized)},
	{name: "ticket and own token", present: func(w *world) (port, presented) {
		return w.a1, presented{header: "Bearer " + w.a1.Token, ticket: w.issueTicket(w.a1)}
	}, expect: func(r matrixRoute, m matrixMode) outcome {
		if takesTicket(r) {
			return refusedMixed // never unclear which credential was used
		}
		return ownToken(r, m)
	}},
	// Message tickets: for the message queued at a1 (w.queued), issued
	// with the token the state names; they are not used up.
	{name: "valid message ticket", present: func(w *world) (port, presented) {
		return w.a1, presented{ticket: w.issueMessageTicket(w.a1, w.queued[w.a1.ID], w.a1.Token)}
	}, expect: onTickets(portOnly(refusedTicket), ownToken, refusedUnauthorized)},
	{name: "listen token's message ticket", present: func(w *world) (port, presented) {
		return w.a1, presented{ticket: w.issueMessageTicket(w.a1, w.queued[w.a1.ID], w.listen)}
	}, expect: onTickets(portOnly(refusedTicket), ownToken, refusedUnauthorized)},
	{name: "another message's ticket", present: func(w *world) (port, presented) {
		other := w.c.send(w.a2, `"another message at a1"`)
		return w.a1, presented{ticket: w.issueMessageTicket(w.a1, other, w.a1.Token)}
	}, expect: onTickets(portOnly(refusedTicket), portOnly(refusedTicket), refusedUnauthorized)},
	{name: "another port's message ticket", present: func(w *world) (port, presented) {
		at := w.c.send(w.a1, `"a message at a2"`)
		return w.a1, presented{ticket: w.issueMessageTicket(w.a2, at, w.a2.Token)}
	}, expect: onTickets(portOnly(refusedTicket), portOnly(refusedTicket), refusedUnauthorized)},
	{name: "expired message ticket", present: func(w *world) (port, presented) {
		return w.a1, presented{ticket: w.expiredMessageTicket(w.a1, w.queued[w.a1.ID])}
	}, expect: onTickets(portOnly(refusedTicket), portOnly(refusedTicket), refusedUnauthorized)},
	// Issued before the port was transferred: it stands for the token
	// that died with the transfer.
	{name: "message ticket from before a transfer", present: func(w *world) (port, presented) {
		p, ticket := w.transferredMessageTicket()
		return p, presented{ticket: ticket}
	}, expect: onTickets(portOnly(refusedTicket), portOnly(refusedTransferred), refusedUnauthorized)},
	{name: "message ticket and own token", present: func(w *world) (port, presented) {
		return w.a1, presented{header: "Bearer " + w.a1.Token, ticket: w.issueMessageTicket(w.a1, w.queued[w.a1.ID], w.a1.Token)}
	}, expect: func(r matrixRoute, m matrixMode) outcome {
		if takesTicket(r) {
			return refusedMixed
		}
		return ownToken(r, m)
	}},
}

// expected is the outcome of a cell.
func expected(r matrixRoute, s matrixState, m matrixMode) outcome {
	if o, ok := r.except[s.name]; ok {
		return o
	}
	if s.query && m.refuseQuery {
		return refusedUnauthorized
	}
	if r.collection {
		return collectionExpect(r, s)
	}
	if r.op == "" {
		if (r.pattern == "/channels" || r.pattern == "/collections") && m.auth != nil && !s.creator {
			return refusedUnauthorized
		}
		return success(r.ok)
	}
	return s.expect(r, m)
}

func jsonReq(method, path, body string) req {
	return req{method: method, path: path, contentType: "application/json", body: body}
}

var matrixRoutes = []matrixRoute{
	{method: "GET", pattern: "/healthz", ok: 200, build: func(*world, port) req { return req{method: "GET", path: "/healthz"} }},
	{method: "HEAD", pattern: "/healthz", ok: 200, build: func(*world, port) req { return req{method: "HEAD", path: "/healthz"} }},
	{method: "GET", pattern: "/readyz", ok: 200, build: func(*world, port) req { return req{method: "GET", path: "/readyz"} }},
	{method: "HEAD", pattern: "/readyz", ok: 200, build: func(*world, port) req { return req{method: "HEAD", path: "/readyz"} }},
	{method: "GET", pattern: "/openapi.yaml", ok: 200, build: func(*world, port) req { return req{method: "GET", path: "/openapi.yaml"} }},
	{method: "HEAD", pattern: "/openapi.yaml", ok: 200, build: func(*world, port) req { return req{method: "HEAD", path: "/openapi.yaml"} }},
	{method: "GET", pattern: "/metrics", ok: 200, build: func(*world, port) req { return req{method: "GET", path: "/metrics"} }},
	{method: "HEAD", pattern: "/metrics", ok: 200, build: func(*world, port) req { return req{method: "HEAD", path: "/metrics"} }},
	{method: "GET", pattern: "/", ok: 200, build: func(*world, port) req { return req{method: "GET", path: "/"} }},
	{method: "HEAD", pattern: "/", ok: 200, build: func(*world, port) req { return req{method: "HEAD", path: "/"} }},
	{method: "GET", pattern: "/docs", ok: 200, build: func(*world, port) req { return req{method: "GET", path: "/docs"} }},
	{method: "HEAD", pattern: "/docs", ok: 200, build: func(*world, port) req { return req{method: "HEAD", path: "/docs"} }},
	{method: "GET", pattern: "/docs/errors", ok: 200, build: func(*world, port) req { return req{method: "GET", path: "/docs/errors"} }},
	{method: "HEAD", pattern: "/docs/errors", ok: 200, build: func(*world, port) req { return req{method: "HEAD", path: "/docs/errors"} }},
	{method: "POST", pattern: "/channels", ok: 201, build: func(*world, port) req { return req{method: "POST", path: "/channels"} }},
	{method: "GET", pattern: "/ports/{id}", op: store.OpDescribe, ok: 200, afterClose: success(200),
		build: func(_ *world, p port) req { return req{method: "GET", path: "/ports/" + p.ID} }},
	{method: "HEAD", pattern: "/ports/{id}", op: store.OpDescribe, ok: 200, afterClose: success(200),
		build: func(_ *world, p port) req { return req{method: "HEAD", path: "/ports/" + p.ID} }},
	{method: "POST", pattern: "/ports/{id}/messages", op: store.OpPost, ok: 201, afterClose: refusedClosed,
		build: func(_ *world, p port) req { return jsonReq("POST", "/ports/"+p.ID+"/messages", `{"data":"matrix"}`) }},
	// Bytes, as any body of a type other than JSON and text is.
	{method: "POST", pattern: "/ports/{id}/messages", op: store.OpPost, ok: 201, afterClose: refusedClosed,
		build: func(_ *world, p port) req {
			return req{method: "POST", path: "/ports/" + p.ID + "/messages", contentType: "image/png", body: "\x89PNG\r\n\x1a\n\x00\xff"}
		}},
	// No Content-Type: what the body is is not guessed.
	{method: "POST", pattern: "/ports/{id}/messages", op: store.OpPost, refusedBody: refusedNoContentType,
		build: func(_ *world, p port) req {
			return req{method: "POST", path: "/ports/" + p.ID + "/messages", body: `{"data":"matrix"}`}
		}},
	{method: "GET", pattern: "/ports/{id}/messages", op: store.OpRead, ok: 200, afterClose: success(200),
		build: func(_ *world, p port) req { return req{method: "GET", path: "/ports/" + p.ID + "/messages"} }},
	{method: "GET", pattern: bodyPattern, op: store.OpRead, ok: 200, afterClose: success(200),
		build: func(w *world, p port) req { return req{method: "GET", path: w.bodyPath(p)} }},
	{method: "HEAD", pattern: bodyPattern, op: store.OpRead, ok: 200, afterClose: success(200),
		build: func(w *world, p port) req { return req{method: "HEAD", path: w.bodyPath(p)} }},
	// Like a stream ticket's, for a message of a closed channel too: it
	// may still be read.
	{method: "POST", pattern: "/ports/{id}/messages/{message_id}/tickets", op: store.OpRead, ok: 201, afterClose: success(201),
		build: func(w *world, p port) req {
			return jsonReq("POST", "/ports/"+p.ID+"/messages/"+w.queued[p.ID]+"/tickets", `{}`)
		}},
	{method: "GET", pattern: eventsPattern, op: store.OpRead, ok: 200, afterClose: success(200),
		build: func(_ *world, p port) req { return req{method: "GET", path: "/ports/" + p.ID + "/events"} }},
	// Issuing reads nothing, but asks for a credential that may read; a
	// closed channel's port may still read what is left, so it gets one.
	{method: "POST", pattern: "/ports/{id}/tickets", op: store.OpRead, ok: 201, afterClose: success(201),
		build: func(_ *world, p port) req { return jsonReq("POST", "/ports/"+p.ID+"/tickets", `{}`) }},
	{method: "POST", pattern: "/ports/{id}/ack", op: store.OpAck, ok: 204, afterClose: success(204),
		build: func(w *world, p port) req {
			return jsonReq("POST", "/ports/"+p.ID+"/ack", `{"through":"`+w.queued[p.ID]+`"}`)
		}},
	{method: "POST", pattern: "/ports/{id}/close", op: store.OpClose, ok: 204, afterClose: success(204),
		build: func(_ *world, p port) req { return req{method: "POST", path: "/ports/" + p.ID + "/close"} }},
	{method: "POST", pattern: "/ports/{id}/transfer", op: store.OpTransfer, ok: 200, afterClose: refusedClosed,
		build: func(_ *world, p port) req {
			return req{method: "POST", path: "/ports/" + p.ID + "/transfer", header: keyHeader(newKey())}
		}},
	{method: "POST", pattern: "/ports/{id}/tokens", op: store.OpTokens, ok: 201, afterClose: success(201),
		build: func(_ *world, p port) req {
			return jsonReq("POST", "/ports/"+p.ID+"/tokens", `{"scope":"listen","label":"matrix"}`)
		}},
	{method: "GET", pattern: "/ports/{id}/tokens", op: store.OpTokens, ok: 200, afterClose: success(200),
		build: func(_ *world, p port) req { return req{method: "GET", path: "/ports/" + p.ID + "/tokens"} }},
	{method: "DELETE", pattern: "/ports/{id}/tokens/{token_id}", op: store.OpTokens, ok: 204, afterClose: success(204),
		build: func(w *world, p port) req {
			// A live token of the port, so that only the credential
			// decides.
			m := w.c.mint(port{ID: p.ID, Token: w.full[p.ID]}, "post", "to revoke")
			return req{method: "DELETE", path: "/ports/" + p.ID + "/tokens/" + m.ID}
		}},

	{method: "POST", pattern: "/collections", ok: 201, build: func(*world, port) req { return req{method: "POST", path: "/collections"} }},
	{method: "GET", pattern: "/collections/{id}", collection: true, ok: 200,
		build: func(w *world, _ port) req { return req{method: "GET", path: "/collections/" + w.coll.ID} }},
	{method: "DELETE", pattern: "/collections/{id}", collection: true, ok: 204,
		build: func(w *world, _ port) req { return req{method: "DELETE", path: "/collections/" + w.coll.ID} }},
	{method: "POST", pattern: "/collections/{id}/members", collection: true, ok: 201,
		build: func(w *world, _ port) req {
			return jsonReq("POST", "/collections/"+w.coll.ID+"/members", `{"port":"`+w.b1.ID+`","token":"`+w.full[w.b1.ID]+`"}`)
		}},
	{method: "DELETE", pattern: "/collections/{id}/members/{port}", collection: true, ok: 204,
		build: func(w *world, _ port) req {
			return req{method: "DELETE", path: "/collections/" + w.coll.ID + "/members/" + w.a1.ID}
		}},
	{method: "POST", pattern: "/collections/{id}/messages", collection: true, ok: 200,
		build: func(w *world, _ port) req {
			return jsonReq("POST", "/collections/"+w.coll.ID+"/messages", `{"data":"matrix"}`)
		}},
	{method: "POST", pattern: "/collections/{id}/messages", collection: true, refusedBody: refusedNoContentType,
		build: func(w *world, _ port) req {
			return req{method: "POST", path: "/collections/" + w.coll.ID + "/messages", body: "matrix"}
		}},
}

// matrixModes are the deployments the matrix runs in.
func matrixModes() []matrixMode {
	return []matrixMode{
		{name: "open creation, query tokens allowed"},
		{name: "apikey creation, query tokens refused", auth: &authModes[0], refuseQuery: true},
		{name: "jwt creation, query tokens allowed", auth: &authModes[1]},
	}
}

// TestAccessMatrix runs every cell of the matrix: nothing that should be
// refused succeeds, every refusal has its status and code, and a refused
// request changes nothing. The deployments have servers of their own and
// run side by side.
func TestAccessMatrix(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		for _, m := range matrixModes() {
			t.Run(m.name, func(t *testing.T) {
				t.Parallel()
				runMatrix(t, e, m)
			})
		}
	})
}

func runMatrix(t *testing.T, e env, m matrixMode) {
	clock := storetest.NewClock()
	c := e.server(t, func(o *options) {
		o.now = clock.Now
		o.cfg.RefuseQueryTokens = m.refuseQuery
		o.cfg.Pages = web.Static()
		if m.auth != nil {
			o.cfg.CreateAuth = m.auth.auth(t)
		}
	})
	checkMatrixCoversRouter(t, c.srv)

	var cells, refusals, successes, wronglyServed int
	w := newWorld(t, c, clock, m)
	for _, r := range matrixRoutes {
		for _, s := range matrixStates {
			cells++
			want := expected(r, s, m)
			target, cred := s.present(w)
			if r.collection {
				cred = w.forCollection(cred)
			}
			if r.refusedBody.status != 0 {
				want = r.bodyOutcome(cred, m)
			}
			rq := r.build(w, target)
			before := w.snapshot(target)
			got := w.send(rq, cred)
			what := fmt.Sprintf("%s %s, %s", r.method, r.pattern, s.name)
			if got.status != want.status {
				t.Errorf("%s: status %d, want %v; body %s", what, got.status, want, got.body)
			}
			if want.code == "" {
				successes++
				if r.method != http.MethodGet && r.method != http.MethodHead && (r.op != "" || r.collection) {
					w = newWorld(t, c, clock, m) // the success may have changed it
				}
				continue
			}
			refusals++
			if got.status < 300 {
				wronglyServed++
			}
			switch {
			case got.status != want.status:
			case r.method == http.MethodHead:
				// The code is in the GET's body only.
				if ct := got.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("%s: refused with Content-Type %q", what, ct)
				}
			default:
				got.wantProblem(t, want.status, want.code)
			}
			if got.status == http.StatusUnauthorized && got.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", what)
			}
			if after := w.snapshot(target); after != before {
				t.Errorf("%s: refused, but it changed the ports:\nbefore %s\nafter  %s", what, before, after)
			}
		}
	}
	t.Logf("%d cells: %d successes, %d refusals", cells, successes, refusals)
	if wronglyServed != 0 {
		t.Errorf("%d requests that must be refused succeeded", wronglyServed)
	}
}

// checkMatrixCoversRouter fails the test unless the matrix has a row for
// every route of the router, and no row for a route it lacks.
func checkMatrixCoversRouter(t *testing.T, s *Server) {
	t.Helper()
	var routes []string
	err := chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatalf("walk the router: %v", err)
	}
	var rows []string
	for _, r := range matrixRoutes {
		rows = append(rows, r.method+" "+r.pattern)
	}
	for _, rt := range routes {
		if !slices.Contains(rows, rt) {
			t.Errorf("route %s has no row in the access matrix", rt)
		}
	}
	for _, row := range rows {
		if !slices.Contains(routes, row) {
			t.Errorf("the access matrix has a row for %s, which the router lacks", row)
		}
	}
}

// newWorld makes the channels and tokens the cells act on.
func newWorld(t *testing.T, c *client, clock *storetest.Clock, m matrixMode) *world {
	t.Helper()
	w := &world{t: t, c: c, clock: clock, m: m, queued: map[string]string{}, full: map[string]string{}}
	if m.auth != nil {
		w.creatorCred = m.auth.valid(t)
	}
	a, b, tr, cl := w.createChannel(), w.createChannel(), w.createChannel(), w.createChannel()
	w.a1, w.a2, w.b1 = a.Port1, a.Port2, b.Port1
	w.t1Old, w.t2, w.c1, w.c2 = tr.Port1, tr.Port2, cl.Port1, cl.Port2

	w.post = c.mint(w.a1, "post", "").Token
	w.listen = c.mint(w.a1, "listen", "").Token
	revoked := c.mint(w.a1, "listen", "")
	c.do(req{method: "DELETE", path: "/ports/" + w.a1.ID + "/tokens/" + revoked.ID, token: w.a1.Token}).want(t, http.StatusNoContent)
	w.revoked = revoked.Token

	res := c.transfer(w.t1Old).want(t, http.StatusOK)
	w.t1 = decodeBody[port](t, res)
	if w.t1.ID != w.t1Old.ID {
		t.Fatalf("transfer answered port %s for %s", w.t1.ID, w.t1Old.ID)
	}
	w.queued[w.a1.ID] = c.send(w.a2, `"waiting at a1"`)
	w.queued[w.t1.ID] = c.send(w.t2, `"waiting at t1"`)
	w.queued[w.c1.ID] = c.send(w.c2, `"waiting at c1"`)
	c.closePort(w.c1).want(t, http.StatusNoContent)
	for _, p := range []port{w.a1, w.a2, w.b1, w.t1, w.t2, w.c1, w.c2} {
		w.full[p.ID] = p.Token
	}
	cr := req{method: "POST", path: "/collections", token: w.creatorCred}
	w.coll = decodeBody[collectionCreds](t, c.do(cr).want(t, http.StatusCreated))
	c.do(jsonReq2("/collections/"+w.coll.ID+"/members", `{"port":"`+w.a1.ID+`","token":"`+w.a1.Token+`"}`, w.coll.Token)).want(t, http.StatusCreated)
	return w
}

func (w *world) createChannel() channel {
	w.t.Helper()
	r := req{method: "POST", path: "/channels"}
	if w.creatorCred != "" {
		r.token = w.creatorCred
	}
	return decodeBody[channel](w.t, w.c.do(r).want(w.t, http.StatusCreated))
}

// send sends rq with the credential. An event stream that opens is
// closed at once: its status and headers are the answer.
func (w *world) send(rq req, cred presented) response {
	w.t.Helper()
	if cred.header != "" {
		// The route's own headers (an Idempotency-Key) stay.
		h := map[string]string{"Authorization": cred.header}
		for k, v := range rq.header {
			h[k] = v
		}
		rq.header = h
	}
	if cred.query != "" {
		rq.path = withParam(rq.path, accessTokenParam, cred.query)
	}
	if cred.ticket != "" {
		rq.path = withParam(rq.path, ticketParam, cred.ticket)
	}
	if !strings.HasSuffix(strings.SplitN(rq.path, "?", 2)[0], "/events") {
		return w.c.do(rq)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, rq.method, w.c.url+rq.path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	for k, v := range rq.header {
		hr.Header.Set(k, v)
	}
	res, err := w.c.hc.Do(hr)
	if err != nil {
		w.t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		checkSpec(w.t, hr, res, nil)
		return response{status: res.StatusCode, header: res.Header}
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	checkSpec(w.t, hr, res, b)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// snapshot describes, from the store itself, everything a refused request
// about port p might have changed: p, its peer, the other channel's port
// and p's scoped tokens.
func (w *world) snapshot(p port) string {
	w.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	info, err := w.c.store.Describe(ctx, store.Credentials{PortID: p.ID, Token: w.full[p.ID]})
	if err != nil {
		w.t.Fatalf("describe %s: %v", p.ID, err)
	}
	fmt.Fprintf(&b, "%+v", info)
	for _, id := range []string{info.Peer, w.b1.ID} {
		other, err := w.c.store.Describe(ctx, store.Credentials{PortID: id, Token: w.full[id]})
		if err != nil {
			w.t.Fatalf("describe %s: %v", id, err)
		}
		fmt.Fprintf(&b, " %+v", other)
	}
	tokens, err := w.c.store.ListTokens(ctx, store.Credentials{PortID: p.ID, Token: w.full[p.ID]})
	if err != nil {
		w.t.Fatalf("list tokens of %s: %v", p.ID, err)
	}
	for _, tk := range tokens {
		fmt.Fprintf(&b, " token %s/%s", tk.ID, tk.Scope)
	}
	// The collection, which a refused collection request must not change
	// either (a broadcast would show at a2, a1's peer, above).
	coll, err := w.c.store.DescribeCollection(ctx, w.coll.ID, w.coll.Token)
	fmt.Fprintf(&b, " collection %v %v", coll.Members, err)
	return b.String()
}

// eventsPattern is the one route that takes a stream ticket, bodyPattern
// the one (with its HEAD) that takes a message ticket.
const (
	eventsPattern = "/ports/{id}/events"
	bodyPattern   = "/ports/{id}/messages/{message_id}/body"
)

// takesTicket reports whether ?ticket= is a credential on r.
func takesTicket(r matrixRoute) bool { return r.pattern == eventsPattern || r.pattern == bodyPattern }

// onTickets is the outcome of a ticket state: the event stream's, a
// message's raw body's, or, on any other route with a port, elsewhere
// (where ?ticket= is no credential).
func onTickets(events, body func(matrixRoute, matrixMode) outcome, elsewhere outcome) func(matrixRoute, matrixMode) outcome {
	return func(r matrixRoute, m matrixMode) outcome {
		switch r.pattern {
		case eventsPattern:
			return events(r, m)
		case bodyPattern:
			return body(r, m)
		}
		return elsewhere
	}
}

// bodyPath is the path of the raw body of the message queued at p.
func (w *world) bodyPath(p port) string {
	return "/ports/" + p.ID + "/messages/" + w.queued[p.ID] + "/body"
}

// issueMessageTicket gets a ticket for the message id at p, asked for
// with token.
func (w *world) issueMessageTicket(p port, id, token string) string {
	w.t.Helper()
	rq := jsonReq("POST", "/ports/"+p.ID+"/messages/"+id+"/tickets", "")
	rq.token = token
	return decodeBody[messageTicketAnswer](w.t, w.c.do(rq).want(w.t, http.StatusCreated)).Ticket
}

// expiredMessageTicket gets a ticket for the message id at p that has
// expired, issued by the store itself, as expiredTicket does a stream
// ticket and for its reasons.
func (w *world) expiredMessageTicket(p port, id string) string {
	w.t.Helper()
	eid, err := store.ParseEventID(id)
	if err != nil {
		w.t.Fatal(err)
	}
	const ttl = time.Millisecond
	t, err := w.c.store.IssueMessageTicket(context.Background(), store.Credentials{PortID: p.ID, Token: w.full[p.ID]}, eid, ttl)
	if err != nil {
		w.t.Fatalf("issue a message ticket for %s: %v", p.ID, err)
	}
	w.clock.Advance(ttl)
	return t.Secret
}

// transferredMessageTicket makes a channel whose port has a message
// queued and a ticket for it, then transfers the port: it returns the
// port (with its new token, in w.full, so that the cell's snapshot can
// describe it) and the ticket issued before.
func (w *world) transferredMessageTicket() (port, string) {
	w.t.Helper()
	ch := w.createChannel()
	p := ch.Port1
	id := w.c.send(ch.Port2, `"to be fetched after a transfer"`)
	ticket := w.issueMessageTicket(p, id, p.Token)
	moved := decodeBody[port](w.t, w.c.transfer(p).want(w.t, http.StatusOK))
	w.full[p.ID], w.full[ch.Port2.ID] = moved.Token, ch.Port2.Token
	w.queued[p.ID] = id
	return moved, ticket
}

// withParam adds name=value to the query of path.
func withParam(path, name, value string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + name + "=" + url.QueryEscape(value)
}

// issueTicket gets a fresh ticket for p's stream with p's own token.
func (w *world) issueTicket(p port) string {
	w.t.Helper()
	rq := jsonReq("POST", "/ports/"+p.ID+"/tickets", `{}`)
	rq.token = w.full[p.ID]
	return decodeBody[ticketAnswer](w.t, w.c.do(rq).want(w.t, http.StatusCreated)).Ticket
}

// usedTicket gets a ticket for p and uses it up: it opens (and closes)
// p's stream.
func (w *world) usedTicket(p port) string {
	w.t.Helper()
	t := w.issueTicket(p)
	w.send(req{method: "GET", path: "/ports/" + p.ID + "/events"}, presented{ticket: t}).want(w.t, http.StatusOK)
	return t
}

// expiredTicket gets a ticket for p that has expired. It is issued by the
// store itself, the server's, with a TTL of a millisecond, and the store's
// clock is moved past it: a server TTL that short would expire the other
// states' tickets before they are presented. The handler does no more
// than pass its TTL to the store (TestTicketExpiry expires one issued over
// HTTP).
func (w *world) expiredTicket(p port) string {
	w.t.Helper()
	const ttl = time.Millisecond
	t, err := w.c.store.IssueTicket(context.Background(), []store.Credentials{{PortID: p.ID, Token: w.full[p.ID]}}, ttl)
	if err != nil {
		w.t.Fatalf("issue a ticket for %s: %v", p.ID, err)
	}
	w.clock.Advance(ttl)
	return t.Secret
}

// jsonReq2 is a JSON POST to path with a bearer token.
func jsonReq2(path, body, token string) req {
	r := jsonReq("POST", path, body)
	r.token = token
	return r
}
