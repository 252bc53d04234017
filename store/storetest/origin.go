package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var originTests = []test{
	{"RoundTrip", testOriginRoundTrip},
	{"WithTransferList", testOriginWithTransferList},
	{"Idempotent", testOriginIdempotent},
	{"Pushed", testOriginPushed},
	{"Refused", testOriginRefused},
}

// origins are the origins a message may carry, "" (none) first.
var origins = []string{"", "null", "https://example.com", "http://localhost:8080", "https://[::1]:8443"}

// testOriginRoundTrip: each message comes back with the origin it was
// posted with, "" for none, beside its other fields.
func testOriginRoundTrip(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	var posted []store.EventID
	for i, o := range origins {
		id, err := s.Post(ctx, p.p1, store.Outgoing{Data: text(fmt.Sprint(i)), Origin: o})
		if err != nil {
			t.Fatalf("Post with origin %q: %v", o, err)
		}
		posted = append(posted, id)
	}
	got := readAll(ctx, t, s, p.p2, store.EventID{})
	if len(got) != len(origins) {
		t.Fatalf("read %d messages, want %d", len(got), len(origins))
	}
	for i, m := range got {
		if m.ID != posted[i] || m.Origin != origins[i] || string(m.Data) != fmt.Sprintf(`"%d"`, i) || m.Source != p.p1.PortID || m.Undecodable != "" {
			t.Errorf("message %d: id %q origin %q data %s source %q undecodable %q; want %q %q \"%d\" %q \"\"",
				i, m.ID, m.Origin, m.Data, m.Source, m.Undecodable, posted[i], origins[i], i, p.p1.PortID)
		}
	}
}

// testOriginWithTransferList: a message carrying ports keeps its origin
// and its ports.
func testOriginWithTransferList(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p, other := newPair(ctx, t, s), newPair(ctx, t, s)
	id, err := s.Post(ctx, p.p1, store.Outgoing{Data: text("ports"), Transfer: []store.Credentials{other.p1}, Origin: "https://app.example"})
	if err != nil {
		t.Fatalf("Post with a transfer list and an origin: %v", err)
	}
	msgs := readAll(ctx, t, s, p.p2, store.EventID{})
	if len(msgs) != 1 || msgs[0].ID != id {
		t.Fatalf("read %v, want the one message %q", ids(msgs), id)
	}
	m := msgs[0]
	if m.Origin != "https://app.example" || len(m.Ports) != 1 || m.Ports[0].ID != other.p1.PortID || m.Undecodable != "" {
		t.Errorf("message: origin %q ports %v undecodable %q", m.Origin, m.Ports, m.Undecodable)
	}
	// The fresh token works: the message is whole, not just readable.
	if _, err := s.Describe(ctx, creds(m.Ports[0])); err != nil {
		t.Errorf("the received port's token: %v", err)
	}
}

// testOriginIdempotent: a post under an idempotency key keeps its origin.
func testOriginIdempotent(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	once := store.Idempotency{Key: "origin-key", Fingerprint: [32]byte{1}}
	id, replayed, err := s.PostOnce(ctx, p.p1, store.Outgoing{Data: text("once"), Origin: "null"}, once)
	if err != nil || replayed {
		t.Fatalf("PostOnce: %v replayed %v", err, replayed)
	}
	msgs := readAll(ctx, t, s, p.p2, store.EventID{})
	if len(msgs) != 1 || msgs[0].ID != id || msgs[0].Origin != "null" {
		t.Fatalf("read %+v, want %q with origin null", msgs, id)
	}
}

// testOriginPushed: a message that reaches a subscriber with its notice
// (store.Notice.Pushed) is the message a read returns, origin included.
func testOriginPushed(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	sub := subscribe(t, s, p.p2.PortID)
	for i, o := range origins {
		if _, err := s.Post(ctx, p.p1, store.Outgoing{Data: text(fmt.Sprint(i)), Origin: o}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := readAll(ctx, t, s, p.p2, store.EventID{})
	var pushed []store.Notice
	deadline := time.Now().Add(ringWait)
	for time.Now().Before(deadline) && !slices.ContainsFunc(pushed, func(n store.Notice) bool { return n.Message.ID == msgs[len(msgs)-1].ID }) {
		if !waitRing(sub, time.Until(deadline)) {
			break
		}
		for _, n := range sub.Take(nil) {
			if n.Port != p.p2.PortID {
				t.Errorf("notice for %q, subscribed to %q only", n.Port, p.p2.PortID)
			}
			if n.Pushed {
				pushed = append(pushed, n)
			} else if len(pushed) == 0 {
				// A store that only rings has nothing more to show.
				deadline = time.Now()
			}
		}
	}
	for _, n := range pushed {
		i := slices.IndexFunc(msgs, func(m store.Message) bool { return m.ID == n.Message.ID })
		if i < 0 {
			t.Errorf("pushed message %q was never read", n.Message.ID)
			continue
		}
		m, got := msgs[i], n.Message
		if got.Origin != m.Origin || string(got.Data) != string(m.Data) || got.Source != m.Source || !got.SentAt.Equal(m.SentAt) {
			t.Errorf("pushed %+v, read %+v", got, m)
		}
	}
	t.Logf("%d of %d messages pushed", len(pushed), len(msgs))
}

// testOriginRefused: an origin that is not one is ErrInvalid, and nothing
// is stored.
func testOriginRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	for _, o := range []string{"https://example.com/path", "Example", "https://a\x00b", "https://EXAMPLE.com"} {
		_, err := s.Post(ctx, p.p1, store.Outgoing{Data: text("x"), Origin: o})
		wantErr(t, fmt.Sprintf("Post with origin %q", o), err, store.ErrInvalid)
		_, _, err = s.PostOnce(ctx, p.p1, store.Outgoing{Data: text("x"), Origin: o}, store.Idempotency{Key: "k", Fingerprint: [32]byte{2}})
		wantErr(t, fmt.Sprintf("PostOnce with origin %q", o), err, store.ErrInvalid)
	}
	if info := describe(ctx, t, s, p.p2); info.Queued != 0 || info.Posted != 0 {
		t.Errorf("after refused posts: queued %d posted %d, want none", info.Queued, info.Posted)
	}
}
