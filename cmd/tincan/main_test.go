package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tincan-dev/tincan/api/client"
	"github.com/tincan-dev/tincan/internal/fault"
	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/internal/syncbuf"
)

// apiBin is the api binary, built once for the package's tests, which
// drive it as a process: a real tincan, killed and started again where a
// test needs that. cliDir holds the tincan binary, for the tests that run
// the docs' shell lines as they stand.
var apiBin, cliDir string

// TestMain builds the api binary, runs the tests (they mostly wait for
// processes, so several at once), and fails the run if a goroutine of the
// CLI's outlives them.
func TestMain(m *testing.M) {
	redistest.Parallel(4)
	dir, err := os.MkdirTemp("", "tincan-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if apiBin, err = fault.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	cliDir = dir
	if out, err := exec.Command("go", "build", "-o", dir, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build the tincan command: %v\n%s", err, out)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	if code == 0 {
		// The tests' own calls (describe, and waiting for /healthz) go
		// through the default client: its idle connections are no leak.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// callLimit bounds one CLI run in a test, so that a hang fails it.
const callLimit = time.Minute

// stores are the stores a real tincan runs on here: the embedded one,
// and a private redis-server.
var stores = []struct {
	name string
	env  func(t *testing.T) map[string]string
}{
	{"memory", func(*testing.T) map[string]string { return nil }},
	{"redis", redisEnv},
}

// redisEnv is an api's environment for a redis-server of the test's own.
func redisEnv(t *testing.T) map[string]string {
	srv := redistest.Start(t)
	return map[string]string{"REDIS_URL": srv.URL, "REDIS_KEY_PREFIX": redistest.Prefix(t)}
}

// startAPI starts an api process with env (and quiet logs, and no rate
// limits: a test is one client doing a lot at once).
func startAPI(t *testing.T, env map[string]string) *fault.API {
	t.Helper()
	e := map[string]string{
		"LOG_LEVEL":                    "warn",
		"RATE_LIMIT_CREATE_PER_CLIENT": "0",
		"RATE_LIMIT_PER_CLIENT":        "0",
		"RATE_LIMIT_PER_TOKEN":         "0",
	}
	for k, v := range env {
		e[k] = v
	}
	return fault.StartAPI(t, apiBin, e)
}

// result is what one run of the CLI did.
type result struct {
	stdout, stderr string
	err            error
}

// tincan runs the CLI in-process against base with args, stdin as its
// standard input, and returns what it printed and returned.
func tincan(t *testing.T, base, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callLimit)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, append([]string{"tincan"}, args...), envOf(base, nil), strings.NewReader(stdin), &stdout, &stderr)
	return result{stdout.String(), stderr.String(), err}
}

// tincanEnv is tincan with more environment variables.
func tincanEnv(t *testing.T, base string, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callLimit)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, append([]string{"tincan"}, args...), envOf(base, env), strings.NewReader(""), &stdout, &stderr)
	return result{stdout.String(), stderr.String(), err}
}

// ok runs the CLI as tincan does and fails the test unless it succeeded.
func ok(t *testing.T, base, stdin string, args ...string) string {
	t.Helper()
	r := tincan(t, base, stdin, args...)
	if r.err != nil {
		t.Fatalf("tincan %q: %v\nstderr:\n%s", args, r.err, r.stderr)
	}
	return r.stdout
}

// envOf is the CLI's environment: the service at base, and env.
func envOf(base string, env map[string]string) func(string) string {
	return func(k string) string {
		if k == "TINCAN_URL" {
			return base
		}
		return env[k]
	}
}

// channel makes a channel with tincan create -sh and returns its ports
// as the command line names them.
func channel(t *testing.T, base string) (p1, p2 string) {
	t.Helper()
	out := ok(t, base, "", "create", "-sh")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		name, value, _ := strings.Cut(line, "=")
		value = strings.Trim(value, "'")
		switch name {
		case "P1":
			p1 = value
		case "P2":
			p2 = value
		}
	}
	if !shellSafe.MatchString(p1) || !shellSafe.MatchString(p2) {
		t.Fatalf("create -sh printed %q", out)
	}
	return p1, p2
}

// posted runs tincan post with args and returns the message's id.
func posted(t *testing.T, base, stdin string, args ...string) string {
	t.Helper()
	var m client.MessageCreated
	out := ok(t, base, stdin, append([]string{"post"}, args...)...)
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Id == "" || strings.Count(out, "\n") != 1 {
		t.Fatalf("post %q printed %q, not one line of {\"id\":...}", args, out)
	}
	return m.Id
}

// background is a CLI run in progress (a listen), whose output the test
// reads line by line as it comes.
type background struct {
	lines  chan string
	done   chan error
	stderr *syncbuf.Buffer
	cancel context.CancelFunc
}

// start runs the CLI with args in the background until it returns or the
// test ends.
func start(t *testing.T, base string, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callLimit)
	pr, pw := io.Pipe()
	b := &background{lines: make(chan string, 100), done: make(chan error, 1), stderr: &syncbuf.Buffer{}, cancel: cancel}
	go func() {
		err := run(ctx, append([]string{"tincan"}, args...), envOf(base, nil), strings.NewReader(""), pw, b.stderr)
		pw.Close()
		b.done <- err
	}()
	go func() {
		defer close(b.lines)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			b.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		for range b.lines {
		}
		<-b.done
	})
	return b
}

// next waits for the run's next line of output.
func (b *background) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-b.lines:
		if !ok {
			t.Fatalf("the output ended; stderr:\n%s", b.stderr)
		}
		return line
	case <-time.After(callLimit):
		t.Fatalf("no line within %v; stderr:\n%s", callLimit, b.stderr)
	}
	return ""
}

// wait waits for the run to return, and returns its error.
func (b *background) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-b.done:
		b.done <- err
		return err
	case <-time.After(callLimit):
		t.Fatalf("the run did not return within %v; stderr:\n%s", callLimit, b.stderr)
	}
	return nil
}

// event is a line of listen's JSON output, with its data decoded as the
// event's type.
type event struct {
	Event string          `json:"event"`
	ID    string          `json:"id"`
	Data  json.RawMessage `json:"data"`
	File  string          `json:"file"`
}

// parseEvent reads a line of listen's JSON output.
func parseEvent(t *testing.T, line string) (event, client.MessageEvent) {
	t.Helper()
	var ev event
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatalf("listen printed %q, not a JSON event: %v", line, err)
	}
	var m client.MessageEvent
	if ev.Event == "message" {
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			t.Fatalf("message event %q: %v", line, err)
		}
	}
	return ev, m
}
