// What the runner knows about the machine before it plans anything: the probe's facts, the
// kernel features the addon found, the allocators installed, and what we may change.
import { accessSync, constants } from 'node:fs';
import type { MachineInfo } from '../run/schema.js';
import { describeMachine } from '../probe/machine.js';
import { features, type Features } from '../core/features.js';
import { findAllocators, type InstalledAllocator } from '../system/allocators.js';
import { canTune, snapshotKnobs, type CanTune } from '../system/knobs.js';
import { cgroupSupport, type CgroupSupport } from '../system/cgroup.js';

export interface LabMachine {
  machine: MachineInfo;
  features: Features;
  allocators: InstalledAllocator[];
  tune: CanTune;
  cgroup: CgroupSupport;
  /** current knob values by knob name ("khugepaged/max_ptes_none" → "511") */
  knobValues: Record<string, string>;
  /** kpageflags readable: page maps can show huge and lazily freed pages, not only presence */
  pageFlags: boolean;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export async function describeLab(): Promise<LabMachine> {
  const facts = describeMachine();
  const f = features();
  const allocators = await findAllocators();
  const pageFlags = facts.root && readable('/proc/kpageflags');
  const knobValues: Record<string, string> = {};
  for (const [k, v] of Object.entries(snapshotKnobs())) if (v !== null) knobValues[k] = v;
  const machine: MachineInfo = {
    ...facts,
    features: { madvFree: f.madvFree, madvCollapse: f.madvCollapse, madvCold: f.madvCold, madvPageout: f.madvPageout, pagemap: pageFlags },
    allocators: allocators.filter((a) => a.found).map((a) => ({ name: a.name, library: a.library, version: a.version })),
  };
  return { machine, features: f, allocators, tune: canTune(), cgroup: cgroupSupport(), knobValues, pageFlags };
}
