package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/logscan"
	"github.com/tincan-dev/tincan/internal/redistest"
)

// syncBuffer is a bytes.Buffer safe for a server's goroutines and a test.
// What it gets also goes to the scan for secrets (see TestMain).
type syncBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	scan *logscan.Log
}

// newSyncBuffer returns a buffer for a log of t's.
func newSyncBuffer(t *testing.T) *syncBuffer {
	return &syncBuffer{scan: logscan.New(t.Name())}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.scan != nil {
		_, _ = b.scan.Write(p)
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitHealthy polls base/healthz through hc (nil: http.DefaultClient)
// until it answers 200.
func waitHealthy(t *testing.T, hc *http.Client, base string, logs fmt.Stringer) {
	t.Helper()
	if hc == nil {
		hc = http.DefaultClient
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := hc.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz never answered: %v\nlogs:\n%s", base, err, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startRun runs the whole service in-process, as main does, with the
// settings e on a free loopback port (it sets ADDR), and waits until it is
// healthy through hc (nil: http.DefaultClient). Unless e says otherwise it
// logs JSON at debug level, refusals too, for the scan for secrets. It
// returns the base URL (scheme://addr), the log, and stop, which ends the
// service and fails the test unless run returned nil in time; the test's
// end stops it too.
func startRun(t *testing.T, scheme string, e map[string]string, hc *http.Client) (base string, logs *syncBuffer, stop func()) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	settings := map[string]string{"ADDR": addr, "LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
	for k, v := range e {
		settings[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs = newSyncBuffer(t)
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"api"}, env(settings), logs) }()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after its context ended")
		}
	})
	t.Cleanup(stop)
	base = scheme + "://" + addr
	waitHealthy(t, hc, base, logs)
	return base, logs, stop
}

// Mat Ryer's test: run the whole service in-process, wait for /healthz,
// use it, and shut it down.
func TestRun(t *testing.T) {
	base, logs, stop := startRun(t, "http", nil, nil)

	ch := createChannel(t, base)
	post(t, base, ch.Port1, "hello")
	res := get(t, base+"/ports/"+ch.Port2.ID+"/messages?access_token="+ch.Port2.Token)
	if !strings.Contains(res, `"data":"hello"`) {
		t.Errorf("messages: %s", res)
	}
	if !strings.Contains(get(t, base+"/readyz"), "ready") {
		t.Error("not ready")
	}

	stop()
	out := logs.String()
	for _, want := range []string{`"msg":"listening"`, "embedded memory store", `"msg":"stopped"`,
		// Where to go, with the address it really listens on.
		"tincan listening on " + base + " — demo page " + base + "/, API docs " + base + "/docs"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, ch.Port2.Token) {
		t.Error("a token was logged")
	}
}

type portCreds struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

type channelCreds struct {
	ID    string    `json:"id"`
	Port1 portCreds `json:"port1"`
	Port2 portCreds `json:"port2"`
}

func createChannel(t *testing.T, base string) channelCreds {
	t.Helper()
	res, err := http.Post(base+"/channels", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ch channelCreds
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&ch); err != nil {
		t.Fatal(err)
	}
	logscan.Secret("port token", ch.Port1.Token)
	logscan.Secret("port token", ch.Port2.Token)
	return ch
}

// post posts text through p; it may run on any goroutine.
func post(t *testing.T, base string, p portCreds, text string) {
	req, _ := http.NewRequest("POST", base+"/ports/"+p.ID+"/messages", strings.NewReader(text))
	req.Header.Set("Authorization", "Bearer "+p.Token)
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("post: %v", err)
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(res.Body)
		t.Errorf("post: %d %s", res.StatusCode, b)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
