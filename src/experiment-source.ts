// Which experiment to run: a built-in by id, a user's own file by path, or a definition in hand.
// Resolved here, outside the lab, so the lab takes a definition and its module and knows no
// experiment by name.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXPERIMENT_IDS, experimentModule, isExperimentId, loadExperiment } from '../experiments/index.js';
import { checkDefinition } from './lab/definition-check.js';
import { definitionModule, type ExperimentDefinition, type Params } from './lab/experiment.js';
import { runDefinition, type RunOptions } from './lab/runner.js';
import { UsageError } from './usage-error.js';
import type { Run } from './run/schema.js';

export interface ExperimentSource {
  definition: ExperimentDefinition<Params>;
  /** file URL of the module whose default export is the definition */
  module: string;
}

/** A path (it has a slash or ends in .js/.mjs) names a user's file; anything else is a built-in id. */
export function isExperimentPath(arg: string): boolean {
  return arg.includes('/') || /\.m?js$/.test(arg);
}

export async function resolveExperiment(arg: string, cwd = process.cwd()): Promise<ExperimentSource> {
  if (isExperimentPath(arg)) return loadExperimentFile(arg, cwd);
  if (!isExperimentId(arg)) {
    throw new UsageError(`unknown experiment "${arg}"; the experiments are: ${EXPERIMENT_IDS.join(', ')} (see \`rsslab list\`), or give the path of your own experiment file (./my-experiment.mjs)`);
  }
  return { definition: await loadExperiment(arg), module: experimentModule(arg) };
}

/** Imports a user's experiment file; every way it can be wrong is a UsageError saying what to do. */
export async function loadExperimentFile(path: string, cwd = process.cwd()): Promise<ExperimentSource> {
  const file = resolve(cwd, path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no experiment file at ${file}`);
  const module = pathToFileURL(file).href;
  let mod: { default?: unknown };
  try {
    mod = (await import(module)) as { default?: unknown };
  } catch (e) {
    throw new UsageError(`cannot load the experiment file ${file}: ${(e as Error).message}`);
  }
  if (mod.default === undefined) throw new UsageError(`${file} has no default export; end it with \`export default defineExperiment({ … })\` (defineExperiment comes from 'rsslab')`);
  try {
    return { definition: checkDefinition(mod.default, file), module };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Runs an experiment: a built-in id ('madv-free'), the path of a user's file, or a definition made
 * with defineExperiment (its module is found where defineExperiment was called, or given as
 * `opts.module`).
 */
export async function runExperiment<P extends Params>(experiment: string | ExperimentDefinition<P>, opts: RunOptions = {}): Promise<Run> {
  if (typeof experiment === 'string') {
    const { definition, module } = await resolveExperiment(experiment);
    return runDefinition(definition, { ...opts, module });
  }
  const definition = checkDefinition(experiment);
  const module = opts.module ?? definitionModule(definition) ?? undefined;
  return runDefinition(definition, module ? { ...opts, module } : opts);
}
