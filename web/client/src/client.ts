import { contentTypeOf, fromBase64, isBytes, rawBody, toArrayBuffer, toBase64 } from "./body.js";
import { isAbort, isRetryable, refusal } from "./errors.js";
import { retryDelay, sleep } from "./retry.js";
import type { components } from "./schema.js";
import { subscribe, type StreamEvent, type SubscribeOptions } from "./subscribe.js";

type Schemas = components["schemas"];
export type Channel = Schemas["Channel"];
export type PortCredentials = Schemas["PortCredentials"];
export type Port = Schemas["Port"];
export type Ticket = Schemas["Ticket"];
export type MessageTicket = Schemas["MessageTicket"];
export type MessageError = Schemas["MessageError"];
export type ListReset = Schemas["ListReset"];
export type Scope = Schemas["MintTokenRequest"]["scope"];
export type MintedToken = Schemas["MintedToken"];
export type ScopedToken = Schemas["ScopedToken"];
export type NewCollection = Schemas["NewCollection"];
export type CollectionInfo = Schemas["CollectionInfo"];
export type MemberAdded = Schemas["MemberAdded"];
export type BroadcastResult = Schemas["BroadcastResult"];
type WireMessage = Schemas["Message"];

/**
 * Message is a delivered message, as the Web API's MessageEvent has it:
 * `data` is the posted JSON value (a string for text), or, for a binary
 * message, an ArrayBuffer of its bytes, with `content_type` beside it.
 * `ports` are the ports transferred with it, with tokens now the receiver's.
 */
export type Message = Omit<WireMessage, "data" | "binary"> & { data: unknown };

/** Batch is one answer of a long poll (read). */
export type Batch = Omit<Schemas["MessageList"], "messages"> & { messages: Message[] };

/** Credentials of a collection: its id and the token createCollection answered. */
export interface CollectionCredentials {
  id: string;
  token: string;
}

/** Options of a Tincan client. */
export interface TincanOptions {
  /**
   * baseUrl is where tincan answers, such as "https://tincan.example.com"
   * (a path prefix is kept). In a page, it defaults to the page's origin.
   */
  baseUrl?: string | URL;
  /** apiKey is sent as the Bearer token of createChannel and createCollection, where CREATE_AUTH asks for one. */
  apiKey?: string;
  /** fetch replaces the global fetch (for a proxy, a test, or an older runtime's polyfill). */
  fetch?: typeof fetch;
  /** attempts is how many times a request is sent in all while it fails in a retryable way (4 by default). */
  attempts?: number;
  /** maxDelayMs bounds each pause between attempts, Retry-After included (5000 by default). */
  maxDelayMs?: number;
}

/** Options every call takes. */
export interface CallOptions {
  /** signal aborts the call (and its retries). */
  signal?: AbortSignal;
}

/** Options of a post or a broadcast. */
export interface PostOptions extends CallOptions {
  /**
   * idempotencyKey is the request's Idempotency-Key; a fresh one by
   * default. Give your own to send the same message again later (after a
   * reload, say) without its being stored twice.
   */
  idempotencyKey?: string;
  /**
   * contentType is the Content-Type of bytes (by default a Blob's own
   * type, else application/octet-stream), or of text (text/plain by
   * default).
   */
  contentType?: string;
}

/** Options of a post through a port. */
export interface PortPostOptions extends PostOptions {
  /** transfer lists ports that move to the receiver with the message (postMessage's transfer list). */
  transfer?: PortCredentials[];
}

/** What a post answers. */
export interface Posted {
  /** id is the message's event id at the receiving port. */
  id: string;
  /** replayed says the service had stored this request already (under its Idempotency-Key) and answered it again. */
  replayed: boolean;
}

/** Options of a long poll. */
export interface ReadOptions extends CallOptions {
  /** after is the id after which to read (all unacknowledged messages without it). */
  after?: string;
  /** wait is how many seconds to wait for a message when none is there (0: answer at once). */
  wait?: number;
  /** limit bounds the number of messages answered. */
  limit?: number;
}

/** newIdempotencyKey answers a fresh random key: one per request, sent unchanged with each retry. */
export function newIdempotencyKey(): string {
  // randomUUID exists only in secure contexts (https, localhost).
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** decodeMessage turns a message as the wire has it into a Message: base64 bytes into an ArrayBuffer. */
export function decodeMessage(m: WireMessage): Message {
  const { binary, data, ...rest } = m;
  return { ...rest, data: binary !== undefined ? fromBase64(binary) : data };
}

interface Call extends CallOptions {
  /** token is sent as the Bearer credentials. */
  token?: string;
  /** json is sent as the body, as JSON. */
  json?: unknown;
  /** body and type are sent as they are, when json is not given. */
  body?: BodyInit;
  type?: string;
  headers?: Record<string, string>;
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
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #attempts: number;
  readonly #maxDelayMs: number;

  constructor(options: TincanOptions = {}) {
    const base = options.baseUrl ?? (globalThis as { location?: { origin: string } }).location?.origin;
    if (base === undefined) throw new TypeError("new Tincan: give baseUrl (there is no page origin to default to)");
    this.baseUrl = String(base).replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#maxDelayMs = options.maxDelayMs ?? 5_000;
  }

  /** url answers the absolute URL of a path the service gave (such as a ticket's events_url or a message ticket's url). */
  url(path: string): string {
    return /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : this.baseUrl + path;
  }

  /** fetch is the fetch this client sends with. */
  get fetch(): typeof fetch {
    return this.#fetch;
  }

  // send makes one attempt and answers the response, or throws a
  // TincanError built from a refusal's problem document.
  async #send(what: string, method: string, path: string, c: Call): Promise<Response> {
    const headers: Record<string, string> = { ...c.headers };
    if (c.token !== undefined) headers["Authorization"] = `Bearer ${c.token}`;
    let body: BodyInit | undefined = c.body;
    if (c.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(c.json);
    } else if (c.type !== undefined) {
      headers["Content-Type"] = c.type;
    }
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = body;
    if (c.signal) init.signal = c.signal;
    const res = await this.#fetch(this.url(path), init);
    if (res.ok) return res;
    throw await refusal(what, res);
  }

  // request sends again while the failure is retryable.
  async #request(what: string, method: string, path: string, c: Call = {}): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#send(what, method, path, c);
      } catch (err) {
        if (isAbort(err) || attempt >= this.#attempts || !isRetryable(err)) throw err;
        await sleep(retryDelay(err, attempt, 250, this.#maxDelayMs), c.signal);
      }
    }
  }

  async #json<T>(what: string, method: string, path: string, c: Call = {}): Promise<T> {
    const res = await this.#request(what, method, path, c);
    return (await res.json()) as T;
  }

  /** createChannel makes a channel (new MessageChannel()) and answers both ports' credentials. */
  createChannel(options: CallOptions = {}): Promise<Channel> {
    return this.#json("create channel", "POST", "/channels", { ...this.#creator(), ...options });
  }

  #creator(): Call {
    return this.#apiKey === undefined ? {} : { token: this.#apiKey };
  }

  /** describe answers what the port's holder may know of it: its state and its queue. */
  describe(port: PortCredentials, options: CallOptions = {}): Promise<Port> {
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
  async post(port: PortCredentials, data: unknown, options: PortPostOptions = {}): Promise<Posted> {
    const { transfer = [], idempotencyKey = newIdempotencyKey(), contentType, signal } = options;
    const entries = transfer.map((p) => ({ port: p.id, token: p.token }));
    const call = await bodyCall(data, contentType, entries.length > 0 ? { transfer: entries } : undefined);
    const res = await this.#request(`post through ${port.id}`, "POST", `/ports/${enc(port.id)}/messages`, {
      ...call,
      token: port.token,
      headers: { "Idempotency-Key": idempotencyKey },
      ...(signal ? { signal } : {}),
    });
    const created = (await res.json()) as Schemas["MessageCreated"];
    return { id: created.id, replayed: res.headers.get("Idempotent-Replayed") === "true" };
  }

  /**
   * read answers the messages queued at port (after `after`), waiting up to
   * `wait` seconds for one to arrive. It never acknowledges: call ack with
   * the answer's `next` once they are handled, and pass `next` as the next
   * read's `after`. A binary message's data is an ArrayBuffer.
   */
  async read(port: PortCredentials, options: ReadOptions = {}): Promise<Batch> {
    const q = new URLSearchParams();
    if (options.after) q.set("after", options.after);
    if (options.wait !== undefined) q.set("wait", String(options.wait));
    if (options.limit !== undefined) q.set("limit", String(options.limit));
    const query = q.toString() ? `?${q}` : "";
    const list = await this.#json<Schemas["MessageList"]>(`read ${port.id}`, "GET", `/ports/${enc(port.id)}/messages${query}`, {
      token: port.token,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { ...list, messages: list.messages.map(decodeMessage) };
  }

  /** ack deletes every message at port up to and including the event id through. */
  async ack(port: PortCredentials, through: string, options: CallOptions = {}): Promise<void> {
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
  transfer(port: PortCredentials, options: PostOptions = {}): Promise<PortCredentials> {
    const { idempotencyKey = newIdempotencyKey(), signal } = options;
    return this.#json(`transfer ${port.id}`, "POST", `/ports/${enc(port.id)}/transfer`, {
      token: port.token,
      headers: { "Idempotency-Key": idempotencyKey },
      ...(signal ? { signal } : {}),
    });
  }

  /** close closes port's channel, for both ends (port.close()). */
  async close(port: PortCredentials, options: CallOptions = {}): Promise<void> {
    await this.#request(`close ${port.id}`, "POST", `/ports/${enc(port.id)}/close`, { token: port.token, ...options });
  }

  /**
   * ticket answers a single-use ticket that opens port's event stream
   * (its events_url) without the token in a URL; more adds other ports to
   * the same stream. subscribe gets its own.
   */
  ticket(port: PortCredentials, more: PortCredentials[] = [], options: CallOptions = {}): Promise<Ticket> {
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
  messageTicket(port: PortCredentials, messageId: string, options: CallOptions = {}): Promise<MessageTicket> {
    return this.#json(`message ticket for ${messageId} at ${port.id}`, "POST",
      `/ports/${enc(port.id)}/messages/${enc(messageId)}/tickets`, { token: port.token, json: {}, ...options });
  }

  /** messageBody answers one queued message's content as bytes, with its Content-Type. */
  async messageBody(port: PortCredentials, messageId: string, options: CallOptions = {}): Promise<{ data: ArrayBuffer; contentType: string }> {
    const res = await this.#request(`body of ${messageId} at ${port.id}`, "GET",
      `/ports/${enc(port.id)}/messages/${enc(messageId)}/body`, { token: port.token, ...options });
    return { data: await res.arrayBuffer(), contentType: res.headers.get("Content-Type") ?? "" };
  }

  /** mintToken makes a scoped token for port (scope "post" or "listen") and answers it; the port's id with it is new credentials. */
  mintToken(port: PortCredentials, scope: Exclude<Scope, "full">, label = "", options: CallOptions = {}): Promise<MintedToken> {
    return this.#json(`mint a token for ${port.id}`, "POST", `/ports/${enc(port.id)}/tokens`, {
      token: port.token,
      json: { scope, label },
      ...options,
    });
  }

  /** listTokens lists port's scoped tokens (never their secrets). */
  async listTokens(port: PortCredentials, options: CallOptions = {}): Promise<ScopedToken[]> {
    const list = await this.#json<Schemas["TokenList"]>(`list tokens of ${port.id}`, "GET", `/ports/${enc(port.id)}/tokens`, { token: port.token, ...options });
    return list.tokens;
  }

  /** revokeToken revokes one of port's scoped tokens by its id. */
  async revokeToken(port: PortCredentials, tokenId: string, options: CallOptions = {}): Promise<void> {
    await this.#request(`revoke token ${tokenId} of ${port.id}`, "DELETE", `/ports/${enc(port.id)}/tokens/${enc(tokenId)}`, { token: port.token, ...options });
  }

  /** createCollection makes an empty collection of ports to broadcast to, and answers its id and token (shown only here). */
  createCollection(options: CallOptions = {}): Promise<NewCollection> {
    return this.#json("create collection", "POST", "/collections", { ...this.#creator(), ...options });
  }

  /** describeCollection answers the collection and its members. */
  describeCollection(col: CollectionCredentials, options: CallOptions = {}): Promise<CollectionInfo> {
    return this.#json(`describe collection ${col.id}`, "GET", `/collections/${enc(col.id)}`, { token: col.token, ...options });
  }

  /** deleteCollection forgets the collection; its members are not touched. */
  async deleteCollection(col: CollectionCredentials, options: CallOptions = {}): Promise<void> {
    await this.#request(`delete collection ${col.id}`, "DELETE", `/collections/${enc(col.id)}`, { token: col.token, ...options });
  }

  /**
   * addMember adds port to the collection, proving the right to post
   * through it (its own token or a post-scoped one): broadcasts then post
   * through it to its peer.
   */
  addMember(col: CollectionCredentials, port: PortCredentials, options: CallOptions = {}): Promise<MemberAdded> {
    return this.#json(`add ${port.id} to collection ${col.id}`, "POST", `/collections/${enc(col.id)}/members`, {
      token: col.token,
      json: { port: port.id, token: port.token },
      ...options,
    });
  }

  /** removeMember removes the port with id portId from the collection. */
  async removeMember(col: CollectionCredentials, portId: string, options: CallOptions = {}): Promise<void> {
    await this.#request(`remove ${portId} from collection ${col.id}`, "DELETE",
      `/collections/${enc(col.id)}/members/${enc(portId)}`, { token: col.token, ...options });
  }

  /**
   * broadcast posts data through every member port to its peer, each as
   * post would (bytes, text or JSON, by the same rule; no transfer list),
   * and answers who got it: delivered, refused, and unknown. Sent again
   * under the same Idempotency-Key, it stores nothing twice: retry a
   * broadcast that answered unknown members with the key it answered.
   */
  async broadcast(col: CollectionCredentials, data: unknown, options: PostOptions = {}): Promise<BroadcastResult & { idempotencyKey: string }> {
    const { idempotencyKey = newIdempotencyKey(), contentType, signal } = options;
    const call = await bodyCall(data, contentType, undefined);
    const result = await this.#json<BroadcastResult>(`broadcast to collection ${col.id}`, "POST", `/collections/${enc(col.id)}/messages`, {
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
  subscribe(port: PortCredentials, options: SubscribeOptions = {}): AsyncGenerator<StreamEvent, void, undefined> {
    return subscribe(this, port, options);
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

// bodyCall answers how data goes as a post's body: raw bytes or text under
// their type, or JSON (bytes as base64 `binary` when a transfer list rides
// along, as only a JSON body can carry both).
async function bodyCall(data: unknown, contentType: string | undefined, extra: { transfer: unknown[] } | undefined): Promise<Call> {
  if (isBytes(data)) {
    const type = contentTypeOf(data, contentType);
    if (extra === undefined) return { body: rawBody(data), type };
    return { json: { binary: toBase64(await toArrayBuffer(data)), content_type: type, ...extra } };
  }
  if (typeof data === "string" && extra === undefined) {
    return { body: data, type: contentType ?? "text/plain; charset=utf-8" };
  }
  return { json: { data, ...extra } };
}
