// A real quick run of the madv-free experiment (variants dontneed and free) through the runner's
// programmatic API: the input of the progress and browser tests. The runner spawns the compiled
// child (dist/src/lab/child.js), so these tests need `npm run build` first; they say so when skipped.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../../src/lab/events.js';
import type { Run } from '../../src/run/schema.js';

export const CHILD_JS = fileURLToPath(new URL('../../dist/src/lab/child.js', import.meta.url));
export const CHILD_MISSING = existsSync(CHILD_JS) ? null : `${CHILD_JS} is missing: run \`npm run build\` first`;

export async function quickMadvFreeRun(onEvent?: (e: RunEvent) => void): Promise<Run> {
  const { runExperiment } = await import('../../src/experiment-source.js');
  // no --tune-system: these two variants change nothing on the machine
  return runExperiment('madv-free', {
    quick: true,
    variants: ['dontneed', 'free'],
    tuneSystem: false,
    interactive: false,
    ...(onEvent ? { observer: onEvent } : {}),
    command: ['vitest', 'test/report'],
  });
}
