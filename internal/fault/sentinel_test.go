package fault

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// failoverLimit bounds one failover, from the primary's death to the
// first acknowledged post: the Sentinel timings (redistest) plus 30 s. It
// only stops a test that hangs; how long a failover took is logged (1.5
// to 2.5 s on a quiet machine, see docs/RELIABILITY.md), since a loaded
// one stretches it.
const failoverLimit = redistest.SentinelDownAfter + redistest.SentinelFailoverTimeout + 30*time.Second

// With REDIS_WAIT_REPLICAS=1 a post is acknowledged only once the replica
// has it, so killing the primary (SIGKILL) loses nothing acknowledged,
// and writes resume once Sentinel has promoted the replica and the old
// primary has come back as its replica.
func TestSentinelFailoverWait(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	runFailovers(t, 1, false)
}

// Without WAIT a post is acknowledged after the primary's write; what the
// replica had not received when the primary died is lost. The count is a
// figure, not an assertion.
func TestSentinelFailoverNoWait(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	runFailovers(t, 0, true)
}

// runFailovers fails a primary over under load, once in the short form
// and five times in the long one, each time on a fresh Sentinel set, so
// that no round inherits the last one's half-rebuilt replication.
func runFailovers(t *testing.T, waitReplicas int, allowLoss bool) {
	t.Helper()
	rounds := forms(1, 5)
	var acked, lost int
	var resumes []time.Duration
	for round := range rounds {
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			rep, resumed := failover(t, waitReplicas, allowLoss)
			acked += rep.Acknowledged
			lost += len(rep.Lost)
			resumes = append(resumes, resumed.Round(time.Millisecond))
		})
		if t.Failed() {
			return
		}
	}
	t.Logf("REDIS_WAIT_REPLICAS=%d, %d failovers: %d acknowledged, %d lost; writes resumed after %v",
		waitReplicas, rounds, acked, lost, resumes)
}

// failover kills a Sentinel set's primary under load and returns the
// load's report (with its losses) and how long writes took to resume.
func failover(t *testing.T, waitReplicas int, allowLoss bool) (Report, time.Duration) {
	// The set's servers start full syncs at once (redistest sets no
	// diskless-sync delay), before the first sync and before the
	// returning primary's, which WAIT must wait for.
	s := redistest.StartSentinel(t)
	// The replica's first sync may still be under way: a failover now
	// would lose everything.
	waitReplicasOnline(t, s.Primary.Addr, 1)
	env := apiEnv(s.URL, redistest.Prefix(t))
	env["REDIS_MODE"] = "sentinel"
	env["REDIS_WAIT_REPLICAS"] = strconv.Itoa(waitReplicas)
	apis := []*API{StartAPI(t, apiBin, env), StartAPI(t, apiBin, env)}
	load := NewLoad(t, LoadConfig{Targets: []string{apis[0].Base, apis[1].Base}, Channels: 4, Interval: 5 * time.Millisecond})
	// Without WAIT, a channel created just before the primary dies can die
	// with it (replication is asynchronous, and slow on a loaded machine),
	// and then no post through it can ever be acknowledged: the load's
	// channels must be on the replica before the failover this test is
	// about.
	waitReplicated(t, s.Primary.Addr)
	load.Start()
	defer load.Stop()
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: s.Addrs[0]})
	defer sentinel.Close()

	time.Sleep(500 * time.Millisecond)
	primary := masterAddr(t, sentinel)
	if primary != s.Primary.Addr {
		t.Fatalf("Sentinel names %s as primary, not %s", primary, s.Primary.Addr)
	}
	killed := time.Now()
	s.Primary.Stop()
	promoted := waitMasterChange(t, sentinel, primary)
	t.Logf("Sentinel promoted the replica %v after the primary died", time.Since(killed).Round(time.Millisecond))
	// Back only once the other was promoted, and as its replica at once,
	// as an operator would: Sentinel would get there too, but only at its
	// next look (up to 10s). Had it come back first, as an empty primary,
	// the replica would have copied its emptiness.
	s.Primary.Restart()
	replicaOf(t, s.Primary, promoted)
	// On a loaded CI machine a failover and a resync take longer than on
	// a quiet one: the bound here only stops a test that hangs.
	first, ok := waitAcknowledged(load, killed, 2*failoverLimit)
	if !ok {
		t.Fatalf("no post acknowledged within %v of the primary's death; the load so far: %v",
			2*failoverLimit, load.Recorder().Check())
	}
	t.Logf("writes resumed %v after the primary died", first.Sub(killed).Round(time.Millisecond))
	rep := finishAllowingLoss(t, load, allowLoss)
	rep.Lost = load.Recorder().Check().Lost
	return rep, first.Sub(killed)
}

// masterAddr asks a sentinel for the primary's address.
func masterAddr(t *testing.T, c *redis.SentinelClient) string {
	t.Helper()
	addr, err := c.GetMasterAddrByName(context.Background(), redistest.SentinelMaster).Result()
	if err != nil || len(addr) != 2 {
		t.Fatalf("sentinel get-master-addr-by-name: %v %v", addr, err)
	}
	return net.JoinHostPort(addr[0], addr[1])
}

// waitMasterChange waits until Sentinel names another primary than old,
// and returns it.
func waitMasterChange(t *testing.T, c *redis.SentinelClient, old string) string {
	t.Helper()
	deadline := time.Now().Add(failoverLimit)
	for {
		if addr := masterAddr(t, c); addr != old {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sentinel did not fail over within %v", failoverLimit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// replicaOf makes srv a replica of primary.
func replicaOf(t *testing.T, srv *redistest.Server, primary string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(primary)
	if err := srv.Client(t).SlaveOf(context.Background(), host, port).Err(); err != nil {
		t.Fatalf("REPLICAOF %s on %s: %v", primary, srv.Addr, err)
	}
}

// waitReplicasOnline waits until the primary sees n replicas online.
func waitReplicasOnline(t *testing.T, primary string, n int) {
	t.Helper()
	ctx := context.Background()
	p := redis.NewClient(&redis.Options{Addr: primary})
	defer p.Close()
	deadline := time.Now().Add(failoverLimit)
	for {
		info, err := p.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, fmt.Sprintf("connected_slaves:%d\r\n", n)) &&
			strings.Count(info, "state=online") == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has not %d replicas online after %v:\n%s", primary, n, failoverLimit, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReplicated waits until every replica of primary has what primary
// had written when it was called.
func waitReplicated(t *testing.T, primary string) {
	t.Helper()
	ctx := context.Background()
	p := redis.NewClient(&redis.Options{Addr: primary})
	defer p.Close()
	// offsets returns the values of field in an INFO replication answer:
	// master_repl_offset:, or each replica's offset=.
	offsets := func(info, field string) []int64 {
		var out []int64
		for _, part := range strings.FieldsFunc(info, func(r rune) bool { return r == '\r' || r == '\n' || r == ',' }) {
			if v, ok := strings.CutPrefix(part, field); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					out = append(out, n)
				}
			}
		}
		return out
	}
	info, err := p.Info(ctx, "replication").Result()
	want := offsets(info, "master_repl_offset:")
	if err != nil || len(want) != 1 {
		t.Fatalf("%s: no master_repl_offset: %v\n%s", primary, err, info)
	}
	deadline := time.Now().Add(failoverLimit)
	for {
		info, err = p.Info(ctx, "replication").Result()
		got := offsets(info, "offset=")
		if err == nil && len(got) > 0 && slices.Min(got) >= want[0] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: replicas not at offset %d after %v:\n%s", primary, want[0], failoverLimit, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAcknowledged waits until a post answered after t is acknowledged.
func waitAcknowledged(load *Load, t time.Time, limit time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(limit)
	for {
		if at, ok := load.Recorder().FirstAcknowledgedAfter(t); ok {
			return at, true
		}
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
