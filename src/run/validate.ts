// Reading a Run validates it and names the first bad field, so a corrupt, truncated or
// future-version file gets a message a user can act on instead of a crash deep in a renderer.
import { READABLE_RUN_SCHEMA_VERSIONS, RUN_SCHEMA, RUN_SCHEMA_VERSION, type Run } from './schema.js';

export class RunFormatError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'RunFormatError';
  }
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'number|null' | 'string|null';

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function check(obj: Record<string, unknown>, path: string, fields: Record<string, Kind>): void {
  for (const [name, kind] of Object.entries(fields)) {
    const v = obj[name];
    const k = kindOf(v);
    const ok = kind.split('|').includes(k);
    if (!ok) {
      const where = `${path}.${name}`;
      throw new RunFormatError(`${where}: expected ${kind.replace('|', ' or ')}, found ${v === undefined ? 'nothing' : k}`, where);
    }
  }
}

function asObject(v: unknown, path: string): Record<string, unknown> {
  if (kindOf(v) !== 'object') throw new RunFormatError(`${path}: expected an object, found ${kindOf(v)}`, path);
  return v as Record<string, unknown>;
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
  const exp = asObject(run.experiment, 'run.experiment');
  check(exp, 'run.experiment', { id: 'string', title: 'string', summary: 'string', story: 'array', params: 'object', profile: 'string', headline: 'array', series: 'array' });
  if (exp.validation !== undefined && exp.validation !== null) checkValidation(exp.validation, 'run.experiment.validation');
  const machine = asObject(run.machine, 'run.machine');
  check(machine, 'run.machine', { kernel: 'string', pageSize: 'number', hugePageSize: 'number', root: 'boolean', thp: 'object', cgroup: 'object', features: 'object', allocators: 'array' });
  (run.variants as unknown[]).forEach((v, i) => {
    const path = `run.variants[${i}]`;
    const vr = asObject(v, path);
    check(vr, path, { variant: 'string', label: 'string', repeat: 'number', status: 'string', settings: 'object', marks: 'array', samples: 'array', reports: 'array', pageMaps: 'array', expectations: 'array', metrics: 'object' });
    if (vr.subject !== undefined) checkSubject(vr.subject, `${path}.subject`);
    if (!['ok', 'failed', 'skipped'].includes(vr.status as string)) {
      throw new RunFormatError(`${path}.status: expected ok, failed or skipped, found ${JSON.stringify(vr.status)}`, `${path}.status`);
    }
    (vr.marks as unknown[]).forEach((m, j) => check(asObject(m, `${path}.marks[${j}]`), `${path}.marks[${j}]`, { tMs: 'number', phase: 'string', label: 'string' }));
    (vr.samples as unknown[]).forEach((s, j) => {
      const sp = `${path}.samples[${j}]`;
      const so = asObject(s, sp);
      check(so, sp, { tMs: 'number', rssBytes: 'number', regions: 'object' });
    });
    (vr.reports as unknown[]).forEach((r, j) => check(asObject(r, `${path}.reports[${j}]`), `${path}.reports[${j}]`, { tMs: 'number', phase: 'string', values: 'object' }));
    (vr.pageMaps as unknown[]).forEach((p, j) =>
      check(asObject(p, `${path}.pageMaps[${j}]`), `${path}.pageMaps[${j}]`, { tMs: 'number', region: 'string', pageSize: 'number', pages: 'string' }),
    );
  });
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
