package redis_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// The store's scripts are one Redis Functions library: New loads it, and
// a server that lost it (flushed, restarted without its data, a fresh
// server) gets it again at the next op that misses it, which then
// answers as if nothing happened.
func TestLibrary(t *testing.T) {
	t.Parallel()
	t.Run("FreshServer", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t, "--save", "") // a server of its own: nothing loaded
		c := srv.Client(t)
		if libs := libraries(t, c); len(libs) != 0 {
			t.Fatalf("a fresh server has libraries %q", libs)
		}
		s := newStore(t, srv, redis.Options{})
		if libs := libraries(t, c); !slices.Equal(libs, []string{redis.LibraryName(s)}) {
			t.Errorf("after New the server has libraries %q, want [%s]", libs, redis.LibraryName(s))
		}
		postAndRead(t, s, nil)
	})
	t.Run("AfterFlush", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t, "--save", "")
		c := srv.Client(t)
		s := newStore(t, srv, redis.Options{})
		ch, err := s.CreateChannel(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.FunctionFlush(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
		postAndRead(t, s, &ch)
		if libs := libraries(t, c); !slices.Equal(libs, []string{redis.LibraryName(s)}) {
			t.Errorf("after the post the server has libraries %q, want [%s]", libs, redis.LibraryName(s))
		}
	})
	t.Run("ManyAfterFlush", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t, "--save", "")
		c := srv.Client(t)
		s := newStore(t, srv, redis.Options{})
		chans := make([]store.NewChannel, 16)
		for i := range chans {
			ch, err := s.CreateChannel(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			chans[i] = ch
		}
		if err := c.FunctionFlush(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
		// Every post misses the library at once; each loads it or finds
		// it loaded, and answers.
		var wg sync.WaitGroup
		for _, ch := range chans {
			wg.Go(func() {
				if _, err := s.Post(t.Context(), creds(ch.Port1), store.Outgoing{Data: []byte(`"together"`)}); err != nil {
					t.Errorf("post after the flush: %v", err)
				}
			})
		}
		wg.Wait()
		for _, ch := range chans {
			postAndRead(t, s, &ch)
		}
	})
	t.Run("AfterRestart", func(t *testing.T) {
		t.Parallel()
		srv := privateServer(t) // without persistence: a restart loses everything
		s := newStore(t, srv, redis.Options{})
		srv.Restart()
		// The first op on the restarted server misses the library; one
		// refused by the restart itself (a broken connection) is not
		// what this is about, so the first is tried until it is sent.
		var (
			ch  store.NewChannel
			err error
		)
		for range 50 {
			if ch, err = s.CreateChannel(t.Context(), ""); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("create on the restarted server: %v", err)
		}
		postAndRead(t, s, &ch)
	})
	t.Run("TwoVersions", func(t *testing.T) {
		t.Parallel()
		srv := redistest.Start(t, "--save", "")
		c := srv.Client(t)
		prefix := redistest.Prefix(t)
		one := newStore(t, srv, redis.Options{Prefix: prefix})
		// The next build: one script changed.
		var opts redis.Options
		opts.Prefix = prefix
		redis.SetLuaSource(&opts, func(name string) string {
			if name == "post.lua" {
				return redis.ReadLua(name) + "\n-- a later build's post.lua\n"
			}
			return redis.ReadLua(name)
		})
		two := newStore(t, srv, opts)
		if redis.LibraryName(one) == redis.LibraryName(two) {
			t.Fatalf("two versions share the library name %s", redis.LibraryName(one))
		}
		want := []string{redis.LibraryName(one), redis.LibraryName(two)}
		slices.Sort(want)
		if libs := libraries(t, c); !slices.Equal(libs, want) {
			t.Fatalf("the server has libraries %q, want %q", libs, want)
		}
		// One channel, served by both versions in turn.
		ch, err := one.CreateChannel(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		postAndRead(t, two, &ch)
		postAndRead(t, one, &ch)
		// One version's library gone does not disturb the other's.
		if err := c.FunctionDelete(t.Context(), redis.LibraryName(one)).Err(); err != nil {
			t.Fatal(err)
		}
		postAndRead(t, two, &ch)
		postAndRead(t, one, &ch)
		if libs := libraries(t, c); !slices.Equal(libs, want) {
			t.Errorf("the server has libraries %q, want %q", libs, want)
		}
	})
}

// testClusterLibrary: New loads the library on every primary, and after
// every node lost it, the first op that misses it loads it on every
// primary again; ops on channels all over the slots answer as before.
func testClusterLibrary(t *testing.T, c *redistest.Cluster) {
	s := clusterStore(t, c, redis.Options{}, nil)
	name := redis.LibraryName(s)
	everyNodeHas := func(when string) {
		t.Helper()
		for _, srv := range c.Nodes {
			if libs := libraries(t, srv.Client(t)); !slices.Contains(libs, name) {
				t.Errorf("%s: node %s has libraries %q, not %s", when, srv.Addr, libs, name)
			}
		}
	}
	everyNodeHas("after New")
	for _, srv := range c.Nodes {
		if err := srv.Client(t).FunctionFlush(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Channels with random tags: a dozen fall on every node but rarely.
	for range 12 {
		ch, err := s.CreateChannel(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		postAndRead(t, s, &ch)
	}
	everyNodeHas("after the flush and the next ops")
}

// postAndRead posts one message from port 1 of ch (a new channel if nil)
// and reads it at port 2, by its id and data.
func postAndRead(t *testing.T, s store.Store, ch *store.NewChannel) {
	t.Helper()
	ctx := t.Context()
	if ch == nil {
		c, err := s.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		ch = &c
	}
	info, err := s.Describe(ctx, creds(ch.Port2))
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{Data: []byte(`"library"`)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Read(ctx, creds(ch.Port2), store.EventID{}, store.ReadLimit{Messages: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Messages) != info.Queued+1 {
		t.Fatalf("read %d messages, want %d", len(b.Messages), info.Queued+1)
	}
	if m := b.Messages[len(b.Messages)-1]; m.ID != id || string(m.Data) != `"library"` {
		t.Errorf("read %v %s, want %v \"library\"", m.ID, m.Data, id)
	}
}

// libraries returns the names of the libraries the server behind c holds,
// sorted.
func libraries(t *testing.T, c *goredis.Client) []string {
	t.Helper()
	libs, err := c.FunctionList(t.Context(), goredis.FunctionListQuery{}).Result()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range libs {
		names = append(names, l.Name)
	}
	slices.Sort(names)
	return names
}
