package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name under which a Sentinel set monitors its
// primary.
const SentinelMaster = "tincan"

// Sentinel timings, short so that a failover test takes seconds: the
// primary is deemed down after SentinelDownAfter without an answer, and a
// failover is retried after SentinelFailoverTimeout.
const (
	SentinelDownAfter       = time.Second
	SentinelFailoverTimeout = 3 * time.Second
)

// Sentinel is a primary, its replicas and three redis-sentinel processes
// monitoring them (quorum 2), started for a test.
type Sentinel struct {
	Primary *Server
	// Replica is Replicas[0], for the callers of StartSentinel, which
	// starts only one.
	Replica *Server
	// Replicas are the primary's replicas, in the order they started.
	// After a failover the roles move: ask a sentinel who is primary.
	Replicas []*Server
	// Addrs are the sentinels' host:port.
	Addrs []string
	// URL reads with go-redis's ParseFailoverURL:
	// redis://<sentinel>?addr=<sentinel>&addr=<sentinel>&master_name=tincan.
	URL string

	procs []*exec.Cmd
}

// StartSentinel starts the primary, one replica and the sentinels on free
// loopback ports, waits until every sentinel knows the replica and the
// other sentinels (so that a failover can happen), and stops them all at
// tb's end.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	return StartSentinelReplicas(tb, 1)
}

// StartSentinelReplicas is StartSentinel with n replicas, every
// redis-server (the primary and the replicas) started with serverArgs too.
// It returns once every sentinel knows all n replicas, none of them down.
func StartSentinelReplicas(tb testing.TB, n int, serverArgs ...string) *Sentinel {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("a Sentinel set needs a replica to fail over to, not %d", n)
	}
	return StartSentinelEach(tb, make([][]string, n), serverArgs...)
}

// StartSentinelEach is StartSentinelReplicas with a replica for each of
// replicaArgs, started with those arguments after serverArgs (a
// replica-priority, say). The sentinels learn each replica's settings as
// they first meet it, rather than at their next look (every 10 s), as they
// would of a replica started later.
func StartSentinelEach(tb testing.TB, replicaArgs [][]string, serverArgs ...string) *Sentinel {
	tb.Helper()
	n := len(replicaArgs)
	if n < 1 {
		tb.Fatalf("a Sentinel set needs a replica to fail over to, not %d", n)
	}
	if _, err := exec.LookPath("redis-sentinel"); err != nil {
		tb.Fatalf("redis-sentinel is not installed: apt-get install -y redis-sentinel")
	}
	// A diskless full sync waits 5 s by default for more replicas to
	// share it: here only a delay before a replica has what WAIT waits
	// for, at the start and after each failover.
	serverArgs = append([]string{"--repl-diskless-sync-delay", "0"}, serverArgs...)
	s := &Sentinel{}
	s.Primary = Start(tb, append([]string{"--appendonly", "no"}, serverArgs...)...)
	host, port := hostPort(s.Primary.Addr)
	for _, own := range replicaArgs {
		args := append(append([]string{"--replicaof", host, port}, serverArgs...), own...)
		s.Replicas = append(s.Replicas, Start(tb, args...))
	}
	s.Replica = s.Replicas[0]
	tb.Cleanup(s.stopSentinels)
	// Each sentinel's configuration names the others and the replicas,
	// as a sentinel's own rewrite of it would: otherwise they find each
	// other through hello messages, every 2 s, and the set takes seconds
	// to be ready.
	peers := make([]sentinelPeer, 3)
	for i := range peers {
		peers[i] = sentinelPeer{port: FreePort(tb), id: sentinelID(tb)}
	}
	for i := range peers {
		s.startSentinel(tb, host, port, peers, i)
	}
	s.URL = "redis://" + s.Addrs[0] + "?addr=" + strings.Join(s.Addrs[1:], "&addr=") + "&master_name=" + SentinelMaster
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, a := range s.Addrs {
		if err := waitSentinelReady(ctx, a, n); err != nil {
			tb.Fatalf("sentinel %s: %v", a, err)
		}
	}
	return s
}

// sentinelPeer is one sentinel of a set: its port and its run id.
type sentinelPeer struct {
	port int
	id   string
}

// sentinelID returns a fresh sentinel run id: 40 hex digits.
func sentinelID(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// startSentinel starts peers[me], which knows the other peers and s's
// replicas from the start.
func (s *Sentinel) startSentinel(tb testing.TB, primaryHost, primaryPort string, peers []sentinelPeer, me int) {
	tb.Helper()
	dir := tb.TempDir()
	port := peers[me].port
	name := SentinelMaster
	lines := []string{
		"port " + strconv.Itoa(port),
		"bind 127.0.0.1",
		"dir " + dir,
		"daemonize no",
		"logfile " + filepath.Join(dir, "sentinel.log"),
		"sentinel myid " + peers[me].id,
		"sentinel monitor " + name + " " + primaryHost + " " + primaryPort + " 2",
		"sentinel down-after-milliseconds " + name + " " + strconv.FormatInt(SentinelDownAfter.Milliseconds(), 10),
		"sentinel failover-timeout " + name + " " + strconv.FormatInt(SentinelFailoverTimeout.Milliseconds(), 10),
	}
	for _, r := range s.Replicas {
		h, p := hostPort(r.Addr)
		lines = append(lines, "sentinel known-replica "+name+" "+h+" "+p)
	}
	for i, peer := range peers {
		if i != me {
			lines = append(lines, "sentinel known-sentinel "+name+" 127.0.0.1 "+strconv.Itoa(peer.port)+" "+peer.id)
		}
	}
	conf := strings.Join(lines, "\n") + "\n"
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("redis-sentinel", path)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start redis-sentinel: %v", err)
	}
	s.procs = append(s.procs, cmd)
	s.Addrs = append(s.Addrs, "127.0.0.1:"+strconv.Itoa(port))
}

// PauseSentinels stops every sentinel process (SIGSTOP) until
// ResumeSentinels, or the test's end: a failover they began stands still
// wherever it is, which lets a test act inside a window that is otherwise
// short, such as between a replica's promotion and the announcement that
// tells clients to use it.
func (s *Sentinel) PauseSentinels(tb testing.TB) {
	tb.Helper()
	for _, c := range s.procs {
		if err := c.Process.Signal(syscall.SIGSTOP); err != nil {
			tb.Fatalf("pause redis-sentinel: %v", err)
		}
	}
	tb.Cleanup(s.ResumeSentinels)
}

// ResumeSentinels continues the sentinels PauseSentinels stopped. It is
// safe to call on sentinels that run.
func (s *Sentinel) ResumeSentinels() {
	for _, c := range s.procs {
		_ = c.Process.Signal(syscall.SIGCONT)
	}
}

func (s *Sentinel) stopSentinels() {
	for _, c := range s.procs {
		_ = c.Process.Kill()
		_ = c.Wait()
	}
	s.procs = nil
}

// Client returns a go-redis failover client for s, closed at tb's end.
func (s *Sentinel) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	opt, err := redis.ParseFailoverURL(s.URL)
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewFailoverClient(opt)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// waitSentinelReady waits until the sentinel at addr answers for the
// master, knows its n replicas, none of them down, and both other
// sentinels.
func waitSentinelReady(ctx context.Context, addr string, n int) error {
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	var err error
	for {
		var replicas, sentinels []map[string]string
		if replicas, err = c.Replicas(ctx, SentinelMaster).Result(); err == nil {
			if sentinels, err = c.Sentinels(ctx, SentinelMaster).Result(); err == nil &&
				len(replicas) == n && len(sentinels) == 2 && noneDown(replicas) {
				return nil
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("not ready: %v (%v); replicas %v, sentinels %d", err, ctx.Err(), flags(replicas), len(sentinels))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// flags lists each replica's address and flags, for a failure message.
func flags(replicas []map[string]string) []string {
	var out []string
	for _, r := range replicas {
		out = append(out, r["name"]+" "+r["flags"])
	}
	return out
}

// noneDown reports whether no replica a sentinel lists is flagged down
// (s_down, o_down) or disconnected.
func noneDown(replicas []map[string]string) bool {
	for _, r := range replicas {
		if strings.Contains(r["flags"], "down") || strings.Contains(r["flags"], "disconnected") {
			return false
		}
	}
	return true
}
