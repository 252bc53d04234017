package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// checkDebugAddr accepts an empty address (profiling off) or a host:port
// whose host is a loopback address or "localhost": the profiles show
// memory contents and cost CPU, so they are never offered beyond the
// machine itself.
func checkDebugAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("the host must be a loopback address such as 127.0.0.1 or ::1, or localhost")
}

// debugMux serves net/http/pprof's pages under /debug/pprof/ and nothing
// else.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startDebug serves debugMux on cfg.DebugAddr, when it is set, until the
// returned stop is called. Its listener is separate from the API's, so
// the profiles never pass the API's middleware or reach its clients.
func startDebug(cfg Config, logger *slog.Logger) (stop func(), err error) {
	if cfg.DebugAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.DebugAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on DEBUG_ADDR: %w", err)
	}
	srv := &http.Server{
		Handler:           debugMux(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	logger.Warn("serving pprof profiles (DEBUG_ADDR); leave it unset in production", "addr", ln.Addr().String())
	return func() {
		_ = srv.Close()
		<-done
	}, nil
}
