package fault

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// settleLimit bounds how long a careful client goes on retrying a
// transfer whose answer it did not get: longer than a failover and the
// resynchronisation of a replica, which with REDIS_WAIT_REPLICAS=all
// every write waits for.
const settleLimit = 30 * time.Second

// settleTransfer transfers port under key, and retries with the same key
// and the same token an attempt answered 503 (or 5xx) or not at all, as a
// client that must not lose the port would, until another answer comes
// or limit passes. It returns the new credentials of a 200, the last
// answer, and how many requests it took.
func (c client) settleTransfer(targets []string, port portCreds, key string, limit time.Duration) (portCreds, answer, int) {
	deadline := time.Now().Add(limit)
	for try := 1; ; try++ {
		pc, a := c.transfer(targets[try%len(targets)], port, key)
		if (a.Status != 0 && a.Status < 500) || time.Now().After(deadline) {
			return pc, a, try
		}
		time.Sleep(retryPause)
	}
}

// Transfers transfers some ports again and again, each through a chain of
// tokens: every transfer under a new Idempotency-Key, presenting the
// token the last one gave. Each token a 200 gave is recorded, so that the
// check can prove afterwards that no acknowledged transfer was undone.
type Transfers struct {
	c        client
	targets  []string
	interval time.Duration
	chains   []*chain
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

// chain is one port's history of acknowledged transfers.
type chain struct {
	port string
	// tokens are the port's tokens in the order they were given: the
	// channel's creation, then each acknowledged transfer.
	tokens []string
	// retried counts transfers that took more than one request.
	retried int
	// broken says why the chain stopped: a transfer that its retries
	// could not settle, or that was refused.
	broken string
}

// NewTransfers creates n channels through the first target, whose first
// ports will be transferred every interval.
func NewTransfers(tb testing.TB, targets []string, n int, interval time.Duration) *Transfers {
	tb.Helper()
	x := &Transfers{c: newClient(), targets: targets, interval: interval}
	for range n {
		ch := createChannelSoon(tb, x.c, targets[0])
		x.chains = append(x.chains, &chain{port: ch.Port1.ID, tokens: []string{ch.Port1.Token}})
	}
	return x
}

// createChannelSoon creates a channel through base, retrying for a few
// seconds: a service just started may answer 503 for a moment.
func createChannelSoon(tb testing.TB, c client, base string) channel {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ch, err := c.createChannel(base)
		if err == nil {
			return ch
		}
		if time.Now().After(deadline) {
			tb.Fatalf("create a channel: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Start starts one goroutine per chain; they run until Stop.
func (x *Transfers) Start() {
	ctx, stop := context.WithCancel(context.Background())
	x.stop = stop
	for _, ch := range x.chains {
		x.wg.Go(func() { x.run(ctx, ch) })
	}
}

// Stop stops the chains once each has settled the transfer it was making,
// so that every chain ends on a token it knows to be the port's.
func (x *Transfers) Stop() {
	if x.stop == nil {
		return
	}
	x.stop()
	x.wg.Wait()
	x.stop = nil
}

func (x *Transfers) run(ctx context.Context, ch *chain) {
	for k := 0; sleepCtx(ctx, x.interval); k++ {
		key := fmt.Sprintf("transfer-%s-%d", ch.port, k)
		pc, a, tries := x.c.settleTransfer(x.targets, portCreds{ID: ch.port, Token: ch.tokens[len(ch.tokens)-1]}, key, settleLimit)
		if a.Status != http.StatusOK {
			ch.broken = fmt.Sprintf("transfer #%d of port %s (token #%d, %d requests under one key) answered %v: the port is stranded",
				k+1, ch.port, len(ch.tokens)-1, tries, a)
			return
		}
		if tries > 1 {
			ch.retried++
		}
		ch.tokens = append(ch.tokens, pc.Token)
	}
}

// Check proves, after Stop, that every acknowledged transfer stands: each
// port's newest token works, and no token it was transferred away from
// works again (a failover that rolled a transfer back would revive one).
// It returns how many transfers were acknowledged, how many of them were
// retried under their key, and one line per broken promise.
func (x *Transfers) Check(base string) (acked, retried int, violations []string) {
	for _, ch := range x.chains {
		acked += len(ch.tokens) - 1
		retried += ch.retried
		if ch.broken != "" {
			violations = append(violations, ch.broken)
		}
		newest := len(ch.tokens) - 1
		for i, tok := range ch.tokens {
			status := x.describeSettled(base, portCreds{ID: ch.port, Token: tok})
			switch {
			case i == newest && ch.broken != "":
				// The transfer that broke the chain may have happened:
				// the newest token known proves nothing either way.
			case i == newest && status != http.StatusOK:
				violations = append(violations, fmt.Sprintf("port %s: its newest token (#%d, acknowledged) answers %d: an acknowledged transfer was undone", ch.port, i, status))
			case i < newest && status == http.StatusOK:
				violations = append(violations, fmt.Sprintf("port %s: token #%d of %d, transferred away with a 200, works again", ch.port, i, newest))
			}
		}
	}
	return acked, retried, violations
}

// describeSettled is describeStatus, retried while the store is
// unavailable (5xx, no answer) for up to 10 s.
func (x *Transfers) describeSettled(base string, port portCreds) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, err := x.c.describeStatus(base, port)
		if (err == nil && status < 500) || time.Now().After(deadline) {
			return status
		}
		time.Sleep(retryPause)
	}
}
