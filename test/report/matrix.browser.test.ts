// The cross-machine comparison in the HTML report, opened offline in headless Debian chromium: real
// Runs (faiss-cycles' glibc variant with and without LD_PRELOAD=jemalloc) and a doctored fixture (a
// copy that says it came from another kernel). The table is drawn, coloured by outcome, its header
// groups equal settings into one cell, and the page fetches nothing and logs no error.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { renderHtml } from '../../src/report/html.js';
import { buildMatrices } from '../../src/report/matrix-model.js';
import { CHILD_MISSING } from './real-run.js';
import { allocatorRuns, jemalloc, otherKernelCopy } from './matrix-runs.js';
import { chromiumMissing, collectErrors, launch, offlineOnly } from '../helpers/browser.js';

const OUT = fileURLToPath(new URL('../.out/', import.meta.url));
const skipReason = chromiumMissing ?? CHILD_MISSING ?? (jemalloc ? null : 'jemalloc is not installed');
if (skipReason) console.warn(`matrix browser test skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('HTML cross-machine comparison in a browser', () => {
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const errors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    const { glibc, preloaded } = await allocatorRuns(jemalloc!.library!);
    const runs = [glibc, preloaded, otherKernelCopy(glibc)];
    const matrices = buildMatrices(runs.map((run, i) => ({ run, source: ['glibc', 'jemalloc', 'fixture-5.15'][i]! })));
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'matrix.html'), renderHtml(runs, { matrices }));
    userDataDir = mkdtempSync(join(tmpdir(), 'rsslab-chromium-'));
    context = await launch(userDataDir);
    await offlineOnly(context, (url) => url.startsWith('file://'), requests);
    page = await context.newPage();
    collectErrors(page, errors);
    await page.goto(`file://${join(OUT, 'matrix.html')}`);
    await page.waitForSelector('table.matrix');
  }, 10 * 60_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('html matrix - one column per Run, equal kernels share one header cell, outcomes coloured, the allocator named as what the figures follow', async () => {
    const seen = await page.evaluate(() => {
      const table = document.querySelector('table.matrix')!;
      const kernel = [...table.querySelectorAll('tr.machine')].find((tr) => tr.querySelector('th')?.textContent === 'kernel');
      const bg = (sel: string): string | null => {
        const el = table.querySelector(sel);
        return el ? getComputedStyle(el).backgroundColor : null;
      };
      return {
        columns: [...table.querySelectorAll('thead th')].map((th) => th.textContent),
        kernelSpans: kernel ? [...kernel.querySelectorAll('th.setting')].slice(1).map((th) => Number(th.getAttribute('colspan') ?? 1)) : [],
        held: bg('td.cell-held'),
        follows: [...table.querySelectorAll('td.follows')].map((td) => td.textContent).filter(Boolean),
        width: table.getBoundingClientRect().width,
      };
    });
    expect(seen.columns).toEqual(['', 'm1', 'm2', 'm3', 'follows']);
    // the two Runs of this machine's kernel side by side in one cell, the fixture's in another
    expect([...seen.kernelSpans].sort()).toEqual([1, 2]);
    expect(seen.held).not.toBe('rgba(0, 0, 0, 0)');
    expect(seen.follows.some((f) => f!.includes('allocator (in the child)'))).toBe(true);
    expect(seen.width).toBeGreaterThan(300);
    mkdirSync(OUT, { recursive: true });
    await page.locator('section.matrix-section').screenshot({ path: join(OUT, 'matrix.png') });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });
});
