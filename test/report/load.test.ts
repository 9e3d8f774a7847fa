import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuns, RunLoadError } from '../../src/report/load.js';
import { reportCommand } from '../../src/report/command.js';
import { FIXTURES } from './fixture.js';

const text = readFileSync(new URL('madv-free-quick.run.json', FIXTURES), 'utf8');

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rsslab-load-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

function sink(): NodeJS.WritableStream & { text: string } {
  const s = { text: '', write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WritableStream & { text: string };
}

describe('loading saved Runs', () => {
  it('loadRuns - a folder gives every Run under it and leaves other JSON aside', async () => {
    const dir = folder({ 'a/madv-free.json': text, 'baseline.json': '{"schema":"rsslab.baseline"}', 'notes.txt': 'x' });
    const { runs, ignored } = await loadRuns([dir]);
    expect(runs.map((r) => r.run.experiment.id)).toEqual(['madv-free']);
    expect(ignored).toEqual([join(dir, 'baseline.json')]);
  });

  it('loadRuns - a Run cut short names the file and says it is corrupt or truncated', async () => {
    const dir = folder({ 'cut.json': text.slice(0, Math.floor(text.length / 2)) });
    const err = await loadRuns([join(dir, 'cut.json')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunLoadError);
    expect((err as Error).message).toContain(join(dir, 'cut.json'));
    expect((err as Error).message).toMatch(/not valid JSON .*cut short/);
  });

  it('loadRuns - a newer schema version is refused with the version found', async () => {
    const future = JSON.stringify({ ...JSON.parse(text), schemaVersion: 3 });
    const dir = folder({ 'future.json': future });
    await expect(loadRuns([dir])).rejects.toThrow(/schemaVersion.*version 3/);
  });

  it('loadRuns - a missing path or a folder without Runs says what to do', async () => {
    await expect(loadRuns(['/nonexistent/rsslab'])).rejects.toThrow('/nonexistent/rsslab: no such file or folder');
    const empty = folder({ 'x.json': '{"name":"pkg"}' });
    await expect(loadRuns([empty])).rejects.toThrow(/no rsslab Run files in it .*rsslab run/);
    await expect(loadRuns([])).rejects.toThrow(/no Run files given/);
  });

  it('reportCommand - redraws a saved run into the folder: exit 0, files listed; bad input exit 2', async () => {
    const dir = folder({ 'madv-free.json': text });
    const out = sink();
    const err = sink();
    expect(await reportCommand([dir], { stdout: out, stderr: err, formats: 'html,csv' })).toBe(0);
    expect(out.text).toContain('madv-free — ');
    expect(out.text).toContain(join(dir, 'report.html'));
    expect(out.text).toContain(join(dir, 'samples.csv'));
    expect(readFileSync(join(dir, 'samples.csv'), 'utf8').split('\r\n')[0]).toMatch(/^experiment,variant/);
    expect(await reportCommand([join(dir, 'missing.json')], { stdout: out, stderr: err })).toBe(2);
    expect(err.text).toContain('missing.json: no such file or folder');
    expect(await reportCommand([dir], { stdout: out, stderr: err, formats: 'pdf' })).toBe(2);
  });
});
