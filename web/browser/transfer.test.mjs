// The client package's transfer in a real Chromium, loaded (as the pages
// load it, from /vendor/tincan-client/) by a page of tincan's own origin: it moves a port to the page under an Idempotency-Key, and when the
// answer is lost after the service carried the transfer out (a 503, or no
// answer at all), it sends the transfer again under the same key and gets
// the new token that the lost answer carried, where a new key would get
// 403 port_transferred and leave the port held by nobody.
//
// Run by web/browser_test.go against a running tincan, or by hand:
//   TINCAN_URL=http://127.0.0.1:8080 CHROMIUM=/usr/bin/chromium ARTIFACTS=/tmp/x \
//     node web/browser/transfer.test.mjs
// Exits 0 on success; on failure, non-zero with the reason on stderr.

import { check, run, settings } from './support.mjs';

const { base: BASE, chromium: CHROMIUM } = settings('transfer.test.mjs');
const WAIT = 15_000; // bound of every single wait, in ms
const WHOLE = 60_000; // bound of the whole script, in ms

run('transfer.test.mjs', WHOLE, CHROMIUM, async (launch) => {
  const browser = await launch();
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`uncaught ${e.message}`));
  page.on('console', (m) => {
    // Chromium reports every refused or cut request on the console; those
    // of the transfers and of the describe with the dead token are the
    // test's own doing.
    const path = m.location().url ? new URL(m.location().url).pathname : '';
    if (m.text().startsWith('Failed to load resource') && /^\/ports\/[^/]+(\/transfer)?$/.test(path)) return;
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  // The Idempotency-Key of every transfer the page sends, in order.
  const keys = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/transfer')) keys.push(r.headers()['idempotency-key']);
  });
  const res = await page.goto(`${BASE}/docs/errors`);
  check(res.status() === 200, `GET /docs/errors answered ${res.status()}`);

  // A channel with a message waiting at port2, which the page then takes.
  const channel = () =>
    page.evaluate(async () => {
      const { Tincan } = await import('/vendor/tincan-client/index.js');
      const tincan = new Tincan();
      const ch = await tincan.createChannel();
      await tincan.post(ch.port1, 'waiting for whoever holds port2');
      return ch;
    });

  // take transfers port to the page (under key when given) and answers
  // the new credentials, what the dead token gets now, and what the new
  // one reads.
  const take = (port, key) =>
    page.evaluate(
      async ({ port, key }) => {
        const { Tincan, TincanError } = await import('/vendor/tincan-client/index.js');
        const tincan = new Tincan();
        const moved = key === undefined ? await tincan.transfer(port) : await tincan.transfer(port, { idempotencyKey: key });
        let dead = 'still works';
        try {
          await tincan.describe(port);
        } catch (err) {
          dead = err instanceof TincanError ? `${err.status} ${err.code}` : String(err);
        }
        const read = await tincan.read(moved, { wait: 1 });
        return { moved, dead, read: read.messages.map((m) => m.data) };
      },
      { port, key },
    );

  // takes checks what take answered for port.
  const takes = (what, port, got) => {
    check(got.moved.id === port.id && got.moved.token && got.moved.token !== port.token,
      `${what}: transfer answered ${JSON.stringify(got.moved.id)} with ${got.moved.token === port.token ? 'the old' : 'a'} token`);
    check(got.dead === '403 port_transferred', `${what}: the old token afterwards: ${got.dead}`);
    check(JSON.stringify(got.read) === '["waiting for whoever holds port2"]',
      `${what}: the new holder reads ${JSON.stringify(got.read)}`);
  };

  // Plain: one request, with a key.
  let ch = await channel();
  keys.length = 0;
  takes('a transfer', ch.port2, await take(ch.port2));
  check(keys.length === 1 && keys[0], `a transfer was sent ${keys.length} times, under keys ${JSON.stringify(keys)}`);
  console.log('transfer moves a port to the page under an Idempotency-Key');

  // The caller's own key, as a page carrying a transfer on after a reload
  // does: the second call is a retry, and answers the same new token.
  ch = await channel();
  const mine = 'carried-on-' + ch.id;
  const first = await page.evaluate(async ({ port, key }) => {
    const { Tincan } = await import('/vendor/tincan-client/index.js');
    return new Tincan().transfer(port, { idempotencyKey: key });
  }, { port: ch.port2, key: mine });
  const again = await take(ch.port2, mine);
  check(again.moved.token === first.token, 'a transfer sent again under its key answered another token than the first');
  takes('a transfer sent again under its key', ch.port2, again);
  console.log('a transfer sent again under its own key answers the same new token');

  // Lost answers: the service carries the transfer out, and the page gets
  // a 503, or nothing, in place of its answer.
  for (const [how, lose] of [
    ['a 503', (route) => route.fulfill({
      status: 503,
      headers: { 'Retry-After': '0' },
      contentType: 'application/problem+json',
      body: JSON.stringify({ type: '/docs/errors#unavailable', title: 'Service unavailable', status: 503, code: 'unavailable',
        detail: 'whether the request took effect is unknown (the test lost its answer)' }),
    })],
    ['no answer', (route) => route.abort('connectionreset')],
  ]) {
    ch = await channel();
    let lost;
    await page.route(`**/ports/${ch.port2.id}/transfer`, async (route) => {
      const real = await route.fetch();
      lost = { status: real.status(), body: await real.json() };
      await lose(route);
    }, { times: 1 });
    keys.length = 0;
    const got = await take(ch.port2);
    check(lost?.status === 200, `the transfer whose answer was lost to ${how}: tincan answered ${lost?.status}`);
    check(keys.length === 2 && keys[0] && keys[1] === keys[0],
      `after ${how}, the transfer was sent ${keys.length} times, under keys ${JSON.stringify(keys)}; want twice under one key`);
    check(got.moved.token === lost.body.token, `after ${how}, the retry answered another token than the lost answer`);
    takes(`a transfer whose answer was lost to ${how}`, ch.port2, got);
    console.log(`a transfer whose answer was lost to ${how} is sent again under its key and answers the lost token`);
  }

  check(problems.length === 0, `the page reported errors:\n  ${problems.join('\n  ')}`);
});
