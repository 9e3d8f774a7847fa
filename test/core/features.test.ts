// features(): the probe's answers against what the kernel says about itself.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { features } from '../../src/core/features.js';

const [major = 0, minor = 0] = release().split('.').map(Number);
const atLeast = (ma: number, mi: number): boolean => major > ma || (major === ma && minor >= mi);

describe('features', () => {
  it('features - page size is getconf PAGESIZE, huge page size is hpage_pmd_size', () => {
    const f = features();
    expect(f.pageSize).toBe(Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()));
    expect(f.hugePageSize).toBe(Number(readFileSync('/sys/kernel/mm/transparent_hugepage/hpage_pmd_size', 'utf8').trim()));
  });

  it('features - madvise advice present exactly from the kernel versions that introduced it', () => {
    const f = features();
    expect(f.madvFree).toBe(atLeast(4, 5));
    expect(f.madvCold).toBe(atLeast(5, 4));
    expect(f.madvPageout).toBe(atLeast(5, 4));
    expect(f.madvCollapse).toBe(atLeast(6, 1));
  });

  it('features - cached and frozen', () => {
    expect(features()).toBe(features());
    expect(Object.isFrozen(features())).toBe(true);
  });
});
