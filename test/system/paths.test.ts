import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultStateDir, ensureSafeDir, resolveStateDir, stateDir } from '../../src/system/paths.js';
import { isRoot, removeTree, skipReason, tempStateDir } from './helpers.js';

const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) removeTree(dir);
});
function scratch(): string {
  const dir = tempStateDir();
  cleanups.push(dir);
  return dir;
}

describe('state dir', () => {
  it('defaultStateDir - /run/rsslab for root, $XDG_RUNTIME_DIR/rsslab or tmpdir/rsslab-<uid> otherwise', () => {
    expect(defaultStateDir({ uid: 0, env: {} })).toBe('/run/rsslab');
    expect(defaultStateDir({ uid: 1000, env: { XDG_RUNTIME_DIR: '/run/user/1000' } })).toBe('/run/user/1000/rsslab');
    expect(defaultStateDir({ uid: 1000, env: {} })).toMatch(/\/rsslab-1000$/);
  });

  it('resolveStateDir - RSSLAB_STATE_DIR overrides; a relative one is a TypeError', () => {
    expect(resolveStateDir({ uid: 0, env: { RSSLAB_STATE_DIR: '/tmp/x' } })).toBe('/tmp/x');
    expect(() => resolveStateDir({ env: { RSSLAB_STATE_DIR: 'rel/dir' } })).toThrow(TypeError);
  });

  it('stateDir - creates a missing directory with mode 0700', () => {
    const dir = join(scratch(), 'state');
    expect(stateDir({ env: { RSSLAB_STATE_DIR: dir } })).toBe(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('ensureSafeDir - refuses a group/world-writable directory and says how to fix it', () => {
    const dir = join(scratch(), 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(() => ensureSafeDir(dir)).toThrow(/mode 777 lets others write into it; run chmod 700/);
  });

  it('ensureSafeDir - refuses a symbolic link (a planted link must not redirect root\'s writes)', () => {
    const base = scratch();
    mkdirSync(join(base, 'target'), { mode: 0o700 });
    symlinkSync(join(base, 'target'), join(base, 'link'));
    expect(() => ensureSafeDir(join(base, 'link'))).toThrow(/is a symbolic link/);
  });

  it.skipIf(skipReason(!isRoot, 'chown to another user needs root'))('ensureSafeDir - refuses a directory owned by another user', () => {
    const dir = join(scratch(), 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    expect(() => ensureSafeDir(dir, 0)).toThrow(/owned by uid 65534, not by us \(uid 0\)/);
  });
});
