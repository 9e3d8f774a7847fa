// The lab takes definitions: no module under src/lab imports the registry of built-in experiments
// (experiments/), and none names a built-in experiment — what differs between experiments is a
// declarative field of the definition (speedUp.what, a parameter's `pressure` flag).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPERIMENT_IDS } from '../../experiments/index.js';
import { pressureOutsideCgroup } from '../../src/lab/limits.js';

const LAB = join(import.meta.dirname, '../../src/lab');
const sources = readdirSync(LAB).filter((f) => f.endsWith('.ts')).map((f) => ({ f, text: readFileSync(join(LAB, f), 'utf8') }));

describe('the lab knows no experiment by name', () => {
  it('structure - nothing in src/lab imports experiments/ or names a built-in experiment id', () => {
    expect(sources.length).toBeGreaterThan(10);
    for (const { f, text } of sources) {
      expect(text, f).not.toMatch(/from ['"][./]*experiments\//);
      expect(text, f).not.toMatch(/import\(['"`][./]*experiments\//);
      for (const id of EXPERIMENT_IDS) expect(text, `${f} names ${id}`).not.toContain(id);
      expect(text, f).not.toMatch(/params\.pressure/);
    }
  });

  it('limits - a parameter the definition marks as pressure is refused outside a cgroup, whatever its name', () => {
    const def = { params: { squeeze: { type: 'boolean' as const, default: false, description: '', pressure: true }, pressure: { type: 'boolean' as const, default: false, description: '' } } };
    expect(pressureOutsideCgroup(def, { squeeze: true }, false, null)).toMatch(/squeeze=true on a variant without a cgroup would squeeze the whole machine/);
    // a parameter merely named "pressure" is not one unless the definition says so
    expect(pressureOutsideCgroup(def, { pressure: true }, false, null)).toBeNull();
    expect(pressureOutsideCgroup(def, { squeeze: true }, false, 64 << 20)).toBeNull();
  });
});
