// The experiments rsslab ships, one file per case of PHENOMENA.md. Loaded by id so that the child
// imports only the experiment it runs; the module URL is what the child imports.
import type { ExperimentDefinition, Params } from '../src/lab/experiment.js';

export const EXPERIMENT_IDS = ['thp-khugepaged', 'madv-free', 'faiss-cycles', 'runtime-heap', 'fragmentation'] as const;
export type ExperimentId = (typeof EXPERIMENT_IDS)[number];

export function isExperimentId(id: string): id is ExperimentId {
  return (EXPERIMENT_IDS as readonly string[]).includes(id);
}

/** The file URL of a built-in experiment's compiled module. */
export function experimentModule(id: ExperimentId): string {
  return new URL(`./${id}.js`, import.meta.url).href;
}

export async function loadExperiment(id: ExperimentId): Promise<ExperimentDefinition<Params>> {
  const mod = (await import(experimentModule(id))) as { default: ExperimentDefinition<Params> };
  return mod.default;
}
