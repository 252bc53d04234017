package handlers

import (
	"net/http"
	"strconv"
	"testing"
)

// Acknowledging deletes messages up to the id given, for
// good; acknowledging backwards is a no-op; bad ids change nothing.
func TestAck(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		ch := c.createChannel()
		var ids []string
		for i := range 4 {
			ids = append(ids, c.send(ch.Port1, strconv.Itoa(i)))
		}
		c.ack(ch.Port2, ids[1]).want(t, http.StatusNoContent)
		l := c.list(ch.Port2, "")
		if len(l.Messages) != 2 || l.Messages[0].ID != ids[2] {
			t.Fatalf("after ack: %+v", l)
		}
		info := c.describe(ch.Port2)
		if info.AckedEventID != ids[1] || info.Queued != 2 || info.LastEventID != ids[3] {
			t.Errorf("describe after ack: %+v", info)
		}
		c.ack(ch.Port2, ids[0]).want(t, http.StatusNoContent) // backwards
		if got := c.describe(ch.Port2); got.AckedEventID != ids[1] || got.Queued != 2 {
			t.Errorf("backwards ack changed: %+v", got)
		}

		for _, body := range []string{
			`{}`, `{"through":""}`, `{"through":"x"}`, `{"through":5}`, `{"through":null}`,
			`{"through":"99999999999999-0"}`, `{"through":"` + ids[3] + `","more":1}`,
			`{"through":"` + ids[3] + `"} {}`, `{"through":`, ``, `[]`,
		} {
			res := c.do(req{method: "POST", path: "/ports/" + ch.Port2.ID + "/ack", token: ch.Port2.Token, contentType: "application/json", body: body})
			if res.status != http.StatusBadRequest {
				t.Errorf("ack %s: status %d, want 400", body, res.status)
				continue
			}
			res.wantProblem(t, http.StatusBadRequest, "invalid_request")
		}
		if got := c.describe(ch.Port2); got.AckedEventID != ids[1] || got.Queued != 2 {
			t.Errorf("refused acks changed: %+v", got)
		}
		c.ack(ch.Port2, ids[3]).want(t, http.StatusNoContent)
		if got := c.list(ch.Port2, ""); len(got.Messages) != 0 {
			t.Errorf("all acknowledged, still listed: %+v", got)
		}
	})
}
