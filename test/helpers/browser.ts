// Debian's chromium driven by playwright-core (never a downloaded browser), offline: the flags keep
// it from reaching for Google's hosts, which this machine's closed network refuses.
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumMissing: string | null = existsSync(CHROMIUM) ? null : `${CHROMIUM} is absent (apt-get install chromium)`;

export async function launch(userDataDir: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 1000 },
  });
}

/** Refuse (and record in `refused`) every request `allowed` does not accept: the page must work offline. */
export async function offlineOnly(context: BrowserContext, allowed: (url: string) => boolean, refused: string[]): Promise<void> {
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    refused.push(url);
    return route.abort();
  });
}

/** Console errors and uncaught page errors, collected into `errors`. */
export function collectErrors(page: Page, errors: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
}
