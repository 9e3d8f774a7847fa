// `rsslab list` (every experiment, its variants, defaults marked) and `rsslab list <experiment>`
// (one experiment in full: its variants with what each needs, and its parameters with their
// defaults in both profiles).
import { EXPERIMENT_IDS, loadExperiment } from '../../experiments/index.js';
import type { ExperimentDefinition, Params, VariantSpec } from '../lab/experiment.js';
import { UsageError } from '../usage-error.js';
import { formatParam } from '../report/units.js';
import { printJson } from './json.js';
import { COMPILERS } from '../lab/toolchain.js';

type Def = ExperimentDefinition<Params>;

/** What a variant needs to run, in words a reader can act on: root, an allocator library, a cgroup, consent. */
export function variantNeeds(v: VariantSpec<Params>): string[] {
  const needs = new Set<string>();
  for (const r of v.requires ?? []) {
    if (r === 'root') needs.add('root');
    else if (r === 'cgroup') needs.add('memory cgroup (root, --tune-system)');
    else if (r === 'jemalloc' || r === 'mimalloc' || r === 'tcmalloc') needs.add(`${r} library`);
    else if (r === 'madvFree') needs.add('Linux ≥ 4.5 (MADV_FREE)');
    else if (r === 'madvCollapse') needs.add('Linux ≥ 6.1 (MADV_COLLAPSE)');
    else if (r === 'thp') needs.add('THP in the kernel');
  }
  if (v.allocator && v.allocator !== 'glibc') needs.add(`${v.allocator} library`);
  if (v.knobs && Object.keys(v.knobs).length) needs.add(`root + --tune-system (${Object.entries(v.knobs).map(([k, x]) => `${k}=${x}`).join(', ')})`);
  if (v.cgroupLimitBytes !== undefined) needs.add('memory cgroup (root, --tune-system)');
  return [...needs];
}

function variantJson(v: VariantSpec<Params>) {
  return { id: v.id, label: v.label, description: v.description, default: v.default ?? false, requires: v.requires ?? [], needs: variantNeeds(v), allocator: v.allocator ?? 'glibc' };
}

function counterpartsJson(d: Def) {
  return (d.counterparts ?? []).map((c) => ({
    id: c.id,
    label: c.label,
    description: c.description,
    language: c.language,
    sources: c.sources.map((f) => `counterparts/${d.id}/${f}`),
    apt: [...new Set([COMPILERS[c.language].apt, ...(c.needs?.apt ?? [])])],
  }));
}

function experimentJson(d: Def) {
  return { id: d.id, title: d.title, seed: d.seed, summary: d.summary, params: paramsJson(d), variants: d.variants.map(variantJson), counterparts: counterpartsJson(d), validation: d.validation ?? null };
}

function paramsJson(d: Def) {
  return Object.fromEntries(Object.entries(d.params).map(([k, s]) => [k, { ...s, quick: d.quick[k] }]));
}

async function one(id: string): Promise<Def> {
  if (!(EXPERIMENT_IDS as readonly string[]).includes(id)) throw new UsageError(`unknown experiment "${id}": choose one of ${EXPERIMENT_IDS.join(', ')}`);
  return loadExperiment(id as (typeof EXPERIMENT_IDS)[number]);
}

function showOne(d: Def): string {
  const lines: string[] = [`${d.id} — ${d.title}${d.seed ? ` (${d.seed})` : ''}`, '', d.summary, '', 'Variants (* = run by default):'];
  const w = Math.max(...d.variants.map((v) => v.id.length));
  for (const v of d.variants) {
    const needs = variantNeeds(v);
    lines.push(`  ${v.default ? '*' : ' '} ${v.id.padEnd(w)}  ${v.label}`);
    lines.push(`    ${' '.repeat(w)}  needs: ${needs.length ? needs.join('; ') : 'nothing special'}`);
  }
  for (const c of d.counterparts ?? []) {
    lines.push(`  real ${c.id}: ${c.label} (${c.language}: counterparts/${d.id}/${c.sources.join(', ')}) — \`rsslab run ${d.id} --real\`, \`rsslab validate ${d.id}\``);
  }
  lines.push('', 'Parameters (--param name=value; default, then --quick):');
  const pw = Math.max(...Object.keys(d.params).map((k) => k.length));
  for (const [k, s] of Object.entries(d.params)) {
    const quick = d.quick[k];
    const q = quick === undefined ? '' : ` (quick ${formatParam(k, quick)})`;
    lines.push(`  ${k.padEnd(pw)}  ${formatParam(k, s.default)}${q} — ${s.description}${s.choices ? ` [${s.choices.join('|')}]` : ''}`);
  }
  lines.push('', `Run: rsslab run ${d.id} [--variant ID …|--all-variants] [--quick] [--tune-system]`);
  return lines.join('\n') + '\n';
}

export async function listCommand(experiment: string | undefined, o: { json?: boolean }): Promise<number> {
  if (experiment !== undefined) {
    const d = await one(experiment);
    if (o.json) printJson('rsslab.experiment/1', experimentJson(d));
    else process.stdout.write(showOne(d));
    return 0;
  }
  const defs = await Promise.all(EXPERIMENT_IDS.map((id) => loadExperiment(id)));
  if (o.json) {
    printJson('rsslab.list/1', {
      experiments: defs.map(experimentJson),
    });
    return 0;
  }
  for (const d of defs) {
    process.stdout.write(`${d.id.padEnd(16)} ${d.title}${d.seed ? ` (${d.seed})` : ''}\n`);
    for (const v of d.variants) {
      const needs = variantNeeds(v);
      process.stdout.write(`  ${v.default ? '*' : ' '} ${v.id.padEnd(22)} ${v.label}${needs.length ? `  [needs ${needs.join('; ')}]` : ''}\n`);
    }
    for (const c of d.counterparts ?? []) {
      process.stdout.write(`  real ${c.id.padEnd(20)} ${c.label} (${c.language}: counterparts/${d.id}/${c.sources.join(', ')})\n`);
    }
  }
  process.stdout.write('\n* = run by default; `rsslab list <experiment>` shows one in full (parameters too).\n');
  process.stdout.write('real = a real program the replay stands for: `rsslab run <experiment> --real` runs it beside the replay, `rsslab validate` compares them.\n');
  return 0;
}
