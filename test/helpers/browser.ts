import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`), never a tool's own browser download. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Starts headless Chromium for a browser test. Waits up to `waitMs` for the binary (CI may
 * still be installing it) and fails with the install command if it never appears.
 */
export async function launchChromium(waitMs = 120_000): Promise<Browser> {
  const until = Date.now() + waitMs;
  while (!existsSync(CHROMIUM)) {
    if (Date.now() > until) throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
