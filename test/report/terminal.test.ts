import { describe, expect, it } from 'vitest';
import { renderTerminalSummary } from '../../src/report/terminal.js';
import { resampleMax, sparkline } from '../../src/report/sparkline.js';
import { judge } from '../../src/check/expectations.js';
import { madvFreeRun, variantOf } from './fixture.js';

const ESC = '\u001b';

describe('terminal summary', () => {
  it('terminal - a table of variants × headline figures, no colour codes without a TTY', () => {
    const run = madvFreeRun();
    const out = renderTerminalSummary([run], { color: false });
    expect(out).not.toContain(ESC);
    expect(out).toContain('madv-free — ');
    const freeRow = out.split('\n').find((l) => l.startsWith('│ free '))!;
    expect(freeRow).toMatch(/│ 64\.0 MiB\s+│ 64\.0 MiB\s+│ 63\.9 MiB\s+│ 48\.0 MiB/);
    expect(freeRow).toMatch(/\d+ ✓/);
    const colored = renderTerminalSummary([run], { color: true });
    expect(colored).toContain(`${ESC}[32m`);
  });

  it('terminal - one RSS sparkline per variant on a shared scale: MADV_FREE stays high, DONTNEED falls', () => {
    const run = madvFreeRun();
    const lines = renderTerminalSummary([run], { color: false, sparkWidth: 40 }).split('\n');
    const spark = (id: string): string => lines.find((l) => l.startsWith(`  ${id} `))!.trim().split(/\s+/)[1]!;
    const free = spark('free');
    const dontneed = spark('dontneed');
    expect(free.length).toBeLessThanOrEqual(40);
    // after its peak the free variant ends at the top block; dontneed's last cell is well below its peak
    expect(free.endsWith('█')).toBe(true);
    expect(dontneed.endsWith('█')).toBe(false);
  });

  it('terminal - failed and skipped expectations are listed with formatted values and reasons', () => {
    const run = madvFreeRun();
    const free = variantOf(run, 'free');
    const rssDrops = variantOf(run, 'dontneed').expectations.find((e) => e.id === 'rss-drops')!;
    free.expectations = judge(free, [{ ...rssDrops }, { ...rssDrops, id: 'needs', requires: ['speedUp'] }], { speedUp: 'khugepaged not sped up' });
    run.skipped.push({ variant: 'pressure', reason: 'needs a memory cgroup: no --tune-system' });
    const out = renderTerminalSummary([run], { color: false });
    expect(out).toContain('✗ free: MADV_DONTNEED drops RSS at once — region.main.rss@end:free = 64.0 MiB <= 3.2 MiB (0.05 × 64.0 MiB)');
    expect(out).toContain('skipped: khugepaged not sped up');
    expect(out).toContain('skipped pressure: needs a memory cgroup: no --tune-system');
  });

  it('sparkline - resampling keeps the peak of each cell and carries values over empty cells', () => {
    const cells = resampleMax([{ tMs: 0, value: 1 }, { tMs: 10, value: 9 }, { tMs: 11, value: 2 }, { tMs: 100, value: 5 }], 10, 0, 100);
    expect(cells[1]).toBe(9);
    expect(cells[5]).toBe(9);
    expect(cells[9]).toBe(5);
    expect(sparkline([0, 4, 8, null], 0, 8)).toBe('▁▅█ ');
  });
});
