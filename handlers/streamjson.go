package handlers

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// eventBuffers holds the buffers streams encode messages in, so that an
// idle stream keeps none and a busy one allocates none per message.
var eventBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledEventBuffer bounds the buffers put back in eventBuffers: one
// that grew for a very large message is left to the collector.
const maxPooledEventBuffer = 64 << 10

func getEventBuffer() *bytes.Buffer { return eventBuffers.Get().(*bytes.Buffer) }

func putEventBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledEventBuffer {
		b.Reset()
		eventBuffers.Put(b)
	}
}

// writeMessageJSON writes m, received at port, to buf as its messageJSON
// (see toMessageJSON), exactly as marshal would, without the newline and
// without allocating. It reports false, leaving buf in an unknown state,
// for what only encoding/json should spell: a string with a byte that
// JSON escapes, a time whose year has not four digits, data that is not
// JSON; the caller then resets buf and uses marshal.
func writeMessageJSON(buf *bytes.Buffer, port string, m store.Message) bool {
	sent := m.SentAt.UTC()
	if y := sent.Year(); y < 0 || y > 9999 || !plainJSON(port) || !plainJSON(m.Source) || !plainJSON(m.Origin) {
		return false
	}
	for _, p := range m.Ports {
		if !plainJSON(p.ID) || !plainJSON(p.Token) {
			return false
		}
	}
	buf.WriteString(`{"id":"`)
	if !m.ID.IsZero() {
		buf.Write(strconv.AppendUint(buf.AvailableBuffer(), m.ID.Ms, 10))
		buf.WriteByte('-')
		buf.Write(strconv.AppendUint(buf.AvailableBuffer(), m.ID.Seq, 10))
	}
	buf.WriteString(`","port":"`)
	buf.WriteString(port)
	buf.WriteString(`","data":`)
	if m.Data == nil {
		buf.WriteString("null") // as a nil json.RawMessage is written
	} else if json.Compact(buf, m.Data) != nil {
		return false
	}
	buf.WriteString(`,"ports":[`)
	for i, p := range m.Ports {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"id":"`)
		buf.WriteString(p.ID)
		buf.WriteString(`","token":"`)
		buf.WriteString(p.Token)
		buf.WriteString(`"}`)
	}
	buf.WriteString(`],"source":"`)
	buf.WriteString(m.Source)
	buf.WriteString(`","sent_at":"`)
	buf.Write(sent.AppendFormat(buf.AvailableBuffer(), time.RFC3339Nano))
	buf.WriteString(`","origin":"`)
	buf.WriteString(m.Origin)
	buf.WriteString(`"}`)
	return true
}

// plainJSON reports whether s is written as is inside a JSON string:
// printable ASCII but for the quote and the backslash. Port ids, tokens
// and event ids always are.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
