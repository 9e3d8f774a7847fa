// Two `rsslab run`s at once: the second says whose lock it waits for and runs after the first, or —
// with a short --lock-wait — refuses with that holder's pid and changes nothing. Neither touches the
// other's journal, and the knobs end as they began.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Run } from '../../src/run/schema.js';
import { CLI, atRest, isRoot, journals, rsslab, tmp, waitFor, warnSkip } from './helpers.js';

const canRun = isRoot && existsSync('/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs');

describe.skipIf(warnSkip(!canRun, 'needs root and THP knobs (two runs that change khugepaged settings)'))('two rsslab runs at once', () => {
  it('the second waits with a notice naming the first one\'s pid, runs after it; a third with --lock-wait 1s refuses; knobs end as they began', { timeout: 20 * 60_000 }, async () => {
    const baseline = await atRest();
    const stateA = tmp('rsslab-state-');
    const stateB = tmp('rsslab-state-');
    const stateC = tmp('rsslab-state-');
    const outA = tmp();
    const outB = tmp();
    const outC = tmp();
    const runArgs = (out: string) => ['run', 'thp-khugepaged', '--quick', '--tune-system', '--variant', 'nohugepage', '--format', 'md', '--out', out];
    const a = execa(process.execPath, [CLI, ...runArgs(outA)], { reject: false, env: { CI: 'true', RSSLAB_STATE_DIR: stateA } });
    // A holds the lock once its journal exists (knobs are changed only under the lock)
    expect(await waitFor(() => journals(stateA).length > 0 || a.exitCode !== null, 15 * 60_000)).toBe(true);
    const journalA = join(stateA, journals(stateA)[0]!);

    const b = execa(process.execPath, [CLI, ...runArgs(outB)], { reject: false, env: { CI: 'true', RSSLAB_STATE_DIR: stateB } });
    const c = await rsslab([...runArgs(outC), '--lock-wait', '1s'], { RSSLAB_STATE_DIR: stateC });
    // C refused: non-zero, the holder named, nothing changed by it, no Run written
    expect(c.exitCode).toBe(1);
    expect(c.stderr).toMatch(new RegExp(`system lock .* is held by pid ${a.pid} `));
    expect(c.stderr).toMatch(/kill \d+/);
    expect(c.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(journals(stateC)).toEqual([]);
    expect(readdirSync(outC)).toEqual([]);
    // A's journal is A's alone and still holds the machine's own values while A runs (C wrote nothing into it)
    if (a.exitCode === null && existsSync(journalA)) {
      const j = JSON.parse(readFileSync(journalA, 'utf8')) as { pid: number; entries: Array<{ path: string; original: string }> };
      expect(j.pid).toBe(a.pid);
      for (const e of j.entries) expect(e.original, e.path).toBe(baseline.knobs[e.path.replace('/sys/kernel/mm/transparent_hugepage/', '') as keyof typeof baseline.knobs]);
    }
    expect(journals(stateB)).toEqual([]);

    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.exitCode, ra.stderr).toBeLessThanOrEqual(1);
    expect(rb.exitCode, rb.stderr).toBeLessThanOrEqual(1);
    // B printed who it waited for (A's pid), then ran
    expect(rb.stdout).toMatch(new RegExp(`waiting for rsslab's system lock held by pid ${a.pid} \\(`));
    const runA = JSON.parse(readFileSync(join(outA, 'thp-khugepaged.json'), 'utf8')) as Run;
    const runB = JSON.parse(readFileSync(join(outB, 'thp-khugepaged.json'), 'utf8')) as Run;
    expect(runB.systemLog.some((l) => l.startsWith(`waiting for rsslab's system lock held by pid ${a.pid}`))).toBe(true);
    // each run's own journal recorded the machine's values, not the other's changes
    for (const run of [runA, runB]) {
      const knobs = run.variants[0]?.settings.knobs ?? [];
      expect(knobs.length).toBeGreaterThan(0);
      for (const k of knobs) expect(k.from).toBe(baseline.knobs[k.path.replace('/sys/kernel/mm/transparent_hugepage/', '') as keyof typeof baseline.knobs]);
    }
    expect(journals(stateA)).toEqual([]);
    expect(journals(stateB)).toEqual([]);
    const now = await atRest();
    expect(now.knobs).toEqual(baseline.knobs);
    expect(now.cgroups).toEqual([]);
  });
});
