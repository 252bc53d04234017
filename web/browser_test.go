package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tincan-dev/tincan/internal/fault"
	"github.com/tincan-dev/tincan/internal/redistest"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// chromiumPath is where Debian's chromium package puts the browser; the
// scripts drive it with playwright-core, which never downloads one.
const chromiumPath = "/usr/bin/chromium"

// scriptTimeout bounds one browser script. Each script bounds itself to
// 90 s; this is the harness's own limit, in case one does not.
const scriptTimeout = 120 * time.Second

// TestBrowser runs every web/browser/*.test.mjs in a real Chromium against
// a real api process on the embedded store, and those that use CORRUPT_URL
// (see corrupter) again on a private redis-server: a message the service
// cannot decode is what only Redis can hold. What else the pages do goes
// through HTTP, which answers alike whichever store is behind it (the
// handlers' tests and the store suite see to that). Each script gets
// TINCAN_URL, CHROMIUM and ARTIFACTS (the repository's artifacts/<store>/,
// where screenshots go) and must exit 0. The scripts run side by side,
// each with a browser of its own.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts api processes and a browser")
	}
	t.Cleanup(func() { goleak.VerifyNone(t) })
	node := browserTools(t)
	scripts, err := filepath.Glob(filepath.Join("browser", "*.test.mjs"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no browser scripts in web/browser (%v)", err)
	}
	artifacts, err := filepath.Abs(filepath.Join("..", "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := fault.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	stores := []struct {
		name string
		// env is the api process's environment; more, the scripts' own.
		env func(t *testing.T) (env map[string]string, more []string)
		// only names what a script's source must hold to run here ("" for
		// every script).
		only string
	}{
		{"embedded", func(*testing.T) (map[string]string, []string) { return nil, nil }, ""},
		{"redis", func(t *testing.T) (map[string]string, []string) {
			srv := redistest.Start(t)
			prefix := redistest.Prefix(t)
			return map[string]string{"REDIS_URL": srv.URL, "REDIS_KEY_PREFIX": prefix},
				[]string{"CORRUPT_URL=" + corrupter(t, srv, prefix)}
		}, "CORRUPT_URL"},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			env, more := st.env(t)
			api := fault.StartAPI(t, bin, env)
			dir := filepath.Join(artifacts, st.name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, script := range scripts {
				if src, err := os.ReadFile(script); err != nil {
					t.Fatal(err)
				} else if !bytes.Contains(src, []byte(st.only)) {
					continue
				}
				name := strings.TrimSuffix(filepath.Base(script), ".test.mjs")
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					runScript(t, node, script, append([]string{
						"TINCAN_URL=" + api.Base,
						"CHROMIUM=" + chromiumPath,
						"ARTIFACTS=" + dir,
					}, more...))
				})
			}
		})
	}
}

// corrupter serves, on loopback, POST /?port=<id>&source=<id>: it queues
// at that port, straight into Redis, a message whose data is not JSON
// (which no post can make), and answers its event id. A script uses it to
// see what a page makes of a message the service cannot decode.
func corrupter(t *testing.T, srv *redistest.Server, prefix string) string {
	st, err := redisstore.New(context.Background(), srv.Client(t), redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatalf("redis store for the corrupter: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method != http.MethodPost || q.Get("port") == "" || q.Get("source") == "" {
			http.Error(w, "POST /?port=<id>&source=<id>", http.StatusBadRequest)
			return
		}
		id, err := redisstore.AppendRawEntry(r.Context(), st, q.Get("port"),
			"d", "{not json", "s", q.Get("source"), "t", strconv.FormatInt(time.Now().UnixMilli(), 10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, id.String())
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// browserTools fails the test at once, saying how to get it, when node,
// chromium or web/node_modules is missing; it returns node's path.
func browserTools(t *testing.T) string {
	t.Helper()
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node is not installed: apt-get install -y nodejs npm (Node 20 or later)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" is missing: apt-get install -y chromium")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "web/node_modules is missing: npm ci --prefix web (from the repository's root)")
	}
	if len(missing) > 0 {
		t.Fatalf("the browser tests need:\n  %s", strings.Join(missing, "\n  "))
	}
	return node
}

// runScript runs one browser script with env (and PATH and HOME, which
// node and chromium need) in a process group of its own, so that the
// browser it starts goes with it: on timeout the group is killed, and so is
// anything the script left behind when it ends.
func runScript(t *testing.T, node, script string, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever the script started and did not stop.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	t.Logf("%s (%v):\n%s", script, time.Since(start).Round(time.Millisecond), out.String())
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("%s: killed after %v", script, scriptTimeout)
	case err != nil:
		t.Fatalf("%s: %v", script, describe(err))
	}
}

func describe(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Sprintf("exited with %v (its output is above)", exit.ProcessState)
	}
	return err.Error()
}
