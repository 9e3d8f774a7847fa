// Which experiment variants MUST run on this machine. Detected here, independently of the runner's
// planner (src/lab/plan.ts) and of src/system: a planner bug (cgroup or allocator detection) must not
// turn a variant into a "skip" that passes CI. On a machine with root, THP, the cgroup v1 memory
// controller and the Debian allocator packages (this project's machine and its CI) every variant
// whose needs are met here must run, and a skip fails the test.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import type { ExperimentDefinition, Params, Requirement, VariantSpec } from '../../src/lab/experiment.js';
import thpKhugepaged from '../../experiments/thp-khugepaged.js';
import madvFree from '../../experiments/madv-free.js';
import faissCycles from '../../experiments/faiss-cycles.js';
import runtimeHeap from '../../experiments/runtime-heap.js';
import fragmentation from '../../experiments/fragmentation.js';

function kernelAtLeast(major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release());
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A cgroup v1 hierarchy with the memory controller, straight from /proc/self/mounts. */
function v1MemoryMounted(): boolean {
  return read('/proc/self/mounts')
    .split('\n')
    .some((line) => {
      const [, , type, options] = line.split(' ');
      return type === 'cgroup' && (options ?? '').split(',').includes('memory');
    });
}

/** Installed according to dpkg, and the shared object is where Debian puts it. */
function debianPackage(pkg: string, file: string): boolean {
  const status = read('/var/lib/dpkg/status');
  const block = status.split('\n\n').find((b) => b.startsWith(`Package: ${pkg}\n`));
  return block !== undefined && /\nStatus: install ok installed\n/.test(block + '\n') && existsSync(file);
}

const LIB = '/usr/lib/x86_64-linux-gnu';
const isRoot = process.getuid?.() === 0;
const thpEnabled = read('/sys/kernel/mm/transparent_hugepage/enabled');

/** What this machine has, by requirement. */
export const HAS: Record<Requirement, boolean> = {
  root: isRoot,
  thp: thpEnabled !== '' && !thpEnabled.includes('[never]'),
  madvFree: kernelAtLeast(4, 5),
  madvCollapse: kernelAtLeast(6, 1),
  cgroup: isRoot && v1MemoryMounted(),
  jemalloc: debianPackage('libjemalloc2', `${LIB}/libjemalloc.so.2`),
  mimalloc: debianPackage('libmimalloc2.0', `${LIB}/libmimalloc.so.2.0`) || debianPackage('libmimalloc2.0', `${LIB}/libmimalloc.so.2`),
  tcmalloc: debianPackage('libtcmalloc-minimal4', `${LIB}/libtcmalloc_minimal.so.4`),
};

/** Everything a variant needs from the machine, from its definition (not from the planner's answer). */
export function needsOf(v: VariantSpec<Params>): Requirement[] {
  const needs = new Set<Requirement>(v.requires ?? []);
  if (v.knobs && Object.keys(v.knobs).length > 0) needs.add('root');
  if (v.cgroupLimitBytes !== undefined) {
    needs.add('cgroup');
    needs.add('root');
  }
  if (v.allocator !== undefined && v.allocator !== 'glibc') needs.add(v.allocator);
  return [...needs];
}

const definitions = new Map<string, ExperimentDefinition<Params>>(
  ([thpKhugepaged, madvFree, faissCycles, runtimeHeap, fragmentation] as unknown as Array<ExperimentDefinition<Params>>).map((d) => [d.id, d]),
);

/** The requirements this machine lacks for `variant` (empty: it must run here). */
export function missingFor(experimentId: string, variantId: string): Requirement[] {
  const def = definitions.get(experimentId);
  if (def === undefined) throw new Error(`unknown experiment ${experimentId}`);
  const v = def.variants.find((x) => x.id === variantId);
  if (v === undefined) throw new Error(`${experimentId} has no variant ${variantId}`);
  return needsOf(v).filter((r) => !HAS[r]);
}
