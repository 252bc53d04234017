// How a message's content goes on the wire, and comes back.

/** Bytes a message can carry: what `postMessage` would transfer as an ArrayBuffer. */
export type Bytes = ArrayBuffer | ArrayBufferView | Blob;

/** isBytes reports whether data is sent as a binary message rather than as JSON or text. */
export function isBytes(data: unknown): data is Bytes {
  return data instanceof ArrayBuffer || ArrayBuffer.isView(data) || (typeof Blob !== "undefined" && data instanceof Blob);
}

/** toArrayBuffer copies bytes into an ArrayBuffer of their own. */
export async function toArrayBuffer(data: Bytes): Promise<ArrayBuffer> {
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) {
    const copy = new Uint8Array(data.byteLength);
    copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return copy.buffer;
  }
  return data.arrayBuffer();
}

/** rawBody answers bytes as a fetch body that can be sent more than once. */
export function rawBody(data: Bytes): BodyInit {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength) as Uint8Array<ArrayBuffer>;
  return data;
}

/** contentTypeOf answers the Content-Type bytes are sent with: the one asked for, a Blob's own, or octet-stream. */
export function contentTypeOf(data: Bytes, asked: string | undefined): string {
  if (asked) return asked;
  if (typeof Blob !== "undefined" && data instanceof Blob && data.type) return data.type;
  return "application/octet-stream";
}

// btoa and atob work on "binary strings" (one char a byte); building one
// in chunks keeps String.fromCharCode's argument list short.
const chunk = 0x8000;

/** toBase64 encodes bytes as standard base64 with padding, as tincan's `binary` field wants. */
export function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = "";
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}

/** fromBase64 decodes standard base64 into a fresh ArrayBuffer. */
export function fromBase64(b64: string): ArrayBuffer {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes.buffer;
}
