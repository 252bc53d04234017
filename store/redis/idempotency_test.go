package redis_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// TestChannelReplayKeepsNoToken: a channel created under an idempotency
// key is answered again with its tokens, yet nothing in Redis holds a
// token, nor the key: the answer is sealed under a key only the client has.
func TestChannelReplayKeepsNoToken(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	prefix := redistest.Prefix(t)
	s := newStore(t, shared, redis.Options{Prefix: prefix})
	c := client(t, shared)
	once := store.Idempotency{Key: "f3a1c7d2-key-of-the-client", Fingerprint: sha256.Sum256([]byte("POST /channels"))}
	ch, _, err := s.CreateChannelOnce(ctx, "", once)
	if err != nil {
		t.Fatal(err)
	}
	again, replayed, err := s.CreateChannelOnce(ctx, "", once)
	if err != nil || !replayed || again != ch {
		t.Fatalf("replay: %+v (replayed %v, err %v), first %+v", again, replayed, err, ch)
	}
	if _, err := s.Describe(ctx, store.Credentials{PortID: ch.Port2.ID, Token: ch.Port2.Token}); err != nil {
		t.Fatalf("the replayed token: %v", err)
	}
	if _, _, err := s.PostOnce(ctx, store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token},
		store.Outgoing{Data: []byte(`"x"`)}, once); err != nil {
		t.Fatal(err)
	}

	keys := keysWithPrefix(t, c, prefix)
	if len(keys) == 0 {
		t.Fatal("no keys under the test prefix")
	}
	secrets := []string{ch.Port1.Token, ch.Port2.Token, once.Key}
	for _, k := range keys {
		for _, v := range dump(ctx, t, c, k) {
			for _, secret := range secrets {
				if strings.Contains(k, secret) || strings.Contains(v, secret) {
					t.Errorf("key %s holds a secret (%.8s...) in plain text", k, secret)
				}
			}
		}
	}
}

// dump returns every string stored at key, whatever its type.
func dump(ctx context.Context, t *testing.T, c goredis.UniversalClient, key string) []string {
	t.Helper()
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	switch typ {
	case "string":
		out = append(out, c.Get(ctx, key).Val())
	case "hash":
		for f, v := range c.HGetAll(ctx, key).Val() {
			out = append(out, f, v)
		}
	case "set":
		out = c.SMembers(ctx, key).Val()
	case "zset":
		out = c.ZRange(ctx, key, 0, -1).Val()
	case "stream":
		for _, m := range c.XRange(ctx, key, "-", "+").Val() {
			out = append(out, fmt.Sprint(m.Values))
		}
	default:
		t.Fatalf("key %s of unexpected type %s", key, typ)
	}
	return out
}
