package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// testTimeout bounds every subtest's calls to the store, so that a store
// that hangs fails the test instead of the whole run. It only tells a
// hang from slowness: the cases run side by side, on four topologies,
// and the largest (Collections/Many) once took more than 30 s on a loaded
// machine running the whole suite.
const testTimeout = 2 * time.Minute

// ringWait is how long a doorbell may take to ring; quietWait is how long
// a doorbell that must not ring is watched. An engine that rings through a
// network round trip (Redis pub/sub) needs some slack in both.
const (
	ringWait  = 5 * time.Second
	quietWait = 300 * time.Millisecond
)

// harness makes stores and channels for one subtest.
type harness struct {
	// newStore makes a store whose clock is now, or the wall clock when
	// now is nil; it ignores now unless clocked.
	newStore func(t *testing.T, limits store.Limits, now func() time.Time) store.Store
	clocked  bool
}

// store returns a fresh store with the default limits.
func (h harness) store(t *testing.T) store.Store {
	return h.storeWith(t, store.Limits{})
}

// storeWith returns a fresh store on the wall clock.
func (h harness) storeWith(t *testing.T, limits store.Limits) store.Store {
	t.Helper()
	return h.open(t, limits, nil)
}

// timedStore returns a fresh store and the way time passes for it: on a
// Clock of its own when the store takes one, on the wall clock otherwise.
func (h harness) timedStore(t *testing.T, limits store.Limits) (store.Store, timeline) {
	t.Helper()
	if !h.clocked {
		return h.open(t, limits, nil), timeline{}
	}
	c := NewClock()
	return h.open(t, limits, c.Now), timeline{clock: c}
}

func (h harness) open(t *testing.T, limits store.Limits, now func() time.Time) store.Store {
	t.Helper()
	s := h.newStore(t, limits, now)
	if s == nil {
		t.Fatal("newStore returned nil")
	}
	return s
}

// testContext returns a context that ends with the test or after
// testTimeout, whichever is first.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// pair is a created channel with both ports' credentials.
type pair struct {
	ch     store.NewChannel
	p1, p2 store.Credentials
}

func creds(pc store.PortCredentials) store.Credentials {
	return store.Credentials{PortID: pc.ID, Token: pc.Token}
}

func newPair(ctx context.Context, t *testing.T, s store.Store) pair {
	t.Helper()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	return pair{ch: ch, p1: creds(ch.Port1), p2: creds(ch.Port2)}
}

// text returns s as JSON message data.
func text(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func post(ctx context.Context, t *testing.T, s store.Store, from store.Credentials, data json.RawMessage) store.EventID {
	t.Helper()
	id, err := s.Post(ctx, from, store.Outgoing{Data: data})
	if err != nil {
		t.Fatalf("Post from %s: %v", from.PortID, err)
	}
	if id.IsZero() {
		t.Fatalf("Post from %s returned the zero EventID", from.PortID)
	}
	return id
}

// postN posts n messages "0", "1", ... and returns their ids.
func postN(ctx context.Context, t *testing.T, s store.Store, from store.Credentials, n int) []store.EventID {
	t.Helper()
	ids := make([]store.EventID, n)
	for i := range ids {
		ids[i] = post(ctx, t, s, from, text(fmt.Sprint(i)))
	}
	return ids
}

func read(ctx context.Context, t *testing.T, s store.Store, port store.Credentials, after store.EventID, limit int) store.Batch {
	t.Helper()
	b, err := s.Read(ctx, port, after, store.ReadLimit{Messages: limit})
	if err != nil {
		t.Fatalf("Read %s after %q limit %d: %v", port.PortID, after, limit, err)
	}
	return b
}

// readAll pages through everything queued at port after `after`.
func readAll(ctx context.Context, t *testing.T, s store.Store, port store.Credentials, after store.EventID) []store.Message {
	t.Helper()
	var all []store.Message
	for {
		b := read(ctx, t, s, port, after, 100)
		if len(b.Messages) == 0 {
			return all
		}
		all = append(all, b.Messages...)
		after = b.Messages[len(b.Messages)-1].ID
	}
}

func describe(ctx context.Context, t *testing.T, s store.Store, port store.Credentials) store.PortInfo {
	t.Helper()
	info, err := s.Describe(ctx, port)
	if err != nil {
		t.Fatalf("Describe %s: %v", port.PortID, err)
	}
	return info
}

func ack(ctx context.Context, t *testing.T, s store.Store, port store.Credentials, through store.EventID) {
	t.Helper()
	if err := s.Ack(ctx, port, through); err != nil {
		t.Fatalf("Ack %s through %q: %v", port.PortID, through, err)
	}
}

// wantErr fails the test unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

// ids returns the ids of msgs.
func ids(msgs []store.Message) []store.EventID {
	out := make([]store.EventID, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// datas returns the data of msgs as strings.
func datas(msgs []store.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Data)
	}
	return out
}

// wantIncreasing fails unless ids increase strictly.
func wantIncreasing(t *testing.T, what string, ids []store.EventID) {
	t.Helper()
	for i := 1; i < len(ids); i++ {
		if ids[i-1].Compare(ids[i]) >= 0 {
			t.Fatalf("%s: id %d (%s) does not follow id %d (%s)", what, i, ids[i], i-1, ids[i-1])
		}
	}
}

// near reports whether a and b are within d of each other.
func near(a, b time.Time, d time.Duration) bool {
	diff := a.Sub(b)
	return diff <= d && diff >= -d
}

// samePort reports how two descriptions of a port differ, or "" when they
// agree. Times are compared as instants, whatever their location.
func samePort(a, b store.PortInfo) string {
	switch {
	case a.ID != b.ID || a.ChannelID != b.ChannelID || a.Peer != b.Peer:
		return fmt.Sprintf("identity %s/%s/%s became %s/%s/%s", a.ID, a.ChannelID, a.Peer, b.ID, b.ChannelID, b.Peer)
	case a.State != b.State:
		return fmt.Sprintf("state %s became %s", a.State, b.State)
	case !a.CreatedAt.Equal(b.CreatedAt) || !a.ClosedAt.Equal(b.ClosedAt):
		return fmt.Sprintf("times %v/%v became %v/%v", a.CreatedAt, a.ClosedAt, b.CreatedAt, b.ClosedAt)
	case a.Queued != b.Queued || a.QueuedBytes != b.QueuedBytes:
		return fmt.Sprintf("queued %d (%d bytes) became %d (%d bytes)", a.Queued, a.QueuedBytes, b.Queued, b.QueuedBytes)
	case a.LastID != b.LastID || a.Acked != b.Acked:
		return fmt.Sprintf("last/acked %q/%q became %q/%q", a.LastID, a.Acked, b.LastID, b.Acked)
	case a.Posted != b.Posted || a.Acknowledged != b.Acknowledged:
		return fmt.Sprintf("posted/acknowledged %d/%d became %d/%d", a.Posted, a.Acknowledged, b.Posted, b.Acknowledged)
	}
	return ""
}

// waitRing reports whether sub rings within d.
func waitRing(sub *store.Subscription, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-sub.C:
		return true
	case <-timer.C:
		return false
	}
}

// drain empties a doorbell that may be ringing.
func drain(sub *store.Subscription) {
	select {
	case <-sub.C:
	default:
	}
}

// unknownPort returns a well-formed port id that no store has made.
func unknownPort(t *testing.T) string {
	t.Helper()
	_, id, _, err := store.NewChannelIDs(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return id
}
