package fault

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
)

// pausedRedisTimeout is the api's REDIS_TIMEOUT in TestTransferUnderPause:
// short, so that a trial takes well under a second.
const pausedRedisTimeout = 300 * time.Millisecond

// A transfer sent while Redis is stopped (SIGSTOP, as a server hung on a
// slow disk would be) is answered 503 or not at all, and Redis may run it
// all the same once it continues. A client that must not lose the port
// retries with the same Idempotency-Key and the token it holds until it
// gets an answer, and that answer must be the port's new token, which
// reads every message acknowledged at the port. Issue 12, hole 1: the
// retry found the old token dead (403 port_transferred) and nobody ever
// saw the new one, so the port and its messages were stranded.
func TestTransferUnderPause(t *testing.T) {
	needProcesses(t)
	trials := forms(5, 20)
	srv := redistest.Start(t)
	env := apiEnv(srv.URL, redistest.Prefix(t))
	env["REDIS_TIMEOUT"] = pausedRedisTimeout.String()
	api := StartAPI(t, apiBin, env)
	targets := []string{api.Base}
	c := client{http: &http.Client{Timeout: 4 * pausedRedisTimeout}}
	var stranded []string
	firsts, replays, messages := map[string]int{}, 0, 0
	for trial := range trials {
		ch := createChannelSoon(t, newClient(), api.Base)
		// Messages acknowledged at the port before its transfer: the
		// new holder must be able to read every one.
		var acked []string
		for i := range 3 {
			id, a := c.post(api.Base, ch.Port1, fmt.Sprintf("before-%d-%d", trial, i), fmt.Sprintf(`{"data":{"seq":%d}}`, i))
			if a.Status != http.StatusCreated {
				t.Fatalf("trial %d: post %d answered %v with Redis running", trial, i, a)
			}
			acked = append(acked, id)
		}
		messages += len(acked)
		port, key := ch.Port2, fmt.Sprintf("pause-%d", trial)

		srv.Pause()
		_, first := c.transfer(api.Base, port, key)
		// Redis stays stopped a little past the api's answer, so that
		// the script, if it was sent, runs after the client gave up.
		time.Sleep(pausedRedisTimeout / 3)
		srv.Resume()
		firsts[first.String()]++
		if first.Status != 0 && first.Status != http.StatusServiceUnavailable {
			t.Errorf("trial %d: a transfer while Redis was stopped answered %v, want 503 or no answer", trial, first)
		}

		pc, a, tries := c.settleTransfer(targets, port, key, 10*time.Second)
		if a.Status != http.StatusOK {
			stranded = append(stranded, fmt.Sprintf("trial %d: port %s: the retry with the same key and token answered %v after %d requests",
				trial, port.ID, a, tries))
			continue
		}
		if a.Replayed {
			replays++
		}
		if why := readableWith(c, api.Base, pc, acked); why != "" {
			stranded = append(stranded, fmt.Sprintf("trial %d: port %s: %s", trial, port.ID, why))
		}
	}
	t.Logf("%d transfers sent while Redis was stopped, first answered %v; %d retries answered with the first attempt's token (Idempotent-Replayed); %d ports stranded (%d messages acknowledged before the transfers)",
		trials, firsts, replays, len(stranded), messages)
	if len(stranded) > 0 {
		t.Errorf("%d of %d ports stranded by a transfer under SIGSTOP:\n%s", len(stranded), trials, strings.Join(stranded, "\n"))
	}
}

// readableWith returns why port's token pc does not read every id of
// acked, or "" when it does.
func readableWith(c client, base string, pc portCreds, acked []string) string {
	status, err := c.describeStatus(base, pc)
	if err != nil || status != http.StatusOK {
		return fmt.Sprintf("the new token answers %d %v", status, err)
	}
	held, err := c.allMessages(base, pc)
	if err != nil {
		return err.Error()
	}
	missing := 0
	for _, id := range acked {
		if !held[id] {
			missing++
		}
	}
	if missing > 0 {
		return fmt.Sprintf("%d of %d acknowledged messages are not readable with the new token", missing, len(acked))
	}
	return ""
}
