// Reading a Run validates it and names the first bad field, so a corrupt, truncated, future-version
// or crafted file gets a message a user can act on instead of a crash deep in a renderer. rsslab runs
// as root and a Run may come from anywhere: every field a renderer or a check reads is checked here
// (kind, finite numbers, entries of every list), and page maps are sized before anything expands them.
import { READABLE_RUN_SCHEMA_VERSIONS, RUN_SCHEMA, RUN_SCHEMA_VERSION, type Run } from './schema.js';
import { pageMapBudget, rlePageCount } from './pagemap-limits.js';

export class RunFormatError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'RunFormatError';
  }
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';
/** "string", "number|null", "string?" (may be absent) … */
type Spec = string;
type Obj = Record<string, unknown>;

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  // JSON.parse turns 1e999 into Infinity: no figure in a Run is infinite
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a non-finite number';
  return typeof v;
}

function fail(where: string, message: string): never {
  throw new RunFormatError(`${where}: ${message}`, where);
}

function checkField(obj: Obj, path: string, name: string, spec: Spec): void {
  const optional = spec.endsWith('?');
  const kinds = (optional ? spec.slice(0, -1) : spec).split('|') as Kind[];
  const has = Object.hasOwn(obj, name);
  if (!has && optional) return;
  const v = has ? obj[name] : undefined;
  const k = kindOf(v);
  if (!kinds.includes(k as Kind)) fail(`${path}.${name}`, `expected ${kinds.join(' or ')}, found ${v === undefined ? 'nothing' : k}`);
}

function check(obj: Obj, path: string, fields: Record<string, Spec>): void {
  for (const name of Object.keys(fields)) checkField(obj, path, name, fields[name]!);
}

function asObject(v: unknown, path: string): Obj {
  if (kindOf(v) !== 'object') fail(path, `expected an object, found ${kindOf(v)}`);
  return v as Obj;
}

/** Each entry of an array field is an object with these fields. */
function eachObject(list: unknown, path: string, fields: Record<string, Spec>, more?: (o: Obj, p: string) => void): void {
  (list as unknown[]).forEach((item, i) => {
    const p = `${path}[${i}]`;
    const o = asObject(item, p);
    check(o, p, fields);
    more?.(o, p);
  });
}

/** Each entry of an array field is of this kind. */
function eachOf(list: unknown, path: string, spec: Spec): void {
  const arr = list as unknown[];
  for (let i = 0; i < arr.length; i++) checkField(arr as unknown as Obj, path, String(i), spec);
}

/** Each value of an object field is of this kind. */
function eachValue(obj: unknown, path: string, spec: Spec): void {
  const o = obj as Obj;
  for (const k of Object.keys(o)) checkField(o, path, k, spec);
}

function oneOf(o: Obj, path: string, name: string, allowed: readonly string[]): void {
  if (!allowed.includes(o[name] as string)) fail(`${path}.${name}`, `expected ${allowed.join(', ')}, found ${JSON.stringify(o[name])}`);
}

// older Runs may lack some settings (renderers show '?'); present ones must have the right kind
const THP = { enabled: 'string|null?', defrag: 'string|null?', scanSleepMs: 'number|null?', pagesToScan: 'number|null?', maxPtesNone: 'number|null?' };
const EXPECTATION = { id: 'string', text: 'string', left: 'string', op: 'string', right: 'string|number', factor: 'number?', offset: 'number?', requires: 'array?', status: 'string', leftValue: 'number|null', rightValue: 'number|null', reason: 'string?' };
const SAMPLE = { tMs: 'number', rssBytes: 'number', pssBytes: 'number|null?', anonBytes: 'number|null?', anonHugeBytes: 'number|null?', lazyFreeBytes: 'number|null?', swapBytes: 'number|null?', regions: 'object', thp: 'object?', cgroup: 'object?', memFreeBytes: 'number?' };
const REGION = { sizeBytes: 'number', rssBytes: 'number', anonHugeBytes: 'number', lazyFreeBytes: 'number', swapBytes: 'number' };

function checkMachine(machine: Obj): void {
  const p = 'run.machine';
  check(machine, p, { hostname: 'string?', kernel: 'string', distro: 'string|null?', arch: 'string?', cpus: 'number?', memTotalBytes: 'number?', pageSize: 'number', hugePageSize: 'number', root: 'boolean', thp: 'object', cgroup: 'object', features: 'object', allocators: 'array', node: 'string?' });
  check(machine.thp as Obj, `${p}.thp`, THP);
  check(machine.cgroup as Obj, `${p}.cgroup`, { version: 'number|null?', memoryControllerPath: 'string|null?', writable: 'boolean?' });
  eachValue(machine.features, `${p}.features`, 'boolean');
  eachObject(machine.allocators, `${p}.allocators`, { name: 'string', library: 'string|null', version: 'string|null' });
}

function checkExperiment(exp: Obj): void {
  const p = 'run.experiment';
  check(exp, p, { id: 'string', title: 'string', seed: 'string|null?', summary: 'string', story: 'array', params: 'object', profile: 'string', headline: 'array', series: 'array' });
  eachObject(exp.story, `${p}.story`, { phase: 'string', title: 'string', text: 'string' });
  eachValue(exp.params, `${p}.params`, 'number|string|boolean');
  eachObject(exp.headline, `${p}.headline`, { metric: 'string', label: 'string' });
  eachOf(exp.series, `${p}.series`, 'string');
  if (exp.validation !== undefined && exp.validation !== null) checkValidation(exp.validation, `${p}.validation`);
}

function checkSettings(s: Obj, path: string): void {
  check(s, path, { thp: 'object', knobs: 'array', env: 'object', nodeArgs: 'array', thpDisable: 'boolean', allocator: 'object|null', cgroup: 'object|null', skippedSettings: 'array' });
  check(s.thp as Obj, `${path}.thp`, THP);
  eachObject(s.knobs, `${path}.knobs`, { path: 'string', from: 'string', to: 'string' });
  eachValue(s.env, `${path}.env`, 'string');
  eachOf(s.nodeArgs, `${path}.nodeArgs`, 'string');
  if (s.allocator !== null) check(s.allocator as Obj, `${path}.allocator`, { name: 'string', version: 'string|null', library: 'string|null' });
  if (s.cgroup !== null) check(s.cgroup as Obj, `${path}.cgroup`, { version: 'number', path: 'string', limitBytes: 'number' });
  eachObject(s.skippedSettings, `${path}.skippedSettings`, { what: 'string', reason: 'string' });
}

function checkVariant(vr: Obj, path: string): void {
  check(vr, path, { variant: 'string', label: 'string', description: 'string', repeat: 'number', status: 'string', failure: 'object?', startedAt: 'string', durationMs: 'number', settings: 'object', marks: 'array', samples: 'array', reports: 'array', pageMaps: 'array', sampler: 'object|null?', expectations: 'array', metrics: 'object', sampleLog: 'object?' });
  if (vr.sampleLog !== undefined) check(vr.sampleLog as Obj, `${path}.sampleLog`, { file: 'string|null', samples: 'number', kept: 'number', error: 'string?' });
  oneOf(vr, path, 'status', ['ok', 'failed', 'skipped']);
  if (vr.subject !== undefined) checkSubject(vr.subject, `${path}.subject`);
  if (vr.failure !== undefined) check(vr.failure as Obj, `${path}.failure`, { reason: 'string', exitCode: 'number|null', signal: 'string|null', stderrTail: 'string', timedOut: 'boolean' });
  checkSettings(vr.settings as Obj, `${path}.settings`);
  eachObject(vr.marks, `${path}.marks`, { tMs: 'number', phase: 'string', label: 'string' });
  eachObject(vr.samples, `${path}.samples`, SAMPLE, (s, p) => {
    for (const name of Object.keys(s.regions as Obj)) check(asObject((s.regions as Obj)[name], `${p}.regions.${name}`), `${p}.regions.${name}`, REGION);
    if (s.thp !== undefined) eachValue(s.thp, `${p}.thp`, 'number');
    if (s.cgroup !== undefined) eachValue(s.cgroup, `${p}.cgroup`, 'number|null');
  });
  eachObject(vr.reports, `${path}.reports`, { tMs: 'number', phase: 'string', values: 'object' }, (r, p) => eachValue(r.values, `${p}.values`, 'number|null'));
  eachObject(vr.pageMaps, `${path}.pageMaps`, { tMs: 'number', phase: 'string', region: 'string', pageSize: 'number', source: 'string', pages: 'string' });
  if (vr.sampler !== undefined && vr.sampler !== null) eachValue(vr.sampler, `${path}.sampler`, 'number');
  eachObject(vr.expectations, `${path}.expectations`, EXPECTATION, (e, p) => {
    oneOf(e, p, 'op', ['<', '<=', '>', '>=']);
    oneOf(e, p, 'status', ['held', 'failed', 'skipped']);
    if (e.requires !== undefined) eachOf(e.requires, `${p}.requires`, 'string');
  });
  eachValue(vr.metrics, `${path}.metrics`, 'number|null');
}

/** Page maps are run-length encoded: their decoded size is checked against the region before anything expands them. */
function checkPageMaps(variants: Obj[]): void {
  const budget = pageMapBudget();
  let total = 0;
  variants.forEach((vr, i) => {
    // the largest size any sample declared for each region, in bytes
    const declared = new Map<string, number>();
    for (const s of vr.samples as Array<{ regions: Record<string, { sizeBytes: number }> }>) {
      for (const name of Object.keys(s.regions)) declared.set(name, Math.max(declared.get(name) ?? 0, s.regions[name]!.sizeBytes));
    }
    (vr.pageMaps as Array<{ region: string; pageSize: number; pages: string }>).forEach((pm, j) => {
      const where = `run.variants[${i}].pageMaps[${j}]`;
      if (!(Number.isInteger(pm.pageSize) && pm.pageSize >= 1024 && pm.pageSize <= 1 << 30)) fail(`${where}.pageSize`, `expected a page size in bytes (e.g. 4096), found ${pm.pageSize}`);
      const size = declared.get(pm.region);
      const limit = Math.min(budget.perMap, size !== undefined ? Math.ceil(size / pm.pageSize) : budget.perMap);
      const counted = rlePageCount(pm.pages, limit);
      if (!counted.ok) fail(`${where}.pages`, `${counted.reason} — ${size !== undefined ? `region "${pm.region}" is ${size} bytes (${limit} pages of ${pm.pageSize} bytes)` : `at most ${limit} pages per map`}; the file is corrupt or crafted`);
      total += counted.pages;
      if (total > budget.perRun) fail(`${where}.pages`, `the page maps of this Run add up to more than ${budget.perRun} pages; the file is corrupt or crafted`);
    });
  });
}

function checkValidation(v: unknown, path: string): void {
  const o = asObject(v, path);
  check(o, path, { compare: 'array', rankBy: 'string|null', minRankCorrelation: 'number' });
  (o.compare as unknown[]).forEach((c, i) => {
    const cp = `${path}.compare[${i}]`;
    const co = asObject(c, cp);
    check(co, cp, { metric: 'string' });
    for (const k of ['relative', 'absolute'] as const) {
      if (co[k] !== undefined && (typeof co[k] !== 'number' || !Number.isFinite(co[k]) || (co[k] as number) < 0)) {
        throw new RunFormatError(`${cp}.${k}: expected a number ≥ 0, found ${JSON.stringify(co[k])}`, `${cp}.${k}`);
      }
    }
  });
}

function checkSubject(v: unknown, path: string): void {
  const s = asObject(v, path);
  if (s.kind === 'replay') return;
  if (s.kind !== 'real') throw new RunFormatError(`${path}.kind: expected replay or real, found ${JSON.stringify(s.kind)}`, `${path}.kind`);
  check(s, path, { counterpart: 'string', label: 'string', language: 'string', binarySha256: 'string', args: 'array' });
}

/** Validate parsed JSON as a Run; throws RunFormatError naming the first bad field. */
export function validateRun(json: unknown): Run {
  const run = asObject(json, 'run');
  if (run.schema !== RUN_SCHEMA) {
    throw new RunFormatError(`run.schema: expected "${RUN_SCHEMA}", found ${JSON.stringify(run.schema)} — this is not an rsslab Run file`, 'run.schema');
  }
  if (typeof run.schemaVersion !== 'number' || !READABLE_RUN_SCHEMA_VERSIONS.includes(run.schemaVersion)) {
    throw new RunFormatError(
      `run.schemaVersion: this rsslab reads version ${READABLE_RUN_SCHEMA_VERSIONS.join(' and ')} (writes ${RUN_SCHEMA_VERSION}), the file is version ${JSON.stringify(run.schemaVersion)} — use the rsslab version that wrote it (rsslabVersion ${JSON.stringify(run.rsslabVersion)})`,
      'run.schemaVersion',
    );
  }
  check(run, 'run', { rsslabVersion: 'string', kind: 'string', experiment: 'object', machine: 'object', startedAt: 'string', durationMs: 'number', variants: 'array', skipped: 'array', systemLog: 'array', command: 'array' });
  checkExperiment(run.experiment as Obj);
  checkMachine(run.machine as Obj);
  eachObject(run.skipped, 'run.skipped', { variant: 'string', reason: 'string' });
  eachOf(run.systemLog, 'run.systemLog', 'string');
  eachOf(run.command, 'run.command', 'string');
  const variants = run.variants as unknown[];
  variants.forEach((v, i) => checkVariant(asObject(v, `run.variants[${i}]`), `run.variants[${i}]`));
  checkPageMaps(variants as Obj[]);
  return json as Run;
}

/** Parse and validate the text of a Run file; `source` names the file in messages. */
export function parseRun(text: string, source: string): Run {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new RunFormatError(`${source}: not valid JSON (${why}) — the file is corrupt or was cut short; run the experiment again to get a new one`, 'run');
  }
  try {
    return validateRun(json);
  } catch (e) {
    if (e instanceof RunFormatError) throw new RunFormatError(`${source}: ${e.message}`, e.field);
    throw e;
  }
}
