import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canTune, knobPath, snapshotKnobs, validateKnob } from '../../src/system/knobs.js';
import { openSystemSession } from '../../src/system/session.js';
import { withSystemLock } from '../../src/system/lock.js';
import { writeControl } from '../../src/system/sysfs.js';
import { fixtureTree, isRoot, journalFiles, readKnob, removeTree, skipReason, tempStateDir } from './helpers.js';

const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) removeTree(dir);
});

function fixture(): { root: string; state: string } {
  const root = fixtureTree('sysfs-thp');
  const state = tempStateDir();
  cleanups.push(root, state);
  return { root, state };
}

describe('knobs on a fixture sysfs tree (no root needed)', () => {
  it('snapshot - reads the bracketed choice for enabled/defrag and numbers for khugepaged', () => {
    const { root } = fixture();
    expect(snapshotKnobs({ root })).toEqual({
      enabled: 'madvise',
      defrag: 'madvise',
      'khugepaged/scan_sleep_millisecs': '10000',
      'khugepaged/pages_to_scan': '4096',
      'khugepaged/max_ptes_none': '511',
      'khugepaged/defrag': '1',
    });
  });

  it('apply - journals originals, writes, returns KnobChange[]; restore - puts them back, idempotent', async () => {
    const { root, state } = fixture();
    const session = await openSystemSession({ root, stateDir: state, lock: false });
    const changes = session.apply({ enabled: 'never', 'khugepaged/max_ptes_none': 0, 'khugepaged/scan_sleep_millisecs': 100 });
    expect(changes).toEqual([
      { path: knobPath('enabled', root), from: 'madvise', to: 'never' },
      { path: knobPath('khugepaged/max_ptes_none', root), from: '511', to: '0' },
      { path: knobPath('khugepaged/scan_sleep_millisecs', root), from: '10000', to: '100' },
    ]);
    expect(readKnob('enabled', root)).toBe('never');
    expect(readKnob('khugepaged/max_ptes_none', root)).toBe('0');
    const journal = JSON.parse(readFileSync(session.journal.path, 'utf8')) as { pid: number; entries: unknown[] };
    expect(journal.pid).toBe(process.pid);
    expect(journal.entries).toEqual([
      { path: knobPath('enabled', root), original: 'madvise', applied: 'never' },
      { path: knobPath('khugepaged/max_ptes_none', root), original: '511', applied: '0' },
      { path: knobPath('khugepaged/scan_sleep_millisecs', root), original: '10000', applied: '100' },
    ]);

    // a second apply of the same knob keeps the first original
    session.apply({ 'khugepaged/max_ptes_none': 64 });
    const report = session.restore();
    expect(report.ok).toBe(true);
    expect(report.knobs.map((k) => k.value)).toEqual(['10000', '511', 'madvise']); // newest first
    expect(snapshotKnobs({ root })).toMatchObject({ enabled: 'madvise', 'khugepaged/max_ptes_none': '511', 'khugepaged/scan_sleep_millisecs': '10000' });
    expect(journalFiles(state)).toEqual([]);
    expect(session.restore().knobs).toEqual([]);
    session.close();
  });

  it('apply - a knob already at the value is neither written nor journaled', async () => {
    const { root, state } = fixture();
    const session = await openSystemSession({ root, stateDir: state, lock: false });
    expect(session.apply({ defrag: 'madvise', 'khugepaged/pages_to_scan': '4096' })).toEqual([]);
    expect(journalFiles(state)).toEqual([]);
    session.close();
  });

  it.each([
    [{ 'khugepaged/max_ptes_none': 600 }, RangeError, /max_ptes_none must be between 0 and 511/],
    [{ enabled: 'sometimes' }, RangeError, /enabled must be one of always\|madvise\|never/],
    [{ 'khugepaged/pages_to_scan': 0 }, RangeError, /between 1 and/],
    [{ 'khugepaged/scan_sleep_millisecs': '-1' }, TypeError, /takes an integer/],
    [{ 'khugepaged/scan_sleep_millisecs': 1.5 }, TypeError, /takes an integer/],
    [{ 'khugepaged/defrag': 2 }, RangeError, /between 0 and 1/],
    [{ 'vm/overcommit_memory': 1 }, TypeError, /unknown knob "vm\/overcommit_memory"/],
  ])('apply %j - throws before writing anything (sysfs and journal unchanged)', async (changes, errorType, message) => {
    const { root, state } = fixture();
    const session = await openSystemSession({ root, stateDir: state, lock: false });
    const before = snapshotKnobs({ root });
    // the valid change listed first must not be written either: validation covers the whole set
    expect(() => session.apply({ 'khugepaged/scan_sleep_millisecs': 100, ...changes } as never)).toThrow(errorType);
    expect(() => session.apply({ 'khugepaged/scan_sleep_millisecs': 100, ...changes } as never)).toThrow(message);
    expect(snapshotKnobs({ root })).toEqual(before);
    expect(journalFiles(state)).toEqual([]);
    session.close();
  });

  it('canTune - ok on a writable fixture tree, explains a kernel without THP', () => {
    const { root } = fixture();
    expect(canTune({ root })).toEqual({ ok: true, reason: `knobs under ${root} are writable` });
    const empty = tempStateDir();
    cleanups.push(empty);
    const none = canTune({ root: empty });
    expect(none.ok).toBe(false);
    expect(none.reason).toMatch(/no transparent huge pages/);
  });

  it('apply - a write the file refuses throws KnobWriteError naming knob, value and why', async () => {
    const { root, state } = fixture();
    const session = await openSystemSession({ root, stateDir: state, lock: false });
    // replace the knob file by a directory: open(O_WRONLY) fails with EISDIR
    const path = knobPath('khugepaged/pages_to_scan', root);
    removeTree(path);
    (await import('node:fs')).mkdirSync(path);
    expect(() => session.apply({ 'khugepaged/pages_to_scan': 8192 })).toThrow(/cannot set khugepaged\/pages_to_scan=8192 .*EISDIR/);
    session.close();
  });
});

describe('knobs on the real kernel (root)', () => {
  it.skipIf(skipReason(!isRoot, 'changing THP knobs needs root'))(
    'apply pages_to_scan=8192 max_ptes_none=0 - sysfs shows them; restore - 4096/511 again',
    async () => {
      const state = tempStateDir();
      cleanups.push(state);
      await withSystemLock(async () => {
        const before = snapshotKnobs();
        const session = await openSystemSession({ stateDir: state, lock: false });
        try {
          const changes = session.apply({ 'khugepaged/pages_to_scan': 8192, 'khugepaged/max_ptes_none': 0 });
          expect(changes.map((c) => c.to)).toEqual(['8192', '0']);
          expect(readKnob('khugepaged/pages_to_scan')).toBe('8192');
          expect(readKnob('khugepaged/max_ptes_none')).toBe('0');
        } finally {
          session.close();
        }
        expect(readKnob('khugepaged/pages_to_scan')).toBe(before['khugepaged/pages_to_scan']);
        expect(readKnob('khugepaged/max_ptes_none')).toBe(before['khugepaged/max_ptes_none']);
        expect(snapshotKnobs()).toEqual(before);
      });
    },
  );

  it.skipIf(skipReason(!isRoot, 'writing sysfs needs root'))(
    "validation range - matches the kernel's: max_ptes_none=512 is refused with EINVAL and nothing changes",
    async () => {
      await withSystemLock(() => {
        const path = join('/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none');
        const before = readKnob('khugepaged/max_ptes_none');
        expect(() => validateKnob('khugepaged/max_ptes_none', 512)).toThrow(RangeError);
        let code: string | undefined;
        try {
          writeControl(path, '512');
        } catch (error) {
          code = (error as NodeJS.ErrnoException).code;
        }
        // should the kernel ever accept it, put the machine back before failing
        const after = readKnob('khugepaged/max_ptes_none');
        if (after !== before) writeControl(path, before);
        expect(code).toBe('EINVAL');
        expect(after).toBe(before);
      });
    },
  );

  it.skipIf(skipReason(!isRoot, 'canTune on the real /sys is only ok as root'))('canTune - root with writable knobs', () => {
    expect(canTune()).toEqual({ ok: true, reason: 'root, and the THP knobs are writable' });
  });
});
