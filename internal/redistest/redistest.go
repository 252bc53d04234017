// Package redistest starts real redis-server processes for tests, each on a
// free loopback port in a private directory, and stops them when the test
// ends. When REDIS_URL is set, Start uses that server instead.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
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

// Server is a redis-server started for a test.
type Server struct {
	// Addr is the server's host:port.
	Addr string
	// URL is a redis:// URL for Addr.
	URL string

	dir  string
	args []string
	cmd  *exec.Cmd
	// exited is closed when cmd's process has exited and been waited for.
	exited <-chan struct{}
	tb     testing.TB
}

// Start returns a running redis-server for tb and stops it at tb's end. With
// REDIS_URL set it returns that server instead, and never stops it. Without
// redis-server on PATH the test fails and says how to install it.
func Start(tb testing.TB, extraArgs ...string) *Server {
	tb.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" && len(extraArgs) == 0 {
		opt, err := redis.ParseURL(u)
		if err != nil {
			tb.Fatalf("REDIS_URL: %v", err)
		}
		return &Server{Addr: opt.Addr, URL: u, tb: tb}
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatalf("redis-server is not installed: apt-get install -y redis-server (or set REDIS_URL)")
	}
	s := &Server{dir: tb.TempDir(), tb: tb}
	// Another process may take the free port before redis-server binds
	// it: then try another.
	for attempt := 1; ; attempt++ {
		port := FreePort(tb)
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.URL = "redis://" + s.Addr + "/0"
		s.args = append([]string{
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--dir", s.dir,
			"--save", "",
			"--appendonly", "no",
			"--daemonize", "no",
			"--logfile", filepath.Join(s.dir, "redis.log"),
		}, extraArgs...)
		err := s.launch()
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || attempt == 5 {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(s.Stop)
	return s
}

// errPortTaken is a server that exited because its port was in use.
var errPortTaken = errors.New("port already in use")

// start starts the server on its set port, or fails the test.
func (s *Server) start() {
	s.tb.Helper()
	if err := s.launch(); err != nil {
		s.tb.Fatal(err)
	}
}

// launch starts redis-server and waits until it answers.
func (s *Server) launch() error {
	s.cmd = exec.Command("redis-server", s.args...)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	s.exited = exited
	go func(cmd *exec.Cmd) {
		_ = cmd.Wait()
		close(exited)
	}(s.cmd)
	if err := s.waitReady(10 * time.Second); err != nil {
		s.Stop()
		log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
		if bytes.Contains(log, []byte("Address already in use")) {
			return fmt.Errorf("redis-server on %s: %w", s.Addr, errPortTaken)
		}
		return fmt.Errorf("redis-server on %s did not come up: %v\n%s", s.Addr, err, log)
	}
	return nil
}

// waitReady waits until the server answers PING, for up to limit, or
// until it exits.
func (s *Server) waitReady(limit time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, ContextTimeoutEnabled: true})
	defer c.Close()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-s.exited:
			return errors.New("redis-server exited")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop kills the server, if this package started it. It is safe to call
// more than once.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port and
// directory.
func (s *Server) Restart() {
	s.tb.Helper()
	if s.dir == "" {
		s.tb.Fatalf("cannot restart the server at REDIS_URL")
	}
	s.Stop()
	s.start()
}

// Pause stops the server's process (SIGSTOP) with its connections open, as
// a server hung on a slow disk would be, until Resume, or the test's end.
func (s *Server) Pause() {
	s.tb.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		s.tb.Fatalf("cannot pause a server this package did not start")
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.tb.Fatalf("pause redis-server: %v", err)
	}
	s.tb.Cleanup(s.Resume)
}

// Resume continues a paused server. It is safe to call on one that runs.
func (s *Server) Resume() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Client returns a go-redis client for the server, closed at the test's end.
func (s *Server) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	opt, err := redis.ParseURL(s.URL)
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(opt)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Prefix returns a key prefix unique to tb, so that tests sharing a server
// never see each other's keys.
func Prefix(tb testing.TB) string {
	return fmt.Sprintf("t%d:%s:", time.Now().UnixNano(), sanitize(tb.Name()))
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '{' || c == '}' || c == ' ' {
			b[i] = '_'
		}
	}
	return string(b)
}

// WaitReplicaOnline waits until the replica at addr has its link to its
// primary up and the primary lists it online: only then does WAIT count
// it, and a count of the primary's replicas find it. The primary marks a
// replica online a moment after the replica's own link is up.
func WaitReplicaOnline(tb testing.TB, addr string) {
	tb.Helper()
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	_, port, _ := net.SplitHostPort(addr)
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, err := rc.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") && primaryListsOnline(info, port) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("replica %s never came online at its primary: %v\n%s", addr, err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// primaryListsOnline reports whether the primary named in a replica's
// INFO replication lists the replica on port as online.
func primaryListsOnline(replicaInfo, port string) bool {
	var host, primaryPort string
	for line := range strings.SplitSeq(replicaInfo, "\r\n") {
		if v, ok := strings.CutPrefix(line, "master_host:"); ok {
			host = v
		}
		if v, ok := strings.CutPrefix(line, "master_port:"); ok {
			primaryPort = v
		}
	}
	if host == "" || primaryPort == "" {
		return false
	}
	pc := redis.NewClient(&redis.Options{Addr: net.JoinHostPort(host, primaryPort)})
	defer pc.Close()
	info, err := pc.Info(context.Background(), "replication").Result()
	return err == nil && strings.Contains(info, "port="+port+",state=online")
}
