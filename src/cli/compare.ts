// `rsslab compare BASELINE CANDIDATE`: compare two sets of Runs (files or folders) metric by metric.
// `rsslab compare --interleave BASE HEAD -- COMMAND`: first make both sets on this machine, their
// repeats interleaved (src/cli/interleave.ts), then compare them the same way.
// Exit codes: 0 no regression, 1 a regression beyond the thresholds (or a variant that ran in the
// baseline failed in the candidate), 2 unusable input (missing, corrupt, empty folder, another
// schema version, nothing in common, different profiles) or bad flags.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadRuns, RunLoadError } from '../report/load.js';
import type { Run } from '../run/schema.js';
import { compareRuns, CompareInputError, type CompareResult } from '../check/compare.js';
import { jsonDocument } from './json.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../report/compare.js';
import { terminalText } from '../run/sanitize.js';
import { parseCorrection } from '../check/multiplicity.js';
import { interleave, InterleaveError } from './interleave.js';
import { DEFAULT_THRESHOLDS, parseAbs, parseRel, parseThresholdOverride, type ThresholdConfig } from '../check/thresholds.js';

export interface CompareCliOptions {
  thresholdRel?: string;
  thresholdAbs?: string;
  threshold: string[];
  alpha?: string;
  /** holm (default), bh or none */
  correction?: string;
  /** the two arguments are checkouts: run `command` in each, alternately, `repeat` rounds, then compare */
  interleave?: boolean;
  repeat?: number;
  /** where --interleave keeps the Runs of every round */
  runs?: string;
  /** append the Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY) */
  markdown?: string;
  json?: boolean;
  /** deprecated: text, md or json on stdout (--json and --markdown - replace it) */
  format?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

function thresholds(o: CompareCliOptions): ThresholdConfig {
  const cfg: ThresholdConfig = { ...DEFAULT_THRESHOLDS, perMetric: {} };
  if (o.thresholdRel !== undefined) cfg.rel = parseRel(o.thresholdRel);
  if (o.thresholdAbs !== undefined) cfg.absBytes = parseAbs(o.thresholdAbs, 'bytes');
  for (const spec of o.threshold) {
    const [metric, t] = parseThresholdOverride(spec);
    cfg.perMetric[metric] = { ...cfg.perMetric[metric], ...t };
  }
  return cfg;
}

async function load(which: 'baseline' | 'candidate', path: string): Promise<Run[]> {
  try {
    return (await loadRuns([path])).runs.map((l) => l.run);
  } catch (e) {
    if (e instanceof RunLoadError) throw new CompareInputError(`${which} ${e.message}`);
    throw e;
  }
}

export async function compareCli(baselinePath: string, candidatePath: string, o: CompareCliOptions, command: string[] = []): Promise<number> {
  const out = o.stdout ?? process.stdout;
  const err = o.stderr ?? process.stderr;
  try {
    if (o.format !== undefined) {
      if (!['text', 'md', 'json'].includes(o.format)) throw new RangeError(`--format "${o.format}": compare writes no files; use --json for JSON or --markdown - for Markdown on stdout`);
      err.write(`rsslab compare: --format is deprecated (it names files elsewhere): use ${o.format === 'json' ? '--json' : o.format === 'md' ? '--markdown -' : 'no flag'}\n`);
    }
    const format = o.json ? 'json' : o.markdown === '-' ? 'md' : (o.format ?? 'text');
    const alpha = o.alpha === undefined ? 0.05 : Number(o.alpha);
    if (!(alpha > 0 && alpha < 1)) throw new RangeError(`--alpha "${o.alpha}": a significance level between 0 and 1, e.g. 0.05`);
    const correction = parseCorrection(o.correction ?? 'holm');
    const cfg = thresholds(o);
    if (!o.interleave && (command.length > 0 || o.repeat !== undefined || o.runs !== undefined)) {
      throw new RangeError(`${command.length ? `a command ("${command.join(' ')}")` : o.repeat !== undefined ? '--repeat' : '--runs'} is only for --interleave, which runs it in both checkouts; to compare saved Runs give two files or folders and nothing else`);
    }
    let notes: string[] = [];
    let interleaved: CompareResult['interleaved'];
    if (o.interleave) {
      const made = await interleave({ baseDir: baselinePath, headDir: candidatePath, command, rounds: o.repeat ?? 8, runsDir: o.runs ?? 'rsslab-interleaved', log: err });
      interleaved = { rounds: made.rounds, order: made.order };
      baselinePath = made.baselineRuns;
      candidatePath = made.candidateRuns;
      notes = [
        `interleaved on this machine: ${made.rounds} rounds, order ${made.order.map((s) => (s === 'baseline' ? 'B' : 'C')).join(' ')} (B baseline, C candidate); Runs in ${made.baselineRuns} and ${made.candidateRuns}`,
        ...made.expectationFailures.map((w) => `${w}: an expectation failed (exit 1); its Runs are compared all the same`),
      ];
    }
    const result = compareRuns(await load('baseline', baselinePath), await load('candidate', candidatePath), { thresholds: cfg, alpha, correction });
    result.notes.unshift(...notes);
    if (interleaved) result.interleaved = interleaved;
    const markdown = renderCompareMarkdown(result);
    if (format === 'json') out.write(jsonDocument('rsslab.compare/1', result));
    else out.write(format === 'md' ? markdown : renderCompareTerminal(result));
    if (o.markdown && o.markdown !== '-') {
      // appended: $GITHUB_STEP_SUMMARY collects what every command of a step writes
      try {
        mkdirSync(dirname(o.markdown), { recursive: true });
        appendFileSync(o.markdown, markdown + '\n');
      } catch (e) {
        err.write(`rsslab compare: cannot write the Markdown summary to ${o.markdown}: ${(e as Error).message}\n`);
        return 2;
      }
    }
    return result.regressions > 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof CompareInputError || e instanceof RangeError || e instanceof InterleaveError) {
      // messages quote file names and ids from the Runs: shown, never obeyed
      err.write(`rsslab compare: ${terminalText(e.message)}\n`);
      return e instanceof InterleaveError ? e.exitCode : 2;
    }
    throw e;
  }
}
