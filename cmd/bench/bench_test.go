package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain removes the binary buildBench made, and fails the run if a
// goroutine outlives the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// built is this command's binary, built by the first test that asks
// (buildBench) into dir, which TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildBench returns this command's binary, built once for the tests,
// with the race detector when the tests have it.
func buildBench(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "tincan-bench-test-"); built.err != nil {
			return
		}
		bin := filepath.Join(built.dir, "bench")
		args := []string{"build", "-o", bin}
		if raceEnabled {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, "github.com/tincan-dev/tincan/cmd/bench")...).CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build ./cmd/bench: %v\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// runSmoke runs the bench with -smoke and args, with real processes, and
// returns its report and its Markdown, having checked that no child
// outlived it.
func runSmoke(t *testing.T, args ...string) (report, string) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not on PATH, so the bench cannot run: sudo apt-get install -y redis-server")
	}
	bin := buildBench(t)
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-smoke", "-json", jsonPath}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench -smoke %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	for _, pid := range rep.ChildPIDs {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("child %d outlived the bench (kill 0: %v)", pid, err)
		}
	}
	return rep, stdout.String()
}

// smokeMessages is how many messages each flow scenario sends in a smoke
// run.
var smokeMessages = map[string]int{
	s1: smokeSizes.s1Messages, s2: smokeSizes.s2Messages, s2x: smokeSizes.s2Messages,
	s3: int(smokeSizes.s3Duration.Seconds() * float64(smokeSizes.s3Rate)), s5: smokeSizes.s5Messages,
}

// checkRows checks that rep has, for each scenario of want, a row for
// each of its targets, in order, and nothing else; and that in every flow
// no message was lost, repeated or out of order, and that the api's
// readers acknowledged all they read.
func checkRows(t *testing.T, rep report, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, rw := range rep.Rows {
		got[rw.Scenario] = append(got[rw.Scenario], rw.Target)
		if rw.Scenario == s4 {
			checkIdleRow(t, rw)
			continue
		}
		if rw.Scenario == s6 {
			checkBroadcastRow(t, rw)
			continue
		}
		f := rw.Flow
		if f == nil {
			t.Errorf("%s on %s: no flow figures", rw.Scenario, rw.Target)
			continue
		}
		if want := smokeMessages[rw.Scenario]; f.Messages != want || f.Lost != 0 || f.Duplicated != 0 || f.OutOfOrder != 0 ||
			f.PostErrors != 0 || f.ReadErrors != 0 || f.Unrecognised != 0 {
			t.Errorf("%s on %s: %+v; want all %d messages once, in order, without errors", rw.Scenario, rw.Target, *f, want)
		}
		if acks := rw.Target != relayName; f.AckErrors != 0 || f.LeftQueued != 0 || (f.Acks > 0) != acks {
			t.Errorf("%s on %s: %d acknowledgements, %d failed, %d messages left queued; want acknowledgements exactly on the api, none failed, none left", rw.Scenario, rw.Target, f.Acks, f.AckErrors, f.LeftQueued)
		}
		if onRedis := !strings.HasPrefix(rw.Target, "api-memory"); (f.RedisCmdUs > 0) != onRedis {
			t.Errorf("%s on %s: %.1f µs in Redis commands per message; want some exactly on Redis", rw.Scenario, rw.Target, f.RedisCmdUs)
		}
		if rw.Scenario == s5 && f.Reconnects != 1 {
			t.Errorf("S5 on %s: %d reconnects, want 1", rw.Target, f.Reconnects)
		}
	}
	for sc, targets := range want {
		if strings.Join(got[sc], "|") != strings.Join(targets, "|") {
			t.Errorf("%s rows: got %q, want %q", sc, got[sc], targets)
		}
	}
	for sc := range got {
		if _, ok := want[sc]; !ok {
			t.Errorf("rows of %s, which was not picked", sc)
		}
	}
}

// TestSmokeRun runs `bench -smoke` end to end, with real processes, and
// checks that every scenario produced a row for each of its targets
// (S2's scale-out rows included), that no message was lost, repeated or
// out of order, that the api's readers acknowledged all they read, that
// the bench and its children stayed on the cores it pinned them to (on a
// machine of two cores or more), and that no child outlived the bench. It
// never looks at a timing.
func TestSmokeRun(t *testing.T) {
	t.Parallel()
	rep, markdown := runSmoke(t)
	checkRows(t, rep, map[string][]string{
		s1: {relayName, apiRedisName, apiMemoryName, apiRedisShippedName, apiMemoryShippedName, apiRedisRateName, apiRedisPacedName, apiMemoryPacedName},
		s2: {relayName, apiRedisName, apiRedisTwoName, apiRedisClusterName, apiMemoryName, apiRedisShippedName, apiMemoryShippedName},
		s3: {relayName, apiRedisName, apiMemoryName},
		s4: {apiRedisName, apiMemoryName},
		s5: {relayName, apiRedisName, apiMemoryName},
		s6: {apiRedisName, apiMemoryName},
	})
	for _, sc := range defaultScenarios {
		if !strings.Contains(markdown, "\n## "+sc+" ") {
			t.Errorf("the Markdown report has no %s table:\n%s", sc, markdown)
		}
	}
	// redis-server, the Cluster's three, the relay, and the api: tuned and
	// shipped on both stores, the limits row, two instances, on the
	// Cluster.
	if want := 1 + clusterPrimaries + 1 + 8; len(rep.ChildPIDs) != want {
		t.Errorf("child pids %v: want %d", rep.ChildPIDs, want)
	}
	if planPinning(true).on {
		if !strings.HasPrefix(rep.Machine.Pinning, "bench on CPU ") || !strings.Contains(rep.Machine.Pinning, "as planned") {
			t.Errorf("pinning %q: want the bench and its children pinned as planned", rep.Machine.Pinning)
		}
	}
	if !strings.Contains(markdown, "\nPinning: "+rep.Machine.Pinning+".\n") {
		t.Errorf("the Markdown report does not say how it pinned:\n%s", markdown)
	}
}

// TestSmokeScaleOut runs `bench -smoke -scenarios S2X -pin=false`: S2's
// scale-out rows alone, beside the relay and the single instance, every
// message crossing from one api instance to the other or kept on a
// Cluster, nothing pinned.
func TestSmokeScaleOut(t *testing.T) {
	t.Parallel()
	rep, markdown := runSmoke(t, "-scenarios", "S2X", "-pin=false")
	checkRows(t, rep, map[string][]string{s2x: {relayName, apiRedisName, apiRedisTwoName, apiRedisClusterName}})
	if !strings.Contains(markdown, "\n## S2X ") || !strings.Contains(markdown, "| "+apiRedisClusterName+" | ") {
		t.Errorf("the Markdown report has no S2X table with the Cluster's row:\n%s", markdown)
	}
	if rep.Machine.Pinning != "off (-pin=false)" {
		t.Errorf("pinning %q, want off", rep.Machine.Pinning)
	}
}

// checkIdleRow checks that S4 held its streams open: the api counts each
// (parked, by default, so without a goroutine of its own), all asked for
// and from several source addresses.
func checkIdleRow(t *testing.T, rw row) {
	t.Helper()
	i := rw.Idle
	if i == nil {
		t.Errorf("S4 on %s: no idle figures", rw.Target)
		return
	}
	if i.Streams != smokeSizes.s4Streams || i.StreamsOpen < i.Streams || i.RSSAfterKiB <= 0 {
		t.Errorf("S4 on %s: %+v; want %d streams held open, as the api counts them", rw.Target, *i, smokeSizes.s4Streams)
	}
	// The smoke run's streams come from three loopback addresses, as a
	// run of 100,000 comes from several.
	if i.Asked != i.Streams || i.Sources != 3 || i.OpenSeconds <= 0 || i.BenchRSSAfterKiB <= 0 {
		t.Errorf("S4 on %s: %d of %d streams asked, from %d source addresses, opened in %.3f s, bench RSS %d KiB; want all from 3",
			rw.Target, i.Streams, i.Asked, i.Sources, i.OpenSeconds, i.BenchRSSAfterKiB)
	}
	onRedis := rw.Target == apiRedisName
	if onRedis != (i.RedisClientsBefore > 0 && i.RedisClientsAfter > 0) {
		t.Errorf("S4 on %s: Redis clients %d → %d; want them counted exactly on Redis", rw.Target, i.RedisClientsBefore, i.RedisClientsAfter)
	}
}

// checkBroadcastRow checks that S6 reached every member, that every peer
// holds the message, and that on Redis the members' posts ran as scripts
// in far fewer reads than members (pipelined, not a round trip each).
func checkBroadcastRow(t *testing.T, rw row) {
	t.Helper()
	b := rw.Broadcast
	if b == nil {
		t.Errorf("S6 on %s: no broadcast figures", rw.Target)
		return
	}
	n := smokeSizes.s6Members
	if b.Members != n || b.Reached != n || b.Refused != 0 || b.Verified != n || b.AnswerMs <= 0 {
		t.Errorf("S6 on %s: %+v; want all %d members reached and read back", rw.Target, *b, n)
	}
	if rw.Target == apiRedisName {
		if b.ScriptCalls < int64(n) || b.RedisReads <= 0 || b.RedisReads >= int64(n)/2 {
			t.Errorf("S6 on Redis: %d script calls in %d reads for %d members; want at least one call each, pipelined", b.ScriptCalls, b.RedisReads, n)
		}
	} else if b.ScriptCalls != -1 || b.RedisReads != -1 {
		t.Errorf("S6 on %s: Redis figures %d, %d on the embedded store", rw.Target, b.ScriptCalls, b.RedisReads)
	}
}

// TestNoRedisServer checks that without redis-server the bench says how
// to install it and exits, having started nothing.
func TestNoRedisServer(t *testing.T) {
	t.Parallel()
	bin := buildBench(t)
	cmd := exec.Command(bin, "-smoke")
	cmd.Env = []string{"PATH=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("got %v, want exit status 3\n%s", err, out)
	}
	if !strings.Contains(string(out), "apt-get install -y redis-server") {
		t.Errorf("output does not say how to install redis-server:\n%s", out)
	}
}

// TestWaitingOut429 checks that a set-up request refused with 429 is sent
// again once its Retry-After has passed, as the rows on the shipped
// defaults need when S2 creates more than the default burst of creations.
func TestWaitingOut429(t *testing.T) {
	t.Parallel() // it waits out a Retry-After of a second
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/channels", nil)
	resp, err := doWaitingOut429(context.Background(), srv.Client(), req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || calls.Load() != 2 {
		t.Errorf("status %d after %d calls, want 201 after 2", resp.StatusCode, calls.Load())
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, seq := range []int{0, 7, 123456} {
		ts := 1234567890 * time.Nanosecond
		p := makePayload(nil, seq, ts)
		if len(p) != payloadSize {
			t.Errorf("payload %q is %d bytes, want %d", p, len(p), payloadSize)
		}
		// As the api sends it: inside a JSON string.
		wrapped := []byte(`{"id":"1-0","data":"` + string(p) + `","ports":[]}`)
		gotSeq, gotTS, ok := parsePayload(wrapped)
		if !ok || gotSeq != seq || gotTS != ts {
			t.Errorf("parse %q: %d %v %v, want %d %v", wrapped, gotSeq, gotTS, ok, seq, ts)
		}
	}
	if _, _, ok := parsePayload([]byte(`{"data":"hello"}`)); ok {
		t.Error("a payload not of ours was parsed")
	}
}

func TestTallyCounts(t *testing.T) {
	tl := newTally(4)
	for i := range tl.acked {
		tl.acked[i] = true
	}
	for _, seq := range []int{0, 2, 1, 2} {
		tl.record(seq, 0, time.Millisecond)
	}
	if tl.unique != 3 || tl.dup != 1 || tl.outOfOrd != 1 || tl.lost() != 1 {
		t.Errorf("unique %d dup %d out of order %d lost %d; want 3 1 1 1", tl.unique, tl.dup, tl.outOfOrd, tl.lost())
	}
}

func TestParseScenarios(t *testing.T) {
	for list, want := range map[string]string{"s4, S1,S4": "S1,S4", "S2X,s1": "S1,S2X", "S2x,S2": "S2"} {
		got, err := parseScenarios(list)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("%q: got %v, %v; want %s", list, got, err, want)
		}
	}
	for _, bad := range []string{"", "S7", "S1,X"} {
		if _, err := parseScenarios(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3,1,2: %v", m)
	}
	if m := median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("median of 4,1,2,3: %v", m)
	}
}

// TestNewChannelCrossesInstances checks that on a target of two instances
// channel i is created and posted to on instance i and read and
// acknowledged on the other, and on one instance all on it.
func TestNewChannelCrossesInstances(t *testing.T) {
	var created [2]atomic.Int32
	var bases []string
	for i := range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			created[i].Add(1)
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"port1":{"id":"p1","token":"t1"},"port2":{"id":"p2","token":"t2"}}`)
		}))
		defer srv.Close()
		bases = append(bases, srv.URL)
	}
	two := &target{name: "two", base: bases[0], bases: bases}
	for i := range 4 {
		ch, err := two.newChannel(context.Background(), http.DefaultClient, i)
		if err != nil {
			t.Fatal(err)
		}
		post, read := bases[i%2], bases[(i+1)%2]
		if ch.postURL != post+"/ports/p1/messages" || ch.eventsURL != read+"/ports/p2/events" || ch.readBase != read {
			t.Errorf("channel %d: posts to %s, reads %s, acknowledges on %s; want posts on %s, the rest on %s", i, ch.postURL, ch.eventsURL, ch.readBase, post, read)
		}
	}
	if created[0].Load() != 2 || created[1].Load() != 2 {
		t.Errorf("channels created %d and %d, want 2 on each instance", created[0].Load(), created[1].Load())
	}
	one := &target{name: "one", base: bases[0], bases: bases[:1]}
	ch, err := one.newChannel(context.Background(), http.DefaultClient, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.postURL, bases[0]) || !strings.HasPrefix(ch.eventsURL, bases[0]) || ch.readBase != bases[0] {
		t.Errorf("one instance: %+v, want everything on %s", ch, bases[0])
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestCPUList(t *testing.T) {
	for _, c := range []struct {
		cpus []int
		want string
	}{{[]int{1}, "1"}, {[]int{0, 1}, "0-1"}, {[]int{0, 2, 3, 4, 7}, "0,2-4,7"}} {
		if got := cpuList(c.cpus); got != c.want {
			t.Errorf("cpuList(%v) = %q, want %q", c.cpus, got, c.want)
		}
	}
	if p := planPinning(false); p.on || p.describe() != "off (-pin=false)" || p.check([]int{os.Getpid()}) != "" {
		t.Errorf("-pin=false: %+v, %q", p, p.describe())
	}
}
