package handlers

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// chunkWriter is the http.ResponseWriter of a parked stream, for
// sse.Writer: it holds what is written until Flush, then writes it to the
// connection as one chunk of the chunked body net/http began. It holds no
// buffer while the stream is idle.
type chunkWriter struct {
	conn    net.Conn
	buf     *[]byte
	written int64
}

// chunkHead is the room left at the front of a chunk for its size, in hex,
// and CRLF: sizes up to 4 GiB.
const chunkHead = 10

var chunkBufs = sync.Pool{New: func() any { return new([]byte) }}

// Header is never used: the headers went out before the stream parked.
func (c *chunkWriter) Header() http.Header { return http.Header{} }

// WriteHeader does nothing, as for a second call on a ResponseWriter.
func (c *chunkWriter) WriteHeader(int) {}

func (c *chunkWriter) Write(b []byte) (int, error) {
	if c.buf == nil {
		c.buf = chunkBufs.Get().(*[]byte)
		*c.buf = append((*c.buf)[:0], make([]byte, chunkHead)...)
	}
	*c.buf = append(*c.buf, b...)
	return len(b), nil
}

// FlushError writes what was written since the last flush as one chunk.
func (c *chunkWriter) FlushError() error {
	if c.buf == nil {
		return nil
	}
	b := *c.buf
	defer func() {
		if cap(b) <= maxPooledChunk {
			*c.buf = b[:0]
			chunkBufs.Put(c.buf)
		}
		c.buf = nil
	}()
	n := len(b) - chunkHead
	if n == 0 {
		return nil // an empty chunk would end the body
	}
	var head [chunkHead]byte
	h := append(strconv.AppendUint(head[:0], uint64(n), 16), '\r', '\n')
	start := chunkHead - len(h)
	copy(b[start:], h)
	b = append(b, '\r', '\n')
	_, err := c.conn.Write(b[start:])
	if err == nil {
		c.written += int64(n)
	}
	return err
}

// SetWriteDeadline sets the connection's, for http.ResponseController.
func (c *chunkWriter) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// maxPooledChunk bounds the buffers put back in chunkBufs.
const maxPooledChunk = 64 << 10
