// The cross-machine comparison `rsslab report` draws when its Runs of one experiment come from
// different machines or settings (a CI matrix over kernels, distributions, architectures, allocator
// builds, THP modes): one column per Run, one block of rows per variant — whether it ran, each
// expectation (held / failed / skipped, with the reason), the headline figures — and per row which
// recorded settings its outcome follows (check/depends-on.ts). Plain strings and numbers, so the
// terminal, Markdown and HTML draw the same model their own way. Reads Run JSON only.
import type { ExpectationResult, Run, VariantRun } from '../run/schema.js';
import { subjectKey } from '../run/subject.js';
import { differs, machineDimensions, shortValue, variantDimensions, type DimensionScope } from '../check/setting-dimensions.js';
import { dependence, type Dependence, type SettingValues } from '../check/depends-on.js';
import { describeValues } from '../check/stats.js';
import { headlineValue } from './summary.js';
import { formatValue } from './units.js';
import { matrixNotes } from './matrix-notes.js';
import { figureLevels } from '../check/figure-levels.js';

export type CellOutcome = 'ran' | 'held' | 'failed' | 'skipped' | 'mixed' | 'not run';

export interface MatrixCell {
  /** null: the Run has no such row (the variant was not asked for, the expectation is not in that version) */
  outcome: CellOutcome | null;
  text: string;
  /** 1-based index into ExperimentMatrix.reasons, for a skip or failure reason */
  reason: number | null;
}

export interface MatrixColumn {
  id: string;
  /** the file the Run came from, when known */
  source: string | null;
  host: string;
  /** one line: host, kernel, distro, arch, THP */
  describe: string;
}

export interface HeaderRow {
  label: string;
  scope: DimensionScope;
  values: Array<string | null>;
}

export interface EffectRow {
  kind: 'status' | 'expectation';
  id: string;
  text: string;
  cells: MatrixCell[];
  dependence: Dependence;
}

export interface FigureRow {
  metric: string;
  label: string;
  values: Array<number | null>;
  cells: string[];
  /** the values in levels (check/figure-levels.ts), and which settings the level follows */
  dependence: Dependence;
}

export interface VariantBlock {
  key: string;
  name: string;
  label: string;
  /** settings in force for this variant that differ across the Runs */
  inForce: HeaderRow[];
  status: EffectRow;
  effects: EffectRow[];
  figures: FigureRow[];
}

export interface ExperimentMatrix {
  experimentId: string;
  /** what the comparison is of: the experiment id, or a watch Run's title (the command it watched) */
  name: string;
  title: string;
  columns: MatrixColumn[];
  /** machine and Run settings that differ across the columns, in header order */
  header: HeaderRow[];
  variants: VariantBlock[];
  /** skip and failure reasons, numbered from 1 */
  reasons: string[];
  /** mismatches a reader must know before trusting a difference (versions, parameters) */
  notes: string[];
}

export interface LoadedForMatrix {
  run: Run;
  source?: string | null;
}

function variantKey(v: VariantRun): string {
  const s = subjectKey(v);
  return s ? `${v.variant}\u0000${s}` : v.variant;
}

function variantName(v: VariantRun): string {
  return v.subject?.kind === 'real' ? `${v.variant} — real (${v.subject.counterpart})` : v.variant;
}

class Reasons {
  readonly list: string[] = [];
  add(text: string): number {
    const t = shortValue(text.replace(/\s+/g, ' ').trim()).slice(0, 300);
    const i = this.list.indexOf(t);
    if (i >= 0) return i + 1;
    this.list.push(t);
    return this.list.length;
  }
}

function statusCell(repeats: VariantRun[], skippedWhy: string | null, reasons: Reasons): MatrixCell {
  if (repeats.length === 0) return skippedWhy !== null ? { outcome: 'skipped', text: 'skipped', reason: reasons.add(skippedWhy) } : { outcome: null, text: '—', reason: null };
  const ok = repeats.filter((r) => r.status === 'ok').length;
  if (ok === repeats.length) return { outcome: 'ran', text: repeats.length > 1 ? `ran ×${ok}` : 'ran', reason: null };
  const bad = repeats.find((r) => r.status !== 'ok')!;
  const reason = reasons.add(bad.failure?.reason ?? `${bad.status}, no reason recorded`);
  if (ok > 0) return { outcome: 'mixed', text: `ran ${ok} of ${repeats.length}`, reason };
  return bad.status === 'skipped' ? { outcome: 'skipped', text: 'skipped', reason } : { outcome: 'failed', text: 'child failed', reason };
}

function expectationCell(results: ExpectationResult[], ran: boolean, reasons: Reasons): MatrixCell {
  if (results.length === 0) return ran ? { outcome: null, text: 'not in this Run', reason: null } : { outcome: 'not run', text: 'not run', reason: null };
  const statuses = new Set(results.map((r) => r.status));
  if (statuses.size > 1) {
    const held = results.filter((r) => r.status === 'held').length;
    return { outcome: 'mixed', text: `held ${held} of ${results.length}`, reason: null };
  }
  const r = results[0]!;
  if (r.status === 'held') return { outcome: 'held', text: results.length > 1 ? `held ×${results.length}` : 'held', reason: null };
  const why = r.status === 'skipped' ? r.reason ?? 'no reason recorded' : r.reason ?? null;
  return { outcome: r.status, text: r.status, reason: why === null ? null : reasons.add(why) };
}

function figureRow(metric: string, label: string, perRun: VariantRun[][], settings: SettingValues[]): FigureRow {
  const values = perRun.map((repeats) => {
    const got = repeats.filter((v) => v.status === 'ok').map((v) => headlineValue(v, metric)).filter((x): x is number => x !== null && Number.isFinite(x));
    return got.length ? describeValues(got).median : null;
  });
  const { levels, of } = figureLevels(metric, values);
  const levelText = (i: number): string => {
    const l = levels[i]!;
    return l.min === l.max ? formatValue(metric, l.min) : `${formatValue(metric, l.min)}–${formatValue(metric, l.max)}`;
  };
  const outcomes = of.map((i) => (i === null ? null : levelText(i)));
  return { metric, label, values, cells: values.map((v) => formatValue(metric, v)), dependence: dependence(outcomes, settings) };
}

/** Runs in the order of the settings that differ between them (arch, distro, kernel, …), so equal values sit side by side. */
function groupedOrder(loaded: LoadedForMatrix[]): LoadedForMatrix[] {
  const dims = machineDimensions(loaded.map((l) => l.run)).filter((d) => differs(d.values));
  const index = loaded.map((_, i) => i);
  index.sort((a, b) => {
    for (const d of dims) {
      const x = d.values[a] ?? '\uffff';
      const y = d.values[b] ?? '\uffff';
      if (x !== y) return x.localeCompare(y, 'en', { numeric: true });
    }
    return a - b;
  });
  return index.map((i) => loaded[i]!);
}

function describeColumn(run: Run): string {
  const m = run.machine;
  const distro = m.distro ? `${m.distro} · ` : '';
  return `${shortValue(m.hostname ?? '?')} · ${shortValue(distro)}Linux ${shortValue(m.kernel)} ${shortValue(m.arch ?? '')} · THP ${shortValue(m.thp.enabled ?? '?')}/${shortValue(m.thp.defrag ?? '?')}`.replace(/\s+/g, ' ');
}

/** The matrix of one experiment's Runs (at least one). */
export function experimentMatrix(given: LoadedForMatrix[]): ExperimentMatrix {
  const loaded = groupedOrder(given);
  const runs = loaded.map((l) => l.run);
  const reasons = new Reasons();
  const machine = machineDimensions(runs);
  const columns = loaded.map((l, i): MatrixColumn => ({ id: `m${i + 1}`, source: l.source ?? null, host: shortValue(l.run.machine.hostname ?? '?'), describe: describeColumn(l.run) }));
  const header = machine.filter((d) => differs(d.values)).map((d) => ({ label: d.label, scope: d.scope, values: d.values }));

  // variants in first-seen order over the Runs, their skipped entries too
  const order = new Map<string, { name: string; label: string }>();
  for (const r of runs) {
    for (const v of r.variants) if (!order.has(variantKey(v))) order.set(variantKey(v), { name: variantName(v), label: v.label });
    for (const s of r.skipped) {
      const key = s.counterpart ? `${s.variant}\u0000real:${s.counterpart}` : s.variant;
      if (!order.has(key)) order.set(key, { name: s.counterpart ? `${s.variant} — real (${s.counterpart})` : s.variant, label: '' });
    }
  }
  const headlines = new Map<string, string>();
  for (const r of runs) for (const h of r.experiment.headline) if (!headlines.has(h.metric)) headlines.set(h.metric, h.label);

  const variants: VariantBlock[] = [];
  for (const [key, { name, label }] of order) {
    const perRun = runs.map((r) => r.variants.filter((v) => variantKey(v) === key));
    const skippedWhy = runs.map((r) => r.skipped.find((s) => (s.counterpart ? `${s.variant}\u0000real:${s.counterpart}` : s.variant) === key)?.reason ?? null);
    const inForceDims = variantDimensions(perRun);
    const settings: SettingValues[] = [...machine, ...inForceDims].filter((d) => differs(d.values));
    const statusCells = perRun.map((repeats, i) => statusCell(repeats, skippedWhy[i]!, reasons));
    const status: EffectRow = { kind: 'status', id: 'ran', text: 'ran here', cells: statusCells, dependence: dependence(statusCells.map((c) => c.outcome), settings) };

    const expectationIds = new Map<string, string>();
    for (const repeats of perRun) for (const v of repeats) for (const e of v.expectations) if (!expectationIds.has(e.id)) expectationIds.set(e.id, e.text);
    const effects = [...expectationIds].map(([id, text]): EffectRow => {
      const cells = perRun.map((repeats) => expectationCell(repeats.flatMap((v) => v.expectations.filter((e) => e.id === id)), repeats.some((v) => v.status !== 'skipped'), reasons));
      // "not run" is the status row's story: the expectation is unknown there
      const outcomes = cells.map((c) => (c.outcome === 'not run' ? null : c.outcome));
      return { kind: 'expectation', id, text, cells, dependence: dependence(outcomes, settings) };
    });
    const figures = [...headlines].map(([metric, l]) => figureRow(metric, l, perRun, settings)).filter((f) => f.values.some((v) => v !== null));
    const realLabel = perRun.flat()[0]?.label ?? label;
    variants.push({ key, name, label: realLabel, inForce: inForceDims.filter((d) => differs(d.values)).map((d) => ({ label: d.label, scope: d.scope, values: d.values })), status, effects, figures });
  }
  const first = runs[0]!;
  return { experimentId: first.experiment.id, name: first.kind === 'watch' ? first.experiment.title : first.experiment.id, title: first.experiment.title, columns, header, variants, reasons: reasons.list, notes: matrixNotes(runs, columns.map((c) => c.id)) };
}

export type MatrixMode = 'auto' | 'only' | 'off';
export const MATRIX_MODES: readonly MatrixMode[] = ['auto', 'only', 'off'];

/** Whether Runs of one experiment differ in anything recorded (machine, Run, or a variant's settings in force). */
function settingsDiffer(m: ExperimentMatrix): boolean {
  return m.header.length > 0 || m.variants.some((v) => v.inForce.length > 0);
}

/**
 * The matrices to draw: `auto`, one per experiment with Runs under different settings; `only`, one
 * per experiment whatever its Runs; `off`, none. Runs are grouped by experiment id (a watch Run by the
 * command it watched) in input order.
 */
/** Runs compared with each other: an experiment's, or a watched program's (its title names the command). */
function groupKey(run: Run): string {
  return run.kind === 'watch' ? `watch\u0000${run.experiment.title}` : run.experiment.id;
}

/** Experiments among these Runs with a single Run: nothing to compare them with (said when others are compared). */
export function singleRunExperiments(loaded: LoadedForMatrix[]): string[] {
  const count = new Map<string, { name: string; n: number }>();
  for (const l of loaded) {
    const c = count.get(groupKey(l.run)) ?? { name: l.run.kind === 'watch' ? l.run.experiment.title : l.run.experiment.id, n: 0 };
    c.n++;
    count.set(groupKey(l.run), c);
  }
  return [...count.values()].filter((c) => c.n === 1).map((c) => c.name);
}

export function buildMatrices(loaded: LoadedForMatrix[], mode: MatrixMode = 'auto'): ExperimentMatrix[] {
  if (mode === 'off') return [];
  const byExperiment = new Map<string, LoadedForMatrix[]>();
  for (const l of loaded) {
    const list = byExperiment.get(groupKey(l.run)) ?? [];
    list.push(l);
    byExperiment.set(groupKey(l.run), list);
  }
  const out: ExperimentMatrix[] = [];
  for (const group of byExperiment.values()) {
    if (mode === 'auto' && group.length < 2) continue;
    const m = experimentMatrix(group);
    if (mode === 'only' || settingsDiffer(m)) out.push(m);
  }
  return out;
}
