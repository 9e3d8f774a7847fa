// What each experiment still runs on a machine unlike this one — THP "never", no THP at all, no
// memory controller, no allocators installed, an old kernel without MADV_FREE/MADV_COLLAPSE, no root —
// and the reason it gives for the rest. The planner's input (a LabMachine) is built from fixture trees
// read by the same probes the runner uses; the rest of it is this machine's, as describeLab sees it.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { EXPERIMENT_IDS, loadExperiment } from '../../experiments/index.js';
import type { ExperimentDefinition, Params } from '../../src/lab/experiment.js';
import { describeLab, type LabMachine } from '../../src/lab/machine.js';
import { planVariant } from '../../src/lab/plan.js';
import { resolveParams, variantParams } from '../../src/lab/params.js';
import { readThpSettings } from '../../src/probe/thp.js';
import { canTune } from '../../src/system/knobs.js';
import { cgroupSupport } from '../../src/system/cgroup.js';
import { findAllocatorsSync } from '../../src/system/allocators.js';

const SAFETY = join(import.meta.dirname, '../fixtures/safety');
const SYSTEM = join(import.meta.dirname, '../fixtures/system');

let real: LabMachine;
const defs: Record<string, ExperimentDefinition<Params>> = {};
beforeAll(async () => {
  real = await describeLab();
  for (const id of EXPERIMENT_IDS) defs[id] = await loadExperiment(id);
});

function plans(lab: LabMachine, id: string): Record<string, string | null> {
  const def = defs[id]!;
  const params = resolveParams(def, { quick: true, overrides: {} });
  return Object.fromEntries(def.variants.map((v) => [v.id, planVariant(def, v, variantParams(params, v.params, {}), lab).skip]));
}

describe('planning on other machines (fixture tree)', () => {
  it('THP never - THP variants are skipped saying so, except those that set enabled themselves; madv-free unaffected (fixture tree)', () => {
    const root = join(SAFETY, 'thp-never');
    const lab: LabMachine = { ...real, machine: { ...real.machine, thp: readThpSettings(root) }, tune: canTune({ root }) };
    expect(lab.machine.thp.enabled).toBe('never');
    const thp = plans(lab, 'thp-khugepaged');
    for (const id of ['default', 'max-ptes-none-0', 'collapse', 'pressure']) expect(thp[id], id).toMatch(/THP is set to "never" on this machine/);
    // thp-always turns THP on for its run (with consent), thp-never is about "never" itself
    expect(thp['thp-always']).toBeNull();
    expect(thp['thp-never']).toBeNull();
    const madvFree = plans(lab, 'madv-free');
    expect(Object.keys(madvFree)).toEqual(['dontneed', 'free', 'free-pressure', 'none']);
    expect(Object.values(madvFree)).toEqual([null, null, null, null]);
  });

  it('no THP in the kernel - every THP variant is skipped with the reason; knob variants say the knobs are missing (fixture tree)', () => {
    const root = join(SAFETY, 'no-thp');
    const lab: LabMachine = { ...real, machine: { ...real.machine, thp: readThpSettings(root) }, tune: canTune({ root }) };
    expect(lab.machine.thp.enabled).toBeNull();
    const thp = plans(lab, 'thp-khugepaged');
    expect(thp.default).toMatch(/this kernel has no transparent huge pages/);
    expect(thp['max-ptes-none-0']).toMatch(/needs kernel knobs \(khugepaged\/max_ptes_none=0\): this kernel has no transparent huge pages/);
    expect(Object.values(plans(lab, 'fragmentation')).every((s) => s === null || /jemalloc/.test(s))).toBe(true);
  });

  it('no memory controller - pressure variants are skipped with the cgroup reason; the rest still run (fixture tree)', () => {
    const cgroup = cgroupSupport({ root: join(SYSTEM, 'v2-no-memory') });
    expect(cgroup.canCreate).toBe(false);
    const lab: LabMachine = { ...real, cgroup };
    const madv = plans(lab, 'madv-free');
    expect(madv['free-pressure']).toMatch(/no memory cgroup can be created here: the memory controller is not enabled for children of .*delegated cgroup/);
    expect(madv.dontneed).toBeNull();
    expect(madv.free).toBeNull();
    expect(plans(lab, 'thp-khugepaged').pressure).toMatch(/memory cgroup/);
  });

  it('allocators missing - jemalloc, mimalloc and tcmalloc variants are skipped naming the package to install; glibc ones run (fixture tree)', () => {
    const allocators = findAllocatorsSync({ root: join(SAFETY, 'no-thp'), ldconfig: [] });
    expect(allocators.filter((a) => a.found).map((a) => a.name)).toEqual(['glibc']);
    const lab: LabMachine = { ...real, allocators };
    const faiss = plans(lab, 'faiss-cycles');
    const skipped = Object.entries(faiss).filter(([, s]) => s !== null);
    const ran = Object.entries(faiss).filter(([, s]) => s === null);
    expect(skipped.length).toBeGreaterThanOrEqual(3);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    for (const [id, s] of skipped) expect(s, id).toMatch(/(jemalloc|mimalloc|tcmalloc).*not found/);
    // a variant that requires an allocator and also selects it names the missing library once
    for (const [id, s] of skipped) {
      const parts = s!.split('; ');
      expect(new Set(parts).size, id).toBe(parts.length);
    }
  });

  it('a kernel without MADV_FREE or MADV_COLLAPSE - those variants are skipped naming the Linux version that added them (fixture tree)', () => {
    const lab: LabMachine = { ...real, features: { ...real.features, madvFree: false, madvCollapse: false } };
    const madv = plans(lab, 'madv-free');
    expect(madv.free).toMatch(/no MADV_FREE \(Linux 4\.5\+\)/);
    expect(madv.dontneed).toBeNull();
    expect(plans(lab, 'thp-khugepaged').collapse).toMatch(/no MADV_COLLAPSE \(Linux 6\.1\+\)/);
  });

  it('pressure asked for on a variant without a cgroup - refused, the host is never put under pressure', () => {
    const def = defs['thp-khugepaged']!;
    const v = def.variants.find((x) => x.id === 'nohugepage')!;
    const params = variantParams(resolveParams(def, { quick: true, overrides: { pressure: 'true', pressureBytes: '20GiB' } }), v.params, { pressure: true });
    const plan = planVariant(def, v, params, real);
    expect(plan.cgroupLimitBytes).toBeNull();
    expect(plan.skip).toMatch(/memory pressure runs only inside a memory cgroup/);
  });
});
