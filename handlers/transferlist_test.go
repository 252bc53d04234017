package handlers

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// transferBody is a post with data 1 and the listed ports.
func transferBody(ports ...port) string {
	s := `{"data":"with ports","transfer":[`
	for i, p := range ports {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(`{"port":%q,"token":%q}`, p.ID, p.Token)
	}
	return s + "]}"
}

// Ports listed in a message move to the receiver with it:
// the sender's tokens die and the message carries fresh ones.
func TestTransferList(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		a := c.createChannel()
		b := c.createChannel()
		d := c.createChannel()
		queued := c.send(b.Port2, `"waiting at b1"`)
		s := c.open(a.Port2, streamReq{})
		c.postJSON(a.Port1, transferBody(b.Port1, d.Port2)).want(t, http.StatusCreated)

		m := s.nextMessage()
		if len(m.Ports) != 2 || m.Ports[0].ID != b.Port1.ID || m.Ports[1].ID != d.Port2.ID {
			t.Fatalf("message ports: %+v", m.Ports)
		}
		for i, old := range []port{b.Port1, d.Port2} {
			got := m.Ports[i]
			if got.Token == old.Token || !urlSafe.MatchString(got.Token) {
				t.Errorf("port %s: token %q not fresh", got.ID, got.Token)
			}
			c.do(req{method: "GET", path: "/ports/" + old.ID, token: old.Token}).
				wantProblem(t, http.StatusForbidden, "port_transferred")
			c.describe(got)
		}
		// The moved port keeps its queue, and its peer still reaches it.
		b1 := m.Ports[0]
		if l := c.list(b1, ""); len(l.Messages) != 1 || l.Messages[0].ID != queued {
			t.Errorf("moved port's queue: %+v", l)
		}
		c.send(b.Port2, `"after the move"`)
		c.send(b1, `"from the new holder"`)
		// The same message over the long poll carries the same ports.
		if l := c.list(a.Port2, ""); len(l.Messages) != 1 || len(l.Messages[0].Ports) != 2 || l.Messages[0].Ports[0] != b1 {
			t.Errorf("long poll: %+v", l)
		}
	})
}

// Every refused transfer list is 422 invalid_transfer naming
// the entry and the reason, and nothing changes: no message, no port moved.
func TestTransferListRefused(t *testing.T) {
	onMemory(t, func(t *testing.T, e env) {
		c := e.server(t)
		a := c.createChannel()
		b := c.createChannel()
		closed := c.createChannel()
		c.closePort(closed.Port1).want(t, http.StatusNoContent)
		gone := c.createChannel()
		c.transfer(gone.Port1).want(t, http.StatusOK)
		unknown, _, _, err := store.NewChannelIDs(a.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			list   []port
			index  int
			reason string
		}{
			{"self", []port{a.Port1}, 0, "self"},
			{"peer", []port{b.Port1, a.Port2}, 1, "peer"},
			{"duplicate", []port{b.Port1, b.Port1}, 1, "duplicate"},
			{"closed", []port{closed.Port2}, 0, "closed"},
			{"unknown", []port{b.Port1, {ID: unknown, Token: b.Port1.Token}}, 1, "unauthorized"},
			{"malformed id", []port{{ID: "nope", Token: b.Port1.Token}}, 0, "unauthorized"},
			{"wrong token", []port{{ID: b.Port2.ID, Token: b.Port1.Token}}, 0, "unauthorized"},
			{"empty token", []port{{ID: b.Port2.ID}}, 0, "unauthorized"},
			{"transferred", []port{gone.Port1}, 0, "transferred"},
		}
		for _, tc := range cases {
			res := c.postJSON(a.Port1, transferBody(tc.list...))
			p := res.wantProblem(t, http.StatusUnprocessableEntity, "invalid_transfer")
			if p.TransferIndex == nil || *p.TransferIndex != tc.index || p.Reason != tc.reason || p.Port != tc.list[tc.index].ID {
				t.Errorf("%s: problem %+v (index %v), want index %d reason %s", tc.name, p, deref(p.TransferIndex), tc.index, tc.reason)
			}
		}
		// Nothing changed: no message at a2, every listed port still with
		// its holder.
		if info := c.describe(a.Port2); info.Queued != 0 || info.LastEventID != "" {
			t.Errorf("a refused list stored a message: %+v", info)
		}
		for _, p := range []port{a.Port1, a.Port2, b.Port1, b.Port2} {
			c.describe(p)
		}
		c.send(a.Port1, `"still works"`)
	})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
