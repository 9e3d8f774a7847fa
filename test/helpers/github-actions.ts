// A small, strict stand-in for a GitHub Actions runner, for running a workflow documented in this
// package's docs AS WRITTEN. GitHub is unreachable from a test, so:
//   - every `run:` step runs the way GitHub runs it: its script in a file, `bash -e {0}` (the default
//     shell on Linux; `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`), in the workspace or
//     its `working-directory`, with the workflow's, job's and step's `env`, CI=true, GITHUB_ACTIONS,
//     GITHUB_WORKSPACE, GITHUB_EVENT_NAME, RUNNER_TEMP, and GITHUB_STEP_SUMMARY / GITHUB_OUTPUT /
//     GITHUB_ENV pointing at a fresh file per step (the job summary is the steps' files in order);
//   - `if:` is evaluated for the expressions the docs use — status functions, `steps.<id>.outcome`,
//     `.conclusion`, `.outputs.<name>`, `github.event_name`, compared with == or != to a string and
//     joined by && — with GitHub's rule that an `if:` without a status function means `success() && …`;
//     anything else throws, so a doc that grows an expression this runner cannot evaluate fails the test;
//   - `continue-on-error: true` keeps the step's outcome (failure) but makes its conclusion success;
//   - a `uses:` step runs the stand-in the test supplies for that action (by name without @version);
//     a `uses:` with no stand-in throws. `${{ }}` in a run script throws (the docs keep them out of
//     scripts; in `with:` they are passed to the stand-in unevaluated).
// Commands the network would serve (sudo, apt-get, npm ci) are replaced by the test through PATH.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  env?: Record<string, string | number | boolean>;
  with?: Record<string, string | number | boolean>;
  'continue-on-error'?: boolean;
  'working-directory'?: string;
}

export interface Job {
  if?: string;
  env?: Record<string, string | number | boolean>;
  steps: Step[];
}

export interface Workflow {
  env?: Record<string, string | number | boolean>;
  jobs: Record<string, Job>;
}

export interface StepResult {
  label: string;
  id: string | undefined;
  skipped: boolean;
  outcome: 'success' | 'failure' | 'skipped';
  conclusion: 'success' | 'failure' | 'skipped';
  exitCode: number | null;
  outputs: Record<string, string>;
  summary: string;
  log: string;
}

export interface JobResult {
  skipped: boolean;
  conclusion: 'success' | 'failure' | 'skipped';
  steps: StepResult[];
  /** the job's summary page: every step's GITHUB_STEP_SUMMARY file, in order */
  summary: string;
}

export interface ActionContext {
  workspace: string;
  with: Record<string, string>;
  env: Record<string, string>;
}

/** A stand-in for an action: does in the workspace what the action would leave behind; throws on failure. */
export type ActionStandIn = (ctx: ActionContext) => Promise<void> | void;

export interface RunJobOptions {
  workspace: string;
  /** a folder for the per-step files and RUNNER_TEMP */
  runnerTemp: string;
  eventName: string;
  actions: Record<string, ActionStandIn>;
  /** env laid over the workflow's own (e.g. smaller sizes), said by the caller */
  envOverrides?: Record<string, string>;
  /** PATH entries put first (stand-in commands) */
  pathPrefix?: string[];
  timeoutMs?: number;
}

/** The first ```yaml block of a Markdown page that holds `jobs:`, parsed. */
export function workflowFromMarkdown(markdownPath: string): Workflow {
  const text = readFileSync(markdownPath, 'utf8');
  for (const m of text.matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
    const doc = parse(m[1]!) as Workflow | null;
    if (doc && typeof doc === 'object' && doc.jobs) return doc;
  }
  throw new Error(`${markdownPath}: no YAML block with jobs: in it`);
}

const str = (v: string | number | boolean): string => String(v);

function envOf(...maps: Array<Record<string, string | number | boolean> | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) out[k] = str(v);
  return out;
}

interface ExprContext {
  steps: Map<string, StepResult>;
  eventName: string;
  failed: boolean;
}

function evalTerm(term: string, ctx: ExprContext): boolean | string {
  const t = term.trim();
  if (t === 'always()') return true;
  if (t === 'success()') return !ctx.failed;
  if (t === 'failure()') return ctx.failed;
  if (t === 'cancelled()') return false;
  const cmp = /^(.+?)\s*(==|!=)\s*'([^']*)'$/.exec(t);
  if (cmp) {
    const left = value(cmp[1]!.trim(), ctx);
    return cmp[2] === '==' ? left === cmp[3] : left !== cmp[3];
  }
  throw new Error(`if: "${term}": not an expression this stand-in runner evaluates`);
}

function value(ref: string, ctx: ExprContext): string {
  if (ref === 'github.event_name') return ctx.eventName;
  const m = /^steps\.([A-Za-z0-9_-]+)\.(outcome|conclusion|outputs\.([A-Za-z0-9_-]+))$/.exec(ref);
  if (!m) throw new Error(`if: "${ref}": not a reference this stand-in runner knows`);
  const step = ctx.steps.get(m[1]!);
  if (!step) return '';
  if (m[3]) return step.outputs[m[3]] ?? '';
  return m[2] === 'outcome' ? step.outcome : step.conclusion;
}

export function evaluateIf(expression: string | undefined, ctx: ExprContext): boolean {
  if (expression === undefined) return !ctx.failed;
  const e = expression.replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
  const terms = e.split('&&');
  const hasStatus = /\b(always|success|failure|cancelled)\(\)/.test(e);
  const all = terms.every((t) => evalTerm(t, ctx) === true);
  return hasStatus ? all : !ctx.failed && all;
}

/** key=value lines, and key<<DELIM … DELIM blocks, as GitHub reads GITHUB_OUTPUT and GITHUB_ENV. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

export async function runJob(workflow: Workflow, jobName: string, o: RunJobOptions): Promise<JobResult> {
  const job = workflow.jobs[jobName];
  if (!job) throw new Error(`no job ${jobName} in the workflow`);
  const ctx: ExprContext = { steps: new Map(), eventName: o.eventName, failed: false };
  const result: JobResult = { skipped: false, conclusion: 'success', steps: [], summary: '' };
  if (!evaluateIf(job.if, ctx)) return { ...result, skipped: true, conclusion: 'skipped' };
  mkdirSync(o.runnerTemp, { recursive: true });
  let addedEnv: Record<string, string> = {};
  let index = 0;
  for (const step of job.steps) {
    index++;
    const label = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? `step ${index}`;
    const r: StepResult = { label, id: step.id, skipped: false, outcome: 'success', conclusion: 'success', exitCode: 0, outputs: {}, summary: '', log: '' };
    if (!evaluateIf(step.if, ctx)) {
      Object.assign(r, { skipped: true, outcome: 'skipped', conclusion: 'skipped', exitCode: null });
    } else {
      const files = { summary: join(o.runnerTemp, `summary-${index}.md`), output: join(o.runnerTemp, `output-${index}`), env: join(o.runnerTemp, `env-${index}`) };
      for (const f of Object.values(files)) writeFileSync(f, '');
      const env: Record<string, string> = {
        ...envOf(workflow.env, job.env),
        ...(o.envOverrides ?? {}),
        ...addedEnv,
        ...envOf(step.env),
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: o.workspace,
        GITHUB_EVENT_NAME: o.eventName,
        RUNNER_TEMP: o.runnerTemp,
        GITHUB_STEP_SUMMARY: files.summary,
        GITHUB_OUTPUT: files.output,
        GITHUB_ENV: files.env,
        PATH: [...(o.pathPrefix ?? []), process.env.PATH ?? '/usr/bin:/bin'].join(':'),
        HOME: process.env.HOME ?? '/root',
      };
      if (step.uses) {
        const name = step.uses.replace(/@.*$/, '');
        const standIn = o.actions[name];
        if (!standIn) throw new Error(`step "${label}": no stand-in for the action ${step.uses}`);
        try {
          await standIn({ workspace: o.workspace, with: envOf(step.with), env });
        } catch (e) {
          r.outcome = 'failure';
          r.exitCode = 1;
          r.log = (e as Error).message;
        }
      } else if (step.run !== undefined) {
        if (step.run.includes('${{')) throw new Error(`step "${label}": an expression in a run script — this runner does not evaluate them`);
        const script = join(o.runnerTemp, `step-${index}.sh`);
        writeFileSync(script, step.run);
        const shell = step.shell === 'bash' ? ['--noprofile', '--norc', '-eo', 'pipefail', script] : ['-e', script];
        if (step.shell !== undefined && step.shell !== 'bash') throw new Error(`step "${label}": shell ${step.shell} is not one this runner knows`);
        const cwd = step['working-directory'] ? join(o.workspace, step['working-directory']) : o.workspace;
        const p = await execa('bash', shell, { cwd, env, extendEnv: false, reject: false, all: true, timeout: o.timeoutMs ?? 300_000 });
        r.exitCode = p.exitCode ?? null;
        r.log = p.all ?? '';
        if (p.exitCode !== 0) r.outcome = 'failure';
      } else throw new Error(`step "${label}": neither run nor uses`);
      r.summary = readFileSync(files.summary, 'utf8');
      r.outputs = parseCommandFile(readFileSync(files.output, 'utf8'));
      addedEnv = { ...addedEnv, ...parseCommandFile(readFileSync(files.env, 'utf8')) };
      r.conclusion = r.outcome === 'failure' && step['continue-on-error'] === true ? 'success' : r.outcome;
      if (r.conclusion === 'failure') ctx.failed = true;
      result.summary += r.summary;
    }
    if (step.id) ctx.steps.set(step.id, r);
    result.steps.push(r);
  }
  result.conclusion = ctx.failed ? 'failure' : 'success';
  return result;
}

