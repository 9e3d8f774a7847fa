// The workshop page of a REAL quick run with --step, in headless Debian chromium: the page receives
// samples while the run waits, "Next" moves the run (and the page's phase) on, the story follows,
// nothing is fetched from anywhere but the workshop's own server, and the screenshot for the
// projector (test/.out/workshop.png) is a picture, not a blank page.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startWorkshop, type Workshop } from '../../src/workshop/session.js';
import { CHILD_MISSING } from '../report/real-run.js';
import { chromiumMissing, collectErrors, launch, offlineOnly } from '../helpers/browser.js';

const OUT = fileURLToPath(new URL('../.out/', import.meta.url));
const skipReason = chromiumMissing ?? CHILD_MISSING;
if (skipReason) console.warn(`workshop browser test skipped: ${skipReason}`);

type EchartsWindow = { echarts: { getInstanceByDom(el: Element): { getOption(): { series: Array<{ id?: string; data?: unknown[] }> } } | undefined } };


/** Points of the first variant's RSS series as the page's ECharts instance holds them. */
function rssPoints(page: Page): Promise<number> {
  return page.evaluate(() => {
    const el = document.querySelector('[data-chart-kind="lines"]');
    const inst = el ? (window as unknown as EchartsWindow).echarts.getInstanceByDom(el) : undefined;
    return inst?.getOption().series.find((s) => s.id === '0:rss')?.data?.length ?? 0;
  });
}

describe.skipIf(skipReason !== null)('workshop page in a browser', () => {
  let ws: Workshop;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let outDir: string;
  const consoleErrors: string[] = [];
  const foreign: string[] = [];
  const requested: string[] = [];

  const waitPausedAt = (phase: string): Promise<unknown> =>
    page.waitForFunction(
      (p) => (document.getElementById('phase-state')?.textContent ?? '').startsWith('paused before') && (document.getElementById('phase')?.textContent ?? '').endsWith(' · ' + p),
      phase,
      { timeout: 60_000 },
    );

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'rsslab-workshop-'));
    // no --tune-system: these two variants change nothing on the machine
    ws = await startWorkshop({ experiments: ['madv-free'], variants: ['dontneed', 'free'], quick: true, step: true, outDir, command: ['vitest', 'test/workshop'] });
    userDataDir = mkdtempSync(join(tmpdir(), 'rsslab-chromium-'));
    context = await launch(userDataDir);
    const origin = ws.url.replace(/\/$/, '');
    // offline by construction: anything but the workshop's own server is refused and recorded
    await offlineOnly(context, (url) => url.startsWith(origin + '/'), foreign);
    page = await context.newPage();
    page.on('request', (r) => requested.push(r.url()));
    collectErrors(page, consoleErrors);
    await page.goto(ws.openUrl);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await ws?.close();
    await ws?.done.catch(() => undefined);
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('workshop - the run waits at the first boundary while the chart keeps receiving samples', async () => {
    await waitPausedAt('map');
    expect(await page.locator('#next').isEnabled()).toBe(true);
    await page.waitForFunction(() => document.querySelector('[data-chart-kind="lines"] canvas') !== null);
    const first = await rssPoints(page);
    // the sampler keeps sampling the waiting child: 20 ms samples, flushed to the page every 150 ms
    await page.waitForTimeout(1500);
    const later = await rssPoints(page);
    console.log(`RSS series points on the page: ${first} → ${later} over 1.5 s of waiting`);
    expect(later).toBeGreaterThan(first);
    expect(ws.stepper.paused?.phase).toBe('map');
    // the stream that brought those samples was opened by the session cookie: no token in its URL
    const streams = requested.filter((u) => new URL(u).pathname === '/events');
    expect(streams.length).toBeGreaterThan(0);
    for (const u of streams) expect(new URL(u).search, u).toBe('');
  });

  it('workshop - Next moves the run to the next phase and the story follows', async () => {
    await page.click('#next');
    await waitPausedAt('touch');
    expect(ws.stepper.paused?.phase).toBe('touch');
    expect(await page.locator('#story-list li.now').getAttribute('data-phase')).toBe('touch');
    expect(await page.locator('#story-list li.past').count()).toBe(1);
    // the keyboard works too (a presenter's remote sends PageDown)
    await page.keyboard.press('PageDown');
    await waitPausedAt('free');
    // the boundary sample after the touch: the 64 MiB region (quick profile) is resident on top of Node's own
    const touchedText = (await page.locator('#rss').textContent()) ?? '';
    const touchedMiB = Number(/RSS ([\d.]+) MiB/.exec(touchedText)?.[1]);
    await page.click('#next');
    await waitPausedAt('hold');
    // dontneed: MADV_DONTNEED returned the region at once, so the boundary after the free is ~64 MiB lower
    const freedText = (await page.locator('#rss').textContent()) ?? '';
    const freedMiB = Number(/RSS ([\d.]+) MiB/.exec(freedText)?.[1]);
    console.log(`paused before free: ${touchedText}; before hold: ${freedText}`);
    expect(touchedMiB).toBeGreaterThanOrEqual(64);
    expect(touchedMiB - freedMiB).toBeGreaterThanOrEqual(56);
  });

  it('workshop - both variants run on the same chart, the page map fills in, and the files are written', async () => {
    // on to the end of the first variant and into the second; pause in the second's hold for the picture
    let secondHold = false;
    for (let i = 0; i < 20 && !secondHold; i++) {
      await page.waitForFunction(() => !(document.getElementById('next') as HTMLButtonElement).disabled, undefined, { timeout: 60_000 });
      const variant = ws.stepper.paused?.variant;
      const phase = ws.stepper.paused?.phase;
      if (variant === 'free' && phase === 'write') secondHold = true;
      else {
        await page.click('#next');
        await page.waitForTimeout(100);
      }
    }
    expect(secondHold).toBe(true);
    await page.waitForTimeout(400);
    const lines = await page.evaluate(() => {
      const el = document.querySelector('[data-chart-kind="lines"]')!;
      return (window as unknown as EchartsWindow).echarts.getInstanceByDom(el)!.getOption().series.map((s) => `${s.id}:${s.data?.length ?? 0}`);
    });
    console.log(`series on the RSS chart: ${lines.join(', ')}`);
    expect(lines.some((s) => s.startsWith('0:rss:'))).toBe(true);
    expect(lines.some((s) => s.startsWith('1:rss:'))).toBe(true);
    expect(await page.locator('[data-chart-kind="pagemap"] canvas').count()).toBeGreaterThanOrEqual(1);

    mkdirSync(OUT, { recursive: true });
    const png = await page.screenshot({ path: join(OUT, 'workshop.png') });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // a blank 1600×1000 page compresses to a few KiB; charts, story and text do not
    expect(png.length).toBeGreaterThan(60_000);
    await page.screenshot({ path: join(OUT, 'workshop-full.png'), fullPage: true });
    const inked = await page.evaluate(() => {
      const canvas = document.querySelector('[data-chart-kind="lines"] canvas') as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let nonWhite = 0;
      for (let i = 0; i < data.length; i += 4 * 7) if (data[i + 3]! > 0 && (data[i]! < 235 || data[i + 1]! < 235 || data[i + 2]! < 235)) nonWhite++;
      return nonWhite / (data.length / (4 * 7));
    });
    expect(inked).toBeGreaterThan(0.005);

    // let it finish: the page then says where the Run and the reports are
    while (ws.stepper.paused) {
      ws.stepper.next('page');
      await new Promise((r) => setTimeout(r, 100));
      if (!ws.stepper.paused) await Promise.race([ws.done, new Promise((r) => setTimeout(r, 1000))]);
    }
    const result = await ws.done;
    await page.waitForFunction(() => !document.getElementById('finished')!.hidden, undefined, { timeout: 30_000 });
    const finished = (await page.locator('#finished').textContent()) ?? '';
    expect(finished).toContain(outDir);
    for (const f of ['madv-free.json', 'report.html', 'summary.md', 'samples.csv']) {
      expect(finished).toContain(f);
      expect(existsSync(join(outDir, f)), f).toBe(true);
    }
    expect(result.runs[0]!.variants.map((v) => v.variant)).toEqual(['dontneed', 'free']);
    expect(result.runs[0]!.variants.every((v) => v.status === 'ok')).toBe(true);
    expect(consoleErrors).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
