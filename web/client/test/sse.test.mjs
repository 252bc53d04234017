// readEvents, the package's SSE parser, on streams cut at awkward places:
// what the WHATWG standard says an EventSource would dispatch.

import assert from 'node:assert/strict';
import { test } from 'node:test';

const { readEvents } = await import(process.env.TINCAN_CLIENT ?? '@tincan-dev/client');

// parse feeds chunks (strings, or byte arrays) to readEvents and answers its frames.
async function parse(...chunks) {
  const enc = new TextEncoder();
  const body = new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(typeof ch === 'string' ? enc.encode(ch) : new Uint8Array(ch));
      c.close();
    },
  });
  const out = [];
  for await (const f of readEvents(body)) out.push(f.kind === 'retry' ? `retry ${f.ms}` : `${f.event}|${f.id}|${f.data}`);
  return out;
}

test('fields, defaults and comments', async () => {
  assert.deepEqual(await parse('retry: 2000\n\n: keep-alive\n\nevent: message\nid: 1-0\ndata: {"a":1}\n\n'),
    ['retry 2000', 'message|1-0|{"a":1}']);
  assert.deepEqual(await parse('data:no space\n\ndata:  two spaces\n\n'), ['message||no space', 'message|| two spaces']);
  assert.deepEqual(await parse('event: close\ndata: x\n\n'), ['close||x']);
});

test('data lines join with \\n; an empty data line counts', async () => {
  assert.deepEqual(await parse('data: a\ndata: b\ndata\n\n'), ['message||a\nb\n']);
  assert.deepEqual(await parse('data\n\n'), ['message||']);
});

test('an event without data is not dispatched, and its type does not carry over', async () => {
  assert.deepEqual(await parse('event: reset\n\ndata: x\n\n'), ['message||x']);
});

test('ids carry over; an id with NUL is ignored; a bad retry is ignored', async () => {
  assert.deepEqual(await parse('id: 5\ndata: a\n\ndata: b\n\nid: 6\0x\ndata: c\n\nretry: 1s\nid\ndata: d\n\n'),
    ['message|5|a', 'message|5|b', 'message|5|c', 'message||d']);
});

test('CRLF, CR and LF, split anywhere, and split UTF-8', async () => {
  assert.deepEqual(await parse('data: a\r', '\n\r', '\ndata: b\rdata: c\r\r'), ['message||a', 'message||b\nc']);
  const euro = [...new TextEncoder().encode('data: €\n\n')];
  assert.deepEqual(await parse(euro.slice(0, 7), euro.slice(7)), ['message||€']);
});

test('a leading BOM is dropped; an unterminated event at the end is dropped', async () => {
  assert.deepEqual(await parse([0xef, 0xbb, 0xbf], 'data: x\n\ndata: never dispatched\n'), ['message||x']);
});

test('unknown fields are ignored', async () => {
  assert.deepEqual(await parse('foo: bar\ndata: y\n\n'), ['message||y']);
});
