// A user's own experiment: a plain-JavaScript ESM file (test/fixtures/experiments) that imports only
// the package's public API, run for real through `rsslab run ./file.mjs` and through
// runExperiment(definition); broken files are refused with a message and exit 2.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Run } from '../../src/run/schema.js';
import { evaluateMetric } from '../../src/check/metric.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src/cli.js');
const FIXTURES = join(import.meta.dirname, '../fixtures/experiments');
const MiB = 1024 * 1024;
const rsslab = (args: string[], cwd = ROOT) => execa(process.execPath, [CLI, ...args], { reject: false, cwd, env: { CI: 'true' } });

/** The measured facts of the fixture's two variants (quick: a 32 MiB region). */
function expectMeasured(run: Run): void {
  expect(run.experiment.id).toBe('own-dontneed');
  expect(run.variants.map((v) => v.variant).sort()).toEqual(['dontneed', 'kept']);
  for (const v of run.variants) {
    expect(v.status).toBe('ok');
    expect(v.marks.map((m) => m.phase)).toEqual(['touch', 'free', 'end']);
    expect(evaluateMetric(v, 'region.main.rss@end:touch')).toBeGreaterThanOrEqual(32 * MiB * 0.95);
    expect(v.expectations.length).toBe(2);
    expect(v.expectations.every((e) => e.status === 'held')).toBe(true);
  }
  const kept = run.variants.find((v) => v.variant === 'kept')!;
  const dropped = run.variants.find((v) => v.variant === 'dontneed')!;
  expect(evaluateMetric(kept, 'region.main.rss@end:free')).toBeGreaterThanOrEqual(32 * MiB * 0.95);
  expect(evaluateMetric(dropped, 'region.main.rss@end:free')).toBeLessThanOrEqual(32 * MiB * 0.05);
}

describe('your own experiment file', () => {
  it('rsslab run ./file.mjs --quick - runs the file, writes its Run, both variants measured as expected', async () => {
    const out = mkdtempSync(join(tmpdir(), 'rsslab-own-'));
    const r = await rsslab(['run', './test/fixtures/experiments/own-experiment.mjs', '--quick', '--out', out, '--format', 'md']);
    expect(r.stderr + r.stdout).toMatch(/own-dontneed/);
    expect(r.exitCode).toBe(0);
    expectMeasured(JSON.parse(readFileSync(join(out, 'own-dontneed.json'), 'utf8')) as Run);
  }, 60_000);

  it('runExperiment(definition) - the imported definition runs; the child finds its module by itself', async () => {
    const { runExperiment } = await import('../../src/experiment-source.js');
    const mod = (await import(pathToFileURL(join(FIXTURES, 'own-experiment.mjs')).href)) as { default: Parameters<typeof runExperiment>[0] };
    const run = await runExperiment(mod.default, { quick: true, interactive: false, tuneSystem: false });
    expectMeasured(run);
  }, 60_000);

  it('runExperiment(path) - a path is a user file, like on the command line', async () => {
    const { runExperiment } = await import('../../src/experiment-source.js');
    const run = await runExperiment(join(FIXTURES, 'own-experiment.mjs'), { quick: true, interactive: false, tuneSystem: false, variants: ['dontneed'] });
    expect(run.variants.map((v) => [v.variant, v.status])).toEqual([['dontneed', 'ok']]);
    expect(evaluateMetric(run.variants[0]!, 'region.main.rss@end:free')).toBeLessThanOrEqual(32 * MiB * 0.05);
  }, 60_000);

  it('bad file - no default export: exit 2 and what to write', async () => {
    const r = await rsslab(['run', './test/fixtures/experiments/no-default.mjs', '--quick']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no-default\.mjs has no default export; end it with `export default defineExperiment/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad file - wrong shape: exit 2 naming each problem', async () => {
    const r = await rsslab(['run', './test/fixtures/experiments/wrong-shape.mjs', '--quick']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/wrong-shape\.mjs is not a valid definition: id must be lowercase.*"Not An Id".*body must be a function.*variants must be a non-empty array/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad file - a missing file and a file that does not parse: exit 2', async () => {
    const missing = await rsslab(['run', './nowhere/my-experiment.mjs']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/no experiment file at .*nowhere\/my-experiment\.mjs/);
    const dir = mkdtempSync(join(tmpdir(), 'rsslab-own-'));
    await import('node:fs').then((fs) => fs.writeFileSync(join(dir, 'broken.mjs'), 'export default {\n'));
    const broken = await rsslab(['run', join(dir, 'broken.mjs')]);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(/cannot load the experiment file .*broken\.mjs: /);
  });

  it('runExperiment - a definition object that is not one is refused with a DefinitionError', async () => {
    const { runExperiment } = await import('../../src/experiment-source.js');
    await expect(runExperiment({ id: 'x' } as never)).rejects.toThrow(/not a valid definition: .*body must be a function/);
  });
});
