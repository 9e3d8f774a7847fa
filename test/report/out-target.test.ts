// Where reports go, and what a renderer failure is called. Before: mkdir -p of /proc/x spun forever
// (Node's recursive mkdir retries ENOENT under /proc), and a renderer's TypeError was reported as
// "cannot write reports to <folder>", sending the user after a folder that was fine.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputTargetError, prepareOutDir } from '../../src/report/out-target.js';
import { ReportRenderError, writeReports } from '../../src/report/write.js';
import { syntheticRun } from '../../src/soak/synthetic-run.js';
import type { Run } from '../../src/run/schema.js';

describe('report output target', () => {
  it('prepareOutDir - /proc/x and /sys/x are refused at once, naming the filesystem', () => {
    const t0 = performance.now();
    expect(() => prepareOutDir('/proc/rsslab-x/y')).toThrow(/kernel's proc filesystem/);
    expect(() => prepareOutDir('/sys/fs/rsslab-x')).toThrow(/kernel's sysfs filesystem/);
    expect(existsSync('/proc/rsslab-x')).toBe(false);
    console.log(`refused in ${(performance.now() - t0).toFixed(1)} ms`);
  });
  it('prepareOutDir - creates missing levels; a file in the way is "not a folder"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-out-'));
    const made = prepareOutDir(join(dir, 'a', 'b', 'c'));
    expect(statSync(made).isDirectory()).toBe(true);
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => prepareOutDir(join(dir, 'file', 'sub'))).toThrow(OutputTargetError);
    expect(() => prepareOutDir(join(dir, 'file', 'sub'))).toThrow(/file is not a folder/);
  });
  it('writeReports - a Run a renderer cannot draw is a ReportRenderError naming the format, and nothing is written', async () => {
    const run = syntheticRun({ samples: 20 });
    // past validation (a library caller's own object): a variant without settings
    const broken = { ...run, variants: [{ ...run.variants[0]!, settings: undefined }] } as unknown as Run;
    const dir = join(mkdtempSync(join(tmpdir(), 'rsslab-out-')), 'reports');
    const err = await writeReports([broken], dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReportRenderError);
    expect((err as ReportRenderError).message).toMatch(/^cannot draw the html report: /);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});
