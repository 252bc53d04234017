package main

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/internal/redistest"
)

func TestDebugAddrSetting(t *testing.T) {
	if cfg, err := loadConfig(env(nil)); err != nil || cfg.DebugAddr != "" {
		t.Fatalf("default DEBUG_ADDR: got %q, %v; want off", cfg.DebugAddr, err)
	}
	for _, addr := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:0", "127.0.0.2:6060"} {
		cfg, err := loadConfig(env(map[string]string{"DEBUG_ADDR": addr}))
		if err != nil {
			t.Errorf("DEBUG_ADDR=%s: %v", addr, err)
		} else if cfg.DebugAddr != addr {
			t.Errorf("DEBUG_ADDR=%s: got %q", addr, cfg.DebugAddr)
		}
	}
	for _, addr := range []string{":6060", "0.0.0.0:6060", "192.0.2.1:6060", "example.com:6060", "127.0.0.1"} {
		_, err := loadConfig(env(map[string]string{"DEBUG_ADDR": addr}))
		if err == nil || !strings.Contains(err.Error(), "DEBUG_ADDR") {
			t.Errorf("DEBUG_ADDR=%s: want an error naming DEBUG_ADDR, got %v", addr, err)
		}
	}
}

func TestDebugServesGoroutineProfile(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t))
	stop, err := startDebug(Config{DebugAddr: addr}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "goroutine profile: total ") {
		t.Fatalf("got %d %.80q, want 200 and a goroutine profile", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/healthz on the debug listener: got %d, want 404 (profiles only)", resp.StatusCode)
	}
}
