// Run files and reports are written through a temporary name: unpredictable, and created with
// O_EXCL|O_NOFOLLOW, so a symlink planted in a shared output folder is never written through.
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createExclusive, temporaryName, writeFileAtomic } from '../../src/run/io.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'rsslab-io-'));
  dirs.push(d);
  return d;
}

describe('writeFileAtomic', () => {
  it('a symlink planted at the temporary name is not followed: EEXIST, the target keeps its content', () => {
    const dir = scratch();
    const victim = join(scratch(), 'victim');
    writeFileSync(victim, 'keep\n');
    const tmp = temporaryName(join(dir, 'run.json'));
    symlinkSync(victim, tmp);
    expect(() => createExclusive(tmp)).toThrow(expect.objectContaining({ code: 'EEXIST' }) as unknown as Error);
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
  });

  it('links planted at every name the old scheme could pick (.<pid>.<ms>.tmp) change nothing; the Run lands as a regular file', () => {
    const dir = scratch();
    const victim = join(scratch(), 'victim');
    writeFileSync(victim, 'keep\n');
    const now = Date.now();
    for (let t = now; t < now + 3000; t++) symlinkSync(victim, join(dir, `.${process.pid}.${t}.tmp`));
    writeFileAtomic(join(dir, 'run.json'), '{"a":1}\n');
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(lstatSync(join(dir, 'run.json')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'run.json'), 'utf8')).toBe('{"a":1}\n');
    // and no temporary file of ours is left behind
    expect(readdirSync(dir).filter((n) => n.startsWith('.run.json.'))).toEqual([]);
  });

  it('temporary names are unpredictable (no two alike)', () => {
    const names = new Set(Array.from({ length: 1000 }, () => temporaryName('/x/run.json')));
    expect(names.size).toBe(1000);
  });
});
