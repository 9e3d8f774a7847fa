// Limits that protect the host: sizes that would not fit are refused before anything runs (checked
// against MemAvailable and, inside a container-like memory cgroup, against the room under its limit)
// unless --force; with --force the host is still protected by that cgroup's limit (OOM kill of the
// child, recorded). The real CLI runs inside a memory cgroup this test makes with a 320 MiB limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperiment } from '../../experiments/index.js';
import { CHILD_BASE_BYTES, MIN_MARGIN_BYTES, checkMemoryFits, cgroupRoomBytes, estimateVariantBytes, memoryBudget } from '../../src/lab/limits.js';
import { resolveParams, variantParams } from '../../src/lab/params.js';
import { parseMeminfo } from '../../src/probe/meminfo.js';
import { cgroupSupport } from '../../src/system/cgroup.js';
import { removeCgroupDir } from '../../src/system/cgroup-remove.js';
import { acquireLock, type SystemLock } from '../../src/system/lock.js';
import type { Run } from '../../src/run/schema.js';
import { CLI, isRoot, rsslab, tmp, warnSkip } from './helpers.js';

const MiB = 2 ** 20;

describe('memory limits', () => {
  it('memoryBudget - MemAvailable of this machine minus a margin of at least 256 MiB', () => {
    const before = parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
    const b = memoryBudget();
    expect(b.marginBytes).toBeGreaterThanOrEqual(MIN_MARGIN_BYTES);
    expect(b.marginBytes).toBeGreaterThanOrEqual(before.memTotalBytes * 0.05 - 1);
    // MemAvailable moves while other processes run: compare loosely (within 1 GiB)
    expect(Math.abs(b.memAvailableBytes - (before.memAvailableBytes ?? 0))).toBeLessThan(1024 * MiB);
    expect(b.usableBytes).toBeLessThanOrEqual(b.memAvailableBytes - b.marginBytes);
    expect(b.usableBytes).toBeGreaterThan(0);
  });

  it('estimateVariantBytes - sums the size parameters plus the Node child; a cgroup variant is capped at its limit', async () => {
    const def = await loadExperiment('madv-free');
    const params = resolveParams(def, { quick: true, overrides: { regionBytes: '1GiB' } });
    const plain = estimateVariantBytes(def, 'dontneed', variantParams(params, def.variants[0]!.params, {}), null);
    const sizes = Object.entries(def.params).filter(([, s]) => s.type === 'bytes').reduce((a, [k]) => a + (params[k] as number), 0);
    expect(plain.bytes).toBe(sizes + CHILD_BASE_BYTES);
    expect(plain.basis).toMatch(/regionBytes=1\.0 GiB/); // src/quantities.ts formatBytes, as every report
    const capped = estimateVariantBytes(def, 'free-pressure', params, 200 * MiB);
    expect(capped.bytes).toBe(200 * MiB + CHILD_BASE_BYTES);
    expect(checkMemoryFits([plain], { usableBytes: 512 * MiB, memAvailableBytes: 768 * MiB, cgroupRoomBytes: null, marginBytes: 256 * MiB })).toMatch(
      /refusing to run: variant dontneed needs about .* but only 512\.0 MiB can be used safely \(MemAvailable 768\.0 MiB, minus a margin of 256\.0 MiB\)\. .*--force/,
    );
    expect(checkMemoryFits([capped], { usableBytes: 512 * MiB, memAvailableBytes: 768 * MiB, cgroupRoomBytes: null, marginBytes: 256 * MiB })).toBeNull();
  });
});

const support = cgroupSupport();
const noCgroup = !isRoot || support.version !== 1 || !support.canCreate;
const box = support.parent === null ? '' : join(support.parent, `rsslab-safety-limits-${process.pid}`);

// The box is a memory cgroup of ours on the machine: hold rsslab's lock while it exists, as every
// run does, so that tests checking "no rsslab cgroup left" (under the lock) never see it mid-test.
let lock: SystemLock | null = null;
beforeAll(async () => {
  if (!noCgroup) lock = await acquireLock({ waitMs: 15 * 60_000 });
}, 15 * 60_000);

afterAll(() => {
  if (box && existsSync(box)) removeCgroupDir(box, support.parent!);
  lock?.release();
});

/** The CLI, started inside `box`: a shell line moves itself there, then execs node (arguments as "$@", never interpolated). */
function rsslabInBox(args: string[]) {
  return execa('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && shift && exec "$@"', box, 'x', process.execPath, CLI, ...args], {
    reject: false,
    env: { CI: 'true' },
  });
}

describe.skipIf(warnSkip(noCgroup, 'needs root and a v1 memory controller we can create cgroups in (runs the CLI inside a 320 MiB cgroup)'))('memory limits inside a memory cgroup', () => {
  it('cgroupRoomBytes - sees the limit of the cgroup it runs in (a container-like 320 MiB), smaller than MemAvailable', async () => {
    mkdirSync(box);
    writeFileSync(join(box, 'memory.limit_in_bytes'), String(320 * MiB));
    const r = await execa('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$1" --input-type=module -e "$2"', box, process.execPath, `import { cgroupRoomBytes } from '${join(import.meta.dirname, '../../dist/src/lab/limits.js')}'; console.log(cgroupRoomBytes())`], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const room = Number(r.stdout.trim());
    expect(room).toBeGreaterThan(100 * MiB);
    expect(room).toBeLessThan(320 * MiB);
    expect(cgroupRoomBytes()).not.toBe(room);
  });

  it('run in a 320 MiB cgroup - a 1 GiB region is refused (exit 2, nothing written); with --force the child is OOM-killed inside the limit and the parent records it', async () => {
    const out = tmp();
    const refused = await rsslabInBox(['run', 'madv-free', '--quick', '--variant', 'dontneed', '--param', 'regionBytes=1GiB', '--out', out, '--format', 'md']);
    expect(refused.exitCode, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/refusing to run: variant dontneed needs about 1\.\d+ GiB|needs about 1[0-9]{3}\.\d MiB/);
    expect(refused.stderr).toMatch(/left under this process's memory cgroup limit/);
    expect(refused.stderr).toMatch(/--force/);
    expect(readdirSync(out)).toEqual([]);

    const forced = await rsslabInBox(['run', 'madv-free', '--quick', '--variant', 'dontneed', '--param', 'regionBytes=1GiB', '--force', '--out', out, '--format', 'md']);
    expect(forced.signal ?? null, forced.stderr).toBeNull();
    expect(forced.exitCode, forced.stderr).toBe(1);
    const run = JSON.parse(readFileSync(join(out, 'madv-free.json'), 'utf8')) as Run;
    expect(run.systemLog.some((l) => /--force given; running although variant dontneed needs about/.test(l))).toBe(true);
    const v = run.variants[0]!;
    expect(v.status).toBe('failed');
    expect(v.failure?.signal).toBe('SIGKILL');
    // it died touching the region, at the cgroup's limit, not the machine's
    expect(v.marks.map((m) => m.phase)).toContain('touch');
    const oom = readFileSync(join(box, 'memory.oom_control'), 'utf8');
    expect(Number(/oom_kill (\d+)/.exec(oom)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
  });
});
