// The smallest reproducer for watching a program from outside (test/fixtures/c/map-free.c: map and
// touch N MiB, hold, unmap, hold, a stdout line at each step), built with the machine's C compiler.
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The built binary's path, or null when there is no cc/gcc (the caller skips and says why). */
export async function buildMapFree(): Promise<string | null> {
  let cc: string | null = null;
  for (const c of ['cc', 'gcc']) {
    const r = await execa(c, ['--version'], { reject: false });
    if (r.exitCode === 0) {
      cc = c;
      break;
    }
  }
  if (!cc) return null;
  const bin = join(mkdtempSync(join(tmpdir(), 'rsslab-map-free-')), 'map-free');
  await execa(cc, ['-O2', '-Wall', '-o', bin, join(import.meta.dirname, '../fixtures/c/map-free.c')]);
  return bin;
}
