package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/logscan"
	"github.com/tincan-dev/tincan/internal/redistest"
)

func TestRateLimitSettings(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"RATE_LIMIT_CREATE_PER_CLIENT":       "0",
		"RATE_LIMIT_CREATE_PER_CLIENT_BURST": "3",
		"RATE_LIMIT_PER_CLIENT":              "4",
		"RATE_LIMIT_PER_CLIENT_BURST":        "5",
		"RATE_LIMIT_PER_TOKEN":               "7",
		"RATE_LIMIT_PER_TOKEN_BURST":         "9",
		"RATE_LIMIT_BACKEND":                 "MEMORY",
		"TRUSTED_PROXIES":                    "10.0.0.0/8, fd00::/8",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimitCreatePerClient != 0 || cfg.RateLimitCreatePerClientBurst != 3 ||
		cfg.RateLimitPerClient != 4 || cfg.RateLimitPerClientBurst != 5 || cfg.RateLimitPerToken != 7 ||
		cfg.RateLimitPerTokenBurst != 9 || cfg.RateLimitBackend != "memory" || cfg.TrustedProxies != "10.0.0.0/8, fd00::/8" {
		t.Errorf("rate limits from env: %+v", cfg)
	}

	bad := map[string]string{
		"RATE_LIMIT_CREATE_PER_CLIENT": "-1", "RATE_LIMIT_CREATE_PER_CLIENT_BURST": "0",
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

// TestRunRateLimitsInRedis checks that with REDIS_URL every limit is kept
// in the store's Redis, under its prefix, and that no key holds a token.
func TestRunRateLimitsInRedis(t *testing.T) {
	srv := redistest.Start(t)
	prefix := redistest.Prefix(t)
	base, logs, _ := startRun(t, "http", map[string]string{
		"REDIS_URL": srv.URL, "REDIS_KEY_PREFIX": prefix,
		"RATE_LIMIT_PER_CLIENT": "1000", "RATE_LIMIT_PER_TOKEN": "1000",
	}, http.DefaultClient)
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
	for _, want := range []string{prefix + "rate:create:client:127.0.0.1", prefix + "rate:client:127.0.0.1", prefix + "rate:token:" + hex.EncodeToString(sum[:])} {
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

// TestRunDefaultsServe runs the service on its defaults, on the embedded
// store, and checks that its work is not throttled: one client posting in
// order through one port, and a backend sending thousands of requests at
// once from one address. (The defaults before limited every request to
// 100 a second per address and 50 per token, after bursts of 200 and 100.)
func TestRunDefaultsServe(t *testing.T) {
	t.Parallel()
	base, _, _ := startRun(t, "http", nil, nil)
	const workers = 16
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	t.Cleanup(hc.CloseIdleConnections)

	t.Run("2000 posts in order through one port", func(t *testing.T) {
		ch := createChannel(t, base)
		const posts = 2000
		start := time.Now()
		for i := range posts {
			if status, body := sendBody(t, hc, "POST", base+"/ports/"+ch.Port1.ID+"/messages", ch.Port1.Token, strconv.Itoa(i)); status != http.StatusCreated {
				t.Fatalf("post %d: %d %s", i+1, status, body)
			}
		}
		t.Logf("%d posts in %v", posts, time.Since(start).Round(time.Millisecond))
		status, body := send(t, hc, "GET", base+"/ports/"+ch.Port2.ID, ch.Port2.Token)
		var info struct{ Queued int }
		if err := json.Unmarshal([]byte(body), &info); status != http.StatusOK || err != nil || info.Queued != posts {
			t.Errorf("the peer: %d %s (%v), want %d queued", status, body, err, posts)
		}
	})

	t.Run("3000 requests at once from one address", func(t *testing.T) {
		// A backend relaying for its users: posts, reads and descriptions
		// on ten channels, sixteen at a time.
		chans := make([]channelCreds, 10)
		for i := range chans {
			chans[i] = createChannel(t, base)
		}
		const requests = 3000
		var next, refused, failed atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for i := next.Add(1); i <= requests; i = next.Add(1) {
					ch := chans[i%int64(len(chans))]
					var status int
					switch i % 3 {
					case 0:
						status, _ = sendBody(t, hc, "POST", base+"/ports/"+ch.Port1.ID+"/messages", ch.Port1.Token, "x")
					case 1:
						status, _ = send(t, hc, "GET", base+"/ports/"+ch.Port2.ID+"/messages?limit=10", ch.Port2.Token)
					default:
						status, _ = send(t, hc, "GET", base+"/ports/"+ch.Port1.ID, ch.Port1.Token)
					}
					switch {
					case status == http.StatusTooManyRequests:
						refused.Add(1)
					case status >= 300:
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		d := time.Since(start)
		t.Logf("%d requests in %v (%.0f a second)", requests, d.Round(time.Millisecond), requests/d.Seconds())
		if refused.Load() != 0 || failed.Load() != 0 {
			t.Errorf("%d of %d requests refused with 429, %d failed otherwise; want none", refused.Load(), requests, failed.Load())
		}
	})
}

// TestRunDefaultsLimitCreations checks that on the defaults creating
// channels is limited per client address: the burst goes through, then
// 429 rate_limited with Retry-After, while the client may still post.
func TestRunDefaultsLimitCreations(t *testing.T) {
	base, _, _ := startRun(t, "http", nil, nil)
	first := createChannel(t, base)
	// The bucket refills at DefaultRateLimitCreatePerClient a second while
	// the test creates; it creates far faster than that, so it runs dry
	// within a few more than the burst.
	for i := 2; ; i++ {
		res, err := http.Post(base+"/channels", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		logscan.SecretsInJSON(body)
		if res.StatusCode == http.StatusCreated {
			if i > 10*DefaultRateLimitCreatePerClientBurst {
				t.Fatalf("%d channels created from one address without a refusal", i)
			}
			continue
		}
		if i <= DefaultRateLimitCreatePerClientBurst {
			t.Fatalf("creation %d, within the burst of %d: %d %s", i, DefaultRateLimitCreatePerClientBurst, res.StatusCode, body)
		}
		retry, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), `"code":"rate_limited"`) || err != nil || retry < 1 {
			t.Fatalf("creation %d: %d, Retry-After %q, %s; want 429 rate_limited with Retry-After", i, res.StatusCode, res.Header.Get("Retry-After"), body)
		}
		t.Logf("creation %d refused, Retry-After %ds", i, retry)
		break
	}
	if status, body := send(t, http.DefaultClient, "GET", base+"/ports/"+first.Port2.ID+"/events", first.Port2.Token); status != http.StatusTooManyRequests {
		t.Errorf("opening a stream once creations are spent: %d %s, want 429", status, body)
	}
	if status, body := sendBody(t, http.DefaultClient, "POST", base+"/ports/"+first.Port1.ID+"/messages", first.Port1.Token, "still served"); status != http.StatusCreated {
		t.Errorf("a post once creations are spent: %d %s, want 201", status, body)
	}
}

// sendBody is send with a text body.
func sendBody(t *testing.T, hc *http.Client, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	logscan.SecretsInJSON(b)
	return res.StatusCode, string(b)
}
