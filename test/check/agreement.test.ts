// The agreement logic of `rsslab validate`, on a Run captured on this machine (thp-khugepaged, quick,
// replay and the seed's C loop, samples and page maps stripped: agreement reads figures, marks and
// expectations) and on doctored copies of it: a figure beyond its tolerance, variants in another
// order, a failed real run, an expectation only one side meets, nothing to compare.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentAgreement, figuresAgree, rankCorrelation, tieRanks } from '../../src/check/agreement.js';
import { parseRun } from '../../src/run/validate.js';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { renderAgreementTerminal } from '../../src/report/agreement.js';
import { renderRunMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/validate/thp-khugepaged-quick-real.json');
const MiB = 1 << 20;
const fresh = (): Run => parseRun(readFileSync(FIXTURE, 'utf8'), FIXTURE);
const realOf = (run: Run, id: string): VariantRun => run.variants.find((v) => v.variant === id && v.subject?.kind === 'real')!;

describe('replay vs real agreement', () => {
  it('captured run - every figure of the four default variants agrees and the variants rank the same (Spearman 1)', () => {
    const a = experimentAgreement(fresh());
    expect(a.verdict).toBe('agrees');
    expect(a.problems).toEqual([]);
    expect(a.rows).toHaveLength(4 * 5);
    expect(a.rows.every((r) => r.agrees)).toBe(true);
    const idle = a.rows.find((r) => r.variant === 'default' && r.metric === 'region.main.rss@end:idle')!;
    expect(idle).toMatchObject({ replay: 64 * MiB, real: 64 * MiB, diff: 0, allowed: 6.4 * MiB });
    expect(a.ranks).toEqual([
      expect.objectContaining({ counterpart: 'thp-loop', variants: ['default', 'nohugepage', 'thp-disable', 'max-ptes-none-0'], replayRanks: [4, 2, 2, 2], realRanks: [4, 2, 2, 2], correlation: 1, agrees: true }),
    ]);
  });

  it('doctored - a real figure beyond its tolerance makes the replay disagree, naming the figure', () => {
    const run = fresh();
    realOf(run, 'default').metrics['region.main.rss@end:idle'] = 40 * MiB; // replay 64 MiB, allowed ±4 MiB
    const a = experimentAgreement(run);
    expect(a.verdict).toBe('disagrees');
    const row = a.rows.find((r) => r.variant === 'default' && r.metric === 'region.main.rss@end:idle')!;
    expect(row).toMatchObject({ agrees: false, diff: 24 * MiB, allowed: 4 * MiB });
    expect(a.problems).toEqual(['default: RSS after idle differs beyond the tolerance (replay 67108864, real 41943040)']);
    // the ranking by that figure still agrees: default is still the one that regrew
    expect(a.ranks[0]!.agrees).toBe(true);
  });

  it('doctored - just inside the tolerance still agrees (the bound is |replay − real| ≤ max(absolute, relative × real))', () => {
    const run = fresh();
    realOf(run, 'nohugepage').metrics['region.main.rss@end:free'] = 131072 + 2 * MiB;
    expect(experimentAgreement(run).verdict).toBe('agrees');
    realOf(run, 'nohugepage').metrics['region.main.rss@end:free'] = 131072 + 2 * MiB + 4096;
    expect(experimentAgreement(run).verdict).toBe('disagrees');
  });

  it('doctored - variants in the reverse order are a rank inversion below the minimum correlation', () => {
    const run = fresh();
    run.experiment.validation = { compare: [{ metric: 'region.main.rss@end:touch', relative: 0.02 }], rankBy: 'region.main.anonHuge@end:idle', minRankCorrelation: 0.8 };
    realOf(run, 'default').metrics['region.main.anonHuge@end:idle'] = 0;
    for (const id of ['nohugepage', 'thp-disable', 'max-ptes-none-0']) realOf(run, id).metrics['region.main.anonHuge@end:idle'] = 64 * MiB;
    const a = experimentAgreement(run);
    expect(a.rows.every((r) => r.agrees)).toBe(true);
    expect(a.ranks[0]).toMatchObject({ replayRanks: [4, 2, 2, 2], realRanks: [1, 3, 3, 3], correlation: -1, agrees: false });
    expect(a.verdict).toBe('disagrees');
    expect(a.problems).toEqual(['the variants rank differently by AnonHugePages after idle: Spearman -1.00 < 0.8 (real thp-loop)']);
  });

  it('doctored - a failed real run, or an expectation the real program misses, is a disagreement', () => {
    const run = fresh();
    Object.assign(realOf(run, 'thp-disable'), { status: 'failed', failure: { reason: 'the child exited with code 1 before finishing', exitCode: 1, signal: null, stderrTail: '', timedOut: false } });
    const failed = experimentAgreement(run);
    expect(failed.verdict).toBe('disagrees');
    expect(failed.problems).toContain('thp-disable (real thp-loop) failed: the child exited with code 1 before finishing');
    const run2 = fresh();
    const e = realOf(run2, 'default').expectations.find((x) => x.id === 'regrows')!;
    e.status = 'failed';
    expect(experimentAgreement(run2).problems).toEqual(['default: expectation "regrows" held for the replay but failed for the real thp-loop']);
  });

  it('nothing to compare - counterparts skipped (no cc) leave the experiment not validated, with the apt-get line', () => {
    const run = fresh();
    run.variants = run.variants.filter((v) => v.subject?.kind !== 'real');
    run.skipped = [{ variant: 'default', counterpart: 'thp-loop', reason: 'counterpart thp-loop needs the c compiler `cc`, which is not on PATH: apt-get install gcc' }];
    const a = experimentAgreement(run);
    expect(a.verdict).toBe('not-validated');
    expect(a.problems[0]).toMatch(/nothing was compared .*apt-get install gcc/);
    const skippedVariant = fresh();
    skippedVariant.variants = skippedVariant.variants.filter((v) => v.variant !== 'max-ptes-none-0');
    skippedVariant.skipped = [{ variant: 'max-ptes-none-0', reason: 'needs kernel knobs changed (khugepaged/max_ptes_none=0): no --tune-system' }];
    const partial = experimentAgreement(skippedVariant);
    expect(partial.verdict).toBe('agrees');
    expect(partial.notes).toEqual(['max-ptes-none-0 not compared: the variant was skipped (needs kernel knobs changed (khugepaged/max_ptes_none=0): no --tune-system)']);
    run.experiment.validation = null;
    expect(experimentAgreement(run).problems).toEqual(['the experiment states no validation (tolerances) to check against']);
  });

  it('ranks - ties within the tolerance share their average rank; Spearman over them', () => {
    expect(tieRanks([131072, 64 * MiB, 135168, 131072], { metric: 'x', absolute: MiB })).toEqual([2, 4, 2, 2]);
    expect(tieRanks([3, 1, 2], { metric: 'x' })).toEqual([3, 1, 2]);
    expect(rankCorrelation([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(rankCorrelation([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(rankCorrelation([2, 2, 2], [2, 2, 2])).toBe(1);
    expect(rankCorrelation([2, 2, 2], [1, 2, 3])).toBe(0);
    expect(rankCorrelation([1, 2], [1, 2])).toBeNull();
    expect(figuresAgree({ metric: 'metric.regrowMs', absolute: 5000 }, null, null)).toBe(true);
    expect(figuresAgree({ metric: 'metric.regrowMs', absolute: 5000 }, 300, null)).toBe(false);
  });

  it('render - terminal and Markdown show replay and real side by side with the difference and tolerance', () => {
    const a = experimentAgreement(fresh());
    const text = renderAgreementTerminal(a);
    expect(text).toMatch(/^thp-khugepaged — .*: the replay agrees with the real program/);
    expect(text).toMatch(/default +│ RSS after idle +│ 64\.0 MiB +│ 64\.0 MiB +│ 0 B +│ ±6\.4 MiB \(10% or 4\.0 MiB\) │ yes/);
    expect(text).toMatch(/Spearman 1\.00 \(agrees at ≥ 0\.8\): same order/);
    const md = renderRunMarkdown(fresh());
    expect(md).toContain('#### Replay and real side by side: the replay agrees with the real program');
    expect(md).toContain('| default | RSS after idle | 64.0 MiB | 64.0 MiB | 0 B | ±6.4 MiB (10% or 4.0 MiB) | yes |');
    const html = renderHtml([fresh()]);
    expect(html).toContain('<h3>Replay and real side by side: the replay agrees with the real program</h3>');
    expect(html).toMatch(/<td>default<\/td><td>RSS after idle<\/td><td>64\.0 MiB<\/td><td>64\.0 MiB<\/td>/);
    // the real run's RSS line is drawn beside the replay's
    expect(html).toContain('default — real (thp-loop)');
  });
});
