// `rsslab report` over Runs made under different settings: REAL Runs of this machine (THP experiment
// untuned and with --tune-system; faiss-cycles' glibc variant with and without LD_PRELOAD=jemalloc)
// and doctored fixtures (copies that say they came from another kernel, another rsslab version, or a
// hostile host) — each test names which. The matrix must show the measured differences and trace each
// to the settings that changed with it, in the terminal, Markdown and HTML alike.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { Run } from '../../src/run/schema.js';
import { buildMatrices, experimentMatrix, singleRunExperiments, type ExperimentMatrix, type VariantBlock } from '../../src/report/matrix-model.js';
import { reportCommand } from '../../src/report/command.js';
import { headlineValue } from '../../src/report/summary.js';
import { formatValue } from '../../src/report/units.js';
import { CHILD_MISSING } from './real-run.js';
import { allocatorRuns, jemalloc, otherKernelCopy, thpModeRuns, thpRuns, writeArtifacts } from './matrix-runs.js';

if (CHILD_MISSING) console.warn(`matrix tests skipped: ${CHILD_MISSING}`);

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  return { stream, text: () => text };
}

function block(m: ExperimentMatrix, variant: string): VariantBlock {
  const b = m.variants.find((v) => v.name === variant);
  if (!b) throw new Error(`no variant ${variant} in the matrix of ${m.experimentId}`);
  return b;
}

function settingIds(d: VariantBlock['status']['dependence']): string[] {
  return d.kind === 'explained' ? d.best.flatMap((e) => e.settings.map((s) => s.id)) : [];
}

describe.skipIf(CHILD_MISSING !== null)('report - across machines (real Runs)', () => {
  let plain: Run;
  let tuned: Run;
  let other: Run;
  let thp: ExperimentMatrix;

  beforeAll(async () => {
    ({ plain, tuned } = await thpRuns());
    other = otherKernelCopy(tuned);
    thp = experimentMatrix([{ run: plain, source: 'plain' }, { run: tuned, source: 'tuned' }, { run: other, source: 'fixture' }]);
  }, 30 * 60_000);

  it('matrix - regrowth is skipped untuned and held with --tune-system, and follows the tuning, not the kernel (real Runs + a doctored other-kernel fixture)', () => {
    const col = (source: string): number => thp.columns.findIndex((c) => c.source === source);
    const d = block(thp, 'default');
    const regrows = d.effects.find((e) => e.id === 'regrows')!;
    const fromRun = (r: Run) => r.variants.find((v) => v.variant === 'default')!.expectations.find((e) => e.id === 'regrows')!;
    // what each Run measured, shown as it is
    expect(regrows.cells[col('plain')]!.outcome).toBe(fromRun(plain).status);
    expect(regrows.cells[col('tuned')]!.outcome).toBe(fromRun(tuned).status);
    // untuned, khugepaged's own pace cannot regrow 64 MiB in the quick idle: skipped, with the reason;
    // tuned it is judged (held on a quiet machine; a busy one may slow khugepaged's collapse)
    expect(fromRun(plain).status).toBe('skipped');
    expect(fromRun(tuned).status).not.toBe('skipped');
    expect(thp.reasons[regrows.cells[col('plain')]!.reason! - 1]).toBe(fromRun(plain).reason);
    // the kernel differs between the columns (header) but does not explain it; the tuning does
    expect(thp.header.map((h) => h.label)).toContain('kernel');
    const ids = settingIds(regrows.dependence);
    expect(ids).toContain('tuned');
    expect(ids).toContain('khugepaged.pace');
    expect(ids).not.toContain('kernel');
    // the khugepaged pace in force differs for this variant and is shown as such
    const pace = d.inForce.find((h) => h.label === 'khugepaged (in force)')!;
    expect(pace.values[col('tuned')]).toBe(`sleep ${tuned.variants[0]!.settings.thp.scanSleepMs} ms, ${tuned.variants[0]!.settings.thp.pagesToScan} pages/scan`);
    expect(pace.values[col('plain')]).not.toBe(pace.values[col('tuned')]);
    // figures are the Runs' own headline values
    const idle = d.figures.find((f) => f.metric === plain.experiment.headline[2]!.metric)!;
    expect(idle.cells[col('plain')]).toBe(formatValue(idle.metric, headlineValue(plain.variants[0]!, idle.metric)));
  });

  it('matrix - thp-always ran only where knobs could change: skipped with its reason untuned, THP enabled=always in force where tuned (real Runs)', () => {
    const b = block(thp, 'thp-always');
    const i = thp.columns.findIndex((c) => c.source === 'plain');
    expect(b.status.cells[i]!.outcome).toBe('skipped');
    expect(thp.reasons[b.status.cells[i]!.reason! - 1]).toBe(plain.skipped.find((s) => s.variant === 'thp-always')!.reason);
    expect(settingIds(b.status.dependence)).toEqual(['tuned']);
    const ranTuned = tuned.variants.find((v) => v.variant === 'thp-always')!;
    expect(ranTuned.settings.thp.enabled).toBe('always');
    expect(b.effects.find((e) => e.id === 'huge-at-fault')!.cells[i]!.outcome).toBe('not run');
  });

  it('matrix - rsslab report over CI-style artifact folders prints and writes the comparison (real Runs + doctored fixture)', async () => {
    const dir = writeArtifacts(mkdtempSync(join(tmpdir(), 'rsslab-matrix-')), { 'linux-6.18-plain': plain, 'linux-6.18-tuned': tuned, 'linux-5.15-fixture': other });
    const out = sink();
    const err = sink();
    const code = await reportCommand([dir], { out: join(dir, 'report'), stdout: out.stream, stderr: err.stream });
    expect(err.text()).toBe('');
    expect(code).toBe(0);
    expect(out.text()).toContain('Across machines: thp-khugepaged — 3 Runs');
    expect(out.text()).toMatch(/regrows .*follows .*knobs changed \(--tune-system\)/);
    expect(out.text()).toContain('RSS over time'); // the Runs' own summaries too
    const md = readFileSync(join(dir, 'report', 'summary.md'), 'utf8');
    expect(md).toContain('### Across machines: thp-khugepaged — 3 Runs');
    // the two Runs of this machine sit side by side, grouped by distribution and kernel
    const kernelRow = md.split('\n').find((l) => l.startsWith('| *kernel* |'))!;
    expect(kernelRow.split(' | ').slice(1, 4).map((c) => (c.startsWith('6.18') ? 'this' : c)).join(',')).toMatch(/^(this,this,5\.15\.0-fixture|5\.15\.0-fixture,this,this)$/);
    expect(md).toMatch(/`regrows`.*\| – skipped \\\[\d\\\] \|.*\| (✓ held|\*\*✗ failed.*\*\*) \|.*\*\*knobs changed/);
    const html = readFileSync(join(dir, 'report', 'report.html'), 'utf8');
    expect(html).toContain('<table class="matrix">');
    expect(html).toMatch(/<th class="setting" colspan="2">6\.18/);

    const only = sink();
    expect(await reportCommand([dir], { out: join(dir, 'only'), matrix: 'only', stdout: only.stream, stderr: err.stream })).toBe(0);
    expect(only.text()).toContain('Across machines');
    expect(only.text()).not.toContain('RSS over time');
    const off = sink();
    expect(await reportCommand([dir], { out: join(dir, 'off'), matrix: 'off', stdout: off.stream, stderr: err.stream })).toBe(0);
    expect(off.text()).not.toContain('Across machines');
    const bad = sink();
    expect(await reportCommand([dir], { matrix: 'sometimes', stdout: out.stream, stderr: bad.stream })).toBe(2);
    expect(bad.text()).toMatch(/unknown --matrix "sometimes": use auto, only, off/);
  });

  it("matrix - docs/ci.md's final job, run as written over artifact folders, writes the comparison it appends to the step summary (real Runs + doctored fixture)", async () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/ci.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Many machines'));
    const line = section.split('\n').find((l) => l.includes('dist/src/cli.js report artifacts'))!.trim();
    const cwd = mkdtempSync(join(tmpdir(), 'rsslab-matrix-job-'));
    writeArtifacts(join(cwd, 'artifacts'), { 'rsslab-ubuntu-24.04-thp-madvise': plain, 'rsslab-ubuntu-24.04-thp-tuned': tuned, 'rsslab-ubuntu-22.04-fixture': other });
    const args = line.replace(/^node dist\/src\/cli\.js /, '').split(/\s+/);
    const r = await execa(process.execPath, [join(import.meta.dirname, '../../dist/src/cli.js'), ...args], { cwd, reject: false, env: { CI: 'true' } });
    // (stderr may say another rsslab run holds the lock: the report does not need it)
    expect(r.stderr).not.toContain('rsslab report:');
    expect(r.exitCode).toBe(0);
    const md = readFileSync(join(cwd, 'matrix', 'summary.md'), 'utf8');
    expect(md).toContain('### Across machines: thp-khugepaged — 3 Runs');
    expect(md).not.toContain('RSS over time'); // --matrix only
    expect(readFileSync(join(cwd, 'matrix', 'report.html'), 'utf8')).toContain('<table class="matrix">');
  });

  it('matrix - Runs of other rsslab versions and parameters are compared with a note saying so (doctored fixtures)', () => {
    const older = structuredClone(tuned);
    older.rsslabVersion = '0.0.1-fixture';
    older.experiment.params = { ...older.experiment.params, idleMs: 48_000 };
    const m = experimentMatrix([{ run: tuned }, { run: older }]);
    expect(m.notes.join('\n')).toMatch(/different rsslab versions \(.*0\.0\.1-fixture in m\d/);
    expect(m.notes.join('\n')).toMatch(/different parameters: .*idleMs=48000/);
    expect(m.header.map((h) => h.label)).toEqual(expect.arrayContaining(['rsslab version', 'parameters']));
    // a schema-1 copy (no subject) is read and compared, with a note; a future schema is refused by name
    const v1 = structuredClone(tuned) as Run;
    v1.schemaVersion = 1;
    for (const v of v1.variants) delete v.subject;
    expect(experimentMatrix([{ run: tuned }, { run: v1 }]).notes.join('\n')).toMatch(/different Run schema versions \((schema 2 in m\d; schema 1|schema 1 in m\d; schema 2) in m\d\)/);
  });

  it('matrix - a future-schema artifact among the Runs is refused with its name and what to do, exit 2 (doctored fixture)', async () => {
    const dir = writeArtifacts(mkdtempSync(join(tmpdir(), 'rsslab-matrix-')), { a: plain, b: tuned });
    const future = { ...structuredClone(tuned), schemaVersion: 99 };
    writeArtifacts(dir, { 'c-future': future as unknown as Run });
    const err = sink();
    expect(await reportCommand([dir], { out: join(dir, 'report'), stdout: sink().stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toMatch(/c-future\/thp-khugepaged\.json: run\.schemaVersion: this rsslab reads version 1 and 2 .* use the rsslab version that wrote it/);
  });

  it('matrix - a hostile host name reaches no terminal, table or page as markup (doctored fixture)', async () => {
    const hostile = otherKernelCopy(tuned, `6.1\u001b]52;c;cHduZWQ=\u0007|<script>alert(1)</script>${'x'.repeat(5000)}`, 'Evil | OS\n# heading');
    const dir = writeArtifacts(mkdtempSync(join(tmpdir(), 'rsslab-matrix-')), { a: plain, b: hostile });
    const out = sink();
    expect(await reportCommand([dir], { out: join(dir, 'report'), matrix: 'only', stdout: out.stream, stderr: out.stream })).toBe(0);
    expect(out.text()).not.toContain('\u001b');
    expect(out.text()).not.toContain('x'.repeat(100)); // cut in headers and legends
    const md = readFileSync(join(dir, 'report', 'summary.md'), 'utf8');
    expect(md).not.toContain('<script>');
    expect(md).not.toMatch(/^# heading/m);
    const html = readFileSync(join(dir, 'report', 'report.html'), 'utf8');
    expect(html).not.toContain('<script>alert(1)');
  });

  it('matrix - auto draws nothing for Runs of one machine under the same settings (real Run twice)', () => {
    expect(buildMatrices([{ run: tuned }, { run: structuredClone(tuned) }])).toEqual([]);
    expect(buildMatrices([{ run: tuned }], 'only')).toHaveLength(1);
    // another experiment's lone Run (a doctored copy with another id) is named as having nothing to compare with
    const lone = structuredClone(tuned);
    lone.experiment.id = 'lone-fixture';
    expect(singleRunExperiments([{ run: plain }, { run: tuned }, { run: lone }])).toEqual(['lone-fixture']);
    expect(buildMatrices([{ run: plain }, { run: tuned }, { run: lone }]).map((m) => m.experimentId)).toEqual(['thp-khugepaged']);
  });
});

describe.skipIf(CHILD_MISSING !== null || jemalloc === null)('report - across allocators (real Runs)', () => {
  it('matrix - faiss-cycles under LD_PRELOAD=jemalloc keeps more after each cycle, and the matrix traces it to the allocator in the child (real Runs)', async () => {
    const { glibc, preloaded } = await allocatorRuns(jemalloc!.library!);
    const m = experimentMatrix([{ run: glibc, source: 'glibc' }, { run: preloaded, source: 'jemalloc' }]);
    const b = block(m, 'glibc');
    const [g, j] = ['glibc', 'jemalloc'].map((s) => m.columns.findIndex((c) => c.source === s)) as [number, number];
    const alloc = b.inForce.find((h) => h.label === 'allocator (in the child)')!;
    expect(alloc.values[g]).toMatch(/^glibc /);
    expect(alloc.values[j]).toMatch(/^jemalloc /);
    const v = (r: Run) => r.variants[0]!;
    const held = glibc.experiment.headline.find((h) => h.metric.includes('meanHeld'))!.metric;
    const row = b.figures.find((f) => f.metric === held)!;
    expect([row.values[g], row.values[j]]).toEqual([headlineValue(v(glibc), held), headlineValue(v(preloaded), held)]);
    // the seed's "LD_PRELOAD=libjemalloc.so made it worse", measured: jemalloc keeps more after each cycle
    expect(row.values[j]!).toBeGreaterThan(row.values[g]!);
    expect(settingIds(row.dependence)).toContain('allocator');
    for (const e of b.effects) {
      const statuses = [glibc, preloaded].map((r) => v(r).expectations.find((x) => x.id === e.id)!.status);
      expect([e.cells[g]!.outcome, e.cells[j]!.outcome]).toEqual(statuses);
      if (statuses[0] !== statuses[1]) expect(settingIds(e.dependence)).toContain('allocator');
    }
  }, 10 * 60_000);
});

describe.skipIf(CHILD_MISSING !== null)('report - across THP modes (real Runs of a fixture experiment)', () => {
  it('matrix - the same variant under THP enabled=madvise and =always: huge pages at fault only with always, traced to THP enabled alone (real Runs, fixture experiment thp-mode.mjs)', async () => {
    const { madvise, always } = await thpModeRuns();
    const m = experimentMatrix([{ run: madvise, source: 'madvise' }, { run: always, source: 'always' }]);
    const [a, b] = ['madvise', 'always'].map((s) => m.columns.findIndex((c) => c.source === s)) as [number, number];
    const v = block(m, 'no-hint');
    const inForce = v.inForce.find((h) => h.label === 'THP enabled (in force)')!;
    expect([inForce.values[a], inForce.values[b]]).toEqual(['madvise', 'always']);
    const own = (r: Run) => r.variants[0]!.expectations.find((e) => e.id === 'huge-at-fault')!.status;
    const row = v.effects.find((e) => e.id === 'huge-at-fault')!;
    expect([row.cells[a]!.outcome, row.cells[b]!.outcome]).toEqual([own(madvise), own(always)]);
    // measured: without a hint, "madvise" faults in small pages and "always" huge ones
    expect(own(madvise)).toBe('failed');
    expect(own(always)).toBe('held');
    const d = row.dependence;
    expect(d.kind === 'explained' && d.best.map((e) => e.settings.map((s) => s.id))).toEqual([['thp.enabled']]);
    const huge = v.figures.find((f) => f.metric === 'region.main.anonHuge@end:touch')!;
    expect(huge.values[b]!).toBeGreaterThan(huge.values[a]!);
  }, 20 * 60_000);
});

describe('report - across machines, watched programs (real watch Runs)', () => {
  it('matrix - watch Runs are compared per watched command: two commands are not a matrix, one command on another kernel is (real Runs + a doctored other-kernel copy)', async () => {
    const cli = join(import.meta.dirname, '../../dist/src/cli.js');
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-matrix-watch-'));
    const watched: Run[] = [];
    for (const [sub, cmd] of [['a', ['sleep', '0.3']], ['b', ['true']]] as const) {
      const r = await execa(process.execPath, [cli, 'watch', '--out', join(dir, sub), '--json', '--', ...cmd], { reject: false, env: { CI: 'true' } });
      expect(r.exitCode, r.stderr).toBe(0);
      watched.push((JSON.parse(r.stdout) as { run: Run }).run);
    }
    const [sleep, trueRun] = watched as [Run, Run];
    expect(buildMatrices([{ run: sleep }, { run: trueRun }])).toEqual([]);
    expect(singleRunExperiments([{ run: sleep }, { run: trueRun }])).toEqual(['watch: sleep 0.3', 'watch: true']);
    const m = buildMatrices([{ run: sleep }, { run: trueRun }, { run: otherKernelCopy(sleep) }]);
    expect(m.map((x) => [x.name, x.columns.length])).toEqual([['watch: sleep 0.3', 2]]);
    expect(m[0]!.header.map((h) => h.label)).toContain('kernel');
  }, 60_000);
});
