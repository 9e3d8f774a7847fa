// `rsslab validate` end to end on the real kernel: thp-khugepaged's replay against the seed's C loop
// agrees (exit 0, the table printed, --json with its schema tag); with no compiler the replay is not
// validated (exit 1, with the apt-get line); usage errors exit 2.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, staleBuild } from '../experiments/helpers-kernel.js';
import { findExecutable } from '../../src/lab/toolchain.js';

const CLI = join(import.meta.dirname, '../../dist/src/cli.js');
const rsslab = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [CLI, ...args], { reject: false, env: { CI: 'true', ...env } });
const tmp = (name = 'validate') => mkdtempSync(join(tmpdir(), `rsslab-${name}-`));

const whySkip = !isRoot
  ? 'needs root: validate --tune-system speeds khugepaged up'
  : !existsSync('/sys/kernel/mm/transparent_hugepage/enabled')
    ? 'this kernel has no transparent huge pages'
    : !findExecutable('cc', process.env.PATH)
      ? 'no cc on PATH (apt-get install gcc)'
      : staleBuild('thp-khugepaged');
if (whySkip) console.warn(`skipping rsslab validate end to end: ${whySkip}`);

describe('rsslab validate', () => {
  it('usage - an experiment without a real counterpart exits 2 and names those with one; an unknown one exits 2', async (ctx) => {
    const list = (JSON.parse((await rsslab(['list', '--json'])).stdout) as { experiments: Array<{ id: string; counterparts: unknown[] }> }).experiments;
    const without = list.find((e) => e.counterparts.length === 0);
    if (without) {
      const r = await rsslab(['validate', without.id, '--out', tmp()]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`experiment ${without.id} has no real counterpart to validate against; those with one: .*thp-khugepaged`));
    } else ctx.annotate?.('every experiment has a real counterpart: the "no counterpart" message cannot be reached from the CLI');
    const u = await rsslab(['validate', 'nope', '--out', tmp()]);
    expect(u.exitCode).toBe(2);
    expect(u.stderr).toMatch(/unknown experiment "nope"/);
  });

  it.skipIf(whySkip !== null)('thp-khugepaged --quick --tune-system - the replay agrees with the seed\'s C loop: exit 0, JSON tagged rsslab.validate', async () => {
    const out = tmp();
    const r = await rsslab(['validate', 'thp-khugepaged', '--quick', '--tune-system', '--json', '--out', out]);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    const j = JSON.parse(r.stdout) as { schema: string; schemaVersion: number; ok: boolean; experiments: Array<{ experimentId: string; verdict: string; rows: Array<{ agrees: boolean }>; ranks: Array<{ correlation: number }> }> };
    expect(j).toMatchObject({ schema: 'rsslab.validate', schemaVersion: 1, ok: true });
    expect(j.experiments[0]).toMatchObject({ experimentId: 'thp-khugepaged', verdict: 'agrees' });
    // the five default variants (thp-always among them, with consent) × four compared sizes
    expect(j.experiments[0]!.rows.length).toBe(5 * 4);
    expect(j.experiments[0]!.ranks[0]!.correlation).toBeGreaterThanOrEqual(0.8);
    // the Run and the reports show both sides
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('Replay and real side by side: the replay agrees with the real program');
    const run = JSON.parse(readFileSync(join(out, 'thp-khugepaged.json'), 'utf8')) as { variants: Array<{ subject: { kind: string } }> };
    expect(run.variants.map((v) => v.subject.kind)).toEqual(['replay', 'real', 'replay', 'real', 'replay', 'real', 'replay', 'real', 'replay', 'real']);
  }, 900_000);

  it.skipIf(whySkip !== null)('with a PATH lacking cc - nothing is compared, the replay is not validated: exit 1 with apt-get install gcc', async () => {
    const r = await rsslab(['validate', 'thp-khugepaged', '--quick', '--variant', 'nohugepage', '--out', tmp()], { PATH: tmp('empty-path') });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/thp-khugepaged — .*: NOT VALIDATED: nothing to compare/);
    expect(r.stdout).toMatch(/nothing was compared .*apt-get install gcc/);
  }, 300_000);
});
