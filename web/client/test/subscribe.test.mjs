// subscribe against a real tincan: every way a subscription ends (the
// close event, 204, transferred, a dead token's 401, the signal), messages
// acknowledged once taken, a resumption after the server's end of the
// stream is cut, and 503, 409 port_busy and 429 retried with Retry-After
// (capped).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, dropStreams, fault, tincan } from './support.mjs';

const { TincanError } = client;

// follow iterates subscribe(port), calling step(ev, log) on each event
// (it may act, or return true to stop), and answers what it saw, in
// words. A bound on the whole makes a hang a failure, not a stuck run.
async function follow(port, step = () => {}, options = {}) {
  const log = [];
  const stop = new AbortController();
  const bound = setTimeout(() => stop.abort(new Error('bound')), 20_000);
  try {
    for await (const ev of tincan.subscribe(port, { signal: stop.signal, firstDelayMs: 20, ...options })) {
      log.push(say(ev));
      if (await step(ev, log)) break;
    }
  } catch (err) {
    log.push(`threw ${err instanceof TincanError ? `${err.status} ${err.code}` : String(err)}`);
  } finally {
    clearTimeout(bound);
  }
  if (stop.signal.aborted) log.push('timed out');
  return log;
}

function say(ev) {
  switch (ev.type) {
    case 'message':
      return `message ${JSON.stringify(ev.message.data)}`;
    case 'reconnecting':
      return `reconnecting ${ev.reason instanceof TincanError ? `${ev.reason.status} ${ev.reason.code} after ${ev.delayMs}ms` : 'after a drop'}`;
    case 'close':
      return ev.close ? 'close' : 'close (204)';
    case 'transferred':
      return ev.transferred ? 'transferred' : 'transferred (403)';
    default:
      return ev.type;
  }
}

test('ends with the close event, after the messages, each acknowledged', async () => {
  const { port1, port2 } = await tincan.createChannel();
  await tincan.post(port1, 'one');
  const log = await follow(port2, async (ev) => {
    if (ev.type === 'open') {
      await tincan.post(port1, 'two');
      await tincan.close(port1);
    }
  });
  assert.deepEqual(log, ['open', 'message "one"', 'message "two"', 'close']);
  const d = await tincan.describe(port2);
  assert.equal(d.queued, 0, 'a message taken is still queued');
});

test('ends at once on a closed port with nothing left (204)', async () => {
  const { port1, port2 } = await tincan.createChannel();
  await tincan.close(port1);
  assert.deepEqual(await follow(port2), ['close (204)']);
});

test('ends with transferred when the port moves away', async () => {
  const { port2 } = await tincan.createChannel();
  const log = await follow(port2, async (ev) => {
    if (ev.type === 'open') await tincan.transfer(port2);
  });
  assert.deepEqual(log, ['open', 'transferred']);
  // Subscribing again with the dead token: the ticket says why.
  assert.deepEqual(await follow(port2), ['transferred (403)']);
});

test('throws 401 once the token is dead, on the next reconnection', async () => {
  const { port1, port2 } = await tincan.createChannel();
  const listen = await tincan.mintToken(port2, 'listen', 'dies');
  const reader = { id: port2.id, token: listen.token };
  const log = await follow(reader, async (ev) => {
    if (ev.type === 'open') {
      await tincan.post(port1, 'before');
    } else if (ev.type === 'message') {
      await tincan.revokeToken(port2, listen.id);
      assert.ok((await dropStreams()) >= 1, 'no stream to cut');
    }
  }, { maxDelayMs: 100 });
  assert.deepEqual(log, ['open', 'message "before"', 'reconnecting after a drop', 'threw 401 unauthorized']);
});

test('resumes after a cut stream, from the last message taken, with nothing lost or repeated', async () => {
  const { port1, port2 } = await tincan.createChannel();
  let opened = 0;
  const log = await follow(port2, async (ev) => {
    if (ev.type === 'open' && ++opened === 1) {
      await tincan.post(port1, 'm1');
    } else if (ev.type === 'message' && ev.message.data === 'm1') {
      assert.ok((await dropStreams()) >= 1, 'no stream to cut');
      await tincan.post(port1, 'm2');
    } else if (ev.type === 'message' && ev.message.data === 'm2') {
      return true;
    }
  }, { maxDelayMs: 100 });
  assert.deepEqual(log, ['open', 'message "m1"', 'reconnecting after a drop', 'open', 'message "m2"']);
  // m1 was acknowledged by the resumption (last_event_id); m2 is left,
  // since the loop broke off while handling it.
  const d = await tincan.describe(port2);
  assert.equal(d.queued, 1);
});

test('503, 409 port_busy and 429 are retried, honouring Retry-After up to maxDelayMs', async () => {
  const { port1, port2 } = await tincan.createChannel();
  const events = `/ports/${port2.id}/events`;
  await fault('GET', events, { status: 503, code: 'unavailable', retry_after: '0' });
  await tincan.post(port1, 'through at last');
  // One fault after another, each added once the last has been met.
  const next = [
    { status: 409, code: 'port_busy', retry_after: '0' },
    { status: 429, code: 'too_many_streams', retry_after: '0' },
    { status: 503, code: 'unavailable', retry_after: '120' }, // more than maxDelayMs
  ];
  const log = await follow(port2, async (ev) => {
    if (ev.type === 'reconnecting' && next.length) await fault('GET', events, next.shift());
    return ev.type === 'message';
  }, { maxDelayMs: 40 });
  assert.deepEqual(log, [
    'reconnecting 503 unavailable after 0ms',
    'reconnecting 409 port_busy after 0ms',
    'reconnecting 429 too_many_streams after 0ms',
    'reconnecting 503 unavailable after 40ms',
    'open',
    'message "through at last"',
  ]);
});

test('a refusal that will not pass ends it: insufficient_scope', async () => {
  const { port1 } = await tincan.createChannel();
  const post = await tincan.mintToken(port1, 'post', 'cannot read');
  assert.deepEqual(await follow({ id: port1.id, token: post.token }), ['threw 403 insufficient_scope']);
});

test('stops quietly on its signal', async () => {
  const { port2 } = await tincan.createChannel();
  const stop = new AbortController();
  const seen = [];
  for await (const ev of tincan.subscribe(port2, { signal: stop.signal })) {
    seen.push(ev.type);
    if (ev.type === 'open') setTimeout(() => stop.abort(), 50);
  }
  assert.deepEqual(seen, ['open']);
});

test('ackEveryMs spaces the acknowledgements, and the close acknowledges what was taken at once', async () => {
  const { port1, port2 } = await tincan.createChannel();
  const acked = [];
  let lastTaken = '';
  let closeSentAt = 0;
  const n = 15;
  const log = await follow(port2, async (ev) => {
    if (ev.type === 'open') {
      // One message every 20 ms: without a spacing, nearly each would be
      // acknowledged by itself.
      (async () => {
        for (let i = 1; i <= n; i++) {
          await tincan.post(port1, i);
          await new Promise((r) => setTimeout(r, 20));
        }
        await tincan.close(port1);
        closeSentAt = Date.now();
      })();
    }
    if (ev.type === 'message') lastTaken = ev.message.id;
  }, { ackEveryMs: 5_000, onAck: (id) => acked.push(id) });
  const ended = Date.now();
  assert.equal(log.filter((l) => l.startsWith('message')).length, n, log.join(', '));
  assert.equal(log.at(-1), 'close');
  assert.ok(acked.length <= 2, `${acked.length} acknowledgements for ${n} messages 20 ms apart, 5 s between acknowledgements`);
  assert.equal(acked.at(-1), lastTaken, 'the last acknowledgement is not through the last message taken');
  assert.ok(ended - closeSentAt < 5_000, 'the close waited for the pause between acknowledgements');
  const d = await tincan.describe(port2);
  assert.equal(d.queued, 0, 'messages taken are still queued after the close');
});
