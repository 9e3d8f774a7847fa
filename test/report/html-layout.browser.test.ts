// How the report of a REAL run lays out, measured in headless chromium at a projector's width
// (1400 px) and a phone's (390 px): phase labels never overlap and are not cut, the page is never
// wider than the screen (wide tables scroll in their own box), every chart reports itself drawn
// in one pass, and page-map columns named "end of P" were taken when P ended.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { renderHtml } from '../../src/report/html.js';
import { pageMapCharts } from '../../src/report/html-charts.js';
import { phaseAxis, placer } from '../../src/report/phase-axis.js';
import type { Run } from '../../src/run/schema.js';
import { CHILD_MISSING, quickMadvFreeRun } from './real-run.js';
import { chromiumMissing, launch, offlineOnly } from '../helpers/browser.js';

const skipReason = chromiumMissing ?? CHILD_MISSING;

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

describe.skipIf(skipReason !== null)('HTML report layout (real madv-free run, chromium)', () => {
  let run: Run;
  let context: BrowserContext;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    run = await quickMadvFreeRun();
    dir = mkdtempSync(join(tmpdir(), 'rsslab-layout-'));
    file = join(dir, 'report.html');
    writeFileSync(file, renderHtml([run]));
    context = await launch(join(dir, 'profile'));
    await offlineOnly(context, (url) => url.startsWith('file://'), []);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(width: number): Promise<Page> {
    const page = await context.newPage();
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`file://${file}`);
    // ECharts' "finished" on every chart: drawn completely, nothing left for a later frame
    await page.waitForFunction(() => [...document.querySelectorAll('.chart')].every((el) => el.getAttribute('data-drawn') === 'true'), null, { timeout: 30_000 });
    return page;
  }

  for (const width of [1400, 390]) {
    it(`layout at ${width} px - phase labels do not overlap, the page is no wider than the screen, wide tables scroll`, async () => {
      const page = await open(width);
      const strips = await page.evaluate(() =>
        [...document.querySelectorAll('.phase-strip')].map((strip) =>
          [...strip.querySelectorAll('.phase-label')].map((l) => {
            const r = l.getBoundingClientRect();
            const name = l.querySelector('.phase-name') as HTMLElement;
            return { box: { left: r.left, right: r.right, top: r.top, bottom: r.bottom }, text: name.textContent ?? '', fits: name.scrollWidth <= name.clientWidth + 1 && name.scrollHeight <= name.clientHeight + 1 };
          }),
        ),
      );
      expect(strips.length).toBeGreaterThan(0);
      for (const labels of strips) {
        expect(labels.length).toBeGreaterThanOrEqual(4);
        for (let i = 1; i < labels.length; i++) {
          const a: Box = labels[i - 1]!.box;
          const b: Box = labels[i]!.box;
          const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          expect(overlap, `${labels[i - 1]!.text} / ${labels[i]!.text}`).toBeLessThanOrEqual(0.5);
        }
        // every phase name can be read whole (vertical on a phone)
        for (const l of labels) expect(l.fits, `${l.text} at ${width} px`).toBe(true);
      }
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
        tables: [...document.querySelectorAll('table')].map((t) => ({ wrapped: t.parentElement?.classList.contains('table-scroll') ?? false, overflowX: t.parentElement ? getComputedStyle(t.parentElement).overflowX : '' })),
        scrolling: [...document.querySelectorAll('.table-scroll')].filter((d) => d.scrollWidth > d.clientWidth).length,
      }));
      expect(widths.page).toBeLessThanOrEqual(widths.viewport);
      for (const t of widths.tables) expect(t).toEqual({ wrapped: true, overflowX: 'auto' });
      if (width === 390) expect(widths.scrolling).toBeGreaterThan(0);
      await page.close();
    }, 60_000);
  }

  it('phase axis - every variant’s phases start on the same band edges, however long each took; every band has room', () => {
    const axis = phaseAxis(run.variants)!;
    expect(axis).not.toBeNull();
    for (const s of axis.segments) expect(s.x1 - s.x0, s.phase).toBeGreaterThanOrEqual(50 / axis.segments.length - 0.01);
    for (const v of run.variants) {
      const place = placer(axis, v);
      for (const m of v.marks) {
        const band = axis.segments.find((s) => s.phase === m.phase);
        if (band) expect(place(m.tMs), `${v.variant} ${m.phase}`).toBeCloseTo(band.x0, 2);
      }
    }
  });

  it('page maps - a column named "end of P" was taken at the mark that ended P', () => {
    let checked = 0;
    for (const v of run.variants) {
      for (const chart of pageMapCharts(run, v, 'x')) {
        for (const s of chart.grid.snapshots) {
          const m = /^end of (.+)$/.exec(s.label ?? '');
          if (!m) continue;
          const i = v.marks.findIndex((k) => k.phase === m[1]);
          const next = v.marks[i + 1]!;
          expect(Math.abs(next.tMs - s.tMs), `${v.variant}: ${s.label}`).toBeLessThan(1);
          checked++;
        }
        // the free phase's own effect is on a column: after MADV_DONTNEED nothing of the region is resident
        if (v.variant === 'dontneed') {
          const endOfFree = chart.grid.snapshots.find((s) => s.label === 'end of free');
          expect(endOfFree?.cells).toMatch(/^\.+$/);
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});
