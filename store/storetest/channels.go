package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var channelTests = []test{
	{"IDs", testChannelIDs},
	{"Tokens", testChannelTokens},
	{"Describe", testChannelDescribe},
	{"DescribeRefusesOtherTokens", testChannelDescribeRefuses},
	{"Creator", testChannelCreator},
}

// testChannelIDs: a channel's three ids are distinct ULIDs sharing their
// tag, and no two channels share an id.
func testChannelIDs(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	seen := map[string]bool{}
	for range 50 {
		c := newPair(ctx, t, s).ch
		for _, id := range []string{c.ID, c.Port1.ID, c.Port2.ID} {
			if !store.ValidID(id) {
				t.Fatalf("id %q is not a canonical ULID", id)
			}
			if seen[id] {
				t.Fatalf("id %q was handed out twice", id)
			}
			seen[id] = true
			if id[:store.TagLength] != c.ID[:store.TagLength] {
				t.Fatalf("port id %q does not share the tag of channel %q", id, c.ID)
			}
		}
	}
}

// testChannelTokens: tokens are distinct, url-safe and long enough to
// carry 128 bits.
func testChannelTokens(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	seen := map[string]bool{}
	for range 50 {
		c := newPair(ctx, t, s).ch
		for _, tok := range []string{c.Port1.Token, c.Port2.Token} {
			// 22 characters of the 64-letter base64url alphabet hold 132
			// bits; a shorter token cannot hold 128.
			if len(tok) < 22 {
				t.Fatalf("token %q is shorter than 22 characters", tok)
			}
			if i := strings.IndexFunc(tok, func(r rune) bool { return !urlSafe(r) }); i >= 0 {
				t.Fatalf("token %q has a character that is not url-safe at %d", tok, i)
			}
			if seen[tok] {
				t.Fatalf("token %q was handed out twice", tok)
			}
			seen[tok] = true
		}
	}
}

func urlSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

// testChannelDescribe: each port describes itself, its channel and its
// peer; a new port is open and empty.
func testChannelDescribe(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	before := time.Now()
	p := newPair(ctx, t, s)
	if !near(p.ch.CreatedAt, before, 5*time.Second) {
		t.Errorf("CreatedAt %v is not about now (%v)", p.ch.CreatedAt, before)
	}
	for _, c := range []struct {
		port      store.Credentials
		wantPeer  string
		whichPort string
	}{{p.p1, p.p2.PortID, "port1"}, {p.p2, p.p1.PortID, "port2"}} {
		info := describe(ctx, t, s, c.port)
		want := store.PortInfo{
			ID: c.port.PortID, ChannelID: p.ch.ID, Peer: c.wantPeer, State: store.StateOpen,
			CreatedAt: info.CreatedAt,
		}
		if d := samePort(want, info); d != "" {
			t.Errorf("%s: %s", c.whichPort, d)
		}
		// Engines may keep time to the millisecond only.
		if !near(info.CreatedAt, p.ch.CreatedAt, time.Millisecond) {
			t.Errorf("%s: CreatedAt %v, created at %v", c.whichPort, info.CreatedAt, p.ch.CreatedAt)
		}
		if !info.ClosedAt.IsZero() {
			t.Errorf("%s: ClosedAt %v on an open channel", c.whichPort, info.ClosedAt)
		}
	}
}

// testChannelDescribeRefuses: a token opens its own port only; unknown and
// malformed ids look exactly like wrong tokens.
func testChannelDescribeRefuses(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	a := newPair(ctx, t, s)
	b := newPair(ctx, t, s)
	cases := []struct {
		name string
		c    store.Credentials
	}{
		{"port1 with port2's token", store.Credentials{PortID: a.p1.PortID, Token: a.p2.Token}},
		{"port2 with port1's token", store.Credentials{PortID: a.p2.PortID, Token: a.p1.Token}},
		{"another channel's token", store.Credentials{PortID: a.p1.PortID, Token: b.p1.Token}},
		{"empty token", store.Credentials{PortID: a.p1.PortID}},
		{"token with a changed letter", store.Credentials{PortID: a.p1.PortID, Token: flip(a.p1.Token)}},
		{"channel id", store.Credentials{PortID: a.ch.ID, Token: a.p1.Token}},
		{"unknown port", store.Credentials{PortID: unknownPort(t), Token: a.p1.Token}},
		{"malformed id", store.Credentials{PortID: "not-a-port", Token: a.p1.Token}},
		{"lower-case id", store.Credentials{PortID: strings.ToLower(a.p1.PortID), Token: a.p1.Token}},
		{"empty id", store.Credentials{Token: a.p1.Token}},
	}
	for _, c := range cases {
		_, err := s.Describe(ctx, c.c)
		wantErr(t, c.name, err, store.ErrUnauthorized)
		if errors.Is(err, store.ErrTransferred) {
			t.Errorf("%s: ErrTransferred for a token the port never had", c.name)
		}
	}
}

// flip returns tok with its last character changed.
func flip(tok string) string {
	last := tok[len(tok)-1]
	if last == 'A' {
		return tok[:len(tok)-1] + "B"
	}
	return tok[:len(tok)-1] + "A"
}

// testChannelCreator: the creator given to CreateChannel or
// CreateChannelOnce is what Describe reports at both ports, "" for an
// anonymous creation, and a replay answers the channel the first call made
// for it.
func testChannelCreator(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	made := map[string]store.NewChannel{}
	for _, creator := range []string{"", "apikey:0123abcd"} {
		ch, err := s.CreateChannel(ctx, creator)
		if err != nil {
			t.Fatalf("CreateChannel(%q): %v", creator, err)
		}
		made["CreateChannel "+creator] = ch
		ch, replayed, err := s.CreateChannelOnce(ctx, creator, once("creator:"+creator, "create"))
		if err != nil || replayed {
			t.Fatalf("CreateChannelOnce(%q): %v (replayed %v)", creator, err, replayed)
		}
		made["CreateChannelOnce "+creator] = ch
		again, replayed, err := s.CreateChannelOnce(ctx, creator, once("creator:"+creator, "create"))
		if err != nil || !replayed || again.ID != ch.ID {
			t.Fatalf("CreateChannelOnce(%q) again: %s, %v (replayed %v), want %s replayed", creator, again.ID, err, replayed, ch.ID)
		}
	}
	for what, ch := range made {
		want := what[strings.IndexByte(what, ' ')+1:]
		for _, pc := range []store.PortCredentials{ch.Port1, ch.Port2} {
			if got := describe(ctx, t, s, creds(pc)).Creator; got != want {
				t.Errorf("%s: port %s describes creator %q, want %q", what, pc.ID, got, want)
			}
		}
	}
}
