package redis_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// tricky is bytes that a path which is not binary-safe would change:
// NULs, CR/LF, invalid UTF-8, and what reads as SSE fields, JSON and the
// store's own notice marks.
var tricky = []byte("\x00\xff\xfe\r\ndata: {\"a\":1}\n\nid: 1\x00m\x00b\x00o\x00\xc3\x28\xed\xa0\x80")

// queueFields returns the fields of the one entry in the Redis stream key,
// as Redis holds them.
func queueFields(t *testing.T, key string) []string {
	t.Helper()
	raw, err := client(t, shared).Do(t.Context(), "XRANGE", key, "-", "+").Slice()
	if err != nil || len(raw) != 1 {
		t.Fatalf("XRANGE %s: %v, %v; want one entry", key, raw, err)
	}
	fields, _ := raw[0].([]any)[1].([]any)
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i], _ = f.(string)
	}
	return out
}

// TestBinaryEntryLayout: a binary message is stored as fields b (its
// bytes, raw: no base64, no UTF-8) and c (its content type), never d, so
// that a build from before binary messages reads it as undecodable, never
// as data; its origin and ports follow as in a JSON message's entry.
func TestBinaryEntryLayout(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	s := newStore(t, shared, redis.Options{Prefix: prefix})
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	q2 := prefix + "{" + store.Tag(ch.ID) + "}:q2"
	msg := store.Outgoing{ContentType: "image/png", Bytes: tricky, Origin: "https://a.example",
		Transfer: []store.Credentials{creds(other.Port1)}}
	id, err := s.Post(ctx, creds(ch.Port1), msg)
	if err != nil {
		t.Fatal(err)
	}
	f := queueFields(t, q2)
	if len(f) != 12 || f[0] != "b" || f[1] != string(tricky) || f[2] != "c" || f[3] != "image/png" ||
		f[4] != "s" || f[5] != ch.Port1.ID || f[6] != "t" || f[8] != "p" || f[10] != "o" || f[11] != msg.Origin {
		t.Errorf("entry fields %q", f)
	}
	if slices.Contains(f, "d") {
		t.Error("a binary entry has a field d, which a build from before binary messages would read as data")
	}
	if err := s.Ack(ctx, creds(ch.Port2), id); err != nil {
		t.Fatal(err)
	}
	// Without ports or origin: the four fields alone.
	if _, err := s.Post(ctx, creds(ch.Port1), store.Outgoing{ContentType: "application/octet-stream"}); err != nil {
		t.Fatal(err)
	}
	if f := queueFields(t, q2); len(f) != 8 || f[0] != "b" || f[1] != "" || f[2] != "c" || f[4] != "s" || f[6] != "t" {
		t.Errorf("empty binary entry fields %q", f)
	}
}

// TestBinaryPushed: a binary message up to 8 KiB is pushed whole, its
// bytes as they are; a larger one rings, as a large JSON message does.
func TestBinaryPushed(t *testing.T) {
	t.Parallel()
	s := newStore(t, shared, redis.Options{})
	ctx := t.Context()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, s, ch.Port2.ID)
	defer sub.Close()
	var prev store.EventID
	for _, msg := range []store.Outgoing{
		{ContentType: "application/octet-stream", Bytes: tricky},
		{ContentType: "image/png; q=1", Bytes: tricky, Origin: "https://a.example:8443"},
		{ContentType: "application/octet-stream", Bytes: []byte{}},
		{ContentType: "application/octet-stream", Bytes: bytes.Repeat(tricky, 8192/len(tricky))},
	} {
		id, err := s.Post(ctx, creds(ch.Port1), msg)
		if err != nil {
			t.Fatal(err)
		}
		n := takeOne(t, sub)
		m := n.Message
		if !n.Pushed || n.Prev != prev || m.ID != id || m.ContentType != msg.ContentType || m.Data != nil ||
			m.Bytes == nil || !bytes.Equal(m.Bytes, msg.Bytes) || m.Origin != msg.Origin || m.Source != ch.Port1.ID {
			t.Errorf("notice of %d bytes of %s: %+v", len(msg.Bytes), msg.ContentType, n)
		}
		prev = id
	}
	big := store.Outgoing{ContentType: "application/octet-stream", Bytes: make([]byte, 8193)}
	if _, err := s.Post(ctx, creds(ch.Port1), big); err != nil {
		t.Fatal(err)
	}
	if n := takeOne(t, sub); n.Pushed || n.Port != ch.Port2.ID {
		t.Errorf("notice of 8193 bytes: %+v, want a look", n)
	}
}

// FuzzBinaryRoundTrip: whatever bytes a binary message holds, Redis gives
// them back identical: through the entry that post.lua writes and Read
// and Message decode, and through the notice that pushes them. A content
// type that is not one (store.ValidContentType) is refused before
// anything is stored, and the bytes then go under a valid one.
func FuzzBinaryRoundTrip(f *testing.F) {
	for _, seed := range []struct {
		b      []byte
		ctype  string
		origin bool
	}{
		{nil, "application/octet-stream", false},
		{[]byte{0}, "image/png", true},
		{tricky, `application/x-thing; name="a\"b"`, true},
		{[]byte(`{"data":"x"}`), "application/json", false},
		{[]byte("\r\n\r\n"), "text/plain; charset=utf-8", false},
		{[]byte("m\x00port\x00b\x00"), "a/b\x00", true},
		{bytes.Repeat([]byte{0xff}, 9000), "application/octet-stream", false},
	} {
		f.Add(seed.b, seed.ctype, seed.origin)
	}
	s, sub, from, to := fuzzChannel(f)
	var last store.EventID
	f.Fuzz(func(t *testing.T, b []byte, ctype string, origin bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		msg := store.Outgoing{ContentType: ctype, Bytes: b}
		if origin {
			msg.Origin = "https://a.example"
		}
		if !store.ValidContentType(ctype) {
			if _, err := s.Post(ctx, from, msg); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("content type %q: %v, want ErrInvalid", ctype, err)
			}
			msg.ContentType = "application/octet-stream"
		}
		sum := sha256.Sum256(b)
		sub.Take(nil)
		id, err := s.Post(ctx, from, msg)
		if err != nil {
			t.Fatal(err)
		}
		check := func(path string, m store.Message) {
			t.Helper()
			if m.ID != id || m.Undecodable != "" || m.ContentType != msg.ContentType || m.Data != nil ||
				m.Bytes == nil || sha256.Sum256(m.Bytes) != sum || m.Origin != msg.Origin {
				t.Fatalf("%s: %+v, want %d bytes of %q", path, m, len(b), msg.ContentType)
			}
		}
		batch, err := s.Read(ctx, to, last, store.ReadLimit{Messages: 1})
		if err != nil || len(batch.Messages) != 1 {
			t.Fatalf("Read: %+v, %v", batch, err)
		}
		check("Read", batch.Messages[0])
		one, err := s.Message(ctx, to, id)
		if err != nil {
			t.Fatal(err)
		}
		check("Message", one)
		if len(b) <= 8192 {
			check("the pushed notice", pushed(t, sub, id))
		}
		if err := s.Ack(ctx, to, id); err != nil {
			t.Fatal(err)
		}
		last = id
	})
}

// fuzzChannel makes, once for the fuzzing process, a store on the shared
// server with a channel and a subscription to its port 2.
func fuzzChannel(f *testing.F) (*redis.Store, *store.Subscription, store.Credentials, store.Credentials) {
	f.Helper()
	prefix := redistest.Prefix(f)
	c := shared.Client(f)
	s, err := redis.New(context.Background(), c, redis.Options{Prefix: prefix})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		_ = s.Close()
		keys, _ := c.Keys(context.Background(), globEscape(prefix)+"*").Result()
		if len(keys) > 0 {
			c.Del(context.Background(), keys...)
		}
	})
	ch, err := s.CreateChannel(context.Background(), "")
	if err != nil {
		f.Fatal(err)
	}
	sub, err := s.Subscribe(context.Background(), ch.Port2.ID)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(sub.Close)
	return s, sub, creds(ch.Port1), creds(ch.Port2)
}

// pushed waits for the notice pushing message id and returns its message.
func pushed(t *testing.T, sub *store.Subscription, id store.EventID) store.Message {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for _, n := range sub.Take(nil) {
			if n.Pushed && n.Message.ID == id {
				return n.Message
			}
		}
		select {
		case <-sub.C:
		case <-deadline:
			t.Fatalf("message %s was not pushed", id)
		}
	}
}

// TestBinaryMemoryCost measures what binary messages cost in Redis: the
// growth of their stream's MEMORY USAGE for one 256 KiB message, and for
// many small ones, and so an entry's overhead beyond its bytes
// (docs/ARCHITECTURE.md quotes the figures). The bounds asserted are
// wide: the bytes are kept once and raw (base64 would add a third);
// what comes on top is the allocator's size classes (jemalloc rounds an
// allocation past 256 KiB up to the next multiple of 64 KiB) and the
// entry's few fields.
func TestBinaryMemoryCost(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	s := newStore(t, shared, redis.Options{Prefix: prefix})
	c := client(t, shared)
	ctx := t.Context()
	usage := func(key string) int64 {
		t.Helper()
		n, err := c.Do(ctx, "MEMORY", "USAGE", key, "SAMPLES", "0").Int64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// grows posts n binary messages of size bytes each through a new
	// channel, after a first one that makes the stream, and returns how
	// many bytes the stream grew by and what it held before.
	grows := func(n, size int) (grew, base int64) {
		t.Helper()
		ch, err := s.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		q2 := prefix + "{" + store.Tag(ch.ID) + "}:q2"
		msg := store.Outgoing{ContentType: "application/octet-stream", Bytes: make([]byte, size)}
		for i := range n + 1 {
			if i == 1 {
				base = usage(q2)
			}
			if _, err := s.Post(ctx, creds(ch.Port1), msg); err != nil {
				t.Fatal(err)
			}
		}
		return usage(q2) - base, base
	}
	const large = 256 << 10
	grew, base := grows(1, large)
	t.Logf("one %d-byte binary message after another: the stream grew by %d bytes (%d beyond the bytes, %.0f%%); it held %d bytes with the first",
		large, grew, grew-large, 100*float64(grew-large)/large, base)
	if grew < large || grew > large+large/4+8<<10 {
		t.Errorf("the stream grew by %d bytes for %d bytes of message", grew, large)
	}
	const small, many = 100, 1000
	grew, _ = grows(many, small)
	t.Logf("%d binary messages of %d bytes: the stream grew by %d bytes, %d a message (%d beyond the bytes)",
		many, small, grew, grew/many, grew/many-small)
	if per := grew / many; per < small || per > small+256 {
		t.Errorf("the stream grew by %d bytes a message of %d bytes", per, small)
	}
}
