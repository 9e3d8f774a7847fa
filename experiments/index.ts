// The experiments rsslab ships, one file per real case. Loaded by id so that the child
// imports only the experiment it runs; the module URL is what the child imports.
import type { ExperimentDefinition, Params } from '../src/lab/experiment.js';

export const EXPERIMENT_IDS = ['thp-khugepaged', 'madv-free', 'faiss-cycles', 'runtime-heap', 'fragmentation'] as const;
export type ExperimentId = (typeof EXPERIMENT_IDS)[number];

export function isExperimentId(id: string): id is ExperimentId {
  return (EXPERIMENT_IDS as readonly string[]).includes(id);
}

/**
 * The file URL of a built-in experiment's compiled module, which the measured child (plain Node)
 * imports. Loaded from source (vitest runs experiments/index.ts), the compiled twin is in dist/.
 */
export function experimentModule(id: ExperimentId): string {
  const dir = import.meta.url.endsWith('.ts') ? new URL('../dist/experiments/', import.meta.url) : new URL('./', import.meta.url);
  return new URL(`${id}.js`, dir).href;
}

export async function loadExperiment(id: ExperimentId): Promise<ExperimentDefinition<Params>> {
  const mod = (await import(new URL(`./${id}.js`, import.meta.url).href)) as { default: ExperimentDefinition<Params> };
  return mod.default;
}
