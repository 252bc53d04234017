package main

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// acker acknowledges what one reader has read, as a consumer of the api
// does, so that the port's queue holds only what is still unread: one
// POST /ports/{id}/ack at a time, through the newest id read by then, so
// that under load one acknowledgement covers many messages. Reading never
// waits for it.
type acker struct {
	t      *target
	client *http.Client
	ch     channel

	mu      sync.Mutex
	pending string // the newest id read and not yet acknowledged
	wake    chan struct{}

	// acks and errs are written by run's goroutine only, and read once
	// it has ended.
	acks, errs int
}

func newAcker(t *target, client *http.Client, ch channel) *acker {
	return &acker{t: t, client: client, ch: ch, wake: make(chan struct{}, 1)}
}

// read notes that the reader has read id.
func (a *acker) read(id string) {
	a.mu.Lock()
	a.pending = id
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// pacedAckEvery is how far apart the readers of the "acks every 10 ms"
// rows acknowledge: a consumer that commits what it has read on a
// period, as Kafka's consumers do, rather than after every read. An
// acknowledgement through an id covers every message before it, so no
// message is left unacknowledged; each one waits up to this long more to
// be deleted from its queue.
const pacedAckEvery = 10 * time.Millisecond

// paced is t with readers that acknowledge at most every pacedAckEvery,
// named name: the same processes, so its rows' CPU figures are theirs.
func (t *target) paced(name string) *target {
	p := *t
	p.name = name
	p.ackEvery = pacedAckEvery
	return &p
}

// start acknowledges in a goroutine of its own until the returned stop is
// called; stop acknowledges what is left, unless ctx has ended, and
// returns once the goroutine has.
func (a *acker) start(ctx context.Context) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		for {
			select {
			case <-a.wake:
				sent := time.Now()
				a.ackPending(ctx)
				if a.t.ackEvery > 0 {
					select {
					case <-time.After(a.t.ackEvery - time.Since(sent)):
					case <-done:
					case <-ctx.Done():
					}
				}
			case <-done:
				a.ackPending(ctx)
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}

// ackPending acknowledges through the newest id read, if any is left.
func (a *acker) ackPending(ctx context.Context) {
	a.mu.Lock()
	id := a.pending
	a.pending = ""
	a.mu.Unlock()
	if id == "" || ctx.Err() != nil {
		return
	}
	body, _ := json.Marshal(struct {
		Through string `json:"through"`
	}{id})
	err := a.t.callAt(ctx, a.client, a.ch.readBase, http.MethodPost, "/ports/"+a.ch.readID+"/ack", a.ch.eventsToken, "application/json", body, http.StatusNoContent, nil)
	switch {
	case err == nil:
		a.acks++
	case ctx.Err() == nil:
		a.errs++
	}
}

// queued is how many messages wait at ch's reading port, as the api
// describes it.
func (t *target) queued(ctx context.Context, client *http.Client, ch channel) (int, error) {
	var info struct {
		Queued int `json:"queued"`
	}
	err := t.callAt(ctx, client, ch.readBase, http.MethodGet, "/ports/"+ch.readID, ch.eventsToken, "", nil, http.StatusOK, &info)
	return info.Queued, err
}
