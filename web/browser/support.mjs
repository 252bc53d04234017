// What the browser scripts share: the settings web/browser_test.go hands
// them, Chromium launched with the one set of flags, a bound on the whole
// run, and an exit that always closes the browser and says why it failed.
// (Not a *.test.mjs: the harness runs only those.)

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

// settings reads the script's environment: TINCAN_URL (the running
// tincan), CHROMIUM (the browser to drive) and ARTIFACTS (where
// screenshots go). A missing one ends the script with status 2.
export function settings(script) {
  const base = process.env.TINCAN_URL;
  const artifacts = process.env.ARTIFACTS;
  if (!base || !artifacts) {
    console.error(`${script}: set TINCAN_URL (the running tincan) and ARTIFACTS (where screenshots go)`);
    process.exit(2);
  }
  return { base, artifacts, chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
}

// Failure is a check that did not hold: run reports its message alone,
// anything else thrown with its stack.
class Failure extends Error {}

// check fails the script with message unless ok.
export function check(ok, message) {
  if (!ok) throw new Failure(message);
}

// screenshot saves page's whole length as file in the artifacts directory
// and returns its path.
export async function screenshot(page, artifacts, file) {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, file);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// run runs main(launch) for at most limitMs and exits: 0 when it returns,
// 1 with the reason on stderr when it throws or takes too long. launch
// starts Chromium headless, the way every script here needs it, and the
// browser is closed however the script ends.
export function run(script, limitMs, chromiumPath, main) {
  let browser;
  const finish = async (code, message) => {
    if (message) console.error(`${script}: FAILED: ${message}`);
    await browser?.close().catch(() => {}); // best effort: the exit code says what happened
    process.exit(code);
  };
  const watchdog = setTimeout(() => finish(1, `not done within ${limitMs / 1000} s`), limitMs);
  const launch = async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    return browser;
  };
  main(launch).then(
    () => {
      clearTimeout(watchdog);
      console.log(`${script}: ok`);
      return finish(0);
    },
    (err) => finish(1, err instanceof Failure ? err.message : err?.stack ?? String(err)),
  );
}
