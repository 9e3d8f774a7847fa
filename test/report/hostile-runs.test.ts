// Issue 13 items 7 and 8: crafted Run files through the real `rsslab report` in a child process. Each
// reproducer ended in a heap abort, a stack overflow, a hang at full CPU, a TypeError reported as
// "cannot write reports", or escape sequences reaching the terminal; each must now be a clean refusal
// naming the field, or a correct report with every control shown as text.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, craftedCases, judgeCli, RAW_CONTROL } from '../../src/soak/hostile-runs.js';
import { syntheticRun } from '../../src/soak/synthetic-run.js';

const MISSING = existsSync(cliPath()) ? null : `${cliPath()} is missing: run \`npm run build\` first`;
if (MISSING) console.warn(`hostile Run tests skipped: ${MISSING}`);
const tmp = (): string => mkdtempSync(join(tmpdir(), 'rsslab-hostile-'));

describe.skipIf(MISSING !== null)('report - hostile Run files', () => {
  for (const c of craftedCases()) {
    it(`report - ${c.name}: ${'refused' in c.outcome ? 'refused cleanly, naming the field' : 'drawn, controls shown as text'}`, async () => {
      const dir = tmp();
      const file = join(dir, 'run.json');
      writeFileSync(file, c.text());
      const out = c.out ?? join(dir, 'out');
      const r = await judgeCli(['report', file, '--out', out], c.outcome, c.out ? null : out);
      expect(r.why).toBe('refused' in c.outcome ? 'refused' : 'drawn');
      expect(r.ok).toBe(true);
    }, 90_000);
  }

  it('report - a FIFO where report.html goes is refused, not opened (which would block)', async () => {
    const dir = tmp();
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify(syntheticRun({ samples: 50 })));
    const out = join(dir, 'out');
    execFileSync('mkdir', ['-p', out]);
    execFileSync('mkfifo', [join(out, 'report.html')]);
    const r = await judgeCli(['report', file, '--out', out], { refused: /report\.html exists and is not a regular file \(a FIFO\)/ }, null);
    expect(r.why).toBe('refused');
  }, 60_000);

  it('report - OSC 52 and screen clears in every string: shown as \\x1B text in the terminal and summary.md, escaped in the HTML', async () => {
    const c = craftedCases().find((x) => x.name.startsWith('screen clear'))!;
    const dir = tmp();
    const file = join(dir, 'run.json');
    writeFileSync(file, c.text());
    const out = join(dir, 'out');
    const { execa } = await import('execa');
    const r = await execa(process.execPath, [cliPath(), 'report', file, '--out', out], { reject: false, env: { CI: 'true' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain('\\x1B]52;c;');
    expect(r.stdout).toContain('T\\x1B[2J\\x1B[H');
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).not.toMatch(RAW_CONTROL);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    // inside the page the strings are data (escaped text or JSON): no raw ESC in markup, no tag from the Run
    expect(html.replace(/<script[\s\S]*?<\/script>/g, '')).not.toMatch(RAW_CONTROL);
  }, 60_000);

  it('report - markup in a label or title stays text in the HTML', async () => {
    const run = syntheticRun({ samples: 50 });
    run.experiment.title = '</script><script>alert(1)</script>';
    run.variants[0]!.label = '<img src=x onerror=alert(2)>';
    run.experiment.story[0]!.text = '<iframe src=javascript:alert(3)>';
    const dir = tmp();
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify(run));
    const { execa } = await import('execa');
    const r = await execa(process.execPath, [cliPath(), 'report', file, '--out', join(dir, 'out'), '--format', 'html'], { reject: false, env: { CI: 'true' } });
    expect(r.exitCode).toBe(0);
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<iframe src=javascript');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
  }, 60_000);
});

describe.skipIf(MISSING !== null)('compare - hostile Run files', () => {
  it('compare - variant ids, titles and notes with screen clears and OSC 52 reach the terminal as text, in text and md formats', async () => {
    const dir = tmp();
    const base = syntheticRun({ samples: 100, variants: 2 });
    const cand = syntheticRun({ samples: 100, variants: 2 });
    for (const r of [base, cand]) {
      r.variants[0]!.variant = 'v\u001b]52;c;cm0gLXJmIH4=\u0007';
      r.variants[1]!.variant = 'w\u001b[2J\u001b[H';
    }
    cand.experiment.params = { sizeBytes: 1, 'x\u001b[31m': 2 };
    cand.variants[1]!.metrics['rss@max\u009b2J'] = 5;
    writeFileSync(join(dir, 'b.json'), JSON.stringify(base));
    writeFileSync(join(dir, 'c.json'), JSON.stringify(cand));
    const { execa } = await import('execa');
    for (const format of ['text', 'md']) {
      const r = await execa(process.execPath, [cliPath(), 'compare', join(dir, 'b.json'), join(dir, 'c.json'), '--format', format], { reject: false, env: { CI: 'true' } });
      expect([0, 1]).toContain(r.exitCode);
      expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
      expect(r.stdout).toContain('\\x1B');
    }
  }, 60_000);
});
