package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
)

// TestOpenStoreTopologies: REDIS_MODE=cluster and REDIS_MODE=sentinel open
// a working store on a real Cluster and Sentinel set, and the log says
// which mode and addresses. With REDIS_WAIT_REPLICAS=all the replicas are
// counted the topology's way: each primary of the Cluster has none, the
// Sentinel master the replica Sentinel knows.
func TestOpenStoreTopologies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster and Sentinel")
	}
	t.Parallel()
	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		c := redistest.StartCluster(t)
		logs := checkOpenStore(t, "cluster", c.URL, c.Addrs[0])
		for _, a := range c.Addrs {
			if want := "primary=" + a + " wait=0 needed=0 promotable=0 online=0"; !strings.Contains(logs, want) {
				t.Errorf("the log lacks %s:\n%s", want, logs)
			}
		}
	})
	t.Run("sentinel", func(t *testing.T) {
		t.Parallel()
		s := redistest.StartSentinel(t)
		waitSynced(t, s.Replica) // or the first post waits for it in vain
		logs := checkOpenStore(t, "sentinel", s.URL, s.Addrs[0])
		if want := "primary=" + s.Primary.Addr + " wait=1 needed=1 promotable=1 online=1"; !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	})
}

// checkOpenStore opens the store with REDIS_WAIT_REPLICAS=all, uses it,
// and returns the log.
func checkOpenStore(t *testing.T, mode, url, addr string) string {
	cfg, err := loadConfig(env(map[string]string{
		"REDIS_MODE": mode, "REDIS_URL": url, "REDIS_KEY_PREFIX": redistest.Prefix(t),
		"REDIS_WAIT_REPLICAS": "all",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	st, _, closeStore, err := openStore(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("open: %v\n%s", err, logs.String())
	}
	defer func() { _ = closeStore() }()
	if !strings.Contains(logs.String(), "mode="+mode) || !strings.Contains(logs.String(), addr) {
		t.Errorf("the log does not name the mode and addresses:\n%s", logs.String())
	}
	ch, err := st.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := st.Subscribe(ctx, ch.Port2.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	from := store.Credentials{PortID: ch.Port1.ID, Token: ch.Port1.Token}
	if _, err := st.Post(ctx, from, store.Outgoing{Data: []byte(`"hi"`)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.C:
	case <-ctx.Done():
		t.Fatal("no ring for the post")
	}
	return logs.String()
}
