package handlers

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var urlSafe = regexp.MustCompile(`^[A-Za-z0-9_-]{22,}$`)

// POST /channels is new MessageChannel(): a channel and two ports, each
// with a distinct ULID and its own URL-safe token of at least 128 bits.
func TestCreateChannel(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		before := time.Now()
		// The body is ignored, whatever it is.
		res := c.do(req{method: "POST", path: "/channels", contentType: "application/json", body: `{"nonsense":`}).want(t, http.StatusCreated)
		if ct := res.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		ch := decodeBody[channel](t, res)
		for _, id := range []string{ch.ID, ch.Port1.ID, ch.Port2.ID} {
			if !store.ValidID(id) {
				t.Errorf("id %q is not a ULID", id)
			}
		}
		if ch.ID == ch.Port1.ID || ch.ID == ch.Port2.ID || ch.Port1.ID == ch.Port2.ID {
			t.Errorf("ids not distinct: %+v", ch)
		}
		for _, tok := range []string{ch.Port1.Token, ch.Port2.Token} {
			if !urlSafe.MatchString(tok) {
				t.Errorf("token %q is not url-safe with at least 128 bits", tok)
			}
		}
		if ch.Port1.Token == ch.Port2.Token {
			t.Error("both ports have one token")
		}
		if ch.CreatedAt.Before(before.Add(-time.Second)) || ch.CreatedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("created_at %v is not now", ch.CreatedAt)
		}
		if !strings.Contains(string(res.body), `Z"`) {
			t.Errorf("created_at not in UTC: %s", res.body)
		}
		if other := c.createChannel(); other.ID == ch.ID || other.Port1.Token == ch.Port1.Token {
			t.Error("two channels share an id or a token")
		}

		// GET /ports/{id} describes the port: its peer, its channel, open and
		// empty.
		for _, pair := range [][2]port{{ch.Port1, ch.Port2}, {ch.Port2, ch.Port1}} {
			info := c.describe(pair[0])
			if info.ID != pair[0].ID || info.Peer != pair[1].ID || info.Channel != ch.ID || info.State != "open" ||
				info.Queued != 0 || info.LastEventID != "" || info.AckedEventID != "" || info.ClosedAt != nil ||
				!info.CreatedAt.Equal(ch.CreatedAt) {
				t.Errorf("describe %s: %+v", pair[0].ID, info)
			}
		}
	})
}
