/** What a stream says: an event to dispatch, or a new reconnection delay. */
export type Frame = {
    kind: "event";
    /** event is the event's type: its `event:` field, "message" without one. */
    event: string;
    /** data is the event's `data:` lines, joined by "\n". */
    data: string;
    /** id is the stream's last event id so far (ids carry over to later events, as in an EventSource). */
    id: string;
} | {
    kind: "retry";
    /** ms is the `retry:` field: the delay the server asks for before reconnecting. */
    ms: number;
};
/**
 * readEvents yields what body says, frame by frame, until it ends; an
 * event not closed by a blank line when it ends is dropped, as the standard
 * says. It rejects as body's reader does (a dropped connection, an abort).
 */
export declare function readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<Frame, void, undefined>;
