// The shape of an experiment definition, checked where it enters the lab: a user's own file is
// plain JavaScript, so nothing but this check stands between a typo and a confusing failure deep in
// the runner (or in the measured child).
import type { ExperimentDefinition, Params } from './experiment.js';

// A TypeError: the input has the wrong shape (the CLI answers those with exit 2 and the message).
export class DefinitionError extends TypeError {
  override name = 'DefinitionError';
}

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const PARAM_TYPES = ['bytes', 'ms', 'int', 'number', 'boolean', 'string'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Returns the definition when it has the shape the runner needs, else throws a DefinitionError
 * naming every problem. `where` names the file in the message.
 */
export function checkDefinition(x: unknown, where?: string): ExperimentDefinition<Params> {
  const from = where ? ` in ${where}` : '';
  if (!isObject(x)) {
    throw new DefinitionError(`the experiment${from} is ${x === undefined ? 'missing (no default export?)' : `a ${Array.isArray(x) ? 'array' : typeof x}`}, not a definition: export default defineExperiment({ id, title, variants, expectations, body })`);
  }
  const problems: string[] = [];
  if (typeof x.id !== 'string' || !ID.test(x.id)) problems.push(`id must be lowercase letters, digits and dashes (it names the Run file), got ${JSON.stringify(x.id)}`);
  if (typeof x.title !== 'string' || x.title === '') problems.push('title must be a non-empty string');
  if (typeof x.body !== 'function') problems.push('body must be a function (async (ctx) => { … }): it runs in the measured child');
  if (typeof x.expectations !== 'function') problems.push('expectations must be a function (variant, params) => [ … ]');
  if (!Array.isArray(x.variants) || x.variants.length === 0) problems.push('variants must be a non-empty array of { id, label, description }');
  else {
    const seen = new Set<string>();
    x.variants.forEach((v: unknown, i) => {
      if (!isObject(v) || typeof v.id !== 'string' || !ID.test(v.id)) problems.push(`variants[${i}].id must be lowercase letters, digits and dashes`);
      else if (seen.has(v.id)) problems.push(`variants[${i}].id "${v.id}" appears twice`);
      else seen.add(v.id);
      if (isObject(v) && typeof v.label !== 'string') problems.push(`variants[${i}].label must be a string`);
    });
  }
  if (!isObject(x.params)) problems.push('params must be an object of { type, default, description }');
  else {
    for (const [k, spec] of Object.entries(x.params)) {
      if (!isObject(spec) || !PARAM_TYPES.includes(spec.type as string) || !('default' in spec)) problems.push(`params.${k} must be { type: ${PARAM_TYPES.join('|')}, default, description }`);
    }
  }
  if (!isObject(x.quick)) problems.push('quick must be an object (parameter overrides for --quick)');
  for (const k of ['story', 'headline', 'series'] as const) if (!Array.isArray(x[k])) problems.push(`${k} must be an array`);
  if (x.metrics !== undefined && typeof x.metrics !== 'function') problems.push('metrics must be a function when given');
  if (x.timeoutMs !== undefined && typeof x.timeoutMs !== 'function') problems.push('timeoutMs must be a function (params) => ms when given');
  if (x.speedUp !== undefined && isObject(x.speedUp) && x.speedUp.from !== undefined && (typeof x.speedUp.from !== 'string' || x.speedUp.from === '')) {
    problems.push(`speedUp.from must be the id of a phase (its mark applies the knobs), got ${JSON.stringify(x.speedUp.from)}`);
  }
  if (problems.length) {
    const hint = typeof x.body === 'function' && problems.some((p) => /^(params|quick|story|headline|series) /.test(p)) ? " (defineExperiment() from 'rsslab' fills in params, quick, story, headline and series)" : '';
    throw new DefinitionError(`the experiment${from} is not a valid definition: ${problems.join('; ')}${hint}`);
  }
  return x as unknown as ExperimentDefinition<Params>;
}
