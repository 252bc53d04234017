package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// postWithKey posts body through p under an Idempotency-Key.
func (c *client) postWithKey(p port, key, contentType, body string) response {
	c.t.Helper()
	return c.do(req{method: "POST", path: "/ports/" + p.ID + "/messages", token: p.Token,
		contentType: contentType, body: body, header: map[string]string{"Idempotency-Key": key}})
}

// wantReplayed fails unless the answer is (or is not) marked as replayed.
func wantReplayed(t *testing.T, res response, replayed bool) {
	t.Helper()
	got := res.header.Get("Idempotent-Replayed")
	if (got == "true") != replayed || (!replayed && got != "") {
		t.Errorf("Idempotent-Replayed %q, want replayed %v", got, replayed)
	}
}

// Issue 3, point 3: a retried post under an Idempotency-Key gets the first
// answer again, marked, and stores nothing; the same key for another
// request is 422.
func TestIdempotentPost(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		const body = `{"data":{"n":1}}`
		first := c.postWithKey(ch.Port1, "key-1", "application/json", body).want(t, http.StatusCreated)
		wantReplayed(t, first, false)
		for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
			again := c.postWithKey(ch.Port1, "key-1", ct, body).want(t, http.StatusCreated)
			wantReplayed(t, again, true)
			if !bytes.Equal(again.body, first.body) {
				t.Errorf("replay answered %s, first %s", again.body, first.body)
			}
		}
		if n := len(c.list(ch.Port2, "").Messages); n != 1 {
			t.Fatalf("%d messages stored, want 1", n)
		}

		// Another request under the key: another body, the same bytes as
		// text, the same JSON spaced differently.
		for _, tc := range []struct{ contentType, body string }{
			{"application/json", `{"data":{"n":2}}`},
			{"text/plain", body},
			{"application/json", `{"data": {"n":1}}`},
		} {
			c.postWithKey(ch.Port1, "key-1", tc.contentType, tc.body).wantProblem(t, http.StatusUnprocessableEntity, "idempotency_key_reused")
		}
		// The key belongs to its port: the peer may use it too.
		wantReplayed(t, c.postWithKey(ch.Port2, "key-1", "application/json", body).want(t, http.StatusCreated), false)
		if n := len(c.list(ch.Port2, "").Messages); n != 1 {
			t.Fatalf("%d messages stored after refusals, want 1", n)
		}

		// A raw text post replays too.
		c.postWithKey(ch.Port1, "key-2", "text/plain", "hello").want(t, http.StatusCreated)
		wantReplayed(t, c.postWithKey(ch.Port1, "key-2", "text/plain", "hello").want(t, http.StatusCreated), true)
		c.postWithKey(ch.Port1, "key-2", "text/plain", "hello!").wantProblem(t, http.StatusUnprocessableEntity, "idempotency_key_reused")
		if n := len(c.list(ch.Port2, "").Messages); n != 2 {
			t.Fatalf("%d messages stored, want 2", n)
		}
	})
}

// A post with a transfer list replays without moving anything again; a
// refused one is not remembered, so the corrected request goes through.
func TestIdempotentPostWithTransfer(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch, other := c.createChannel(), c.createChannel()
		bad := `{"data":"take it","transfer":[{"port":"` + other.Port1.ID + `","token":"wrong-token-wrong-token"}]}`
		c.postWithKey(ch.Port1, "move", "application/json", bad).wantProblem(t, http.StatusUnprocessableEntity, "invalid_transfer")
		good := `{"data":"take it","transfer":[{"port":"` + other.Port1.ID + `","token":"` + other.Port1.Token + `"}]}`
		first := c.postWithKey(ch.Port1, "move", "application/json", good).want(t, http.StatusCreated)
		wantReplayed(t, first, false)
		again := c.postWithKey(ch.Port1, "move", "application/json", good).want(t, http.StatusCreated)
		wantReplayed(t, again, true)
		if !bytes.Equal(again.body, first.body) {
			t.Errorf("replay answered %s, first %s", again.body, first.body)
		}
		msgs := c.list(ch.Port2, "").Messages
		if len(msgs) != 1 || len(msgs[0].Ports) != 1 {
			t.Fatalf("stored %+v", msgs)
		}
		c.describe(msgs[0].Ports[0]) // the carried token is the port's
	})
}

// A channel created under a key is answered again, tokens included, and
// the tokens work.
func TestIdempotentChannel(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		create := func(key string) response {
			return c.do(req{method: "POST", path: "/channels", header: map[string]string{"Idempotency-Key": key}}).want(t, http.StatusCreated)
		}
		first := create("chan-1")
		wantReplayed(t, first, false)
		again := create("chan-1")
		wantReplayed(t, again, true)
		if !bytes.Equal(again.body, first.body) {
			t.Fatalf("replay answered %s, first %s", again.body, first.body)
		}
		ch := decodeBody[channel](t, again)
		c.describe(ch.Port1)
		c.send(ch.Port2, `"works"`)
		if other := decodeBody[channel](t, create("chan-2")); other.ID == ch.ID {
			t.Error("another key answered the same channel")
		}
	})
}

// In open mode a channel creation's Idempotency-Key is scoped to the
// client address: the same key from the same address is replayed, from
// another address (another TCP peer, another client a trusted proxy names,
// another IPv6 /64) it makes a new channel, and never hands out the
// first one's tokens.
func TestIdempotentChannelPerClient(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		create := func(c *client, key, from string) (channel, bool) {
			t.Helper()
			h := map[string]string{"Idempotency-Key": key}
			if from != "" {
				h["X-Forwarded-For"] = from
			}
			res := c.do(req{method: "POST", path: "/channels", header: h}).want(t, http.StatusCreated)
			return decodeBody[channel](t, res), res.header.Get("Idempotent-Replayed") == "true"
		}
		c := e.server(t)
		first, _ := create(c, "open-key", "")
		if again, replayed := create(c, "open-key", ""); again.ID != first.ID || !replayed {
			t.Errorf("the same address: %s (replayed %v), want %s replayed", again.ID, replayed, first.ID)
		}
		// The same server, from 127.0.0.2.
		other := *c
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		other.hc = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
		defer other.hc.CloseIdleConnections()
		if got, replayed := create(&other, "open-key", ""); got.ID == first.ID || replayed {
			t.Errorf("another address got %s (replayed %v), the first address's channel %s", got.ID, replayed, first.ID)
		}

		// Behind a trusted proxy, the client it names is the address.
		proxied := e.server(t, func(o *options) { o.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
		v6, _ := create(proxied, "proxied-key", "2001:db8::1")
		for _, tc := range []struct {
			from string
			same bool
		}{
			{"2001:db8::2", true}, // the same /64
			{"2001:db8:0:1::1", false},
			{"203.0.113.1", false},
		} {
			if got, replayed := create(proxied, "proxied-key", tc.from); (got.ID == v6.ID) != tc.same || replayed != tc.same {
				t.Errorf("from %s: %s (replayed %v); the first from 2001:db8::1 was %s, want the same: %v", tc.from, got.ID, replayed, v6.ID, tc.same)
			}
		}
	})
}

// A malformed Idempotency-Key is 400 on both routes, before anything is
// done.
func TestIdempotencyKeyMalformed(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		for _, key := range []string{"", strings.Repeat("k", 256), "caf\u00e9", "tab\there"} {
			c.postWithKey(ch.Port1, key, "application/json", `{"data":1}`).wantProblem(t, http.StatusBadRequest, "invalid_request")
			c.do(req{method: "POST", path: "/channels", header: map[string]string{"Idempotency-Key": key}}).wantProblem(t, http.StatusBadRequest, "invalid_request")
		}
		// Given twice.
		hr, err := http.NewRequest("POST", c.url+"/ports/"+ch.Port1.ID+"/messages", strings.NewReader(`{"data":1}`))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Add("Idempotency-Key", "a")
		hr.Header.Add("Idempotency-Key", "b")
		res, err := c.hc.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		checkSpec(t, hr, res, b)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("two keys: %d %s", res.StatusCode, b)
		}
		// The longest key is fine, and a missing token still comes first.
		c.postWithKey(ch.Port1, strings.Repeat("k", 255), "application/json", `{"data":1}`).want(t, http.StatusCreated)
		c.postWithKey(port{ID: ch.Port1.ID}, "", "application/json", `{"data":1}`).wantProblem(t, http.StatusUnauthorized, "unauthorized")
		if n := len(c.list(ch.Port2, "").Messages); n != 1 {
			t.Errorf("%d messages stored, want 1", n)
		}
	})
}

// inFlight is a store on which every idempotent request is still in
// flight: the memory store never is, since it does everything in one step.
type inFlight struct{ store.Store }

func (inFlight) PostOnce(context.Context, store.Credentials, store.Outgoing, store.Idempotency) (store.EventID, bool, error) {
	return store.EventID{}, false, store.ErrInFlight
}

func (inFlight) CreateChannelOnce(context.Context, string, store.Idempotency) (store.NewChannel, bool, error) {
	return store.NewChannel{}, false, store.ErrInFlight
}

// A request whose key is in flight is 409 idempotency_in_flight with
// Retry-After.
func TestIdempotencyInFlight(t *testing.T) {
	mem := memory.New(store.Limits{})
	t.Cleanup(func() { _ = mem.Close() })
	s := NewServer(slog.New(slog.NewTextHandler(newTestLog(t), &slog.HandlerOptions{Level: slog.LevelWarn})), inFlight{mem}, Config{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	c := &client{t: t, url: ts.URL, hc: ts.Client(), srv: s, store: mem}
	ch := c.createChannel()
	for _, res := range []response{
		c.postWithKey(ch.Port1, "k", "application/json", `{"data":1}`),
		c.do(req{method: "POST", path: "/channels", header: map[string]string{"Idempotency-Key": "k"}}),
	} {
		res.wantProblem(t, http.StatusConflict, "idempotency_in_flight")
		if res.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q", res.header.Get("Retry-After"))
		}
	}
}

// Five clients sending one post under one key at once: one message is
// stored, and every answer is its 201 (first or replayed) or in flight.
func TestIdempotentPostConcurrent(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		for round := range 5 {
			ch := c.createChannel()
			key := "race-" + strconv.Itoa(round)
			answers := make([]response, 5)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() {
					answers[i] = c.postWithKey(ch.Port1, key, "application/json", `{"data":"once"}`)
				})
			}
			wg.Wait()
			var first []byte
			fresh := 0
			for _, res := range answers {
				switch res.status {
				case http.StatusConflict:
					res.wantProblem(t, http.StatusConflict, "idempotency_in_flight")
				case http.StatusCreated:
					if res.header.Get("Idempotent-Replayed") == "" {
						fresh++
					}
					if first == nil {
						first = res.body
					} else if !bytes.Equal(res.body, first) {
						t.Fatalf("answers %s and %s", first, res.body)
					}
				default:
					t.Fatalf("answer %d %s", res.status, res.body)
				}
			}
			if fresh != 1 {
				t.Errorf("%d answers were not replays, want 1", fresh)
			}
			if n := len(c.list(ch.Port2, "").Messages); n != 1 {
				t.Fatalf("%d messages stored, want 1", n)
			}
		}
	})
}
