package redis

import (
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// TestPostReplayQueuesOnce: go-redis runs a script again when the answer
// was lost; the second run of the same post answers the first one's id and
// queues nothing more.
func TestPostReplayQueuesOnce(t *testing.T) {
	t.Parallel()
	s, c := newInternalStore(t)
	ch, err := s.CreateChannel(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	keys := s.keys.forTag(store.Tag(ch.ID)).list()
	args := s.postArgs(from, store.Outgoing{Data: []byte(`"once"`)}, "")
	var ids []string
	for run := range 2 {
		r, err := s.exec(t.Context(), scriptOp(s.scripts.post, 0, keys, args...))[0].reply()
		if err != nil || r.status() != stOK {
			t.Fatalf("post: %v %v", r, err)
		}
		// The second run says it wrote nothing itself, so that a wait for
		// replicas fences first (see fence); the first does not.
		if answeredEarlier(r) != (run == 1) {
			t.Errorf("run %d answered %v", run, r)
		}
		ids = append(ids, r.str(1))
	}
	if ids[0] != ids[1] {
		t.Errorf("replay answered %s, first run %s", ids[1], ids[0])
	}
	// A different post still queues.
	if _, err := s.Post(t.Context(), from, store.Outgoing{Data: []byte(`"twice"`)}); err != nil {
		t.Fatal(err)
	}
	if n := c.XLen(t.Context(), keys[2]).Val(); n != 2 {
		t.Errorf("queue holds %d messages, want 2", n)
	}
}
