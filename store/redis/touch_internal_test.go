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
	checkTimers := timerCheck(t, s, c, ch.ID, ttl)
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

	// A queue that went while its channel stayed (eviction may take one,
	// under REDIS_ALLOW_EVICTION) is made again with a timer.
	if err := c.Del(ctx, s.keys.forTag(store.Tag(ch.ID)).q2).Err(); err != nil {
		t.Fatal(err)
	}
	at = time.Now()
	if _, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`3`)}); err != nil {
		t.Fatal(err)
	}
	checkTimers("a post to a queue that went", at)
}

// TestAcksRestartIdleTimersLazily: an acknowledgement is activity, like a
// post, and restarts the idle timers as lazily: after every ack (one that
// deletes messages, one that empties the queue, one that deletes nothing)
// each key lives at least the TTL from it, though the acks restart the
// timers only once every ttl/16. A port that is only acknowledged at,
// past ttl/16 after the last restart, gets its timers restarted. A queue
// that acks emptied keeps its timer for the next post.
func TestAcksRestartIdleTimersLazily(t *testing.T) {
	t.Parallel()
	const ttl = 8 * time.Second
	s, c := newInternalStore(t, store.Limits{ChannelTTL: ttl})
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	checkTimers := timerCheck(t, s, c, ch.ID, ttl)
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	to := store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}
	const posts = 40
	var ids []store.EventID
	for range posts {
		id, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`1`)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	acks := 0
	ack := func(what string, id store.EventID) {
		t.Helper()
		acks++
		at := time.Now()
		if err := s.Ack(ctx, to, id); err != nil {
			t.Fatal(err)
		}
		checkTimers(what, at)
	}
	began := time.Now()
	for i, id := range ids[:posts/2] {
		ack("ack "+strconv.Itoa(i), id)
		ack("ack "+strconv.Itoa(i)+" again", id)
	}
	// Only acks from here on: past the slack, the next ack must restart
	// the timers, or the keys would expire sooner than the TTL from it.
	// The keys' timers are moved on by the slack and a little, as if that
	// time had passed, rather than waiting for it.
	aged := ageTimers(t, s, c, ch.ID, ttl/16+100*time.Millisecond)
	ack("the first ack past the slack", ids[posts/2])
	ack("the ack of the whole queue", ids[posts-1])
	ack("an ack of nothing new", ids[posts-1])
	restarts := 2 + int(time.Since(began)/(ttl/16))
	if n := commandCalls(t, c, "pexpire") - aged; n > 4*restarts || n == 0 {
		t.Errorf("%d acks made %d PEXPIREs, want 1 to %d", acks, n, 4*restarts)
	}

	at := time.Now()
	if _, err := s.Post(ctx, from, store.Outgoing{Data: []byte(`2`)}); err != nil {
		t.Fatal(err)
	}
	checkTimers("a post to the emptied queue", at)
}

// timerCheck returns a check that fails the test unless every existing
// key of the channel expires no sooner than the TTL after an operation
// that started at began, nor later than the TTL and its slack.
func timerCheck(t *testing.T, s *Store, c *goredis.Client, channelID string, ttl time.Duration) func(what string, began time.Time) {
	keys := s.keys.forTag(store.Tag(channelID)).list()
	return func(what string, began time.Time) {
		t.Helper()
		for _, k := range keys {
			pttl, err := c.PTTL(t.Context(), k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if pttl == -2 {
				continue // no such key (yet): go-redis gives Redis's -2 as is
			}
			if pttl < 0 {
				t.Fatalf("%s: %s has no idle timer (PTTL %v)", what, k, pttl)
			}
			if floor := ttl - time.Since(began) - time.Millisecond; pttl < floor {
				t.Errorf("%s: %s expires in %v, sooner than the TTL after the operation (%v)", what, k, pttl, floor)
			}
			if pttl > ttl+ttl/16 {
				t.Errorf("%s: %s expires in %v, later than TTL and slack", what, k, pttl)
			}
		}
	}
}

// ageTimers shortens the idle timer of every existing key of the channel
// by d, as d passing on Redis's clock would, and answers how many PEXPIREs
// that took.
func ageTimers(t *testing.T, s *Store, c *goredis.Client, channelID string, d time.Duration) (aged int) {
	t.Helper()
	for _, k := range s.keys.forTag(store.Tag(channelID)).list() {
		pttl, err := c.PTTL(t.Context(), k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if pttl < 0 {
			continue // no such key, or no timer: nothing to age
		}
		if pttl <= d {
			t.Fatalf("%s expires in %v: ageing it by %v would expire it", k, pttl, d)
		}
		if err := c.PExpire(t.Context(), k, pttl-d).Err(); err != nil {
			t.Fatal(err)
		}
		aged++
	}
	return aged
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
