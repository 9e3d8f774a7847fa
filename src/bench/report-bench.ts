// The size of one HTML report, side by side with what it carries: a real quick madv-free Run (two
// variants, through the runner) rendered with renderHtml, the chart library inlined in it (the
// bundle of ECharts' modules, deflated), and the full ECharts build it replaced (when echarts, a
// devDependency, is installed). The goal is a report under 400 KB; the library's share is the ratio.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { runExperiment } from '../experiment-source.js';
import { chartLibraryScript, packedChartScripts } from '../report/chart-bundle.js';
import { renderHtml } from '../report/html.js';

export interface ReportFigures {
  /** what was drawn: experiment, variants and samples */
  run: { experiment: string; variants: number; samples: number; pageMaps: number };
  reportBytes: number;
  renderMs: number;
  /** the chart bundle as built (dist/report-charts.js) and as inlined (deflated, base64, with its loader) */
  bundleBytes: number;
  inlinedLibraryBytes: number;
  /** echarts/dist/echarts.min.js, what a report inlined before; null when echarts is not installed */
  fullEchartsBytes: number | null;
  /** reportBytes / 400 KiB */
  goalRatio: number;
}

export const REPORT_GOAL_BYTES = 400 * 1024;

function fullEchartsBytes(): number | null {
  try {
    const file = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
    return existsSync(file) ? statSync(file).size : null;
  } catch {
    return null;
  }
}

export async function benchReport(): Promise<ReportFigures> {
  const run = await runExperiment('madv-free', { quick: true, variants: ['dontneed', 'free'], tuneSystem: false, interactive: false, command: ['npm', 'run', 'bench'] });
  const t0 = performance.now();
  const html = renderHtml([run]);
  const renderMs = performance.now() - t0;
  const reportBytes = Buffer.byteLength(html);
  return {
    run: {
      experiment: run.experiment.id,
      variants: run.variants.length,
      samples: run.variants.reduce((n, v) => n + v.samples.length, 0),
      pageMaps: run.variants.reduce((n, v) => n + v.pageMaps.length, 0),
    },
    reportBytes,
    renderMs,
    bundleBytes: Buffer.byteLength(chartLibraryScript()),
    inlinedLibraryBytes: Buffer.byteLength(packedChartScripts()),
    fullEchartsBytes: fullEchartsBytes(),
    goalRatio: reportBytes / REPORT_GOAL_BYTES,
  };
}
