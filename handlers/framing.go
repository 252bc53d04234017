package handlers

import (
	"net/http"
	"strings"
	"time"
)

// refuseTransferEncoding answers 400 invalid_request to a request whose
// body is framed by Transfer-Encoding (chunked), before anything reads the
// body, and closes the connection after the answer.
//
// RFC 9112 (section 6.3) makes a request with both Content-Length and
// Transfer-Encoding an error after which the connection must be closed: a
// proxy in front that framed it by its Content-Length disagrees with us
// about where it ends, so that its tail runs as a request of its own
// (smuggling) or, the other way round, the next client's request on the
// proxy's connection is read as this one's body. net/http drops the
// Content-Length of such a request before any handler runs, so here it
// cannot be told from a plain chunked one; rather than follow the framing
// a second time below net/http, with a parser of our own that could
// disagree with it and could not see through TLS, every chunked request
// body is refused. Nothing is lost: a body here is at most
// MAX_MESSAGE_SIZE, clients send Content-Length for such bodies, and
// HTTP/2 has no Transfer-Encoding.
func (s *Server) refuseTransferEncoding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		// Whatever follows on this connection was framed by a length a
		// proxy may have read differently: none of it is served, and
		// none of it read.
		stopReading(w, r)
		s.writeError(w, r, badRequest("Send the body with a Content-Length: Transfer-Encoding is not accepted, and with a Content-Length as well it is an error (RFC 9112, section 6.3)."))
	})
}

// stopReading closes an HTTP/1.x request's connection after the answer
// and reads nothing more from it, not even the rest of the request's body.
// Closing alone is not enough: net/http reads up to 256 KiB of a body the
// handler left unread before it closes, waiting for bytes that may never
// come (a body refused before 100 Continue) or reading bytes that are not
// this request's (a chunk a proxy cut short, then the next client's
// request). A read deadline in the past ends that read at once. An HTTP/2
// request is left alone: its unread body ends with its own stream, and
// Connection: close there would send every other stream of the
// connection away.
func stopReading(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 1 {
		return
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Unix(1, 0))
}

// expectsContinue reports whether the client waits for 100 Continue
// before it sends r's body.
func expectsContinue(r *http.Request) bool {
	for _, v := range r.Header.Values("Expect") {
		for token := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), "100-continue") {
				return true
			}
		}
	}
	return false
}
