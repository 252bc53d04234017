package fault

import (
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// apiEnv is the environment of the api processes under test: quick
// keep-alives so that readers notice dead streams, and quiet logs.
func apiEnv(redisURL, prefix string) map[string]string {
	return map[string]string{
		"REDIS_URL":          redisURL,
		"REDIS_KEY_PREFIX":   prefix,
		"KEEPALIVE_INTERVAL": "1s",
		"SSE_RETRY":          "50ms",
		"LOG_LEVEL":          "warn",
		// The load is one client posting, creating channels and reopening
		// streams far faster than a client may: these tests are about
		// failures, not rate limits.
		"RATE_LIMIT_CREATE_PER_CLIENT": "0",
		"RATE_LIMIT_PER_CLIENT":        "0",
		"RATE_LIMIT_PER_TOKEN":         "0",
	}
}

// finish stops the load once it has run a little past the last fault,
// waits for the readers to catch up, and checks the outcome.
func finish(t *testing.T, load *Load) Report {
	t.Helper()
	return finishAllowingLoss(t, load, false)
}

// finishAllowingLoss is finish, but with allowLoss acknowledged messages
// that were never delivered are reported as a figure, not a failure.
func finishAllowingLoss(t *testing.T, load *Load, allowLoss bool) Report {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	load.StopPosting()
	drained := load.Drain(15 * time.Second)
	load.Stop()
	rep := load.Recorder().Check()
	t.Logf("%s", rep)
	if allowLoss {
		t.Logf("acknowledged but lost (a figure here, not a failure): %d", len(rep.Lost))
		rep.Lost = nil
		drained = true
	}
	if !drained {
		t.Errorf("acknowledged messages were still undelivered 15s after the load stopped")
	}
	for _, v := range rep.Violations() {
		t.Error(v)
	}
	if rep.Acknowledged == 0 {
		t.Error("no post was acknowledged: the load did not run")
	}
	return rep
}

// Two api instances on one Redis, one killed with SIGKILL and restarted
// again and again under load: nothing acknowledged is lost, nothing is
// stored twice, and every stream resumes where it stopped.
func TestKillAPI(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	kills := forms(3, 10)
	srv := redistest.Start(t)
	env := apiEnv(srv.URL, redistest.Prefix(t))
	apis := []*API{StartAPI(t, apiBin, env), StartAPI(t, apiBin, env)}
	load := NewLoad(t, LoadConfig{Targets: []string{apis[0].Base, apis[1].Base}, Channels: 4, Interval: 5 * time.Millisecond})
	load.Start()
	defer load.Stop()
	for i := range kills {
		time.Sleep(300 * time.Millisecond)
		victim := apis[i%2]
		victim.Kill()
		time.Sleep(100 * time.Millisecond)
		victim.Start()
	}
	rep := finish(t, load)
	if rep.Resumes == 0 {
		t.Error("no stream resumed: the kills missed the streams")
	}
}
