// The report of a long watch (issue 14: an hour at 20 ms must give a report under 1 MB that opens in
// under 2 s): synthetic samples fed through what `watch` keeps them in — WatchSamples with its NDJSON
// sample log on disk — then written by the HTML report writer, and the file opened in Debian's
// chromium, timed from navigation start until every chart has drawn. The page marks a chart
// `data-drawn` on ECharts' "finished" event (all drawn, no frame pending): the time is the page's own
// performance.now() (its origin is navigation start) when the last chart got its mark.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SampleLog } from '../lab/sample-log.js';
import { WatchSamples } from '../lab/watch-samples.js';
import { writeReports } from '../report/write.js';
import { syntheticRun, syntheticSample } from '../soak/synthetic-run.js';
import { summarize, type Summary } from './stats.js';

export const LONG_REPORT_GOAL_BYTES = 1024 * 1024;
export const LONG_REPORT_GOAL_OPEN_MS = 2000;
export const CHROMIUM = '/usr/bin/chromium';
/** an hour of samples at watch's 20 ms */
export const HOUR_AT_20MS = 180_000;
const INTERVAL_MS = 20;
/** a phase mark every this many samples, kept whole as watch keeps a mark's sample */
const MARK_EVERY = 20_000;

export interface LongReportFigures {
  /** samples fed, and what the watch pipeline kept for the Run */
  samplesFed: number;
  intervalMs: number;
  samplesKept: number;
  samplesLogged: number;
  /** feeding WatchSamples + the NDJSON log, and writing the HTML file */
  feedMs: number;
  writeMs: number;
  reportBytes: number;
  /** null when the file could not be opened here: see openSkipped */
  open: {
    browser: string;
    charts: number;
    /** navigation start → every chart drawn, one per open (a fresh page each time) */
    drawnMs: Summary;
    /** navigation start → DOMContentLoaded (the page parsed, its scripts run) */
    domContentLoadedMs: Summary;
    /** the first open, in a browser that had not opened it before */
    firstDrawnMs: number;
  } | null;
  openSkipped: string | null;
}

interface OpenTiming {
  drawnMs: number;
  domContentLoadedMs: number;
  charts: number;
}

// Runs in the page before its own script: the moment the last chart is marked drawn.
const DRAWN_OBSERVER = `(() => {
  const check = () => {
    const charts = document.querySelectorAll('.chart');
    if (charts.length > 0 && [...charts].every((el) => el.getAttribute('data-drawn') === 'true') && window.__rsslabDrawnAt === undefined) {
      window.__rsslabDrawnAt = performance.now();
      window.__rsslabCharts = charts.length;
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-drawn'] });
})();`;

async function openTimes(file: string, opens: number): Promise<{ version: string; timings: OpenTiming[] }> {
  // a devDependency: imported only here, so the library's users never need it
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'rsslab-bench-chromium-'));
  // offline flags: this machine's closed network refuses Google's hosts (as test/helpers/browser.ts)
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 1000 },
  });
  try {
    const url = pathToFileURL(file).href;
    await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await context.addInitScript({ content: DRAWN_OBSERVER });
    const timings: OpenTiming[] = [];
    let version = '';
    for (let i = 0; i < opens; i++) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      try {
        await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
        // strings, not functions: the page's globals are not in this package's (Node-only) types
        await page.waitForFunction('window.__rsslabDrawnAt !== undefined', null, { timeout: 60_000 });
        if (errors.length > 0) throw new Error(`the report page failed: ${errors.join('; ')}`);
        timings.push(
          await page.evaluate<OpenTiming>(`(() => {
            const nav = performance.getEntriesByType('navigation')[0];
            return { drawnMs: window.__rsslabDrawnAt, domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : NaN, charts: window.__rsslabCharts };
          })()`),
        );
        if (version === '') version = await page.evaluate<string>('navigator.userAgent.match(/Chrom\\w*\\/[\\d.]+/)?.[0] ?? navigator.userAgent');
      } finally {
        await page.close();
      }
    }
    return { version, timings };
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Why the report cannot be opened here, or null. */
async function openUnavailable(): Promise<string | null> {
  if (!existsSync(CHROMIUM)) return `chromium absent (${CHROMIUM}; apt-get install chromium)`;
  try {
    await import('playwright-core');
  } catch {
    return 'playwright-core absent (a devDependency: npm install in the package)';
  }
  return null;
}

export async function benchLongReport(samples: number, opens: number): Promise<LongReportFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'rsslab-bench-longreport-'));
  try {
    const log = new SampleLog(join(dir, 'watch.samples.ndjson'));
    const kept = new WatchSamples(log);
    const t0 = performance.now();
    for (let i = 0; i < samples; i++) {
      const s = syntheticSample(i, INTERVAL_MS);
      if (i % MARK_EVERY === 0) kept.addMark(s);
      else kept.add(s);
    }
    log.close();
    const feedMs = performance.now() - t0;
    const run = syntheticRun({ samples: 0, intervalMs: INTERVAL_MS });
    const v = run.variants[0]!;
    v.samples = kept.samples();
    v.durationMs = (samples - 1) * INTERVAL_MS;
    v.sampleLog = { file: 'watch.samples.ndjson', samples: log.count, kept: v.samples.length };
    const t1 = performance.now();
    const [html] = await writeReports([run], join(dir, 'report'), { formats: ['html'] });
    const writeMs = performance.now() - t1;
    const figures: LongReportFigures = {
      samplesFed: samples,
      intervalMs: INTERVAL_MS,
      samplesKept: v.samples.length,
      samplesLogged: log.count,
      feedMs,
      writeMs,
      reportBytes: statSync(html!).size,
      open: null,
      openSkipped: await openUnavailable(),
    };
    if (figures.openSkipped === null) {
      const { version, timings } = await openTimes(html!, opens);
      figures.open = {
        browser: version,
        charts: timings[0]!.charts,
        drawnMs: summarize(timings.map((t) => t.drawnMs))!,
        domContentLoadedMs: summarize(timings.map((t) => t.domContentLoadedMs))!,
        firstDrawnMs: timings[0]!.drawnMs,
      };
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
