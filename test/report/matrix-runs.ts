// Real Runs made under different settings on this machine, the input of the cross-machine report
// tests: the THP experiment with and without --tune-system (khugepaged at the machine's pace, or sped
// up and THP enabled=always for the variant that asks for it), and faiss-cycles' glibc variant with
// and without LD_PRELOAD=libjemalloc (the seed's "LD_PRELOAD=libjemalloc.so made it worse"). A copy
// with another recorded kernel and distribution stands for a second machine: a doctored fixture, and
// the tests that use it say so.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findAllocatorsSync } from '../../src/system/allocators.js';
import type { Run } from '../../src/run/schema.js';
import { openSystemSession } from '../../src/system/session.js';

export const jemalloc = findAllocatorsSync().find((a) => a.name === 'jemalloc' && a.found) ?? null;

async function run(id: string, variants: string[], tuneSystem: boolean): Promise<Run> {
  const { runExperiment } = await import('../../src/experiment-source.js');
  return runExperiment(id, { quick: true, variants, tuneSystem, interactive: false, command: ['vitest', 'test/report/matrix', tuneSystem ? '--tune-system' : ''] });
}

export async function thpRuns(): Promise<{ plain: Run; tuned: Run }> {
  // An untuned run changes nothing, so it takes no lock: on a shared machine it would be measured
  // under another run's sped-up khugepaged (its Run says so, as found). Holding rsslab's lock, changing
  // nothing, makes it measure the machine's own defaults.
  const session = await openSystemSession({ lockWaitMs: 20 * 60_000 });
  let plain: Run;
  try {
    plain = await run('thp-khugepaged', ['default', 'thp-always'], false);
  } finally {
    session.close();
  }
  const tuned = await run('thp-khugepaged', ['default', 'thp-always'], true);
  return { plain, tuned };
}

/** The glibc variant as written, then with the parent's LD_PRELOAD naming jemalloc (the child inherits it). */
export async function allocatorRuns(library: string): Promise<{ glibc: Run; preloaded: Run }> {
  // under rsslab's lock, so both see the machine's own knobs, not another run's
  const session = await openSystemSession({ lockWaitMs: 20 * 60_000 });
  const before = process.env.LD_PRELOAD;
  try {
    const glibc = await run('faiss-cycles', ['glibc'], false);
    process.env.LD_PRELOAD = library;
    return { glibc, preloaded: await run('faiss-cycles', ['glibc'], false) };
  } finally {
    if (before === undefined) delete process.env.LD_PRELOAD;
    else process.env.LD_PRELOAD = before;
    session.close();
  }
}

/** Doctored fixture: a copy of a real Run that says it came from another kernel and distribution. */
export function otherKernelCopy(run: Run, kernel = '5.15.0-fixture', distro = 'Ubuntu 22.04 (fixture)'): Run {
  const copy = structuredClone(run);
  copy.machine = { ...copy.machine, kernel, distro, hostname: 'fixture-runner' };
  return copy;
}

/** Runs laid out the way a CI matrix's downloaded artifacts are: runs/<job>/<experiment>.json */
export function writeArtifacts(dir: string, runs: Record<string, Run>): string {
  for (const [job, r] of Object.entries(runs)) {
    mkdirSync(join(dir, job), { recursive: true });
    writeFileSync(join(dir, job, `${r.experiment.id}.json`), JSON.stringify(r));
  }
  return dir;
}

/**
 * The fixture experiment thp-mode.mjs run twice with --tune-system, as if on a machine in THP "madvise"
 * mode and on one in "always". Each mode is a copy of the file with the mode written in (beside the
 * test output, inside the package so that `import 'rsslab'` resolves): one file per mode, because a
 * module is imported once per process.
 */
export async function thpModeRuns(): Promise<{ madvise: Run; always: Run }> {
  const { runExperiment } = await import('../../src/experiment-source.js');
  const text = readFileSync(fileURLToPath(new URL('../fixtures/experiments/thp-mode.mjs', import.meta.url)), 'utf8');
  const dir = fileURLToPath(new URL('../.out/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const once = async (mode: 'madvise' | 'always'): Promise<Run> => {
    const file = join(dir, `thp-mode-${mode}.mjs`);
    writeFileSync(file, text.replace(/^const mode = .*$/m, `const mode = '${mode}';`));
    return runExperiment(file, { quick: true, tuneSystem: true, interactive: false, command: ['vitest', 'thp-mode.mjs', mode] });
  };
  return { madvise: await once('madvise'), always: await once('always') };
}
