package fault

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// Redis out of memory under noeviction refuses every write. That is the
// store being unable to serve for now, not a bug: creations, posts and
// transfers answer 503 with Retry-After (the outcome unknown: retry with
// the same key), never 500, and a read never 500 either. Once memory is
// freed, the same requests retried under the same keys succeed, and the
// transferred port reads what was queued at it. Issue 12, hole 5: 500
// internal_error without Retry-After.
func TestRedisOutOfMemory(t *testing.T) {
	needProcesses(t)
	n := forms(5, 20)
	srv := redistest.Start(t, "--maxmemory-policy", "noeviction")
	api := StartAPI(t, apiBin, apiEnv(srv.URL, redistest.Prefix(t)))
	c := newClient()
	type trial struct {
		ch    channel
		acked []string
	}
	trials := make([]trial, n)
	for i := range trials {
		trials[i].ch = createChannelSoon(t, c, api.Base)
		id, a := c.post(api.Base, trials[i].ch.Port1, fmt.Sprintf("before-%d", i), `{"data":{"seq":0}}`)
		if a.Status != http.StatusCreated {
			t.Fatalf("post before the memory ran out: %v", a)
		}
		trials[i].acked = []string{id}
	}

	raw := srv.Client(t)
	fillers := fillMemory(t, raw)
	answers := map[string]int{}
	var wrong []string
	judge := func(what string, a answer, readOK bool) {
		answers[what+" "+a.String()]++
		switch {
		case a.Status == http.StatusServiceUnavailable && a.RetryAfter != "":
		case readOK && a.Status == http.StatusOK:
		default:
			wrong = append(wrong, fmt.Sprintf("%s answered %v, Retry-After %q", what, a, a.RetryAfter))
		}
	}
	for i, tr := range trials {
		_, a := c.post(api.Base, tr.ch.Port1, fmt.Sprintf("oom-post-%d", i), `{"data":{"seq":1}}`)
		judge("post", a, false)
		_, a = c.transfer(api.Base, tr.ch.Port2, fmt.Sprintf("oom-transfer-%d", i))
		judge("transfer", a, false)
		judge("read", c.read(api.Base, tr.ch.Port2), true)
	}
	_, a := c.createChannelAnswer(api.Base)
	judge("create", a, false)
	t.Logf("out of memory (%d filler keys, maxmemory-policy noeviction): %v", fillers, answers)
	if len(wrong) > 0 {
		t.Errorf("out of memory, %d answers were not 503 with Retry-After:\n%s", len(wrong), strings.Join(first(wrong, 8), "\n"))
	}

	// Memory back: the same requests, retried under their keys, succeed.
	freeMemory(t, raw, fillers)
	for i, tr := range trials {
		id, a := c.post(api.Base, tr.ch.Port1, fmt.Sprintf("oom-post-%d", i), `{"data":{"seq":1}}`)
		if a.Status != http.StatusCreated {
			t.Errorf("trial %d: the post retried once memory was freed answered %v", i, a)
			continue
		}
		pc, a, _ := c.settleTransfer([]string{api.Base}, tr.ch.Port2, fmt.Sprintf("oom-transfer-%d", i), 10*time.Second)
		if a.Status != http.StatusOK {
			t.Errorf("trial %d: the transfer retried once memory was freed answered %v: the port is stranded", i, a)
			continue
		}
		if why := readableWith(c, api.Base, pc, append(tr.acked, id)); why != "" {
			t.Errorf("trial %d: %s", i, why)
		}
	}
}

// fillMemory writes a few MiB of keys of its own on raw's server, then
// sets maxmemory 1 MiB below what the server uses, so that it stays out
// of memory whatever small buffers it frees meanwhile, and checks that a
// write is refused with OOM. It returns how many keys it wrote.
func fillMemory(t *testing.T, raw *redis.Client) int {
	t.Helper()
	ctx := context.Background()
	const fillers = 32
	value := strings.Repeat("x", 64<<10)
	for i := range fillers {
		if err := raw.Set(ctx, fmt.Sprintf("fault:filler:%d", i), value, 0).Err(); err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
	if err := raw.ConfigSet(ctx, "maxmemory", strconv.Itoa(usedMemory(t, raw)-1<<20)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := raw.Set(ctx, "fault:filler:probe", "x", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "OOM") {
		t.Fatalf("a write once maxmemory is below the memory used: %v, want OOM", err)
	}
	return fillers
}

// freeMemory deletes the filler keys and lifts the limit.
func freeMemory(t *testing.T, raw *redis.Client, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if err := raw.Del(ctx, fmt.Sprintf("fault:filler:%d", i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
}

// usedMemory is INFO memory's used_memory.
func usedMemory(t *testing.T, raw *redis.Client) int {
	t.Helper()
	info, err := raw.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("INFO memory has no used_memory:\n%s", info)
	return 0
}

// An eviction policy deletes keys to make room, tincan's included (every
// tincan key has a TTL, so volatile-* policies take them too): messages
// that were acknowledged would vanish. The api refuses to start under
// one, with an exit status and a message that names the setting and the
// way out, unless REDIS_ALLOW_EVICTION=true says the operator knows.
// Issue 12, hole 5: it started, and 2,046 acknowledged messages vanished.
func TestEvictionPolicyRefused(t *testing.T) {
	needProcesses(t)
	srv := redistest.Start(t, "--maxmemory", "64mb")
	raw := srv.Client(t)
	env := apiEnv(srv.URL, redistest.Prefix(t))
	for _, policy := range []string{"allkeys-lru", "volatile-ttl"} {
		if err := raw.ConfigSet(context.Background(), "maxmemory-policy", policy).Err(); err != nil {
			t.Fatal(err)
		}
		api, exit := TryStartAPI(t, apiBin, env)
		logs := api.Logs()
		switch {
		case exit < 0:
			api.Kill()
			t.Errorf("maxmemory-policy %s: the api started; it must refuse unless REDIS_ALLOW_EVICTION=true", policy)
		case exit == 0:
			t.Errorf("maxmemory-policy %s: the api exited with status 0; want a failure status", policy)
		case !strings.Contains(logs, "maxmemory-policy") || !strings.Contains(logs, "REDIS_ALLOW_EVICTION"):
			t.Errorf("maxmemory-policy %s: the api exited %d without naming maxmemory-policy and REDIS_ALLOW_EVICTION:\n%s", policy, exit, logs)
		default:
			t.Logf("maxmemory-policy %s: exit status %d: %s", policy, exit, lineWith(logs, "maxmemory-policy"))
		}
	}
	env["REDIS_ALLOW_EVICTION"] = "true"
	StartAPI(t, apiBin, env)
}

// lineWith returns the first line of s that contains word.
func lineWith(s, word string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, word) {
			return line
		}
	}
	return ""
}
