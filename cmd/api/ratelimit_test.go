package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
)

func TestRateLimitSettings(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"RATE_LIMIT_PER_CLIENT":       "0",
		"RATE_LIMIT_PER_CLIENT_BURST": "5",
		"RATE_LIMIT_PER_TOKEN":        "7",
		"RATE_LIMIT_PER_TOKEN_BURST":  "9",
		"RATE_LIMIT_BACKEND":          "MEMORY",
		"TRUSTED_PROXIES":             "10.0.0.0/8, fd00::/8",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimitPerClient != 0 || cfg.RateLimitPerClientBurst != 5 || cfg.RateLimitPerToken != 7 ||
		cfg.RateLimitPerTokenBurst != 9 || cfg.RateLimitBackend != "memory" || cfg.TrustedProxies != "10.0.0.0/8, fd00::/8" {
		t.Errorf("rate limits from env: %+v", cfg)
	}

	bad := map[string]string{
		"RATE_LIMIT_PER_CLIENT": "-1", "RATE_LIMIT_PER_CLIENT_BURST": "0", "RATE_LIMIT_PER_TOKEN": "fast",
		"RATE_LIMIT_PER_TOKEN_BURST": "1.5", "RATE_LIMIT_BACKEND": "memcached", "TRUSTED_PROXIES": "10.0.0.0/40",
	}
	_, err = loadConfig(env(bad))
	for name := range bad {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
	_, err = loadConfig(env(map[string]string{"RATE_LIMIT_BACKEND": "redis"}))
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Errorf("RATE_LIMIT_BACKEND=redis without REDIS_URL: %v, want an error naming REDIS_URL", err)
	}
}

// TestRunRateLimited runs the service with small limits behind a trusted
// proxy (the test itself) and checks the answers a client sees.
func TestRunRateLimited(t *testing.T) {
	base, logs, _ := startRun(t, "http", map[string]string{
		"RATE_LIMIT_PER_CLIENT":       "1",
		"RATE_LIMIT_PER_CLIENT_BURST": "3",
		"TRUSTED_PROXIES":             "127.0.0.1",
	}, http.DefaultClient)
	ch := createChannel(t, base)
	for range 2 {
		if status, body := send(t, http.DefaultClient, "GET", base+"/ports/"+ch.Port1.ID, ch.Port1.Token); status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
	}
	res, err := http.Get(base + "/ports/" + ch.Port1.ID + "?access_token=" + ch.Port1.Token)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("fourth request: %d, Retry-After %q; want 429 with Retry-After 1", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Another client behind the same proxy has its own budget.
	req, _ := http.NewRequest("GET", base+"/ports/"+ch.Port1.ID, nil)
	req.Header.Set("Authorization", "Bearer "+ch.Port1.Token)
	req.Header.Set("X-Forwarded-For", "192.0.2.1")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("a forwarded client: %d, want 200", res.StatusCode)
	}
	if status, _ := send(t, http.DefaultClient, "GET", base+"/healthz", ""); status != http.StatusOK {
		t.Errorf("healthz: %d while the client is limited", status)
	}
	if !strings.Contains(logs.String(), `"backend":"memory"`) {
		t.Errorf("the log does not say where the limits are kept:\n%s", logs)
	}
}

// TestRunRateLimitsInRedis checks that with REDIS_URL the limits are kept in
// the store's Redis, under its prefix, and that no key holds a token.
func TestRunRateLimitsInRedis(t *testing.T) {
	srv := redistest.Start(t)
	prefix := redistest.Prefix(t)
	base, logs, _ := startRun(t, "http", map[string]string{"REDIS_URL": srv.URL, "REDIS_KEY_PREFIX": prefix}, http.DefaultClient)
	ch := createChannel(t, base)
	if status, body := send(t, http.DefaultClient, "GET", base+"/ports/"+ch.Port1.ID, ch.Port1.Token); status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	rc := srv.Client(t)
	keys, err := rc.Keys(ctx, prefix+"rate:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(ch.Port1.Token))
	for _, want := range []string{prefix + "rate:client:127.0.0.1", prefix + "rate:token:" + hex.EncodeToString(sum[:])} {
		if !contains(keys, want) {
			t.Errorf("no key %s among %q", want, keys)
		}
	}
	all, err := rc.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range all {
		if strings.Contains(k, ch.Port1.Token) {
			t.Errorf("key %q holds a token", k)
		}
	}
	if !strings.Contains(logs.String(), `"backend":"redis"`) {
		t.Errorf("the log does not say the limits are in Redis:\n%s", logs)
	}
}
