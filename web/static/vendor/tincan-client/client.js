import { contentTypeOf, fromBase64, isBytes, rawBody, toArrayBuffer, toBase64 } from "./body.js";
import { isAbort, isRetryable, refusal } from "./errors.js";
import { retryDelay, sleep } from "./retry.js";
import { subscribe } from "./subscribe.js";
/** newIdempotencyKey answers a fresh random key: one per request, sent unchanged with each retry. */
export function newIdempotencyKey() {
    // randomUUID exists only in secure contexts (https, localhost).
    if (typeof crypto.randomUUID === "function")
        return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
/** decodeMessage turns a message as the wire has it into a Message: base64 bytes into an ArrayBuffer. */
export function decodeMessage(m) {
    const { binary, data, ...rest } = m;
    return { ...rest, data: binary !== undefined ? fromBase64(binary) : data };
}
/**
 * Tincan is a client of one tincan service. Every method that acts on a
 * port takes the port's credentials ({id, token}, as createChannel,
 * transfer and delivered messages' `ports` answer them), throws a
 * TincanError carrying the problem document when the service refuses, and
 * sends the request again, up to `attempts` times with a growing pause
 * (Retry-After when the answer gives one), while it fails in a retryable
 * way (see isRetryable). Posts, transfers and broadcasts always carry an
 * Idempotency-Key, so that a retry after a lost answer is carried out
 * once; the other calls are safe to repeat as they are.
 */
export class Tincan {
    baseUrl;
    #apiKey;
    #fetch;
    #attempts;
    #maxDelayMs;
    constructor(options = {}) {
        const base = options.baseUrl ?? globalThis.location?.origin;
        if (base === undefined)
            throw new TypeError("new Tincan: give baseUrl (there is no page origin to default to)");
        this.baseUrl = String(base).replace(/\/+$/, "");
        this.#apiKey = options.apiKey;
        this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
        this.#attempts = Math.max(1, options.attempts ?? 4);
        this.#maxDelayMs = options.maxDelayMs ?? 5_000;
    }
    /** url answers the absolute URL of a path the service gave (such as a ticket's events_url or a message ticket's url). */
    url(path) {
        return /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : this.baseUrl + path;
    }
    /** fetch is the fetch this client sends with. */
    get fetch() {
        return this.#fetch;
    }
    // send makes one attempt and answers the response, or throws a
    // TincanError built from a refusal's problem document.
    async #send(what, method, path, c) {
        const headers = { ...c.headers };
        if (c.token !== undefined)
            headers["Authorization"] = `Bearer ${c.token}`;
        let body = c.body;
        if (c.json !== undefined) {
            headers["Content-Type"] = "application/json";
            body = JSON.stringify(c.json);
        }
        else if (c.type !== undefined) {
            headers["Content-Type"] = c.type;
        }
        const init = { method, headers };
        if (body !== undefined)
            init.body = body;
        if (c.signal)
            init.signal = c.signal;
        const res = await this.#fetch(this.url(path), init);
        if (res.ok)
            return res;
        throw await refusal(what, res);
    }
    // request sends again while the failure is retryable.
    async #request(what, method, path, c = {}) {
        for (let attempt = 1;; attempt++) {
            try {
                return await this.#send(what, method, path, c);
            }
            catch (err) {
                if (isAbort(err) || attempt >= this.#attempts || !isRetryable(err))
                    throw err;
                await sleep(retryDelay(err, attempt, 250, this.#maxDelayMs), c.signal);
            }
        }
    }
    async #json(what, method, path, c = {}) {
        const res = await this.#request(what, method, path, c);
        return (await res.json());
    }
    /** createChannel makes a channel (new MessageChannel()) and answers both ports' credentials. */
    createChannel(options = {}) {
        return this.#json("create channel", "POST", "/channels", { ...this.#creator(), ...options });
    }
    #creator() {
        return this.#apiKey === undefined ? {} : { token: this.#apiKey };
    }
    /** describe answers what the port's holder may know of it: its state and its queue. */
    describe(port, options = {}) {
        return this.#json(`describe ${port.id}`, "GET", `/ports/${enc(port.id)}`, { token: port.token, ...options });
    }
    /**
     * post sends data through port to its peer (port.postMessage(data,
     * transfer)) and answers the message's event id. data is sent as:
     *
     * - bytes (ArrayBuffer, a typed array or DataView, Blob): a binary
     *   message, delivered as an ArrayBuffer with its content type;
     * - a string: text (delivered as that string);
     * - anything else: JSON.
     *
     * With a transfer list, the ports in it move to the receiver in the same
     * step: their tokens here die, and the receiver gets fresh ones.
     */
    async post(port, data, options = {}) {
        const { transfer = [], idempotencyKey = newIdempotencyKey(), contentType, signal } = options;
        const entries = transfer.map((p) => ({ port: p.id, token: p.token }));
        const call = await bodyCall(data, contentType, entries.length > 0 ? { transfer: entries } : undefined);
        const res = await this.#request(`post through ${port.id}`, "POST", `/ports/${enc(port.id)}/messages`, {
            ...call,
            token: port.token,
            headers: { "Idempotency-Key": idempotencyKey },
            ...(signal ? { signal } : {}),
        });
        const created = (await res.json());
        return { id: created.id, replayed: res.headers.get("Idempotent-Replayed") === "true" };
    }
    /**
     * read answers the messages queued at port (after `after`), waiting up to
     * `wait` seconds for one to arrive. It never acknowledges: call ack with
     * the answer's `next` once they are handled, and pass `next` as the next
     * read's `after`. A binary message's data is an ArrayBuffer.
     */
    async read(port, options = {}) {
        const q = new URLSearchParams();
        if (options.after)
            q.set("after", options.after);
        if (options.wait !== undefined)
            q.set("wait", String(options.wait));
        if (options.limit !== undefined)
            q.set("limit", String(options.limit));
        const query = q.toString() ? `?${q}` : "";
        const list = await this.#json(`read ${port.id}`, "GET", `/ports/${enc(port.id)}/messages${query}`, {
            token: port.token,
            ...(options.signal ? { signal: options.signal } : {}),
        });
        return { ...list, messages: list.messages.map(decodeMessage) };
    }
    /** ack deletes every message at port up to and including the event id through. */
    async ack(port, through, options = {}) {
        await this.#request(`ack ${port.id}`, "POST", `/ports/${enc(port.id)}/ack`, { token: port.token, json: { through }, ...options });
    }
    /**
     * transfer moves port to the caller: the token it was given by dies, and
     * the answer carries the port's new token. It always carries an
     * Idempotency-Key (a fresh one unless given: keep your own with the old
     * token until the answer comes, to carry the transfer on after a reload),
     * so that a retry after a lost answer answers the same new token instead
     * of 403 port_transferred, which would leave the port held by nobody.
     */
    transfer(port, options = {}) {
        const { idempotencyKey = newIdempotencyKey(), signal } = options;
        return this.#json(`transfer ${port.id}`, "POST", `/ports/${enc(port.id)}/transfer`, {
            token: port.token,
            headers: { "Idempotency-Key": idempotencyKey },
            ...(signal ? { signal } : {}),
        });
    }
    /** close closes port's channel, for both ends (port.close()). */
    async close(port, options = {}) {
        await this.#request(`close ${port.id}`, "POST", `/ports/${enc(port.id)}/close`, { token: port.token, ...options });
    }
    /**
     * ticket answers a single-use ticket that opens port's event stream
     * (its events_url) without the token in a URL; more adds other ports to
     * the same stream. subscribe gets its own.
     */
    ticket(port, more = [], options = {}) {
        return this.#json(`ticket for ${port.id}`, "POST", `/ports/${enc(port.id)}/tickets`, {
            token: port.token,
            json: { ports: more.map((p) => ({ port: p.id, token: p.token })) },
            ...options,
        });
    }
    /**
     * messageTicket answers a ticket for one queued message's raw content,
     * and its url (relative to the service: see url()), which works without
     * a token any number of times until it expires: an <img src>, a
     * download link.
     */
    messageTicket(port, messageId, options = {}) {
        return this.#json(`message ticket for ${messageId} at ${port.id}`, "POST", `/ports/${enc(port.id)}/messages/${enc(messageId)}/tickets`, { token: port.token, json: {}, ...options });
    }
    /** messageBody answers one queued message's content as bytes, with its Content-Type. */
    async messageBody(port, messageId, options = {}) {
        const res = await this.#request(`body of ${messageId} at ${port.id}`, "GET", `/ports/${enc(port.id)}/messages/${enc(messageId)}/body`, { token: port.token, ...options });
        return { data: await res.arrayBuffer(), contentType: res.headers.get("Content-Type") ?? "" };
    }
    /** mintToken makes a scoped token for port (scope "post" or "listen") and answers it; the port's id with it is new credentials. */
    mintToken(port, scope, label = "", options = {}) {
        return this.#json(`mint a token for ${port.id}`, "POST", `/ports/${enc(port.id)}/tokens`, {
            token: port.token,
            json: { scope, label },
            ...options,
        });
    }
    /** listTokens lists port's scoped tokens (never their secrets). */
    async listTokens(port, options = {}) {
        const list = await this.#json(`list tokens of ${port.id}`, "GET", `/ports/${enc(port.id)}/tokens`, { token: port.token, ...options });
        return list.tokens;
    }
    /** revokeToken revokes one of port's scoped tokens by its id. */
    async revokeToken(port, tokenId, options = {}) {
        await this.#request(`revoke token ${tokenId} of ${port.id}`, "DELETE", `/ports/${enc(port.id)}/tokens/${enc(tokenId)}`, { token: port.token, ...options });
    }
    /** createCollection makes an empty collection of ports to broadcast to, and answers its id and token (shown only here). */
    createCollection(options = {}) {
        return this.#json("create collection", "POST", "/collections", { ...this.#creator(), ...options });
    }
    /** describeCollection answers the collection and its members. */
    describeCollection(col, options = {}) {
        return this.#json(`describe collection ${col.id}`, "GET", `/collections/${enc(col.id)}`, { token: col.token, ...options });
    }
    /** deleteCollection forgets the collection; its members are not touched. */
    async deleteCollection(col, options = {}) {
        await this.#request(`delete collection ${col.id}`, "DELETE", `/collections/${enc(col.id)}`, { token: col.token, ...options });
    }
    /**
     * addMember adds port to the collection, proving the right to post
     * through it (its own token or a post-scoped one): broadcasts then post
     * through it to its peer.
     */
    addMember(col, port, options = {}) {
        return this.#json(`add ${port.id} to collection ${col.id}`, "POST", `/collections/${enc(col.id)}/members`, {
            token: col.token,
            json: { port: port.id, token: port.token },
            ...options,
        });
    }
    /** removeMember removes the port with id portId from the collection. */
    async removeMember(col, portId, options = {}) {
        await this.#request(`remove ${portId} from collection ${col.id}`, "DELETE", `/collections/${enc(col.id)}/members/${enc(portId)}`, { token: col.token, ...options });
    }
    /**
     * broadcast posts data through every member port to its peer, each as
     * post would (bytes, text or JSON, by the same rule; no transfer list),
     * and answers who got it: delivered, refused, and unknown. Sent again
     * under the same Idempotency-Key, it stores nothing twice: retry a
     * broadcast that answered unknown members with the key it answered.
     */
    async broadcast(col, data, options = {}) {
        const { idempotencyKey = newIdempotencyKey(), contentType, signal } = options;
        const call = await bodyCall(data, contentType, undefined);
        const result = await this.#json(`broadcast to collection ${col.id}`, "POST", `/collections/${enc(col.id)}/messages`, {
            ...call,
            token: col.token,
            headers: { "Idempotency-Key": idempotencyKey },
            ...(signal ? { signal } : {}),
        });
        return { ...result, idempotencyKey };
    }
    /**
     * subscribe follows port's event stream; see the function of the same
     * name for what it yields and how it ends.
     */
    subscribe(port, options = {}) {
        return subscribe(this, port, options);
    }
}
function enc(s) {
    return encodeURIComponent(s);
}
// bodyCall answers how data goes as a post's body: raw bytes or text under
// their type, or JSON (bytes as base64 `binary` when a transfer list rides
// along, as only a JSON body can carry both).
async function bodyCall(data, contentType, extra) {
    if (isBytes(data)) {
        const type = contentTypeOf(data, contentType);
        if (extra === undefined)
            return { body: rawBody(data), type };
        return { json: { binary: toBase64(await toArrayBuffer(data)), content_type: type, ...extra } };
    }
    if (typeof data === "string" && extra === undefined) {
        return { body: data, type: contentType ?? "text/plain; charset=utf-8" };
    }
    return { json: { data, ...extra } };
}
