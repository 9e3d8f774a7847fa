// `rsslab validate [experiment…]`: run every selected replay variant and, right after it under the
// same settings, its real counterpart(s); then say per experiment whether the replay agrees with the
// real program (check/agreement.ts). Exit 0 when every experiment agrees, 1 when one disagrees or
// could not be compared (a missing toolchain leaves a replay unvalidated: CI must not pass on that),
// 2 on usage errors.
import { EXPERIMENT_IDS, loadExperiment } from '../../experiments/index.js';
import { experimentAgreement, type ExperimentAgreement } from '../check/agreement.js';
import { UsageError } from '../usage-error.js';
import { resolveExperiment } from '../experiment-source.js';
import { renderAgreementTerminal } from '../report/agreement.js';
import { runAndSave, type RunCliOptions } from './run.js';

export const VALIDATE_SCHEMA = 'rsslab.validate' as const;
export const VALIDATE_SCHEMA_VERSION = 1 as const;

export interface ValidateResult {
  schema: typeof VALIDATE_SCHEMA;
  schemaVersion: typeof VALIDATE_SCHEMA_VERSION;
  ok: boolean;
  experiments: ExperimentAgreement[];
  runs: string[];
}

/** Experiments with a real counterpart, in the registry's order. */
export async function validatableExperiments(): Promise<string[]> {
  const defs = await Promise.all(EXPERIMENT_IDS.map((id) => loadExperiment(id)));
  return defs.filter((d) => d.counterparts?.length).map((d) => d.id);
}

export async function validateCommand(experiments: string[], o: Omit<RunCliOptions, 'all' | 'real' | 'realOnly'>): Promise<number> {
  const withReal = await validatableExperiments();
  for (const id of experiments) {
    const def = (await resolveExperiment(id)).definition;
    if (!def.counterparts?.length) throw new UsageError(`experiment ${id} has no real counterpart to validate against; those with one: ${withReal.join(', ') || 'none'}`);
  }
  const ids = experiments.length ? experiments : withReal;
  if (ids.length === 0) throw new UsageError('no experiment declares a real counterpart');
  const { runs, dir } = await runAndSave(ids, o, 'both');
  const agreements = runs.map((r) => experimentAgreement(r));
  const ok = agreements.every((a) => a.verdict === 'agrees');
  if (o.json) {
    const result: ValidateResult = { schema: VALIDATE_SCHEMA, schemaVersion: VALIDATE_SCHEMA_VERSION, ok, experiments: agreements, runs: runs.map((r) => `${dir}/${r.experiment.id}.json`) };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    process.stdout.write('\n' + agreements.map(renderAgreementTerminal).join('\n'));
    process.stdout.write(`\n${ok ? 'All replays agree with their real programs.' : 'Some replay does not agree with its real program (or could not be compared): see above.'} Runs and reports in ${dir}.\n`);
  }
  return ok ? 0 : 1;
}
