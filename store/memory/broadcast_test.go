package memory_test

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/memory"
)

func creds(pc store.PortCredentials) store.Credentials {
	return store.Credentials{PortID: pc.ID, Token: pc.Token}
}

// members makes a collection of n members, each port 1 of a channel of
// its own, and returns it with the members' peers.
func members(ctx context.Context, t testing.TB, s store.Store, n int) (store.NewCollection, []store.Credentials) {
	t.Helper()
	c, err := s.CreateCollection(ctx)
	if err != nil {
		t.Fatal(err)
	}
	peers := make([]store.Credentials, n)
	for i := range n {
		ch, err := s.CreateChannel(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddMember(ctx, c.ID, c.Token, creds(ch.Port1)); err != nil {
			t.Fatal(err)
		}
		peers[i] = creds(ch.Port2)
	}
	return c, peers
}

// TestBroadcastLetsOthersIn: a broadcast lets the store's lock go between
// batches of members, so that another call is served in the middle of it
// instead of waiting for the whole broadcast. The hook runs between
// batches; a post made from it, on another goroutine, must finish before
// the broadcast goes on (it would wait forever for a lock held across the
// broadcast: the guard only turns that into a failure).
func TestBroadcastLetsOthersIn(t *testing.T) {
	ctx := t.Context()
	s := memory.New(store.Limits{})
	defer s.Close()
	c, peers := members(ctx, t, s, 3*memory.BroadcastBatch)
	other, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var between int
	memory.SetBetweenBatches(s, func() {
		between++
		done := make(chan error, 1)
		go func() {
			_, err := s.Post(ctx, creds(other.Port1), store.Outgoing{Data: json.RawMessage(`"meanwhile"`)})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("a post between batches: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a post between two batches of a broadcast waited for the broadcast")
		}
	})
	res, err := s.Broadcast(ctx, c.ID, c.Token, store.Outgoing{Data: json.RawMessage(`"to all"`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Delivered) != len(peers) || between != 2 {
		t.Errorf("delivered %d of %d, %d pauses between batches; want all, 2 pauses", len(res.Delivered), len(peers), between)
	}
	if info, _ := s.Describe(ctx, creds(other.Port2)); info.Queued != 2 {
		t.Errorf("the other channel holds %d messages, want the 2 posted meanwhile", info.Queued)
	}
}

// TestBroadcastMeasured broadcasts 4 KiB to 10,000 members (40 MiB, within
// the default MaxBroadcastBytes) while another goroutine posts through an
// unrelated channel, and prints what it measures: how long the broadcast
// took, how many posts were served meanwhile and the slowest of them, and
// how much the heap grew. Timings are printed, not asserted. The data is
// stored once and shared by the members' queues, so the heap grows by
// the queue entries, far less than 10,000 copies (asserted with a wide
// margin: half the copies). Those are the figures of docs/SECURITY.md,
// with TINCAN_MEASURE=1; the suite broadcasts to an eighth of the members,
// whose 5 MiB of copies the ceiling, 2.5 MiB then, tells apart as well.
func TestBroadcastMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 1,250 channels")
	}
	ctx := t.Context()
	s := memory.New(store.Limits{})
	defer s.Close()
	const size = 4 << 10
	n := 1_250
	if os.Getenv("TINCAN_MEASURE") == "1" {
		n = 10_000
	}
	c, peers := members(ctx, t, s, n)
	other, err := s.CreateChannel(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	data := json.RawMessage(`"` + strings.Repeat("x", size-2) + `"`)
	heapBefore := heapInUse()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	var lat []time.Duration
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			id, err := s.Post(ctx, creds(other.Port1), store.Outgoing{Data: json.RawMessage(`1`)})
			if err != nil {
				t.Error(err)
				return
			}
			lat = append(lat, time.Since(start))
			_ = s.Ack(ctx, creds(other.Port2), id) // the queue stays empty
		}
	})
	start := time.Now()
	res, err := s.Broadcast(ctx, c.ID, c.Token, store.Outgoing{Data: data})
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Delivered) != n {
		t.Fatalf("delivered %d of %d", len(res.Delivered), n)
	}
	grew := heapInUse() - heapBefore
	slowest := slices.Max(append(lat, 0))
	t.Logf("broadcast of %d bytes to %d members: %v; %d posts through another channel meanwhile, the slowest %v; heap grew %.1f MiB",
		len(data), n, took.Round(time.Millisecond), len(lat), slowest.Round(time.Microsecond), float64(grew)/(1<<20))
	if ceiling := int64(n * size / 2); grew > ceiling {
		t.Errorf("the heap grew %.1f MiB for one broadcast of 4 KiB to %d members: is the data copied per member?", float64(grew)/(1<<20), n)
	}
	runtime.KeepAlive(peers)
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
