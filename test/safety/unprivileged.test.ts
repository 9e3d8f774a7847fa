// Without root, for real: the CLI runs as user `nobody` (setpriv drops uid, gid and groups), even
// with --tune-system. Every variant that needs nothing of the machine runs and its expectations
// hold; knob and cgroup variants are listed as skipped with a "needs root" reason; nothing on the
// machine changes.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chownSync, chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Run } from '../../src/run/schema.js';
import { CLI, atRest, isRoot, tmp, warnSkip } from './helpers.js';

const NOBODY = 65534;
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const cannot = !isRoot || setpriv === undefined;

describe.skipIf(warnSkip(cannot, 'needs root and setpriv (drops to user nobody for real)'))('rsslab without root (as nobody)', () => {
  it('run --tune-system as nobody - runnable variants pass, knob and cgroup variants skipped with "needs root", the machine untouched', { timeout: 10 * 60_000 }, async () => {
    const baseline = await atRest();
    const runStateBefore = existsSync('/run/rsslab') ? readdirSync('/run/rsslab').filter((n) => n.startsWith('journal-')) : [];
    const out = tmp();
    const state = tmp('rsslab-state-');
    for (const d of [out, state]) {
      chownSync(d, NOBODY, NOBODY);
      chmodSync(d, 0o700);
    }
    const r = await execa(
      setpriv!,
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, CLI, 'run', 'madv-free', 'thp-khugepaged', '--quick', '--all-variants', '--tune-system', '--format', 'md', '--out', out],
      { reject: false, env: { CI: 'true', HOME: '/tmp', XDG_RUNTIME_DIR: '', RSSLAB_STATE_DIR: state }, extendEnv: false },
    );
    expect(r.exitCode, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const runs = ['madv-free', 'thp-khugepaged'].map((id) => JSON.parse(readFileSync(join(out, `${id}.json`), 'utf8')) as Run);
    expect(runs.every((run) => !run.machine.root)).toBe(true);

    const [madv, thp] = runs as [Run, Run];
    expect(madv.variants.map((v) => v.variant)).toEqual(['dontneed', 'free']);
    expect(madv.skipped).toEqual(
      ['free-pressure', 'none'].map((variant) => ({ variant, reason: expect.stringMatching(/memory cgroup.*needs root/) as unknown as string })),
    );
    const skippedThp = Object.fromEntries(thp.skipped.map((s) => [s.variant, s.reason]));
    expect(Object.keys(skippedThp).sort()).toEqual(['go-workaround', 'max-ptes-none-0', 'pressure', 'thp-always', 'thp-never']);
    for (const id of ['go-workaround', 'max-ptes-none-0', 'thp-always', 'thp-never']) expect(skippedThp[id], id).toMatch(/needs kernel knobs .*needs root/);
    expect(skippedThp.pressure).toMatch(/needs root/);
    // the khugepaged speed-up was not applied, and the Run says so; regrowth expectations are skipped, not failed
    expect(thp.systemLog.some((l) => /khugepaged is not sped up \(changing THP\/khugepaged settings needs root/.test(l))).toBe(true);
    for (const v of [...madv.variants, ...thp.variants]) {
      expect(v.status, v.variant).toBe('ok');
      expect(v.settings.knobs, v.variant).toEqual([]);
      expect(v.settings.cgroup, v.variant).toBeNull();
      expect(v.expectations.filter((e) => e.status === 'failed'), v.variant).toEqual([]);
      expect(v.expectations.filter((e) => e.status === 'held').length, v.variant).toBeGreaterThan(0);
    }
    // the terminal summary says what was skipped and why
    expect(r.stdout).toMatch(/skipped thp-always: needs kernel knobs \(enabled=always\): changing THP\/khugepaged settings needs root/);
    expect(r.stdout).toMatch(/skipped free-pressure: no memory cgroup can be created here: .*needs root/);

    // nothing changed: no journal anywhere, knobs and cgroups as they were, files owned by nobody
    expect(readdirSync(state)).toEqual([]);
    const runStateAfter = existsSync('/run/rsslab') ? readdirSync('/run/rsslab').filter((n) => n.startsWith('journal-')) : [];
    expect(runStateAfter.filter((n) => !runStateBefore.includes(n) && n.includes(`-${r.pid}-`))).toEqual([]);
    const now = await atRest();
    expect(now.knobs).toEqual(baseline.knobs);
    expect(now.cgroups).toEqual([]);
  });
});
