package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// Contract 9: a transfer mints a new token and kills the old one; the old
// holder's stream gets event: transferred and ends; queued messages stay
// for the new holder.
func TestTransfer(t *testing.T) {
	forEachStore(t, func(t *testing.T, e env) {
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

// Contract 9: of 16 concurrent transfers of one port, exactly one wins;
// the others learn the token died.
func TestConcurrentTransfers(t *testing.T) {
	forEachStore(t, func(t *testing.T, e env) {
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
