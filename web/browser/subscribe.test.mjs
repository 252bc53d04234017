// The client package's subscribe in a real Chromium, loaded (as the pages
// load it, from /vendor/tincan-client/) by a page of tincan's own origin:
// what it yields when the channel closes, before the subscription starts
// and while it is open, and where it resumes after a reset that says the
// service lost messages (rewound_to) and a refused ticket.
//
// Run by web/browser_test.go against a running tincan, or by hand:
//   TINCAN_URL=http://127.0.0.1:8080 CHROMIUM=/usr/bin/chromium ARTIFACTS=/tmp/x \
//     node web/browser/subscribe.test.mjs
// Exits 0 on success; on failure, non-zero with the reason on stderr.

import { check, run, settings } from './support.mjs';

const { base: BASE, chromium: CHROMIUM } = settings('subscribe.test.mjs');
const WAIT = 15_000; // bound of every single wait, in ms
const WHOLE = 60_000; // bound of the whole script, in ms

run('subscribe.test.mjs', WHOLE, CHROMIUM, async (launch) => {
  const browser = await launch();
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`uncaught ${e.message}`));
  const res = await page.goto(`${BASE}/docs/errors`);
  check(res.status() === 200, `GET /docs/errors answered ${res.status()}`);

  // follow subscribes to port2 of a channel that setup prepared, and
  // answers, in order, what its listeners heard until close or error.
  const follow = (setup) =>
    page.evaluate(
      async ({ setup, wait }) => {
        const { Tincan } = await import('/vendor/tincan-client/index.js');
        const tincan = new Tincan();
        const ch = await tincan.createChannel();
        const heard = [];
        const during = [];
        for (const step of setup) {
          if (step.post !== undefined) await tincan.post(ch.port1, step.post);
          if (step.close) await tincan.close(ch.port1);
        }
        const stop = new AbortController();
        const timer = setTimeout(() => {
          heard.push('nothing more');
          stop.abort();
        }, wait);
        try {
          for await (const ev of tincan.subscribe(ch.port2, { signal: stop.signal })) {
            switch (ev.type) {
              case 'open':
                heard.push('open');
                // Posted and closed once the stream is open, if asked.
                for (const step of setup) if (step.during) during.push(step.during);
                if (during.length) {
                  void (async () => {
                    for (const m of during.splice(0)) await tincan.post(ch.port1, m);
                    await tincan.close(ch.port1);
                  })();
                }
                break;
              case 'message':
                heard.push(`message ${JSON.stringify(ev.message.data)}`);
                break;
              case 'close':
                // From the event (with its data), or from a 204 (without).
                heard.push(ev.close === undefined || (ev.close.port === ch.port2.id && ev.close.closed_at) ? 'close' : `close ${JSON.stringify(ev.close)}`);
                break;
              default:
                heard.push(ev.type);
            }
          }
        } catch (err) {
          heard.push(`error ${String(err)}`);
        }
        clearTimeout(timer);
        const d = await tincan.describe(ch.port2);
        return { heard, queued: d.queued };
      },
      { setup, wait: 8_000 },
    );

  // Closed and drained before the subscription: the stream answers 204,
  // which subscribe must take for the close, not for a failure to retry.
  const drained = await follow([{ close: true }]);
  check(JSON.stringify(drained.heard) === '["close"]',
    `subscribing to a closed, empty port heard ${JSON.stringify(drained.heard)}, want only close`);

  // Closed with a message left: it comes first, then the close.
  const left = await follow([{ post: 'left behind' }, { close: true }]);
  check(JSON.stringify(left.heard) === '["open","message \\"left behind\\"","close"]',
    `subscribing to a closed port with a message left heard ${JSON.stringify(left.heard)}`);
  check(left.queued === 0, `the message handled before the close is still queued (${left.queued})`);

  // Open, then messages and the close while the stream is open.
  const live = await follow([{ during: 'one' }, { during: 'two' }]);
  check(JSON.stringify(live.heard) === '["open","message \\"one\\"","message \\"two\\"","close"]',
    `a live subscription heard ${JSON.stringify(live.heard)}`);

  console.log('subscribe hears a close before, after a message, and during a stream');

  // A reset with rewound_to: the service no longer knows the messages
  // after rewound_to (a failover took them back) and goes on after it. A
  // Redis failover is not at hand here, so the stream's first answer is
  // that reset as the service sends it, then the stream ends; the next
  // stream is refused (401 invalid_ticket, as a ticket that expired on
  // the way). subscribe must reconnect with a new ticket and resume after
  // rewound_to (the first message, which it never handed over), not from
  // the start, which would hand the first message over again.
  const rewind = await page.evaluate(async () => {
    const { Tincan } = await import('/vendor/tincan-client/index.js');
    const tincan = new Tincan();
    const ch = await tincan.createChannel();
    const first = await tincan.post(ch.port1, 'before rewound_to');
    await tincan.post(ch.port1, 'after rewound_to');
    return { port: ch.port2, first: first.id };
  });
  const streams = [];
  await page.route(`**/ports/${rewind.port.id}/events?*`, async (route) => {
    streams.push(new URL(route.request().url()).searchParams.get('last_event_id'));
    switch (streams.length) {
      case 1:
        return route.fulfill({
          status: 200,
          headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' },
          body: `retry: 10\nevent: reset\ndata: ${JSON.stringify({
            port: rewind.port.id, last_event_id: '99999999999999-0', acked_through: '', rewound_to: rewind.first,
          })}\n\n`,
        });
      case 2:
        return route.fulfill({
          status: 401,
          contentType: 'application/problem+json',
          body: JSON.stringify({ type: '/docs/errors#invalid_ticket', title: 'Invalid ticket', status: 401, code: 'invalid_ticket', detail: 'used' }),
        });
      default:
        return route.continue();
    }
  });
  const resumed = await page.evaluate(
    async ({ port, wait }) => {
      const { Tincan } = await import('/vendor/tincan-client/index.js');
      const tincan = new Tincan();
      const heard = [];
      const stop = new AbortController();
      const timer = setTimeout(() => {
        heard.push('nothing more');
        stop.abort();
      }, wait);
      try {
        for await (const ev of tincan.subscribe(port, { signal: stop.signal, firstDelayMs: 50 })) {
          if (ev.type === 'reset') heard.push(`reset to ${ev.reset.rewound_to}`);
          if (ev.type === 'reconnecting') heard.push(`reconnecting ${ev.reason?.code ?? 'after a drop'}`);
          if (ev.type === 'message') {
            heard.push(`message ${JSON.stringify(ev.message.data)}`);
            break;
          }
        }
      } catch (err) {
        heard.push(`error ${String(err)}`);
      }
      clearTimeout(timer);
      return heard;
    },
    { port: rewind.port, wait: 8_000 },
  );
  await page.unroute(`**/ports/${rewind.port.id}/events?*`);
  check(JSON.stringify(resumed) === JSON.stringify([`reset to ${rewind.first}`, 'reconnecting after a drop',
    'reconnecting invalid_ticket', 'message "after rewound_to"']),
    `a subscription reset to ${rewind.first} heard ${JSON.stringify(resumed)}`);
  check(streams.length === 3 && streams[0] === null && streams[1] === rewind.first && streams[2] === rewind.first,
    `the streams opened with last_event_id ${JSON.stringify(streams)}; want none, then ${rewind.first} twice`);
  console.log('subscribe resumes after rewound_to when a reset says the service lost messages');

  check(problems.length === 0, `the page reported errors:\n  ${problems.join('\n  ')}`);
});
