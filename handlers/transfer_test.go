package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A transfer mints a new token and kills the old one; the old
// holder's stream gets event: transferred and ends; queued messages stay
// for the new holder.
func TestTransfer(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		var ids []string
		for i := range 3 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		old := c.open(ch.Port2, streamReq{})
		for range 3 {
			old.nextMessage()
		}
		res := c.transfer(ch.Port2).want(t, http.StatusOK)
		moved := decodeBody[port](t, res)
		if moved.ID != ch.Port2.ID || !urlSafe.MatchString(moved.Token) || moved.Token == ch.Port2.Token {
			t.Fatalf("transfer answer: %+v", moved)
		}
		ev := old.next()
		if ev.typ != "transferred" || ev.hasID {
			t.Fatalf("old stream: %+v, want event: transferred without an id", ev)
		}
		var data struct{ Port string }
		if err := json.Unmarshal([]byte(ev.data), &data); err != nil || data.Port != ch.Port2.ID {
			t.Errorf("transferred data %q", ev.data)
		}
		old.wantEnd()

		// The old token is dead, and says why.
		c.do(req{method: "GET", path: "/ports/" + ch.Port2.ID, token: ch.Port2.Token}).
			wantProblem(t, http.StatusForbidden, "port_transferred")
		c.transfer(ch.Port2).wantProblem(t, http.StatusForbidden, "port_transferred")
		if s := c.open(ch.Port2, streamReq{}); s.status != http.StatusForbidden {
			t.Errorf("stream with the old token: %d", s.status)
		}

		// The new holder gets the unacknowledged messages, and can post.
		s := c.open(moved, streamReq{})
		for i := range 3 {
			if m := s.nextMessage(); m.ID != ids[i] {
				t.Fatalf("new holder, message %d: %s, want %s", i, m.ID, ids[i])
			}
		}
		c.send(moved, `"from the new holder"`)
		if l := c.list(ch.Port1, ""); len(l.Messages) != 1 || l.Messages[0].Source != ch.Port2.ID {
			t.Errorf("peer got %+v", l)
		}
		if info := c.describe(moved); info.Queued != 3 || info.Peer != ch.Port1.ID {
			t.Errorf("describe after transfer: %+v", info)
		}

		// A closed port cannot be transferred.
		c.closePort(ch.Port1).want(t, http.StatusNoContent)
		c.transfer(moved).wantProblem(t, http.StatusGone, "port_closed")
		c.describe(moved) // and its token still works
	})
}

// Of 16 concurrent transfers of one port, exactly one wins;
// the others learn the token died.
func TestConcurrentTransfers(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		const rounds, n = 5, 16
		for round := range rounds {
			ch := c.createChannel()
			p := ch.Port1
			var wg sync.WaitGroup
			results := make(chan int, n)
			tokens := make(chan string, n)
			start := make(chan struct{})
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					hr, _ := http.NewRequest("POST", c.url+"/ports/"+p.ID+"/transfer", nil)
					hr.Header.Set("Authorization", "Bearer "+p.Token)
					// Each its own key: these are rival holders, not
					// retries of one call.
					hr.Header.Set("Idempotency-Key", newKey())
					res, err := c.hc.Do(hr)
					if err != nil {
						t.Errorf("transfer: %v", err)
						return
					}
					var body struct{ Token string }
					if res.StatusCode == http.StatusOK {
						decodeInto(t, res, &body)
						tokens <- body.Token
					} else {
						res.Body.Close()
					}
					results <- res.StatusCode
				}()
			}
			close(start)
			wg.Wait()
			close(results)
			close(tokens)
			counts := map[int]int{}
			for s := range results {
				counts[s]++
			}
			if counts[http.StatusOK] != 1 || counts[http.StatusForbidden] != n-1 {
				t.Fatalf("round %d: statuses %v, want one 200 and %d 403", round, counts, n-1)
			}
			winner := port{ID: p.ID, Token: <-tokens}
			c.describe(winner)
		}
	})
}

// Issue 12, point 2: a transfer without an Idempotency-Key is refused
// before anything happens, so that no client can make a transfer whose
// lost answer it could not ask for again; the token still works after.
func TestTransferNeedsKey(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		c.send(ch.Port1, `"waiting"`)
		before := c.describe(ch.Port2)
		c.do(req{method: "POST", path: "/ports/" + ch.Port2.ID + "/transfer", token: ch.Port2.Token}).
			wantProblem(t, http.StatusBadRequest, "idempotency_key_required")
		for _, key := range []string{"", strings.Repeat("k", 256), "caf\u00e9"} {
			c.transferWithKey(ch.Port2, key).wantProblem(t, http.StatusBadRequest, "invalid_request")
		}
		if after := c.describe(ch.Port2); after.Queued != before.Queued || after.LastEventID != before.LastEventID || after.State != before.State {
			t.Errorf("refused transfers changed the port: %+v, was %+v", after, before)
		}
		// The token is still the port's: it transfers, with a key.
		c.transfer(ch.Port2).want(t, http.StatusOK)
	})
}

// Issue 12, point 2: a transfer whose answer was lost is asked for again
// with the same key and the same, now dead, token, and answers the same
// new token, marked replayed, without transferring again. The key is the
// caller's: the new holder's token with the same key transfers afresh.
func TestTransferReplay(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		id := c.send(ch.Port1, `"waiting"`)
		first := c.transferWithKey(ch.Port2, "t-1").want(t, http.StatusOK)
		wantReplayed(t, first, false)
		moved := decodeBody[port](t, first)
		for range 2 {
			again := c.transferWithKey(ch.Port2, "t-1").want(t, http.StatusOK)
			wantReplayed(t, again, true)
			if string(again.body) != string(first.body) {
				t.Fatalf("replay answered %s, first %s", again.body, first.body)
			}
		}
		// One transfer happened: the answered token is the live one.
		if l := c.list(moved, ""); len(l.Messages) != 1 || l.Messages[0].ID != id {
			t.Errorf("the new holder reads %+v, want %s", l.Messages, id)
		}
		c.transfer(ch.Port2).wantProblem(t, http.StatusForbidden, "port_transferred")
		next := c.transferWithKey(moved, "t-1").want(t, http.StatusOK)
		wantReplayed(t, next, false)
		if p := decodeBody[port](t, next); p.Token == moved.Token {
			t.Errorf("the new holder's transfer under the key answered the first call's token")
		}
	})
}
