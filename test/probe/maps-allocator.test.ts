// Which malloc a real counterpart runs with, read from its /proc/<pid>/maps (from outside).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allocatorFromMaps } from '../../src/probe/maps-allocator.js';

const line = (path: string): string => `7f1c2a000000-7f1c2a028000 r--p 00000000 08:01 1234                       ${path}`;

describe('allocatorFromMaps', () => {
  it('an LD_PRELOADed allocator wins over libc', () => {
    const maps = [line('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'), line('/usr/lib/x86_64-linux-gnu/libc.so.6')].join('\n');
    expect(allocatorFromMaps(maps)).toEqual({ name: 'jemalloc', version: null, library: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' });
    expect(allocatorFromMaps(line('/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4.5.9')).name).toBe('tcmalloc');
    expect(allocatorFromMaps(line('/usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0')).name).toBe('mimalloc');
  });

  it('a dynamically linked program without a preload uses glibc; a static one maps no libc', () => {
    expect(allocatorFromMaps(line('/usr/lib/x86_64-linux-gnu/libc.so.6')).name).toBe('glibc');
    expect(allocatorFromMaps([line('/tmp/prog'), '7ffd1000-7ffd3000 rw-p 00000000 00:00 0          [stack]'].join('\n')).library).toBeNull();
  });

  it('this process (node) maps glibc', () => {
    expect(allocatorFromMaps(readFileSync('/proc/self/maps', 'utf8')).name).toMatch(/glibc|jemalloc|mimalloc|tcmalloc/);
  });
});
