package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// Binary messages: any bytes, with their content type, byte-identical on
// every path a JSON message takes; fetching one message alone; and the
// tickets that let a client without headers fetch one.
var binaryTests = []test{
	{"Read", testBinaryRead},
	{"Pushed", testBinaryPushed},
	{"CarriesPort", testBinaryCarriesPort},
	{"BroadcastOnce", testBinaryBroadcastOnce},
	{"PostOnceReplay", testBinaryPostOnce},
	{"Message", testBinaryMessage},
	{"MessageScope", testBinaryMessageScope},
	{"NotMutable", testBinaryNotMutable},
	{"Invalid", testBinaryInvalid},
	{"Bounds", testBinaryBounds},
	{"TicketRedeems", testMessageTicketRedeems},
	{"TicketBound", testMessageTicketBound},
	{"TicketExpires", testMessageTicketExpires},
	{"TicketAfterTransfer", testMessageTicketAfterTransfer},
	{"TicketRefused", testMessageTicketRefused},
}

// binaryLarge is the size of the largest payload: the largest message the
// HTTP layer takes by default.
const binaryLarge = 256 << 10

// binaryPayloads are the byte strings every path must carry unchanged:
// sizes 0, 1, 255, 64 KiB and binaryLarge, each starting with what could
// trip a path that is not binary-safe (bytes that read as SSE fields or
// JSON, CR/LF, NUL, invalid UTF-8), then every byte value, then random
// bytes; and a few short ones that are such things whole. Each has a
// content type of its own.
func binaryPayloads() []store.Outgoing {
	tricky := []byte("data: {\"x\":1}\r\n\r\nid: 1\nevent: close\n\x00\xc3\x28\xff\xfe\xed\xa0\x80\r")
	for b := range 256 {
		tricky = append(tricky, byte(b))
	}
	rng := rand.New(rand.NewPCG(15, 15))
	random := make([]byte, binaryLarge)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	seq := append(tricky, random...)
	types := []string{"application/octet-stream", "image/png", `application/x-thing; name="a b"`}
	var out []store.Outgoing
	for i, n := range []int{0, 1, 255, 64 << 10, binaryLarge} {
		out = append(out, store.Outgoing{ContentType: types[i%len(types)], Bytes: slices.Clone(seq[:n])})
	}
	for _, whole := range []string{"\x00", `{"a":[1,2]}`, "\r\n", "\xff"} {
		out = append(out, store.Outgoing{ContentType: "application/octet-stream", Bytes: []byte(whole)})
	}
	return out
}

// digest names bytes by their SHA-256, for messages that differ.
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes, sha256 %x", len(b), sum[:6])
}

// wantBinary fails unless m is the binary message msg as posted: its
// content type and bytes (compared by SHA-256), no data, and its origin.
func wantBinary(t *testing.T, what string, m store.Message, msg store.Outgoing) {
	t.Helper()
	switch {
	case m.Undecodable != "":
		t.Errorf("%s: undecodable: %s", what, m.Undecodable)
	case !m.Binary() || m.ContentType != msg.ContentType:
		t.Errorf("%s: content type %q, want %q", what, m.ContentType, msg.ContentType)
	case m.Bytes == nil:
		t.Errorf("%s: nil bytes, want %s", what, digest(msg.Bytes))
	case sha256.Sum256(m.Bytes) != sha256.Sum256(msg.Bytes):
		t.Errorf("%s: %s, want %s", what, digest(m.Bytes), digest(msg.Bytes))
	case m.Data != nil:
		t.Errorf("%s: a binary message with data %q", what, m.Data)
	case m.Size() != int64(len(msg.Bytes)):
		t.Errorf("%s: size %d, want %d", what, m.Size(), len(msg.Bytes))
	case m.Origin != msg.Origin:
		t.Errorf("%s: origin %q, want %q", what, m.Origin, msg.Origin)
	}
}

func postMsg(ctx context.Context, t *testing.T, s store.Store, from store.Credentials, msg store.Outgoing) store.EventID {
	t.Helper()
	id, err := s.Post(ctx, from, msg)
	if err != nil {
		t.Fatalf("Post %s from %s: %v", msg.ContentType, from.PortID, err)
	}
	return id
}

// message fetches one message with Message, failing the test on an error.
func message(ctx context.Context, t *testing.T, s store.Store, port store.Credentials, id store.EventID) store.Message {
	t.Helper()
	m, err := s.Message(ctx, port, id)
	if err != nil {
		t.Fatalf("Message %s at %s: %v", id, port.PortID, err)
	}
	if m.ID != id {
		t.Fatalf("Message %s answered message %s", id, m.ID)
	}
	return m
}

// testBinaryRead: every payload reads back byte-identical, with its
// content type and origin, among JSON messages that stay JSON; the queue
// counts the bytes, and acknowledging gives them back.
func testBinaryRead(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	msgs := binaryPayloads()
	var total int64
	for i := range msgs {
		if i%2 == 1 {
			msgs[i].Origin = "https://app.example"
		}
		postMsg(ctx, t, s, p.p1, msgs[i])
		total += int64(len(msgs[i].Bytes))
	}
	jsonID := post(ctx, t, s, p.p1, text("after"))
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != total+int64(len(text("after"))) {
		t.Errorf("port2 holds %d bytes, want the bytes of the binary messages (%d) and the JSON one", info.QueuedBytes, total)
	}
	got := readAll(ctx, t, s, p.p2, store.EventID{})
	if len(got) != len(msgs)+1 {
		t.Fatalf("read %d messages, want %d", len(got), len(msgs)+1)
	}
	for i, msg := range msgs {
		wantBinary(t, fmt.Sprintf("message %d", i), got[i], msg)
		if got[i].Source != p.p1.PortID {
			t.Errorf("message %d: source %q", i, got[i].Source)
		}
	}
	last := got[len(got)-1]
	if last.ID != jsonID || last.Binary() || last.Bytes != nil || last.ContentType != "" || string(last.Data) != `"after"` {
		t.Errorf("the JSON message after them: %+v", last)
	}
	ack(ctx, t, s, p.p2, jsonID)
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != 0 || info.Queued != 0 {
		t.Errorf("after acknowledging everything, port2 holds %d messages of %d bytes", info.Queued, info.QueuedBytes)
	}
}

// testBinaryPushed: a reader following its subscription's notices, as a
// stream does (a pushed message at its position is delivered as it
// came, anything else makes it read), gets every payload byte-identical.
func testBinaryPushed(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	sub := subscribe(t, s, p.p2.PortID)
	msgs := binaryPayloads()
	var got []store.Message
	var pos store.EventID
	var buf []store.Notice
	for _, msg := range msgs {
		postMsg(ctx, t, s, p.p1, msg)
		for len(got) < len(msgs) {
			if !waitRing(sub, ringWait) {
				t.Fatalf("no ring within %v after %d of %d messages", ringWait, len(got), len(msgs))
			}
			before := len(got)
			buf = sub.Take(buf[:0])
			for _, n := range buf {
				switch {
				case n.Pushed && n.Prev == pos:
					got = append(got, n.Message)
					pos = n.Message.ID
				case n.Pushed && n.Message.ID.Compare(pos) <= 0:
					// Delivered already, by a read.
				default:
					for _, m := range readAll(ctx, t, s, p.p2, pos) {
						got = append(got, m)
						pos = m.ID
					}
				}
			}
			if len(got) > before {
				break
			}
		}
	}
	if len(got) != len(msgs) {
		t.Fatalf("delivered %d messages, want %d", len(got), len(msgs))
	}
	for i, msg := range msgs {
		wantBinary(t, fmt.Sprintf("message %d", i), got[i], msg)
	}
}

// testBinaryCarriesPort: a binary message may carry a port, as a JSON one
// does: the bytes arrive unchanged with the port's fresh token, which
// works.
func testBinaryCarriesPort(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p, carried := newPair(ctx, t, s), newPair(ctx, t, s)
	for i, msg := range binaryPayloads() {
		give := carried.p1
		if i%2 == 1 {
			give = carried.p2
		}
		msg.Transfer = []store.Credentials{give}
		id := postMsg(ctx, t, s, p.p1, msg)
		m := message(ctx, t, s, p.p2, id)
		wantBinary(t, fmt.Sprintf("message %d", i), m, msg)
		if len(m.Ports) != 1 || m.Ports[0].ID != give.PortID {
			t.Fatalf("message %d carries %+v, want port %s", i, m.Ports, give.PortID)
		}
		describe(ctx, t, s, creds(m.Ports[0]))
		if i%2 == 1 {
			carried.p2 = creds(m.Ports[0])
		} else {
			carried.p1 = creds(m.Ports[0])
		}
	}
}

// testBinaryBroadcastOnce: a binary broadcast reaches every member's peer
// byte-identical; its retry stores nothing twice and answers the same
// ids.
func testBinaryBroadcastOnce(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	c := newCollection(ctx, t, s)
	a, b := newPair(ctx, t, s), newPair(ctx, t, s)
	addMember(ctx, t, s, c, a.p1)
	addMember(ctx, t, s, c, b.p1)
	for i, msg := range binaryPayloads() {
		key := fmt.Sprint("k", i)
		first, err := s.BroadcastOnce(ctx, c.ID, c.Token, msg, once(key, string(msg.Bytes)))
		if err != nil || len(first.Delivered) != 2 {
			t.Fatalf("BroadcastOnce %d: %+v, %v", i, first, err)
		}
		again, err := s.BroadcastOnce(ctx, c.ID, c.Token, msg, once(key, string(msg.Bytes)))
		if err != nil || !sameDeliveries(first, again) {
			t.Fatalf("retry of broadcast %d: %+v, %v; first %+v", i, again, err, first)
		}
		ids := delivered(first)
		for _, p := range []pair{a, b} {
			wantBinary(t, fmt.Sprintf("broadcast %d at %s", i, p.p2.PortID), message(ctx, t, s, p.p2, ids[p.p1.PortID]), msg)
		}
	}
	n := len(binaryPayloads())
	wantQueued(ctx, t, s, a.p2, n)
	wantQueued(ctx, t, s, b.p2, n)
}

// sameDeliveries reports whether two results delivered to the same members
// under the same ids.
func sameDeliveries(a, b store.BroadcastResult) bool {
	x, y := delivered(a), delivered(b)
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		if y[k] != v {
			return false
		}
	}
	return true
}

// testBinaryPostOnce: a binary post under an idempotency key, retried,
// answers its first id, replayed, and stores the bytes once.
func testBinaryPostOnce(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	msgs := binaryPayloads()
	for i, msg := range msgs {
		key := fmt.Sprint("k", i)
		id, replayed, err := s.PostOnce(ctx, p.p1, msg, once(key, string(msg.Bytes)))
		if err != nil || replayed {
			t.Fatalf("PostOnce %d: %v, replayed %v", i, err, replayed)
		}
		again, replayed, err := s.PostOnce(ctx, p.p1, msg, once(key, string(msg.Bytes)))
		if err != nil || !replayed || again != id {
			t.Fatalf("retry of PostOnce %d: %q replayed %v, %v; want %q replayed", i, again, replayed, err, id)
		}
		wantBinary(t, fmt.Sprintf("message %d", i), message(ctx, t, s, p.p2, id), msg)
	}
	// With a transfer list, which takes a longer way on some stores.
	carried := newPair(ctx, t, s)
	msg := msgs[3]
	msg.Transfer = []store.Credentials{carried.p1}
	id, replayed, err := s.PostOnce(ctx, p.p1, msg, once("with a port", string(msg.Bytes)))
	if err != nil || replayed {
		t.Fatalf("PostOnce with a port: %v, replayed %v", err, replayed)
	}
	again, replayed, err := s.PostOnce(ctx, p.p1, msg, once("with a port", string(msg.Bytes)))
	if err != nil || !replayed || again != id {
		t.Fatalf("retry of PostOnce with a port: %q replayed %v, %v; want %q replayed", again, replayed, err, id)
	}
	m := message(ctx, t, s, p.p2, id)
	wantBinary(t, "the message with a port", m, msg)
	if len(m.Ports) != 1 || m.Ports[0].ID != carried.p1.PortID {
		t.Errorf("the message carries %+v, want port %s", m.Ports, carried.p1.PortID)
	}
	wantQueued(ctx, t, s, p.p2, len(msgs)+1)
}

// testBinaryMessage: Message finds any queued message, binary or JSON,
// and nothing else: neither an acknowledged one, nor an id never used,
// nor the zero id, nor another port's.
func testBinaryMessage(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	msgs := binaryPayloads()
	ids := make([]store.EventID, len(msgs))
	for i, msg := range msgs {
		ids[i] = postMsg(ctx, t, s, p.p1, msg)
	}
	jsonID := post(ctx, t, s, p.p1, text("plain"))
	for i := len(msgs) - 1; i >= 0; i-- {
		wantBinary(t, fmt.Sprintf("message %d", i), message(ctx, t, s, p.p2, ids[i]), msgs[i])
	}
	if m := message(ctx, t, s, p.p2, jsonID); string(m.Data) != `"plain"` || m.Binary() || m.Bytes != nil {
		t.Errorf("the JSON message: %+v", m)
	}
	notFound := func(what string, port store.Credentials, id store.EventID) {
		t.Helper()
		m, err := s.Message(ctx, port, id)
		if !errors.Is(err, store.ErrMessageNotFound) {
			t.Errorf("%s: %+v, %v; want ErrMessageNotFound", what, m, err)
		}
	}
	notFound("the zero id", p.p2, store.EventID{})
	notFound("an id before the first", p.p2, store.EventID{Ms: ids[0].Ms - 1, Seq: 7})
	notFound("an id after the last", p.p2, jsonID.Next())
	notFound("a message at the other port", p.p1, ids[0])
	ack(ctx, t, s, p.p2, ids[1])
	notFound("an acknowledged message", p.p2, ids[1])
	message(ctx, t, s, p.p2, ids[2])

	_, err := s.Message(ctx, store.Credentials{PortID: p.p2.PortID, Token: flip(p.p2.Token)}, ids[2])
	wantErr(t, "Message with a wrong token", err, store.ErrUnauthorized)
	_, err = s.Message(ctx, store.Credentials{PortID: unknownPort(t), Token: p.p2.Token}, ids[2])
	wantErr(t, "Message at an unknown port", err, store.ErrUnauthorized)
}

// testBinaryMessageScope: Message is reading: a listen token may, a post
// token may not, and a closed channel's messages stay readable.
func testBinaryMessageScope(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	msg := binaryPayloads()[2]
	id := postMsg(ctx, t, s, p.p1, msg)
	wantBinary(t, "with a listen token", message(ctx, t, s, mint(t, s, p.p2, store.ScopeListen, ""), id), msg)
	_, err := s.Message(ctx, mint(t, s, p.p2, store.ScopePost, ""), id)
	wantErr(t, "Message with a post token", err, store.ErrInsufficientScope)
	if err := s.ClosePort(ctx, p.p1); err != nil {
		t.Fatal(err)
	}
	wantBinary(t, "after the close", message(ctx, t, s, p.p2, id), msg)
}

// testBinaryNotMutable: neither the poster's slice, changed after the
// post, nor what a reader changes in what it got, reaches the stored
// bytes.
func testBinaryNotMutable(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	posted := []byte("the stored bytes\x00\xff")
	want := store.Outgoing{ContentType: "application/octet-stream", Bytes: slices.Clone(posted)}
	id := postMsg(ctx, t, s, p.p1, store.Outgoing{ContentType: want.ContentType, Bytes: posted})
	clear(posted)

	m := message(ctx, t, s, p.p2, id)
	wantBinary(t, "after the poster changed its slice", m, want)
	clear(m.Bytes)
	b := read(ctx, t, s, p.p2, store.EventID{}, 10)
	if len(b.Messages) != 1 {
		t.Fatalf("read %d messages, want 1", len(b.Messages))
	}
	wantBinary(t, "after a reader changed what Message gave it", b.Messages[0], want)
	b.Messages[0].Bytes[0] ^= 0xff
	wantBinary(t, "after a reader changed what Read gave it", message(ctx, t, s, p.p2, id), want)

	// A broadcast shares nothing with its caller either.
	c := newCollection(ctx, t, s)
	addMember(ctx, t, s, c, p.p1)
	bcast := slices.Clone(want.Bytes)
	res := broadcastMsg(ctx, t, s, c, store.Outgoing{ContentType: want.ContentType, Bytes: bcast})
	clear(bcast)
	wantBinary(t, "a broadcast after its caller changed its slice", message(ctx, t, s, p.p2, res.Delivered[0].ID), want)
}

// testBinaryInvalid: a message that is neither plainly JSON nor plainly
// binary is refused before anything changes, by a post as by a
// broadcast.
func testBinaryInvalid(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	c := newCollection(ctx, t, s)
	addMember(ctx, t, s, c, p.p1)
	before := describe(ctx, t, s, p.p2)
	for _, msg := range []store.Outgoing{
		{ContentType: "image/png\r\nX: y", Bytes: []byte("x")},
		{ContentType: "png", Bytes: []byte("x")},
		{ContentType: "image/png", Bytes: []byte("x"), Data: json.RawMessage(`1`)},
		{Data: json.RawMessage(`1`), Bytes: []byte("x")},
		{ContentType: "image/png", Bytes: []byte("x"), Origin: "https://a.example/path"},
	} {
		_, err := s.Post(ctx, p.p1, msg)
		wantErr(t, fmt.Sprintf("Post %+v", msg), err, store.ErrInvalid)
		_, _, err = s.PostOnce(ctx, p.p1, msg, once("k", "x"))
		wantErr(t, fmt.Sprintf("PostOnce %+v", msg), err, store.ErrInvalid)
		_, err = s.Broadcast(ctx, c.ID, c.Token, msg)
		wantErr(t, fmt.Sprintf("Broadcast %+v", msg), err, store.ErrInvalid)
	}
	if d := samePort(before, describe(ctx, t, s, p.p2)); d != "" {
		t.Errorf("refused posts changed port2: %s", d)
	}
}

// testBinaryBounds: the bounds in bytes count a binary message's bytes:
// a queue's, a read's and a broadcast's.
func testBinaryBounds(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.storeWith(t, store.Limits{MaxQueueBytes: 100, MaxBroadcastBytes: 100})
	p := newPair(ctx, t, s)
	bin := func(n int) store.Outgoing {
		return store.Outgoing{ContentType: "application/octet-stream", Bytes: bytes.Repeat([]byte{0}, n)}
	}
	first := postMsg(ctx, t, s, p.p1, bin(60))
	_, err := s.Post(ctx, p.p1, bin(41))
	wantErr(t, "a binary post one byte past the queue's bound", err, store.ErrQueueBytesFull)
	postMsg(ctx, t, s, p.p1, bin(40))
	postMsg(ctx, t, s, p.p1, bin(0))
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != 100 || info.Queued != 3 {
		t.Errorf("port2 holds %d messages of %d bytes, want 3 of 100", info.Queued, info.QueuedBytes)
	}
	b, err := s.Read(ctx, p.p2, store.EventID{}, store.ReadLimit{Messages: 10, Bytes: 99})
	if err != nil || len(b.Messages) != 1 || !b.Truncated {
		t.Errorf("a read bounded to 99 bytes: %d messages, truncated %v, %v; want the first alone", len(b.Messages), b.Truncated, err)
	}
	ack(ctx, t, s, p.p2, first)
	if info := describe(ctx, t, s, p.p2); info.QueuedBytes != 40 {
		t.Errorf("after acknowledging 60 bytes, port2 holds %d bytes, want 40", info.QueuedBytes)
	}

	c := newCollection(ctx, t, s)
	addMember(ctx, t, s, c, p.p2)
	addMember(ctx, t, s, c, newPair(ctx, t, s).p1)
	_, err = s.Broadcast(ctx, c.ID, c.Token, bin(51))
	wantErr(t, "a binary broadcast of 2 × 51 bytes", err, store.ErrBroadcastTooLarge)
	if res := broadcastMsg(ctx, t, s, c, bin(50)); len(res.Delivered) != 2 {
		t.Errorf("a binary broadcast of 2 × 50 bytes: %+v", res)
	}
}

// messageTicket issues a message ticket, failing the test on an error.
func messageTicket(t *testing.T, s store.Store, port store.Credentials, id store.EventID, ttl time.Duration) store.Ticket {
	t.Helper()
	tk, err := s.IssueMessageTicket(testContext(t), port, id, ttl)
	if err != nil {
		t.Fatalf("IssueMessageTicket %s at %s: %v", id, port.PortID, err)
	}
	return tk
}

// wantMessageTicketInvalid fails unless redeeming secret for the message
// id at portID is refused with ErrTicketInvalid.
func wantMessageTicketInvalid(t *testing.T, s store.Store, what, portID string, id store.EventID, secret string) {
	t.Helper()
	c, err := s.RedeemMessageTicket(testContext(t), portID, id, secret)
	if !errors.Is(err, store.ErrTicketInvalid) {
		t.Errorf("%s: RedeemMessageTicket answered %v, %v; want ErrTicketInvalid", what, c, err)
	}
}

// testMessageTicketRedeems: a message ticket names its port, expires after
// its ttl, and redeems, as often as asked, to the credentials it was
// issued for, with which Message fetches the bytes.
func testMessageTicketRedeems(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	msg := binaryPayloads()[3]
	id := postMsg(ctx, t, s, p.p1, msg)
	listen := mint(t, s, p.p2, store.ScopeListen, "")
	before := time.Now()
	tk := messageTicket(t, s, listen, id, ticketTTL)
	if len(tk.Secret) != len(store.NewToken()) || tk.Secret == listen.Token || !slices.Equal(tk.Ports, []string{p.p2.PortID}) {
		t.Errorf("ticket %+v", tk)
	}
	if !near(tk.ExpiresAt, before.Add(ticketTTL), 5*time.Second) {
		t.Errorf("ticket expires at %v, want about %v", tk.ExpiresAt, before.Add(ticketTTL))
	}
	for i := range 3 {
		c, err := s.RedeemMessageTicket(ctx, p.p2.PortID, id, tk.Secret)
		if err != nil || c != listen {
			t.Fatalf("redeem %d: %v, %v; want %v", i, c, err, listen)
		}
		wantBinary(t, fmt.Sprintf("Message with the credentials of redemption %d", i), message(ctx, t, s, c, id), msg)
	}
}

// testMessageTicketBound: a message ticket works for its port and message
// only, not as a stream ticket, and not altered; none of that uses it up.
func testMessageTicketBound(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	first := post(ctx, t, s, p.p1, text("first"))
	id := postMsg(ctx, t, s, p.p1, binaryPayloads()[2])
	back := post(ctx, t, s, p.p2, text("to port 1"))
	tk := messageTicket(t, s, p.p2, id, ticketTTL)
	wantMessageTicketInvalid(t, s, "for another message of the port", p.p2.PortID, first, tk.Secret)
	wantMessageTicketInvalid(t, s, "for the next id", p.p2.PortID, id.Next(), tk.Secret)
	wantMessageTicketInvalid(t, s, "for the zero id", p.p2.PortID, store.EventID{}, tk.Secret)
	wantMessageTicketInvalid(t, s, "for the peer", p.p1.PortID, id, tk.Secret)
	wantMessageTicketInvalid(t, s, "for the peer's message", p.p1.PortID, back, tk.Secret)
	wantMessageTicketInvalid(t, s, "for an unknown port", unknownPort(t), id, tk.Secret)
	wantMessageTicketInvalid(t, s, "altered", p.p2.PortID, id, flip(tk.Secret))
	wantMessageTicketInvalid(t, s, "empty", p.p2.PortID, id, "")
	wantMessageTicketInvalid(t, s, "a port token as a ticket", p.p2.PortID, id, p.p2.Token)
	wantTicketInvalid(t, s, "a message ticket as a stream ticket", p.p2.PortID, tk.Secret)
	stream := issue(t, s, p.p2)
	wantMessageTicketInvalid(t, s, "a stream ticket as a message ticket", p.p2.PortID, id, stream.Secret)
	redeem(t, s, p.p2.PortID, stream.Secret)
	if c, err := s.RedeemMessageTicket(ctx, p.p2.PortID, id, tk.Secret); err != nil || c != p.p2 {
		t.Errorf("after the refusals: %v, %v; want %v", c, err, p.p2)
	}
}

// testMessageTicketExpires: a message ticket stops working when it
// expires; another, longer one for the same message goes on.
func testMessageTicketExpires(t *testing.T, h harness) {
	ctx := testContext(t)
	s, tl := h.timedStore(t, store.Limits{})
	p := newPair(ctx, t, s)
	id := postMsg(ctx, t, s, p.p1, binaryPayloads()[1])
	const ttl = 200 * time.Millisecond
	short := messageTicket(t, s, p.p2, id, ttl)
	live := messageTicket(t, s, p.p2, id, ticketTTL)
	if short.Secret == live.Secret {
		t.Fatal("two tickets with one secret")
	}
	tl.passUntil(short.ExpiresAt)
	tl.pass(ttl) // on the wall clock, room for Redis to expire the key
	wantMessageTicketInvalid(t, s, "an expired ticket", p.p2.PortID, id, short.Secret)
	if c, err := s.RedeemMessageTicket(ctx, p.p2.PortID, id, live.Secret); err != nil || c != p.p2 {
		t.Errorf("the live ticket: %v, %v", c, err)
	}
}

// testMessageTicketAfterTransfer: a ticket stands for the credentials it
// was issued with, so once the port is transferred, or the message
// acknowledged, what it redeems to no longer fetches the message.
func testMessageTicketAfterTransfer(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	msg := binaryPayloads()[2]
	id := postMsg(ctx, t, s, p.p1, msg)
	other := postMsg(ctx, t, s, p.p1, msg)
	tk := messageTicket(t, s, p.p2, id, ticketTTL)
	otherTk := messageTicket(t, s, p.p2, other, ticketTTL)

	redeemed := func(tk store.Ticket, id store.EventID) store.Credentials {
		t.Helper()
		c, err := s.RedeemMessageTicket(ctx, p.p2.PortID, id, tk.Secret)
		if err != nil {
			t.Fatalf("RedeemMessageTicket: %v", err)
		}
		return c
	}

	ack(ctx, t, s, p.p2, id)
	_, err := s.Message(ctx, redeemed(tk, id), id)
	wantErr(t, "Message after the acknowledgement", err, store.ErrMessageNotFound)

	next := transfer(t, s, p.p2)
	_, err = s.Message(ctx, redeemed(otherTk, other), other)
	wantErr(t, "Message with a ticket issued before the transfer", err, store.ErrTransferred)
	wantBinary(t, "Message with the new token", message(ctx, t, s, next, other), msg)
}

// testMessageTicketRefused: a ticket is issued only for a message queued
// at the port, to credentials that may read it, for at least a
// millisecond.
func testMessageTicketRefused(t *testing.T, h harness) {
	ctx := testContext(t)
	s := h.store(t)
	p := newPair(ctx, t, s)
	id := postMsg(ctx, t, s, p.p1, binaryPayloads()[1])
	for _, tc := range []struct {
		what   string
		port   store.Credentials
		id     store.EventID
		ttl    time.Duration
		target error
	}{
		{"a message never there", p.p2, id.Next(), ticketTTL, store.ErrMessageNotFound},
		{"the zero id", p.p2, store.EventID{}, ticketTTL, store.ErrMessageNotFound},
		{"the peer's port", p.p1, id, ticketTTL, store.ErrMessageNotFound},
		{"a wrong token", store.Credentials{PortID: p.p2.PortID, Token: flip(p.p2.Token)}, id, ticketTTL, store.ErrUnauthorized},
		{"a post token", mint(t, s, p.p2, store.ScopePost, ""), id, ticketTTL, store.ErrInsufficientScope},
		{"no ttl", p.p2, id, 0, store.ErrInvalid},
		{"a ttl under a millisecond", p.p2, id, time.Microsecond, store.ErrInvalid},
	} {
		tk, err := s.IssueMessageTicket(ctx, tc.port, tc.id, tc.ttl)
		if !errors.Is(err, tc.target) {
			t.Errorf("%s: %+v, %v; want %v", tc.what, tk, err, tc.target)
		}
	}
	ack(ctx, t, s, p.p2, id)
	_, err := s.IssueMessageTicket(ctx, p.p2, id, ticketTTL)
	wantErr(t, "an acknowledged message", err, store.ErrMessageNotFound)
}
