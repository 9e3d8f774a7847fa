import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreJournal } from '../../src/system/journal.js';

describe('journal temporary files', () => {
  it('restoreJournal - removes the temporary journal of a run killed mid-write (its owner dead), keeps a live owner’s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-state-'));
    const dead = (await execa('sh', ['-c', 'echo $$'])).stdout.trim(); // a pid that has exited
    expect(existsSync(`/proc/${dead}`)).toBe(false);
    writeFileSync(join(dir, `journal-${dead}-1.json.tmp`), '{"half": ');
    writeFileSync(join(dir, `journal-${process.pid}-1.json.tmp`), '{"mine": ');
    const r = restoreJournal({ stateDir: dir });
    expect(r.restored).toEqual([]);
    expect(readdirSync(dir)).toEqual([`journal-${process.pid}-1.json.tmp`]);
  });
});
