package memory_test

import (
	"runtime"
	"testing"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

// TestBinaryMemoryCost measures what a 256 KiB binary message costs the
// memory store: the bytes allocated by posting it (the store's own copy
// of the bytes, and the queue's entry), what stays in the heap while it
// is queued, and what a Read of it allocates (the reader's copy).
// docs/ARCHITECTURE.md quotes the figures. The bounds asserted are wide:
// the bytes are copied once on the way in, once on the way out.
func TestBinaryMemoryCost(t *testing.T) {
	ctx := t.Context()
	s := memory.New(store.Limits{})
	defer s.Close()
	ch, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	from, at := creds(ch.Port1), creds(ch.Port2)
	const size, n = 256 << 10, 64
	msg := store.Outgoing{ContentType: "application/octet-stream", Bytes: make([]byte, size)}
	// One first, so that the queue's growth is not what is measured.
	if _, err := s.Post(ctx, from, msg); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var last store.EventID
	for range n {
		if last, err = s.Post(ctx, from, msg); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	allocated := int64(after.TotalAlloc-before.TotalAlloc) / n

	runtime.ReadMemStats(&before)
	b, err := s.Read(ctx, at, store.EventID{}, store.ReadLimit{Messages: 1})
	runtime.ReadMemStats(&after)
	if err != nil || len(b.Messages) != 1 {
		t.Fatalf("Read: %v", err)
	}
	read := int64(after.TotalAlloc - before.TotalAlloc)

	// What the queued messages hold is what acknowledging them frees.
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := s.Ack(ctx, at, last); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := (int64(before.HeapAlloc) - int64(after.HeapAlloc)) / (n + 1)
	t.Logf("a %d-byte binary message: posting allocates %d bytes (%d beyond the bytes), %d stay in the heap while it is queued; reading it allocates %d",
		size, allocated, allocated-size, held, read)
	if allocated < size || allocated > size+size/8 || held > size+size/8 || read > size+size/8 {
		t.Errorf("posting a %d-byte message allocates %d bytes and holds %d; reading it allocates %d", size, allocated, held, read)
	}
}
