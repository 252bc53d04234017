package redis

import (
	"errors"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// A slot owned by another node is a moment's trouble, like a failover: the
// pipelines that talk to a slot's primary directly (WAIT's) meet it when a
// slot moves, and it must come out as unavailable, which clients retry,
// not as an internal error.
func TestMovedIsUnreachable(t *testing.T) {
	c := redistest.SharedCluster(t)
	moved := 0
	for _, n := range c.Nodes {
		err := n.Client(t).Get(t.Context(), "{moved-test}").Err()
		if _, ok := goredis.IsMovedError(err); !ok {
			continue
		}
		moved++
		if !unreachable(err) {
			t.Errorf("MOVED from %s: unreachable = false", n.Addr)
		}
	}
	if moved == 0 {
		t.Fatal("no node answered MOVED")
	}
	if unreachable(errors.New("ERR unknown command")) {
		t.Error("an ordinary error counts as unreachable")
	}
}
