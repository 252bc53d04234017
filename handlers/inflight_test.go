package handlers

import (
	"testing"

	"github.com/tincan-dev/tincan/store"
)

// A binary message's bytes count in flight as a JSON message's data does:
// a long poll or a stream holding them keeps them reserved.
func TestBatchBytesCountsBinary(t *testing.T) {
	b := []store.Message{
		{Data: []byte(`"abc"`)},
		{ContentType: "application/octet-stream", Bytes: make([]byte, 1000)},
		{ContentType: "image/png", Bytes: []byte{}},
	}
	if got := batchBytes(b); got != 5+1000 {
		t.Errorf("batchBytes = %d, want 1005", got)
	}
}
