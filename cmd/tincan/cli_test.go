package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tincan-dev/tincan/api/client"
)

// png is the start of a PNG file: bytes that are no text.
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff")

// TestCLI drives a real tincan, on each store, with nothing but the CLI:
// the README's walkthrough, listen to a close, a transfer, refusals.
func TestCLI(t *testing.T) {
	t.Parallel()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			base := startAPI(t, s.env(t)).Base
			t.Run("walkthrough", func(t *testing.T) { testWalkthrough(t, base) })
			t.Run("text", func(t *testing.T) { testText(t, base) })
			t.Run("close", func(t *testing.T) { testClose(t, base) })
			t.Run("transfer", func(t *testing.T) { testTransfer(t, base) })
			t.Run("hand over", func(t *testing.T) { testHandOver(t, base) })
			t.Run("refusals", func(t *testing.T) { testRefusals(t, base) })
		})
	}
}

// testWalkthrough posts text, JSON, a file and stdin, and listens: JSON
// lines, each message as posted, each acknowledged.
func testWalkthrough(t *testing.T, base string) {
	p1, p2 := channel(t, base)
	file := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(file, png, 0o600); err != nil {
		t.Fatal(err)
	}
	jsonData := `{"z":1,"big":12345678901234567890,"nested":[true,null,"x"]}`
	ids := []string{
		posted(t, base, "", p1, "hello", "world"),
		posted(t, base, "", p1, "-json", jsonData),
		posted(t, base, "", p1, "-file", file),
		posted(t, base, "lines\nfrom stdin\n", p1, "-"),
		posted(t, base, "just bytes", p1, "-file", "-", "-type", "application/x-thing"),
	}

	out := ok(t, base, "", "listen", "-n", "5", p2)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("listen -n 5 printed %d lines:\n%s", len(lines), out)
	}
	var got []client.MessageEvent
	for i, line := range lines {
		ev, m := parseEvent(t, line)
		if ev.Event != "message" || ev.ID != ids[i] || m.Id != ids[i] || m.Source != strings.Split(p1, ":")[0] {
			t.Errorf("line %d: %s; want the message %s from %s", i+1, line, ids[i], p1)
		}
		got = append(got, m)
	}
	if string(got[0].Data) != `"hello world"` || string(got[1].Data) != jsonData ||
		string(got[3].Data) != `"lines\nfrom stdin\n"` {
		t.Errorf("data: %s, %s, %s", got[0].Data, got[1].Data, got[3].Data)
	}
	for i, want := range []struct {
		ct   string
		body []byte
	}{{"image/png", png}, {"application/x-thing", []byte("just bytes")}} {
		m := got[2+2*i]
		if m.ContentType == nil || *m.ContentType != want.ct || !bytes.Equal(m.Binary, want.body) || m.Data != nil {
			t.Errorf("binary message %s: %s %q %s; want %s %q", m.Id, ptrString(m.ContentType), m.Binary, m.Data, want.ct, want.body)
		}
	}

	// Each printed message was acknowledged: nothing is left, and a
	// second listen waits for a new one.
	if d := describe(t, base, p2); d.Queued != 0 || d.Acknowledged != 5 || d.AckedEventId != ids[4] {
		t.Errorf("after listen: queued %d, acknowledged %d through %s", d.Queued, d.Acknowledged, d.AckedEventId)
	}
	l := start(t, base, "listen", "-n", "1", p2)
	last := posted(t, base, "", p1, "the", "next", "one")
	if ev, m := parseEvent(t, l.next(t)); ev.ID != last || string(m.Data) != `"the next one"` {
		t.Errorf("the second listen: %+v", ev)
	}
	if err := l.wait(t); err != nil {
		t.Errorf("listen -n 1: %v", err)
	}
}

// testText checks the output for people: create's ports, post's id, and
// messages as text, JSON and a file's type and size, saved under -out.
func testText(t *testing.T, base string) {
	out := ok(t, base, "", "-format", "text", "create")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "channel ") {
		t.Fatalf("create printed %q", out)
	}
	p1 := strings.TrimSpace(strings.TrimPrefix(lines[1], "port1"))
	p2 := strings.TrimSpace(strings.TrimPrefix(lines[2], "port2"))
	if !shellSafe.MatchString(p1) || !shellSafe.MatchString(p2) {
		t.Fatalf("create printed %q", out)
	}
	if out := ok(t, base, "", "-format", "text", "post", p1, "hi there"); !strings.HasPrefix(out, "posted ") {
		t.Errorf("post printed %q", out)
	}
	// After "--", what looks like a flag is text; the token may come
	// from TINCAN_TOKEN.
	id1, token1, _ := strings.Cut(p1, ":")
	if r := tincanEnv(t, base, map[string]string{"TINCAN_TOKEN": token1}, "post", id1, "--", "-n", "2"); r.err != nil {
		t.Errorf("post with TINCAN_TOKEN: %v %s", r.err, r.stderr)
	}
	posted(t, base, "", p1, "-json", `{"n":[1,2]}`)
	id := posted(t, base, string(png), p1, "-file", "-")
	// A peer's text cannot drive the terminal.
	posted(t, base, "", p1, "\x1b]0;owned\x07red:\x1b[31m\r")

	dir := filepath.Join(t.TempDir(), "received")
	out = ok(t, base, "", "-format", "text", "listen", "-n", "5", "-out", dir, p2)
	file := filepath.Join(dir, id+".png")
	want := "hi there\n-n 2\n" + `{"n":[1,2]}` + "\n[image/png, " + strconv.Itoa(len(png)) + " bytes, in " + file + "]\n" +
		`\x1b]0;owned\a` + `red:\x1b[31m\r` + "\n"
	if out != want {
		t.Errorf("listen printed\n%s\nwant\n%s", out, want)
	}
	if b, err := os.ReadFile(file); err != nil || !bytes.Equal(b, png) {
		t.Errorf("-out wrote %q (%v), want the posted bytes", b, err)
	}
}

// testClose: a listen ends, with 0, when the channel closes, after what
// was queued before; and a listen at a closed, emptied port ends at once.
func testClose(t *testing.T, base string) {
	p1, p2 := channel(t, base)
	l := start(t, base, "listen", p2)
	first := posted(t, base, "", p1, "first")
	if ev, _ := parseEvent(t, l.next(t)); ev.ID != first {
		t.Errorf("listen: %+v, want %s", ev, first)
	}
	last := posted(t, base, "", p1, "last")
	var closed map[string]string
	if out := ok(t, base, "", "close", p1); json.Unmarshal([]byte(out), &closed) != nil || closed["state"] != "closed" {
		t.Errorf("close printed %q", out)
	}
	if ev, _ := parseEvent(t, l.next(t)); ev.ID != last {
		t.Errorf("listen: %+v, want %s", ev, last)
	}
	ev, _ := parseEvent(t, l.next(t))
	var c client.CloseEvent
	if ev.Event != "close" || json.Unmarshal(ev.Data, &c) != nil || c.Port != strings.Split(p2, ":")[0] {
		t.Errorf("listen after the close: %+v", ev)
	}
	if err := l.wait(t); err != nil {
		t.Errorf("listen ended with %v, want nil; stderr:\n%s", err, l.stderr)
	}

	// Nothing left: the service answers 204, and listen ends with 0.
	if r := tincan(t, base, "", "listen", p2); r.err != nil || r.stdout != "" {
		t.Errorf("listen at a closed port: %+v", r)
	}
	// Closing again is no error.
	ok(t, base, "", "close", p2)
}

// testTransfer: transfer prints new credentials; the old ones fail, a
// listen holding them ends with an error, the new ones work.
func testTransfer(t *testing.T, base string) {
	p1, p2 := channel(t, base)
	l := start(t, base, "listen", p2)
	// The listen is connected once it has printed something.
	first := posted(t, base, "", p1, "before")
	if ev, _ := parseEvent(t, l.next(t)); ev.ID != first {
		t.Fatalf("listen: %+v", ev)
	}

	out := ok(t, base, "", "transfer", p2)
	var moved client.PortCredentials
	if err := json.Unmarshal([]byte(out), &moved); err != nil || moved.Id != strings.Split(p2, ":")[0] || moved.Token == "" {
		t.Fatalf("transfer printed %q", out)
	}
	p2new := moved.Id + ":" + moved.Token

	ev, _ := parseEvent(t, l.next(t))
	if ev.Event != "transferred" {
		t.Errorf("listen after the transfer: %+v", ev)
	}
	err := l.wait(t)
	if err == nil || !strings.Contains(err.Error(), "transferred") || exitCode(err) != exitFailure {
		t.Errorf("listen after the transfer ended with %v", err)
	}

	for _, args := range [][]string{{"post", p2, "x"}, {"listen", p2}, {"transfer", p2}, {"close", p2}} {
		r := tincan(t, base, "", args...)
		wantProblem(t, r, "port_transferred")
	}

	reply := posted(t, base, "", p2new, "from", "the", "new", "holder")
	if ev, m := parseEvent(t, strings.TrimSpace(ok(t, base, "", "listen", "-n", "1", p1))); ev.ID != reply || string(m.Data) != `"from the new holder"` {
		t.Errorf("listen at port1: %+v", ev)
	}
	if out := ok(t, base, "", "-format", "text", "transfer", p2new); !shellSafe.MatchString(strings.TrimSpace(out)) {
		t.Errorf("transfer printed %q for people", out)
	}
}

// testHandOver moves ports inside messages (post -transfer): the
// receiver's listen prints each with its new token, which works, while
// the sender's token for it is dead.
func testHandOver(t *testing.T, base string) {
	a1, a2 := channel(t, base)
	b1, b2 := channel(t, base)
	b1ID, b2ID := strings.Split(b1, ":")[0], strings.Split(b2, ":")[0]
	posted(t, base, "", "-transfer", b1, a1, "take", "b1")
	out := ok(t, base, "", "-format", "text", "listen", "-n", "1", a2)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	const carried = ", handed over with the message"
	if len(lines) != 2 || lines[0] != "take b1" || !strings.HasPrefix(lines[1], "  + port "+b1ID+":") || !strings.HasSuffix(lines[1], carried) {
		t.Fatalf("listen printed %q", out)
	}
	b1new := strings.TrimSuffix(strings.TrimPrefix(lines[1], "  + port "), carried)
	if b1new == b1 || !shellSafe.MatchString(b1new) {
		t.Fatalf("the handed-over port %q, before %q", b1new, b1)
	}
	wantProblem(t, tincan(t, base, "", "post", b1, "old token"), "port_transferred")
	posted(t, base, "", b1new, "new", "holder")

	// With JSON data, and two ports at once: b2 and a channel's port.
	c1, _ := channel(t, base)
	posted(t, base, "", a1, "-json", `{"k":1}`, "-transfer", b2, "-transfer", c1)
	ev, m := parseEvent(t, strings.TrimSpace(ok(t, base, "", "listen", "-n", "1", a2)))
	if string(m.Data) != `{"k":1}` || len(m.Ports) != 2 || m.Ports[0].Id != b2ID || m.Ports[1].Id != strings.Split(c1, ":")[0] {
		t.Fatalf("listen printed %+v", ev)
	}
	b2new := m.Ports[0].Id + ":" + m.Ports[0].Token
	if ev, m := parseEvent(t, strings.TrimSpace(ok(t, base, "", "listen", "-n", "1", b2new))); string(m.Data) != `"new holder"` {
		t.Errorf("b2 with its new token: %+v", ev)
	}

	// A refused transfer list stores nothing: the sender's own peer.
	wantProblem(t, tincan(t, base, "", "post", "-transfer", a2, a1, "no"), "invalid_transfer")
}

// testRefusals: the service's problems print as code: detail, exit 1.
func testRefusals(t *testing.T, base string) {
	p1, p2 := channel(t, base)
	id := strings.Split(p2, ":")[0]
	wrong := id + ":" + strings.Split(p1, ":")[1]
	wantProblem(t, tincan(t, base, "", "listen", wrong), "unauthorized")
	wantProblem(t, tincan(t, base, "", "post", wrong, "x"), "unauthorized")
	wantProblem(t, tincan(t, base, "", "post", "01ARZ3NDEKTSV4RRFFQ69G5FAV:nope", "x"), "")
	ok(t, base, "", "close", p1)
	wantProblem(t, tincan(t, base, "", "post", p1, "too late"), "port_closed")
}

// wantProblem checks that a run ended with the service's refusal with
// code (any, when code is empty), printed as "code: detail", exit 1.
func wantProblem(t *testing.T, r result, code string) {
	t.Helper()
	var pe *problemError
	if !errors.As(r.err, &pe) || (code != "" && pe.p.Code != code) || exitCode(r.err) != exitFailure {
		t.Errorf("ended with %v, want the problem %s", r.err, code)
		return
	}
	if msg := r.err.Error(); !strings.HasPrefix(msg, pe.p.Code+": ") || pe.p.Detail == "" || !strings.HasSuffix(msg, pe.p.Detail) {
		t.Errorf("the problem reads %q, want code: detail", msg)
	}
	if r.stdout != "" {
		t.Errorf("a refusal printed %q to stdout", r.stdout)
	}
}

// describe describes a port through the generated client.
func describe(t *testing.T, base, p string) client.Port {
	t.Helper()
	c, err := client.NewClientWithResponses(base)
	if err != nil {
		t.Fatal(err)
	}
	id, token, _ := strings.Cut(p, ":")
	res, err := c.DescribePortWithResponse(context.Background(), id, client.Bearer(token))
	if err != nil || res.JSON200 == nil {
		t.Fatalf("describe %s: %v %s", id, err, res.Body)
	}
	return *res.JSON200
}

func ptrString(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
