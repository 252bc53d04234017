package redis

import (
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/store"
)

// TestPostsRestartIdleTimersLazily: a post restarts the channel's idle
// timers only once every ttl/16, yet after every post each of the
// channel's keys lives at least the TTL from that post, and a queue that
// a post creates gets its timer at once.
func TestPostsRestartIdleTimersLazily(t *testing.T) {
	t.Parallel()
	const ttl = 8 * time.Second
	s, c := newInternalStore(t, store.Limits{ChannelTTL: ttl})
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	keys := s.keys.forTag(store.Tag(ch.ID)).list()
	// checkTimers fails unless every existing key expires no sooner than
	// the TTL after a post that started at posted, nor later than the
	// TTL and its slack.
	checkTimers := func(what string, posted time.Time) {
		t.Helper()
		for _, k := range keys {
			pttl, err := c.PTTL(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if pttl == -2 {
				continue // no such key (yet): go-redis gives Redis's -2 as is
			}
			if pttl < 0 {
				t.Fatalf("%s: %s has no idle timer (PTTL %v)", what, k, pttl)
			}
			if floor := ttl - time.Since(posted) - time.Millisecond; pttl < floor {
				t.Errorf("%s: %s expires in %v, sooner than the TTL after the post (%v)", what, k, pttl, floor)
			}
			if pttl > ttl+ttl/16 {
				t.Errorf("%s: %s expires in %v, later than TTL and slack", what, k, pttl)
			}
		}
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	const posts = 40
	began := time.Now()
	for i := range posts {
		at := time.Now()
		if _, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`1`)}); err != nil {
			t.Fatal(err)
		}
		checkTimers("post "+strconv.Itoa(i), at)
	}
	// At most one restart of the four keys per ttl/16 the posts took, and
	// the first.
	restarts := 2 + int(time.Since(began)/(ttl/16))
	if n := commandCalls(t, c, "pexpire"); n > 4*restarts || n == 0 {
		t.Errorf("%d posts made %d PEXPIREs, want 1 to %d", posts, n, 4*restarts)
	}

	// The other side's first post creates its queue, well within ttl/16
	// of the last restart: the new key must get a timer all the same.
	at := time.Now()
	back := store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}
	if _, err := s.Post(ctx, back, store.Outgoing{Data: []byte(`2`)}); err != nil {
		t.Fatal(err)
	}
	checkTimers("the first post back", at)
}

// commandCalls is how many times Redis ran a command since the last
// CONFIG RESETSTAT, scripts' calls included.
func commandCalls(t *testing.T, c *goredis.Client, name string) int {
	t.Helper()
	info, err := c.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+name+":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(rest[:strings.IndexByte(rest+",", ',')])
		return n
	}
	return 0
}
