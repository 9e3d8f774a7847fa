// `rsslab watch -- CMD…` / `rsslab watch --pid N`
import { watch } from '../lab/watch.js';
import { UsageError } from '../usage-error.js';
import { writeFileAtomic } from '../run/io.js';
import { createProgress } from '../report/progress.js';
import { renderTerminalSummary } from '../report/terminal.js';
import { useColor } from '../report/color.js';
import { printJson } from './json.js';
import { join } from 'node:path';
import { outputDir } from './out.js';
import { parseExpectations } from '../check/expect.js';
import { explainFailures } from '../report/expectation-failure.js';

export interface WatchCliOptions {
  pid?: number;
  allocator?: string;
  thpDisable?: boolean;
  env: string[];
  interval: number;
  duration?: number;
  out: string;
  json?: boolean;
  expect?: string[];
  markOnStdout?: string;
  settle?: number;
}

export async function watchCommand(command: string[], o: WatchCliOptions): Promise<number> {
  const env: Record<string, string> = {};
  for (const kv of o.env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env "${kv}": expected NAME=value`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  let expect;
  let markOnStdout: RegExp | undefined;
  try {
    expect = parseExpectations(o.expect ?? [], { sampleSeriesOnly: true });
    if (o.markOnStdout !== undefined) markOnStdout = new RegExp(o.markOnStdout);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^Invalid regular expression/, `--mark-on-stdout: invalid regular expression`));
  }
  const dir = outputDir(o.out);
  const progress = createProgress({ stream: process.stderr });
  const run = await watch({
    command,
    ...(o.pid !== undefined ? { pid: o.pid } : {}),
    ...(o.allocator !== undefined ? { allocator: o.allocator } : {}),
    thpDisable: o.thpDisable ?? false,
    env,
    intervalMs: o.interval,
    ...(o.duration !== undefined ? { durationMs: o.duration } : {}),
    observer: progress,
    expect,
    ...(markOnStdout ? { markOnStdout } : {}),
    stdoutTo: o.json ? process.stderr : process.stdout,
    ...(o.settle !== undefined ? { settleMs: o.settle } : {}),
    sampleLogDir: dir,
  });
  progress.close();
  const file = join(dir, `watch-${run.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileAtomic(file, JSON.stringify(run) + '\n');
  if (o.json) printJson('rsslab.watch/1', { file, run }, { pretty: false });
  const v = run.variants[0];
  // with --json stdout is one JSON document: the explanation of a failure goes to stderr there
  const why = v ? explainFailures(v) : '';
  if (o.json) {
    if (why) process.stderr.write(`\n${why}\n`);
  } else process.stdout.write(renderTerminalSummary([run], { color: useColor(process.stdout) }) + (why ? `\n${why}\n\n` : '') + `Run written to ${file}\n`);
  // exit 1 when the command failed or an --expect did not hold (the summary lists it with both values)
  return v?.status === 'ok' && v.expectations.every((e) => e.status !== 'failed') ? 0 : 1;
}
