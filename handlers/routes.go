package handlers

// routes lists the whole API, one route a line. HEAD answers beside GET
// only where a GET neither changes anything nor waits (the pages, the
// spec, the health checks, describing a port, a message's raw body, whose
// ticket is not used up): a HEAD to an event stream
// would redeem its ticket, and one to a long poll would hang for nothing,
// so there HEAD is 405 with the route's Allow.
func (s *Server) routes() {
	s.router.Use(s.observeRequests)
	s.router.Use(securityHeaders)
	// Before anything can answer, CORS preflights included, and before
	// anything reads a body.
	s.router.Use(s.refuseTransferEncoding)
	// Before the rest, so that preflights are answered and refusals carry
	// the headers a page needs to read them.
	s.router.Use(corsMiddleware(s.cfg.CORSOrigins))
	// After CORS, so that a page can read a 429; before the body is read.
	s.router.Use(s.limitRate)
	s.router.Use(s.countForwardedClient)
	s.router.Use(s.refuseQueryTokens)
	s.router.Use(s.limitBodyTime)
	// Any other path is a file of the pages, if it names one (pages.go).
	s.router.NotFound(s.handle(s.handleFileOrNotFound))
	s.router.MethodNotAllowed(s.handle(s.handleMethodNotAllowed))

	s.router.Get("/healthz", s.handle(s.handleHealthz))
	s.router.Head("/healthz", s.handle(s.handleHealthz))
	s.router.Get("/readyz", s.handle(s.handleReadyz))
	s.router.Head("/readyz", s.handle(s.handleReadyz))
	s.router.Get("/openapi.yaml", s.handle(s.handleOpenAPI))
	s.router.Head("/openapi.yaml", s.handle(s.handleOpenAPI))
	s.router.Get("/metrics", s.handle(s.handleMetrics))
	s.router.Head("/metrics", s.handle(s.handleMetrics))
	s.router.Get("/", s.handle(s.handlePage("index.html")))
	s.router.Head("/", s.handle(s.handlePage("index.html")))
	s.router.Get("/docs", s.handle(s.handlePage(docsFile)))
	s.router.Head("/docs", s.handle(s.handlePage(docsFile)))
	s.router.Get("/docs/errors", s.handle(s.handleErrorCatalogue))
	s.router.Head("/docs/errors", s.handle(s.handleErrorCatalogue))

	s.router.Post("/channels", s.handle(s.handleChannelCreate))
	s.router.Get("/ports/{id}", s.handle(s.handlePortDescribe))
	s.router.Head("/ports/{id}", s.handle(s.handlePortDescribe))
	s.router.Post("/ports/{id}/messages", s.handle(s.handleMessagePost))
	s.router.Get("/ports/{id}/messages", s.handle(s.handleMessageList))
	s.router.Get("/ports/{id}/messages/{message_id}/body", s.handle(s.handleMessageBody))
	s.router.Head("/ports/{id}/messages/{message_id}/body", s.handle(s.handleMessageBody))
	s.router.Post("/ports/{id}/messages/{message_id}/tickets", s.handle(s.handleMessageTicketIssue))
	s.router.Get("/ports/{id}/events", s.handle(s.handleEvents))
	s.router.Post("/ports/{id}/tickets", s.handle(s.handleTicketIssue))
	s.router.Post("/ports/{id}/ack", s.handle(s.handleAck))
	s.router.Post("/ports/{id}/close", s.handle(s.handleClose))
	s.router.Post("/ports/{id}/transfer", s.handle(s.handleTransfer))
	s.router.Post("/ports/{id}/tokens", s.handle(s.handleTokenMint))
	s.router.Get("/ports/{id}/tokens", s.handle(s.handleTokenList))
	s.router.Delete("/ports/{id}/tokens/{token_id}", s.handle(s.handleTokenRevoke))

	s.router.Post("/collections", s.handle(s.handleCollectionCreate))
	s.router.Get("/collections/{id}", s.handle(s.handleCollectionDescribe))
	s.router.Delete("/collections/{id}", s.handle(s.handleCollectionDelete))
	s.router.Post("/collections/{id}/members", s.handle(s.handleMemberAdd))
	s.router.Delete("/collections/{id}/members/{port}", s.handle(s.handleMemberRemove))
	s.router.Post("/collections/{id}/messages", s.handle(s.handleBroadcast))
}
