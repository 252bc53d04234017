package sse

import (
	"net/http"
	"testing"
)

// nopResponse is a ResponseWriter that drops what it is given.
type nopResponse struct{ h http.Header }

func (n *nopResponse) Header() http.Header         { return n.h }
func (n *nopResponse) WriteHeader(int)             {}
func (n *nopResponse) Write(p []byte) (int, error) { return len(p), nil }
func (n *nopResponse) Flush()                      {}

// BenchmarkWriterEvent measures framing and writing one event of about
// 100 bytes of data, as a stream sends a message.
func BenchmarkWriterEvent(b *testing.B) {
	w := NewWriter(&nopResponse{h: http.Header{}}, 0)
	ev := Event{ID: "1732190000123-7", Type: "message", Data: []byte(`{"id":"1732190000123-7","port":"01JD0000000000000000000000","data":{"seq":12345,"pad":"xxxxxxxxxxxxxxxx"},"ports":[],"source":"01JD0000000000000000000001","sent_at":"2024-11-21T12:33:20.123Z"}`)}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Event(ev); err != nil {
			b.Fatal(err)
		}
	}
}
