// `npm run soak` (not part of `npm test`): runs each soak area that is present, prints one line per
// area with its figures, and writes those lines into docs/reliability.md between its markers,
// keeping the prose and the lines of areas not run this time.
//   node dist/src/soak/main.js [--scale 0.1] [--seed N] [--areas kills,fuzz] [--no-write]
// Exit 0 when every area that ran was ok, 1 otherwise.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { packageRoot } from '../package-root.js';
import type { SoakArea, SoakAreaResult } from './area.js';
import { AREAS, updateReliabilityDoc } from './doc.js';

type Loaded = { area: string; run: SoakArea } | { area: string; missing: string };

/** The area's function: its default export, or an export named `soak`/`run`, or its only function export. */
function areaFunction(mod: Record<string, unknown>): SoakArea | null {
  for (const key of ['default', 'soak', 'run']) {
    if (typeof mod[key] === 'function') return mod[key] as SoakArea;
  }
  const functions = Object.values(mod).filter((v): v is SoakArea => typeof v === 'function');
  return functions.length === 1 ? functions[0]! : null;
}

async function load(area: string): Promise<Loaded> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`./${area}.js`)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(`${area}.js`)) return { area, missing: 'not present' };
    return { area, missing: `cannot load: ${(error as Error).message}` };
  }
  const run = areaFunction(mod);
  return run === null ? { area, missing: 'present, but exports no soak function' } : { area, run };
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a number > 0 (got "${value}")`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('soak')
    .option('--scale <factor>', 'scale every count (1 = the full soak; 0.1 for a quick look)', positive, 1)
    .option('--seed <n>', 'seed for the random choices (printed; replays a run)', (v) => Math.floor(positive(v)))
    .option('--areas <list>', `areas to run (default: all present): ${AREAS.join(',')}`)
    .option('--no-write', 'do not update docs/reliability.md')
    .parse(argv, { from: 'user' });
  const opts = program.opts<{ scale: number; seed?: number; areas?: string; write: boolean }>();
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const wanted = opts.areas === undefined ? [...AREAS] : opts.areas.split(',').map((a) => a.trim());
  const unknown = wanted.filter((a) => !(AREAS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`soak: unknown area(s) ${unknown.join(', ')}; the areas are ${AREAS.join(', ')}\n`);
    return 2;
  }
  process.stderr.write(`soak: scale ${opts.scale}, seed ${seed}\n`);
  const results: SoakAreaResult[] = [];
  const lines: Array<{ area: string; line: string }> = [];
  for (const area of wanted) {
    const loaded = await load(area);
    if ('missing' in loaded) {
      const line = `${area}: ${loaded.missing}`;
      process.stdout.write(line + '\n');
      continue;
    }
    let result: SoakAreaResult;
    try {
      result = await loaded.run({ scale: opts.scale, seed, log: (l) => process.stderr.write(l + '\n') });
    } catch (error) {
      result = { area, line: `${area}: CRASHED: ${(error as Error).message}`, figures: {}, ok: false, failures: [(error as Error).stack ?? String(error)] };
    }
    results.push(result);
    const line = `${result.line}${opts.scale !== 1 ? ` [scale ${opts.scale}]` : ''}`;
    lines.push({ area, line });
    process.stdout.write(line + '\n');
    for (const f of result.failures) process.stdout.write(`  ${area} failure: ${f}\n`);
  }
  if (opts.write && lines.length > 0) {
    const doc = join(packageRoot(), 'docs', 'reliability.md');
    let text = '';
    try {
      text = readFileSync(doc, 'utf8');
    } catch {
      text = '# Reliability\n';
    }
    writeFileSync(doc, updateReliabilityDoc(text, lines));
    process.stderr.write(`soak: wrote ${lines.length} line(s) to ${doc}\n`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
