package sse

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gosse "github.com/tmaxmax/go-sse"
)

func TestAppendEvent(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		want string
	}{
		{"data only", Event{Data: []byte("hi")}, "data: hi\n\n"},
		{"empty data still has a data line", Event{Type: "close"}, "event: close\ndata: \n\n"},
		{"all fields", Event{ID: "1-0", Type: "message", Data: []byte(`{"a":1}`)}, "event: message\nid: 1-0\ndata: {\"a\":1}\n\n"},
		{"LF splits data", Event{Data: []byte("a\nb")}, "data: a\ndata: b\n\n"},
		{"CRLF splits data once", Event{Data: []byte("a\r\nb")}, "data: a\ndata: b\n\n"},
		{"CR splits data", Event{Data: []byte("a\rb")}, "data: a\ndata: b\n\n"},
		{"trailing LF keeps an empty line", Event{Data: []byte("a\n")}, "data: a\ndata: \n\n"},
		{"blank lines survive", Event{Data: []byte("\n\n")}, "data: \ndata: \ndata: \n\n"},
		{"CR CR is two breaks", Event{Data: []byte("a\r\rb")}, "data: a\ndata: \ndata: b\n\n"},
		{"leading space kept by the separator", Event{Data: []byte(" x")}, "data:  x\n\n"},
		{"injection stays data", Event{Data: []byte("x\nid: 9\nevent: evil")}, "data: x\ndata: id: 9\ndata: event: evil\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendEvent(nil, tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAppendEventRefusesBreaksInFields(t *testing.T) {
	for _, ev := range []Event{
		{ID: "1\n"}, {ID: "1\r2"}, {ID: "1\x002"},
		{Type: "a\nb"}, {Type: "a\r"}, {Type: "\x00"},
	} {
		got, err := appendEvent([]byte("keep"), ev)
		if !errors.Is(err, ErrInvalidField) {
			t.Errorf("%+v: err = %v, want ErrInvalidField", ev, err)
		}
		if string(got) != "keep" {
			t.Errorf("%+v: appended %q after refusing", ev, got)
		}
	}
}

func TestAppendCommentAndRetry(t *testing.T) {
	if got := string(appendComment(nil, "keep-alive")); got != ": keep-alive\n\n" {
		t.Errorf("comment: %q", got)
	}
	if got := string(appendComment(nil, "a\nb")); got != ": a\n: b\n\n" {
		t.Errorf("two-line comment: %q", got)
	}
	if got := string(appendRetry(nil, 2*time.Second)); got != "retry: 2000\n\n" {
		t.Errorf("retry: %q", got)
	}
}

func TestWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	w := NewWriter(rec, time.Second)
	if err := w.Start(1500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed {
		t.Fatal("Start did not flush")
	}
	for _, h := range [][2]string{
		{"Content-Type", "text/event-stream"},
		{"Cache-Control", "no-cache"},
		{"X-Accel-Buffering", "no"},
	} {
		if got := rec.Header().Get(h[0]); got != h[1] {
			t.Errorf("%s = %q, want %q", h[0], got, h[1])
		}
	}
	must(t, w.Event(Event{ID: "5-1", Type: "message", Data: []byte("x")}))
	must(t, w.Comment("keep-alive"))
	if err := w.Event(Event{Type: "bad\n"}); !errors.Is(err, ErrInvalidField) {
		t.Errorf("bad event: %v", err)
	}
	must(t, w.Event(Event{Type: "close", Data: []byte(`{"p":1}`)}))
	must(t, w.Flush())
	want := "retry: 1500\n\nevent: message\nid: 5-1\ndata: x\n\n: keep-alive\n\nevent: close\ndata: {\"p\":1}\n\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("body:\n got %q\nwant %q", got, want)
	}
}

// TestRoundTrip reads what a Writer sent over real HTTP with an
// independent parser, so that the framing is not only checked against our
// own idea of it.
func TestRoundTrip(t *testing.T) {
	events := []Event{
		{ID: "1-0", Type: "message", Data: []byte("one")},
		{ID: "1-1", Type: "message", Data: []byte("two\nlines\r\nand\rmore")},
		{Type: "close", Data: []byte("\n")},
		{Type: "empty"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		// t.Fatal may only be called from the test's goroutine.
		check := func(err error) {
			if err != nil {
				t.Error(err)
			}
		}
		w := NewWriter(rw, time.Second)
		check(w.Start(time.Second))
		check(w.Comment("hello"))
		for _, ev := range events {
			check(w.Event(ev))
		}
		check(w.Flush())
	}))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got []gosse.Event
	for ev, err := range gosse.Read(res.Body, nil) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if len(got) != len(events) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(events), got)
	}
	for i, ev := range events {
		want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(string(ev.Data))
		if got[i].Type != ev.Type || got[i].Data != want {
			t.Errorf("event %d: got %+v, want type %q data %q", i, got[i], ev.Type, want)
		}
	}
	if got[1].LastEventID != "1-1" || got[2].LastEventID != "1-1" {
		t.Errorf("last event ids: %q, %q", got[1].LastEventID, got[2].LastEventID)
	}
}

// TestLargeEventRoundTrip frames events far longer than a fuzz input may
// be (see maxFuzzInput) and reads them back with the independent parser:
// a megabyte on one line, and thousands of lines of every kind of break.
func TestLargeEventRoundTrip(t *testing.T) {
	oneLine := strings.Repeat("g", 1<<20)
	manyLines := strings.Repeat("a\rb\r\nc\n\n", 4000)
	for _, data := range []string{oneLine, manyLines} {
		rec := httptest.NewRecorder()
		w := NewWriter(rec, 0)
		must(t, w.Event(Event{ID: "9-9", Type: strings.Repeat("t", 5000), Data: []byte(data)}))
		must(t, w.Flush())
		var got []gosse.Event
		for ev, err := range gosse.Read(rec.Body, &gosse.ReadConfig{MaxEventSize: 8 << 20}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev)
		}
		want := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(data)
		if len(got) != 1 || got[0].Data != want || got[0].LastEventID != "9-9" || len(got[0].Type) != 5000 {
			t.Fatalf("%d events; first data %d bytes, want %d", len(got), len(got[0].Data), len(want))
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
