package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/internal/redistest"
	"github.com/tincan-dev/tincan/store"
	"github.com/tincan-dev/tincan/store/redis"
)

// TestBatchAcrossFailover: posts from many callers at once, batched (the
// store sends far fewer round trips than posts), while Sentinel fails the
// primary over. Each post's answer is its own: an id answered to a poster
// names that poster's message, never another's, and a failed post is
// unavailable (or, sent and unanswered, unknown), never another error.
// Acknowledged posts may be lost here (no WaitReplicas): only the ones
// still there are checked.
func TestBatchAcrossFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis Sentinel")
	}
	t.Parallel()
	sn := redistest.StartSentinel(t)
	s := sentinelStore(t, sn, redis.Options{})
	ctx := t.Context()
	const posters = 16
	chans := make([]store.NewChannel, posters)
	for i := range chans {
		var err error
		if chans[i], err = s.CreateChannel(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	waitReplica(t, sn)

	type ack struct {
		id   store.EventID
		data string
	}
	acks := make([][]ack, posters)
	var killed, after atomic.Int64 // after: posts acknowledged after the kill
	stop := make(chan struct{})
	var wg sync.WaitGroup
	trips := redis.RoundTrips(s)
	var sent atomic.Int64
	for p := range posters {
		wg.Go(func() {
			from := creds(chans[p].Port1)
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				data := fmt.Sprintf(`"%d-%d"`, p, seq)
				pctx, cancel := context.WithTimeout(ctx, time.Second)
				id, err := s.Post(pctx, from, store.Outgoing{Data: []byte(data)})
				cancel()
				sent.Add(1)
				switch {
				case err == nil:
					acks[p] = append(acks[p], ack{id, data})
					if killed.Load() != 0 {
						after.Add(1)
					}
				case !errors.Is(err, store.ErrUnavailable):
					t.Errorf("poster %d: %v, want unavailable", p, err)
					return
				default:
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	// Some posts before the kill, then the kill, then posts again.
	for sent.Load() < 10*posters {
		time.Sleep(10 * time.Millisecond)
	}
	killed.Store(time.Now().UnixNano())
	sn.Primary.Stop()
	limit := time.Now().Add(redistest.SentinelDownAfter + redistest.SentinelFailoverTimeout + 30*time.Second)
	for after.Load() < 10*posters && time.Now().Before(limit) {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if after.Load() < 10*posters {
		t.Fatalf("%d posts acknowledged after the failover, want %d", after.Load(), 10*posters)
	}
	t.Logf("%d posts in %d round trips", sent.Load(), redis.RoundTrips(s)-trips)

	lost := 0
	for p, ch := range chans {
		got := map[store.EventID]string{}
		from := store.EventID{}
		for {
			b, err := s.Read(ctx, creds(ch.Port2), from, store.ReadLimit{Messages: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range b.Messages {
				got[m.ID] = string(m.Data)
				if !strings.HasPrefix(string(m.Data), fmt.Sprintf(`"%d-`, p)) {
					t.Errorf("channel %d holds %s, another poster's", p, m.Data)
				}
				from = m.ID
			}
			if len(b.Messages) == 0 {
				break
			}
		}
		for _, a := range acks[p] {
			d, ok := got[a.id]
			if !ok {
				lost++
				continue
			}
			if d != a.data {
				t.Errorf("poster %d was answered id %v for %s, which holds %s", p, a.id, a.data, d)
			}
		}
	}
	t.Logf("%d acknowledged posts lost to the failover (asynchronous replication)", lost)
}
