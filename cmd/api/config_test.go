package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr:            ":8080",
		RedisKeyPrefix:  "tincan:",
		MaxMessageSize:  262144,
		MaxQueueLength:  10000,
		ChannelIdleTTL:  168 * time.Hour,
		KeepAlive:       15 * time.Second,
		SSERetry:        2 * time.Second,
		LongPollMaxWait: 30 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		LogLevel:        slog.LevelInfo,
		LogFormat:       "text",
	}
	want.IdempotencyWindow = 24 * time.Hour
	want.MaxCollectionMembers = 10000
	want.CreateAuth, want.AccessTokenInQuery = "open", "auto"
	want.RedisTimeout, want.RedisWaitTimeout, want.RedisStartupTimeout = 2*time.Second, time.Second, 30*time.Second
	want.RedisMode = "single"
	want = withLimitDefaults(want)
	want = withByteDefaults(want)
	want.RateLimitCreatePerClient, want.RateLimitCreatePerClientBurst = 20, 100
	want.RateLimitPerClientBurst, want.RateLimitPerTokenBurst = 200, 100
	want.RateLimitBackend = "auto"
	want.Metrics, want.ParkStreams = true, true
	if cfg != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestConfigFromEnv(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"ADDR":               "127.0.0.1:9000",
		"REDIS_URL":          "redis://127.0.0.1:6379/2",
		"REDIS_KEY_PREFIX":   "x:",
		"MAX_MESSAGE_SIZE":   "1024",
		"MAX_QUEUE_LENGTH":   "5",
		"CHANNEL_IDLE_TTL":   "1h30m",
		"KEEPALIVE_INTERVAL": "5s",
		"SSE_RETRY":          "500ms",
		"LONG_POLL_MAX_WAIT": "60s",
		"SHUTDOWN_TIMEOUT":   "3s",
		"LOG_LEVEL":          "DEBUG",
		"LOG_FORMAT":         "JSON",
		"PARK_STREAMS":       "off",
		// Idempotent posts.
		"IDEMPOTENCY_WINDOW": "1h",
		// Redis trouble and durability.
		"REDIS_TIMEOUT":         "750ms",
		"REDIS_WAIT_REPLICAS":   "2",
		"REDIS_WAIT_TIMEOUT":    "3s",
		"REDIS_STARTUP_TIMEOUT": "1m",
		// Collections.
		"MAX_COLLECTION_MEMBERS": "50",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Addr: "127.0.0.1:9000", RedisURL: "redis://127.0.0.1:6379/2", RedisKeyPrefix: "x:",
		MaxMessageSize: 1024, MaxQueueLength: 5, ChannelIdleTTL: 90 * time.Minute,
		KeepAlive: 5 * time.Second, SSERetry: 500 * time.Millisecond, LongPollMaxWait: time.Minute,
		ShutdownTimeout: 3 * time.Second, LogLevel: slog.LevelDebug, LogFormat: "json",
		RedisTimeout: 750 * time.Millisecond, RedisWaitReplicas: 2, RedisWaitTimeout: 3 * time.Second,
		RedisStartupTimeout: time.Minute,
	}
	want.IdempotencyWindow = time.Hour
	want.MaxCollectionMembers = 50
	want.CreateAuth, want.AccessTokenInQuery = "open", "auto"
	want.RedisMode = "single"
	want = withLimitDefaults(want)
	want = withByteDefaults(want)
	want.RateLimitCreatePerClient, want.RateLimitCreatePerClientBurst = 20, 100
	want.RateLimitPerClientBurst, want.RateLimitPerTokenBurst = 200, 100
	want.RateLimitBackend = "auto"
	want.Metrics = true
	if cfg != want {
		t.Errorf("from env:\n got %+v\nwant %+v", cfg, want)
	}
}

// An invalid setting stops start-up, naming every bad variable, rather
// than falling back to a default silently.
func TestConfigInvalid(t *testing.T) {
	bad := map[string]string{
		"MAX_MESSAGE_SIZE":   "256k",
		"MAX_QUEUE_LENGTH":   "0",
		"CHANNEL_IDLE_TTL":   "7d",
		"KEEPALIVE_INTERVAL": "-1s",
		"SSE_RETRY":          "2",
		"LONG_POLL_MAX_WAIT": "500ms",
		"SHUTDOWN_TIMEOUT":   "soon",
		"LOG_LEVEL":          "loud",
		"LOG_FORMAT":         "xml",
		"METRICS":            "maybe",
		// Tracing.
		"OTEL_EXPORTER_OTLP_ENDPOINT":        "collector:4318",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://collector/v1/traces",
		// Idempotent posts.
		"IDEMPOTENCY_WINDOW": "1 day",
		// Redis trouble and durability.
		"REDIS_TIMEOUT":         "0s",
		"REDIS_WAIT_REPLICAS":   "-1",
		"REDIS_WAIT_TIMEOUT":    "1",
		"REDIS_STARTUP_TIMEOUT": "forever",
	}
	_, err := loadConfig(env(bad))
	if err == nil {
		t.Fatal("no error")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name+"=") {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
	if err := run(t.Context(), []string{"api"}, env(map[string]string{"MAX_QUEUE_LENGTH": "many"}), &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "MAX_QUEUE_LENGTH") {
		t.Errorf("run with a bad setting: %v", err)
	}
	if err := run(t.Context(), []string{"api", "-addr=:1"}, env(nil), &strings.Builder{}); err == nil {
		t.Error("run with arguments: no error")
	}
}

// TICKET_TTL and MAX_TICKET_PORTS are read like every setting: a valid
// value is taken, and an invalid one stops start-up naming it.
func TestConfigTickets(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"TICKET_TTL": "15s", "MAX_TICKET_PORTS": "4"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TicketTTL != 15*time.Second || cfg.MaxTicketPorts != 4 {
		t.Errorf("TicketTTL %v, MaxTicketPorts %d; want 15s and 4", cfg.TicketTTL, cfg.MaxTicketPorts)
	}
	for _, bad := range []struct{ name, value string }{
		{"TICKET_TTL", "500us"},
		{"TICKET_TTL", "1 minute"},
		{"MAX_TICKET_PORTS", "0"},
		{"MAX_TICKET_PORTS", "many"},
	} {
		_, err := loadConfig(env(map[string]string{bad.name: bad.value}))
		if err == nil || !strings.Contains(err.Error(), bad.name+"=") {
			t.Errorf("%s=%s: error %v, want one naming it", bad.name, bad.value, err)
		}
	}
}
