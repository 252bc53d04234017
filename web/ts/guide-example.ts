import { Tincan } from "@tincan-dev/client";

const tincan = new Tincan({ baseUrl: "http://localhost:8080" });
const { port1, port2 } = await tincan.createChannel();

// JSON, text, and bytes (a Blob keeps its type; an ArrayBuffer or a typed
// array is sent as application/octet-stream unless contentType says).
await tincan.post(port1, { hello: "world" });
await tincan.post(port1, "plain text");
await tincan.post(port1, new Blob(["%PNG..."], { type: "image/png" }));

// Follow port2 until the channel closes: each message is acknowledged
// once the loop moves on, and a dropped stream resumes where it was.
const stop = new AbortController();
for await (const ev of tincan.subscribe(port2, { signal: stop.signal })) {
  if (ev.type === "message") {
    const { data, content_type } = ev.message;
    console.log(data instanceof ArrayBuffer ? `${content_type}, ${data.byteLength} bytes` : data);
  }
  if (ev.type === "message" && ev.message.data === "plain text") await tincan.close(port1);
}
// The loop ends after "close" (or "transferred"), or when stop is aborted.
