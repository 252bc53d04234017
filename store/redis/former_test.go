package redis_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/migrations"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// formerKey is the key of a channel's dead tokens.
func formerKey(prefix, portID string) string {
	return prefix + "{" + store.Tag(portID) + "}:former"
}

// formerCount counts the dead tokens a channel remembers, of both ports.
func formerCount(t *testing.T, c *goredis.Client, key string) int64 {
	t.Helper()
	n, err := c.ZCard(t.Context(), key).Result()
	if err != nil {
		t.Fatalf("ZCARD %s: %v", key, err)
	}
	return n
}

// A port remembers at most store.MaxFormerTokens dead tokens, forgetting
// the oldest first: a client looping on transfer cannot grow a key without
// bound. Each port's tokens are bounded on their own: one port's churn
// does not make the other's forgotten.
func TestFormerTokensBounded(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	s := newStore(t, shared, redis.Options{Prefix: prefix})
	c := client(t, shared)
	// Either side: the two keep their dead tokens in score ranges of
	// their own (see lib.lua).
	for _, second := range []bool{false, true} {
		ch, err := s.CreateChannel(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		port, peer := creds(ch.Port1), creds(ch.Port2)
		if second {
			port, peer = peer, port
		}
		t.Run(fmt.Sprintf("port %d", map[bool]int{false: 1, true: 2}[second]), func(t *testing.T) {
			testFormerBound(t, s, c, prefix, port, peer)
		})
	}
}

func testFormerBound(t *testing.T, s *redis.Store, c *goredis.Client, prefix string, cur, peer store.Credentials) {
	ctx := t.Context()
	// The peer's two dead tokens, first.
	var peerDead []store.Credentials
	for range 2 {
		pc, err := s.Transfer(ctx, peer)
		if err != nil {
			t.Fatal(err)
		}
		peerDead = append(peerDead, peer)
		peer = creds(pc)
	}

	const extra = 10
	var dead []store.Credentials
	for i := range store.MaxFormerTokens + extra {
		if i == 3 {
			// A scoped token dies with the port's, and counts too.
			m, err := s.MintToken(ctx, cur, store.ScopeListen, "")
			if err != nil {
				t.Fatal(err)
			}
			dead = append(dead, cur, store.Credentials{PortID: cur.PortID, Token: m.Token})
		} else {
			dead = append(dead, cur)
		}
		pc, err := s.Transfer(ctx, cur)
		if err != nil {
			t.Fatalf("transfer %d: %v", i, err)
		}
		cur = creds(pc)
	}
	forgotten := len(dead) - store.MaxFormerTokens
	for i, d := range dead {
		_, err := s.Describe(ctx, d)
		want := store.ErrTransferred
		if i < forgotten {
			want = store.ErrUnauthorized
		}
		if !errors.Is(err, want) {
			t.Errorf("dead token %d of %d: %v, want %v", i, len(dead), err, want)
		}
	}
	for i, d := range peerDead {
		if _, err := s.Describe(ctx, d); !errors.Is(err, store.ErrTransferred) {
			t.Errorf("the peer's dead token %d: %v, want ErrTransferred", i, err)
		}
	}
	if n := formerCount(t, c, formerKey(prefix, cur.PortID)); n != store.MaxFormerTokens+int64(len(peerDead)) {
		t.Errorf("the key holds %d dead tokens, want %d of the port and %d of its peer", n, store.MaxFormerTokens, len(peerDead))
	}
	if _, err := s.Describe(ctx, cur); err != nil {
		t.Errorf("the live token: %v", err)
	}
}

// Schema version 2 keeps dead tokens in a zset; a Redis written by a
// version 1 build holds sets. Starting on it converts every channel's set
// (keeping at most the bound per port, each member still answering
// ErrTransferred, dropping members of neither port, keeping the key's
// time to live) before the version is recorded.
func TestFormerSetsMigrated(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	prefix := redistest.Prefix(t)
	c := client(t, shared)
	s := newStore(t, shared, redis.Options{Prefix: prefix})

	// Two channels with dead tokens; the second's set grown past the
	// bound, as version 1 let it.
	var chans []store.NewChannel
	var dead []store.Credentials
	for range 2 {
		ch, err := s.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
		cur := creds(ch.Port1)
		for range 3 {
			pc, err := s.Transfer(ctx, cur)
			if err != nil {
				t.Fatal(err)
			}
			dead = append(dead, cur)
			cur = creds(pc)
		}
	}
	toSet := func(key string, extra ...string) {
		t.Helper()
		members, err := c.ZRange(ctx, key, 0, -1).Result()
		if err != nil || len(members) == 0 {
			t.Fatalf("%s: %v, %v", key, members, err)
		}
		if err := c.Del(ctx, key).Err(); err != nil {
			t.Fatal(err)
		}
		for _, m := range append(members, extra...) {
			c.SAdd(ctx, key, m)
		}
		c.PExpire(ctx, key, time.Hour)
	}
	big := chans[1]
	var filler []string
	for i := range store.MaxFormerTokens + 50 {
		filler = append(filler, fmt.Sprintf("%s:%064x", big.Port2.ID, i))
	}
	filler = append(filler, "01ZZZZZZZZZZZZZZZZZZZZZZZZ:"+strings.Repeat("0", 64)) // of neither port
	toSet(formerKey(prefix, chans[0].ID))
	toSet(formerKey(prefix, big.ID), filler...)
	if err := c.Set(ctx, prefix+"schema", 1, 0).Err(); err != nil {
		t.Fatal(err)
	}

	s2 := newStore(t, shared, redis.Options{Prefix: prefix})
	if v := schemaOf(t, c, prefix); v != fmt.Sprint(migrations.Version) {
		t.Errorf("schema %s after starting, want %d", v, migrations.Version)
	}
	for _, ch := range chans {
		key := formerKey(prefix, ch.ID)
		if typ := c.Type(ctx, key).Val(); typ != "zset" {
			t.Fatalf("%s is a %s after the migration", key, typ)
		}
		if ttl := c.PTTL(ctx, key).Val(); ttl <= 0 || ttl > time.Hour {
			t.Errorf("%s lives %v, want its hour kept", key, ttl)
		}
	}
	if n := formerCount(t, c, formerKey(prefix, big.ID)); n != 3+store.MaxFormerTokens {
		t.Errorf("the grown key holds %d, want port 1's 3 and port 2's %d", n, store.MaxFormerTokens)
	}
	for i, d := range dead {
		if _, err := s2.Describe(ctx, d); !errors.Is(err, store.ErrTransferred) {
			t.Errorf("dead token %d after the migration: %v, want ErrTransferred", i, err)
		}
	}
}

// testClusterMigratesFormer: migration 0002 finds the channels of every
// primary of a Cluster, and converts each in its own slot.
func testClusterMigratesFormer(t *testing.T, c *redistest.Cluster) {
	ctx := t.Context()
	prefix := redistest.Prefix(t)
	s := clusterStore(t, c, redis.Options{Prefix: prefix}, nil)
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: slices.Clone(c.Addrs)}) // see clusterStore
	t.Cleanup(func() { _ = cc.Close() })
	var dead []store.Credentials
	nodes := map[string]bool{}
	for i := 0; len(nodes) < len(c.Nodes); i++ {
		if i == 60 {
			t.Fatalf("60 channels on %d of %d primaries", len(nodes), len(c.Nodes))
		}
		ch, err := s.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Transfer(ctx, creds(ch.Port1)); err != nil {
			t.Fatal(err)
		}
		dead = append(dead, creds(ch.Port1))
		key := formerKey(prefix, ch.ID)
		node, err := cc.MasterForKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		nodes[node.Options().Addr] = true
		members := cc.ZRange(ctx, key, 0, -1).Val()
		cc.Del(ctx, key)
		for _, m := range members {
			cc.SAdd(ctx, key, m)
		}
	}
	if err := cc.Set(ctx, prefix+"schema", 1, 0).Err(); err != nil {
		t.Fatal(err)
	}
	s2 := clusterStore(t, c, redis.Options{Prefix: prefix}, nil)
	for i, d := range dead {
		if typ := cc.Type(ctx, formerKey(prefix, d.PortID)).Val(); typ != "zset" {
			t.Errorf("channel %d's dead tokens are a %s after the migration", i, typ)
		}
		if _, err := s2.Describe(ctx, d); !errors.Is(err, store.ErrTransferred) {
			t.Errorf("channel %d's dead token: %v, want ErrTransferred", i, err)
		}
	}
}
