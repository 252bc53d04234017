package main

import (
	"bytes"
	"strconv"
	"time"
)

// payloadSize is the length of every posted message body, in bytes.
const payloadSize = 100

// clockStart is the bench's time origin: timestamps in payloads are
// nanoseconds since it, read from the monotonic clock, so that latencies
// never see a wall-clock step. Sender and receiver are the same process.
var clockStart = time.Now()

// now is the monotonic time since clockStart.
func now() time.Duration { return time.Since(clockStart) }

// makePayload is a ~100-byte text message carrying its sequence number and
// a timestamp: "seq=<n> ts=<ns> " padded with x. It holds no character
// JSON escapes, so it is found as is inside the api's JSON event data.
func makePayload(buf []byte, seq int, ts time.Duration) []byte {
	buf = append(buf[:0], "seq="...)
	buf = strconv.AppendInt(buf, int64(seq), 10)
	buf = append(buf, " ts="...)
	buf = strconv.AppendInt(buf, int64(ts), 10)
	buf = append(buf, ' ')
	for len(buf) < payloadSize {
		buf = append(buf, 'x')
	}
	return buf
}

var (
	seqMark = []byte("seq=")
	tsMark  = []byte(" ts=")
)

// parsePayload finds the sequence number and timestamp in event data.
func parsePayload(data []byte) (seq int, ts time.Duration, ok bool) {
	i := bytes.Index(data, seqMark)
	if i < 0 {
		return 0, 0, false
	}
	rest := data[i+len(seqMark):]
	j := bytes.Index(rest, tsMark)
	if j < 0 {
		return 0, 0, false
	}
	n, err := strconv.Atoi(string(rest[:j]))
	if err != nil {
		return 0, 0, false
	}
	rest = rest[j+len(tsMark):]
	k := bytes.IndexByte(rest, ' ')
	if k < 0 {
		return 0, 0, false
	}
	t, err := strconv.ParseInt(string(rest[:k]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return n, time.Duration(t), true
}
