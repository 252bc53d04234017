package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	redisstore "github.com/tincan-dev/tincan/store/redis"
)

// REDIS_WAIT_REPLICAS takes a number or all; REDIS_ALLOW_EVICTION true or
// false. Anything else stops start-up, naming the variable.
func TestConfigReplicasAndEviction(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		wait  int
		allow bool
	}{
		{map[string]string{}, 0, false},
		{map[string]string{"REDIS_WAIT_REPLICAS": "all"}, redisstore.WaitAll, false},
		{map[string]string{"REDIS_WAIT_REPLICAS": "ALL"}, redisstore.WaitAll, false},
		{map[string]string{"REDIS_WAIT_REPLICAS": "2", "REDIS_ALLOW_EVICTION": "true"}, 2, true},
		{map[string]string{"REDIS_ALLOW_EVICTION": "false"}, 0, false},
	} {
		cfg, err := loadConfig(env(tc.env))
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if cfg.RedisWaitReplicas != tc.wait || cfg.RedisAllowEviction != tc.allow {
			t.Errorf("%v: wait %d, allow eviction %v; want %d, %v", tc.env, cfg.RedisWaitReplicas, cfg.RedisAllowEviction, tc.wait, tc.allow)
		}
	}
	for _, bad := range []struct{ name, value, want string }{
		{"REDIS_WAIT_REPLICAS", "every", "or all"},
		{"REDIS_WAIT_REPLICAS", "-1", "or all"},
		{"REDIS_WAIT_REPLICAS", "2147483647", "or all"},
		{"REDIS_ALLOW_EVICTION", "yes", "true or false"},
	} {
		_, err := loadConfig(env(map[string]string{bad.name: bad.value}))
		if err == nil || !strings.Contains(err.Error(), bad.name+"=") || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s=%s: error %v, want one naming it and saying %q", bad.name, bad.value, err, bad.want)
		}
	}
}

// replicated starts a primary and n replicas of it, each synced.
func replicated(t *testing.T, n int) *redistest.Server {
	t.Helper()
	primary := redistest.Start(t, "--repl-diskless-sync-delay", "0")
	host, port, _ := net.SplitHostPort(primary.Addr)
	for range n {
		waitSynced(t, redistest.Start(t, "--replicaof", host, port))
	}
	return primary
}

// waitSynced waits until the replica r has synced with its primary.
func waitSynced(t *testing.T, r *redistest.Server) {
	t.Helper()
	redistest.WaitReplicaOnline(t, r.Addr)
}

// A numeric REDIS_WAIT_REPLICAS that cannot keep its promise is a WARN at
// start-up, and shows in the replica gauges: one of two promotable
// replicas can be the one a failover skips; three of two fail every
// write. all waits for both, and says so at INFO.
func TestWaitReplicasChecked(t *testing.T) {
	t.Parallel()
	primary := replicated(t, 2)
	for _, tc := range []struct {
		wait      string
		level     string
		msg       string
		required  float64
		shortWait bool
	}{
		{"1", "WARN", "redis store: a write waits for 1 replica(s), fewer than the 2 that put it on every replica a failover could promote", 1, false},
		{"3", "WARN", "redis store: a write waits for 3 replica(s) but 2 are online: every write answers 503", 3, true},
		{"all", "INFO", "redis store: a write waits for every replica a failover could promote", 2, false},
	} {
		t.Run(tc.wait, func(t *testing.T) {
			base, logs, _ := startRun(t, "http", map[string]string{
				"REDIS_URL":           primary.URL,
				"REDIS_KEY_PREFIX":    redistest.Prefix(t),
				"REDIS_WAIT_REPLICAS": tc.wait,
				"REDIS_WAIT_TIMEOUT":  "2s",
			}, nil)
			want := fmt.Sprintf(`"level":%q,"msg":"%s`, tc.level, tc.msg)
			if !strings.Contains(logs.String(), want) {
				t.Errorf("the log lacks %s:\n%s", want, grepLines(logs.String(), "redis store"))
			}
			if tc.level == "INFO" && strings.Contains(logs.String(), `"level":"WARN","msg":"redis store: a write waits`) {
				t.Errorf("a WARN for a safe setting:\n%s", grepLines(logs.String(), "redis store"))
			}

			if tc.shortWait {
				// A new channel waits for replicas too.
				res, err := http.Post(base+"/channels", "", nil)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("create: %d, want 503", res.StatusCode)
				}
			} else {
				ch := createChannel(t, base)
				if status := postStatus(t, base, ch.Port1, "hello"); status != http.StatusCreated {
					t.Errorf("post: %d", status)
				}
			}
			metrics := get(t, base+"/metrics")
			label := fmt.Sprintf(`{primary=%q}`, primary.Addr)
			for _, g := range []struct {
				name string
				want float64
			}{
				{"tincan_redis_replicas_required", tc.required},
				{"tincan_redis_replicas_needed", 2},
				{"tincan_redis_replicas_promotable", 2},
				{"tincan_redis_replicas_online", 2},
			} {
				if v, ok := sample(metrics, g.name+label); !ok || v != g.want {
					t.Errorf("%s %v (found %v), want %v", g.name, v, ok, g.want)
				}
			}
			short, ok := sample(metrics, "tincan_redis_wait_short_total")
			if !ok || (short > 0) != tc.shortWait {
				t.Errorf("tincan_redis_wait_short_total %v (found %v)", short, ok)
			}
			if v, ok := sample(metrics, "tincan_redis_evicted_keys_total"); !ok || v != 0 {
				t.Errorf("tincan_redis_evicted_keys_total %v (found %v), want 0", v, ok)
			}
		})
	}
}

// postStatus posts text through p and returns the answer's status.
func postStatus(t *testing.T, base string, p portCreds, text string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/ports/"+p.ID+"/messages", strings.NewReader(text))
	req.Header.Set("Authorization", "Bearer "+p.Token)
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Start-up refuses a Redis that evicts keys when full, whether from all
// keys or only from those with a TTL (all of tincan's), unless
// REDIS_ALLOW_EVICTION says otherwise; a policy it cannot read is a
// warning; noeviction starts quietly.
func TestEvictionPolicyAtStartup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		allow   string
		refused string // the error says it
		warns   string // else the log says it
	}{
		{"allkeys-lru", []string{"--maxmemory-policy", "allkeys-lru"}, "", "(allkeys-lru)", ""},
		{"volatile-lru", []string{"--maxmemory-policy", "volatile-lru"}, "", "(volatile-lru)", ""},
		{"allowed", []string{"--maxmemory-policy", "allkeys-lru"}, "true", "", "redis evicts keys when full, and REDIS_ALLOW_EVICTION=true lets it"},
		{"noeviction", []string{"--maxmemory-policy", "noeviction"}, "", "", ""},
		{"CONFIG renamed", []string{"--maxmemory-policy", "allkeys-lru", "--rename-command", "CONFIG", ""}, "", "",
			"redis maxmemory-policy: unknown, CONFIG GET refused; make sure it is noeviction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t, tc.args...)
			settings := map[string]string{
				"REDIS_URL":            srv.URL,
				"REDIS_KEY_PREFIX":     redistest.Prefix(t),
				"REDIS_ALLOW_EVICTION": tc.allow,
			}
			if tc.refused != "" {
				settings["ADDR"] = fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
				logs := newSyncBuffer(t)
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				err := run(ctx, []string{"api"}, env(settings), logs)
				if err == nil || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "REDIS_ALLOW_EVICTION=true") ||
					!strings.Contains(err.Error(), "maxmemory-policy noeviction") {
					t.Fatalf("run: %v; want a refusal naming %s, the fix and the override\n%s", err, tc.refused, logs.String())
				}
				return
			}
			_, logs, stop := startRun(t, "http", settings, nil)
			stop()
			text := logs.String()
			if tc.warns != "" && !strings.Contains(text, `"level":"WARN","msg":"`+tc.warns) {
				t.Errorf("no WARN %q:\n%s", tc.warns, text)
			}
			if tc.warns == "" && strings.Contains(text, "maxmemory-policy") {
				t.Errorf("the log speaks of the policy:\n%s", grepLines(text, "maxmemory-policy"))
			}
		})
	}
}

// Keys Redis evicts while the service runs are a WARN and a count. The
// store's own test watches them as they happen; here the start-up look
// finds those evicted before, and the metric starts at 0.
func TestEvictionsSeenAtStartup(t *testing.T) {
	srv := redistest.Start(t, "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-random")
	c := srv.Client(t)
	value, prefix := strings.Repeat("x", 16<<10), redistest.Prefix(t)
	for i := 0; ; i++ {
		if err := c.Set(t.Context(), fmt.Sprint(prefix, i), value, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if info, _ := c.Info(t.Context(), "stats").Result(); !strings.Contains(info, "evicted_keys:0\r\n") {
			break
		}
		if i == 10000 {
			t.Fatal("Redis never evicted")
		}
	}
	base, logs, _ := startRun(t, "http", map[string]string{
		"REDIS_URL":            srv.URL,
		"REDIS_KEY_PREFIX":     redistest.Prefix(t),
		"REDIS_ALLOW_EVICTION": "true",
	}, nil)
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"redis store: this Redis evicted keys before the store watched it`) {
		t.Errorf("no WARN for the keys evicted before:\n%s", grepLines(logs.String(), "evict"))
	}
	if v, ok := sample(get(t, base+"/metrics"), "tincan_redis_evicted_keys_total"); !ok || v != 0 {
		t.Errorf("tincan_redis_evicted_keys_total %v (found %v), want 0", v, ok)
	}
}
