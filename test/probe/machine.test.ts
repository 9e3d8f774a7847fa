import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeMachine } from '../../src/probe/index.js';

// Each figure is checked against the kernel through another door than the one describeMachine uses:
// sysinfo(2) for memory (os.totalmem: MemTotal and totalram are the same count), the sysfs files read
// here directly, and /proc/cgroups for the cgroup version (a v1 hierarchy id is non-zero; mountinfo is
// what the code reads).

describe('describeMachine (live kernel)', () => {
  it('describeMachine - kernel, memory, page sizes, THP and cgroup as the files say', () => {
    const m = describeMachine();
    expect(m.kernel).toBe(os.release());
    expect(m.arch).toBe(os.arch());
    expect(m.cpus).toBeGreaterThanOrEqual(1);
    expect(m.memTotalBytes).toBe(os.totalmem());
    const kernelPageKiB = Number(/KernelPageSize:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/smaps', 'latin1'))?.[1]);
    expect(m.pageSize).toBe(kernelPageKiB * 1024);
    expect(m.hugePageSize).toBe(Number(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/hpage_pmd_size', 'latin1')));
    expect(m.root).toBe(process.getuid?.() === 0);
    expect(m.thp.enabled).toBe(/\[(\w+)\]/.exec(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'latin1'))?.[1]);
    const memoryLine = /^memory\s+(\d+)\s+\d+\s+(\d+)$/m.exec(fs.readFileSync('/proc/cgroups', 'latin1'));
    const cgroup2Memory = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') && /\bmemory\b/.test(fs.readFileSync('/sys/fs/cgroup/cgroup.controllers', 'latin1'));
    const kernelSays = memoryLine === null || memoryLine[2] !== '1' ? null : memoryLine[1] !== '0' ? 1 : cgroup2Memory ? 2 : null;
    expect(m.cgroup.version).toBe(kernelSays);
    expect(m.node).toBe(process.version);
    expect(m).not.toHaveProperty('features');
  });

  it('describeMachine - our memory cgroup is a directory, writable when we are root', () => {
    const m = describeMachine();
    if (m.cgroup.memoryControllerPath === null) {
      console.warn('no memory cgroup on this machine: nothing to check');
      expect(m.cgroup.writable).toBe(false);
      return;
    }
    expect(fs.statSync(m.cgroup.memoryControllerPath).isDirectory()).toBe(true);
    expect(fs.existsSync(`${m.cgroup.memoryControllerPath}/memory.stat`)).toBe(true);
    if (m.root) expect(m.cgroup.writable).toBe(true);
  });
});
