// The orval live check: drives a running tincan with the fetch client orval
// generates from api/openapi.yaml (out/orval/tincan.ts, made by ../run, not
// committed). It creates a channel, posts JSON and text, long-polls,
// acknowledges, transfers a port and decodes problems; above all it proves
// that orval's postMessage of {data: {n: 1}} arrives as the JSON object
// {n: 1}, never as the string of it, and that a post without a
// Content-Type is refused (415 content_type_required), so JSON can never
// be stored as text by mistake.
//
//   node out/js/live/orval.js http://127.0.0.1:PORT

import {
  ackMessages,
  createChannel,
  describePort,
  getPostMessageWithJsonUrl,
  listMessages,
  postMessageWithJson,
  postMessageWithText,
  transferPort,
} from "../out/orval/tincan.js";

// The two things of Node's this script uses, declared here rather than
// with @types/node.
declare const process: { argv: string[]; exit(code: number): never };

const base = process.argv[2];
if (!base) {
  console.error("usage: node orval.js <tincan base URL>");
  process.exit(2);
}

// orval's functions fetch paths ("/channels"), as a page on the service's
// own origin would; in Node they are resolved against the service's URL.
const nodeFetch = globalThis.fetch;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) =>
  nodeFetch(typeof input === "string" ? new URL(input, base) : input, init);

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function bearer(token: string, extra: Record<string, string> = {}): RequestInit {
  return { headers: { Authorization: `Bearer ${token}`, ...extra } };
}

async function main(): Promise<void> {
  const created = await createChannel();
  check(created.status === 201, `createChannel: status ${created.status}`);
  if (created.status !== 201) return;
  const { port1, port2 } = created.data;

  const json = await postMessageWithJson(port1.id, { data: { n: 1 } }, bearer(port1.token));
  check(json.status === 201, `postMessage JSON: status ${json.status} ${JSON.stringify(json.data)}`);
  const text = await postMessageWithText(port1.id, "hello", bearer(port1.token));
  check(text.status === 201, `postMessage text: status ${text.status} ${JSON.stringify(text.data)}`);

  // Without a Content-Type nothing is guessed: 415, and nothing stored.
  const untyped = await fetch(getPostMessageWithJsonUrl(port1.id), {
    method: "POST",
    headers: { Authorization: `Bearer ${port1.token}` },
    body: new TextEncoder().encode(JSON.stringify({ data: { n: 2 } })),
  });
  check(untyped.headers.get("Content-Type")?.startsWith("application/problem+json") === true, "untyped post: not a problem");
  const untypedProblem = (await untyped.json()) as { code?: string };
  check(untyped.status === 415 && untypedProblem.code === "content_type_required",
    `a post without Content-Type: ${untyped.status} ${JSON.stringify(untypedProblem)}, want 415 content_type_required`);

  const listed = await listMessages(port2.id, { wait: 5 }, bearer(port2.token));
  check(listed.status === 200, `listMessages: status ${listed.status}`);
  if (listed.status !== 200) return;
  const [first, second, ...rest] = listed.data.messages;
  check(first !== undefined && second !== undefined && rest.length === 0,
    `listMessages: ${listed.data.messages.length} messages, want 2 (the untyped post must not be stored)`);
  const data = first.data as unknown;
  check(typeof data === "object" && data !== null && !Array.isArray(data) && (data as { n?: unknown }).n === 1 &&
    Object.keys(data).length === 1, `the JSON post arrived as ${JSON.stringify(data)}, want the object {"n":1}`);
  check(second.data === "hello", `the text post arrived as ${JSON.stringify(second.data)}, want "hello"`);

  const acked = await ackMessages(port2.id, { through: listed.data.next }, bearer(port2.token));
  check(acked.status === 204, `ackMessages: status ${acked.status}`);
  const after = await listMessages(port2.id, {}, bearer(port2.token));
  check(after.status === 200 && after.data.messages.length === 0, "after the ack the queue is not empty");

  const moved = await transferPort(port2.id, bearer(port2.token, { "Idempotency-Key": "orval-live-transfer" }));
  check(moved.status === 200, `transferPort: status ${moved.status} ${JSON.stringify(moved.data)}`);
  if (moved.status !== 200) return;
  check(moved.data.id === port2.id && moved.data.token !== port2.token, "transferPort: not the port with a new token");

  const old = await describePort(port2.id, bearer(port2.token));
  check(old.status === 403 && "code" in old.data && old.data.code === "port_transferred",
    `describePort with the old token: ${old.status} ${JSON.stringify(old.data)}, want 403 port_transferred`);
  const bad = await describePort(port2.id, bearer("not-a-token"));
  check(bad.status === 401 && "code" in bad.data && bad.data.code === "unauthorized" && bad.data.type === "/docs/errors#unauthorized",
    `describePort with a bad token: ${bad.status} ${JSON.stringify(bad.data)}, want 401 unauthorized`);

  console.log("orval live check: create, post JSON (arrives as the object), post text, 415 without a type, long poll, ack, transfer, 403 and 401 problems: all as the spec says");
}

main().catch((err: unknown) => {
  console.error("orval live check:", err instanceof Error ? err.message : err);
  process.exit(1);
});
