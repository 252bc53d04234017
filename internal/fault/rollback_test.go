package fault

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// The seqs of the marks posted in a rollback round: doomedSeq between the
// replica's promotion and the announcement of it, liveSeq after it. The
// posters' seqs count from 0 and stay far below.
const (
	doomedSeq = 1_000_000
	liveSeq   = 2_000_000
)

// A failover can take back what a reader has already received: without
// WAIT (the default), a message stored on the old primary after the
// replica's promotion, and streamed from there, is not on the new
// primary. A stream that then resumes with that message's id as its
// Last-Event-ID must reach the live end all the same, with nothing newer
// posted to carry it past its resume point (a quiet channel): it may be
// told `event: reset` with rewound_to, never refused. Issue 12, hole 3:
// every such resume was answered 400 invalid_request, and an EventSource
// stops for good at a 4xx.
//
// The window between the promotion and the announcement is made
// deterministic by stopping the sentinels (SIGSTOP) for its length.
func TestSentinelRollbackReadersResume(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	s := redistest.StartSentinelReplicas(t, 1, "--repl-diskless-sync-delay", "0")
	waitReplicasOnline(t, s.Primary.Addr, 1)
	env := apiEnv(s.URL, redistest.Prefix(t))
	env["REDIS_MODE"] = "sentinel"
	apis := []*API{StartAPI(t, apiBin, env), StartAPI(t, apiBin, env)}
	targets := []string{apis[0].Base, apis[1].Base}
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: s.Addrs[0]})
	defer sentinel.Close()
	servers := []string{s.Primary.Addr, s.Replica.Addr}

	rounds := forms(1, 5)
	var resumes, rewinds, stuck int
	for round := range rounds {
		r := rollbackRound(t, s, sentinel, targets, servers)
		resumes, rewinds, stuck = resumes+r.resumes, rewinds+r.rewinds, stuck+len(r.stuck)
		t.Logf("round %d: %d of %d readers had received a message the failover took back; %d resumes from such a point, %d refused; %d rewinds (reset with rewound_to); %d stuck streams; posts: %s",
			round, r.tookBack, r.readers, r.resumes, r.refused, r.rewinds, len(r.stuck), r.report)
		for _, s := range r.stuck {
			t.Errorf("round %d: stuck stream: %s", round, s)
		}
		if r.resumes == 0 {
			t.Fatalf("round %d: no stream resumed from a point the failover took back: the round proved nothing", round)
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d failovers without WAIT: %d resumes from points they took back, %d rewinds, %d stuck streams", rounds, resumes, rewinds, stuck)
}

// rollbackOutcome is what one rollback round saw.
type rollbackOutcome struct {
	readers, tookBack int
	// resumes counts the streams' resumes, after the announcement, from
	// a message the failover took back; refused counts those answered 4xx.
	resumes, refused int
	rewinds          int
	// stuck says, per stream, why it did not reach the live end.
	stuck  []string
	report Report
}

// rollbackRound fails the Sentinel set over, under readers that hold
// their streams about 300 ms at a time, posting one message on each
// channel in the window where the old primary still takes writes the new
// one will never have, and checks that each stream reaches the live end.
// servers are the two redis-servers' addresses, whichever is primary.
func rollbackRound(t *testing.T, s *redistest.Sentinel, sentinel *redis.SentinelClient, targets, servers []string) rollbackOutcome {
	t.Helper()
	load := NewLoad(t, LoadConfig{Targets: targets, Channels: 8, Interval: 5 * time.Millisecond, StreamLifetime: 300 * time.Millisecond})
	load.Start()
	defer load.Stop()
	time.Sleep(500 * time.Millisecond)
	// From here on the channels are quiet: nothing but the marks below
	// is posted, as on a channel whose sender has said all it had to.
	load.StopPosting()

	old := masterAddr(t, sentinel)
	replica := servers[0]
	if replica == old {
		replica = servers[1]
	}
	began := time.Now()
	forceFailover(t, sentinel)
	waitPromoted(t, replica)
	s.PauseSentinels(t)
	doomed := load.PostMarks(t, doomedSeq)
	missed := load.WaitDelivered(doomed, 2*time.Second)
	s.ResumeSentinels()
	promoted := waitMasterChange(t, sentinel, old)
	if promoted != replica {
		t.Fatalf("Sentinel promoted %s, not %s", promoted, replica)
	}
	announced := time.Now()
	// Every stream is dropped and resumed within about 300 ms: let each
	// resume a few times with nothing new posted.
	waitConnects(t, load, announced, 3, 10*time.Second)
	live := load.PostMarks(t, liveSeq)
	late := load.WaitDelivered(live, 15*time.Second)

	out := rollbackOutcome{readers: len(doomed), tookBack: len(doomed) - len(missed)}
	takenBack := map[string]string{}
	for _, m := range doomed {
		takenBack[m.Port] = m.ID.String()
	}
	refusals := map[string][]Connect{}
	for _, c := range load.Recorder().Connects() {
		if c.At.Before(began) {
			continue
		}
		if c.At.After(announced) && c.After.String() == takenBack[c.Port] {
			out.resumes++
		}
		if c.Status >= 400 && c.Status < 500 {
			out.refused++
			refusals[c.Port] = append(refusals[c.Port], c)
		}
	}
	for port, cs := range refusals {
		out.stuck = append(out.stuck, fmt.Sprintf("port %s: %d (re)connects refused, the first after %s with %d %s: an EventSource stops for good at a 4xx",
			port, len(cs), cs[0].After, cs[0].Status, cs[0].Code))
	}
	for _, m := range late {
		out.stuck = append(out.stuck, fmt.Sprintf("port %s: the message posted after the failover (%s) was not delivered within 15s", m.Port, m.ID))
	}
	for _, w := range load.Recorder().Rewinds() {
		if takenBack[w.Port] != "" {
			out.rewinds++
		}
	}
	load.Stop()
	// What the failover took back is allowed to be lost here: without
	// WAIT nothing promises otherwise. The report is a figure.
	out.report = load.Recorder().Check()
	// The next round fails over again: the old primary must be a replica
	// by then, which Sentinel sees to at its next look (up to 10 s).
	if forms(false, true) {
		waitReplicaOf(t, old, promoted)
		waitReplicasOnline(t, promoted, 1)
	}
	return out
}

// waitPromoted waits until the server at addr has become a primary, which
// Sentinel makes a replica first, before it tells anyone: it polls often,
// so that the window after is hardly shortened.
func waitPromoted(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(failoverLimit)
	for {
		info, err := c.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "role:master\r\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not promoted within %v: %v\n%s", addr, failoverLimit, err, info)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitConnects waits until every reader of load has tried to open its
// stream n times since `since`, whatever the answers.
func waitConnects(t *testing.T, load *Load, since time.Time, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		count := map[string]int{}
		for _, c := range load.Recorder().Connects() {
			if c.At.After(since) {
				count[c.Port]++
			}
		}
		done := len(count) == len(load.chans)
		for _, k := range count {
			done = done && k >= n
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the readers did not all reconnect %d times within %v: %v", n, limit, count)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
