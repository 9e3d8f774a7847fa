// The HTML report of a REAL quick run, opened offline in headless Debian chromium: every chart is
// drawn with data, nothing is fetched from the network, no console errors, and the screenshot
// (test/.out/report.png) is a picture, not a blank page.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { renderHtml } from '../../src/report/html.js';
import type { Run } from '../../src/run/schema.js';
import { CHILD_MISSING, quickMadvFreeRun } from './real-run.js';
import { chromiumMissing, collectErrors, launch, offlineOnly } from '../helpers/browser.js';

const OUT = fileURLToPath(new URL('../.out/', import.meta.url));
const skipReason = chromiumMissing ?? CHILD_MISSING;
if (skipReason) console.warn(`HTML browser test skipped: ${skipReason}`);

interface ChartState {
  id: string;
  kind: string | null;
  hasCanvas: boolean;
  seriesLengths: number[];
}


describe.skipIf(skipReason !== null)('HTML report in a browser', () => {
  let run: Run;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    run = await quickMadvFreeRun();
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'madv-free.run.json'), JSON.stringify(run));
    writeFileSync(join(OUT, 'report.html'), renderHtml([run]));
    userDataDir = mkdtempSync(join(tmpdir(), 'rsslab-chromium-'));
    context = await launch(userDataDir);
    // offline by construction: anything but the file itself is refused and recorded
    await offlineOnly(context, (url) => url.startsWith('file://'), requests);
    page = await context.newPage();
    collectErrors(page, consoleErrors);
    await page.goto(`file://${join(OUT, 'report.html')}`);
    await page.waitForFunction(() => [...document.querySelectorAll('.chart')].every((el) => el.querySelector('canvas') !== null));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('html - every chart container has a canvas and every series has data', async () => {
    const charts = await page.evaluate((): ChartState[] => {
      const w = window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: Array<{ data?: unknown[] }> } } | undefined } };
      return [...document.querySelectorAll('.chart')].map((el) => {
        const inst = w.echarts.getInstanceByDom(el);
        return {
          id: el.id,
          kind: el.getAttribute('data-chart-kind'),
          hasCanvas: el.querySelector('canvas') !== null,
          seriesLengths: inst ? inst.getOption().series.map((s) => s.data?.length ?? 0) : [],
        };
      });
    });
    // the RSS chart and one page map per variant (the runner maps the tagged region at every mark)
    expect(charts.filter((c) => c.kind === 'lines')).toHaveLength(1);
    expect(charts.filter((c) => c.kind === 'pagemap')).toHaveLength(run.variants.filter((v) => v.pageMaps.length > 0).length);
    for (const c of charts) {
      expect(c.hasCanvas, c.id).toBe(true);
      expect(c.seriesLengths.length, c.id).toBeGreaterThan(0);
      for (const n of c.seriesLengths) expect(n, c.id).toBeGreaterThan(0);
    }
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('html - the RSS chart draws real pixels and the series toggles add a series', async () => {
    const inked = await page.evaluate(() => {
      const canvas = document.querySelector('#r0-rss canvas') as HTMLCanvasElement;
      const ctx = canvas.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let nonWhite = 0;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4 * 7) {
        if (data[i + 3]! > 0 && (data[i]! < 235 || data[i + 1]! < 235 || data[i + 2]! < 235)) {
          nonWhite++;
          colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
        }
      }
      return { nonWhite, colours: colours.size, sampled: data.length / (4 * 7) };
    });
    expect(inked.nonWhite / inked.sampled).toBeGreaterThan(0.005);
    expect(inked.colours).toBeGreaterThan(5);

    const count = (): Promise<number> =>
      page.evaluate(() => (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: unknown[] } } } }).echarts.getInstanceByDom(document.getElementById('r0-rss')!).getOption().series.length);
    const before = await count();
    const kind = await page.locator('input[data-chart="r0-rss"]:not(:checked)').first().getAttribute('data-kind');
    const box = page.locator(`input[data-chart="r0-rss"][data-kind="${kind}"]`);
    await box.check();
    expect(await count()).toBeGreaterThan(before);
    await box.uncheck();
    expect(await count()).toBe(before);
  });

  it('html - the page explains itself: machine, settings, story and expectations are on it', async () => {
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain(`Linux ${run.machine.kernel}`);
    expect(text).toContain('max_ptes_none');
    expect(text).toContain(run.experiment.story[0]!.title);
    for (const v of run.variants) expect(text).toContain(v.label);
    const held = run.variants.reduce((n, v) => n + v.expectations.filter((e) => e.status === 'held').length, 0);
    expect(await page.locator('.status-held').count()).toBe(held);
  });

  it('html - a screenshot for the projector is saved and is not blank', async () => {
    const png = await page.screenshot({ path: join(OUT, 'report.png') });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // a blank 1600×1000 page compresses to a few KiB; charts, text and tables do not
    expect(png.length).toBeGreaterThan(60_000);
  });

  it('html - text from the Run is shown as text, never run as HTML', async () => {
    const hostile = structuredClone(run);
    hostile.variants[0]!.label = '<img src=x onerror="window.__pwned=1">';
    hostile.experiment.story[0]!.text = '</script><script>window.__pwned=2</script>';
    const file = join(OUT, 'hostile.html');
    writeFileSync(file, renderHtml([hostile]));
    const p = await context.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(`file://${file}`);
    await p.waitForFunction(() => document.querySelectorAll('.chart canvas').length > 0);
    expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await p.locator('img').count()).toBe(0);
    expect(await p.evaluate(() => document.body.innerText)).toContain('<img src=x onerror=');
    expect(errors).toEqual([]);
    await p.close();
  });
});
