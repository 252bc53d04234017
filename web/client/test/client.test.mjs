// The client's requests against a real tincan: posts of each kind read
// back, binary messages as ArrayBuffers, ack, transfer and post retried
// under their Idempotency-Key when the answer is lost or refused in
// passing, problem documents as TincanErrors, and collections.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytes, client, fault, tincan } from './support.mjs';

const { TincanError } = client;

test('posts JSON, text and bytes, and reads each back as it was sent', async () => {
  const { port1, port2 } = await tincan.createChannel();
  await tincan.post(port1, { hello: 'world', n: [1, 2] });
  await tincan.post(port1, 'plain text');
  await tincan.post(port1, '{"data":1}'); // text that looks like JSON stays text
  await tincan.post(port1, new Uint8Array([0, 1, 2, 255]));
  await tincan.post(port1, new Uint16Array([1, 258]).subarray(1)); // a view into part of a buffer
  await tincan.post(port1, new Uint8Array([9, 8]).buffer, { contentType: 'application/x-thing' });
  await tincan.post(port1, new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' }));

  const batch = await tincan.read(port2, { wait: 1 });
  const got = batch.messages.map((m) =>
    m.data instanceof ArrayBuffer ? { type: m.content_type, bytes: bytes(m.data) } : m.data);
  assert.deepEqual(got, [
    { hello: 'world', n: [1, 2] },
    'plain text',
    '{"data":1}',
    { type: 'application/octet-stream', bytes: [0, 1, 2, 255] },
    { type: 'application/octet-stream', bytes: bytes(new Uint16Array([258]).buffer) },
    { type: 'application/x-thing', bytes: [9, 8] },
    { type: 'image/png', bytes: [137, 80, 78, 71] },
  ]);
  assert.ok(batch.messages.every((m) => !('binary' in m)), 'a message still carries its base64');

  // The raw body of the image, as an <img> would get it.
  const last = batch.messages.at(-1);
  const body = await tincan.messageBody(port2, last.id);
  assert.equal(body.contentType, 'image/png');
  assert.deepEqual(bytes(body.data), [137, 80, 78, 71]);
  const ticket = await tincan.messageTicket(port2, last.id);
  const viaTicket = await fetch(tincan.url(ticket.url));
  assert.equal(viaTicket.status, 200);
  assert.deepEqual(bytes(await viaTicket.arrayBuffer()), [137, 80, 78, 71]);

  // Acknowledged: nothing left.
  await tincan.ack(port2, batch.next);
  const d = await tincan.describe(port2);
  assert.equal(d.queued, 0);
  assert.equal(d.acked_event_id, batch.next);
});

test('bytes with a transfer list go as JSON and arrive as bytes with the port', async () => {
  const { port1, port2 } = await tincan.createChannel();
  const cargo = await tincan.createChannel();
  await tincan.post(port1, new Blob(['hi'], { type: 'text/x-note' }), { transfer: [cargo.port2] });
  const [m] = (await tincan.read(port2, { wait: 1 })).messages;
  assert.ok(m.data instanceof ArrayBuffer);
  assert.equal(new TextDecoder().decode(m.data), 'hi');
  assert.equal(m.content_type, 'text/x-note');
  assert.equal(m.ports.length, 1);
  assert.equal(m.ports[0].id, cargo.port2.id);
  // The carried port works with its fresh token, and its old one is dead.
  await tincan.post(cargo.port1, 'to the new holder');
  assert.deepEqual((await tincan.read(m.ports[0], { wait: 1 })).messages.map((x) => x.data), ['to the new holder']);
  await assert.rejects(tincan.describe(cargo.port2), (err) => err instanceof TincanError && err.code === 'port_transferred');
});

test('a refusal is a TincanError with the problem document', async () => {
  const { port1, port2 } = await tincan.createChannel();
  await tincan.close(port2);
  const err = await tincan.post(port1, 'too late').catch((e) => e);
  assert.ok(err instanceof TincanError, String(err));
  assert.equal(err.status, 410);
  assert.equal(err.code, 'port_closed');
  assert.equal(err.problem.status, 410);
  assert.match(err.message, /410 port_closed/);
  assert.equal(client.isRetryable(err), false);
});

test('a post whose answer is lost is sent again under its key and stored once', async () => {
  const { port1, port2 } = await tincan.createChannel();
  await fault('POST', `/ports/${port1.id}/messages`, { lose: true });
  const posted = await tincan.post(port1, { once: true });
  assert.equal(posted.replayed, true, 'the retry was not answered as a replay of the first post');
  await fault('POST', `/ports/${port1.id}/messages`, { status: 503, code: 'unavailable', retry_after: '0' });
  const second = await tincan.post(port1, 'after a 503');
  assert.equal(second.replayed, false);
  const batch = await tincan.read(port2, { wait: 1 });
  assert.deepEqual(batch.messages.map((m) => m.data), [{ once: true }, 'after a 503']);
  assert.equal(batch.messages[0].id, posted.id);
});

test('a transfer is retried under its key: lost answer, 503, 409 port_busy, 429', async () => {
  for (const what of [
    { lose: true },
    { status: 503, code: 'unavailable', retry_after: '0' },
    { status: 409, code: 'port_busy', retry_after: '0' },
    { status: 429, code: 'rate_limited' },
  ]) {
    const { port1, port2 } = await tincan.createChannel();
    await tincan.post(port1, 'for the new holder');
    await fault('POST', `/ports/${port2.id}/transfer`, what);
    const moved = await tincan.transfer(port2);
    assert.equal(moved.id, port2.id);
    assert.notEqual(moved.token, port2.token);
    const batch = await tincan.read(moved, { wait: 1 });
    assert.deepEqual(batch.messages.map((m) => m.data), ['for the new holder'], JSON.stringify(what));
    await assert.rejects(tincan.describe(port2), (err) => err.code === 'port_transferred');
  }
});

test('gives up after its attempts, with the last refusal', async () => {
  const { port1 } = await tincan.createChannel();
  const once = new client.Tincan({ baseUrl: tincan.baseUrl, attempts: 2 });
  await fault('POST', `/ports/${port1.id}/close`, { status: 503, code: 'unavailable', retry_after: '0' }, 2);
  await assert.rejects(once.close(port1), (err) => err instanceof TincanError && err.status === 503 && client.isRetryable(err));
  await once.close(port1); // the faults are used up
});

test('collections: members, broadcast, removal', async () => {
  const a = await tincan.createChannel();
  const b = await tincan.createChannel();
  const col = await tincan.createCollection();
  assert.equal((await tincan.addMember(col, a.port1)).added, true);
  const posting = await tincan.mintToken(b.port1, 'post', 'broadcasts');
  assert.equal((await tincan.addMember(col, { id: b.port1.id, token: posting.token })).added, true);
  assert.equal((await tincan.describeCollection(col)).members.length, 2);

  const sent = await tincan.broadcast(col, { news: 1 });
  assert.equal(sent.delivered.length, 2);
  assert.equal(sent.refused.length, 0);
  const bin = await tincan.broadcast(col, new Uint8Array([7]), { contentType: 'application/x-seven' });
  assert.equal(bin.delivered.length, 2);
  // Sent again under its key: nothing stored twice.
  const again = await tincan.broadcast(col, new Uint8Array([7]), { contentType: 'application/x-seven', idempotencyKey: bin.idempotencyKey });
  assert.deepEqual(again.delivered.map((d) => d.id).sort(), bin.delivered.map((d) => d.id).sort());

  for (const peer of [a.port2, b.port2]) {
    const got = (await tincan.read(peer, { wait: 1 })).messages;
    assert.deepEqual(got.map((m) => (m.data instanceof ArrayBuffer ? [m.content_type, ...bytes(m.data)] : m.data)),
      [{ news: 1 }, ['application/x-seven', 7]]);
  }
  await tincan.removeMember(col, a.port1.id);
  assert.deepEqual((await tincan.describeCollection(col)).members, [b.port1.id]);
  await tincan.deleteCollection(col);
  await assert.rejects(tincan.describeCollection(col), (err) => err instanceof TincanError && err.status === 401);
});
