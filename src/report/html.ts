// One self-contained HTML file for a set of Runs: works offline (ECharts inlined, no network),
// readable on a projector, and explains itself in a screenshot: the chart, the story beside it,
// the machine and each variant's settings under it. Everything from the Run is data: it reaches
// the page escaped (text) or inside a JSON block whose "<" are escaped (charts).
import type { Run, VariantRun } from '../run/schema.js';
import { chartLibraryScript, packedChartScripts } from './chart-bundle.js';
import { CLIENT_SCRIPT } from './html-client.js';
import { layersChart, pageMapCharts, rssChart, type ChartSpec, type LinesChart } from './html-charts.js';
import { REPORT_CSS } from './html-style.js';
import { variantRunName } from './series.js';
import { experimentAgreement } from '../check/agreement.js';
import { agreementCells, rankText, VERDICT_TEXT } from './agreement.js';
import { isReal } from '../run/subject.js';
import { absentNotes } from './absent.js';
import { phaseStrip } from './phase-strip.js';
import { countExpectations, describeComparison, describeSkipped, formatCounts, formatHeadline, statusMark } from './summary.js';
import { formatBytes, formatMs, formatParam } from './units.js';
import type { ExperimentMatrix } from './matrix-model.js';
import { MATRIX_CSS, matrixSection } from './matrix-html.js';

export { escapeHtml } from './escape.js';
import { escapeHtml } from './escape.js';

/** JSON safe inside <script>: no "</script>", no "<!--", no line separators that end a JS string. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The chart library (dist/report-charts.js, built from ECharts' modules), inlined as it is (never a CDN). */
export function echartsScript(): string {
  return chartLibraryScript();
}

const e = escapeHtml;

function table(head: string[], rows: string[][], cls = ''): string {
  // wide tables scroll inside their own box: on a phone the page keeps its width
  return `<div class="table-scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

function machineTable(run: Run): string {
  const m = run.machine;
  const t = m.thp;
  const rows: Array<[string, string]> = [
    ['host', `${m.hostname} (${m.arch}, ${m.cpus} CPUs, ${formatBytes(m.memTotalBytes)})`],
    ['kernel', `Linux ${m.kernel}${m.root ? ', run as root' : ', not root'}`],
    ['THP', `enabled=${t.enabled ?? '?'}, defrag=${t.defrag ?? '?'}`],
    ['khugepaged', `scan_sleep_millisecs=${t.scanSleepMs ?? '?'}, pages_to_scan=${t.pagesToScan ?? '?'}, max_ptes_none=${t.maxPtesNone ?? '?'}`],
    ['pages', `${formatBytes(m.pageSize)} pages, ${formatBytes(m.hugePageSize)} huge pages`],
    ['memory cgroup', m.cgroup.version ? `v${m.cgroup.version} at ${m.cgroup.memoryControllerPath ?? '?'}${m.cgroup.writable ? '' : ' (not writable)'}` : 'none usable'],
    ['kernel features', Object.entries(m.features).map(([k, v]) => `${k} ${v ? '✓' : '✗'}`).join(', ')],
    ['allocators', m.allocators.map((a) => `${a.name}${a.version ? ` ${a.version}` : ''}${a.library ? ` (${a.library})` : ''}`).join(', ') || 'glibc only'],
    ['Node', m.node],
    ['rsslab', `${run.rsslabVersion}, ${run.command.join(' ')}`],
  ];
  return `<div class="table-scroll"><table class="kv">${rows.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table></div>`;
}

function settingsCell(v: VariantRun): string {
  const s = v.settings;
  const parts: string[] = [];
  const env = Object.entries(s.env);
  if (env.length) parts.push(`env: ${env.map(([k, val]) => `${k}=${val}`).join(' ')}`);
  if (s.nodeArgs.length) parts.push(`node ${s.nodeArgs.join(' ')}`);
  if (s.knobs.length) parts.push(`knobs: ${s.knobs.map((k) => `${k.path.split('/').pop()} ${k.from}→${k.to}`).join(', ')}`);
  if (s.thpDisable) parts.push('prctl(PR_SET_THP_DISABLE)');
  for (const k of s.skippedSettings) parts.push(`not applied: ${k.what} (${k.reason})`);
  return e(parts.join('; ') || 'defaults');
}

function variantsTable(run: Run): string {
  const rows = run.variants.map((v) => {
    const s = v.settings;
    const alloc = s.allocator ? `${s.allocator.name}${s.allocator.version ? ` ${s.allocator.version}` : ''}` : 'unknown';
    const thp = `${s.thp.enabled ?? '?'}/${s.thp.defrag ?? '?'}, sleep ${s.thp.scanSleepMs ?? '?'} ms, ${s.thp.pagesToScan ?? '?'} pages, max_ptes_none ${s.thp.maxPtesNone ?? '?'}`;
    const status = v.status === 'ok' ? 'ok' : `${v.status}${v.failure ? `: ${v.failure.reason}` : ''}`;
    return [
      `<strong>${e(variantRunName(v, run.variants))}</strong><div>${e(v.label)}</div><div class="muted">${e(v.description)}</div>`,
      e(status),
      e(alloc),
      settingsCell(v),
      e(s.cgroup ? `v${s.cgroup.version}, limit ${formatBytes(s.cgroup.limitBytes)}` : '—'),
      e(thp),
      e(formatMs(v.durationMs)),
    ];
  });
  return table(['variant', 'status', 'allocator (detected)', 'settings', 'cgroup', 'THP in force', 'duration'], rows);
}

function headlineTable(run: Run): string {
  const head = ['variant', ...run.experiment.headline.map((h) => h.label), 'expectations'];
  const rows = run.variants.map((v) => [
    `<strong>${e(variantRunName(v, run.variants))}</strong><div class="muted">${e(v.label)}</div>`,
    ...run.experiment.headline.map((h) => e(formatHeadline(v, h.metric))),
    e(formatCounts(countExpectations(v.expectations))),
  ]);
  return table(head, rows, 'headline');
}

function expectationsTable(run: Run): string {
  const rows = run.variants.flatMap((v) =>
    v.expectations.map((x) => [
      `<span class="status-${x.status}">${e(statusMark(x.status))} ${e(x.status)}</span>`,
      e(variantRunName(v, run.variants)),
      e(x.text),
      `<code>${e(x.status === 'skipped' ? describeSkipped(x) : describeComparison(x))}</code>`,
      e(x.reason ?? ''),
    ]),
  );
  if (rows.length === 0) return '<p class="muted">No expectations recorded.</p>';
  return table(['status', 'variant', 'expectation', 'measured', 'note'], rows, 'expectations');
}

/** Replay and real side by side; their RSS lines share the main chart above ("— real (…)"). */
function agreementSection(run: Run): string {
  if (!run.variants.some(isReal)) return '';
  const a = experimentAgreement(run);
  const cells = agreementCells(a);
  const rows = cells.rows.map((r) => r.map((c, i) => (i === r.length - 1 && c !== 'yes' ? `<strong class="status-failed">${e(c)}</strong>` : e(c))));
  const lines = [...a.ranks.map(rankText), ...a.problems.map((p) => `✗ ${p}`), ...a.notes];
  return `<h3>Replay and real side by side: ${e(VERDICT_TEXT[a.verdict])}</h3>
<p class="muted">Each variant was run as the replay and as the real program it stands for, under the same settings; their RSS lines are in the chart above.</p>
${cells.rows.length ? table(cells.head, rows, 'agreement') : ''}${lines.length ? `<ul class="agreement-notes">${lines.map((l) => `<li><pre>${e(l)}</pre></li>`).join('')}</ul>` : ''}`;
}

function problemsList(run: Run): string {
  const items: string[] = [];
  for (const s of run.skipped) items.push(`<li><strong>${e(s.variant)}${s.counterpart ? ` (real ${e(s.counterpart)})` : ''}</strong> skipped: ${e(s.reason)}</li>`);
  for (const v of run.variants) {
    if (v.status !== 'ok') {
      const tail = v.failure?.stderrTail.trim();
      items.push(
        `<li><strong>${e(variantRunName(v, run.variants))}</strong> ${e(v.status)}: ${e(v.failure?.reason ?? 'no reason recorded')}${tail ? `<pre>${e(tail)}</pre>` : ''}</li>`,
      );
    }
  }
  return items.length ? `<h3>Skipped and failed</h3><ul class="problems">${items.join('')}</ul>` : '';
}

function storyAside(run: Run): string {
  const steps = run.experiment.story.map((s) => `<li><strong>${e(s.title)}</strong> <span class="phase">${e(s.phase)}</span><p>${e(s.text)}</p></li>`);
  return `<aside class="story"><p class="summary">${e(run.experiment.summary)}</p><ol>${steps.join('')}</ol></aside>`;
}

function toggles(chart: LinesChart): string {
  if (chart.kinds.length <= 1) return '';
  // each toggle shows its line pattern, so a reader can tell the dashed series apart
  const swatch = (dash: number[] | null): string =>
    `<svg class="swatch" width="36" height="10" aria-hidden="true"><line x1="0" y1="5" x2="36" y2="5" stroke="#333" stroke-width="${dash ? 2 : 4}"${dash ? ` stroke-dasharray="${dash.join(' ')}"` : ''}/></svg>`;
  const boxes = chart.kinds.map(
    (k) => `<label><input type="checkbox" data-chart="${e(chart.id)}" data-kind="${e(k.kind)}"${k.on ? ' checked' : ''}> ${swatch(k.dash)} ${e(k.label)}</label>`,
  );
  return `<div class="toggles"><span class="muted">show:</span> ${boxes.join(' ')}</div>`;
}

function chartDiv(spec: ChartSpec, cls: string): string {
  const strip = spec.kind === 'pagemap' ? '' : phaseStrip(spec);
  return `<figure class="chart-box"><figcaption>${e(spec.title)}</figcaption><div id="${e(spec.id)}" class="chart ${cls}${strip ? ' has-phases' : ''}" data-chart-kind="${spec.kind}"></div>${strip}</figure>`;
}

function runSection(run: Run, index: number, charts: ChartSpec[]): string {
  const x = run.experiment;
  const prefix = `r${index}`;
  const main = rssChart(run, `${prefix}-rss`);
  charts.push(main);
  const layers = run.variants.map((v, i) => layersChart(run, v, `${prefix}-layers-${i}`)).filter((c): c is NonNullable<typeof c> => c !== null);
  const pageMaps = run.variants.flatMap((v, i) => pageMapCharts(run, v, `${prefix}-pages-${i}`));
  for (const c of [...layers, ...pageMaps]) charts.push(c);
  const params = Object.entries(x.params).map(([k, v]) => `${k}=${formatParam(k, v)}`).join(', ');
  return `<section class="run" id="${e(prefix)}">
<h2>${e(x.title)} <span class="muted">${e(x.id)}${x.seed ? ` · ${e(x.seed)}` : ''} · ${e(x.profile)} profile · ${e(run.startedAt)}</span></h2>
<p class="machine-line">Linux ${e(run.machine.kernel)} · THP ${e(run.machine.thp.enabled ?? '?')} · khugepaged ${e(String(run.machine.thp.scanSleepMs ?? '?'))} ms / ${e(
    String(run.machine.thp.pagesToScan ?? '?'),
  )} pages · max_ptes_none ${e(String(run.machine.thp.maxPtesNone ?? '?'))} · params: ${e(params || 'none')}</p>
<div class="chart-row"><div>${chartDiv(main, 'chart-main')}${toggles(main)}${absentNotes(run)}
${layers.length ? `<h3>Layers of RSS</h3><div class="grid-2">${layers.map((c) => chartDiv(c, 'chart-small')).join('')}</div>` : ''}
${pageMaps.length ? `<h3>Page maps</h3><div class="grid-2">${pageMaps.map((c) => chartDiv(c, 'chart-small')).join('')}</div>` : ''}
</div>${storyAside(run)}</div>
<h3>Headline figures</h3>${headlineTable(run)}
${agreementSection(run)}
<h3>Expectations</h3>${expectationsTable(run)}
${problemsList(run)}
<h3>Variants and their settings</h3>${variantsTable(run)}
<h3>Machine</h3>${machineTable(run)}
${run.systemLog.length ? `<details><summary>System changes and restores (${run.systemLog.length})</summary><ol>${run.systemLog.map((l) => `<li>${e(l)}</li>`).join('')}</ol></details>` : ''}
</section>`;
}

export interface HtmlOptions {
  /** cross-machine comparisons drawn above the Runs (matrix-model.ts) */
  matrices?: ExperimentMatrix[];
  /** false: the comparisons only, no section per Run (`rsslab report --matrix only`) */
  runSections?: boolean;
}

/** The whole report page for a set of Runs (one section per Run), as one self-contained HTML string. */
export function renderHtml(runs: Run[], opts: HtmlOptions = {}): string {
  const charts: ChartSpec[] = [];
  const matrices = opts.matrices ?? [];
  const shown = opts.runSections === false ? [] : runs;
  const sections = shown.map((r, i) => runSection(r, i, charts));
  const title = `rsslab — ${runs.map((r) => r.experiment.id).join(', ') || 'no runs'}`;
  const links = [...matrices.map((m, i) => `<a href="#matrix-${i}">Across machines: ${e(m.name)}</a>`), ...shown.map((r, i) => `<a href="#r${i}">${e(r.experiment.title)}</a>`)];
  const nav = links.length > 1 ? `<nav>${links.join(' · ')}</nav>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title><style>${REPORT_CSS}${matrices.length ? MATRIX_CSS : ''}</style></head>
<body><header><h1>I freed it — why is my RSS still high?</h1><p class="muted">rsslab report · ${runs.length} run${runs.length === 1 ? '' : 's'} · generated ${e(new Date().toISOString())}</p>${nav}</header>
${matrices.map(matrixSection).join('\n')}
${sections.join('\n')}
<script type="application/json" id="rsslab-data">${jsonForScript({ charts })}</script>
${packedChartScripts()}
<script>window.rsslabCharts.then(function () {${CLIENT_SCRIPT}}, function (e) { document.body.insertAdjacentText('beforeend', 'The charts could not be drawn: ' + e); });</script>
</body></html>
`;
}
