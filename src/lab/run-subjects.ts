// What runs for each variant: the replay's child, and/or the experiment's real counterparts (built
// or found in the cache first). A counterpart that cannot be built, or has no equivalent of a variant,
// is a skip with its reason, never an error: the replay still runs.
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Subject } from '../run/schema.js';
import type { CounterpartSpec, ExperimentDefinition, Params } from './experiment.js';
import type { VariantPlan } from './plan.js';
import { buildCounterpart, type BuildResult, type BuiltCounterpart } from './counterpart-build.js';

/** One thing to run for a variant: the replay's child, or a built counterpart with its args and env. */
export type RunSubject = { kind: 'replay'; record: Subject } | { kind: 'real'; record: Subject; built: BuiltCounterpart; args: string[]; env: Record<string, string> };

/** The name a subject's events carry: the variant id, and which counterpart for a real one. */
export function eventName(variantId: string, subject: RunSubject): string {
  return subject.kind === 'real' ? `${variantId} (real ${subject.built.id})` : variantId;
}

/** What runs for one variant, in order; counterparts that have no equivalent of it are listed as skipped. */
export function subjectsFor(
  plan: VariantPlan,
  mode: 'replay' | 'real' | 'both',
  builds: Array<{ spec: CounterpartSpec<Params>; result: BuildResult }>,
): { run: RunSubject[]; skipped: Array<{ counterpart: string; reason: string }> } {
  const run: RunSubject[] = [];
  const skipped: Array<{ counterpart: string; reason: string }> = [];
  if (mode !== 'real' || builds.length === 0) run.push({ kind: 'replay', record: { kind: 'replay' } });
  if (mode === 'replay') return { run, skipped };
  for (const { spec, result } of builds) {
    if (!result.ok) {
      skipped.push({ counterpart: spec.id, reason: result.reason });
      continue;
    }
    const extra = spec.variantEnv ? spec.variantEnv(plan.variant) : {};
    if (extra === null) {
      skipped.push({ counterpart: spec.id, reason: `the real ${spec.label} has no equivalent of variant ${plan.variant.id}` });
      continue;
    }
    const args = spec.args(plan.params, plan.variant);
    const b = result.built;
    run.push({
      kind: 'real',
      built: b,
      args,
      env: { ...plan.env, ...extra },
      record: { kind: 'real', counterpart: b.id, label: b.label, language: b.language, binarySha256: b.binarySha256, args },
    });
  }
  return { run, skipped };
}

/** Builds (or finds in the cache) every counterpart of the experiment; a missing toolchain is a reason, not an error. */
export async function buildAll(def: ExperimentDefinition<Params>, env: NodeJS.ProcessEnv | undefined, note: (m: string, level?: 'system' | 'warning' | 'info') => void): Promise<Array<{ spec: CounterpartSpec<Params>; result: BuildResult }>> {
  const out: Array<{ spec: CounterpartSpec<Params>; result: BuildResult }> = [];
  for (const spec of def.counterparts ?? []) {
    let result: BuildResult;
    try {
      result = await buildCounterpart(def.id, spec, { sourceRoot: join(packageRoot(), 'counterparts'), ...(env ? { env } : {}) });
    } catch (e) {
      // an unsafe cache folder, unreadable sources: said once, the counterpart does not run
      result = { ok: false, reason: `counterpart ${spec.id}: ${(e as Error).message}` };
    }
    if (result.ok) note(`${def.id}: real counterpart ${spec.id} ${result.built.cached ? 'from the cache' : 'built'} (${result.built.binary}, ${result.built.compiler})`, 'info');
    else note(`${def.id}: ${result.reason}`);
    out.push({ spec, result });
  }
  return out;
}
