package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// readyTimeout bounds how long a child may take to start answering.
const readyTimeout = 20 * time.Second

// children keeps every process the bench starts, so that each is killed
// when the bench ends, however it ends.
type children struct {
	dir string
	// pin, when set, starts every child on the servers' CPUs.
	pin *pinning

	mu    sync.Mutex
	procs []*child
}

// child is one started process.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	// addr is a redis-server's host:port; empty for other children.
	addr string
}

// Pid is the child's process id.
func (c *child) Pid() int { return c.cmd.Process.Pid }

// start runs name with args and env, its output going to a log file in
// the bench's directory. The child gets its own process group (a Ctrl-C
// reaches only the bench, which then kills it in order) and SIGKILL should
// the bench die without cleaning up. With cs.pin set, the child runs on
// the servers' CPUs.
func (cs *children) start(name, bin string, args, env []string) (*child, error) {
	logPath := filepath.Join(cs.dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("log of %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if err := cs.pin.start(cmd); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	cs.procs = append(cs.procs, c)
	return c, nil
}

// killAll kills every child and waits for each to be gone. It is safe to
// call more than once and from any goroutine.
func (cs *children) killAll() {
	cs.mu.Lock()
	procs := cs.procs
	cs.procs = nil
	cs.mu.Unlock()
	for _, c := range procs {
		_ = c.cmd.Process.Kill()
	}
	for _, c := range procs {
		<-c.done
	}
}

// pids lists the children's process ids.
func (cs *children) pids() []int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var ids []int
	for _, c := range cs.procs {
		ids = append(ids, c.Pid())
	}
	return ids
}

// exitedEarly is the error of a child that ended before it was ready,
// with the tail of its log.
func (c *child) exitedEarly() error {
	log, _ := os.ReadFile(c.log)
	if len(log) > 4096 {
		log = log[len(log)-4096:]
	}
	return fmt.Errorf("%s exited before it was ready; its log ends:\n%s", c.name, log)
}

// freeAddr returns a loopback host:port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// errNoRedis says how to get redis-server when it is not on PATH.
var errNoRedis = errors.New("redis-server is not on PATH; install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) and run the bench again")

// startRedis starts a private redis-server named name on a free loopback
// port, with no persistence and the extra arguments, in a directory of its
// own, and waits until it answers.
func (cs *children) startRedis(ctx context.Context, name string, extra ...string) (addr string, c *child, err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errNoRedis
	}
	if addr, err = freeAddr(); err != nil {
		return "", nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	dir := filepath.Join(cs.dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	c, err = cs.start(name, bin, append([]string{
		"--port", port, "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		// Enough for S4's streams and the relay's readers, whatever the
		// machine's default.
		"--maxclients", "50000",
		// Records commands that take long, for a flow's slowest (stall.go).
		"--latency-monitor-threshold", strconv.Itoa(latencyThresholdMs),
	}, extra...), nil)
	if err != nil {
		return "", nil, err
	}
	c.addr = addr
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rdb.Close()
	err = waitReady(ctx, c, func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
	return addr, c, err
}

// startHTTP starts a child serving HTTP at addr and waits until GET
// readyPath answers 200.
func (cs *children) startHTTP(ctx context.Context, name, bin string, args, env []string, addr, readyPath string) (*child, error) {
	c, err := cs.start(name, bin, args, env)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: time.Second}
	err = waitReady(ctx, c, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+readyPath, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d", readyPath, resp.StatusCode)
		}
		return nil
	})
	return c, err
}

// waitReady calls probe until it succeeds, the child exits, ctx ends or
// readyTimeout passes.
func waitReady(ctx context.Context, c *child, probe func(context.Context) error) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		err := probe(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return c.exitedEarly()
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(30 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %w (log: %s)", c.name, readyTimeout, err, c.log)
		}
	}
}

// buildAPI compiles cmd/api into dir once; every api child runs it.
func buildAPI(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "api")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/tincan-dev/tincan/cmd/api")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/api (run the bench from inside the tincan module): %w\n%s", err, out)
	}
	return bin, nil
}

// fdMargin is the descriptors each process keeps beside S4's streams:
// the bench's and the api's keep-alive connections, Redis's, log files,
// listeners (the api keeps 256 of its limit for such).
const fdMargin = 2048

// raiseFileLimit sets the limit on open files of the bench, and so of its
// children, which inherit it, to at least need: S4 holds one descriptor
// per stream in the bench and one in the api, each a process of its own.
// The soft limit goes up to the hard one; where the hard one is below
// need, it is raised too, to need (at most fs.nr_open), which takes root
// or CAP_SYS_RESOURCE. It returns the limit set and, when it could not
// reach need, why.
func raiseFileLimit(need uint64) (limit uint64, short string, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, "", fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	return setFileLimit(lim, need, nrOpen(), syscall.Setrlimit)
}

// setFileLimit is raiseFileLimit's choice, from the limit lim in force,
// the kernel's ceiling nrOpen (0 if unknown) and set, which sets a limit.
func setFileLimit(lim syscall.Rlimit, need, nrOpen uint64, set func(int, *syscall.Rlimit) error) (limit uint64, short string, err error) {
	want := need
	if nrOpen > 0 && want > nrOpen {
		want = nrOpen
		short = fmt.Sprintf("fs.nr_open is %d, below the %d needed", nrOpen, need)
	}
	if want > lim.Max {
		raised := syscall.Rlimit{Cur: want, Max: want}
		err := set(syscall.RLIMIT_NOFILE, &raised)
		if err == nil {
			return want, short, nil
		}
		short = fmt.Sprintf("the hard limit %d could not be raised to %d (%v: it takes root or CAP_SYS_RESOURCE; ulimit -Hn, /etc/security/limits.conf)", lim.Max, want, err)
	}
	lim.Cur = lim.Max
	// Set explicitly (even when unchanged) so that Go hands this limit to
	// children instead of restoring the original soft limit for them.
	if err := set(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, "", fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur >= need {
		short = ""
	}
	return lim.Cur, short, nil
}

// nrOpen is the kernel's ceiling on a process's open files
// (/proc/sys/fs/nr_open), or 0 if it cannot be read.
func nrOpen() uint64 {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// envList turns settings into a child's whole environment: PATH and HOME
// from ours (go tooling and redis need nothing else) plus kv.
func envList(kv map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range kv {
		env = append(env, k+"="+v)
	}
	return env
}
