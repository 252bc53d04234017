export interface paths {
    "/channels": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a channel (new MessageChannel)
         * @description Creates an open channel with two entangled ports and answers both
         *     ports' tokens. The tokens are shown only here: the service keeps only
         *     their hashes. Any request body is ignored.
         *
         *     With an `Idempotency-Key`, a retry within the window gets the same
         *     channel again, tokens included, with `Idempotent-Replayed: true`, and
         *     nothing new is created. The key is scoped to the creator when
         *     creation needs credentials; while it is open, to the client address
         *     (the TCP peer, or behind a proxy in `TRUSTED_PROXIES` the client it
         *     names; an IPv6 client by its /64): the same key from another address
         *     creates another channel, so a retry must come from the address of
         *     the first try. Since the
         *     body is ignored, every creation is the same request: the key cannot
         *     be reused for another one. The answer is kept encrypted under a key
         *     derived from the Idempotency-Key, which the service does not keep:
         *     use a random key (a UUID), since the tokens are as safe as it is
         *     unguessable.
         *
         *     Who may create depends on the deployment (`CREATE_AUTH`): anyone
         *     (open, no credential), or only a caller with an API key or a JWT in
         *     `Authorization: Bearer`. Without valid credentials the answer is
         *     `401 unauthorized`, the same whatever was wrong.
         */
        post: operations["createChannel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        /**
         * Describe a port
         * @description The port's channel, peer, state and queue.
         */
        get: operations["describePort"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * Check a port (HEAD)
         * @description `describePort` without the body: the same credentials and the same
         *     status and headers, and like it, it changes nothing. For a client
         *     that only needs to know whether its token still opens the port.
         */
        head: operations["headPort"];
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        /**
         * Read queued messages as JSON (long poll)
         * @description Answers the messages queued at this port with ids after `after`,
         *     oldest first: the same objects an event stream carries. It never
         *     acknowledges: call `ackMessages` with `next` once they are handled.
         *
         *     With `wait` > 0 and nothing after `after`, the answer waits until a
         *     message arrives, the channel closes, or `wait` seconds pass. A
         *     closed channel still answers 200 with `state: closed`; an empty
         *     batch from a closed channel means nothing more will ever arrive.
         *
         *     When `after` is before the port's last acknowledged message, the
         *     messages between were acknowledged (by another reader or an ack
         *     call) and deleted: the answer says so in `reset` and goes on after
         *     the acknowledged ones, never skipping them in silence. When `after`
         *     is after the newest message the service knows at the port (the
         *     store lost what followed, with a failover or a restart), the answer
         *     is not a refusal either: `reset.rewound_to` names that newest
         *     message and `next` is it, to ask again from. Only a malformed
         *     `after` is `400 invalid_request`.
         *
         *     A queued message that cannot be decoded (corrupted in the store, or
         *     written by a newer version of the service) is not in `messages` but
         *     in `message_errors`, with its id and a short reason: the long-poll
         *     form of the Web API's `messageerror` event. `next` is past it too,
         *     so acknowledging `next` deletes it with the others.
         *
         *     **Size.** An answer's body is at most `LONG_POLL_MAX_BYTES` (4 MiB
         *     by default) as written: when `limit` messages would be more, it
         *     holds fewer, and `next` is the last one it holds, to ask again
         *     from. It always holds the first message after `after`, however
         *     large, so that every message can be read.
         */
        get: operations["listMessages"];
        put?: never;
        /**
         * Post a message to the peer (port.postMessage)
         * @description Queues a message at the peer of this port and answers its event id
         *     once it is durably stored.
         *
         *     **What the body is** depends on its `Content-Type` (parameters such
         *     as `charset` aside):
         *
         *     | Content-Type | the message |
         *     |---|---|
         *     | `application/json`, any `*\/*+json` | a `PostMessageRequest`, decoded strictly: an unknown field, a wrong type or trailing data is `400 invalid_request` |
         *     | `text/*`, `application/x-www-form-urlencoded` (what `curl -d` sends) | text: the body, which must be valid UTF-8, as a JSON string |
         *     | any other type (`application/octet-stream`, `image/png`, ...) | bytes: the body exactly, kept with its content type (a binary message) |
         *     | none | `415 content_type_required`: nothing is guessed |
         *
         *     A binary message's content type is kept in canonical form (type,
         *     subtype and parameter names in lower case); one that is not a media
         *     type, or longer than 255 bytes, is `415 invalid_content_type`. A
         *     JSON body may carry bytes too, with a transfer list beside them, as
         *     `binary` (standard base64) and `content_type` instead of `data`.
         *
         *     **Size.** A message, its data as JSON or its bytes, is at most
         *     `MAX_MESSAGE_SIZE` (256 KiB by default), and so is a text or binary
         *     body; a JSON body may be larger by the base64 of `binary` and room
         *     for a transfer list. More is `413 payload_too_large`.
         *
         *     The ports in `transfer` move to the receiver in the same atomic step
         *     as the message is stored: their old tokens die and the delivered
         *     message carries fresh ones in `ports`. If any listed port is refused
         *     (`422 invalid_transfer`, or `409 port_busy` when it is mid-move),
         *     nothing changes: no message is stored and no port moves.
         *
         *     **Retrying safely.** With an `Idempotency-Key`, scoped to this port,
         *     a retry of the same request within the window (24 h by default,
         *     `IDEMPOTENCY_WINDOW`) answers the first answer again, with
         *     `Idempotent-Replayed: true`, and stores nothing: retrying until a
         *     201 then delivers the message exactly once. The same request means
         *     the same port, the same kind of body (JSON, text, or bytes of the
         *     same content type) and the same body, byte for byte. The same key with another request is `422
         *     idempotency_key_reused`; while the first request with the key is
         *     still being carried out (a transfer list takes several steps), `409
         *     idempotency_in_flight` with `Retry-After`. Only a stored message is
         *     remembered: a refused request leaves no trace, so the same key may
         *     be retried, as it was or corrected. The fingerprint leaves out the
         *     `Origin` header: a retry answers the first post, whose origin the
         *     message keeps.
         *
         *     **Origin.** The message keeps the request's `Origin` header, which
         *     the receiver gets as `origin` (the Web API's `MessageEvent.origin`).
         *     It is what the request claims: a browser sets the header itself and
         *     truthfully, any other client may send what it likes, so trust it as
         *     far as a server trusts `Origin`. A header that is not a serialized
         *     origin or `null`, or several of them, is `400 invalid_request` and
         *     stores nothing.
         */
        post: operations["postMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/messages/{message_id}/body": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
                /**
                 * @description A message's event id at this port, as delivered. One that is no
                 *     event id names no message: `404 message_not_found`.
                 * @example 1763731800456-0
                 */
                message_id: components["parameters"]["MessageIdPath"];
            };
            cookie?: never;
        };
        /**
         * One queued message's content, raw
         * @description Answers the content of one message queued at this port (not yet
         *     acknowledged) as it is, so that a program or a page can read it
         *     without JSON: `fetch()` it into an `ArrayBuffer`, or point an
         *     `<img>`, `<audio>` or `<video>` at it. It neither acknowledges nor
         *     changes the message.
         *
         *     | message | body | Content-Type |
         *     |---|---|---|
         *     | binary | its bytes, exactly | its content type |
         *     | text (data a JSON string) | the text, UTF-8 | `text/plain; charset=utf-8` |
         *     | other JSON data | the data, compact JSON | `application/json` |
         *
         *     **Credentials.** The port's token (the port's own or a `listen`
         *     token; `post` is `403 insufficient_scope`), or, since an `<img>`
         *     cannot send an Authorization header, `?ticket=<ticket>` from
         *     `createMessageTicket`: a message ticket works for this port and this
         *     message only, any number of times, until it expires (`TICKET_TTL`).
         *     An unknown or expired ticket, one for another port or message, or a
         *     stream ticket, is `401 invalid_ticket`; a ticket with a token as
         *     well is `400 invalid_request`. A ticket stands for the token it was
         *     issued with, so it stops working when that token does (the port
         *     transferred: `403 port_transferred`). A message that was
         *     acknowledged, or never there, or an id that is no event id, is
         *     `404 message_not_found`.
         *
         *     **Safety.** The content is whatever the peer posted, served from
         *     this service's origin, so it is never run as a page:
         *     `X-Content-Type-Options: nosniff`, `Content-Security-Policy:
         *     sandbox; default-src 'none'; frame-ancestors 'none'`, and
         *     `Content-Disposition: attachment` (a download) for every type
         *     except raster images (`image/png`, `image/jpeg`, `image/gif`,
         *     `image/webp`, `image/avif`), `audio/*` and `video/*`, which are
         *     `inline`. `text/html`, `image/svg+xml` and `application/pdf` are
         *     attachments.
         *
         *     **Caching and ranges.** `Cache-Control: private, no-store`: the
         *     content is one port's message, and is deleted when acknowledged.
         *     `ETag` names the content; `If-None-Match` with it answers `304`.
         *     A single `Range` (`bytes=...`) answers `206` with that part, as a
         *     media player seeking asks; several ranges answer
         *     `multipart/byteranges`; a range past the end is `416
         *     range_not_satisfiable`, and an `If-Match` that does not name the
         *     content `412 precondition_failed`.
         */
        get: operations["getMessageBody"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * One queued message's content, raw (HEAD)
         * @description `getMessageBody` without the body: the same credentials (a message
         *     ticket is not used up), status and headers, `Content-Type` and
         *     `Content-Length` included.
         */
        head: operations["headMessageBody"];
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/messages/{message_id}/tickets": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
                /**
                 * @description A message's event id at this port, as delivered. One that is no
                 *     event id names no message: `404 message_not_found`.
                 * @example 1763731800456-0
                 */
                message_id: components["parameters"]["MessageIdPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Get a ticket that opens one message's raw content
         * @description Answers a short-lived ticket (`TICKET_TTL`, 60 s by default) for
         *     one message queued at this port, and the path that uses it (`url`:
         *     `getMessageBody` with `?ticket=`), for a client that cannot send an
         *     Authorization header: `<img src>`, `<video src>`, a download link.
         *     Unlike a stream ticket it is not used up: it works any number of
         *     times until it expires (a video player asks again for each range),
         *     for this port and this message only. The token must allow reading:
         *     the port's own or a `listen` token (`post` is `403
         *     insufficient_scope`). The ticket stands for that token: once the
         *     token stops working (the port transferred), so does the ticket.
         *
         *     The body is optional: empty, or `{}`. A message that is not queued
         *     at the port (acknowledged, never there, or an id that is no event
         *     id) is `404 message_not_found`.
         *
         *     The store keeps neither the ticket nor the token in usable form:
         *     the credentials are sealed under a key derived from the ticket.
         */
        post: operations["createMessageTicket"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        /**
         * Stream incoming messages (Server-Sent Events)
         * @description Streams the messages queued at this port as Server-Sent Events,
         *     for `EventSource` and any SSE client.
         *
         *     **Resume point.** The `Last-Event-ID` header, else the
         *     `last_event_id` query parameter (the parameter is described below,
         *     the header only here: it has the same values and meaning, and wins
         *     when both are given; an EventSource and SSE libraries send it
         *     themselves when they reconnect, and generators would give the two
         *     one name). When one is given, every message
         *     up to and including it is acknowledged first and the stream starts
         *     after it. Without one, the stream starts after the last
         *     acknowledged message. When the resume point is before a message
         *     someone else acknowledged meanwhile, those messages are gone: the
         *     stream says so with `event: reset` before going on. Only a
         *     malformed resume point is `400 invalid_request`: one after the
         *     newest message the service knows at the port (the store lost what
         *     followed, with a failover or a restart) acknowledges only through
         *     that newest message, and the stream starts with an `event: reset`
         *     whose `rewound_to` names it, then goes on after it.
         *
         *     **Frames**, in order (each ends with a blank line):
         *
         *     1. `retry: <ms>` (the reconnection delay hint, 2000 by default),
         *        without an id.
         *     2. For each message: `event: message`, `id: <event id>` (a
         *        composite position in a stream of several ports, see below),
         *        `data: <MessageEvent JSON>`. A queued message that cannot be
         *        decoded (corrupted in the store, or written by a newer version
         *        of the service) comes in its place as `event: messageerror`,
         *        with its `id:` likewise and `data: <MessageErrorEvent JSON>`;
         *        the stream goes on with the next message, and acknowledging
         *        through that id deletes it like any other. Only these two carry
         *        `id:`, so an EventSource's last event id is always a message's.
         *     3. `: keep-alive` comment lines every 15 s by default, while idle.
         *     4. When the channel is closed (by either end) and every message
         *        queued before the close was sent: `event: close`,
         *        `data: <CloseEvent JSON>`, and the stream ends.
         *     5. When the port is transferred (this token died): `event:
         *        transferred`, `data: <TransferredEvent JSON>`, and the stream ends.
         *     6. When messages after the stream's position (its resume point, or
         *        the last message it sent) were acknowledged by another reader or
         *        an ack call before it could send them: `event: reset`, `data:
         *        <ResetEvent JSON>`, without an id; the stream goes on with the
         *        messages after `acked_through`. A stream opened without a resume
         *        point sends none until it has sent a message. When the position
         *        is after the newest message the service knows at the port, the
         *        reset carries `rewound_to` and the stream goes on after
         *        `rewound_to` instead: ids after it may be issued again, to other
         *        messages, so a client that drops repeated ids must forget those
         *        after `rewound_to`.
         *
         *     When the server shuts down, the stream's last frame is a lone
         *     `retry: 1000` hint and the stream ends, so that clients reconnect
         *     promptly (to another instance) with `Last-Event-ID`. While the store
         *     is unavailable an open stream stays open (keep-alives continue) and,
         *     once the store answers again, delivers what is new with no gap and
         *     no repeat. A stream opened on a closed port with nothing
         *     left after its resume point answers `204 No Content`, which tells an
         *     EventSource to stop reconnecting. Errors before the stream starts
         *     (auth, a malformed resume point) are ordinary problem responses.
         *
         *     The JSON of each event's `data` line is described by the schemas
         *     named in `x-sse-events` of the 200 response: `MessageEvent`,
         *     `MessageErrorEvent`, `CloseEvent`, `TransferredEvent` and
         *     `ResetEvent`.
         *
         *     **Tickets.** Instead of a token, the stream may be opened with
         *     `?ticket=<ticket>` from `createTicket` (accepted even where
         *     `?access_token=` is refused). A ticket works once, for this port
         *     only, and is used up when the stream is opened (even if the port
         *     then turns out closed or transferred); an unknown, used, expired or
         *     other port's ticket is `401 invalid_ticket`. A ticket together with
         *     an Authorization header or `access_token` is `400 invalid_request`.
         *     Because a ticket works once, an EventSource's own reconnection fails
         *     (401): the page gets a new ticket and opens a new EventSource with
         *     `&last_event_id=<the last id it saw>`.
         *
         *     **Several ports.** With a ticket for k > 1 ports the stream delivers
         *     every port's messages; each message's `port` says which port it
         *     arrived at. The `id:` of a message event is then a composite
         *     position (`StreamPosition`): the k ports' last delivered event ids,
         *     in the ticket's order, joined by `,`, with the empty string for a
         *     port with nothing delivered yet, e.g.
         *     `1763731800456-3,,1763731800789-0`. To resume, open the stream with
         *     a new ticket for the same ports in the same order and that position
         *     as `Last-Event-ID` or `last_event_id`: it must have exactly k parts
         *     (else `400 invalid_request`), and each non-empty part is
         *     acknowledged and resumed from as for a single port. Control events
         *     name their port; a port whose channel closes or that is transferred
         *     gets its `close` or `transferred` event and leaves the stream, which
         *     goes on with the others and ends when no port is left. The stream
         *     answers `204` only when every port is closed with nothing left, and
         *     counts against `MAX_STREAMS_PER_PORT` of each of its ports.
         */
        get: operations["streamEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/tickets": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Get a single-use ticket that opens the port's event stream
         * @description Answers a short-lived (`TICKET_TTL`, 60 s by default), single-use
         *     ticket that opens this port's event stream as
         *     `GET /ports/{id}/events?ticket=<ticket>` (the answer's `events_url`),
         *     so that a browser's EventSource, which cannot send headers, need not
         *     carry the port's token in a URL. The token must allow reading: the
         *     port's own or a `listen` token (`post` is `403 insufficient_scope`).
         *
         *     The body is optional. Empty or `{}` asks for this port alone;
         *     `{"ports": [{"port", "token"}, ...]}` adds more ports (entries as in
         *     a transfer list; each token must allow reading), whose messages then
         *     arrive on the same stream, in this order after this port. At most
         *     `MAX_TICKET_PORTS` ports in all (16 by default), each once, this
         *     port included, else `400 invalid_request`. A refused entry answers
         *     the problem of its error (`unauthorized`, `port_transferred`,
         *     `insufficient_scope`, `port_busy`) with a `detail` naming its index
         *     in `ports`. Nothing is issued then.
         *
         *     The store keeps neither the ticket nor the tokens in usable form:
         *     the credentials are sealed under a key derived from the ticket.
         */
        post: operations["createTicket"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/ack": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Acknowledge messages up to an event id
         * @description Deletes every message at this port up to and including `through`;
         *     they are never delivered again. Acknowledging an id at or before an
         *     earlier acknowledgement is a no-op; an id after the newest message
         *     ever queued at the port is `400 invalid_request`.
         */
        post: operations["ackMessages"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/close": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Close the channel (port.close)
         * @description Closes this port's channel, for both ends. Messages already queued
         *     stay readable and ackable; later posts from either end get `410
         *     port_closed`; the peer's event stream ends with `event: close` after
         *     every message queued before the close. Closing again is a no-op.
         *     Any request body is ignored.
         */
        post: operations["closePort"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/transfer": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Transfer the port to a new holder
         * @description Mints a new token for this port and kills the old one, in one atomic
         *     step. Queued messages stay with the port. The old holder's open
         *     streams get `event: transferred` and end; later use of the old token
         *     gets `403 port_transferred`. Of concurrent transfers of one port
         *     exactly one succeeds; the others get `403 port_transferred`. Any
         *     request body is ignored.
         *
         *     **An `Idempotency-Key` is required** (`400 idempotency_key_required`
         *     without one, and nothing changes): a transfer is the one call whose
         *     lost answer would lose the port, since the old token dies and
         *     nobody would have the new one. A retry with the same key and the
         *     same (now dead) token within the window (24 h by default,
         *     `IDEMPOTENCY_WINDOW`) answers the same new token with
         *     `Idempotent-Replayed: true` and changes nothing, even after the
         *     channel closed. The key is scoped to the port and to the token
         *     presented: only the caller who made the transfer can replay it.
         *     The answer is kept encrypted under a key derived from the
         *     Idempotency-Key, which the service does not keep: use a random key
         *     (a UUID) per transfer, and send it again unchanged on every retry,
         *     in particular after a `503 unavailable`, whose outcome is unknown.
         */
        post: operations["transferPort"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        /**
         * List the port's scoped tokens
         * @description The port's live scoped tokens, oldest first, without their secrets. Only the port's own (`full`) token may list.
         */
        get: operations["listTokens"];
        put?: never;
        /**
         * Mint a scoped token for the port
         * @description Makes a token of scope `post` (send through the port, describe it)
         *     or `listen` (describe, read, acknowledge), for the holder to hand
         *     out without handing out the port. Only the port's own (`full`)
         *     token may mint; a port has at most 100 scoped tokens at once
         *     (`409 too_many_tokens`). The secret is answered only here; the
         *     store keeps its SHA-256. It lives until revoked, until the port is
         *     transferred (directly or in a message), or until the channel
         *     expires.
         */
        post: operations["mintToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ports/{id}/tokens/{token_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
                /**
                 * @description A scoped token's id (a ULID), as minted or listed.
                 * @example 01KAKA2ZQ8W6Q3X9T4J5N7M1PB
                 */
                token_id: components["parameters"]["TokenIdPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke a scoped token
         * @description Kills one scoped token of the port; later use of it gets `401
         *     unauthorized`. Only the port's own (`full`) token may revoke. An id
         *     that names no live scoped token of this port gets `404 not_found`.
         */
        delete: operations["revokeToken"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a port collection (for broadcast)
         * @description Creates an empty collection of ports and answers its id and its own
         *     token, which is shown only here (the service keeps its hash). Send
         *     the token as `Authorization: Bearer` on the collection's routes.
         *     A collection with no activity (adding or removing a member,
         *     broadcasting) for `CHANNEL_IDLE_TTL` is forgotten, like a channel.
         *
         *     Who may create is decided as for channels (`CREATE_AUTH`): anyone,
         *     or only a caller with an API key or a JWT. Any request body is
         *     ignored.
         */
        post: operations["createCollection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collections/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
            };
            cookie?: never;
        };
        /**
         * Describe a collection and list its members
         * @description The collection's member ports, in ascending order of id. Looking is not activity.
         */
        get: operations["describeCollection"];
        put?: never;
        post?: never;
        /**
         * Delete a collection
         * @description Forgets the collection and its token. The member ports are not touched.
         */
        delete: operations["deleteCollection"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collections/{id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Add a port to a collection
         * @description Adds a port, proving the right to post through it: its id and its
         *     own token, or a scoped token of scope `post` (a `listen` token may
         *     not post, and is refused). The collection keeps the SHA-256 of that
         *     token, never the token, and broadcasts with it: the member works
         *     exactly as long as the token does. Once the port is transferred, or
         *     the scoped token revoked, or the channel closed or expired,
         *     broadcasts report the member as refused.
         *
         *     A port that is a member already is answered `200` with `added:
         *     false`, and the token it is kept with is replaced. A refused port
         *     is `422 invalid_member`, with `port` and the problem code the
         *     port's own routes would answer (`member_code`). A collection holds
         *     at most `MAX_COLLECTION_MEMBERS` ports (`409 too_many_members`).
         */
        post: operations["addMember"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collections/{id}/members/{port}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
                /**
                 * @description A member port's id.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                port: components["parameters"]["MemberPortPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a port from a collection
         * @description The port is no longer broadcast to. A port that is not a member is `404 not_found`.
         */
        delete: operations["removeMember"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collections/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Broadcast a message through every member port
         * @description Posts one message through every member port to its peer, each
         *     exactly as `postMessage` through that port would: the message is
         *     queued at the peer with the peer's own next event id, read and
         *     acknowledged there like any other message (a slow or offline
         *     receiver holds nobody up and loses nothing), bounded by the peer's
         *     queue (`MAX_QUEUE_LENGTH`, `MAX_QUEUE_BYTES`), and pushed to the
         *     peer's event streams.
         *     The delivered message's `source` is the member port, and its
         *     `origin` the broadcasting request's `Origin`, as for a post.
         *
         *     The body is a post's, by the same rule of `Content-Type` (see
         *     `postMessage`): `{"data": ...}` or `{"binary": ..., "content_type":
         *     ...}` as JSON, text, or bytes; none is `415 content_type_required`.
         *     A broadcast carries no transfer list, since a port can be given to
         *     one receiver only: a `transfer` field with a port is `400
         *     invalid_request`.
         *
         *     The answer accounts for every member: `delivered` lists the members
         *     reached with the message's event id at each peer, `refused` the
         *     members whose peer did not get the message, with the reason (the
         *     problem code a post through the port would get), and `unknown` the
         *     members whose outcome the store could not tell (their post was
         *     sent and its answer lost: a timeout, a dropped connection, or too
         *     few replicas confirmed it): their peer may hold the message. One
         *     member's refusal does not stop the others.
         *
         *     **Size.** The members times the message's bytes (its data, as
         *     stored, or its bytes) may be at most `MAX_BROADCAST_BYTES` (64 MiB
         *     by default):
         *     more is `413 broadcast_too_large`, before anything is stored.
         *
         *     **Retrying safely.** Without an `Idempotency-Key` a retry after a
         *     lost answer posts again. With one, each member's post is made under
         *     it as `postMessage` makes a post under a key: a retry of the same
         *     broadcast (the same collection, the same kind of body, bytes of the
         *     same content type, and the same body, byte for byte) within the
         *     window stores nothing twice. The
         *     members reached before answer the ids of the first call, the
         *     `unknown` ones too if their peer got the message; the others
         *     (`unknown` ones that did not, those refused as `unavailable` or
         *     `port_busy` the first time, or added since) are posted to now. So
         *     retry a broadcast that answered `unknown` members with the same key:
         *     it never duplicates. A member reached before under the same
         *     key with another body is refused with `idempotency_key_reused`.
         *     Only the holder of the collection's token can replay its
         *     broadcasts.
         */
        post: operations["broadcastMessage"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness
         * @description Answers as long as the process serves HTTP; it does not look at the store.
         */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * Liveness (HEAD)
         * @description `healthz` without the body, for uptime checkers and load balancers that probe with HEAD.
         */
        head: operations["headHealthz"];
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness
         * @description Answers 200 when the store is reachable and its schema is the one this build expects.
         */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * Readiness (HEAD)
         * @description `readyz` without the body: it asks the store as the GET does.
         */
        head: operations["headReadyz"];
        patch?: never;
        trace?: never;
    };
    "/openapi.yaml": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * This description
         * @description Answers this OpenAPI 3.0.3 document, the contract the handlers are
         *     tested against, for generators and for the rendered docs at `/docs`.
         */
        get: operations["getOpenAPI"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * This description (HEAD)
         * @description `getOpenAPI` without the body; `Content-Length` is its size.
         */
        head: operations["headOpenAPI"];
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description The service's metrics in Prometheus's text exposition format, for a
         *     Prometheus server to scrape: messages posted, delivered and
         *     acknowledged, problems by code, open event streams, transfers and
         *     closes, request latency by route, and (with Redis) Redis command
         *     latency and errors. docs/OPERATIONS.md says what each means and
         *     what to alert on. Like the health checks it needs no credential and
         *     is never rate limited; restrict it at the network if its numbers
         *     are private. With `METRICS=off` it is `404 not_found`.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * Prometheus metrics (HEAD)
         * @description `getMetrics` without the body; with `METRICS=off` it is `404` too.
         */
        head: operations["headMetrics"];
        patch?: never;
        trace?: never;
    };
    "/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Demo page
         * @description A page that creates a channel and shows both ends side by side:
         *     send from either, watch events arrive over EventSource, transfer a
         *     port to another tab, close.
         */
        get: operations["getDemoPage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * Demo page (HEAD)
         * @description `getDemoPage` without the body; `Content-Length` is the size of the page.
         */
        head: operations["headDemoPage"];
        patch?: never;
        trace?: never;
    };
    "/docs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * API reference page
         * @description This description, rendered for reading, with assets served by tincan.
         */
        get: operations["getDocsPage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * API reference page (HEAD)
         * @description `getDocsPage` without the body; `Content-Length` is the size of the page.
         */
        head: operations["headDocsPage"];
        patch?: never;
        trace?: never;
    };
    "/docs/errors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Problem codes
         * @description Every problem code with its status and meaning; each code's entry
         *     has the code as its anchor (`/docs/errors#port_closed`).
         */
        get: operations["getErrorCatalogue"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        /**
         * Problem codes (HEAD)
         * @description `getErrorCatalogue` without the body; `Content-Length` is the size of the page.
         */
        head: operations["headErrorCatalogue"];
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @description A port id, a ULID (26 characters of Crockford base32).
         * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
         */
        PortId: string;
        /**
         * @description A channel id, a ULID sharing its first 20 characters with its ports' ids.
         * @example 01KAK9Q01VBCAB18KVMXX5178Z
         */
        ChannelId: string;
        /**
         * @description A port token, a bearer secret (unpadded base64url, at least 128 bits).
         * @example 0voxnM0Y3nhDl52Cxhozk_TeftiHmGA7tQCYu2ol4rs
         */
        Token: string;
        /**
         * @description A message's event id: opaque, increasing strictly per port. Compare
         *     ids only for equality; the service orders them.
         * @example 1763731800456-0
         */
        EventId: string;
        /**
         * @description An event id, or the empty string for "none".
         * @example 1763731800456-0
         */
        EventIdOrEmpty: string;
        /**
         * @description Where an event stream resumes: for a stream of one port an event id
         *     (or the empty string); for a stream of k ports, k event ids in the
         *     ticket's order joined by `,`, each the empty string for a port with
         *     nothing delivered yet.
         * @example 1763731800456-3,,1763731800789-0
         */
        StreamPosition: string;
        /**
         * Format: date-time
         * @description RFC 3339 in UTC, with up to nanosecond precision and no trailing
         *     zeros in the fraction (Go's time.RFC3339Nano).
         * @example 2025-11-21T13:30:00.123456789Z
         */
        Timestamp: string;
        /**
         * @description A channel's state, and so of both of its ports.
         * @enum {string}
         */
        State: "open" | "closed";
        /**
         * @description A port's id and a token for it.
         * @example {
         *       "id": "01KAK9Q01VBCAB18KVMXVCJ4NX",
         *       "token": "0voxnM0Y3nhDl52Cxhozk_TeftiHmGA7tQCYu2ol4rs"
         *     }
         */
        PortCredentials: {
            id: components["schemas"]["PortId"];
            token: components["schemas"]["Token"];
        };
        /**
         * @description What a token may do: `full` (the port's own token: everything),
         *     `post` (post, describe), `listen` (read, acknowledge, describe).
         * @enum {string}
         */
        Scope: "full" | "post" | "listen";
        /**
         * @example {
         *       "scope": "post",
         *       "label": "worker clients"
         *     }
         */
        MintTokenRequest: {
            /**
             * @description The scope of the new token.
             * @enum {string}
             */
            scope: "post" | "listen";
            /** @description A note for the holder (at most 64 bytes of text, no control characters). */
            label?: string;
        };
        /**
         * @description A scoped token, without its secret.
         * @example {
         *       "id": "01KAKA2ZQ8W6Q3X9T4J5N7M1PB",
         *       "scope": "post",
         *       "label": "worker clients",
         *       "created_at": "2025-11-21T10:00:00.123456789Z"
         *     }
         */
        ScopedToken: {
            /** @description The token's id (a ULID), for revoking it. */
            id: string;
            scope: components["schemas"]["Scope"];
            label: string;
            created_at: components["schemas"]["Timestamp"];
        };
        /**
         * @description A scoped token just minted, with its secret (answered only here).
         * @example {
         *       "id": "01KAKA2ZQ8W6Q3X9T4J5N7M1PB",
         *       "token": "Vb7mI1o0rH0n2YpJ9mZk3bq8x1T4uQy6wEw0cS5dF2g",
         *       "scope": "post",
         *       "label": "worker clients",
         *       "created_at": "2025-11-21T10:00:00.123456789Z"
         *     }
         */
        MintedToken: {
            /** @description The token's id (a ULID), for revoking it. */
            id: string;
            token: components["schemas"]["Token"];
            scope: components["schemas"]["Scope"];
            label: string;
            created_at: components["schemas"]["Timestamp"];
        };
        TokenList: {
            tokens: components["schemas"]["ScopedToken"][];
        };
        /**
         * @description A new channel with both of its ports. The tokens are answered only here.
         * @example {
         *       "id": "01KAK9Q01VBCAB18KVMXX5178Z",
         *       "created_at": "2025-11-21T13:30:00.123456789Z",
         *       "port1": {
         *         "id": "01KAK9Q01VBCAB18KVMXVCJ4NX",
         *         "token": "0voxnM0Y3nhDl52Cxhozk_TeftiHmGA7tQCYu2ol4rs"
         *       },
         *       "port2": {
         *         "id": "01KAK9Q01VBCAB18KVMXN4YNBZ",
         *         "token": "dtPdL7dtMWd7pPPFa3iSeL6wd2XaWasc9VsI8_F9Oy8"
         *       }
         *     }
         */
        Channel: {
            id: components["schemas"]["ChannelId"];
            created_at: components["schemas"]["Timestamp"];
            port1: components["schemas"]["PortCredentials"];
            port2: components["schemas"]["PortCredentials"];
        };
        /**
         * @description What the holder of a port may know about it.
         * @example {
         *       "id": "01KAK9Q01VBCAB18KVMXN4YNBZ",
         *       "channel": "01KAK9Q01VBCAB18KVMXX5178Z",
         *       "peer": "01KAK9Q01VBCAB18KVMXVCJ4NX",
         *       "state": "closed",
         *       "created_at": "2025-11-21T13:30:00.123456789Z",
         *       "closed_at": "2025-11-21T13:31:02.5Z",
         *       "queued": 1,
         *       "queued_bytes": 17,
         *       "last_event_id": "1763731800456-1",
         *       "acked_event_id": "1763731800456-0",
         *       "posted": 2,
         *       "acknowledged": 1
         *     }
         */
        Port: {
            id: components["schemas"]["PortId"];
            channel: components["schemas"]["ChannelId"];
            peer: components["schemas"]["PortId"];
            state: components["schemas"]["State"];
            created_at: components["schemas"]["Timestamp"];
            closed_at?: components["schemas"]["Timestamp"];
            /**
             * Format: int64
             * @description How many messages wait at this port, unacknowledged.
             */
            queued: number;
            /**
             * Format: int64
             * @description The bytes of those messages' data, as stored and delivered,
             *     which `MAX_QUEUE_BYTES` bounds.
             */
            queued_bytes: number;
            last_event_id: components["schemas"]["EventIdOrEmpty"];
            acked_event_id: components["schemas"]["EventIdOrEmpty"];
            /**
             * Format: int64
             * @description How many messages were ever queued at this port. Only an
             *     acknowledgement deletes a message (unacknowledged ones go only
             *     with the whole channel, when it expires), so `queued` is always
             *     `posted` - `acknowledged`.
             */
            posted: number;
            /**
             * Format: int64
             * @description How many messages at this port were ever deleted by acknowledgement.
             */
            acknowledged: number;
        };
        /**
         * @description A text body (`text/*`, `application/x-www-form-urlencoded`): the
         *     bytes, which must be valid UTF-8, become the message's data as a
         *     JSON string. Only `text/plain` is listed as a request body: a form
         *     body is taken as text too (what `curl -d` sends), but generators
         *     encode a form as `name=value` pairs of an object, which would
         *     arrive as that text.
         */
        TextMessage: string;
        /**
         * Format: binary
         * @description A binary body (any Content-Type but JSON and text ones): the bytes
         *     are the message, kept exactly, with the Content-Type.
         */
        BinaryMessage: string;
        /**
         * @description A binary message's media type, as `type/subtype` with parameters or
         *     not (`image/png`, `text/html; charset=utf-8`), printable ASCII, at
         *     most 255 bytes. As posted in `content_type`, application/octet-stream
         *     when left out; as delivered, in canonical form (type, subtype and
         *     parameter names in lower case).
         * @example image/png
         */
        ContentType: string;
        /** @description A port to hand to the receiver, with the sender's token for it. */
        TransferEntry: {
            /**
             * @description The port's id.
             * @example 01KAK9Q01V6CQKE0BZD22H2CNM
             */
            port: string;
            /**
             * @description The sender's token for that port; it dies when the message is stored.
             * @example L1hp5jBIXDKOgSbPDXj8M408hcWcLvAWeLAgmxqYzIc
             */
            token: string;
        };
        /**
         * @description A message as posted (postMessage(message, transfer)): `data`, any
         *     JSON value, or bytes (an `ArrayBuffer`) as `binary` with their
         *     `content_type`. Exactly one of `data` and `binary`; `content_type`
         *     only with `binary`. Otherwise `400 invalid_request`.
         */
        PostMessageRequest: {
            data?: components["schemas"]["Data"];
            /**
             * Format: byte
             * @description A binary message's bytes in standard base64, with padding (RFC
             *     4648, section 4), instead of `data`. Delivered as they are, with
             *     `content_type`. At most `MAX_MESSAGE_SIZE` bytes once decoded.
             * @example iVBORw0KGgo=
             */
            binary?: string;
            content_type?: components["schemas"]["ContentType"];
            /**
             * @description Ports to hand over with the message (the transfer list). The
             *     sending port itself, its peer, a port listed twice, a closed,
             *     unknown or transferred port, or a wrong token refuse the whole
             *     message (`422 invalid_transfer`).
             */
            transfer?: components["schemas"]["TransferEntry"][];
        };
        /**
         * @description The message: any JSON value (object, array, string, number, boolean
         *     or null), stored and delivered byte for byte.
         * @example {
         *       "hello": "world"
         *     }
         */
        Data: unknown;
        /** @description The stored message's event id at the receiving port. */
        MessageCreated: {
            id: components["schemas"]["EventId"];
        };
        /**
         * @description A message as delivered, in a MessageList or as the data of an SSE
         *     `message` event. Its fields are those of the Web API's
         *     `MessageEvent` (and of `ExtendableMessageEvent`, the service
         *     worker's): `data` is `.data`, `ports` is `.ports`, `id` is
         *     `.lastEventId` (an SSE frame's `id:`), `source` is `.source` (here
         *     the sending port's id, not an object), `origin` is `.origin`;
         *     `port` and `sent_at` have no counterpart.
         *
         *     A JSON or text message has `data`. A binary message (the Web API's
         *     `ArrayBuffer`) has `binary`, its bytes in standard base64, and
         *     `content_type` instead, and no `data`: test for `binary`, never
         *     guess from `data`. `getMessageBody` answers the bytes themselves.
         * @example {
         *       "id": "1763731800456-0",
         *       "port": "01KAK9Q01VBCAB18KVMXN4YNBZ",
         *       "data": {
         *         "hello": "world"
         *       },
         *       "ports": [],
         *       "source": "01KAK9Q01VBCAB18KVMXVCJ4NX",
         *       "sent_at": "2025-11-21T13:30:00.456789012Z",
         *       "origin": "https://app.example.com"
         *     }
         */
        Message: {
            /**
             * @description The message's event id at the receiving port (`MessageEvent.lastEventId`):
             *     the `id:` of its SSE frame in a one-port stream, what to pass as
             *     `after`, and what to acknowledge through.
             */
            id: components["schemas"]["EventId"];
            /**
             * @description The port the message was queued at (the receiving port): in a
             *     stream of several ports, whose message this is.
             */
            port: components["schemas"]["PortId"];
            /**
             * @description The posted data, byte for byte (`MessageEvent.data`); absent
             *     for a binary message.
             */
            data?: components["schemas"]["Data"];
            /**
             * Format: byte
             * @description A binary message's bytes, exactly as posted, in standard base64
             *     with padding; absent for a JSON or text message.
             * @example iVBORw0KGgo=
             */
            binary?: string;
            /** @description A binary message's content type; absent for a JSON or text message. */
            content_type?: components["schemas"]["ContentType"];
            /**
             * @description The ports transferred with the message, with fresh tokens that
             *     are now the receiver's (`MessageEvent.ports`). Always present;
             *     empty when none.
             */
            ports: components["schemas"]["PortCredentials"][];
            /**
             * @description The id of the port the message was posted through
             *     (`MessageEvent.source`, which in a browser is the sending
             *     `MessagePort`, `Client` or `ServiceWorker` object).
             */
            source: components["schemas"]["PortId"];
            /** @description When the message was stored (the Web API has no such field). */
            sent_at: components["schemas"]["Timestamp"];
            /**
             * @description The `Origin` header of the request that posted the message, or
             *     the empty string when it had none (`MessageEvent.origin`). It is
             *     what that request claimed: browsers set it truthfully, any
             *     other client can send anything, as with any server that reads
             *     `Origin`. Messages stored before origins were kept have `""`.
             */
            origin: components["schemas"]["OriginOrEmpty"];
        };
        /**
         * @description A serialized origin as a browser writes it in an `Origin` header
         *     (`scheme://host` or `scheme://host:port`, lower case, no path), or
         *     `null` for an opaque origin.
         * @example https://app.example.com
         */
        Origin: string;
        /**
         * @description An `Origin`, or the empty string for none.
         * @example https://app.example.com
         */
        OriginOrEmpty: string;
        /**
         * @description A queued message that could not be decoded: corrupted in the
         *     store, or written by a newer version of the service (the Web API's
         *     `messageerror` event). Only its id is known; acknowledge through
         *     it like any message.
         * @example {
         *       "id": "1763731800456-1",
         *       "port": "01KAK9Q01VBCAB18KVMXN4YNBZ",
         *       "error": "data is not JSON"
         *     }
         */
        MessageError: {
            id: components["schemas"]["EventId"];
            /** @description The port the message was queued at. */
            port: components["schemas"]["PortId"];
            /** @description A short reason, for people (not a stable code). */
            error: string;
        };
        /**
         * @description A batch of queued messages, oldest first.
         * @example {
         *       "messages": [
         *         {
         *           "id": "1763731800456-0",
         *           "port": "01KAK9Q01VBCAB18KVMXN4YNBZ",
         *           "data": {
         *             "hello": "world"
         *           },
         *           "ports": [],
         *           "source": "01KAK9Q01VBCAB18KVMXVCJ4NX",
         *           "sent_at": "2025-11-21T13:30:00.456789012Z",
         *           "origin": "https://app.example.com"
         *         }
         *       ],
         *       "message_errors": [],
         *       "next": "1763731800456-0",
         *       "state": "open"
         *     }
         */
        MessageList: {
            messages: components["schemas"]["Message"][];
            /**
             * @description The messages of the same range that could not be decoded,
             *     oldest first; always present, almost always empty. Each stands
             *     in the queue where a message would, between the messages around
             *     its id.
             */
            message_errors: components["schemas"]["MessageError"][];
            /**
             * @description Where the next read should start (pass it as `after`) and what to
             *     acknowledge once these are handled: the id of the last message
             *     or message error answered, else `reset.rewound_to` or
             *     `reset.acked_through` when there is a reset, else the `after`
             *     given, else the empty string.
             */
            next: components["schemas"]["EventIdOrEmpty"];
            state: components["schemas"]["State"];
            reset?: components["schemas"]["ListReset"];
        };
        /**
         * @description Present only when `after` was before the port's last acknowledged
         *     message: the messages after `last_event_id` up to and including
         *     `acked_through` were acknowledged (by another reader or an ack
         *     call) and deleted. The batch goes on after `acked_through`.
         *
         *     Or when `after` is after the newest message the service knows at
         *     the port (`rewound_to` is then present): the store lost the
         *     messages after `rewound_to` (a failover or a restart), the batch is
         *     empty and `next` is `rewound_to`. Ids after it may be issued again,
         *     to other messages: a client that drops messages whose id it has
         *     seen must forget the ids after `rewound_to`.
         * @example {
         *       "last_event_id": "1763731800456-0",
         *       "acked_through": "1763731800456-2"
         *     }
         */
        ListReset: {
            /** @description The `after` asked with. */
            last_event_id: components["schemas"]["EventId"];
            /** @description The port's last acknowledged id when the batch was read, empty when none was ever acknowledged (only with `rewound_to`). */
            acked_through: components["schemas"]["EventIdOrEmpty"];
            /**
             * @description Present only when `after` is unknown to the service: the newest
             *     id it knows at the port (empty when it knows none), to read
             *     after next.
             */
            rewound_to?: components["schemas"]["EventIdOrEmpty"];
        };
        /**
         * @example {
         *       "through": "1763731800456-0"
         *     }
         */
        AckRequest: {
            through: components["schemas"]["EventId"];
        };
        /**
         * @description A ticket, a bearer secret (unpadded base64url, 256 bits): a stream
         *     ticket works once, a message ticket until it expires.
         * @example 3q2-7wq_8VxJx1fQ0m9kP2bYtR4nH6sL8dE0cA5gZ1U
         */
        TicketSecret: string;
        /**
         * @description More ports for a ticket, after the path's port, in the stream's order.
         * @example {
         *       "ports": [
         *         {
         *           "port": "01KAK9Q01V6CQKE0BZD22H2CNM",
         *           "token": "L1hp5jBIXDKOgSbPDXj8M408hcWcLvAWeLAgmxqYzIc"
         *         }
         *       ]
         *     }
         */
        TicketRequest: {
            /**
             * @description The other ports, each with a token that allows reading it. The
             *     path's port is always the ticket's first and must not be
             *     listed.
             */
            ports?: components["schemas"]["TransferEntry"][];
        };
        /**
         * @description A freshly issued stream ticket.
         * @example {
         *       "ticket": "3q2-7wq_8VxJx1fQ0m9kP2bYtR4nH6sL8dE0cA5gZ1U",
         *       "ports": [
         *         "01KAK9Q01VBCAB18KVMXN4YNBZ",
         *         "01KAK9Q01V6CQKE0BZD22H2CNM"
         *       ],
         *       "expires_at": "2025-11-21T13:31:00.5Z",
         *       "events_url": "/ports/01KAK9Q01VBCAB18KVMXN4YNBZ/events?ticket=3q2-7wq_8VxJx1fQ0m9kP2bYtR4nH6sL8dE0cA5gZ1U"
         *     }
         */
        Ticket: {
            ticket: components["schemas"]["TicketSecret"];
            /** @description The ports the ticket opens, the path's first, in the stream's order. */
            ports: components["schemas"]["PortId"][];
            expires_at: components["schemas"]["Timestamp"];
            /**
             * @description The path, ticket included, that opens the stream, relative to the server, for `new EventSource(...)`.
             * @example /ports/01KAK9Q01VBCAB18KVMXN4YNBZ/events?ticket=3q2-7wq_8VxJx1fQ0m9kP2bYtR4nH6sL8dE0cA5gZ1U
             */
            events_url: string;
        };
        /**
         * @description Nothing yet; the body may be left out.
         * @example {}
         */
        MessageTicketRequest: Record<string, never>;
        /**
         * @description A freshly issued message ticket.
         * @example {
         *       "ticket": "3q2-7wq_8VxJx1fQ0m9kP2bYtR4nH6sL8dE0cA5gZ1U",
         *       "url": "/ports/01KAK9Q01VBCAB18KVMXN4YNBZ/messages/1763731800456-0/body?ticket=3q2-7wq_8VxJx1fQ0m9kP2bYtR4nH6sL8dE0cA5gZ1U",
         *       "expires_at": "2025-11-21T13:31:00.5Z"
         *     }
         */
        MessageTicket: {
            ticket: components["schemas"]["TicketSecret"];
            /**
             * @description The path, ticket included, of the message's raw content
             *     (`getMessageBody`), relative to the server: an `<img src>`, a
             *     `<video src>` or a download link.
             * @example /ports/01KAK9Q01VBCAB18KVMXN4YNBZ/messages/1763731800456-0/body?ticket=3q2-7wq_8VxJx1fQ0m9kP2bYtR4nH6sL8dE0cA5gZ1U
             */
            url: string;
            expires_at: components["schemas"]["Timestamp"];
        };
        /**
         * Format: binary
         * @description A message's content, as it is (see `getMessageBody`).
         */
        RawBody: string;
        /**
         * @description A text/event-stream body (the Server-Sent Events format): frames
         *     separated by blank lines. The events are `message` (with `id:`;
         *     data: MessageEvent), `messageerror` (with `id:`; data:
         *     MessageErrorEvent), `close` (data: CloseEvent), `transferred`
         *     (data: TransferredEvent) and `reset` (data: ResetEvent); see
         *     streamEvents for their order.
         */
        EventStream: string;
        /**
         * @description The data of an SSE `event: message`: the delivered Message. The
         *     frame's `id:` is the message's id, or, in a stream of several ports,
         *     the stream's composite position (`StreamPosition`).
         */
        MessageEvent: components["schemas"]["Message"];
        /**
         * @description The data of an SSE `event: messageerror`: in place of a queued
         *     message that could not be decoded. Its `id:` is as a message
         *     event's; the stream goes on with the next message.
         */
        MessageErrorEvent: components["schemas"]["MessageError"];
        /**
         * @description The data of an SSE `event: close`: the channel is closed and every
         *     message queued before the close was sent. The stream ends after it.
         * @example {
         *       "port": "01KAK9Q01VBCAB18KVMXN4YNBZ",
         *       "closed_at": "2025-11-21T13:31:02.5Z"
         *     }
         */
        CloseEvent: {
            port: components["schemas"]["PortId"];
            closed_at: components["schemas"]["Timestamp"];
        };
        /**
         * @description The data of an SSE `event: transferred`: the port was transferred and
         *     the token this stream was opened with no longer works. The stream
         *     ends after it.
         * @example {
         *       "port": "01KAK9Q01VBCAB18KVMXN4YNBZ"
         *     }
         */
        TransferredEvent: {
            port: components["schemas"]["PortId"];
        };
        /**
         * @description The data of an SSE `event: reset`: the messages after
         *     `last_event_id` (the stream's resume point, or the last message it
         *     sent) up to and including `acked_through` were acknowledged, by
         *     another reader or an ack call, and deleted before this stream could
         *     send them. The stream goes on with the messages after
         *     `acked_through`. Like every control event it has no `id:`, so a
         *     client that reconnects now resumes from `last_event_id` and is told
         *     again.
         *
         *     With `rewound_to`, `last_event_id` is after the newest message the
         *     service knows at the port: the store lost the messages after
         *     `rewound_to` (a Redis failover took them back, or a restart without
         *     persistence). The stream goes on after `rewound_to`, and ids after
         *     it may be issued again, to other messages: a client that drops
         *     messages whose id it has seen must forget the ids after
         *     `rewound_to`.
         * @example {
         *       "port": "01KAK9Q01VBCAB18KVMXN4YNBZ",
         *       "last_event_id": "1763731800456-0",
         *       "acked_through": "1763731800456-2"
         *     }
         */
        ResetEvent: {
            port: components["schemas"]["PortId"];
            last_event_id: components["schemas"]["EventId"];
            /** @description The port's last acknowledged id, empty when none was ever acknowledged (only with `rewound_to`). */
            acked_through: components["schemas"]["EventIdOrEmpty"];
            /**
             * @description Present only when `last_event_id` is unknown to the service:
             *     the newest id it knows at the port (empty when it knows none),
             *     after which the stream goes on.
             */
            rewound_to?: components["schemas"]["EventIdOrEmpty"];
        };
        Health: {
            /** @enum {string} */
            status: "ok";
        };
        Ready: {
            /** @enum {string} */
            status: "ready";
        };
        /**
         * @description The stable machine-readable error code. Each code has one HTTP
         *     status (`x-status` below):
         *
         *     | code | status |
         *     |---|---|
         *     | invalid_request | 400 |
         *     | idempotency_key_required | 400 |
         *     | unauthorized | 401 |
         *     | invalid_ticket | 401 |
         *     | port_transferred | 403 |
         *     | insufficient_scope | 403 |
         *     | not_found | 404 |
         *     | message_not_found | 404 |
         *     | method_not_allowed | 405 |
         *     | port_busy | 409 |
         *     | idempotency_in_flight | 409 |
         *     | too_many_tokens | 409 |
         *     | too_many_members | 409 |
         *     | port_closed | 410 |
         *     | precondition_failed | 412 |
         *     | request_timeout | 408 |
         *     | payload_too_large | 413 |
         *     | broadcast_too_large | 413 |
         *     | content_type_required | 415 |
         *     | invalid_content_type | 415 |
         *     | range_not_satisfiable | 416 |
         *     | invalid_transfer | 422 |
         *     | invalid_member | 422 |
         *     | idempotency_key_reused | 422 |
         *     | message_undecodable | 422 |
         *     | queue_full | 429 |
         *     | too_many_streams | 429 |
         *     | too_many_connections | 429 |
         *     | rate_limited | 429 |
         *     | internal_error | 500 |
         *     | server_busy | 503 |
         *     | unavailable | 503 |
         *
         *     A transfer list refused because a listed port is mid-move answers
         *     `409 port_busy` with the invalid_transfer extension fields.
         * @enum {string}
         */
        ProblemCode: "invalid_request" | "idempotency_key_required" | "unauthorized" | "invalid_ticket" | "port_transferred" | "insufficient_scope" | "not_found" | "message_not_found" | "method_not_allowed" | "port_busy" | "idempotency_in_flight" | "too_many_tokens" | "too_many_members" | "port_closed" | "precondition_failed" | "request_timeout" | "payload_too_large" | "broadcast_too_large" | "content_type_required" | "invalid_content_type" | "range_not_satisfiable" | "invalid_transfer" | "invalid_member" | "idempotency_key_reused" | "message_undecodable" | "queue_full" | "too_many_streams" | "too_many_connections" | "rate_limited" | "internal_error" | "server_busy" | "unavailable";
        /**
         * @description Why a port in a transfer list was refused (the cases in which a
         *     browser's postMessage throws DataCloneError): the sending port
         *     itself (`self`), its peer (`peer`), listed twice (`duplicate`, the
         *     second occurrence), its channel closed (`closed`), unknown or wrong
         *     token (`unauthorized`), a token from before a transfer
         *     (`transferred`), in the middle of another move (`busy`), or listed
         *     with a scoped token, which may not give the port away
         *     (`insufficient_scope`).
         * @enum {string}
         */
        TransferRefusal: "self" | "peer" | "duplicate" | "closed" | "unauthorized" | "transferred" | "busy" | "insufficient_scope";
        /**
         * @description An RFC 9457 problem, with tincan's `code`. A few codes add members,
         *     by code: `invalid_transfer` always has `transfer_index`, `port` and
         *     `reason`; `invalid_member` always has `port` and `member_code`;
         *     `port_busy` has the three of `invalid_transfer` (reason `busy`) when
         *     an entry of a transfer list is mid-move, or `port` alone when a
         *     collection's member is; `unavailable` may have `port`, the member
         *     whose part of the store could not be reached. No other code has any
         *     of them.
         */
        Problem: {
            /**
             * @description Where the code is explained: `/docs/errors#<code>`, a URI
             *     reference relative to the server that answered (RFC 9457 allows
             *     relative references; resolve it against the request's URL). The
             *     page lists every code with its status, meaning and what to do.
             * @example /docs/errors#unauthorized
             */
            type: string;
            /** @description A short human summary of the code; the same for every occurrence. */
            title: string;
            /** @description The HTTP status, repeated. */
            status: number;
            /** @description A human explanation of this occurrence. It never reveals internals. */
            detail: string;
            code: components["schemas"]["ProblemCode"];
            /** @description The position of the refused entry in `transfer` (see the schema's description for the codes that have it). */
            transfer_index?: number;
            /** @description The refused port's id, as given (see the schema's description for the codes that have it). */
            port?: string;
            reason?: components["schemas"]["TransferRefusal"];
            member_code?: components["schemas"]["ProblemCode"];
        };
        /**
         * @description A collection id, a ULID.
         * @example 01KAKB3T9Z4XQ0M5R8W2N6J7CV
         */
        CollectionId: string;
        /** @description A new collection, with its token, which is never shown again. */
        NewCollection: {
            id: components["schemas"]["CollectionId"];
            token: components["schemas"]["Token"];
            created_at: components["schemas"]["Timestamp"];
        };
        /** @description A collection and its members. */
        CollectionInfo: {
            id: components["schemas"]["CollectionId"];
            created_at: components["schemas"]["Timestamp"];
            /** @description How many members there are. */
            count: number;
            /** @description The member ports' ids, ascending. */
            members: components["schemas"]["PortId"][];
        };
        /** @description A port and a token that may post through it (its own, or a `post` scoped token). */
        AddMemberRequest: {
            /**
             * @description The port's id.
             * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
             */
            port: string;
            /**
             * @description The port's own token or a `post` scoped token of it.
             * @example 0voxnM0Y3nhDl52Cxhozk_TeftiHmGA7tQCYu2ol4rs
             */
            token: string;
        };
        /**
         * @description The port added; `added` is false when it was a member already.
         * @example {
         *       "port": "01KAK9Q01VBCAB18KVMXVCJ4NX",
         *       "added": true
         *     }
         */
        MemberAdded: {
            port: components["schemas"]["PortId"];
            added: boolean;
        };
        /**
         * @description A message to broadcast: a post's body without a transfer list (a
         *     port can be given to one receiver only): `data`, or `binary` with
         *     `content_type`, as in `PostMessageRequest`.
         */
        BroadcastRequest: {
            data?: components["schemas"]["Data"];
            /**
             * Format: byte
             * @description Bytes in standard base64, instead of `data`, as in `PostMessageRequest`.
             * @example iVBORw0KGgo=
             */
            binary?: string;
            content_type?: components["schemas"]["ContentType"];
            /**
             * @description Accepted empty, as a post's body may have it; any port in it is
             *     `400 invalid_request`.
             */
            transfer?: components["schemas"]["PortCredentials"][];
        };
        /**
         * @description Why a broadcast did not reach a member's peer, as the problem code a
         *     post through the member would get: its channel is closed
         *     (`port_closed`), it was transferred since it was added
         *     (`port_transferred`), the peer's queue is full (`queue_full`), its
         *     channel expired or the scoped token it was added with was revoked
         *     (`unauthorized`), the token may not post (`insufficient_scope`), it
         *     is in the middle of a move (`port_busy`; a later broadcast may reach
         *     it), the part of the store holding its channel could not be reached
         *     and the message was not stored there (`unavailable`; a member whose
         *     post was sent and not answered is in `unknown` instead), or the
         *     broadcast's
         *     Idempotency-Key was used before with another message through this
         *     member (`idempotency_key_reused`).
         * @enum {string}
         */
        BroadcastRefusal: "port_closed" | "port_transferred" | "queue_full" | "unauthorized" | "insufficient_scope" | "port_busy" | "unavailable" | "idempotency_key_reused";
        /**
         * @description Every member of the collection, in exactly one of `delivered` (its
         *     peer holds the message), `refused` (it does not) or `unknown` (the
         *     store cannot tell).
         * @example {
         *       "reached": 1,
         *       "delivered": [
         *         {
         *           "port": "01KAK9Q01VBCAB18KVMXVCJ4NX",
         *           "id": "1763731800456-0"
         *         }
         *       ],
         *       "refused": [
         *         {
         *           "port": "01KAK9Q0FJ2M7T4D1WZ3S8X6QH",
         *           "code": "port_transferred"
         *         }
         *       ],
         *       "unknown": []
         *     }
         */
        BroadcastResult: {
            /** @description How many members' peers got the message (the length of `delivered`). */
            reached: number;
            /** @description The members reached, ascending by port id, with the message's event id at each peer. */
            delivered: {
                port: components["schemas"]["PortId"];
                id: components["schemas"]["EventId"];
            }[];
            /** @description The members not reached, ascending by port id, and why. */
            refused: {
                port: components["schemas"]["PortId"];
                code: components["schemas"]["BroadcastRefusal"];
            }[];
            /**
             * @description The members whose outcome the store could not tell, ascending:
             *     their post was sent and its answer lost (a timeout, a dropped
             *     connection, or too few replicas confirmed it), so their peer
             *     may or may not hold the message. Retry the broadcast with the
             *     same `Idempotency-Key`: it answers those that got it with their
             *     first id and posts to the others, never twice.
             */
            unknown: components["schemas"]["PortId"][];
        };
        /** @description A problem refusing a port offered as a collection member. */
        InvalidMemberProblem: components["schemas"]["Problem"] & {
            port: string;
            member_code: components["schemas"]["ProblemCode"];
        };
    };
    responses: {
        /**
         * @description The page. Validate a stored copy with If-None-Match (answered 304
         *     while it is current).
         */
        Page: {
            headers: {
                /** @description The page's version. */
                ETag?: string;
                /** @description Always `no-cache`. */
                "Cache-Control"?: "no-cache";
                /** @description Lets the page load nothing but tincan's own files. */
                "Content-Security-Policy"?: string;
                /** @description Always `nosniff`. */
                "X-Content-Type-Options"?: "nosniff";
                [name: string]: unknown;
            };
            content: {
                "text/html": string;
            };
        };
        /** @description The copy named by If-None-Match is current. */
        PageNotModified: {
            headers: {
                /** @description The page's version. */
                ETag?: string;
                [name: string]: unknown;
            };
            content?: never;
        };
        /**
         * @description The message's content: a binary message's bytes with its content
         *     type, a text message's text as `text/plain; charset=utf-8`, other
         *     JSON data as `application/json`.
         */
        Body: {
            headers: {
                "Content-Security-Policy": components["headers"]["BodyContentSecurityPolicy"];
                "Content-Disposition": components["headers"]["BodyContentDisposition"];
                "Cache-Control": components["headers"]["BodyCacheControl"];
                ETag: components["headers"]["BodyETag"];
                "Accept-Ranges": components["headers"]["Accept-Ranges"];
                "Content-Length": components["headers"]["BodyLength"];
                /** @description Always `nosniff`. */
                "X-Content-Type-Options": "nosniff";
                [name: string]: unknown;
            };
            content: {
                "*/*": components["schemas"]["RawBody"];
            };
        };
        /**
         * @description The part of the content the `Range` asked for (`Content-Range`
         *     says which), or, for several ranges, a `multipart/byteranges` of
         *     them.
         */
        BodyPart: {
            headers: {
                "Content-Security-Policy": components["headers"]["BodyContentSecurityPolicy"];
                "Content-Disposition": components["headers"]["BodyContentDisposition"];
                "Cache-Control": components["headers"]["BodyCacheControl"];
                ETag: components["headers"]["BodyETag"];
                "Accept-Ranges": components["headers"]["Accept-Ranges"];
                "Content-Length": components["headers"]["BodyLength"];
                /** @description Always `nosniff`. */
                "X-Content-Type-Options": "nosniff";
                "Content-Range": components["headers"]["Content-Range"];
                [name: string]: unknown;
            };
            content: {
                "*/*": components["schemas"]["RawBody"];
            };
        };
        /** @description The content named by If-None-Match is the message's. */
        BodyNotModified: {
            headers: {
                ETag: components["headers"]["BodyETag"];
                [name: string]: unknown;
            };
            content?: never;
        };
        /**
         * @description `invalid_request`: malformed JSON, an unknown field, a wrong type,
         *     trailing data, a bad query value, a malformed event id, a text body
         *     that is not UTF-8, `data` and `binary` together (or neither), a
         *     `binary` that is not standard base64, or an acknowledgement through
         *     an event id after the newest one queued.
         */
        InvalidRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#invalid_request",
                 *       "title": "Invalid request",
                 *       "status": 400,
                 *       "detail": "json: unknown field \"dta\"",
                 *       "code": "invalid_request"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `idempotency_key_required`: the request has no `Idempotency-Key`
         *     header, which this route requires; or `invalid_request`: the key is
         *     malformed (empty, longer than 255 characters, not printable ASCII,
         *     or given twice). Nothing changed.
         */
        KeyRequired: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#idempotency_key_required",
                 *       "title": "Idempotency key required",
                 *       "status": 400,
                 *       "detail": "This request must carry an Idempotency-Key header.",
                 *       "code": "idempotency_key_required"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `unauthorized`: the token is missing or wrong, or the port id is
         *     unknown or malformed (one answer for all four).
         */
        Unauthorized: {
            headers: {
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#unauthorized",
                 *       "title": "Unauthorized",
                 *       "status": 401,
                 *       "detail": "unknown port or wrong token",
                 *       "code": "unauthorized"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `unauthorized`: this deployment keeps tokens out of URLs
         *     (`ACCESS_TOKEN_IN_QUERY=deny`, or `auto` with an auth mode on) and
         *     the request has an `access_token` query parameter; every route
         *     refuses it, so that a client putting its token in URLs finds out at
         *     once.
         */
        QueryTokenRefused: {
            headers: {
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#unauthorized",
                 *       "title": "Unauthorized",
                 *       "status": 401,
                 *       "detail": "This server does not accept tokens in the URL (access_token); send the token in the Authorization header (Bearer).",
                 *       "code": "unauthorized"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `unauthorized`: the token is missing or wrong, or the port id is
         *     unknown or malformed (one answer for all four); or `invalid_ticket`:
         *     the ticket is unknown, used, expired or another port's (get a new
         *     one).
         */
        StreamUnauthorized: {
            headers: {
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#invalid_ticket",
                 *       "title": "Invalid ticket",
                 *       "status": 401,
                 *       "detail": "The ticket is unknown, used, expired or for another port; get a new one (POST /ports/{id}/tickets).",
                 *       "code": "invalid_ticket"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `unauthorized`: the token is missing or wrong, or the port id is
         *     unknown or malformed (one answer for all four); or `invalid_ticket`:
         *     the message ticket is unknown, expired, another port's or another
         *     message's, or a stream ticket (get a new one).
         */
        MessageTicketUnauthorized: {
            headers: {
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#invalid_ticket",
                 *       "title": "Invalid ticket",
                 *       "status": 401,
                 *       "detail": "The message ticket is unknown, expired, or for another port or message; get a new one (POST /ports/{id}/messages/{message_id}/tickets).",
                 *       "code": "invalid_ticket"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `unauthorized`: channel creation needs credentials here, and the
         *     request had none, or an API key or JWT that is not valid (one answer
         *     for all).
         */
        CreateUnauthorized: {
            headers: {
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#unauthorized",
                 *       "title": "Unauthorized",
                 *       "status": 401,
                 *       "detail": "Creating a channel needs valid credentials: an API key or a JWT in the Authorization header (Bearer).",
                 *       "code": "unauthorized"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `port_transferred`: the token (the port's own, or a scoped one) was
         *     valid before the port was transferred; or `insufficient_scope`: the
         *     token is a scoped token whose scope does not allow this operation.
         */
        PortTransferred: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#port_transferred",
                 *       "title": "Port transferred",
                 *       "status": 403,
                 *       "detail": "this port was transferred; its old token no longer works",
                 *       "code": "port_transferred"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `not_found`: no such route. */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#not_found",
                 *       "title": "Not found",
                 *       "status": 404,
                 *       "detail": "no such route",
                 *       "code": "not_found"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `message_not_found`: no message with this id is queued at the port: it was acknowledged (and so deleted), never there, or the id is no event id. */
        MessageNotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#message_not_found",
                 *       "title": "Message not found",
                 *       "status": 404,
                 *       "detail": "No message with this id is queued at the port.",
                 *       "code": "message_not_found"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `method_not_allowed`: the route exists but not with this method. */
        MethodNotAllowed: {
            headers: {
                Allow: components["headers"]["Allow"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#method_not_allowed",
                 *       "title": "Method not allowed",
                 *       "status": 405,
                 *       "detail": "this route does not accept DELETE",
                 *       "code": "method_not_allowed"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `port_busy`: the port is in the middle of a move; retry shortly. A
         *     transfer list refused because a listed port is mid-move answers this
         *     too, with the `invalid_transfer` extension fields and reason `busy`.
         */
        PortBusy: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#port_busy",
                 *       "title": "Port busy",
                 *       "status": 409,
                 *       "detail": "the port is being moved; retry shortly",
                 *       "code": "port_busy"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `idempotency_in_flight`: the first request with this Idempotency-Key
         *     is still being carried out; retry after `Retry-After` for its answer.
         */
        IdempotencyInFlight: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#idempotency_in_flight",
                 *       "title": "Request in flight",
                 *       "status": 409,
                 *       "detail": "a request with this Idempotency-Key is still being carried out",
                 *       "code": "idempotency_in_flight"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `port_busy` (the port, or a port in the transfer list, is mid-move;
         *     see `PortBusy`) or `idempotency_in_flight` (see
         *     `IdempotencyInFlight`). Either way, retry after `Retry-After`.
         */
        PostConflict: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#port_busy",
                 *       "title": "Port busy",
                 *       "status": 409,
                 *       "detail": "the port is being moved; retry shortly",
                 *       "code": "port_busy"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `invalid_transfer`: a port in the transfer list was refused; the
         *     problem names it with `transfer_index`, `port` and `reason`, which
         *     it always has. Or `idempotency_key_reused`: this Idempotency-Key was
         *     used for another request, and the problem has only the common
         *     fields. Tell them apart by `code`. Either way nothing changed: no
         *     message was stored and no port moved. (One `Problem` schema
         *     describes both, rather than a choice of two, so that every
         *     generator makes one type of it.)
         */
        PostUnprocessable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#invalid_transfer",
                 *       "title": "Invalid transfer",
                 *       "status": 422,
                 *       "detail": "transfer[0] refused: the port is the sending port's peer",
                 *       "code": "invalid_transfer",
                 *       "transfer_index": 0,
                 *       "port": "01KAK9Q01VBCAB18KVMXN4YNBZ",
                 *       "reason": "peer"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `too_many_tokens`: the port already has 100 scoped tokens; revoke
         *     one first. Or `port_busy` (see `PortBusy`), with `Retry-After`.
         */
        MintConflict: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#too_many_tokens",
                 *       "title": "Too many tokens",
                 *       "status": 409,
                 *       "detail": "The port has as many scoped tokens as it may; revoke one first.",
                 *       "code": "too_many_tokens"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `not_found`: the port has no live scoped token with this id. */
        TokenNotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#not_found",
                 *       "title": "Not found",
                 *       "status": 404,
                 *       "detail": "The port has no scoped token with this id.",
                 *       "code": "not_found"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `unauthorized`: the collection's token is missing or wrong, or the
         *     collection is unknown, expired or deleted (one answer for all).
         */
        CollectionUnauthorized: {
            headers: {
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#unauthorized",
                 *       "title": "Unauthorized",
                 *       "status": 401,
                 *       "detail": "A valid bearer token for this collection is required.",
                 *       "code": "unauthorized"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `too_many_members`: the collection has `MAX_COLLECTION_MEMBERS`
         *     members; remove one first. Or `port_busy`: the port is in the
         *     middle of a move; retry after `Retry-After`.
         */
        AddMemberConflict: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#too_many_members",
                 *       "title": "Too many members",
                 *       "status": 409,
                 *       "detail": "The collection has as many members as it may (MAX_COLLECTION_MEMBERS); remove one first.",
                 *       "code": "too_many_members"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `invalid_member`: the port cannot be added. `port` names it and
         *     `member_code` is the problem the port's own routes would answer:
         *     `unauthorized` (unknown port, wrong or revoked token),
         *     `port_transferred`, `insufficient_scope` (a `listen` token) or
         *     `port_closed`.
         */
        InvalidMember: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#invalid_member",
                 *       "title": "Invalid member",
                 *       "status": 422,
                 *       "detail": "Port 01KAK9Q01VBCAB18KVMXVCJ4NX was refused: This token's scope does not allow this operation on the port.",
                 *       "code": "invalid_member",
                 *       "port": "01KAK9Q01VBCAB18KVMXVCJ4NX",
                 *       "member_code": "insufficient_scope"
                 *     }
                 */
                "application/problem+json": components["schemas"]["InvalidMemberProblem"];
            };
        };
        /** @description `not_found`: the port is not a member of the collection. */
        MemberNotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#not_found",
                 *       "title": "Not found",
                 *       "status": 404,
                 *       "detail": "The port is not a member of this collection.",
                 *       "code": "not_found"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `port_closed`: the channel is closed. */
        PortClosed: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#port_closed",
                 *       "title": "Port closed",
                 *       "status": 410,
                 *       "detail": "the channel is closed",
                 *       "code": "port_closed"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `precondition_failed`: If-Match does not name the message's content (its `ETag`). */
        PreconditionFailed: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#precondition_failed",
                 *       "title": "Precondition failed",
                 *       "status": 412,
                 *       "detail": "The message's body is not the one named by If-Match.",
                 *       "code": "precondition_failed"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `range_not_satisfiable`: the `Range` is malformed or starts past
         *     the end of the content; `Content-Range` (`bytes *\/<length>`) gives
         *     the content's length.
         */
        RangeNotSatisfiable: {
            headers: {
                "Content-Range": components["headers"]["UnsatisfiedRange"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#range_not_satisfiable",
                 *       "title": "Range not satisfiable",
                 *       "status": 416,
                 *       "detail": "The Range asked for is malformed or starts past the end of the message's body.",
                 *       "code": "range_not_satisfiable"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `message_undecodable`: the message is queued but could not be
         *     decoded (corrupt in the store, or written by a newer version of the
         *     service), so there is no content to answer. Event streams and long
         *     polls deliver it as a message error; acknowledge it to delete it.
         */
        MessageUndecodable: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#message_undecodable",
                 *       "title": "Message undecodable",
                 *       "status": 422,
                 *       "detail": "The message is queued but could not be decoded.",
                 *       "code": "message_undecodable"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `payload_too_large`: the body is larger than the server's limit (`MAX_MESSAGE_SIZE`, 256 KiB by default). */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#payload_too_large",
                 *       "title": "Payload too large",
                 *       "status": 413,
                 *       "detail": "the body is larger than 262144 bytes",
                 *       "code": "payload_too_large"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `content_type_required`: the body has no `Content-Type`, so what it
         *     is (JSON, text or bytes) is not guessed; or `invalid_content_type`:
         *     the content type of bytes (the `Content-Type`, or a JSON body's
         *     `content_type`) is not a media type, or is longer than 255 bytes.
         *     Nothing was stored.
         */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#content_type_required",
                 *       "title": "Content-Type required",
                 *       "status": 415,
                 *       "detail": "A post must say what its body is with a Content-Type header.",
                 *       "code": "content_type_required"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `payload_too_large` (see `PayloadTooLarge`), or
         *     `broadcast_too_large`: the collection's members times the message's
         *     bytes are more than one broadcast may store (`MAX_BROADCAST_BYTES`,
         *     64 MiB by default); nothing was stored. Send a smaller message, or
         *     broadcast to fewer members.
         */
        BroadcastTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#broadcast_too_large",
                 *       "title": "Broadcast too large",
                 *       "status": 413,
                 *       "detail": "the collection's members times the message's bytes are more than one broadcast may store",
                 *       "code": "broadcast_too_large"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `queue_full`: the receiver's queue is at its limit
         *     (`MAX_QUEUE_LENGTH`, 10000 by default), or has no room for the
         *     message's bytes (`MAX_QUEUE_BYTES`, 64 MiB of data by default);
         *     nothing was stored. Or
         *     `rate_limited` (see `RateLimited`). Either way, retry after
         *     `Retry-After`.
         */
        QueueFull: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#queue_full",
                 *       "title": "Queue full",
                 *       "status": 429,
                 *       "detail": "the receiving port's queue is full",
                 *       "code": "queue_full"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `too_many_streams`: this port already has `MAX_STREAMS_PER_PORT` (8
         *     by default) event streams open, or this client address (the TCP
         *     peer's IP, or behind a proxy in `TRUSTED_PROXIES` the client it
         *     names in X-Forwarded-For) has `MAX_STREAMS_PER_CLIENT` (256 by
         *     default) event streams and waiting long polls open; close one, or
         *     retry after `Retry-After`. Or `rate_limited` or
         *     `too_many_connections` (see `RateLimited`).
         */
        TooManyStreams: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#too_many_streams",
                 *       "title": "Too many streams",
                 *       "status": 429,
                 *       "detail": "Too many event streams are open on this port, or event streams and waiting long polls from this address; close one or retry later.",
                 *       "code": "too_many_streams"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description `rate_limited`: this client address, or this credential (bearer
         *     token, `access_token` or ticket), sent more requests than its rate
         *     allows (`RATE_LIMIT_PER_CLIENT` and `RATE_LIMIT_PER_TOKEN` a second,
         *     with bursts of `RATE_LIMIT_PER_CLIENT_BURST` and
         *     `RATE_LIMIT_PER_TOKEN_BURST`); nothing was done. `Retry-After` says
         *     in how many whole seconds the next request will be accepted. Or
         *     `too_many_connections`: behind a proxy in `TRUSTED_PROXIES`, the
         *     client it names already has `MAX_CONNECTIONS_PER_CLIENT` (512 by
         *     default) requests open at once, streams and long polls included;
         *     end one, or retry after `Retry-After`.
         */
        RateLimited: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#rate_limited",
                 *       "title": "Rate limited",
                 *       "status": 429,
                 *       "detail": "Too many requests from this address or with this credential; retry after Retry-After seconds.",
                 *       "code": "rate_limited"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `request_timeout`: the request body did not arrive within `BODY_READ_TIMEOUT` (30s by default); nothing was done. */
        RequestTimeout: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#request_timeout",
                 *       "title": "Request timeout",
                 *       "status": 408,
                 *       "detail": "The request body did not arrive in time.",
                 *       "code": "request_timeout"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `internal_error`: something unexpected happened; it is logged, and the answer says nothing more. */
        InternalError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#internal_error",
                 *       "title": "Internal error",
                 *       "status": 500,
                 *       "detail": "internal error",
                 *       "code": "internal_error"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /** @description `unavailable`: the store cannot be reached, did not answer within `REDIS_TIMEOUT`, is out of memory or otherwise cannot serve now, or (with `REDIS_WAIT_REPLICAS`) too few replicas confirmed a write in time; retry after `Retry-After`. For a change it is an unknown outcome, not a refusal: the change may have been made (a post stored, a port transferred), so retry with the same `Idempotency-Key` to get its answer, made once. Or, on a post, a broadcast, a long poll or an event stream, `server_busy`: the server is handling as many bytes of messages at once as it may (`MAX_INFLIGHT_BYTES`); nothing was done, retry after `Retry-After`. */
        Unavailable: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "/docs/errors#unavailable",
                 *       "title": "Unavailable",
                 *       "status": 503,
                 *       "detail": "the store is unavailable",
                 *       "code": "unavailable"
                 *     }
                 */
                "application/problem+json": components["schemas"]["Problem"];
            };
        };
        /**
         * @description Success: the GET's headers (`Content-Type` included) without its
         *     body. `Content-Length` is there when the GET states one: always for
         *     the spec and the pages, and for a small JSON answer.
         */
        HeadOK: {
            headers: {
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `401` (`unauthorized`, or `invalid_ticket` where a ticket is taken), without the body. */
        HeadUnauthorized: {
            headers: {
                "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `403` (`port_transferred` or `insufficient_scope`), without the body. */
        HeadForbidden: {
            headers: {
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `404` (`not_found`), without the body. */
        HeadNotFound: {
            headers: {
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `400` (`invalid_request`), without the body. */
        HeadInvalidRequest: {
            headers: {
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `404` (`message_not_found`), without the body. */
        HeadMessageNotFound: {
            headers: {
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `409` (`port_busy`), without the body; retry after `Retry-After`. */
        HeadPortBusy: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `429` (`rate_limited` or `too_many_connections`), without the body. */
        HeadRateLimited: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `500` (`internal_error`), without the body. */
        HeadInternalError: {
            headers: {
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `503` (`unavailable`), without the body; retry after `Retry-After`. */
        HeadUnavailable: {
            headers: {
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `412` (`precondition_failed`), without the body. */
        HeadPreconditionFailed: {
            headers: {
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `416` (`range_not_satisfiable`), without the body. */
        HeadRangeNotSatisfiable: {
            headers: {
                "Content-Range": components["headers"]["UnsatisfiedRange"];
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The GET's `422` (`message_undecodable`), without the body. */
        HeadMessageUndecodable: {
            headers: {
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The content's headers, `Content-Type` and `Content-Length` included, without the content. */
        HeadBody: {
            headers: {
                "Content-Security-Policy": components["headers"]["BodyContentSecurityPolicy"];
                "Content-Disposition": components["headers"]["BodyContentDisposition"];
                "Cache-Control": components["headers"]["BodyCacheControl"];
                ETag: components["headers"]["BodyETag"];
                "Accept-Ranges": components["headers"]["Accept-Ranges"];
                "Content-Length": components["headers"]["BodyLength"];
                /** @description Always `nosniff`. */
                "X-Content-Type-Options": "nosniff";
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The part's headers, as the GET answers them, without the part. */
        HeadBodyPart: {
            headers: {
                "Content-Security-Policy": components["headers"]["BodyContentSecurityPolicy"];
                "Content-Disposition": components["headers"]["BodyContentDisposition"];
                "Cache-Control": components["headers"]["BodyCacheControl"];
                ETag: components["headers"]["BodyETag"];
                "Accept-Ranges": components["headers"]["Accept-Ranges"];
                "Content-Length": components["headers"]["BodyLength"];
                /** @description Always `nosniff`. */
                "X-Content-Type-Options": "nosniff";
                "Content-Range": components["headers"]["Content-Range"];
                [name: string]: unknown;
            };
            content?: never;
        };
        /** @description The page's headers, as a GET answers them, without the page. */
        PageHead: {
            headers: {
                /** @description The page's version. */
                ETag?: string;
                /** @description Always `no-cache`. */
                "Cache-Control"?: "no-cache";
                /** @description Lets the page load nothing but tincan's own files. */
                "Content-Security-Policy"?: string;
                /** @description Always `nosniff`. */
                "X-Content-Type-Options"?: "nosniff";
                "Content-Length": components["headers"]["Content-Length"];
                [name: string]: unknown;
            };
            content?: never;
        };
    };
    parameters: {
        /** @description A collection's id (a ULID), as answered by `createCollection`. */
        CollectionIdPath: components["schemas"]["CollectionId"];
        /**
         * @description A member port's id.
         * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
         */
        MemberPortPath: string;
        /**
         * @description A scoped token's id (a ULID), as minted or listed.
         * @example 01KAKA2ZQ8W6Q3X9T4J5N7M1PB
         */
        TokenIdPath: string;
        /**
         * @description A port id (a ULID). An unknown or malformed id answers exactly like
         *     a wrong token: `401 unauthorized`.
         * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
         */
        PortIdPath: string;
        /**
         * @description A message's event id at this port, as delivered. One that is no
         *     event id names no message: `404 message_not_found`.
         * @example 1763731800456-0
         */
        MessageIdPath: string;
        /**
         * @description Answer only messages with ids after this one. Empty or absent: from
         *     the oldest unacknowledged message. A malformed id is `400
         *     invalid_request`.
         * @example 1763731800456-0
         */
        After: components["schemas"]["EventIdOrEmpty"];
        /** @description The most messages to answer. Out of range is `400 invalid_request`. */
        Limit: number;
        /**
         * @description Seconds to wait for a message when none is queued after `after`
         *     (long poll). Values above the server's maximum (`LONG_POLL_MAX_WAIT`, 30 s
         *     by default) are clamped to it; a negative or non-integer value is
         *     `400 invalid_request`. While it waits, a long poll counts toward its
         *     client address's `MAX_STREAMS_PER_CLIENT`, as an event stream does;
         *     one more is `429 too_many_streams`.
         */
        Wait: number;
        /**
         * @description Makes the request safe to retry: a retry with the same key and the
         *     same request within the window gets the first answer again and
         *     changes nothing. 1 to 255 printable ASCII characters; use a random
         *     one (a UUID) per request. Anything else is `400 invalid_request`.
         * @example 5f0c2a9e-8d4b-4c61-9a57-2f3e1b7d6c90
         */
        IdempotencyKey: string;
        /**
         * @description Names the request so that its retries get its answer: a retry with
         *     the same key and the same request within the window gets the first
         *     answer again and changes nothing. 1 to 255 printable ASCII
         *     characters; use a random one (a UUID) per request, sent again
         *     unchanged on every retry. Without one the answer is `400
         *     idempotency_key_required`; a malformed one is `400
         *     invalid_request`.
         * @example 5f0c2a9e-8d4b-4c61-9a57-2f3e1b7d6c90
         */
        IdempotencyKeyRequired: string;
        /**
         * @description The origin the post comes from, kept with the message and delivered
         *     as its `origin`. Browsers set it themselves (a page cannot); other
         *     clients may send any value, so it is a claim, not a proof. It must
         *     be a serialized origin as a browser writes it, `scheme://host` or
         *     `scheme://host:port` in lower case without a path, or `null`, at
         *     most 256 bytes; anything else, an empty value or several `Origin`
         *     headers, is `400 invalid_request`.
         * @example https://app.example.com
         */
        OriginHeader: components["schemas"]["Origin"];
        /**
         * @description The resume point: the stream acknowledges every message up to it
         *     and starts after it (a point after the newest message the service
         *     knows is answered with `event: reset` and `rewound_to`, never
         *     refused). For a stream of several ports, the composite position its
         *     message events carry. The `Last-Event-ID` header, which an
         *     EventSource sends on reconnection, has the same meaning and wins
         *     over this parameter.
         */
        LastEventIdQuery: components["schemas"]["StreamPosition"];
        /**
         * @description A stream ticket from `createTicket`, instead of a token (the
         *     `streamTicket` scheme); see the operation's description.
         */
        StreamTicketQuery: components["schemas"]["TicketSecret"];
        /**
         * @description A message ticket from `createMessageTicket`, instead of a token
         *     (the `messageTicketKey` scheme); see `getMessageBody`.
         */
        MessageTicketQuery: components["schemas"]["TicketSecret"];
    };
    requestBodies: never;
    headers: {
        /** @description Always `Bearer realm="tincan"`. */
        "WWW-Authenticate": string;
        /** @description Seconds to wait before retrying. */
        "Retry-After": number;
        /**
         * @description `true` on an answer given again to a retry under an Idempotency-Key:
         *     the request was carried out before, and nothing new was done.
         *     Absent otherwise.
         */
        "Idempotent-Replayed": "true";
        /** @description The methods the route accepts (comma-separated, or one per header line). */
        Allow: string;
        /** @description The size in bytes of the body the GET would answer. */
        "Content-Length": number;
        /**
         * @description Always `sandbox; default-src 'none'; frame-ancestors 'none'`: a
         *     message's content opened as a page runs no script, loads nothing
         *     and cannot be framed.
         */
        BodyContentSecurityPolicy: "sandbox; default-src 'none'; frame-ancestors 'none'";
        /**
         * @description `inline` for raster images (`image/png`, `image/jpeg`,
         *     `image/gif`, `image/webp`, `image/avif`), `audio/*` and `video/*`;
         *     `attachment` (a download) for every other type.
         */
        BodyContentDisposition: "inline" | "attachment";
        /** @description Always `private, no-store`. */
        BodyCacheControl: "private, no-store";
        /** @description Names the content; send it in If-None-Match, If-Range or If-Match. */
        BodyETag: string;
        /** @description The size in bytes of the content (of the part, for a `206`). */
        BodyLength: number;
        /** @description `bytes *\/<length>`: the content's length. */
        UnsatisfiedRange: string;
        /** @description Always `bytes`. */
        "Accept-Ranges": "bytes";
        /**
         * @description For a single range, the part answered and the whole length:
         *     `bytes <first>-<last>/<length>`. Several ranges answer
         *     `multipart/byteranges`, each part with its own.
         */
        "Content-Range": string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    createChannel: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: a retry with the same key and the
                 *     same request within the window gets the first answer again and
                 *     changes nothing. 1 to 255 printable ASCII characters; use a random
                 *     one (a UUID) per request. Anything else is `400 invalid_request`.
                 * @example 5f0c2a9e-8d4b-4c61-9a57-2f3e1b7d6c90
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new channel, with both ports' ids and tokens. */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Channel"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["CreateUnauthorized"];
            409: components["responses"]["IdempotencyInFlight"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    describePort: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The port. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Port"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            409: components["responses"]["PortBusy"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    headPort: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["HeadOK"];
            401: components["responses"]["HeadUnauthorized"];
            403: components["responses"]["HeadForbidden"];
            409: components["responses"]["HeadPortBusy"];
            429: components["responses"]["HeadRateLimited"];
            500: components["responses"]["HeadInternalError"];
            503: components["responses"]["HeadUnavailable"];
        };
    };
    listMessages: {
        parameters: {
            query?: {
                /**
                 * @description Answer only messages with ids after this one. Empty or absent: from
                 *     the oldest unacknowledged message. A malformed id is `400
                 *     invalid_request`.
                 * @example 1763731800456-0
                 */
                after?: components["parameters"]["After"];
                /** @description The most messages to answer. Out of range is `400 invalid_request`. */
                limit?: components["parameters"]["Limit"];
                /**
                 * @description Seconds to wait for a message when none is queued after `after`
                 *     (long poll). Values above the server's maximum (`LONG_POLL_MAX_WAIT`, 30 s
                 *     by default) are clamped to it; a negative or non-integer value is
                 *     `400 invalid_request`. While it waits, a long poll counts toward its
                 *     client address's `MAX_STREAMS_PER_CLIENT`, as an event stream does;
                 *     one more is `429 too_many_streams`.
                 */
                wait?: components["parameters"]["Wait"];
            };
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A batch of messages, maybe empty. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageList"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            409: components["responses"]["PortBusy"];
            429: components["responses"]["TooManyStreams"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    postMessage: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: a retry with the same key and the
                 *     same request within the window gets the first answer again and
                 *     changes nothing. 1 to 255 printable ASCII characters; use a random
                 *     one (a UUID) per request. Anything else is `400 invalid_request`.
                 * @example 5f0c2a9e-8d4b-4c61-9a57-2f3e1b7d6c90
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /**
                 * @description The origin the post comes from, kept with the message and delivered
                 *     as its `origin`. Browsers set it themselves (a page cannot); other
                 *     clients may send any value, so it is a claim, not a proof. It must
                 *     be a serialized origin as a browser writes it, `scheme://host` or
                 *     `scheme://host:port` in lower case without a path, or `null`, at
                 *     most 256 bytes; anything else, an empty value or several `Origin`
                 *     headers, is `400 invalid_request`.
                 * @example https://app.example.com
                 */
                Origin?: components["parameters"]["OriginHeader"];
            };
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PostMessageRequest"];
                /** @example hello */
                "text/plain": components["schemas"]["TextMessage"];
                "application/octet-stream": components["schemas"]["BinaryMessage"];
                "*/*": components["schemas"]["BinaryMessage"];
            };
        };
        responses: {
            /** @description The message is stored in the peer's queue. */
            201: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageCreated"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            408: components["responses"]["RequestTimeout"];
            409: components["responses"]["PostConflict"];
            410: components["responses"]["PortClosed"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["PostUnprocessable"];
            429: components["responses"]["QueueFull"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    getMessageBody: {
        parameters: {
            query?: {
                /**
                 * @description A message ticket from `createMessageTicket`, instead of a token
                 *     (the `messageTicketKey` scheme); see `getMessageBody`.
                 */
                ticket?: components["parameters"]["MessageTicketQuery"];
            };
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
                /**
                 * @description A message's event id at this port, as delivered. One that is no
                 *     event id names no message: `404 message_not_found`.
                 * @example 1763731800456-0
                 */
                message_id: components["parameters"]["MessageIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Body"];
            206: components["responses"]["BodyPart"];
            304: components["responses"]["BodyNotModified"];
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["MessageTicketUnauthorized"];
            403: components["responses"]["PortTransferred"];
            404: components["responses"]["MessageNotFound"];
            409: components["responses"]["PortBusy"];
            412: components["responses"]["PreconditionFailed"];
            416: components["responses"]["RangeNotSatisfiable"];
            422: components["responses"]["MessageUndecodable"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    headMessageBody: {
        parameters: {
            query?: {
                /**
                 * @description A message ticket from `createMessageTicket`, instead of a token
                 *     (the `messageTicketKey` scheme); see `getMessageBody`.
                 */
                ticket?: components["parameters"]["MessageTicketQuery"];
            };
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
                /**
                 * @description A message's event id at this port, as delivered. One that is no
                 *     event id names no message: `404 message_not_found`.
                 * @example 1763731800456-0
                 */
                message_id: components["parameters"]["MessageIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["HeadBody"];
            206: components["responses"]["HeadBodyPart"];
            304: components["responses"]["BodyNotModified"];
            400: components["responses"]["HeadInvalidRequest"];
            401: components["responses"]["HeadUnauthorized"];
            403: components["responses"]["HeadForbidden"];
            404: components["responses"]["HeadMessageNotFound"];
            409: components["responses"]["HeadPortBusy"];
            412: components["responses"]["HeadPreconditionFailed"];
            416: components["responses"]["HeadRangeNotSatisfiable"];
            422: components["responses"]["HeadMessageUndecodable"];
            429: components["responses"]["HeadRateLimited"];
            500: components["responses"]["HeadInternalError"];
            503: components["responses"]["HeadUnavailable"];
        };
    };
    createMessageTicket: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
                /**
                 * @description A message's event id at this port, as delivered. One that is no
                 *     event id names no message: `404 message_not_found`.
                 * @example 1763731800456-0
                 */
                message_id: components["parameters"]["MessageIdPath"];
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["MessageTicketRequest"];
            };
        };
        responses: {
            /** @description The ticket. Use it before `expires_at`, as often as needed. */
            201: {
                headers: {
                    /** @description Always `no-store`. */
                    "Cache-Control": "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageTicket"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            404: components["responses"]["MessageNotFound"];
            408: components["responses"]["RequestTimeout"];
            409: components["responses"]["PortBusy"];
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    streamEvents: {
        parameters: {
            query?: {
                /**
                 * @description The resume point: the stream acknowledges every message up to it
                 *     and starts after it (a point after the newest message the service
                 *     knows is answered with `event: reset` and `rewound_to`, never
                 *     refused). For a stream of several ports, the composite position its
                 *     message events carry. The `Last-Event-ID` header, which an
                 *     EventSource sends on reconnection, has the same meaning and wins
                 *     over this parameter.
                 */
                last_event_id?: components["parameters"]["LastEventIdQuery"];
                /**
                 * @description A stream ticket from `createTicket`, instead of a token (the
                 *     `streamTicket` scheme); see the operation's description.
                 */
                ticket?: components["parameters"]["StreamTicketQuery"];
            };
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An event stream; see the operation's description for the frames. */
            200: {
                headers: {
                    /** @description Always `no-cache`. */
                    "Cache-Control": "no-cache";
                    /** @description Always `no`, so that reverse proxies pass each event on at once. */
                    "X-Accel-Buffering": "no";
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example retry: 2000
                     *
                     *     event: message
                     *     id: 1763731800456-0
                     *     data: {"id":"1763731800456-0","port":"01KAK9Q01VBCAB18KVMXN4YNBZ","data":{"hello":"world"},"ports":[],"source":"01KAK9Q01VBCAB18KVMXVCJ4NX","sent_at":"2025-11-21T13:30:00.456789012Z","origin":"https://app.example.com"}
                     *
                     *     : keep-alive
                     *
                     *     event: close
                     *     data: {"port":"01KAK9Q01VBCAB18KVMXN4YNBZ","closed_at":"2025-11-21T13:31:02.5Z"}
                     */
                    "text/event-stream": components["schemas"]["EventStream"];
                };
            };
            /**
             * @description The channel is closed and nothing is left to deliver after the
             *     resume point. An EventSource stops reconnecting.
             */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["StreamUnauthorized"];
            403: components["responses"]["PortTransferred"];
            409: components["responses"]["PortBusy"];
            429: components["responses"]["TooManyStreams"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    createTicket: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["TicketRequest"];
            };
        };
        responses: {
            /** @description The ticket. Use it once, before `expires_at`. */
            201: {
                headers: {
                    /** @description Always `no-store`. */
                    "Cache-Control": "no-store";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ticket"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            408: components["responses"]["RequestTimeout"];
            409: components["responses"]["PortBusy"];
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    ackMessages: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AckRequest"];
            };
        };
        responses: {
            /** @description Acknowledged. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            408: components["responses"]["RequestTimeout"];
            409: components["responses"]["PortBusy"];
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    closePort: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The channel is closed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            409: components["responses"]["PortBusy"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    transferPort: {
        parameters: {
            query?: never;
            header: {
                /**
                 * @description Names the request so that its retries get its answer: a retry with
                 *     the same key and the same request within the window gets the first
                 *     answer again and changes nothing. 1 to 255 printable ASCII
                 *     characters; use a random one (a UUID) per request, sent again
                 *     unchanged on every retry. Without one the answer is `400
                 *     idempotency_key_required`; a malformed one is `400
                 *     invalid_request`.
                 * @example 5f0c2a9e-8d4b-4c61-9a57-2f3e1b7d6c90
                 */
                "Idempotency-Key": components["parameters"]["IdempotencyKeyRequired"];
            };
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The port's id and its new token. */
            200: {
                headers: {
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PortCredentials"];
                };
            };
            400: components["responses"]["KeyRequired"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            409: components["responses"]["PortBusy"];
            410: components["responses"]["PortClosed"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    listTokens: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The scoped tokens. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenList"];
                };
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            409: components["responses"]["PortBusy"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    mintToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MintTokenRequest"];
            };
        };
        responses: {
            /** @description The new token, with its secret. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MintedToken"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            408: components["responses"]["RequestTimeout"];
            409: components["responses"]["MintConflict"];
            413: components["responses"]["PayloadTooLarge"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    revokeToken: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description A port id (a ULID). An unknown or malformed id answers exactly like
                 *     a wrong token: `401 unauthorized`.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                id: components["parameters"]["PortIdPath"];
                /**
                 * @description A scoped token's id (a ULID), as minted or listed.
                 * @example 01KAKA2ZQ8W6Q3X9T4J5N7M1PB
                 */
                token_id: components["parameters"]["TokenIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["PortTransferred"];
            404: components["responses"]["TokenNotFound"];
            409: components["responses"]["PortBusy"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    createCollection: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new collection, with its token. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NewCollection"];
                };
            };
            401: components["responses"]["CreateUnauthorized"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    describeCollection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The collection. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CollectionInfo"];
                };
            };
            401: components["responses"]["CollectionUnauthorized"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    deleteCollection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["CollectionUnauthorized"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    addMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddMemberRequest"];
            };
        };
        responses: {
            /** @description The port was a member already; its token is replaced. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "port": "01KAK9Q01VBCAB18KVMXVCJ4NX",
                     *       "added": false
                     *     }
                     */
                    "application/json": components["schemas"]["MemberAdded"];
                };
            };
            /** @description The port is a member now. */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemberAdded"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["CollectionUnauthorized"];
            408: components["responses"]["RequestTimeout"];
            409: components["responses"]["AddMemberConflict"];
            413: components["responses"]["PayloadTooLarge"];
            422: components["responses"]["InvalidMember"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    removeMember: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
                /**
                 * @description A member port's id.
                 * @example 01KAK9Q01VBCAB18KVMXVCJ4NX
                 */
                port: components["parameters"]["MemberPortPath"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed. */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["CollectionUnauthorized"];
            404: components["responses"]["MemberNotFound"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    broadcastMessage: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Makes the request safe to retry: a retry with the same key and the
                 *     same request within the window gets the first answer again and
                 *     changes nothing. 1 to 255 printable ASCII characters; use a random
                 *     one (a UUID) per request. Anything else is `400 invalid_request`.
                 * @example 5f0c2a9e-8d4b-4c61-9a57-2f3e1b7d6c90
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
                /**
                 * @description The origin the post comes from, kept with the message and delivered
                 *     as its `origin`. Browsers set it themselves (a page cannot); other
                 *     clients may send any value, so it is a claim, not a proof. It must
                 *     be a serialized origin as a browser writes it, `scheme://host` or
                 *     `scheme://host:port` in lower case without a path, or `null`, at
                 *     most 256 bytes; anything else, an empty value or several `Origin`
                 *     headers, is `400 invalid_request`.
                 * @example https://app.example.com
                 */
                Origin?: components["parameters"]["OriginHeader"];
            };
            path: {
                /** @description A collection's id (a ULID), as answered by `createCollection`. */
                id: components["parameters"]["CollectionIdPath"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BroadcastRequest"];
                /** @example hello, everyone */
                "text/plain": components["schemas"]["TextMessage"];
                "application/octet-stream": components["schemas"]["BinaryMessage"];
                "*/*": components["schemas"]["BinaryMessage"];
            };
        };
        responses: {
            /** @description Every member, delivered, refused or unknown. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BroadcastResult"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["CollectionUnauthorized"];
            408: components["responses"]["RequestTimeout"];
            413: components["responses"]["BroadcastTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
            503: components["responses"]["Unavailable"];
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is up. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            401: components["responses"]["QueryTokenRefused"];
        };
    };
    headHealthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["HeadOK"];
            401: components["responses"]["HeadUnauthorized"];
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready to serve. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ready"];
                };
            };
            401: components["responses"]["QueryTokenRefused"];
            503: components["responses"]["Unavailable"];
        };
    };
    headReadyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["HeadOK"];
            401: components["responses"]["HeadUnauthorized"];
            503: components["responses"]["HeadUnavailable"];
        };
    };
    getOpenAPI: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description This OpenAPI document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/yaml": string;
                };
            };
            401: components["responses"]["QueryTokenRefused"];
            429: components["responses"]["RateLimited"];
        };
    };
    headOpenAPI: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["HeadOK"];
            401: components["responses"]["HeadUnauthorized"];
            429: components["responses"]["HeadRateLimited"];
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The metrics, in the text format (version 0.0.4). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # HELP tincan_messages_posted_total Messages stored by a post (idempotent replays excluded) or by a broadcast (one a member reached).
                     *     # TYPE tincan_messages_posted_total counter
                     *     tincan_messages_posted_total 42
                     */
                    "text/plain": string;
                };
            };
            401: components["responses"]["QueryTokenRefused"];
            404: components["responses"]["NotFound"];
        };
    };
    headMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["HeadOK"];
            401: components["responses"]["HeadUnauthorized"];
            404: components["responses"]["HeadNotFound"];
        };
    };
    getDemoPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Page"];
            304: components["responses"]["PageNotModified"];
            401: components["responses"]["QueryTokenRefused"];
        };
    };
    headDemoPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["PageHead"];
            304: components["responses"]["PageNotModified"];
            401: components["responses"]["HeadUnauthorized"];
        };
    };
    getDocsPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Page"];
            304: components["responses"]["PageNotModified"];
            401: components["responses"]["QueryTokenRefused"];
        };
    };
    headDocsPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["PageHead"];
            304: components["responses"]["PageNotModified"];
            401: components["responses"]["HeadUnauthorized"];
        };
    };
    getErrorCatalogue: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["Page"];
            304: components["responses"]["PageNotModified"];
            401: components["responses"]["QueryTokenRefused"];
        };
    };
    headErrorCatalogue: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: components["responses"]["PageHead"];
            304: components["responses"]["PageNotModified"];
            401: components["responses"]["HeadUnauthorized"];
        };
    };
}
