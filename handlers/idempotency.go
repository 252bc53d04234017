package handlers

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
)

// The headers of idempotent requests (POST /channels, POST
// /ports/{id}/messages, POST /ports/{id}/transfer, POST
// /collections/{id}/messages).
const (
	// idempotencyKeyHeader names a request its client may retry: a retry
	// with the same key and the same request gets the first answer again.
	idempotencyKeyHeader = "Idempotency-Key"
	// replayedHeader marks an answer given again to such a retry.
	replayedHeader = "Idempotent-Replayed"
	// maxIdempotencyKey bounds a key's length; a UUID takes 36.
	maxIdempotencyKey = 255
)

// idempotencyKey returns the request's Idempotency-Key and whether it has
// one. A key is 1 to 255 printable ASCII characters, given once; anything
// else is invalid_request, never silently ignored, since a client that
// sends a key relies on it.
func idempotencyKey(r *http.Request) (string, bool, error) {
	values := r.Header.Values(idempotencyKeyHeader)
	switch len(values) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", false, badRequest("Give at most one %s header.", idempotencyKeyHeader)
	}
	key := values[0]
	if key == "" || len(key) > maxIdempotencyKey {
		return "", false, badRequest("%s must be 1 to %d characters.", idempotencyKeyHeader, maxIdempotencyKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", false, badRequest("%s must be printable ASCII.", idempotencyKeyHeader)
		}
	}
	return key, true, nil
}

// fingerprint digests what defines a request, each part length-prefixed
// so that no two different lists of parts digest alike.
func fingerprint(parts ...[]byte) [sha256.Size]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(p))))
		h.Write(p)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// postFingerprint defines "the same post": the same sending port, the same
// kind of body (JSON, text, or bytes of one content type; a text type or a
// charset parameter changes nothing, but bytes of another content type are
// another message) and the same body, byte for byte. Re-encoding the same JSON differently
// (other spacing, other key order) is another request: a client retries by
// sending the very bytes it sent before.
func postFingerprint(portID, contentType string, body []byte) [sha256.Size]byte {
	return bodyFingerprint("POST /ports/{id}/messages", portID, contentType, body)
}

// broadcastFingerprint defines "the same broadcast" as postFingerprint
// does the same post, for the collection id.
func broadcastFingerprint(id, contentType string, body []byte) [sha256.Size]byte {
	return bodyFingerprint("POST /collections/{id}/messages", id, contentType, body)
}

// bodyFingerprint digests a request to route for the resource id with a
// post's body, read as readMessage took it: its class (JSON, text, or
// binary with the content type the bytes are kept with) and its bytes.
func bodyFingerprint(route, id, contentType string, body []byte) [sha256.Size]byte {
	class := "text"
	switch kind, _ := postKind(contentType); kind {
	case jsonBody:
		class = "json"
	case binaryBody:
		ct, _ := binaryContentType(contentType)
		class = "binary\x00" + ct
	}
	return fingerprint([]byte(route), []byte(id), []byte(class), body)
}

// transferFingerprint defines "the same transfer": of the same port. The
// body is ignored, as the route ignores it.
func transferFingerprint(portID string) [sha256.Size]byte {
	return fingerprint([]byte("POST /ports/{id}/transfer"), []byte(portID))
}

// channelFingerprint defines "the same channel creation". The body is
// ignored, so every creation is the same request: a key used for one can
// be replayed, never reused for something else.
var channelFingerprint = fingerprint([]byte("POST /channels"))

// markReplayed says, on an answer given again, that nothing new was done.
func markReplayed(w http.ResponseWriter, replayed bool) {
	if replayed {
		w.Header().Set(replayedHeader, "true")
	}
}
