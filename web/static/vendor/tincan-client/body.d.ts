/** Bytes a message can carry: what `postMessage` would transfer as an ArrayBuffer. */
export type Bytes = ArrayBuffer | ArrayBufferView | Blob;
/** isBytes reports whether data is sent as a binary message rather than as JSON or text. */
export declare function isBytes(data: unknown): data is Bytes;
/** toArrayBuffer copies bytes into an ArrayBuffer of their own. */
export declare function toArrayBuffer(data: Bytes): Promise<ArrayBuffer>;
/** rawBody answers bytes as a fetch body that can be sent more than once. */
export declare function rawBody(data: Bytes): BodyInit;
/** contentTypeOf answers the Content-Type bytes are sent with: the one asked for, a Blob's own, or octet-stream. */
export declare function contentTypeOf(data: Bytes, asked: string | undefined): string;
/** toBase64 encodes bytes as standard base64 with padding, as tincan's `binary` field wants. */
export declare function toBase64(buf: ArrayBuffer): string;
/** fromBase64 decodes standard base64 into a fresh ArrayBuffer. */
export declare function fromBase64(b64: string): ArrayBuffer;
