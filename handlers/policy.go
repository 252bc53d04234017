package handlers

import "net/http"

// accessTokenParam is the query parameter that may carry a port's token
// on GET routes, for a browser's EventSource, which cannot set headers.
const accessTokenParam = "access_token"

// securityHeaders sets the headers every answer carries, first, so that
// problems, 404, 405, preflights, pages and event streams all have them:
// Referrer-Policy: no-referrer, so that browsers send no Referer from
// pages or documents served here and no URL of ours (which may carry a
// token in its query) leaks to another site; and X-Content-Type-Options:
// nosniff, so that browsers take every answer for the type it declares
// and never sniff a message's text, echoed in JSON or in an event stream,
// into HTML or a script.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// refuseQueryTokens answers 401 to any request carrying ?access_token=
// when the deployment keeps tokens out of URLs (Config.RefuseQueryTokens):
// URLs end up in logs, browser history and proxies. The request is refused
// even when it also has an Authorization header, so that a client that
// still puts its token in the URL finds out at once.
func (s *Server) refuseQueryTokens(next http.Handler) http.Handler {
	if !s.cfg.RefuseQueryTokens {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has(accessTokenParam) {
			s.writeError(w, r, errQueryToken)
			return
		}
		next.ServeHTTP(w, r)
	})
}
