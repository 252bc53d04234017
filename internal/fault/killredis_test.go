package fault

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// redis-server with the append-only file fsynced on every write, killed
// with SIGKILL and restarted from the same directory under load: nothing
// acknowledged is lost. Posts during the outage fail; they promised nothing.
func TestKillRedisAppendfsyncAlways(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	kills := forms(2, 5)
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	env := apiEnv(srv.URL, redistest.Prefix(t))
	apis := []*API{StartAPI(t, apiBin, env), StartAPI(t, apiBin, env)}
	load := NewLoad(t, LoadConfig{Targets: []string{apis[0].Base, apis[1].Base}, Channels: 4, Interval: 5 * time.Millisecond})
	load.Start()
	defer load.Stop()
	raw := srv.Client(t)
	for i := range kills {
		time.Sleep(400 * time.Millisecond)
		before := runID(t, raw)
		srv.Stop()
		// Every other outage outlasts go-redis's retries, so that some
		// posts fail rather than wait.
		time.Sleep([]time.Duration{200 * time.Millisecond, 1500 * time.Millisecond}[i%2])
		srv.Restart()
		if runID(t, raw) == before {
			t.Fatal("redis-server was not restarted")
		}
	}
	if got := raw.ConfigGet(t.Context(), "appendfsync").Val()["appendfsync"]; got != "always" {
		t.Fatalf("appendfsync is %q after the restarts", got)
	}
	finish(t, load)
}

// runID returns the server's run id, which changes with every start.
func runID(t *testing.T, c *redis.Client) string {
	t.Helper()
	info, err := c.Info(t.Context(), "server").Result()
	if err != nil {
		t.Fatalf("INFO: %v", err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "run_id:"); ok {
			return v
		}
	}
	t.Fatalf("INFO server has no run_id:\n%s", info)
	return ""
}
