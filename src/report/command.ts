// `rsslab report <paths…> [--out DIR] [--format html,md,csv] [--matrix auto|only|off]`: redraw saved
// Runs. Prints the terminal summary (expectations re-judged from the stored data) and, when Runs of one
// experiment come from different machines or settings, the cross-machine comparison (matrix-model.ts);
// writes the chosen files, says where they are. Exit codes: 0 reports written,
// 2 bad usage: the input was unusable (missing, corrupt, not a Run) or the output folder cannot be written
// (the same code `rsslab run` gives for an unwritable --out).
import { dirname } from 'node:path';
import { stat } from 'node:fs/promises';
import { rejudge } from '../check/expectations.js';
import { loadRuns, RunLoadError } from './load.js';
import { renderTerminalSummary } from './terminal.js';
import { parseFormats, REPORT_FORMATS, ReportRenderError, writeReports, type ReportFormat } from './write.js';
import { OutputTargetError } from './out-target.js';
import { terminalText } from '../run/sanitize.js';
import { drawable } from './drawable.js';
import { useColor } from './color.js';
import { buildMatrices, MATRIX_MODES, singleRunExperiments, type MatrixMode } from './matrix-model.js';
import { renderMatrixTerminal } from './matrix-terminal.js';
import type { ExpectationResult, Run, VariantRun } from '../run/schema.js';

export interface ReportCommandOptions {
  /** output folder; default: the folder given, or the folder of the first file */
  out?: string;
  /** "html,md,csv" or a list; default all */
  formats?: string | ReportFormat[];
  /** cross-machine comparison: auto (when Runs of one experiment differ in machine or settings), only (it alone), off */
  matrix?: string;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream;
  /** `--json`: called with what was written instead of printing the terminal summary and the file list */
  onWritten?: (result: ReportResult) => void;
}

/** What `rsslab report` did: the files written and each Run's expectations as judged again now. */
export interface ReportResult {
  files: string[];
  runs: Array<{
    file: string;
    experiment: string;
    variants: Array<{ variant: string; subject: 'replay' | 'real'; status: VariantRun['status']; expectations: Array<Pick<ExpectationResult, 'id' | 'text' | 'status' | 'leftValue' | 'rightValue' | 'reason'>> }>;
  }>;
  /** JSON files in the folders given that are not Runs */
  ignored: string[];
}

async function defaultOut(first: string): Promise<string> {
  try {
    return (await stat(first)).isDirectory() ? first : dirname(first);
  } catch {
    return dirname(first);
  }
}

export async function reportCommand(paths: string[], opts: ReportCommandOptions = {}): Promise<number> {
  const out = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  // messages quote file names and Run fields: shown, never obeyed by the terminal
  const err = { write: (s: string): boolean => stderr.write(terminalText(s.replace(/\n$/, '')) + '\n') };
  let formats: ReportFormat[];
  try {
    formats = typeof opts.formats === 'string' ? parseFormats(opts.formats) : (opts.formats ?? [...REPORT_FORMATS]);
  } catch (e) {
    err.write(`rsslab report: ${(e as Error).message}\n`);
    return 2;
  }
  const matrixMode = (opts.matrix ?? 'auto').trim().toLowerCase();
  if (!(MATRIX_MODES as readonly string[]).includes(matrixMode)) {
    err.write(`rsslab report: unknown --matrix "${opts.matrix}": use ${MATRIX_MODES.join(', ')}\n`);
    return 2;
  }
  let loaded;
  try {
    loaded = await loadRuns(paths);
  } catch (e) {
    if (e instanceof RunLoadError) {
      err.write(`rsslab report: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  // re-check each stored expectation against the stored data with today's metric code (skips stay skipped)
  const runs = loaded.runs.map((l) => ({ ...l.run, variants: l.run.variants.map((v) => ({ ...v, expectations: rejudge(v) })) }));
  const color = useColor(out);
  const forMatrix = runs.map((run, i) => ({ run, source: loaded.runs[i]!.path }));
  const matrices = buildMatrices(forMatrix, matrixMode as MatrixMode);
  const runSections = matrixMode !== 'only';
  if (!opts.onWritten) {
    if (runSections) out.write(renderTerminalSummary(runs.map(drawable), { color }));
    if (matrices.length) {
      out.write(`${runSections ? '\n' : ''}${renderMatrixTerminal(matrices, { color })}`);
      const alone = matrixMode === 'auto' ? singleRunExperiments(forMatrix) : [];
      if (alone.length) out.write(`(one Run each, nothing to compare across machines: ${terminalText(alone.join(', '))})\n`);
    }
  }
  const outDir = opts.out ?? (await defaultOut(paths[0]!));
  try {
    const written = await writeReports(runs, outDir, { formats, matrices, runSections });
    if (opts.onWritten) {
      opts.onWritten(reportResult(written, runs, loaded.runs.map((l) => l.path), loaded.ignored));
      return 0;
    }
    out.write(`\nReports from ${runs.length} run${runs.length === 1 ? '' : 's'}:\n${written.map((w) => `  ${w}`).join('\n')}\n`);
    if (loaded.ignored.length) out.write(`(not Runs, left out: ${loaded.ignored.join(', ')})\n`);
    return 0;
  } catch (e) {
    if (e instanceof ReportRenderError) {
      err.write(`rsslab report: ${e.message} — nothing was written; the Run holds data rsslab cannot draw (report it with the file if it came from rsslab itself)\n`);
      return 2;
    }
    const why = e instanceof OutputTargetError ? e.message : (e as Error).message;
    err.write(`rsslab report: cannot write reports to ${outDir}: ${why} — choose another folder with --out\n`);
    return 2;
  }
}

function reportResult(files: string[], runs: Run[], sources: string[], ignored: string[]): ReportResult {
  return {
    files,
    runs: runs.map((run, i) => ({
      file: sources[i]!,
      experiment: run.experiment.id,
      variants: run.variants.map((v) => ({
        variant: v.variant,
        subject: v.subject?.kind ?? 'replay',
        status: v.status,
        expectations: v.expectations.map((e) => ({ id: e.id, text: e.text, status: e.status, leftValue: e.leftValue, rightValue: e.rightValue, ...(e.reason !== undefined ? { reason: e.reason } : {}) })),
      })),
    })),
    ignored,
  };
}
