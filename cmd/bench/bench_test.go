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

// TestSmokeRun runs `bench -smoke` end to end, with real processes, and
// checks that every scenario produced a row for each of its targets, that
// no message was lost, repeated or out of order, that the api's readers
// acknowledged all they read, and that no child outlived the bench. It
// never looks at a timing.
func TestSmokeRun(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not on PATH, so the bench cannot run: sudo apt-get install -y redis-server")
	}
	t.Parallel()
	bin := buildBench(t)
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-smoke", "-json", jsonPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench -smoke: %v\nstderr:\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{
		s1: {relayName, apiRedisName, apiMemoryName, apiRedisShippedName, apiMemoryShippedName, apiRedisRateName},
		s2: {relayName, apiRedisName, apiMemoryName, apiRedisShippedName, apiMemoryShippedName},
		s3: {relayName, apiRedisName, apiMemoryName},
		s4: {apiRedisName, apiMemoryName},
		s5: {relayName, apiRedisName, apiMemoryName},
		s6: {apiRedisName, apiMemoryName},
	}
	messages := map[string]int{s1: smokeSizes.s1Messages, s2: smokeSizes.s2Messages, s3: int(smokeSizes.s3Duration.Seconds() * float64(smokeSizes.s3Rate)), s5: smokeSizes.s5Messages}
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
		if f.Messages != messages[rw.Scenario] || f.Lost != 0 || f.Duplicated != 0 || f.OutOfOrder != 0 ||
			f.PostErrors != 0 || f.ReadErrors != 0 || f.Unrecognised != 0 {
			t.Errorf("%s on %s: %+v; want all %d messages once, in order, without errors", rw.Scenario, rw.Target, *f, messages[rw.Scenario])
		}
		if acks := rw.Target != relayName; f.AckErrors != 0 || f.LeftQueued != 0 || (f.Acks > 0) != acks {
			t.Errorf("%s on %s: %d acknowledgements, %d failed, %d messages left queued; want acknowledgements exactly on the api, none failed, none left", rw.Scenario, rw.Target, f.Acks, f.AckErrors, f.LeftQueued)
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
	for _, sc := range allScenarios {
		if !strings.Contains(stdout.String(), "\n## "+sc+" ") {
			t.Errorf("the Markdown report has no %s table:\n%s", sc, stdout.String())
		}
	}
	if len(rep.ChildPIDs) < 7 {
		t.Errorf("child pids %v: want redis-server, the relay and five api processes", rep.ChildPIDs)
	}
	for _, pid := range rep.ChildPIDs {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("child %d outlived the bench (kill 0: %v)", pid, err)
		}
	}
}

// checkIdleRow checks that S4 held its streams open: each one runs at
// least its handler's goroutine in the api.
func checkIdleRow(t *testing.T, rw row) {
	t.Helper()
	i := rw.Idle
	if i == nil {
		t.Errorf("S4 on %s: no idle figures", rw.Target)
		return
	}
	if i.Streams != smokeSizes.s4Streams || i.GoroutinesAfter-i.GoroutinesBefore < i.Streams || i.RSSAfterKiB <= 0 {
		t.Errorf("S4 on %s: %+v; want %d streams held open, each with a goroutine", rw.Target, *i, smokeSizes.s4Streams)
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
		if b.Evalsha < int64(n) || b.RedisReads <= 0 || b.RedisReads >= int64(n)/2 {
			t.Errorf("S6 on Redis: %d script calls in %d reads for %d members; want at least one call each, pipelined", b.Evalsha, b.RedisReads, n)
		}
	} else if b.Evalsha != -1 || b.RedisReads != -1 {
		t.Errorf("S6 on %s: Redis figures %d, %d on the embedded store", rw.Target, b.Evalsha, b.RedisReads)
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
	got, err := parseScenarios("s4, S1,S4")
	if err != nil || strings.Join(got, ",") != "S1,S4" {
		t.Errorf("got %v, %v; want S1,S4", got, err)
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
