package handlers

import "net/http"

// accessTokenParam is the query parameter that may carry a port's token
// on GET routes, for a browser's EventSource, which cannot set headers.
const accessTokenParam = "access_token"

// referrerPolicy stops browsers from sending a Referer header from pages
// or documents served here, so that no URL of ours (which may carry a
// token in its query) leaks to another site. It is set first, so every
// answer has it: problems, 404, 405 and event streams alike.
func referrerPolicy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Referrer-Policy", "no-referrer")
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
