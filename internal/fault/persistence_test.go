package fault

import (
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// What a kill -9 of redis-server loses with each persistence setting, with
// posts flowing at full speed until the kill and nothing read: the
// messages acknowledged but missing after the restart. Only "always" must
// lose nothing; the others are figures for docs/RELIABILITY.md.
func TestRedisCrashLossByPersistence(t *testing.T) {
	needProcesses(t)
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		must bool // must lose nothing
	}{
		{"none", []string{"--appendonly", "no", "--save", ""}, false},
		{"everysec", []string{"--appendonly", "yes", "--appendfsync", "everysec"}, false},
		{"always", []string{"--appendonly", "yes", "--appendfsync", "always"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each setting has servers of its own
			kills := forms(1, 5)
			totalLost, totalAcked := 0, 0
			for range kills {
				srv := redistest.Start(t, tc.args...)
				api := StartAPI(t, apiBin, apiEnv(srv.URL, redistest.Prefix(t)))
				load := NewLoad(t, LoadConfig{Targets: []string{api.Base}, Channels: 4, NoReaders: true})
				load.Start()
				time.Sleep(forms(700*time.Millisecond, 1500*time.Millisecond))
				srv.Stop()
				load.Stop()
				srv.Restart()
				lost, acked, err := keptAfterRestart(load, api.Base)
				if err != nil {
					t.Fatal(err)
				}
				totalLost += lost
				totalAcked += acked
				api.Kill()
				srv.Stop()
			}
			t.Logf("appendonly/fsync %s, %d kills: %d of %d acknowledged messages lost", tc.name, kills, totalLost, totalAcked)
			if tc.must && totalLost != 0 {
				t.Errorf("%d acknowledged messages lost", totalLost)
			}
		})
	}
}

// keptAfterRestart waits until the api reaches Redis again and counts.
func keptAfterRestart(load *Load, base string) (lost, acked int, err error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		lost, acked, err = load.Kept(base)
		if err == nil || time.Now().After(deadline) {
			return lost, acked, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
