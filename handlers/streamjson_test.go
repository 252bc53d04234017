package handlers

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/tincan-dev/tincan/store"
)

// FuzzWriteMessageJSON checks writeMessageJSON against marshal, the
// encoding every other answer uses: the same bytes whenever it does not
// defer to marshal, and it defers only when it must.
func FuzzWriteMessageJSON(f *testing.F) {
	f.Add(uint64(1732190000123), uint64(7), "01JD0000000000000000000000", []byte(`{"a":1}`), "01JD0000000000000000000001", int64(1732190000123456789), "", "")
	f.Add(uint64(0), uint64(0), "p", []byte(" [ 1 , \"x\" ,\n{} ] "), "", int64(0), "01JD0000000000000000000002", "tok-en_1")
	f.Add(uint64(1<<64-1), uint64(1<<64-1), "p", []byte(`"<&>\u2028é"`), "s", int64(-1<<63), "i", "t")
	f.Add(uint64(5), uint64(1), "p\"q", []byte(`null`), "s\\", int64(1<<63-1), "", "")
	f.Add(uint64(5), uint64(1), "p", []byte(`{"a":`), "s", int64(1), "é", "\n")
	f.Add(uint64(5), uint64(1), "p", []byte(``), "s", int64(1), "", "")
	f.Fuzz(func(t *testing.T, ms, seq uint64, port string, data []byte, source string, sentNs int64, portID, token string) {
		// The token doubles as the origin: any string may reach the
		// encoder from a store.
		m := store.Message{ID: store.EventID{Ms: ms, Seq: seq}, Data: data, Source: source, SentAt: time.Unix(0, sentNs).In(time.FixedZone("X", 3600)), Origin: token}
		if portID != "" || token != "" {
			m.Ports = []store.PortCredentials{{ID: portID, Token: token}, {ID: token, Token: portID}}
		}
		want, err := marshal(toMessageJSON(port, m))
		var buf bytes.Buffer
		ok := writeMessageJSON(&buf, port, m)
		if err != nil {
			if ok {
				t.Fatalf("marshal failed (%v) but writeMessageJSON wrote %q", err, buf.Bytes())
			}
			return
		}
		want = want[:len(want)-1]
		if !ok {
			// Deferring is right only for what encoding/json escapes or
			// refuses to spell.
			if plainJSON(port) && plainJSON(source) && plainJSON(portID) && plainJSON(token) && json.Valid(data) {
				if y := m.SentAt.UTC().Year(); y >= 0 && y <= 9999 {
					t.Fatalf("deferred to marshal needlessly: %q", want)
				}
			}
			return
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("writeMessageJSON:\n %q\nmarshal:\n %q", buf.Bytes(), want)
		}
	})
}
