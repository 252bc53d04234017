import { type Message, type PortCredentials, type Tincan } from "./client.js";
import type { components } from "./schema.js";
type Schemas = components["schemas"];
export type MessageErrorEvent = Schemas["MessageErrorEvent"];
export type CloseEvent = Schemas["CloseEvent"];
export type TransferredEvent = Schemas["TransferredEvent"];
export type ResetEvent = Schemas["ResetEvent"];
/**
 * StreamEvent is what subscribe yields. "close" and "transferred" are the
 * last: the iteration ends after them.
 */
export type StreamEvent = 
/** The stream is open (again). */
{
    type: "open";
}
/** A message; it is acknowledged once you ask for the next event. */
 | {
    type: "message";
    message: Message;
}
/** In place of a queued message the service cannot decode; acknowledged like a message. */
 | {
    type: "messageerror";
    error: MessageErrorEvent;
}
/**
 * The stream goes on after another point than the last message you
 * took: messages up to acked_through were acknowledged elsewhere, or,
 * with rewound_to, the service lost the messages after rewound_to (a
 * failover) and may issue their ids again, to other messages.
 */
 | {
    type: "reset";
    reset: ResetEvent;
}
/** The stream dropped or could not open (reason); it opens again after delayMs. */
 | {
    type: "reconnecting";
    attempt: number;
    delayMs: number;
    reason: unknown;
}
/**
 * The channel is closed and every message before the close was
 * delivered (and acknowledged). close is the event's data, or undefined
 * when the service answered 204 (closed, nothing left).
 */
 | {
    type: "close";
    close: CloseEvent | undefined;
}
/**
 * The port was transferred to another holder: the token used here is
 * dead. transferred is the event's data, or undefined when a new ticket
 * was refused as 403 port_transferred.
 */
 | {
    type: "transferred";
    transferred: TransferredEvent | undefined;
};
/** Options of subscribe. */
export interface SubscribeOptions {
    /**
     * after is where to start: the id of the last message already handled,
     * which is acknowledged (with everything before it) as the stream opens.
     * Without it, the stream starts after the last acknowledged message.
     */
    after?: string;
    /** signal stops the subscription: the iteration ends quietly. */
    signal?: AbortSignal;
    /** firstDelayMs is the first pause before opening again after a failure (500 by default); it doubles each time. */
    firstDelayMs?: number;
    /** maxDelayMs bounds every pause, Retry-After and the server's retry hint included (30000 by default). */
    maxDelayMs?: number;
    /** maxAttempts is how many failed openings in a row end the subscription with the last error (no bound by default). */
    maxAttempts?: number;
    /** onAck is told each id through which an acknowledgement succeeded. */
    onAck?(through: string): void;
    /**
     * ackEveryMs spaces acknowledgements at least this far apart (0, the
     * default: each goes as soon as the one before it is answered). Each
     * still covers every message taken before it, so on a busy port a
     * larger value sends fewer requests, and the service does less per
     * message; should the process stop, the messages taken since the last
     * acknowledgement are delivered again to the next subscriber. A close
     * event, a 204 and the end of the iteration acknowledge what was taken
     * at once.
     */
    ackEveryMs?: number;
}
/**
 * subscribe follows port's event stream, as an async iterator of
 * StreamEvents:
 *
 *     for await (const ev of tincan.subscribe(port, { signal })) {
 *       if (ev.type === "message") show(ev.message.data);
 *     }
 *
 * It opens each stream with a fresh single-use ticket (never the token in
 * a URL) and reads it with fetch, so it sees every answer's status. A
 * message is acknowledged once the loop asks for the next event, that is
 * once your code has taken it; when the stream drops, the next one resumes
 * with last_event_id = the last message taken (which acknowledges through
 * it), so no message is lost and none is handed over twice in a row.
 *
 * Endings and signals:
 * - `event: close`, or 204 (closed, nothing left): yields "close", ends;
 * - `event: transferred`, or a ticket refused as 403 port_transferred:
 *   yields "transferred", ends;
 * - a stream that ends without either (the server restarted, a proxy cut
 *   it), no answer, 409 port_busy, 429, 502, 503, 504, or a refused ticket:
 *   yields "reconnecting" and opens again after a pause (Retry-After or the
 *   server's `retry:` hint when given, else a doubling backoff), capped;
 * - any other refusal (401: the token is dead or unknown; 403
 *   insufficient_scope; 400): throws the TincanError;
 * - the signal: ends quietly.
 *
 * Breaking out of the loop stops the stream too; the message being
 * handled then is not acknowledged (ack it yourself if it was handled).
 */
export declare function subscribe(client: Tincan, port: PortCredentials, options?: SubscribeOptions): AsyncGenerator<StreamEvent, void, undefined>;
export {};
