// The per-process THP switch (seed 004's no-root fix): round trip, inheritance by fork+exec, execWithThp,
// and its effect on a MADV_HUGEPAGE region.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RsslabSystemError } from '../../src/core/errors.js';
import { features } from '../../src/core/features.js';
import { mapRegion } from '../../src/core/region.js';
import { execWithThp, getThpDisable, setThpDisable } from '../../src/core/thp.js';
import { smapsField } from '../helpers/smaps-entry.js';

const thpEnabledLine = (status: string): string | undefined => /^THP_enabled:\s+(\d)$/m.exec(status)?.[1];
const initial = getThpDisable();

afterEach(() => {
  setThpDisable(initial);
});

describe('THP disable flag', () => {
  it('thpDisable - set, get and /proc/self/status agree, both ways', () => {
    setThpDisable(true);
    expect(getThpDisable()).toBe(true);
    expect(thpEnabledLine(readFileSync('/proc/self/status', 'utf8'))).toBe('0');
    setThpDisable(false);
    expect(getThpDisable()).toBe(false);
    expect(thpEnabledLine(readFileSync('/proc/self/status', 'utf8'))).toBe('1');
  });

  it('thpDisable - a spawned child (fork + exec) inherits it', () => {
    setThpDisable(true);
    expect(thpEnabledLine(execFileSync('cat', ['/proc/self/status'], { encoding: 'utf8' }))).toBe('0');
    setThpDisable(false);
    expect(thpEnabledLine(execFileSync('cat', ['/proc/self/status'], { encoding: 'utf8' }))).toBe('1');
  });

  it('setThpDisable - TypeError for a non-boolean', () => {
    expect(() => setThpDisable(1 as unknown as boolean)).toThrow(TypeError);
  });

  const thpNever = /\[never\]/.test(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
  if (thpNever) console.warn("skipping the THP-disabled region test: THP enabled is 'never', huge pages could not appear anyway");
  it.skipIf(thpNever)('thpDisable - a MADV_HUGEPAGE region faults in no huge page while it is set', () => {
    setThpDisable(true);
    const r = mapRegion(8 * features().hugePageSize, { alignHuge: true });
    try {
      r.advise('hugepage');
      r.touch();
      expect(smapsField(r.address, 'AnonHugePages')).toBe(0);
      expect(smapsField(r.address, 'Rss')).toBe(r.length);
    } finally {
      r.unmap();
    }
  });
});

describe('execWithThp', () => {
  it('execWithThp - the same process becomes the program, with THP disabled and only the given env', () => {
    const out = execFileSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/core/children/exec-thp.ts'], {
      encoding: 'utf8',
      env: { ...process.env, RSSLAB_MARKER: 'not-this-one' },
    });
    const nodePid = /node-pid=(\d+)/.exec(out)?.[1];
    expect(nodePid).toBeDefined();
    expect(out).toContain(`sh-pid=${nodePid}`);
    expect(thpEnabledLine(out)).toBe('0');
    expect(out).toContain('marker=kept');
  });

  it('execWithThp - ENOENT for a missing program; this process goes on with its flag unchanged', () => {
    const before = getThpDisable();
    let err: unknown;
    try {
      execWithThp('rsslab-no-such-program', ['x'], { PATH: '/usr/bin:/bin' }, { thpDisabled: !before });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RsslabSystemError);
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'execve', errno: 2 });
    expect(getThpDisable()).toBe(before);
    // stdio and signals were restored too: we can still spawn and talk to a child
    expect(execFileSync('echo', ['alive'], { encoding: 'utf8' })).toBe('alive\n');
  });

  it('execWithThp - inheritFds keeps fd 3 open across exec (Node marks it close-on-exec otherwise)', () => {
    const runChild = (mode: string): { stdout: string; fd3: string } => {
      const r = spawnSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/core/children/exec-fd3.ts', mode], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
      return { stdout: r.stdout.trim(), fd3: String(r.output[3] ?? '').trim() };
    };
    expect(runChild('keep')).toEqual({ stdout: 'kept', fd3: 'fd3 open' });
    expect(runChild('drop')).toEqual({ stdout: 'closed', fd3: '' });
    expect(() => execWithThp('sh', ['sh'], {}, { inheritFds: [2] })).toThrow(TypeError);
  });

  it('execWithThp - EACCES for a directory', () => {
    expect(() => execWithThp('/tmp', ['x'], {})).toThrow(expect.objectContaining({ code: 'EACCES', syscall: 'execve', message: 'EACCES: Permission denied, execve(/tmp)' }));
  });
});
