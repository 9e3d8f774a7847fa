// Seed 004's Go side on the real Go 1.19 runtime (counterparts/thp-khugepaged/main.go), under THP
// enabled=always with khugepaged sped up from the idle phase, at the quick size (64 MiB): the program
// makes no madvise call, the runtime marks every partly returned huge page MADV_NOHUGEPAGE before it
// drops the rest, and khugepaged leaves the heap alone — while the seed's C loop, under the same
// knobs without the workaround, regrows. Skipped without go (apt-get install golang-go), cc or root.
// The machine is left as found.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/lab/toolchain.js';
import { packageRoot } from '../../src/package-root.js';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { isRoot, machineState, metric, staleBuild, unheld, runQuick, type MachineState, MiB, expectMachineAsBefore } from '../experiments/helpers-kernel.js';

const ID = 'thp-khugepaged';
const whySkip = !findExecutable('go', process.env.PATH)
  ? 'no go on PATH (apt-get install golang-go)'
  : !findExecutable('cc', process.env.PATH)
    ? 'no cc on PATH (apt-get install gcc)'
    : !isRoot
      ? 'needs root: THP enabled=always and khugepaged knobs'
      : !existsSync('/sys/kernel/mm/transparent_hugepage/enabled')
        ? 'this kernel has no transparent huge pages'
        : (staleBuild(ID) ?? (existsSync(join(packageRoot(), 'dist', 'src', 'lab', 'exec-real.js')) ? null : 'dist/src/lab/exec-real.js is missing: run npx tsc'));
if (whySkip) console.warn(`skipping the thp-khugepaged Go counterpart tests: ${whySkip}`);

function real(run: Run, variant: string, counterpart: string): VariantRun {
  const v = run.variants.find((x) => x.variant === variant && x.subject?.kind === 'real' && x.subject.counterpart === counterpart);
  if (!v) throw new Error(`no real ${counterpart} run of ${variant}: ${JSON.stringify(run.skipped)}`);
  expect(v.status, JSON.stringify(v.failure)).toBe('ok');
  return v;
}

describe.skipIf(whySkip !== null)('thp-khugepaged Go 1.19 counterpart (skipped without go; real kernel, quick)', () => {
  let before: MachineState;
  let run: Run;

  beforeAll(async () => {
    before = await machineState();
    run = await runQuick(ID, { variants: ['go-workaround', 'thp-always'], subjects: 'real', testFile: 'test/counterparts/thp-go.test.ts' });
  }, 900_000);

  afterAll(() => expectMachineAsBefore(before), 900_000);

  it('go-heap - laid out like the seed\'s loop: one live 8 KiB object after every 2 MiB − 8 KiB one, faulted in as huge pages under enabled=always', () => {
    const v = real(run, 'go-workaround', 'go-heap');
    const region = Number(run.experiment.params.regionBytes);
    expect(v.settings.thp.enabled).toBe('always');
    const layout = v.reports.find((r) => 'layout.blocks' in r.values)!.values;
    expect(layout['layout.blocks']).toBe(region / (2 * MiB));
    expect(layout['layout.misplaced']).toBe(0);
    expect(metric(v, 'region.main.anonHuge@end:touch')).toBeGreaterThanOrEqual(0.9 * region);
    // the runtime counts the large objects as released (HeapReleased), and RSS agrees: MADV_DONTNEED
    expect(metric(v, 'go.heapReleased@end:free')).toBeGreaterThanOrEqual(0.9 * region);
  });

  it('go-heap - Go 1.19 marks the partly returned huge pages MADV_NOHUGEPAGE: sped-up khugepaged leaves them, RSS stays at the kept pages', () => {
    const v = real(run, 'go-workaround', 'go-heap');
    const region = Number(run.experiment.params.regionBytes);
    expect(unheld(v)).toEqual([]);
    expect(v.settings.knobs.map((k) => k.path)).toEqual(expect.arrayContaining([expect.stringMatching(/scan_sleep_millisecs$/)]));
    expect(metric(v, 'region.main.rss@end:free')).toBeLessThan(0.05 * region);
    expect(metric(v, 'region.main.rss@max:idle')).toBeLessThan(0.05 * region);
    expect(metric(v, 'region.main.anonHuge@end:idle')).toBe(0);
  });

  it('thp-always - the seed\'s C loop under the same knobs, with no workaround, regrows; the Go 1.19 program has no such variant (skipped, said why)', () => {
    const loop = real(run, 'thp-always', 'thp-loop');
    const region = Number(run.experiment.params.regionBytes);
    expect(unheld(loop)).toEqual([]);
    expect(metric(loop, 'region.main.rss@max:idle')).toBeGreaterThanOrEqual(0.9 * region);
    expect(run.skipped).toEqual(expect.arrayContaining([expect.objectContaining({ variant: 'thp-always', counterpart: 'go-heap' })]));
  });
});
