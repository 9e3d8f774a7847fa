// The finalizers unmap: regions dropped without unmap() do not keep their memory once collected.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const MiB = 1024 * 1024;

describe('Region garbage collection', () => {
  it('gc - 200 dropped 8 MiB touched regions are unmapped; RSS stays bounded', () => {
    // 8 MiB + 1 page: a length no thread stack (8 MiB) shares, so the child can count its regions in maps
    const lengthBytes = 8 * MiB + 4096;
    const out = execFileSync(process.execPath, ['--expose-gc', 'node_modules/vite-node/vite-node.mjs', 'test/core/children/gc-regions.ts', '200', String(lengthBytes)], {
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { rssStart: number; rssEnd: number; peakMappings: number; mappingsEnd: number; keptReadable: boolean; roundsToZero: number; keptRounds: number };
    console.log(`gc child: VmRSS ${(r.rssStart / MiB).toFixed(1)} → ${(r.rssEnd / MiB).toFixed(1)} MiB, peak live regions ${r.peakMappings}, left ${r.mappingsEnd} (gc rounds to none: ${r.roundsToZero}, after the kept buffer: ${r.keptRounds})`);
    // 1600 MiB were touched in total; a leak of even a tenth would show
    expect(r.rssEnd - r.rssStart).toBeLessThan(160 * MiB);
    expect(r.mappingsEnd).toBe(0);
    // regions are mapped 20 at a time and collected before the next 20: never more than one batch alive
    expect(r.peakMappings).toBeGreaterThan(0);
    expect(r.peakMappings).toBeLessThanOrEqual(20);
    // a buffer that outlives its Region handle keeps the mapping alive and readable
    expect(r.keptReadable).toBe(true);
  });
});
