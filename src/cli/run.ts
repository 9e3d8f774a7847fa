// `rsslab run`: run experiments, show progress, print the summary, write Runs and reports.
import { EXPERIMENT_IDS } from '../../experiments/index.js';
import { runDefinition } from '../lab/runner.js';
import { UsageError } from '../usage-error.js';
import { resolveExperiment } from '../experiment-source.js';
import { parseParamArgs } from '../lab/params.js';
import type { Run } from '../run/schema.js';
import { writeRunFile } from '../run/io.js';
import { createProgress, defaultInteractive } from '../report/progress.js';
import { renderTerminalSummary } from '../report/terminal.js';
import { writeReports, parseFormats } from '../report/write.js';
import { outputDir } from './out.js';
import { useColor } from '../report/color.js';
import { printJson } from './json.js';

export interface RunCliOptions {
  all?: boolean;
  variant: string[];
  allVariants?: boolean;
  repeat: number;
  quick?: boolean;
  param: string[];
  tuneSystem?: boolean;
  out: string;
  interval?: number;
  timeout?: number;
  force?: boolean;
  lockWait?: number;
  json?: boolean;
  format: string;
  real?: boolean;
  realOnly?: boolean;
}

/** --real / --real-only as the runner's subjects. */
export function subjectsOption(o: { real?: boolean; realOnly?: boolean }): 'replay' | 'real' | 'both' {
  if (o.real && o.realOnly) throw new UsageError('give --real (replay and real) or --real-only, not both');
  return o.realOnly ? 'real' : o.real ? 'both' : 'replay';
}

export async function runCommand(experiments: string[], o: RunCliOptions): Promise<number> {
  const ids = o.all ? [...EXPERIMENT_IDS] : experiments;
  if (ids.length === 0) throw new UsageError(`name an experiment (${EXPERIMENT_IDS.join(', ')}), the path of your own experiment file (./my-experiment.mjs), or pass --all`);
  if (o.all && experiments.length) throw new UsageError('give experiments or --all, not both');
  const { runs, dir, written } = await runAndSave(ids, o, subjectsOption(o));
  if (o.json) printJson('rsslab.runs/1', { files: [...runs.map((r) => `${r.experiment.id}.json`), ...written.map((f) => f.slice(dir.length + 1))].map((f) => `${dir}/${f}`), runs }, { pretty: false });
  else {
    process.stdout.write('\n' + renderTerminalSummary(runs, { color: useColor(process.stdout) }));
    process.stdout.write(`\nRuns and reports in ${dir}: ${[...runs.map((r) => `${r.experiment.id}.json`), ...written.map((f) => f.slice(dir.length + 1))].join(', ')}\n`);
  }
  const failed = runs.some((r) => r.variants.some((v) => v.status === 'failed' || v.expectations.some((e) => e.status === 'failed')));
  return failed ? 1 : 0;
}

/**
 * Runs the experiments one after another with progress on the terminal (stderr under --json), saving
 * each Run as soon as it exists, then the reports. Shared by `run` and `validate`.
 */
export async function runAndSave(ids: string[], o: Omit<RunCliOptions, 'all' | 'real' | 'realOnly'>, subjects: 'replay' | 'real' | 'both'): Promise<{ runs: Run[]; dir: string; written: string[] }> {
  if (o.variant.length && ids.length > 1) throw new UsageError('--variant applies to one experiment; name exactly one');
  const formats = parseFormats(o.format);
  const params = parseParamArgs(o.param);
  // every name and file is checked before the first experiment starts
  const sources = [];
  for (const id of ids) sources.push(await resolveExperiment(id));
  const dir = outputDir(o.out);
  const stream = o.json ? process.stderr : process.stdout;
  const progress = createProgress({ stream });
  const runs: Run[] = [];
  try {
    for (const { definition, module } of sources) {
      const run = await runDefinition(definition, {
        module,
        variants: o.variant,
        allVariants: o.allVariants ?? false,
        repeat: o.repeat,
        quick: o.quick ?? false,
        params,
        tuneSystem: o.tuneSystem ?? false,
        subjects,
        interactive: defaultInteractive(process.stdin) && defaultInteractive(process.stdout),
        ...(o.interval !== undefined ? { intervalMs: o.interval } : {}),
        ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}),
        ...(o.force ? { force: true } : {}),
        ...(o.lockWait !== undefined ? { lockWaitMs: o.lockWait } : {}),
        observer: progress,
        command: ['rsslab', ...process.argv.slice(2)],
      });
      runs.push(run);
      // Each Run is saved as soon as it exists: a later experiment failing loses nothing.
      saving(dir, runs, () => writeRunFile(run, dir));
    }
  } finally {
    progress.close();
  }
  const written = await savingAsync(dir, runs, () => writeReports(runs, dir, { formats }));
  return { runs, dir, written };
}

// A folder that stops being writable mid-run (permissions, a full disk) is the user's to fix: say
// which folder and what is already safe in it, not a stack trace. Writes are temp file + rename, so
// nothing half-written is left behind.
function cannotSave(dir: string, savedRuns: Run[], e: unknown): UsageError {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  const saved = savedRuns.map((r) => `${r.experiment.id}.json`);
  return new UsageError(
    `cannot write to the output folder ${dir} (${code})${saved.length ? `; already saved there: ${saved.join(', ')}` : ''}; nothing half-written was left. Make it writable or choose another with --out DIR`,
  );
}

function saving(dir: string, runs: Run[], write: () => void): void {
  try {
    write();
  } catch (e) {
    if (e instanceof RangeError) throw e;
    throw cannotSave(dir, runs.slice(0, -1), e);
  }
}

async function savingAsync<T>(dir: string, runs: Run[], write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (e instanceof RangeError) throw e;
    throw cannotSave(dir, runs, e);
  }
}
