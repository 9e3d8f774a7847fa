// speedUp.from on the real kernel: the knobs are written only at the named phase's mark (after its
// sample, before the child goes on), journaled like any other change, and restored afterwards. The
// fixture's body reads the knob in each phase. Needs root (it writes a khugepaged knob).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiment-source.js';
import { isRoot, machineState } from '../experiments/helpers-kernel.js';

const KNOB = '/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs';
const whySkip = !isRoot ? 'needs root: it writes a khugepaged knob' : !existsSync(KNOB) ? 'this kernel has no khugepaged' : null;
if (whySkip) console.warn(`skipping the speedUp.from test: ${whySkip}`);

describe.skipIf(whySkip !== null)('speedUp.from (real kernel, root)', () => {
  it('runner - the speed-up is written at the named phase, not before; journaled and restored', async () => {
    const before = await machineState();
    const mod = (await import(pathToFileURL(join(import.meta.dirname, '../fixtures/experiments/speed-up-from.mjs')).href)) as { default: Parameters<typeof runExperiment>[0] };
    const run = await runExperiment(mod.default, { tuneSystem: true, interactive: false, lockWaitMs: 15 * 60_000, command: ['vitest', 'test/lab/speed-up-from.test.ts'] });
    const v = run.variants[0]!;
    expect(v.status, JSON.stringify(v.failure)).toBe('ok');
    const seen = (phase: string) => v.reports.find((r) => r.phase === phase && 'knob.scanSleepMs' in r.values)?.values['knob.scanSleepMs'];
    const machine = Number(before.knobs['khugepaged/scan_sleep_millisecs']);
    expect(machine).not.toBe(123);
    expect(seen('early')).toBe(machine);
    expect(seen('late')).toBe(123);
    expect(v.settings.knobs).toEqual([{ path: KNOB, from: String(machine), to: '123' }]);
    // the settings recorded are those of the phase the speed-up is for
    expect(v.settings.thp.scanSleepMs).toBe(123);
    const after = await machineState();
    expect(after.knobs).toEqual(before.knobs);
  }, 15 * 60_000 + 60_000);
});

describe('speedUp.from (definition check)', () => {
  it('definition - a speedUp.from that is not a phase id is refused with what to write', async () => {
    const mod = (await import(pathToFileURL(join(import.meta.dirname, '../fixtures/experiments/speed-up-from.mjs')).href)) as { default: Parameters<typeof runExperiment>[0] & { speedUp: object } };
    const bad = { ...mod.default, speedUp: { ...mod.default.speedUp, from: 5 } } as never;
    await expect(runExperiment(bad, { interactive: false })).rejects.toThrow(/speedUp\.from must be the id of a phase \(its mark applies the knobs\), got 5/);
  });
});
