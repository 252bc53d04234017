package redistest

import (
	"errors"
	"net"
	"strconv"
	"testing"
)

// TestPortTakenIsRecognised: a redis-server that cannot bind its port is
// told apart from one that failed otherwise, so that Start tries another
// port instead of failing the test.
func TestPortTakenIsRecognised(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	s := &Server{dir: t.TempDir(), tb: t, Addr: ln.Addr().String()}
	s.args = []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--logfile", s.dir + "/redis.log"}
	if err := s.launch(); !errors.Is(err, errPortTaken) {
		t.Fatalf("launch on a taken port: %v, want errPortTaken", err)
	}
	if got := Start(t); got.Addr == "" || got.Client(t).Ping(t.Context()).Err() != nil {
		t.Fatalf("Start after: %+v", got)
	}
}
