package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// buildAPI builds this command into a temporary directory.
func buildAPI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "api")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running api binary.
type process struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
	// done is closed when the process has exited, with err set.
	done chan struct{}
	err  error
}

// startAPI starts the binary with env (and nothing else of ours) on a free
// port, waits for /healthz, and kills it at the test's end if it is still
// running.
func startAPI(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	cmd := exec.Command(bin)
	cmd.Env = []string{"ADDR=" + addr, "LOG_LEVEL=debug"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, base: "http://" + addr, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("logs of %s:\n%s", p.base, p.logs)
		}
	})
	waitHealthy(t, p.base, p.logs)
	return p
}

// listen opens p's event stream on a process and returns its events.
func listen(t *testing.T, base string, p portCreds) (<-chan gosse.Event, func()) {
	t.Helper()
	res, err := http.Get(base + "/ports/" + p.ID + "/events?access_token=" + p.Token)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	events := make(chan gosse.Event, 100)
	go func() {
		defer close(events)
		for ev, err := range gosse.Read(res.Body, nil) {
			if err != nil {
				return
			}
			events <- ev
		}
	}()
	return events, func() { res.Body.Close() }
}

// Two api processes on one redis-server: a message posted through one
// reaches a stream held by the other, in both directions, promptly.
func TestTwoInstancesOnRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildAPI(t)
	redis := redistest.Start(t)
	env := map[string]string{"REDIS_URL": redis.URL, "REDIS_KEY_PREFIX": redistest.Prefix(t)}
	a := startAPI(t, bin, env)
	b := startAPI(t, bin, env)

	ch := createChannel(t, a.base)
	for _, dir := range []struct {
		name       string
		listenOn   *process
		listenPort portCreds
		postOn     *process
		postPort   portCreds
	}{
		{"a to b", a, ch.Port2, b, ch.Port1},
		{"b to a", b, ch.Port1, a, ch.Port2},
	} {
		events, stop := listen(t, dir.listenOn.base, dir.listenPort)
		const n = 20
		var worst time.Duration
		for i := range n {
			start := time.Now()
			post(t, dir.postOn.base, dir.postPort, fmt.Sprintf("msg %d", i))
			select {
			case ev := <-events:
				if ev.Type != "message" || !strings.Contains(ev.Data, fmt.Sprintf(`"data":"msg %d"`, i)) {
					t.Fatalf("%s: event %d: %+v", dir.name, i, ev)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: message %d not delivered across instances within 5s", dir.name, i)
			}
			worst = max(worst, time.Since(start))
		}
		t.Logf("%s: worst post-to-delivery %v", dir.name, worst)
		if worst > 2*time.Second {
			t.Errorf("%s: delivery took up to %v", dir.name, worst)
		}
		stop()
	}
	for _, p := range []*process{a, b} {
		if !strings.Contains(p.logs.String(), "using the redis store") {
			t.Errorf("%s did not log its store", p.base)
		}
	}
}

// SIGTERM ends open streams cleanly (the response ends, it is not cut) and
// the process exits with status 0.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildAPI(t)
	p := startAPI(t, bin, map[string]string{"SHUTDOWN_TIMEOUT": "5s"})
	ch := createChannel(t, p.base)
	post(t, p.base, ch.Port1, "before")

	res, err := http.Get(p.base + "/ports/" + ch.Port2.ID + "/events?access_token=" + ch.Port2.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	type result struct {
		events []gosse.Event
		err    error
	}
	read := make(chan result, 1)
	first := make(chan struct{})
	go func() {
		var r result
		for ev, err := range gosse.Read(res.Body, nil) {
			if err != nil {
				r.err = err
				break
			}
			r.events = append(r.events, ev)
			if len(r.events) == 1 {
				close(first)
			}
		}
		read <- r
	}()
	select {
	case <-first:
	case <-time.After(5 * time.Second):
		t.Fatal("no first event")
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-read:
		if r.err != nil {
			t.Errorf("stream ended with an error: %v", r.err)
		}
		if len(r.events) != 1 || !strings.Contains(r.events[0].Data, `"before"`) {
			t.Errorf("events: %+v", r.events)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after SIGTERM")
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("exit: %v", p.err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the process did not exit after SIGTERM")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v, want it prompt", d)
	}
	if !strings.Contains(p.logs.String(), "msg=stopped") {
		t.Errorf("no clean stop in the logs:\n%s", p.logs)
	}
}
