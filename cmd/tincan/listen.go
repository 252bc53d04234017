package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	gosse "github.com/tmaxmax/go-sse"

	"github.com/tincan-dev/tincan/api/client"
)

const listenUsage = `Usage: tincan listen [-n N] [-out DIR] PORT

Prints the messages arriving at PORT (ID:TOKEN) from its event stream,
oldest first, and acknowledges each once it is printed, so that the next
listen starts after it. It starts after the last acknowledged message and goes on
until the channel is closed (exit 0), -n messages are printed (exit 0), or
the port is transferred or its token refused (exit 1).

On a terminal a text message prints as its text, a JSON one as JSON, and
a binary one as its content type and size. Otherwise each event prints as
one line of JSON, {"event":...,"id":...,"data":...}, with data the event's
JSON as the service sent it: "message" events (data is the message:
data, or binary and content_type, source, ports...), "messageerror",
"reset", "close" and "transferred".

When the stream drops or the service restarts, it reconnects and resumes
after the last message it printed (Last-Event-ID), waiting longer after
each failed attempt, up to 15 s, and as long as Retry-After asks on 409,
429 and 503. It stops on Ctrl-C.

  -n N       stop after N messages (0, the default: no limit)
  -out DIR   write each binary message's bytes to DIR/ID.EXT as well
`

// Reading a stream: the largest event it takes, far more than a message
// of the largest MAX_MESSAGE_SIZE as base64 in JSON, and how long it may
// be silent before it is taken for dead and opened again (the service
// sends a keep-alive every 15 s by default).
const (
	maxEventSize = 64 << 20
	streamIdle   = 2 * time.Minute
)

func runListen(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("listen")
	n := fs.Int("n", 0, "")
	outDir := fs.String("out", "", "")
	rest, err := parseFlags(fs, listenUsage, args, e.out.w, e.stderr, true)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usage(e.stderr, listenUsage, fmt.Sprintf("listen takes one PORT, got %d arguments", len(rest)))
	}
	if *n < 0 {
		return usage(e.stderr, listenUsage, "listen: -n must not be negative (0: no limit)")
	}
	p, err := parsePort(rest[0], e.getenv)
	if err != nil {
		return usage(e.stderr, listenUsage, "listen: "+err.Error())
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return fmt.Errorf("listen: -out: %w", err)
		}
	}
	l := &listener{env: e, port: p, limit: *n, outDir: *outDir}
	err = l.listen(ctx)
	if ctx.Err() != nil {
		// Interrupted: listening ends here, as it was asked to.
		return nil
	}
	return err
}

// listener follows one port's event stream across reconnections.
type listener struct {
	*env
	port   port
	limit  int // 0: no limit
	outDir string

	// last is the id of the last message printed and acknowledged: the
	// resume point of the next connection.
	last string
	// printed counts the messages printed.
	printed int
}

// listen opens the stream and reads it, again and again, until it ends
// for good: nil for a close, a 204 or -n messages, an error for the rest.
func (l *listener) listen(ctx context.Context) error {
	failures := 0
	for {
		end := l.connect(ctx)
		if end.final || ctx.Err() != nil {
			return end.err
		}
		if end.opened {
			// It ran, and dropped or was ended (as the service ends its
			// streams when it shuts down): the first wait is the short one.
			failures = 0
		}
		failures++
		d := backoff(failures, end.header)
		l.out.note("listen: %v; reconnecting in %v", end.err, d)
		if err := l.wait(ctx, d); err != nil {
			return err
		}
	}
}

// ending is how a connection to the stream ended.
type ending struct {
	// final says listening is over, with err nil or why; otherwise err
	// says why the connection ended.
	final bool
	err   error
	// opened says the stream was open (200) before it ended.
	opened bool
	// header holds a refusal's headers, for Retry-After.
	header http.Header
}

// connect opens the stream once and reads it until it ends.
func (l *listener) connect(ctx context.Context) ending {
	// A connection of its own, cut when it has been silent too long.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var silent atomic.Bool
	idle := time.AfterFunc(streamIdle, func() {
		silent.Store(true)
		cancel()
	})
	defer idle.Stop()

	params := &client.StreamEventsParams{}
	if l.last != "" {
		last := l.last
		params.LastEventID = &last
	}
	res, err := l.api.StreamEvents(ctx, l.port.id, params, client.Bearer(l.port.token))
	if err != nil {
		return ending{err: fmt.Errorf("no answer: %w", err)}
	}
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusNoContent:
		res.Body.Close()
		if l.out.text {
			l.out.note("the channel is closed and nothing is left to read")
		}
		return ending{final: true}
	default:
		a, err := readAnswer(res, nil)
		if err != nil {
			return ending{err: fmt.Errorf("no answer: %w", err)}
		}
		switch a.status {
		case http.StatusConflict, http.StatusTooManyRequests, http.StatusServiceUnavailable,
			http.StatusBadGateway, http.StatusGatewayTimeout:
			// Busy, too many streams, unavailable: for a while.
			return ending{err: refusal(a), header: a.header}
		}
		return ending{final: true, err: refusal(a)}
	}
	defer res.Body.Close()

	body := &idleReader{r: res.Body, idle: idle}
	for ev, err := range gosse.Read(body, &gosse.ReadConfig{MaxEventSize: maxEventSize}) {
		if err != nil {
			if silent.Load() {
				err = fmt.Errorf("no keep-alive for %v", streamIdle)
			}
			return ending{opened: true, err: err}
		}
		if final, err := l.handle(ctx, ev); final || err != nil {
			return ending{final: true, opened: true, err: err}
		}
	}
	return ending{opened: true, err: errors.New("the stream ended")}
}

// handle prints one event and acknowledges a message. done says
// listening is over (a close, -n messages, the port gone), with err nil
// or why.
func (l *listener) handle(ctx context.Context, ev gosse.Event) (done bool, err error) {
	switch ev.Type {
	case "message":
		if err := l.printMessage(ev.LastEventID, ev.Data); err != nil {
			return true, err
		}
		l.ack(ctx, ev.LastEventID)
		l.printed++
		return l.limit > 0 && l.printed >= l.limit, nil
	case "messageerror":
		var m client.MessageErrorEvent
		_ = json.Unmarshal([]byte(ev.Data), &m)
		if err := l.printEvent(ev, ""); err != nil {
			return true, err
		}
		l.out.note("listen: message %s could not be read (%s); acknowledging it", ev.LastEventID, m.Error)
		l.ack(ctx, ev.LastEventID)
	case "reset":
		var r client.ResetEvent
		if err := json.Unmarshal([]byte(ev.Data), &r); err != nil {
			return true, fmt.Errorf("a reset event that is not what the API describes: %v", err)
		}
		if err := l.printEvent(ev, ""); err != nil {
			return true, err
		}
		if r.RewoundTo != nil {
			l.out.note("listen: the service lost the messages after %s (a restart or failover); going on after it", *r.RewoundTo)
			l.last = *r.RewoundTo
		} else {
			l.out.note("listen: the messages after %s through %s were acknowledged elsewhere and are gone", r.LastEventId, r.AckedThrough)
			l.last = r.AckedThrough
		}
	case "close":
		if err := l.printEvent(ev, ""); err != nil {
			return true, err
		}
		if l.out.text {
			l.out.note("the channel is closed")
		}
		return true, nil
	case "transferred":
		if err := l.printEvent(ev, ""); err != nil {
			return true, err
		}
		return true, fmt.Errorf("listen: port %s was transferred: this token no longer works", l.port.id)
	}
	// Any other event is one of a later API's: nothing to do with it.
	return false, nil
}

// eventLine is an event as it prints in JSON lines.
type eventLine struct {
	Event string          `json:"event"`
	ID    string          `json:"id,omitempty"`
	Data  json.RawMessage `json:"data"`
	// File is where -out wrote a binary message's bytes.
	File string `json:"file,omitempty"`
}

// printEvent prints an event as a JSON line (not on a terminal).
func (l *listener) printEvent(ev gosse.Event, file string) error {
	if l.out.text {
		return nil
	}
	line := eventLine{Event: ev.Type, Data: json.RawMessage(ev.Data), File: file}
	if ev.Type == "message" || ev.Type == "messageerror" {
		line.ID = ev.LastEventID
	}
	if !json.Valid(line.Data) {
		return fmt.Errorf("a %s event whose data is not JSON", ev.Type)
	}
	return l.out.json(line)
}

// printMessage prints a message event, and writes a binary message's
// bytes under -out.
func (l *listener) printMessage(id, data string) error {
	var m client.MessageEvent
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return fmt.Errorf("a message event that is not what the API describes: %v", err)
	}
	file := ""
	if m.ContentType != nil && l.outDir != "" {
		if !eventID.MatchString(id) {
			// The id names the file: nothing but digits and a dash.
			return fmt.Errorf("listen: a message event with the id %q", id)
		}
		file = filepath.Join(l.outDir, id+extension(*m.ContentType))
		if err := os.WriteFile(file, m.Binary, 0o644); err != nil {
			return fmt.Errorf("listen: -out: %w", err)
		}
	}
	if !l.out.text {
		return l.printEvent(gosse.Event{Type: "message", LastEventID: id, Data: data}, file)
	}
	var text string
	switch {
	case m.ContentType != nil && file != "":
		err := l.out.line("[%s, %d bytes, in %s]", *m.ContentType, len(m.Binary), file)
		if err != nil {
			return err
		}
	case m.ContentType != nil:
		if err := l.out.line("[%s, %d bytes]", *m.ContentType, len(m.Binary)); err != nil {
			return err
		}
	case json.Unmarshal(m.Data, &text) == nil:
		if err := l.out.line("%s", printable(text)); err != nil {
			return err
		}
	default:
		// JSON escapes every control character itself.
		if err := l.out.line("%s", m.Data); err != nil {
			return err
		}
	}
	for _, p := range m.Ports {
		if err := l.out.line("  + port %s, handed over with the message", port{p.Id, p.Token}); err != nil {
			return err
		}
	}
	return nil
}

// ack acknowledges the messages through id. A failed ack is only
// reported: the next connection's Last-Event-ID acknowledges them too.
func (l *listener) ack(ctx context.Context, id string) {
	a, err := l.call(ctx, "ack", func(ctx context.Context) (*http.Response, error) {
		return l.api.AckMessages(ctx, l.port.id, client.AckRequest{Through: id}, client.Bearer(l.port.token))
	})
	switch {
	case err != nil:
		l.out.note("listen: %v", err)
	case a.status != http.StatusNoContent:
		l.out.note("listen: ack %s: %v", id, refusal(a))
	}
	// Printed, acknowledged or not: resume after it.
	l.last = id
}

// eventID is the shape of a port's event ids.
var eventID = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// printable is text as a terminal may be given it: control characters
// other than newline and tab, which could move the cursor, recolour or
// retitle the terminal, are written as Go escapes (\x1b) instead.
func printable(text string) string {
	var b strings.Builder
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// extension is a file name extension for a content type.
func extension(contentType string) string {
	if exts, err := mime.ExtensionsByType(contentType); err == nil && len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

// idleReader reads a stream, putting off its idle timer with every read
// that brings something.
type idleReader struct {
	r    io.Reader
	idle *time.Timer
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.idle.Reset(streamIdle)
	}
	return n, err
}
