// Shared by the end-to-end tests of the allocator experiments (faiss-cycles, fragmentation,
// runtime-heap): a quick run of chosen variants through the runner's own API. These experiments
// change nothing on the machine (their knobs are environment variables of the child), so no consent
// is needed. They still hold rsslab's machine lock while they run, changing nothing: an untuned run
// takes no lock, so in a parallel suite it would otherwise be measured while another test's session has
// THP at "always" and khugepaged sped up (measured: jemalloc with dirty_decay_ms:0 then keeps 48 MiB
// after its cycles instead of ~2 MiB, because khugepaged refills the 2 MiB ranges it purged).
import { runExperiment } from '../../src/experiment-source.js';
import { withSystemLock } from '../../src/system/lock.js';
import type { ParamValue } from '../../src/lab/experiment.js';
import type { Run, VariantRun } from '../../src/run/schema.js';
import { skippedReason, variantOf } from './helpers-kernel.js';

export { metric, staleBuild, unheld, variantOf, MiB } from './helpers-kernel.js';

/** The quick profile of `variants`, with optional parameter overrides. */
export async function runQuickVariants(experimentId: string, variants: string[], params: Record<string, ParamValue> = {}): Promise<Run> {
  return withSystemLock(
    () =>
      runExperiment(experimentId, {
        quick: true,
        variants,
        params,
        tuneSystem: false,
        interactive: false,
        command: ['vitest', `test/experiments/${experimentId}.test.ts`],
      }),
    { waitMs: 15 * 60_000 },
  );
}

/**
 * The variant's result, or null with the reason printed when the runner skipped it (e.g. an allocator
 * library missing on this machine). A variant that ran must have run cleanly.
 */
export function ranOrSkip(run: Run, id: string): VariantRun | null {
  const reason = skippedReason(run, id);
  if (reason) {
    console.warn(`${run.experiment.id}/${id} skipped: ${reason}`);
    return null;
  }
  const v = variantOf(run, id)!;
  if (v.status !== 'ok') throw new Error(`${run.experiment.id}/${id} ${v.status}: ${JSON.stringify(v.failure)}`);
  return v;
}

/** A derived metric stored in the Run, failing loudly when missing. */
export function derived(v: VariantRun, name: string): number {
  const x = v.metrics[name];
  if (typeof x !== 'number') throw new Error(`variant ${v.variant}: no derived metric ${name}`);
  return x;
}

export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
