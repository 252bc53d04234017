package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// built is this command's binary, built by the first test that asks
// (buildAPI) into dir, which TestMain removes.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildAPI returns this command's binary, built once for the tests.
func buildAPI(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "tincan-api-test-"); built.err != nil {
			return
		}
		bin := filepath.Join(built.dir, "api")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
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
	p := &process{cmd: cmd, base: "http://" + addr, logs: newSyncBuffer(t), done: make(chan struct{})}
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
	waitHealthy(t, nil, p.base, p.logs)
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
// reaches a stream held by the other, in both directions. Nothing but the
// pub/sub notice wakes the other's stream, so a message delivered at all
// was pushed; how long the slowest took is logged (a bound on it would
// fail for a loaded machine's sake).
func TestTwoInstancesOnRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
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
			case <-time.After(processPatience):
				t.Fatalf("%s: message %d not delivered across instances within %v", dir.name, i, processPatience)
			}
			worst = max(worst, time.Since(start))
		}
		t.Logf("%s: worst post-to-delivery %v", dir.name, worst)
		stop()
	}
	for _, p := range []*process{a, b} {
		if !strings.Contains(p.logs.String(), "using the redis store") {
			t.Errorf("%s did not log its store", p.base)
		}
	}
}

// processPatience bounds a wait on an api process for what takes it
// moments: only a hang reaches it, however loaded the machine.
const processPatience = 30 * time.Second

// SIGTERM stops accepting, lets a post in flight finish (201), ends open
// streams cleanly (the response ends, it is not cut) with a short retry:
// hint as the last frame, and the process exits with status 0. A shutdown
// that ran into SHUTDOWN_TIMEOUT would exit 1 ("requests still running
// ... were cut"); the timeout is longer than the test's patience, so a
// shutdown that waits for it fails either way. How long it took is logged.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := buildAPI(t)
	p := startAPI(t, bin, map[string]string{"SHUTDOWN_TIMEOUT": (2 * processPatience).String()})
	ch := createChannel(t, p.base)
	post(t, p.base, ch.Port1, "before")

	res, err := http.Get(p.base + "/ports/" + ch.Port2.ID + "/events?access_token=" + ch.Port2.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	// The raw stream, to see the retry: frame that EventSource parsers hide.
	type result struct {
		body []byte
		err  error
	}
	read := make(chan result, 1)
	first := make(chan struct{})
	go func() {
		var r result
		buf := make([]byte, 4096)
		seen := false
		for {
			n, err := res.Body.Read(buf)
			r.body = append(r.body, buf[:n]...)
			if !seen && bytes.Contains(r.body, []byte(`"before"`)) {
				close(first)
				seen = true
			}
			if err != nil {
				if err != io.EOF {
					r.err = err
				}
				break
			}
		}
		read <- r
	}()
	select {
	case <-first:
	case <-time.After(processPatience):
		t.Fatal("no first event")
	}

	// A post in flight: its headers and half its body are sent before
	// SIGTERM, the rest after.
	body, rest := io.Pipe()
	req, _ := http.NewRequest("POST", p.base+"/ports/"+ch.Port1.ID+"/messages", body)
	req.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
	req.Header.Set("Content-Type", "text/plain")
	req.ContentLength = int64(len("in flight"))
	posted := make(chan int, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("the post in flight: %v", err)
			posted <- 0
			return
		}
		res.Body.Close()
		posted <- res.StatusCode
	}()
	if _, err := rest.Write([]byte("in ")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the handler is reading the body

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-read:
		if r.err != nil {
			t.Errorf("stream ended with an error: %v", r.err)
		}
		if !bytes.Contains(r.body, []byte(`"data":"before"`)) {
			t.Errorf("stream: %q", r.body)
		}
		if !bytes.HasSuffix(r.body, []byte("\n\nretry: 1000\n\n")) {
			t.Errorf("the stream's last frame is not a lone retry: 1000 hint: %q", r.body)
		}
	case <-time.After(processPatience):
		t.Fatal("the stream stayed open after SIGTERM")
	}
	// No longer accepting, while the post is still in flight.
	if res, err := http.Get(p.base + "/healthz"); err == nil {
		res.Body.Close()
		t.Errorf("a new connection was accepted during the shutdown: %d", res.StatusCode)
	}
	if _, err := rest.Write([]byte("flight")); err != nil {
		t.Fatal(err)
	}
	rest.Close()
	select {
	case status := <-posted:
		if status != http.StatusCreated {
			t.Errorf("the post in flight at SIGTERM: %d, want 201", status)
		}
	case <-time.After(processPatience):
		t.Fatal("the post in flight got no answer")
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("exit: %v", p.err)
		}
	case <-time.After(processPatience):
		t.Fatal("the process did not exit after SIGTERM")
	}
	t.Logf("shutdown took %v", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(p.logs.String(), "msg=stopped") {
		t.Errorf("no clean stop in the logs:\n%s", p.logs)
	}
}
