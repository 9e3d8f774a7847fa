import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { judge } from '../../src/check/expectations.js';
import { madvFreeRun, variantOf } from './fixture.js';

describe('markdown summary', () => {
  it('markdown - one table row per variant with its headline figures in binary units', () => {
    const run = madvFreeRun();
    const md = renderMarkdown([run]);
    const header = md.split('\n').find((l) => l.startsWith('| variant |'))!;
    for (const h of run.experiment.headline) expect(header).toContain(h.label);
    const free = md.split('\n').find((l) => l.startsWith('| free (MADV\\_FREE'))!;
    // measured on this machine: after MADV_FREE the 64 MiB region stays resident, LazyFree 63.9 MiB
    expect(free).toContain('| 64.0 MiB | 64.0 MiB | 63.9 MiB |');
    const dontneed = md.split('\n').find((l) => l.startsWith('| dontneed (MADV\\_DONTNEED'))!;
    expect(dontneed).toContain('| 64.0 MiB | 0 B |');
    expect(md).toContain('Linux 6.18');
    expect(md).toMatch(/Expectations: all \d+ held\./);
  });

  it('markdown - a failed expectation is listed with both sides formatted', () => {
    const run = madvFreeRun();
    const free = variantOf(run, 'free');
    // the DONTNEED expectation judged on the MADV_FREE data fails for real: RSS did not drop
    const rssDrops = variantOf(run, 'dontneed').expectations.find((e) => e.id === 'rss-drops')!;
    free.expectations = judge(free, [{ id: rssDrops.id, text: rssDrops.text, left: rssDrops.left, op: rssDrops.op, right: rssDrops.right, factor: rssDrops.factor }]);
    expect(free.expectations[0]!.status).toBe('failed');
    const md = renderMarkdown([run]);
    expect(md).toContain('not held:');
    expect(md).toMatch(/✗ \*\*free\*\*: MADV\\_DONTNEED drops RSS at once — `region\.main\.rss@end:free = 64\.0 MiB <= 3\.2 MiB \(0\.05 × 64\.0 MiB\)`/);
  });

  it('markdown - text from the Run cannot break a table or inject HTML', () => {
    const run = madvFreeRun();
    variantOf(run, 'free').label = 'evil | <script>alert(1)</script>\nnext';
    const md = renderMarkdown([run]);
    const row = md.split('\n').find((l) => l.includes('evil'))!;
    expect(row).toContain('evil \\| \\<script\\>alert(1)\\</script\\> next');
    expect(md).not.toContain('<script>');
    // still one cell per column
    const cells = (l: string): number => l.split(/(?<!\\)\|/).length;
    expect(cells(row)).toBe(cells(md.split('\n').find((l) => l.startsWith('| variant |'))!));
  });
});
