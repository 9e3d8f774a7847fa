// Real counterparts through the runner, on the real kernel: the seed's C loop (thp-khugepaged) runs
// after the replay under the same sped-up khugepaged, recorded in the same Run as real, and judged by
// the same expectations; a variant's prctl(PR_SET_THP_DISABLE) reaches the program across exec, and
// an allocator preload reaches it (not the launcher). The machine is left as found.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeChild } from '../../src/lab/observe.js';
import { realSubject } from '../../src/lab/real-subject.js';
import { buildCounterpart } from '../../src/lab/counterpart-build.js';
import { findAllocatorsSync } from '../../src/system/allocators.js';
import { findExecutable } from '../../src/lab/toolchain.js';
import { packageRoot } from '../../src/package-root.js';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { isRoot, machineState, staleBuild, unheld, runQuick, type MachineState, expectMachineAsBefore } from '../experiments/helpers-kernel.js';
import { join } from 'node:path';
import loadThp from '../../experiments/thp-khugepaged.js';

const ID = 'thp-khugepaged';
const whySkip = !isRoot
  ? 'needs root: it changes khugepaged knobs'
  : !existsSync('/sys/kernel/mm/transparent_hugepage/enabled')
    ? 'this kernel has no transparent huge pages'
    : !findExecutable('cc', process.env.PATH)
      ? 'no cc on PATH (apt-get install gcc)'
      : (staleBuild(ID) ?? (existsSync(join(packageRoot(), 'dist', 'src', 'lab', 'exec-real.js')) ? null : 'dist/src/lab/exec-real.js is missing: run npx tsc'));
if (whySkip) console.warn(`skipping real counterpart tests: ${whySkip}`);

const real = (run: Run, id: string): VariantRun | undefined => run.variants.find((v) => v.variant === id && v.subject?.kind === 'real');
const replay = (run: Run, id: string): VariantRun | undefined => run.variants.find((v) => v.variant === id && v.subject?.kind === 'replay');

describe.skipIf(whySkip !== null)('real counterparts (thp-khugepaged, quick, real kernel)', () => {
  let before: MachineState;
  let run: Run;

  beforeAll(async () => {
    before = await machineState();
    run = await runQuick(ID, { variants: ['default', 'thp-disable'], subjects: 'both', testFile: 'test/lab/real-counterpart.test.ts' });
  }, 600_000);

  afterAll(() => expectMachineAsBefore(before), 900_000);

  it('run - each variant ran as replay then real, the real one recorded with its counterpart, args and binary hash', () => {
    expect(run.schemaVersion).toBe(2);
    expect(run.variants.map((v) => `${v.variant}:${v.subject?.kind}`)).toEqual(['default:replay', 'default:real', 'thp-disable:replay', 'thp-disable:real']);
    const r = real(run, 'default')!;
    expect(r.subject).toMatchObject({ kind: 'real', counterpart: 'thp-loop', language: 'c' });
    if (r.subject?.kind !== 'real') throw new Error('not real');
    expect(r.subject.binarySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.subject.args).toContain(`bytes=${run.experiment.params.regionBytes}`);
    expect(run.experiment.counterparts).toEqual([expect.objectContaining({ id: 'thp-loop', language: 'c' }), expect.objectContaining({ id: 'go-heap', language: 'go' })]);
  });

  it('real default - the seed\'s loop speaks the replay\'s phases and meets every expectation: khugepaged regrows it', () => {
    const r = real(run, 'default')!;
    expect(r.status, JSON.stringify(r.failure)).toBe('ok');
    expect(r.marks.map((m) => m.phase)).toEqual(replay(run, 'default')!.marks.map((m) => m.phase));
    expect(r.expectations.map((e) => e.id)).toEqual(replay(run, 'default')!.expectations.map((e) => e.id));
    expect(unheld(r)).toEqual([]);
    expect(r.expectations.some((e) => e.id === 'regrows' && e.status === 'held')).toBe(true);
    expect(r.settings.allocator?.name).toBe('glibc');
    expect(r.settings.nodeArgs).toEqual([]);
  });

  it('real thp-disable - PR_SET_THP_DISABLE set before exec reaches the program: nothing regrows', () => {
    const r = real(run, 'thp-disable')!;
    expect(r.status, JSON.stringify(r.failure)).toBe('ok');
    expect(unheld(r)).toEqual([]);
    expect(r.settings.thpDisable).toBe(true);
    expect(r.metrics['region.main.anonHuge@end:idle']).toBe(0);
  });

  it('real - an allocator preload reaches the program (read from its maps), not the launcher', async (ctx) => {
    const jemalloc = findAllocatorsSync().find((a) => a.name === 'jemalloc');
    if (!jemalloc?.found || !jemalloc.library) ctx.skip();
    const def = loadThp;
    const built = await buildCounterpart(ID, def.counterparts![0]!, { sourceRoot: join(packageRoot(), 'counterparts') });
    if (!built.ok) throw new Error(built.reason);
    const obs = await observeChild({
      subject: realSubject(built.built.binary, ['bytes=4194304', 'idle-ms=0'], false, (m) => {
        throw new Error(m);
      }),
      experimentId: ID,
      variantId: 'default',
      variantLabel: 'default',
      params: {},
      thpDisable: false,
      env: { LD_PRELOAD: jemalloc!.library! },
      intervalMs: 20,
      timeoutMs: 30_000,
      thpCounters: false,
      memFree: false,
      pageMaps: null,
      cgroupPath: null,
    });
    expect(obs.failure).toBeNull();
    expect(obs.allocator).toEqual({ name: 'jemalloc', version: null, library: jemalloc!.library });
    expect(obs.marks.map((m) => m.phase)).toEqual(['map', 'touch', 'free', 'idle', 'end']);
  });
});
