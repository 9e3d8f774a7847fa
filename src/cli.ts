#!/usr/bin/env node
// The `rsslab` command. Exit codes (documented in README.md):
//   0  everything ran and every expectation held
//   1  an expectation failed, or a variant's child failed; `validate`: a replay disagrees with its real program
//   2  bad usage: unknown experiment/variant/flag, malformed value, unreadable input
//   3  the machine could not be restored completely (run `rsslab restore` as root)
import { terminalText } from './run/sanitize.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXPERIMENT_IDS } from '../experiments/index.js';
import { UsageError } from './usage-error.js';
import { RunFormatError } from './run/validate.js';
import { parseDurationMs } from './lab/params.js';
import { MIN_INTERVAL_MS } from './lab/sampler.js';
import { rsslabVersion } from './lab/version.js';
import { runCommand } from './cli/run.js';
import { listCommand } from './cli/list.js';
import { doctorCommand } from './cli/doctor.js';
import { restoreCommand } from './cli/restore.js';
import { watchCommand } from './cli/watch.js';
import { reportCli } from './cli/report.js';
import { workshopCommand } from './cli/workshop.js';
import { compareCli } from './cli/compare.js';
import { validateCommand } from './cli/validate.js';
import { restoreLeftovers } from './system/leftovers.js';
import { examplesText } from './cli/examples.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, restore: 3 } as const;

function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} must be a whole number ≥ 1 (got "${value}")`);
    return Number(value);
  };
}

function intervalMs(value: string): number {
  let ms: number;
  try {
    ms = parseDurationMs(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  if (ms < MIN_INTERVAL_MS) throw new InvalidArgumentError(`the sampling interval must be at least ${MIN_INTERVAL_MS} ms (got "${value}")`);
  return ms;
}

function durationMs(value: string): number {
  try {
    const ms = parseDurationMs(value);
    if (ms <= 0) throw new RangeError('must be positive');
    return ms;
  } catch (e) {
    throw new InvalidArgumentError(`"${value}" is not a duration: ${(e as Error).message}`);
  }
}

function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`--port must be a whole number from 0 to 65535 (got "${value}")`);
  return Number(value);
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The options `run` and `validate` share: what to run, how, and where the Runs go. */
function withRunOptions(cmd: Command): Command {
  return cmd
    .option('--variant <id>', 'run this variant (repeatable); default: the experiment’s default variants', collect, [])
    .option('--all-variants', 'run every variant, not only the defaults')
    .option('--repeat <n>', 'repeat each variant N times (statistics across repeats)', positiveInt('--repeat'), 1)
    .option('--quick', 'the quick profile: smaller sizes, shorter idles (tests, CI)')
    .option('--param <key=value>', 'override a parameter, e.g. regionBytes=512MiB (repeatable)', collect, [])
    .option('--tune-system', 'consent to change THP/khugepaged knobs and create memory cgroups (restored afterwards)')
    .option('--out <dir>', 'folder for Run JSON and reports', 'rsslab-runs')
    .option('--interval <ms>', `sampling interval (≥ ${MIN_INTERVAL_MS} ms)`, intervalMs)
    .option('--timeout <duration>', 'kill a child that runs longer than this (e.g. 90s)', durationMs)
    .option('--force', 'run even if the sizes asked for may not fit in the memory available')
    .option('--lock-wait <duration>', 'how long to wait for another rsslab run holding the system lock (default 15min)', durationMs);
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('rsslab')
    .description('Reproduce, on a real Linux kernel, why RSS does not go down after memory is freed — and measure it.')
    .version(rsslabVersion())
    .showHelpAfterError('(run `rsslab --help` for usage)')
    .exitOverride()
    .hook('preAction', async (_program, action) => {
      // `restore` does the whole job itself (and waits for the lock); every other command first puts
      // back what a run that died left on the machine, without waiting for a live one
      if (action.name() !== 'restore') await restoreFirst();
    });

  withRunOptions(
    program
      .command('run')
      .description('run experiments and write their Runs and reports')
      .argument('[experiments...]', `experiments to run: ${EXPERIMENT_IDS.join(', ')}, or the path of your own experiment file (./my-experiment.mjs)`)
      .option('--all', 'run every experiment (the main job: `npm run experiment`)'),
  )
    .option('--real', 'also run each variant’s real counterpart (the program the replay stands for), built with this machine’s toolchain')
    .option('--real-only', 'run the real counterparts only, not the replays')
    .option('--json', 'print the Runs as JSON on stdout instead of the summary (schema rsslab.runs/1); progress goes to stderr')
    .addOption(new Option('--format <list>', 'report files to write: html,md,csv (the Run JSON file always)').default('html,md,csv'))
    .action(async (experiments: string[], opts) => setExit(await runCommand(experiments, opts)));

  withRunOptions(
    program
      .command('validate')
      .description('run each replay beside its real counterpart and check they agree (exit 1 when they do not)')
      .argument('[experiments...]', 'experiments to validate (default: every one with a real counterpart)'),
  )
    .option('--json', 'print the agreement as JSON on stdout (schema rsslab.validate); progress goes to stderr')
    .addOption(new Option('--format <list>', 'report files to write: html,md,csv (the Run JSON file always)').default('html,md,csv'))
    .action(async (experiments: string[], opts) => setExit(await validateCommand(experiments, opts)));

  program
    .command('list')
    .description('list experiments and their variants; name one to see its variants (what each needs) and parameters')
    .argument('[experiment]', `one experiment: ${EXPERIMENT_IDS.join(', ')}`)
    .option('--json', 'print JSON on stdout (schema rsslab.list/1, or rsslab.experiment/1 for one)')
    .action(async (experiment: string | undefined, opts) => setExit(await listCommand(experiment, opts)));

  program
    .command('doctor')
    .description('what this machine can show: kernel, THP, cgroups, root, allocators, features — and what each means; exit 0 every default variant can run, 1 some would be skipped, 2 none can')
    .option('--json', 'print JSON on stdout (schema rsslab.doctor/1)')
    .action(async (opts) => setExit(await doctorCommand(opts)));

  program
    .command('restore')
    .description('put back every knob and remove every cgroup a killed rsslab run left behind (replays the journal)')
    .option('--json', 'print JSON on stdout (schema rsslab.restore/1)')
    .action(async (opts) => setExit(await restoreCommand(opts)));

  program
    .command('watch')
    .description('sample any program from outside and write a Run: `rsslab watch -- CMD…` or `rsslab watch --pid N`')
    .argument('[command...]', 'the command to start (after --)')
    .option('--pid <n>', 'watch a running process instead', positiveInt('--pid'))
    .option('--allocator <name>', 'preload this allocator: jemalloc, mimalloc, tcmalloc')
    .option('--thp-disable', 'set PR_SET_THP_DISABLE, then exec the command, which inherits it')
    .option('--env <K=V>', 'extra environment for the command (repeatable)', collect, [])
    .option('--interval <ms>', `sampling interval (≥ ${MIN_INTERVAL_MS} ms)`, intervalMs, 20)
    .option('--duration <duration>', 'stop watching after this long (default: until the command exits)', durationMs)
    .option('--out <dir>', 'folder for the Run JSON and reports', 'rsslab-runs')
    .option('--json', 'print the Run as JSON on stdout (schema rsslab.watch/1); the command’s own output goes to stderr')
    .option('--expect <text>', "an expectation stored in the Run; exit 1 if it fails, e.g. 'rss@start:settled <= 1.2 * rss@start:watch' (repeatable)", collect, [])
    .option('--mark-on-stdout <regex>', 'turn lines of the command’s stdout that match into phase marks (group "phase" or the first group names the phase)')
    .option('--settle <duration>', 'mark a phase "settled" this long after the last mark (the command must still be running then), e.g. 5s', durationMs)
    .action(async (command: string[], opts) => setExit(await watchCommand(command, opts)));

  program
    .command('compare')
    .description('compare two sets of Runs (files or folders) for regressions; exit 1 on a regression beyond the thresholds. With --interleave: measure two checkouts alternately on this machine first')
    .argument('<baseline>', 'baseline Run file or folder (with --interleave: the base checkout)')
    .argument('<candidate>', 'candidate Run file or folder (with --interleave: the head checkout)')
    .argument('[command...]', 'with --interleave, after --: the command run in each checkout per round, {out} standing for its Run folder')
    .option('--threshold-rel <percent>', 'relative threshold on the medians', '10%')
    .option('--threshold-abs <size>', 'absolute threshold for byte figures', '8MiB')
    .option('--threshold <metric=spec>', 'per-metric override, e.g. region.main.rss@end:free=5%,4MiB or metric.regrowMs=20%,1s,lower (repeatable)', collect, [])
    .option('--alpha <p>', 'significance level for all figures together, after the correction', '0.05')
    .option('--correction <method>', 'correction for testing many figures: holm (Holm–Bonferroni, for a build gate), bh (Benjamini–Hochberg) or none', 'holm')
    .option('--interleave', 'run the command after -- in both checkouts alternately (A B, B A, …) on this machine, then compare their Runs')
    .option('--repeat <n>', 'with --interleave: rounds, one repeat of each side per round (default 8)', positiveInt('--repeat'))
    .option('--runs <dir>', 'with --interleave: folder for every round’s Runs (default rsslab-interleaved; must be empty)')
    .option('--markdown <file>', 'append a Markdown summary to this file (e.g. "$GITHUB_STEP_SUMMARY"); - prints it on stdout')
    .option('--json', 'print the comparison as JSON on stdout (schema rsslab.compare/1)')
    .addOption(new Option('--format <format>', 'deprecated: use --json or --markdown -').hideHelp())
    .action(async (baseline: string, candidate: string, command: string[], opts) => setExit(await compareCli(baseline, candidate, opts, command)));

  program
    .command('report')
    .description('redraw reports (HTML, Markdown, CSV) from saved Run files or folders')
    .argument('<paths...>', 'Run JSON files or folders holding them')
    .option('--out <dir>', 'folder for the reports (default: beside the first input)')
    .option('--format <list>', 'report files to write: html,md,csv', 'html,md,csv')
    .option('--matrix <mode>', 'cross-machine comparison of Runs of one experiment: auto (when their machines or settings differ), only (it alone), off', 'auto')
    .option('--json', 'print the files written and each Run\'s re-judged expectations as JSON on stdout (schema rsslab.report/1)')
    .action(async (paths: string[], opts) => setExit(await reportCli(paths, opts)));

  program
    .command('workshop')
    .description('run experiments while a live page (charts, story, phase) shows them to a class; --step waits at every phase for "Next"')
    .argument('<experiments...>', `experiments to show, one after another: ${EXPERIMENT_IDS.join(', ')}`)
    .option('--variant <id>', 'show this variant (repeatable); they run one after another on the same chart', collect, [])
    .option('--all-variants', 'show every variant, not only the defaults')
    .option('--step', 'pause at every phase boundary until Next is clicked on the page or Enter pressed here')
    .option('--port <n>', 'port to listen on (0: any free port)', portNumber, 0)
    .option('--host <address>', 'address to listen on (default 127.0.0.1; anything else makes the page reachable from the network)')
    .option('--quick', 'the quick profile: smaller sizes, shorter idles')
    .option('--param <key=value>', 'override a parameter (repeatable)', collect, [])
    .option('--tune-system', 'consent to change THP/khugepaged knobs and create memory cgroups (restored afterwards)')
    .option('--out <dir>', 'folder for Run JSON and reports', 'rsslab-runs')
    .action(async (experiments: string[], opts) => setExit(await workshopCommand(experiments, opts)));

  program.addHelpText('after', examplesText('rsslab'));
  for (const c of program.commands) c.addHelpText('after', examplesText(c.name()));
  return program;
}

async function restoreFirst(): Promise<void> {
  try {
    const result = await restoreLeftovers();
    if (result.line !== null) process.stderr.write(result.line + '\n');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    // without the addon (reports, compare on another platform) no run of this install changed anything
    if (code === 'ERR_RSSLAB_NOT_BUILT' || code === 'ERR_RSSLAB_PLATFORM') return;
    process.stderr.write(`rsslab: could not check for a dead run's leftovers: ${(e as Error).message}\n`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are "errors" to commander with exit code 0
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError || e instanceof RunFormatError || e instanceof RangeError || e instanceof TypeError) {
      // a message may quote a Run's strings: shown, never obeyed
      process.stderr.write(`rsslab: ${terminalText(e.message, { newlines: true })}\n`);
      return EXIT.usage;
    }
    if ((e as { code?: unknown }).code === 'ERR_RSSLAB_LOCKED') {
      // another run holds the system lock: a fact to report, not a crash (nothing was changed)
      process.stderr.write(`rsslab: ${(e as Error).message}\n`);
      return EXIT.failed;
    }
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_RSSLAB_NOT_BUILT' || code === 'ERR_RSSLAB_PLATFORM') {
      process.stderr.write(`rsslab: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
    if ((e as { code?: unknown }).code === 'ERR_RSSLAB_RESTORE') {
      process.stderr.write(`rsslab: ${(e as Error).message}\n`);
      return EXIT.restore;
    }
    process.stderr.write(`rsslab: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failed;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

// `rsslab list | head`: a reader that stops reading is not an error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
