// A journal read back from disk is treated as possibly hostile (rsslab runs as root): restore writes
// only allow-listed THP knob files with values in the kernel's own form, removes only cgroups named
// like rsslab's own under a parent inside the memory controller's mount, and reads journals only from
// directories and files that are ours. Each case plants what an attacker would and checks that
// nothing was written or removed.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreJournal } from '../../src/system/journal.js';
import { cgroupEntryProblem, knobEntryProblem } from '../../src/system/journal-trust.js';
import { knobPath } from '../../src/system/knobs.js';
import { fixtureTree, isRoot, readKnob, removeTree, skipReason, tempStateDir } from './helpers.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) removeTree(dir);
});
function scratch(): string {
  const dir = tempStateDir();
  cleanups.push(dir);
  return dir;
}

/** A journal of a dead process (pid 999999 with another start time) asking for `entries` and `cgroups`. */
function plant(dir: string, entries: unknown[], cgroups: unknown[] = [], name = 'journal-999999-1.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ journalVersion: 1, pid: 999999, procStartTime: 1, startedAt: 'x', command: 'x', entries, cgroups }), { mode: 0o600 });
  return file;
}

describe('restore trusts no journal it could not have written', () => {
  it('a knob path outside the allow-list (an /etc/passwd-like file) is refused with the reason; the file is untouched', () => {
    const state = scratch();
    const target = join(scratch(), 'passwd');
    writeFileSync(target, 'root:x:0:0:root:/root:/bin/bash\n');
    const journal = plant(state, [{ path: target, original: 'evil::0:0::/:/bin/sh', applied: 'x' }]);
    const result = restoreJournal({ stateDir: state });
    expect(result.restored).toEqual([]);
    expect(result.refused).toEqual([{ journal, reason: expect.stringMatching(/is not one of the THP\/khugepaged knobs rsslab changes.*nothing of it was restored/) as unknown as string }]);
    expect(readFileSync(target, 'utf8')).toBe('root:x:0:0:root:/root:/bin/bash\n');
    expect(existsSync(journal)).toBe(true);
  });

  it('a value with a newline (or any form the kernel never shows) is refused, nothing written (fixture tree)', () => {
    const root = fixtureTree('sysfs-thp');
    cleanups.push(root);
    const state = scratch();
    writeFileSync(knobPath('enabled', root), 'never\n');
    writeFileSync(knobPath('khugepaged/pages_to_scan', root), '65536\n');
    const journal = plant(state, [
      { path: knobPath('khugepaged/pages_to_scan', root), original: '4096', applied: '65536' },
      { path: knobPath('enabled', root), original: 'madvise\nalways', applied: 'never' },
    ]);
    const result = restoreJournal({ stateDir: state, root });
    expect(result.refused.map((r) => r.journal)).toEqual([journal]);
    expect(result.refused[0]?.reason).toMatch(/"madvise\\nalways" for enabled/);
    // one bad entry refuses the whole journal: the good-looking one is not written either
    expect(readKnob('enabled', root)).toBe('never');
    expect(readKnob('khugepaged/pages_to_scan', root)).toBe('65536');
    expect(knobEntryProblem({ path: knobPath('khugepaged/max_ptes_none', root), original: '0511' }, { root })).toMatch(/not in the form the kernel shows/);
    expect(knobEntryProblem({ path: knobPath('khugepaged/max_ptes_none', root), original: '511' }, { root })).toBeNull();
  });

  it('a cgroup path with ".." (or named unlike rsslab-<pid>-<n>, or outside the memory mount) is refused; the directory keeps its files', () => {
    const state = scratch();
    const victim = join(scratch(), 'rsslab-1-1');
    mkdirSync(victim);
    writeFileSync(join(victim, 'precious'), 'data\n');
    const dotdot = `/sys/fs/cgroup/memory/../../..${victim}`;
    const named = join(scratch(), 'my-rsslab-notes');
    mkdirSync(named);
    writeFileSync(join(named, 'notes'), 'keep\n');
    const journals = [
      plant(state, [], [{ path: dotdot, parent: '/sys/fs/cgroup/memory', version: 1 }], 'journal-999999-1.json'),
      plant(state, [], [{ path: named, parent: join(named, '..'), version: 1 }], 'journal-999999-2.json'),
      plant(state, [], [{ path: victim, parent: join(victim, '..'), version: 1 }], 'journal-999999-3.json'),
    ];
    const result = restoreJournal({ stateDir: state });
    expect(result.restored).toEqual([]);
    expect(result.refused.map((r) => r.journal)).toEqual(journals);
    expect(result.refused[0]?.reason).toMatch(/is not a plain absolute path/);
    expect(result.refused[1]?.reason).toMatch(/is not named like an rsslab cgroup/);
    expect(result.refused[2]?.reason).toMatch(/is not inside the memory controller's mount|no cgroup v1 memory controller/);
    expect(readdirSync(victim)).toEqual(['precious']);
    expect(readdirSync(named)).toEqual(['notes']);
  });

  it('a cgroup parent that is a symbolic link inside the memory mount is refused (cgroup v2 fixture tree)', () => {
    const root = fixtureTree('cgroup-v2');
    cleanups.push(root);
    const elsewhere = join(scratch(), 'elsewhere');
    mkdirSync(join(elsewhere, 'rsslab-5-1'), { recursive: true });
    writeFileSync(join(elsewhere, 'rsslab-5-1', 'file'), 'x\n');
    symlinkSync(elsewhere, join(root, 'sys/fs/cgroup/link'));
    const parent = join(root, 'sys/fs/cgroup/link');
    expect(cgroupEntryProblem({ path: join(parent, 'rsslab-5-1'), parent, version: 2 }, { root })).toMatch(/symbolic link/);
    const state = scratch();
    plant(state, [], [{ path: join(parent, 'rsslab-5-1'), parent, version: 2 }]);
    expect(restoreJournal({ stateDir: state, root }).refused).toHaveLength(1);
    expect(readdirSync(join(elsewhere, 'rsslab-5-1'))).toEqual(['file']);
    // and an honest entry in the same tree passes
    expect(cgroupEntryProblem({ path: join(root, 'sys/fs/cgroup/rsslab-5-1'), parent: join(root, 'sys/fs/cgroup'), version: 2 }, { root })).toBeNull();
  });

  it('a group-writable state dir is not read at all', () => {
    const state = scratch();
    const target = join(scratch(), 'target');
    writeFileSync(target, 'keep\n');
    plant(state, [{ path: target, original: 'x', applied: 'y' }]);
    chmodSync(state, 0o770);
    const result = restoreJournal({ stateDir: state });
    expect(result.refused).toEqual([{ journal: state, reason: expect.stringMatching(/mode 770 lets others write into it/) as unknown as string }]);
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
  });

  it('a journal that is a symbolic link is not followed', () => {
    const state = scratch();
    const elsewhere = scratch();
    const real = plant(elsewhere, []);
    symlinkSync(real, join(state, 'journal-999998-1.json'));
    const result = restoreJournal({ stateDir: state });
    expect(result.restored).toEqual([]);
    expect(result.skipped).toEqual([{ journal: join(state, 'journal-999998-1.json'), pid: -1, reason: expect.stringMatching(/unreadable: .*ELOOP/) as unknown as string }]);
  });

  it.skipIf(skipReason(!isRoot, 'chown to another user needs root'))('a journal owned by another user is not trusted (fixture tree)', () => {
    const root = fixtureTree('sysfs-thp');
    cleanups.push(root);
    const state = scratch();
    writeFileSync(knobPath('enabled', root), 'never\n');
    const journal = plant(state, [{ path: knobPath('enabled', root), original: 'always', applied: 'never' }]);
    chownSync(journal, 65534, 65534);
    const result = restoreJournal({ stateDir: state, root });
    expect(result.restored).toEqual([]);
    expect(result.skipped[0]?.reason).toMatch(/owned by uid 65534, not by us/);
    expect(readKnob('enabled', root)).toBe('never');
  });

  it('`rsslab restore` with a hostile journal says what it refused, exits 3 and writes nothing', async () => {
    const state = scratch();
    const target = join(scratch(), 'shadow');
    writeFileSync(target, 'keep\n');
    plant(state, [{ path: target, original: 'owned', applied: 'x' }]);
    const r = await execa(process.execPath, [CLI, 'restore'], { reject: false, env: { CI: 'true', RSSLAB_STATE_DIR: state, RSSLAB_LOCK_PATH: join(scratch(), 'knobs.lock') } });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/refused: .*journal-999999-1\.json: .*is not one of the THP\/khugepaged knobs rsslab changes/);
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
  });
});
