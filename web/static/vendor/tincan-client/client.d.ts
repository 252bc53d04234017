import type { components } from "./schema.js";
import { type StreamEvent, type SubscribeOptions } from "./subscribe.js";
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
export type Message = Omit<WireMessage, "data" | "binary"> & {
    data: unknown;
};
/** Batch is one answer of a long poll (read). */
export type Batch = Omit<Schemas["MessageList"], "messages"> & {
    messages: Message[];
};
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
export declare function newIdempotencyKey(): string;
/** decodeMessage turns a message as the wire has it into a Message: base64 bytes into an ArrayBuffer. */
export declare function decodeMessage(m: WireMessage): Message;
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
export declare class Tincan {
    #private;
    readonly baseUrl: string;
    constructor(options?: TincanOptions);
    /** url answers the absolute URL of a path the service gave (such as a ticket's events_url or a message ticket's url). */
    url(path: string): string;
    /** fetch is the fetch this client sends with. */
    get fetch(): typeof fetch;
    /** createChannel makes a channel (new MessageChannel()) and answers both ports' credentials. */
    createChannel(options?: CallOptions): Promise<Channel>;
    /** describe answers what the port's holder may know of it: its state and its queue. */
    describe(port: PortCredentials, options?: CallOptions): Promise<Port>;
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
    post(port: PortCredentials, data: unknown, options?: PortPostOptions): Promise<Posted>;
    /**
     * read answers the messages queued at port (after `after`), waiting up to
     * `wait` seconds for one to arrive. It never acknowledges: call ack with
     * the answer's `next` once they are handled, and pass `next` as the next
     * read's `after`. A binary message's data is an ArrayBuffer.
     */
    read(port: PortCredentials, options?: ReadOptions): Promise<Batch>;
    /** ack deletes every message at port up to and including the event id through. */
    ack(port: PortCredentials, through: string, options?: CallOptions): Promise<void>;
    /**
     * transfer moves port to the caller: the token it was given by dies, and
     * the answer carries the port's new token. It always carries an
     * Idempotency-Key (a fresh one unless given: keep your own with the old
     * token until the answer comes, to carry the transfer on after a reload),
     * so that a retry after a lost answer answers the same new token instead
     * of 403 port_transferred, which would leave the port held by nobody.
     */
    transfer(port: PortCredentials, options?: PostOptions): Promise<PortCredentials>;
    /** close closes port's channel, for both ends (port.close()). */
    close(port: PortCredentials, options?: CallOptions): Promise<void>;
    /**
     * ticket answers a single-use ticket that opens port's event stream
     * (its events_url) without the token in a URL; more adds other ports to
     * the same stream. subscribe gets its own.
     */
    ticket(port: PortCredentials, more?: PortCredentials[], options?: CallOptions): Promise<Ticket>;
    /**
     * messageTicket answers a ticket for one queued message's raw content,
     * and its url (relative to the service: see url()), which works without
     * a token any number of times until it expires: an <img src>, a
     * download link.
     */
    messageTicket(port: PortCredentials, messageId: string, options?: CallOptions): Promise<MessageTicket>;
    /** messageBody answers one queued message's content as bytes, with its Content-Type. */
    messageBody(port: PortCredentials, messageId: string, options?: CallOptions): Promise<{
        data: ArrayBuffer;
        contentType: string;
    }>;
    /** mintToken makes a scoped token for port (scope "post" or "listen") and answers it; the port's id with it is new credentials. */
    mintToken(port: PortCredentials, scope: Exclude<Scope, "full">, label?: string, options?: CallOptions): Promise<MintedToken>;
    /** listTokens lists port's scoped tokens (never their secrets). */
    listTokens(port: PortCredentials, options?: CallOptions): Promise<ScopedToken[]>;
    /** revokeToken revokes one of port's scoped tokens by its id. */
    revokeToken(port: PortCredentials, tokenId: string, options?: CallOptions): Promise<void>;
    /** createCollection makes an empty collection of ports to broadcast to, and answers its id and token (shown only here). */
    createCollection(options?: CallOptions): Promise<NewCollection>;
    /** describeCollection answers the collection and its members. */
    describeCollection(col: CollectionCredentials, options?: CallOptions): Promise<CollectionInfo>;
    /** deleteCollection forgets the collection; its members are not touched. */
    deleteCollection(col: CollectionCredentials, options?: CallOptions): Promise<void>;
    /**
     * addMember adds port to the collection, proving the right to post
     * through it (its own token or a post-scoped one): broadcasts then post
     * through it to its peer.
     */
    addMember(col: CollectionCredentials, port: PortCredentials, options?: CallOptions): Promise<MemberAdded>;
    /** removeMember removes the port with id portId from the collection. */
    removeMember(col: CollectionCredentials, portId: string, options?: CallOptions): Promise<void>;
    /**
     * broadcast posts data through every member port to its peer, each as
     * post would (bytes, text or JSON, by the same rule; no transfer list),
     * and answers who got it: delivered, refused, and unknown. Sent again
     * under the same Idempotency-Key, it stores nothing twice: retry a
     * broadcast that answered unknown members with the key it answered.
     */
    broadcast(col: CollectionCredentials, data: unknown, options?: PostOptions): Promise<BroadcastResult & {
        idempotencyKey: string;
    }>;
    /**
     * subscribe follows port's event stream; see the function of the same
     * name for what it yields and how it ends.
     */
    subscribe(port: PortCredentials, options?: SubscribeOptions): AsyncGenerator<StreamEvent, void, undefined>;
}
export {};
