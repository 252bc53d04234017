package client_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"iter"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/api/client"
	"github.com/tincan-dev/tincan/internal/apitest"
)

// TestBinaryEndToEnd sends and receives bytes with nothing but the
// generated client, on each store: raw bodies of any content type, bytes
// and a port in one JSON post, and the same bytes back from a long poll,
// an event stream, and the raw body route, with a token and with a message
// ticket. A post without a Content-Type is refused.
func TestBinaryEndToEnd(t *testing.T) {
	for _, s := range apitest.Stores {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			base, c := apitest.Start(t, s.Open(t), nil)
			e := &e2e{t: t, c: c}
			ch, other := e.createChannel(), e.createChannel()

			// Every byte value, invalid UTF-8, NULs, CR/LF, and lines an
			// SSE or JSON reader would trip on; the largest message.
			tricky := []byte("data: {\"x\":1}\r\n\r\nid: 9\n\x00\xc3\x28\xff")
			for b := range 256 {
				tricky = append(tricky, byte(b))
			}
			rng := rand.New(rand.NewPCG(12, 15))
			large := make([]byte, 256<<10)
			for i := range large {
				large[i] = byte(rng.Uint32())
			}
			copy(large, tricky)
			sent := []struct {
				contentType string
				bytes       []byte
			}{
				{"application/octet-stream", tricky},
				{"image/png", []byte{}},
				{"application/x-protobuf", large},
			}
			var ids []string
			for _, m := range sent {
				res, err := c.PostMessageWithBodyWithResponse(e.ctx(), ch.Port1.Id, nil, m.contentType, bytes.NewReader(m.bytes), client.Bearer(ch.Port1.Token))
				mustStatus(t, "post "+m.contentType, res, err, http.StatusCreated)
				ids = append(ids, res.JSON201.Id)
			}
			// Bytes and a port in one message.
			withPort := e.post(ch.Port1, client.PostMessageRequest{
				Binary:      tricky,
				ContentType: ptr("image/gif"),
				Transfer:    []client.TransferEntry{{Port: other.Port1.Id, Token: other.Port1.Token}},
			})

			res, err := c.PostMessageWithBodyWithResponse(e.ctx(), ch.Port1.Id, nil, "", strings.NewReader("what am I?"), client.Bearer(ch.Port1.Token))
			mustStatus(t, "post without a Content-Type", res, err, http.StatusUnsupportedMediaType)
			wantProblem(t, "post without a Content-Type", res, res.ApplicationproblemJSON415, client.ProblemCodeContentTypeRequired)

			want := func(what string, m client.Message, contentType string, b []byte) {
				t.Helper()
				if m.Data != nil || m.ContentType == nil || string(*m.ContentType) != contentType || digest(m.Binary) != digest(b) {
					t.Errorf("%s: data %.20q, %s of %v; want %s of %s", what, m.Data, digest(m.Binary), m.ContentType, digest(b), contentType)
				}
			}
			l := e.list(ch.Port2, nil)
			if len(l.Messages) != len(sent)+1 {
				t.Fatalf("long poll: %d messages", len(l.Messages))
			}
			for i, m := range sent {
				want(fmt.Sprintf("long poll %d", i), l.Messages[i], m.contentType, m.bytes)
			}
			want("long poll, with a port", l.Messages[len(sent)], "image/gif", tricky)
			if ports := l.Messages[len(sent)].Ports; len(ports) != 1 || ports[0].Id != other.Port1.Id || l.Messages[len(sent)].Id != withPort {
				t.Errorf("the carried port: %+v", ports)
			}

			sres, err := c.StreamEvents(e.ctx(), ch.Port2.Id, nil, client.Bearer(ch.Port2.Token))
			if err != nil || sres.StatusCode != http.StatusOK {
				t.Fatalf("stream: %v %v", sres, err)
			}
			defer sres.Body.Close()
			next, stop := iter.Pull2(gosse.Read(sres.Body, &gosse.ReadConfig{MaxEventSize: 1 << 20}))
			defer stop()
			for i, m := range sent {
				var ev client.MessageEvent
				decodeEvent(t, nextEvent(t, next), "message", &ev)
				want(fmt.Sprintf("stream %d", i), client.Message(ev), m.contentType, m.bytes)
			}

			// The raw body, with the token and through a message ticket.
			body, err := c.GetMessageBodyWithResponse(e.ctx(), ch.Port2.Id, ids[2], nil, client.Bearer(ch.Port2.Token))
			if err != nil || body.StatusCode() != http.StatusOK || digest(body.Body) != digest(large) || body.HTTPResponse.Header.Get("Content-Type") != "application/x-protobuf" {
				t.Fatalf("raw body: %v, %v", body.Status(), err)
			}
			tk, err := c.CreateMessageTicketWithResponse(e.ctx(), ch.Port2.Id, ids[0], client.CreateMessageTicketJSONRequestBody{}, client.Bearer(ch.Port2.Token))
			mustStatus(t, "message ticket", tk, err, http.StatusCreated)
			got, err := http.Get(base + tk.JSON201.Url)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Body.Close()
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(got.Body); err != nil || got.StatusCode != http.StatusOK || digest(buf.Bytes()) != digest(tricky) {
				t.Errorf("through the ticket: %d, %s, %v", got.StatusCode, digest(buf.Bytes()), err)
			}
		})
	}
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes, sha256 %x", len(b), sum[:6])
}
