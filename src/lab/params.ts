// Experiment parameters: defaults, the quick profile, per-variant overrides and the user's
// --param key=value, validated against the experiment's ParamSpec with messages that name the fix.
import type { ExperimentDefinition, ParamSpec, ParamValue, Params } from './experiment.js';
export { parseBytes, parseDurationMs } from '../quantities.js';
import { parseBytes, parseDurationMs } from '../quantities.js';

function coerce(name: string, spec: ParamSpec, raw: ParamValue): ParamValue {
  let v: ParamValue = raw;
  if (typeof raw === 'string') {
    switch (spec.type) {
      case 'bytes':
        v = parseBytes(raw);
        break;
      case 'ms':
        v = parseDurationMs(raw);
        break;
      case 'int':
      case 'number':
        if (!/^\s*-?\d+(\.\d+)?\s*$/.test(raw)) throw new RangeError(`parameter ${name}: "${raw}" is not a number`);
        v = Number(raw);
        break;
      case 'boolean':
        if (!['true', 'false', '1', '0', 'yes', 'no'].includes(raw)) throw new RangeError(`parameter ${name}: "${raw}" is not true or false`);
        v = ['true', '1', 'yes'].includes(raw);
        break;
      case 'string':
        break;
    }
  }
  const expected = spec.type === 'boolean' ? 'boolean' : spec.type === 'string' ? 'string' : 'number';
  if (typeof v !== expected) throw new TypeError(`parameter ${name}: expected a ${expected}, got ${JSON.stringify(raw)}`);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`parameter ${name}: ${v} is not a finite number`);
    if ((spec.type === 'int' || spec.type === 'bytes' || spec.type === 'ms') && !Number.isInteger(v)) {
      throw new RangeError(`parameter ${name}: expected a whole number, got ${v}`);
    }
    if (spec.min !== undefined && v < spec.min) throw new RangeError(`parameter ${name}: ${v} is below the minimum ${spec.min}`);
    if (spec.max !== undefined && v > spec.max) throw new RangeError(`parameter ${name}: ${v} is above the maximum ${spec.max}`);
  }
  if (typeof v === 'string' && spec.choices && !spec.choices.includes(v)) {
    throw new RangeError(`parameter ${name}: "${v}" is not one of ${spec.choices.join(', ')}`);
  }
  return v;
}

/** Parse "key=value" strings from the command line. */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new RangeError(`--param "${a}": expected key=value, e.g. --param regionBytes=512MiB`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

/** defaults ← quick profile ← user overrides; every value checked against its spec. */
export function resolveParams(def: ExperimentDefinition<Params>, opts: { quick: boolean; overrides: Record<string, ParamValue> }): Params {
  const out: Params = {};
  for (const [name, spec] of Object.entries(def.params)) out[name] = spec.default;
  if (opts.quick) Object.assign(out, def.quick);
  for (const [name, raw] of Object.entries(opts.overrides)) {
    const spec = def.params[name];
    if (!spec) {
      throw new RangeError(`experiment ${def.id} has no parameter "${name}"; its parameters are: ${Object.keys(def.params).join(', ')}`);
    }
    out[name] = coerce(name, spec, raw);
  }
  return out;
}

/** A variant's own overrides on top of the resolved parameters (user overrides still win). */
export function variantParams(base: Params, variantOverrides: Partial<Params> | undefined, userOverrides: Record<string, ParamValue>): Params {
  const out: Params = { ...base };
  for (const [k, v] of Object.entries(variantOverrides ?? {})) {
    if (v !== undefined && !(k in userOverrides)) out[k] = v;
  }
  return out;
}
