// tincan.js's subscribe in a real Chromium, loaded by a page of tincan's
// own origin: what its listeners hear when the channel closes, before the
// subscription starts and while it is open.
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
        const t = await import('/tincan.js');
        const api = t.connect(location.origin);
        const ch = await t.createChannel(api);
        const heard = [];
        const during = [];
        for (const step of setup) {
          if (step.post !== undefined) await t.post(api, ch.port1, step.post);
          if (step.close) await t.close(api, ch.port1);
        }
        await new Promise((resolve) => {
          const timer = setTimeout(() => {
            heard.push('nothing more');
            sub.stop();
            resolve();
          }, wait);
          const end = () => {
            clearTimeout(timer);
            resolve();
          };
          const sub = t.subscribe(api, location.origin, ch.port2, {
            open: () => {
              heard.push('open');
              // Posted and closed once the stream is open, if asked.
              for (const step of setup) if (step.during) during.push(step.during);
              if (during.length) {
                void (async () => {
                  for (const m of during.splice(0)) await t.post(api, ch.port1, m);
                  await t.close(api, ch.port1);
                })();
              }
            },
            message: (m) => {
              heard.push(`message ${JSON.stringify(m.data)}`);
            },
            close: (ev) => {
              heard.push(ev.port === ch.port2.id && ev.closed_at ? 'close' : `close ${JSON.stringify(ev)}`);
              end();
            },
            error: (err) => {
              heard.push(`error ${String(err)}`);
              end();
            },
          });
        });
        return { heard };
      },
      { setup, wait: 8_000 },
    );

  // Closed and drained before the subscription: the stream answers 204,
  // which subscribe must take for the close, not for a used ticket to
  // retry until it gives up.
  const drained = await follow([{ close: true }]);
  check(JSON.stringify(drained.heard) === '["close"]',
    `subscribing to a closed, empty port heard ${JSON.stringify(drained.heard)}, want only close`);

  // Closed with a message left: it comes first, then the close.
  const left = await follow([{ post: 'left behind' }, { close: true }]);
  check(JSON.stringify(left.heard) === '["open","message \\"left behind\\"","close"]',
    `subscribing to a closed port with a message left heard ${JSON.stringify(left.heard)}`);

  // Open, then messages and the close while the stream is open.
  const live = await follow([{ during: 'one' }, { during: 'two' }]);
  check(JSON.stringify(live.heard) === '["open","message \\"one\\"","message \\"two\\"","close"]',
    `a live subscription heard ${JSON.stringify(live.heard)}`);

  check(problems.length === 0, `the page reported errors:\n  ${problems.join('\n  ')}`);
  console.log('subscribe hears a close before, after a message, and during a stream');
});
