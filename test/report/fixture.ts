// Runs captured on this project's machine (kernel 6.18, root): the renderers' input in unit tests.
import { readFileSync } from 'node:fs';
import { parseRun } from '../../src/run/validate.js';
import type { Run } from '../../src/run/schema.js';

export const FIXTURES = new URL('../fixtures/report/', import.meta.url);

/** madv-free, quick profile, variants dontneed and free, recorded with the runner on this machine. */
export function madvFreeRun(): Run {
  const path = new URL('madv-free-quick.run.json', FIXTURES);
  return parseRun(readFileSync(path, 'utf8'), path.pathname);
}

export function variantOf(run: Run, id: string): Run['variants'][number] {
  const v = run.variants.find((x) => x.variant === id);
  if (!v) throw new Error(`fixture has no variant ${id}`);
  return v;
}
