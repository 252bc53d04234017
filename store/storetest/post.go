package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

var postTests = []test{
	{"BeforeAnyReader", testPostBeforeReader},
	{"InOrder", testPostInOrder},
	{"DataByteForByte", testPostDataExact},
	{"ToPeerOnly", testPostToPeerOnly},
	{"QueueFull", testPostQueueFull},
	{"Refused", testPostRefused},
}

// testPostBeforeReader: a message posted before anyone reads waits at the
// peer, with its source and time, and without ports.
func testPostBeforeReader(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	before := time.Now()
	id := post(ctx, t, s, p.p1, json.RawMessage(`{"hello":"world"}`))

	b := read(ctx, t, s, p.p2, store.EventID{}, 10)
	if len(b.Messages) != 1 {
		t.Fatalf("read %d messages, want 1", len(b.Messages))
	}
	m := b.Messages[0]
	if m.ID != id {
		t.Errorf("message id %q, Post returned %q", m.ID, id)
	}
	if string(m.Data) != `{"hello":"world"}` {
		t.Errorf("data %s", m.Data)
	}
	if m.Source != p.p1.PortID {
		t.Errorf("source %q, want the sending port %q", m.Source, p.p1.PortID)
	}
	if !near(m.SentAt, before, 5*time.Second) {
		t.Errorf("SentAt %v is not about now (%v)", m.SentAt, before)
	}
	if len(m.Ports) != 0 {
		t.Errorf("ports %v on a message without a transfer list", m.Ports)
	}
	if b.State != store.StateOpen || !b.ClosedAt.IsZero() {
		t.Errorf("batch state %s closed at %v, want open", b.State, b.ClosedAt)
	}
	info := describe(ctx, t, s, p.p2)
	if info.Queued != 1 || info.LastID != id || !info.Acked.IsZero() {
		t.Errorf("port2 queued %d last %q acked %q, want 1 %q none", info.Queued, info.LastID, info.Acked, id)
	}
}

// testPostInOrder: 500 messages arrive in the order they were posted, with
// strictly increasing ids.
func testPostInOrder(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	const n = 500
	posted := postN(ctx, t, s, p.p1, n)
	wantIncreasing(t, "ids returned by Post", posted)

	got := readAll(ctx, t, s, p.p2, store.EventID{})
	if len(got) != n {
		t.Fatalf("read %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		if m.ID != posted[i] || string(m.Data) != fmt.Sprintf(`"%d"`, i) {
			t.Fatalf("message %d is %q %s, want %q \"%d\"", i, m.ID, m.Data, posted[i], i)
		}
	}
	if info := describe(ctx, t, s, p.p2); info.Queued != n || info.LastID != posted[n-1] {
		t.Errorf("port2 queued %d last %q, want %d %q", info.Queued, info.LastID, n, posted[n-1])
	}
}

// testPostDataExact: data comes back byte for byte, whitespace, escapes
// and number spellings included.
func testPostDataExact(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	big := bytes.Repeat([]byte("x"), 200<<10)
	inputs := []string{
		`null`, `0`, `-1.50e+10`, `true`, `""`, `"héllo \u00e9 \"quoted\" 😀"`,
		`{ "a" : [1, 2,  3],"b":{}}`, "[\n\t1\n]", `"` + string(big) + `"`,
		`"line1\nline2\r\n\u0000"`, `{"html":"<script>&amp;</script>"}`,
	}
	for _, in := range inputs {
		post(ctx, t, s, p.p1, json.RawMessage(in))
	}
	got := readAll(ctx, t, s, p.p2, store.EventID{})
	if len(got) != len(inputs) {
		t.Fatalf("read %d messages, want %d", len(got), len(inputs))
	}
	for i, m := range got {
		if !bytes.Equal(m.Data, []byte(inputs[i])) {
			t.Errorf("message %d: data %.80q, want %.80q", i, m.Data, inputs[i])
		}
	}
}

// testPostToPeerOnly: a message is queued at the peer, never at the
// sender, and the two directions are separate queues.
func testPostToPeerOnly(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	other := newPair(ctx, t, s)
	post(ctx, t, s, p.p1, text("to port2"))
	post(ctx, t, s, p.p2, text("to port1 a"))
	post(ctx, t, s, p.p2, text("to port1 b"))

	if got := datas(readAll(ctx, t, s, p.p2, store.EventID{})); fmt.Sprint(got) != `["to port2"]` {
		t.Errorf("port2 holds %v", got)
	}
	got := readAll(ctx, t, s, p.p1, store.EventID{})
	if fmt.Sprint(datas(got)) != `["to port1 a" "to port1 b"]` {
		t.Errorf("port1 holds %v", datas(got))
	}
	for _, m := range got {
		if m.Source != p.p2.PortID {
			t.Errorf("source %q, want %q", m.Source, p.p2.PortID)
		}
	}
	for _, c := range []store.Credentials{other.p1, other.p2} {
		if n := len(readAll(ctx, t, s, c, store.EventID{})); n != 0 {
			t.Errorf("a port of another channel holds %d messages", n)
		}
	}
}

// testPostQueueFull: a post to a full queue is refused and stores nothing;
// an ack makes room again. The other direction is not affected.
func testPostQueueFull(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueue: 3})
	p := newPair(ctx, t, s)
	posted := postN(ctx, t, s, p.p1, 3)
	before := describe(ctx, t, s, p.p2)

	_, err := s.Post(ctx, p.p1, store.Outgoing{Data: text("fourth")})
	wantErr(t, "fourth post", err, store.ErrQueueFull)
	if d := samePort(before, describe(ctx, t, s, p.p2)); d != "" {
		t.Errorf("a refused post changed port2: %s", d)
	}
	if got := datas(readAll(ctx, t, s, p.p2, store.EventID{})); fmt.Sprint(got) != `["0" "1" "2"]` {
		t.Errorf("port2 holds %v", got)
	}

	post(ctx, t, s, p.p2, text("the other way")) // port1's queue is separate

	ack(ctx, t, s, p.p2, posted[0])
	post(ctx, t, s, p.p1, text("room again"))
	_, err = s.Post(ctx, p.p1, store.Outgoing{Data: text("full again")})
	wantErr(t, "post after the room was used", err, store.ErrQueueFull)
	if got := datas(readAll(ctx, t, s, p.p2, store.EventID{})); fmt.Sprint(got) != `["1" "2" "room again"]` {
		t.Errorf("port2 holds %v", got)
	}
}

// testPostRefused: posts with a wrong token or an unknown port store
// nothing.
func testPostRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	before := describe(ctx, t, s, p.p2)
	for _, c := range []store.Credentials{
		{PortID: p.p1.PortID, Token: p.p2.Token},
		{PortID: p.p1.PortID, Token: flip(p.p1.Token)},
		{PortID: unknownPort(t), Token: p.p1.Token},
		{PortID: "malformed", Token: p.p1.Token},
	} {
		_, err := s.Post(ctx, c, store.Outgoing{Data: text("x")})
		wantErr(t, "post with "+c.PortID, err, store.ErrUnauthorized)
	}
	// Data that is not JSON is the store's to refuse too, not only the
	// HTTP layer's: readers deliver the stored bytes as JSON.
	for _, data := range []json.RawMessage{json.RawMessage(`{"broken"`), json.RawMessage(`1 2`), nil} {
		_, err := s.Post(ctx, p.p1, store.Outgoing{Data: data})
		wantErr(t, fmt.Sprintf("post of %q", data), err, store.ErrInvalid)
		_, _, err = s.PostOnce(ctx, p.p1, store.Outgoing{Data: data}, store.Idempotency{Key: "not-json", Fingerprint: [32]byte{3}})
		wantErr(t, fmt.Sprintf("post once of %q", data), err, store.ErrInvalid)
	}
	if d := samePort(before, describe(ctx, t, s, p.p2)); d != "" {
		t.Errorf("refused posts changed port2: %s", d)
	}
}
