// A message's origin in a real Chromium: a page's posts carry the page's
// own origin, which the page cannot forge (Origin is a header fetch does
// not let a script set), while a client outside a browser sends whatever
// it claims, and a malformed claim is refused.
//
// Run by web/browser_test.go against a running tincan, or by hand:
//   TINCAN_URL=http://127.0.0.1:8080 CHROMIUM=/usr/bin/chromium ARTIFACTS=/tmp/x \
//     node web/browser/origin.test.mjs
// Exits 0 on success; on failure, non-zero with the reason on stderr.

import { check, run, settings } from './support.mjs';

const { base: BASE, chromium: CHROMIUM } = settings('origin.test.mjs');
const WAIT = 10_000; // bound of every single wait, in ms
const WHOLE = 60_000; // bound of the whole script, in ms

// call sends a request from Node (no Origin header unless given) and
// answers its status and JSON body.
async function call(method, path, token, body, headers = {}) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

run('origin.test.mjs', WHOLE, CHROMIUM, async (launch) => {
  const browser = await launch();
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  const res = await page.goto(`${BASE}/`);
  check(res.status() === 200, `GET / answered ${res.status()}`);
  const pageOrigin = await page.evaluate(() => window.location.origin);
  check(pageOrigin === new URL(BASE).origin, `the page's origin is ${pageOrigin}`);

  // The page makes a channel and posts twice: plainly, and trying to set
  // Origin itself.
  const ch = await page.evaluate(async () => {
    const created = await fetch('/channels', { method: 'POST' });
    const ch = await created.json();
    const post = (headers) =>
      fetch(`/ports/${ch.port1.id}/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ch.port1.token}`, 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ data: Object.keys(headers).length ? 'forged' : 'plain' }),
      }).then((r) => r.status);
    return { ...ch, statuses: [await post({}), await post({ Origin: 'https://forged.example' })] };
  });
  check(ch.statuses.every((s) => s === 201), `the page's posts answered ${ch.statuses}`);

  // Outside a browser, the origin is whatever the client claims.
  const claimed = await call('POST', `/ports/${ch.port1.id}/messages`, ch.port1.token, { data: 'claimed' },
    { Origin: 'https://claimed.example' });
  check(claimed.status === 201, `a post claiming an origin answered ${claimed.status}`);
  const none = await call('POST', `/ports/${ch.port1.id}/messages`, ch.port1.token, { data: 'none' });
  check(none.status === 201, `a post without an origin answered ${none.status}`);
  const bad = await call('POST', `/ports/${ch.port1.id}/messages`, ch.port1.token, { data: 'bad' },
    { Origin: 'https://claimed.example/path' });
  check(bad.status === 400 && bad.body?.code === 'invalid_request', `a malformed origin answered ${bad.status} ${JSON.stringify(bad.body)}`);

  const list = await call('GET', `/ports/${ch.port2.id}/messages`, ch.port2.token);
  check(list.status === 200, `the long poll answered ${list.status}`);
  const got = list.body.messages.map((m) => [m.data, m.origin]);
  const want = [['plain', pageOrigin], ['forged', pageOrigin], ['claimed', 'https://claimed.example'], ['none', '']];
  check(JSON.stringify(got) === JSON.stringify(want), `messages ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  check(list.body.message_errors.length === 0, `message_errors ${JSON.stringify(list.body.message_errors)}`);
  console.log(`a page's posts carry its origin ${pageOrigin}, even when it tries another; other clients' claims pass as sent`);
});
