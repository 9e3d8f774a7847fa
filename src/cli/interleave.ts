// `rsslab compare --interleave BASE HEAD -- COMMAND … {out} …`: measure base and head in the same job,
// on the same machine, their repeats interleaved. A baseline made on another VM at another time
// differs in kernel, host load, THP state and page-cache warmth; all its repeats share that
// difference, so they separate completely from the candidate's and a permutation test calls the
// machine a regression. Interleaved, both sides see the same machine and the same drift, and the
// permutation test's assumption — repeats of one side exchangeable with the other's under "no
// change" — holds. The order alternates A B, B A, A B … so a steady drift (a warming cache, a
// neighbour's job ramping up) lands on both sides equally instead of always on the second.
//
// Each round runs COMMAND once per side with the side's folder as working directory (a checkout
// with its own build) and `{out}` replaced by a fresh folder for that round's Runs; every round's
// Runs pool as repeats, and compare judges them as usual.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export const OUT_PLACEHOLDER = '{out}';

/** A round that could not be used (the command could not start, or failed other than by an expectation): exit 2. */
export class InterleaveError extends Error {
  override name = 'InterleaveError';
  constructor(
    message: string,
    /** 2, or 3 when a round's rsslab could not restore the machine (passed on: `rsslab restore` is needed) */
    readonly exitCode: 2 | 3 = 2,
  ) {
    super(message);
  }
}

export interface InterleaveOptions {
  /** folders: the checkouts (builds) of base and head, each the working directory of its side's command */
  baseDir: string;
  headDir: string;
  command: string[];
  rounds: number;
  /** where every round's Runs go: <runsDir>/baseline/<round>/, <runsDir>/candidate/<round>/ */
  runsDir: string;
  log: NodeJS.WritableStream;
}

export interface InterleaveResult {
  baselineRuns: string;
  candidateRuns: string;
  rounds: number;
  /** the order the sides ran in, e.g. ["baseline", "candidate", "candidate", "baseline", …] */
  order: Array<'baseline' | 'candidate'>;
  /** rounds whose command exited 1 (an expectation failed): their Runs are compared all the same */
  expectationFailures: string[];
}

/** Refuse, before anything runs, what cannot work. */
export function checkInterleave(o: Pick<InterleaveOptions, 'baseDir' | 'headDir' | 'command' | 'rounds' | 'runsDir'>): void {
  for (const [which, dir] of [['baseline', o.baseDir], ['candidate', o.headDir]] as const) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InterleaveError(`--interleave: the ${which} "${dir}" is not a folder — give the two checkouts (builds) to measure, e.g. rsslab compare --interleave base/ head/ -- …`);
  }
  if (o.command.length === 0) throw new InterleaveError(`--interleave needs the command that makes the Runs after "--", with ${OUT_PLACEHOLDER} where the Run folder goes, e.g. -- node dist/src/cli.js run madv-free --quick --out ${OUT_PLACEHOLDER}`);
  if (!o.command.some((a) => a.includes(OUT_PLACEHOLDER))) throw new InterleaveError(`--interleave: the command has no ${OUT_PLACEHOLDER}: add --out ${OUT_PLACEHOLDER} so each round writes its Runs to its own folder`);
  if (!Number.isInteger(o.rounds) || o.rounds < 2) throw new InterleaveError(`--repeat ${o.rounds}: interleaving needs at least 2 rounds (8 let one figure reach α = 0.05 among up to 643 tested together)`);
  if (existsSync(o.runsDir) && readdirSync(o.runsDir).length > 0) throw new InterleaveError(`--runs ${o.runsDir} is not empty: its Runs would be pooled with this comparison's — remove it or name another folder`);
}

function hasRun(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.json'));
}

export async function interleave(o: InterleaveOptions): Promise<InterleaveResult> {
  checkInterleave(o);
  const runsDir = resolve(o.runsDir);
  const result: InterleaveResult = { baselineRuns: join(runsDir, 'baseline'), candidateRuns: join(runsDir, 'candidate'), rounds: o.rounds, order: [], expectationFailures: [] };
  const sides = { baseline: resolve(o.baseDir), candidate: resolve(o.headDir) };
  const width = String(o.rounds).length;
  for (let round = 1; round <= o.rounds; round++) {
    const order: Array<'baseline' | 'candidate'> = round % 2 === 1 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
    for (const side of order) {
      const out = join(side === 'baseline' ? result.baselineRuns : result.candidateRuns, String(round).padStart(width, '0'));
      mkdirSync(out, { recursive: true });
      const [file, ...args] = o.command.map((a) => a.split(OUT_PLACEHOLDER).join(out));
      const what = `round ${round}/${o.rounds}, ${side} (${sides[side]})`;
      o.log.write(`rsslab compare --interleave: ${what}\n`);
      // the command's own output goes to the log (stderr), so stdout stays the comparison (--json)
      const child = execa(file!, args, { cwd: sides[side], reject: false, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
      child.stdout?.pipe(o.log, { end: false });
      child.stderr?.pipe(o.log, { end: false });
      const r = await child;
      result.order.push(side);
      if (r.failed && r.exitCode === undefined) throw new InterleaveError(`${what}: ${file} could not run: ${r.shortMessage}`);
      if (r.exitCode === 1) result.expectationFailures.push(what);
      else if (r.exitCode === 3) throw new InterleaveError(`${what}: the machine could not be fully restored after this round — run \`sudo rsslab restore\` before anything else`, 3);
      else if (r.exitCode !== 0) throw new InterleaveError(`${what}: \`${o.command.join(' ')}\` ${r.signal ? `was killed by ${r.signal}` : `exited with ${r.exitCode}`} — fix the command (its output is above) and run again`);
      if (!hasRun(out)) throw new InterleaveError(`${what}: the command wrote no Run file into ${out} — does it pass ${OUT_PLACEHOLDER} to --out?`);
    }
  }
  return result;
}
