// Shared by the end-to-end experiment tests that change the machine (THP knobs, memory cgroups):
// why a test must be skipped here, a quick run through the runner's own API, and the proof that the
// machine was left exactly as found.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { runExperiment } from '../../src/experiment-source.js';
import { evaluateMetric } from '../../src/check/metric.js';
import { snapshotKnobs, type KnobSnapshot } from '../../src/system/knobs.js';
import { withSystemLock } from '../../src/system/lock.js';
import { cgroupSupport } from '../../src/system/cgroup.js';
import { CGROUP_NAME_MARK } from '../../src/system/cgroup-remove.js';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { expect, type TestContext } from 'vitest';
import { HAS, missingFor } from './machine-needs.js';

export const MiB = 1024 * 1024;
export const isRoot = process.getuid?.() === 0;

/** Why the compiled child cannot run this experiment's current source, or null. The child runs dist/. */
export function staleBuild(experimentId: string): string | null {
  const root = packageRoot();
  const child = join(root, 'dist', 'src', 'lab', 'child.js');
  const compiled = join(root, 'dist', 'experiments', `${experimentId}.js`);
  const source = join(root, 'experiments', `${experimentId}.ts`);
  if (!existsSync(child) || !existsSync(compiled)) return `the compiled child is missing (${compiled}): run \`npx tsc -p tsconfig.json\` (npm test does it first)`;
  if (statSync(compiled).mtimeMs < statSync(source).mtimeMs) return `${compiled} is older than ${source}: run \`npx tsc -p tsconfig.json\` (npm test does it first)`;
  return null;
}

export interface MachineState {
  knobs: KnobSnapshot;
  /** memory cgroups this process's runs created and did not remove */
  ourCgroups: string[];
}

function ourCgroups(): string[] {
  const parent = cgroupSupport().parent;
  if (parent === null || !existsSync(parent)) return [];
  const mine = `${CGROUP_NAME_MARK}-${process.pid}-`;
  return readdirSync(parent).filter((name) => name.startsWith(mine));
}

/** Knobs and our cgroups, read under rsslab's lock so another run's temporary knobs are never mistaken for the machine's. */
export async function machineState(): Promise<MachineState> {
  return withSystemLock(() => ({ knobs: snapshotKnobs(), ourCgroups: ourCgroups() }), { waitMs: 15 * 60_000 });
}

/**
 * The experiment's quick profile with consent to tune the machine (the runner restores it): every
 * variant unless `variants` names some; `subjects` adds or picks the real counterparts.
 */
export async function runQuick(
  experimentId: string,
  opts: { variants?: string[]; subjects?: 'replay' | 'real' | 'both'; testFile?: string } = {},
): Promise<Run> {
  return runExperiment(experimentId, {
    quick: true,
    ...(opts.variants ? { variants: opts.variants } : { allVariants: true }),
    ...(opts.subjects ? { subjects: opts.subjects } : {}),
    tuneSystem: true,
    interactive: false,
    lockWaitMs: 15 * 60_000,
    command: ['vitest', opts.testFile ?? `test/experiments/${experimentId}.test.ts`],
  });
}

/** After a suite that tuned the machine: every knob as it was before, and none of our cgroups left. */
export async function expectMachineAsBefore(before: MachineState | undefined): Promise<void> {
  if (!before) return;
  const after = await machineState();
  expect(after.knobs).toEqual(before.knobs);
  expect(after.ourCgroups).toEqual([]);
}

export function variantOf(run: Run, id: string): VariantRun | null {
  return run.variants.find((v) => v.variant === id && v.subject?.kind !== 'real') ?? null;
}

/** Why a variant has no result to check (skipped by the runner, with its reason), or null. */
export function skippedReason(run: Run, id: string): string | null {
  const s = run.skipped.find((x) => x.variant === id && x.counterpart === undefined);
  if (s) return s.reason;
  return variantOf(run, id) ? null : `variant ${id} did not run`;
}

/** A metric of a variant, failing loudly when the Run has no such data. */
export function metric(v: VariantRun, ref: string): number {
  const value = evaluateMetric(v, ref);
  if (value === null) throw new Error(`variant ${v.variant}: no data for ${ref}`);
  return value;
}

/** Expectations that did not hold, as readable lines (empty when all held). */
export function unheld(v: VariantRun): string[] {
  return v.expectations
    .filter((e) => e.status !== 'held')
    .map((e) => `${e.status} ${e.id}: ${e.left}=${e.leftValue} ${e.op} ${e.rightValue}${e.reason ? ` (${e.reason})` : ''}`);
}

/**
 * The variant's run with every expectation held. A skip is allowed only when this machine really
 * lacks what the variant needs (detected in machine-needs.ts, independently of the planner): then the
 * test is skipped with the runner's reason, printed. On a machine that has everything the variant
 * needs (root, THP, cgroup v1 memory, the Debian allocators: this machine and CI) a skip FAILS.
 */
export function ranHeld(ctx: TestContext, run: Run, id: string): VariantRun {
  const reason = skippedReason(run, id);
  if (reason) {
    const missing = missingFor(run.experiment.id, id);
    if (missing.length === 0) {
      expect.fail(`${run.experiment.id}/${id} must run on this machine (it has everything the variant needs: ${JSON.stringify(HAS)}), but was skipped: ${reason}`);
    }
    console.warn(`${run.experiment.id}/${id} skipped (this machine lacks ${missing.join(', ')}): ${reason}`);
    ctx.skip();
  }
  const v = variantOf(run, id)!;
  expect(v.status, JSON.stringify(v.failure)).toBe('ok');
  expect(unheld(v)).toEqual([]);
  return v;
}

/**
 * The seed's failure mode: the kernel's OOM killer ended the child inside its memory cgroup (the cgroup
 * counts the kill, the child died of SIGKILL, usage reached the limit) during phase `during`, before
 * phase `never` began.
 */
export function expectOomKilledIn(v: VariantRun, during: string, never: string): void {
  expect(metric(v, 'metric.oomKills')).toBeGreaterThanOrEqual(1);
  expect(metric(v, 'metric.killedBySignal')).toBe(1);
  expect(metric(v, 'metric.cgroupPeakBytes')).toBeGreaterThanOrEqual(0.95 * v.settings.cgroup!.limitBytes);
  expect(v.marks.map((m) => m.phase)).toContain(during);
  expect(v.marks.map((m) => m.phase)).not.toContain(never);
}
