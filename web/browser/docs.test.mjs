// The reference pages in a real Chromium: /docs renders /openapi.yaml with
// the vendored Redoc, loading nothing from elsewhere, and /docs/errors
// shows each problem code at its anchor.
//
// Run by web/browser_test.go against a running tincan, or by hand:
//   TINCAN_URL=http://127.0.0.1:8080 CHROMIUM=/usr/bin/chromium ARTIFACTS=/tmp/x \
//     node web/browser/docs.test.mjs
// Exits 0 on success; on failure, non-zero with the reason on stderr.

import { check, run, screenshot, settings } from './support.mjs';

const { base: BASE, artifacts: ARTIFACTS, chromium: CHROMIUM } = settings('docs.test.mjs');
const WAIT = 15_000;
const WHOLE = 60_000;

// Redoc always shows a "Redocly" badge, an image on its CDN. The page's
// Content-Security-Policy refuses it before any request leaves, and Redoc
// then leaves the badge out; that refusal is expected, nothing else is.
const BADGE = /^https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(-full)?\.svg$/;

run('docs.test.mjs', WHOLE, CHROMIUM, async (launch) => {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(WAIT);
  const problems = [];
  const offsite = [];
  page.on('pageerror', (e) => problems.push(`uncaught ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !(m.text().includes('cdn.redoc.ly') && m.text().includes('Content Security Policy'))) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(BASE)) offsite.push(r.url());
  });
  const blocked = [];
  page.on('requestfailed', (r) => {
    if (!r.url().startsWith(BASE)) blocked.push(`${r.url()} (${r.failure()?.errorText})`);
  });
  const served = [];
  page.on('response', (r) => served.push(new URL(r.url()).pathname));

  const res = await page.goto(`${BASE}/docs`);
  check(res.status() === 200, `GET /docs answered ${res.status()}`);
  // Rendered: the spec's title and every tag in the menu.
  await page.getByRole('heading', { name: /^tincan/ }).first().waitFor();
  for (const tag of ['channels', 'ports', 'messages', 'service', 'pages']) {
    await page.getByText(tag, { exact: true }).first().waitFor();
  }
  await page.getByText('channels', { exact: true }).first().click();
  await page.getByText('Create a channel (new MessageChannel)').first().click();
  await page.waitForURL(/#.*createchannel/i);
  check(served.includes('/vendor/redoc/redoc.standalone.js') && served.includes('/openapi.yaml'),
    `the reference did not load Redoc and the spec from tincan: ${served.join(', ')}`);
  await screenshot(page, ARTIFACTS, 'docs.png');
  console.log('/docs rendered /openapi.yaml with the vendored Redoc');

  await page.goto(`${BASE}/docs/errors#port_closed`);
  const row = page.getByTestId('problem-port_closed');
  await row.waitFor();
  check((await row.getAttribute('id')) === 'port_closed', 'the port_closed entry has no anchor');
  check((await row.textContent()).includes('410'), 'the port_closed entry does not say 410');
  console.log('/docs/errors#port_closed shows its entry');

  const unexpected = offsite.filter((u) => !BADGE.test(u));
  check(unexpected.length === 0, `the pages asked for other origins: ${unexpected.join(', ')}`);
  check(blocked.every((b) => b.endsWith('(csp)')), `a request to another origin was not refused by the CSP: ${blocked.join(', ')}`);
  check(problems.length === 0, `the pages reported errors:\n  ${problems.join('\n  ')}`);
});
