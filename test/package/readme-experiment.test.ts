// README's "Your own experiment" block, exactly as written there: saved as my-experiment.mjs in a
// project where rsslab is installed (node_modules/rsslab → this package) and run with
// `rsslab run ./my-experiment.mjs --quick`, so README and code cannot drift apart.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/run/schema.js';
import { evaluateMetric } from '../../src/check/metric.js';

const ROOT = join(import.meta.dirname, '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first ```js block of the section. */
function readmeExperiment(): string {
  const section = readme.split(/^## Your own experiment\n/m)[1]?.split(/^## /m)[0] ?? '';
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```js block under "## Your own experiment"');
  return block;
}

describe('README - your own experiment', () => {
  it('readme experiment - the block runs as written with `rsslab run ./my-experiment.mjs --quick` and its expectations hold', async () => {
    const project = mkdtempSync(join(tmpdir(), 'rsslab-readme-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'rsslab'));
    writeFileSync(join(project, 'my-experiment.mjs'), readmeExperiment());
    expect(readme).toContain('npx rsslab run ./my-experiment.mjs --quick');

    const r = await execa(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'run', './my-experiment.mjs', '--quick', '--format', 'md'], { cwd: project, reject: false, all: true, env: { CI: 'true' } });
    expect(r.exitCode, r.all).toBe(0);
    const run = JSON.parse(readFileSync(join(project, 'rsslab-runs', 'trim-half-freed.json'), 'utf8')) as Run;
    const MiB = 1024 * 1024;
    const byId = Object.fromEntries(run.variants.map((v) => [v.variant, v]));
    expect(Object.keys(byId).sort()).toEqual(['all', 'half']);
    for (const v of run.variants) {
      expect(v.status).toBe('ok');
      expect(v.expectations.map((e) => e.status)).toEqual(['held', 'held']);
      expect(evaluateMetric(v, 'rss@delta:alloc')).toBeGreaterThanOrEqual(32 * MiB * 0.9);
    }
    // what README says was measured: all freed and trimmed gives the heap back, half freed almost nothing
    expect(evaluateMetric(byId.all!, 'rss@delta:free')).toBeLessThanOrEqual(-32 * MiB * 0.8);
    expect(evaluateMetric(byId.half!, 'rss@delta:free')).toBeGreaterThanOrEqual(-32 * MiB * 0.1);
  }, 60_000);
});
