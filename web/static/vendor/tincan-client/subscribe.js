import { decodeMessage } from "./client.js";
import { isRetryable, refusal, TincanError } from "./errors.js";
import { retryDelay, sleep } from "./retry.js";
import { readEvents } from "./sse.js";
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
export async function* subscribe(client, port, options = {}) {
    const { signal: outer, firstDelayMs = 500, maxDelayMs = 30_000, maxAttempts = Infinity } = options;
    if (outer?.aborted)
        return;
    // Our own signal, so that breaking out of the loop also ends the fetch.
    const ctl = new AbortController();
    const stop = () => ctl.abort(outer?.reason);
    outer?.addEventListener("abort", stop, { once: true });
    const signal = ctl.signal;
    const acks = new Acker(client, port, options.onAck, options.ackEveryMs ?? 0);
    let position = options.after ?? ""; // the last message taken
    let failures = 0;
    let hint; // the server's retry: field
    try {
        for (;;) {
            let reason;
            let res;
            try {
                const ticket = await client.ticket(port, [], { signal });
                const url = new URL(client.url(ticket.events_url));
                if (position)
                    url.searchParams.set("last_event_id", position);
                res = await client.fetch(url, { signal, headers: { Accept: "text/event-stream" } });
            }
            catch (err) {
                if (signal.aborted)
                    return;
                reason = err;
            }
            if (res?.status === 204) {
                await res.body?.cancel();
                await acks.settle();
                yield { type: "close", close: undefined };
                return;
            }
            if (res && !res.ok)
                reason = await refusal(`stream of ${port.id}`, res);
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
                                const message = decodeMessage(JSON.parse(frame.data));
                                yield { type: "message", message };
                                position = message.id; // taken: the loop asked for more
                                acks.through(message.id);
                                break;
                            }
                            case "messageerror": {
                                const error = JSON.parse(frame.data);
                                yield { type: "messageerror", error };
                                position = error.id;
                                acks.through(error.id);
                                break;
                            }
                            case "reset": {
                                const reset = JSON.parse(frame.data);
                                // Where the stream goes on from, and so must a new one.
                                position = reset.rewound_to ?? reset.acked_through;
                                yield { type: "reset", reset };
                                break;
                            }
                            case "close":
                                await acks.settle();
                                yield { type: "close", close: JSON.parse(frame.data) };
                                return;
                            case "transferred":
                                yield { type: "transferred", transferred: JSON.parse(frame.data) };
                                return;
                            // Event types of a later version are not ours to guess at.
                        }
                    }
                    reason = new Error(`the stream of ${port.id} ended without a close`);
                }
                catch (err) {
                    if (signal.aborted)
                        return;
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
                if (!isRetryable(reason) && reason.code !== "invalid_ticket")
                    throw reason;
            }
            if (++failures > maxAttempts)
                throw reason;
            // After a stream that was open, the server's hint; else backoff.
            const delayMs = failures === 1 && hint !== undefined && !(reason instanceof TincanError)
                ? Math.min(hint, maxDelayMs)
                : retryDelay(reason, failures, firstDelayMs, maxDelayMs);
            yield { type: "reconnecting", attempt: failures, delayMs, reason };
            try {
                await sleep(delayMs, signal);
            }
            catch {
                return; // stopped
            }
        }
    }
    finally {
        outer?.removeEventListener("abort", stop);
        ctl.abort();
        acks.hurry(); // what was taken is acknowledged now, not after a pause
    }
}
// Acker acknowledges through the last message taken, one request at a
// time, and at least everyMs apart: ids taken meanwhile are covered by
// the next.
class Acker {
    client;
    port;
    onAck;
    everyMs;
    #want = "";
    #done = "";
    #running;
    #hurried = false;
    #cutPause;
    constructor(client, port, onAck, everyMs) {
        this.client = client;
        this.port = port;
        this.onAck = onAck;
        this.everyMs = everyMs;
    }
    through(id) {
        this.#want = id;
        this.#running ??= this.#pump();
    }
    async #pump() {
        try {
            while (this.#want !== this.#done) {
                const id = this.#want;
                const sent = Date.now();
                await this.client.ack(this.port, id);
                this.#done = id;
                this.onAck?.(id);
                const rest = this.everyMs - (Date.now() - sent);
                if (rest > 0 && !this.#hurried)
                    await this.#pause(rest);
            }
        }
        catch {
            // The next message's acknowledgement, or the next stream's
            // last_event_id, covers this one.
        }
        finally {
            this.#running = undefined;
            this.#hurried = false;
        }
    }
    #pause(ms) {
        return new Promise((resolve) => {
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
    hurry() {
        if (!this.#running)
            return;
        this.#hurried = true;
        this.#cutPause?.();
    }
    /** settle acknowledges what was taken, without a pause, and waits for it. */
    settle() {
        this.hurry();
        return this.#running ?? Promise.resolve();
    }
}
