/**
 * Headless Chromium for browser tests: Debian's `chromium` package driven by
 * playwright-core (which downloads no browser of its own). `.ci/run` installs it;
 * on a machine without it the browser tests are skipped with a notice, so `npm test`
 * still works on a fresh checkout.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const chromiumPath: string | undefined = CANDIDATES.find((candidate) => existsSync(candidate));

export async function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no Chromium: apt-get install chromium');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // As root (CI) Chromium needs --no-sandbox. The rest keep it off the network: this
    // machine refuses outside connections, and Chromium's background fetches would
    // otherwise fail noisily at every start.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}
