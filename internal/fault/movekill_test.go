package fault

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// moveSettleLimit bounds the wait for abandoned moves to settle: the
// store's move deadline (redis.DefaultMoveTimeout, 10s) plus a sweep.
const moveSettleLimit = 20 * time.Second

// The api is killed (SIGKILL) while many posts are moving ports of other
// channels in their messages, each at whatever step it reached. After a
// restart, once the moves are settled, each carried port has exactly one
// valid token (the old one when its message was not stored, else the one
// the message carries), and no message exists twice.
func TestKillAPIMidMove(t *testing.T) {
	needProcesses(t)
	// Most of the time goes into waiting for move deadlines: share it.
	t.Parallel()
	srv := redistest.Start(t)
	prefix := redistest.Prefix(t)
	runMoveKills(t, apiEnv(srv.URL, prefix), prefix, srv.Client(t), forms(1, 5), 20)
}

// The same on a three-master Redis Cluster, where the sender's channel
// and the carried port's channel mostly live on different nodes, so that a
// move is two slots' steps with the kill falling between them.
func TestKillAPIMidMoveCluster(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	c := redistest.StartCluster(t)
	prefix := redistest.Prefix(t)
	env := apiEnv(c.URL, prefix)
	env["REDIS_MODE"] = "cluster"
	raw := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	defer raw.Close()
	runMoveKills(t, env, prefix, raw, forms(1, 5), 20)
}

// runMoveKills runs rounds of `moves` concurrent moves, killing the api in
// each, and checks every move. raw reads the store's moves index.
func runMoveKills(t *testing.T, env map[string]string, prefix string, raw redis.UniversalClient, rounds, moves int) {
	t.Helper()
	api := StartAPI(t, apiBin, env)
	c := newClient()
	var abandoned, moved, stayed int
	for round := range rounds {
		trials := make([]moveTrial, moves)
		for i := range trials {
			var err error
			if trials[i].sender, err = c.createChannel(api.Base); err != nil {
				t.Fatal(err)
			}
			if trials[i].cargo, err = c.createChannel(api.Base); err != nil {
				t.Fatal(err)
			}
		}
		// Kill as soon as the first move is answered: the others are then
		// somewhere between their first and last step.
		first := make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		for i := range trials {
			wg.Go(func() {
				trials[i].status = c.postCarrying(api.Base, trials[i].sender.Port1, trials[i].cargo.Port1)
				once.Do(func() { close(first) })
			})
		}
		select {
		case <-first:
		case <-time.After(10 * time.Second):
			t.Fatal("no move was answered within 10s")
		}
		api.Kill()
		wg.Wait()
		statuses := map[int]int{}
		for _, tr := range trials {
			statuses[tr.status]++
		}
		t.Logf("round %d: answers by status (0: none) %v", round, statuses)
		n, err := raw.ZCard(context.Background(), prefix+"moves").Result()
		if err != nil {
			t.Fatal(err)
		}
		abandoned += int(n)
		api.Start()
		waitMovesSettled(t, raw, prefix)
		for i, tr := range trials {
			switch tr.check(t, c, api.Base) {
			case "moved":
				moved++
			case "stayed":
				stayed++
			default:
				t.Errorf("round %d move %d (post status %d) failed its check", round, i, tr.status)
			}
		}
	}
	t.Logf("%d moves in %d rounds: %d abandoned mid-way by the kill; afterwards %d moved, %d stayed, each with exactly one valid token",
		rounds*moves, rounds, abandoned, moved, stayed)
}

// waitMovesSettled waits until the moves index is empty.
func waitMovesSettled(t *testing.T, raw redis.UniversalClient, prefix string) {
	t.Helper()
	deadline := time.Now().Add(moveSettleLimit)
	for {
		n, err := raw.ZCard(context.Background(), prefix+"moves").Result()
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d moves still unsettled after %v (%v)", n, moveSettleLimit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// moveTrial is one post from sender.Port1 carrying cargo.Port1.
type moveTrial struct {
	sender, cargo channel
	status        int
}

// check returns "moved" or "stayed" when the cargo port has exactly one
// valid token and at most one message carries it, or "" after reporting
// what is wrong.
func (tr moveTrial) check(t *testing.T, c client, base string) string {
	t.Helper()
	msgs, err := c.messages(base, tr.sender.Port2)
	if err != nil {
		t.Error(err)
		return ""
	}
	if len(msgs) > 1 {
		t.Errorf("%d messages stored for one post", len(msgs))
		return ""
	}
	candidates := []portCreds{tr.cargo.Port1}
	for _, m := range msgs {
		candidates = append(candidates, m.Ports...)
	}
	var valid []int
	for i, pc := range candidates {
		status, err := c.describeStatus(base, pc)
		if err != nil {
			t.Error(err)
			return ""
		}
		if status == http.StatusOK {
			valid = append(valid, i)
		}
	}
	want := len(candidates) - 1 // the carried token, or the old one
	if len(valid) != 1 || valid[0] != want {
		t.Errorf("valid tokens %v of %d candidates, want only #%d (post status %d)", valid, len(candidates), want, tr.status)
		return ""
	}
	if tr.status == http.StatusCreated && len(msgs) == 0 {
		t.Errorf("an acknowledged move left no message")
		return ""
	}
	return map[bool]string{true: "moved", false: "stayed"}[len(msgs) == 1]
}
