import { decodeMessage, type Message, type PortCredentials, type Tincan } from "./client.js";
import { isRetryable, refusal, TincanError } from "./errors.js";
import { retryDelay, sleep } from "./retry.js";
import type { components } from "./schema.js";
import { readEvents } from "./sse.js";

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
  | { type: "open" }
  /** A message; it is acknowledged once you ask for the next event. */
  | { type: "message"; message: Message }
  /** In place of a queued message the service cannot decode; acknowledged like a message. */
  | { type: "messageerror"; error: MessageErrorEvent }
  /**
   * The stream goes on after another point than the last message you
   * took: messages up to acked_through were acknowledged elsewhere, or,
   * with rewound_to, the service lost the messages after rewound_to (a
   * failover) and may issue their ids again, to other messages.
   */
  | { type: "reset"; reset: ResetEvent }
  /** The stream dropped or could not open (reason); it opens again after delayMs. */
  | { type: "reconnecting"; attempt: number; delayMs: number; reason: unknown }
  /**
   * The channel is closed and every message before the close was
   * delivered (and acknowledged). close is the event's data, or undefined
   * when the service answered 204 (closed, nothing left).
   */
  | { type: "close"; close: CloseEvent | undefined }
  /**
   * The port was transferred to another holder: the token used here is
   * dead. transferred is the event's data, or undefined when a new ticket
   * was refused as 403 port_transferred.
   */
  | { type: "transferred"; transferred: TransferredEvent | undefined };

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
export async function* subscribe(
  client: Tincan,
  port: PortCredentials,
  options: SubscribeOptions = {},
): AsyncGenerator<StreamEvent, void, undefined> {
  const { signal: outer, firstDelayMs = 500, maxDelayMs = 30_000, maxAttempts = Infinity } = options;
  if (outer?.aborted) return;
  // Our own signal, so that breaking out of the loop also ends the fetch.
  const ctl = new AbortController();
  const stop = () => ctl.abort(outer?.reason);
  outer?.addEventListener("abort", stop, { once: true });
  const signal = ctl.signal;
  const acks = new Acker(client, port, options.onAck, options.ackEveryMs ?? 0);
  let position = options.after ?? ""; // the last message taken
  let failures = 0;
  let hint: number | undefined; // the server's retry: field
  try {
    for (;;) {
      let reason: unknown;
      let res: Response | undefined;
      try {
        const ticket = await client.ticket(port, [], { signal });
        const url = new URL(client.url(ticket.events_url));
        if (position) url.searchParams.set("last_event_id", position);
        res = await client.fetch(url, { signal, headers: { Accept: "text/event-stream" } });
      } catch (err) {
        if (signal.aborted) return;
        reason = err;
      }
      if (res?.status === 204) {
        await res.body?.cancel();
        await acks.settle();
        yield { type: "close", close: undefined };
        return;
      }
      if (res && !res.ok) reason = await refusal(`stream of ${port.id}`, res);
      if (res?.ok && res.body) {
        failures = 0;
        yield { type: "open" };
        try {
          for await (const frame of readEvents(res.body)) {
            if (frame.kind === "retry") {
              hint = frame.ms;
              continue;
            }
            switch (frame.event) {
              case "message": {
                const message = decodeMessage(JSON.parse(frame.data) as Schemas["Message"]);
                yield { type: "message", message };
                position = message.id; // taken: the loop asked for more
                acks.through(message.id);
                break;
              }
              case "messageerror": {
                const error = JSON.parse(frame.data) as MessageErrorEvent;
                yield { type: "messageerror", error };
                position = error.id;
                acks.through(error.id);
                break;
              }
              case "reset": {
                const reset = JSON.parse(frame.data) as ResetEvent;
                // Where the stream goes on from, and so must a new one.
                position = reset.rewound_to ?? reset.acked_through;
                yield { type: "reset", reset };
                break;
              }
              case "close":
                await acks.settle();
                yield { type: "close", close: JSON.parse(frame.data) as CloseEvent };
                return;
              case "transferred":
                yield { type: "transferred", transferred: JSON.parse(frame.data) as TransferredEvent };
                return;
              // Event types of a later version are not ours to guess at.
            }
          }
          reason = new Error(`the stream of ${port.id} ended without a close`);
        } catch (err) {
          if (signal.aborted) return;
          reason = err;
        }
      }

      if (reason instanceof TincanError) {
        if (reason.status === 403 && reason.code === "port_transferred") {
          yield { type: "transferred", transferred: undefined };
          return;
        }
        // A ticket refused as the stream opens (expired on the way, say):
        // a new one tells whether the token still works.
        if (!isRetryable(reason) && reason.code !== "invalid_ticket") throw reason;
      }
      if (++failures > maxAttempts) throw reason;
      // After a stream that was open, the server's hint; else backoff.
      const delayMs = failures === 1 && hint !== undefined && !(reason instanceof TincanError)
        ? Math.min(hint, maxDelayMs)
        : retryDelay(reason, failures, firstDelayMs, maxDelayMs);
      yield { type: "reconnecting", attempt: failures, delayMs, reason };
      try {
        await sleep(delayMs, signal);
      } catch {
        return; // stopped
      }
    }
  } finally {
    outer?.removeEventListener("abort", stop);
    ctl.abort();
    acks.hurry(); // what was taken is acknowledged now, not after a pause
  }
}

// Acker acknowledges through the last message taken, one request at a
// time, and at least everyMs apart: ids taken meanwhile are covered by
// the next.
class Acker {
  #want = "";
  #done = "";
  #running: Promise<void> | undefined;
  #hurried = false;
  #cutPause: (() => void) | undefined;

  constructor(
    readonly client: Tincan,
    readonly port: PortCredentials,
    readonly onAck: ((through: string) => void) | undefined,
    readonly everyMs: number,
  ) {}

  through(id: string): void {
    this.#want = id;
    this.#running ??= this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#want !== this.#done) {
        const id = this.#want;
        const sent = Date.now();
        await this.client.ack(this.port, id);
        this.#done = id;
        this.onAck?.(id);
        const rest = this.everyMs - (Date.now() - sent);
        if (rest > 0 && !this.#hurried) await this.#pause(rest);
      }
    } catch {
      // The next message's acknowledgement, or the next stream's
      // last_event_id, covers this one.
    } finally {
      this.#running = undefined;
      this.#hurried = false;
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#cutPause = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => {
      this.#cutPause = undefined;
    });
  }

  /** hurry ends a pause: what was taken is acknowledged at once. */
  hurry(): void {
    if (!this.#running) return;
    this.#hurried = true;
    this.#cutPause?.();
  }

  /** settle acknowledges what was taken, without a pause, and waits for it. */
  settle(): Promise<void> {
    this.hurry();
    return this.#running ?? Promise.resolve();
  }
}
