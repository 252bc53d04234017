package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// Bounds in bytes: what a port's queue holds (Limits.MaxQueueBytes, the
// rule of Limits.Admit), what one read returns (ReadLimit.Bytes) and what
// one broadcast stores (Limits.MaxBroadcastBytes). Each counts the bytes
// of message data, as stored and delivered.
var bytesTests = []test{
	{"QueueBound", testBytesQueueBound},
	{"AckGivesBack", testBytesAckGivesBack},
	{"QueueBoundOnce", testBytesQueueBoundOnce},
	{"BroadcastMember", testBytesBroadcastMember},
	{"BroadcastBound", testBytesBroadcastBound},
	{"ReadBound", testBytesReadBound},
	{"ReadLargeFirst", testBytesReadLargeFirst},
}

// sized returns JSON message data of exactly n bytes (n >= 2): a string of
// n-2 letters, the letter saying which message it is.
func sized(n int, letter byte) json.RawMessage {
	return json.RawMessage(`"` + strings.Repeat(string(letter), n-2) + `"`)
}

// testBytesQueueBound: a post whose data would pass MaxQueueBytes at the
// peer is refused with ErrQueueBytesFull, which is ErrQueueFull too, and
// changes nothing; a message that fills the queue to the byte is taken.
// The other direction has its own bytes.
func testBytesQueueBound(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueueBytes: 100})
	p := newPair(ctx, t, s)
	post(ctx, t, s, p.p1, sized(40, 'a'))
	post(ctx, t, s, p.p1, sized(40, 'b'))
	before := describe(ctx, t, s, p.p2)
	if before.Queued != 2 || before.QueuedBytes != 80 {
		t.Fatalf("port2 queued %d messages of %d bytes, want 2 of 80", before.Queued, before.QueuedBytes)
	}

	_, err := s.Post(ctx, p.p1, store.Outgoing{Data: sized(21, 'c')})
	wantErr(t, "a post one byte past the bound", err, store.ErrQueueBytesFull)
	wantErr(t, "a post one byte past the bound", err, store.ErrQueueFull)
	if d := samePort(before, describe(ctx, t, s, p.p2)); d != "" {
		t.Errorf("a refused post changed port2: %s", d)
	}

	post(ctx, t, s, p.p1, sized(20, 'd')) // to the byte
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != 100 || info.Queued != 3 {
		t.Errorf("port2 queued %d messages of %d bytes, want 3 of 100", info.Queued, info.QueuedBytes)
	}
	_, err = s.Post(ctx, p.p1, store.Outgoing{Data: json.RawMessage(`1`)})
	wantErr(t, "a one-byte post to a full queue", err, store.ErrQueueBytesFull)

	// Port1's queue is separate; a message larger than a whole queue is
	// refused even there.
	post(ctx, t, s, p.p2, sized(100, 'e'))
	_, err = s.Post(ctx, p.p2, store.Outgoing{Data: sized(2, 'f')})
	wantErr(t, "the other direction, full", err, store.ErrQueueBytesFull)
	q := newPair(ctx, t, s)
	_, err = s.Post(ctx, q.p1, store.Outgoing{Data: sized(101, 'g')})
	wantErr(t, "a message larger than the bound, to an empty queue", err, store.ErrQueueBytesFull)
	if got := datas(readAll(ctx, t, s, p.p2, store.EventID{})); len(got) != 3 {
		t.Errorf("port2 holds %d messages, want 3", len(got))
	}
}

// testBytesAckGivesBack: an acknowledgement gives back exactly the bytes of
// what it deletes, so that the room it makes can be used; acknowledging
// everything leaves no bytes counted.
func testBytesAckGivesBack(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueueBytes: 100})
	p := newPair(ctx, t, s)
	a := post(ctx, t, s, p.p1, sized(30, 'a'))
	b := post(ctx, t, s, p.p1, sized(30, 'b'))
	post(ctx, t, s, p.p1, sized(40, 'c'))
	_, err := s.Post(ctx, p.p1, store.Outgoing{Data: sized(30, 'd')})
	wantErr(t, "a post to a full queue", err, store.ErrQueueBytesFull)

	ack(ctx, t, s, p.p2, a)
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != 70 {
		t.Errorf("after acknowledging 30 bytes of 100: %d bytes queued, want 70", info.QueuedBytes)
	}
	ack(ctx, t, s, p.p2, a) // again: a no-op, which gives back nothing
	d := post(ctx, t, s, p.p1, sized(30, 'd'))
	_, err = s.Post(ctx, p.p1, store.Outgoing{Data: sized(2, 'e')})
	wantErr(t, "a post to the queue full again", err, store.ErrQueueBytesFull)

	ack(ctx, t, s, p.p2, b)
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != 70 || info.Queued != 2 {
		t.Errorf("after acknowledging the second: %d messages of %d bytes, want 2 of 70", info.Queued, info.QueuedBytes)
	}
	ack(ctx, t, s, p.p2, d)
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != 0 || info.Queued != 0 {
		t.Errorf("after acknowledging everything: %d messages of %d bytes, want none", info.Queued, info.QueuedBytes)
	}
	post(ctx, t, s, p.p1, sized(100, 'f'))
}

// testBytesQueueBoundOnce: under an idempotency key the bound refuses the
// same, and the refusal leaves no record: the key works once there is
// room.
func testBytesQueueBoundOnce(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueueBytes: 100})
	p := newPair(ctx, t, s)
	first := post(ctx, t, s, p.p1, sized(90, 'a'))
	msg := store.Outgoing{Data: sized(20, 'b')}
	once := store.Idempotency{Key: "bytes", Fingerprint: [32]byte{7}}
	_, _, err := s.PostOnce(ctx, p.p1, msg, once)
	wantErr(t, "PostOnce to a full queue", err, store.ErrQueueBytesFull)
	ack(ctx, t, s, p.p2, first)
	id, replayed, err := s.PostOnce(ctx, p.p1, msg, once)
	if err != nil || replayed || id.IsZero() {
		t.Fatalf("PostOnce once there is room: %q, replayed %v, %v", id, replayed, err)
	}
	if again, replayed, err := s.PostOnce(ctx, p.p1, msg, once); err != nil || !replayed || again != id {
		t.Errorf("its retry: %q, replayed %v, %v; want %q replayed", again, replayed, err, id)
	}
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != 20 {
		t.Errorf("%d bytes queued, want the one message's 20", info.QueuedBytes)
	}
}

// testBytesBroadcastMember: a member whose peer has no room for the
// broadcast's bytes is refused with queue_full; the others are reached.
func testBytesBroadcastMember(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueueBytes: 100})
	full, free := newPair(ctx, t, s), newPair(ctx, t, s)
	post(ctx, t, s, full.p1, sized(90, 'a'))
	c := newCollection(ctx, t, s)
	addMember(ctx, t, s, c, full.p1)
	addMember(ctx, t, s, c, free.p1)
	before := describe(ctx, t, s, full.p2)

	res := broadcast(ctx, t, s, c, sized(20, 'b'))
	if len(res.Delivered) != 1 || res.Delivered[0].Port != free.p1.PortID {
		t.Errorf("delivered %+v, want the member with room only", res.Delivered)
	}
	want := []store.Refused{{Port: full.p1.PortID, Reason: store.BroadcastQueueFull}}
	if fmt.Sprint(res.Refused) != fmt.Sprint(want) || len(res.Unknown) != 0 {
		t.Errorf("refused %+v, unknown %v; want %+v", res.Refused, res.Unknown, want)
	}
	if d := samePort(before, describe(ctx, t, s, full.p2)); d != "" {
		t.Errorf("the refused member's peer changed: %s", d)
	}
	if info := describe(ctx, t, s, free.p2); info.QueuedBytes != 20 {
		t.Errorf("the reached peer holds %d bytes, want 20", info.QueuedBytes)
	}
}

// testBytesBroadcastBound: a broadcast whose members times its bytes pass
// MaxBroadcastBytes is refused with ErrBroadcastTooLarge before anything is
// stored, with or without an idempotency key; one within it is made.
func testBytesBroadcastBound(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxBroadcastBytes: 100})
	c := newCollection(ctx, t, s)
	var pairs []pair
	for range 3 {
		p := newPair(ctx, t, s)
		addMember(ctx, t, s, c, p.p1)
		pairs = append(pairs, p)
	}
	_, err := s.Broadcast(ctx, c.ID, c.Token, store.Outgoing{Data: sized(34, 'a')}) // 102 bytes
	wantErr(t, "a broadcast of 3 × 34 bytes", err, store.ErrBroadcastTooLarge)
	_, err = s.BroadcastOnce(ctx, c.ID, c.Token, store.Outgoing{Data: sized(34, 'a')}, once("too-large", "a"))
	wantErr(t, "BroadcastOnce of 3 × 34 bytes", err, store.ErrBroadcastTooLarge)
	for i, p := range pairs {
		if info := describe(ctx, t, s, p.p2); info.Posted != 0 {
			t.Errorf("member %d's peer was posted %d messages by a refused broadcast", i, info.Posted)
		}
	}
	if errors.Is(err, store.ErrInvalid) {
		t.Errorf("the bound is ErrInvalid too: %v", err)
	}
	if res := broadcast(ctx, t, s, c, sized(33, 'b')); len(res.Delivered) != 3 { // 99 bytes
		t.Errorf("a broadcast of 3 × 33 bytes: %+v, want 3 delivered", res)
	}
}

// testBytesReadBound: a read stops before the message whose data would
// pass ReadLimit.Bytes, says so with Truncated, and reading on from the
// last id returned reaches every message.
func testBytesReadBound(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	const n = 25
	var posted []store.EventID
	for i := range n {
		posted = append(posted, post(ctx, t, s, p.p1, sized(100, byte('a'+i))))
	}
	limit := store.ReadLimit{Messages: 1000, Bytes: 350}
	b, err := s.Read(ctx, p.p2, store.EventID{}, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 3 || !b.Truncated {
		t.Fatalf("read %d messages, truncated %v; want 3 of 100 bytes within 350, truncated", len(b.Messages), b.Truncated)
	}
	// Exactly at the bound is within it.
	if b := readFromStart(t, s, p, store.ReadLimit{Messages: 1000, Bytes: 400}); len(b.Messages) != 4 || !b.Truncated {
		t.Errorf("a bound of 400: %d messages, truncated %v; want 4, truncated", len(b.Messages), b.Truncated)
	}
	// The count bound is not a truncation.
	if b := readFromStart(t, s, p, store.ReadLimit{Messages: 2, Bytes: 1000}); len(b.Messages) != 2 || b.Truncated {
		t.Errorf("2 messages within 1000 bytes: %d, truncated %v; want 2, not truncated", len(b.Messages), b.Truncated)
	}

	var got []store.EventID
	after := store.EventID{}
	for range n {
		b, err := s.Read(ctx, p.p2, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Messages) == 0 {
			break
		}
		got = append(got, ids(b.Messages)...)
		after = b.Messages[len(b.Messages)-1].ID
		if b.Truncated != (len(got) < n) {
			t.Errorf("after %d of %d messages: truncated %v", len(got), n, b.Truncated)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(posted) {
		t.Errorf("reading on reached %d messages, want all %d in order", len(got), n)
	}
}

// readFromStart reads port2 of p from the start with limit.
func readFromStart(t *testing.T, s store.Store, p pair, limit store.ReadLimit) store.Batch {
	t.Helper()
	b, err := s.Read(testContext(t), p.p2, store.EventID{}, limit)
	if err != nil {
		t.Fatalf("Read with %+v: %v", limit, err)
	}
	return b
}

// testBytesReadLargeFirst: the first message is read whatever its size, so
// that a message larger than the bound can be read at all; it comes alone.
func testBytesReadLargeFirst(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	big := post(ctx, t, s, p.p1, sized(500, 'a'))
	small := post(ctx, t, s, p.p1, sized(10, 'b'))
	b, err := s.Read(ctx, p.p2, store.EventID{}, store.ReadLimit{Messages: 10, Bytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != 1 || b.Messages[0].ID != big || len(b.Messages[0].Data) != 500 || !b.Truncated {
		t.Fatalf("read %d messages, truncated %v; want the large one alone, truncated", len(b.Messages), b.Truncated)
	}
	b, err = s.Read(ctx, p.p2, big, store.ReadLimit{Messages: 10, Bytes: 100})
	if err != nil || len(b.Messages) != 1 || b.Messages[0].ID != small || b.Truncated {
		t.Errorf("reading on: %+v, %v; want the small one, not truncated", b.Messages, err)
	}
	if _, err := s.Read(ctx, p.p2, store.EventID{}, store.ReadLimit{Bytes: 100}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a read of no messages: %v, want ErrInvalid", err)
	}
}
