// `npm run soak`'s own plumbing (the soak itself is not part of npm test): the lines it writes into
// docs/reliability.md replace only their own area's line between the markers, and an area whose file
// is missing on this branch is reported as "not present" instead of failing the soak.
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, updateReliabilityDoc } from '../../src/soak/doc.js';

const MAIN = join(import.meta.dirname, '../../dist/src/soak/main.js');

describe('soak main', () => {
  it('updateReliabilityDoc - replaces the area\'s line between the markers, keeps the prose and the other areas', () => {
    const before = `# Reliability\n\nprose stays\n\n${BEGIN}\n- **kills**: old figures\n- **fuzz**: fuzz figures\n${END}\n\nafter stays\n`;
    const after = updateReliabilityDoc(before, [{ area: 'kills', line: 'kills: 150 trials, 100% restored' }]);
    expect(after).toBe(`# Reliability\n\nprose stays\n\n${BEGIN}\n- **kills**: 150 trials, 100% restored\n- **fuzz**: fuzz figures\n${END}\n\nafter stays\n`);
    // no markers yet: the block is appended
    expect(updateReliabilityDoc('# R\n', [{ area: 'fuzz', line: 'fuzz: 1 call' }])).toBe(`# R\n\n${BEGIN}\n- **fuzz**: 1 call\n${END}\n`);
  });

  it('an area whose file is missing is "not present"; an unknown area is a usage error', async () => {
    const present = await execa(process.execPath, [MAIN, '--areas', 'fuzz,hostile-runs,workshop-load', '--no-write', '--scale', '0.01'], { reject: false });
    for (const area of ['fuzz', 'hostile-runs', 'workshop-load']) {
      // on a branch with the area's file its line has figures instead; either way one line per area
      expect(String(present.stdout).split('\n').filter((l) => l.startsWith(`${area}: `))).toHaveLength(1);
    }
    const unknown = await execa(process.execPath, [MAIN, '--areas', 'nope', '--no-write'], { reject: false });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown area\(s\) nope/);
  });
});
