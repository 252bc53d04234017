// A reader of text/event-stream, as the WHATWG HTML standard's
// "Server-sent events" section parses it, over a fetch body: unlike an
// EventSource, whoever opened the stream sees its status and headers, and
// decides when and how to open it again.

/** What a stream says: an event to dispatch, or a new reconnection delay. */
export type Frame =
  | {
      kind: "event";
      /** event is the event's type: its `event:` field, "message" without one. */
      event: string;
      /** data is the event's `data:` lines, joined by "\n". */
      data: string;
      /** id is the stream's last event id so far (ids carry over to later events, as in an EventSource). */
      id: string;
    }
  | {
      kind: "retry";
      /** ms is the `retry:` field: the delay the server asks for before reconnecting. */
      ms: number;
    };

/**
 * readEvents yields what body says, frame by frame, until it ends; an
 * event not closed by a blank line when it ends is dropped, as the standard
 * says. It rejects as body's reader does (a dropped connection, an abort).
 */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<Frame, void, undefined> {
  const reader = body.getReader();
  // UTF-8, with a leading BOM dropped (TextDecoder's default).
  const decoder = new TextDecoder();
  let buf = "";
  let event = "";
  let data: string[] = [];
  let id = "";
  try {
    for (let done = false; !done; ) {
      const r = await reader.read();
      done = r.done;
      buf += done ? decoder.decode() : decoder.decode(r.value, { stream: true });
      let start = 0;
      for (;;) {
        const cr = buf.indexOf("\r", start);
        const lf = buf.indexOf("\n", start);
        const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
        if (end < 0) break;
        // A CR last in the buffer may be the first half of a CRLF.
        if (end === cr && end === buf.length - 1 && !done) break;
        const line = buf.slice(start, end);
        start = end + (end === cr && buf[end + 1] === "\n" ? 2 : 1);

        if (line === "") {
          // Dispatch; an event without data is none, but its type resets.
          if (data.length > 0) yield { kind: "event", event: event || "message", data: data.join("\n"), id };
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue; // a comment (keep-alives)
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        switch (field) {
          case "event":
            event = value;
            break;
          case "data":
            data.push(value);
            break;
          case "id":
            if (!value.includes("\0")) id = value;
            break;
          case "retry":
            if (/^[0-9]+$/.test(value)) yield { kind: "retry", ms: Number(value) };
            break;
          // Any other field is ignored.
        }
      }
      buf = buf.slice(start);
    }
  } finally {
    // Stopped early (the caller broke off, or an error): let the
    // connection go.
    reader.cancel().catch(() => undefined);
  }
}
