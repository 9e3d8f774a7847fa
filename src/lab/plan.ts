// Planning a variant: what it needs from the machine, whether it can run here, and the exact
// child environment. A variant that cannot run says why (the summary lists it), never fails
// silently; a setting that is merely nice to have is recorded as skipped in the Run.
import type { ExperimentDefinition, Params, Requirement, VariantSpec } from './experiment.js';
import type { KnobName } from '../system/knob-names.js';
import { allocatorEnv } from '../system/allocators.js';
import type { LabMachine } from './machine.js';
import { pressureOutsideCgroup } from './limits.js';

export interface VariantPlan {
  variant: VariantSpec<Params>;
  params: Params;
  /** why it cannot run here, or null */
  skip: string | null;
  env: Record<string, string>;
  knobs: Partial<Record<KnobName, string | number>>;
  cgroupLimitBytes: number | null;
  skippedSettings: Array<{ what: string; reason: string }>;
}

function unmet(req: Requirement, lab: LabMachine): string | null {
  switch (req) {
    case 'root':
      return lab.machine.root ? null : 'needs root';
    case 'madvFree':
      return lab.features.madvFree ? null : 'this kernel has no MADV_FREE (Linux 4.5+)';
    case 'madvCollapse':
      return lab.features.madvCollapse ? null : 'this kernel has no MADV_COLLAPSE (Linux 6.1+)';
    case 'cgroup':
      return lab.cgroup.canCreate ? null : `no memory cgroup can be created here: ${lab.cgroup.reason}`;
    case 'thp':
      if (lab.machine.thp.enabled === null) return 'this kernel has no transparent huge pages';
      return null;
    case 'jemalloc':
    case 'mimalloc':
    case 'tcmalloc': {
      const a = lab.allocators.find((x) => x.name === req);
      return a?.found ? null : (a?.reason ?? `${req} is not installed`);
    }
  }
}

export function planVariant(def: ExperimentDefinition<Params>, v: VariantSpec<Params>, params: Params, lab: LabMachine): VariantPlan {
  const skippedSettings: VariantPlan['skippedSettings'] = [];
  const reasons: string[] = [];
  for (const req of v.requires ?? []) {
    const why = unmet(req, lab);
    if (why) reasons.push(why);
  }
  const knobs = v.knobs ?? {};
  // With THP "never" MADV_HUGEPAGE gives no huge pages and khugepaged collapses nothing: a THP variant
  // would only fail its expectations. Those that set `enabled` themselves (thp-always) still can.
  if ((v.requires ?? []).includes('thp') && lab.machine.thp.enabled === 'never' && knobs.enabled === undefined) {
    reasons.push('THP is set to "never" on this machine (/sys/kernel/mm/transparent_hugepage/enabled), so there are no huge pages to show');
  }
  if (Object.keys(knobs).length > 0 && !lab.tune.ok) reasons.push(`needs kernel knobs (${Object.entries(knobs).map(([k, x]) => `${k}=${x}`).join(', ')}): ${lab.tune.reason}`);
  const limit = typeof v.cgroupLimitBytes === 'function' ? v.cgroupLimitBytes(params) : (v.cgroupLimitBytes ?? null);
  if (limit !== null && !lab.cgroup.canCreate && !(v.requires ?? []).includes('cgroup')) reasons.push(`needs a memory cgroup: ${lab.cgroup.reason}`);
  const unsafe = pressureOutsideCgroup(def, params, (v.requires ?? []).includes('cgroup'), limit);
  if (unsafe) reasons.push(unsafe);

  let env: Record<string, string> = { ...(v.env ?? {}) };
  if (v.allocator && v.allocator !== 'glibc') {
    const a = allocatorEnv(v.allocator, {}, { allocators: lab.allocators });
    if (a.ok) env = { ...a.env, ...env };
    else reasons.push(a.reason);
  }
  if (def.sampling?.pageMaps && !lab.pageFlags) {
    skippedSettings.push({ what: 'page flags (huge, lazily freed)', reason: 'reading /proc/kpageflags needs root: page maps show presence only' });
  }
  // a variant that requires jemalloc and also selects it would say the same thing twice
  const distinct = [...new Set(reasons)];
  return { variant: v, params, skip: distinct.length ? distinct.join('; ') : null, env, knobs, cgroupLimitBytes: limit, skippedSettings };
}
