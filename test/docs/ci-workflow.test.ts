// docs/ci.md's GitHub Actions workflow, run AS WRITTEN on this machine: the YAML is read out of the page
// and every `run:` step runs with `bash -e`, the way GitHub runs it (test/helpers/github-actions.ts).
// Smaller than on a runner: EXPERIMENTS is one variant ("madv-free --variant dontneed") and REPEAT 5,
// the fewest with which one of that variant's ~7 tested figures can pass Holm–Bonferroni at α = 0.05.
// Stand-ins, because GitHub and the Debian mirrors are unreachable here (docs/ci.md says the same):
//   actions/checkout        links this package's tracked files into the workspace (or `path:`), then
//                           copies the test's repository state (a committed ci/rsslab-baseline/ or none)
//   actions/setup-node      checks that the Node on PATH is the major version the workflow asks for
//   actions/upload-artifact copies `path` into an artifacts folder (nothing there: a warning, as on GitHub)
//   npm ci                  links the installed node_modules/, build/ and dist/ (installing from the
//                           registry is the subject of the package tests, not of this one)
//   apt-get                 update does nothing; install checks with dpkg -s that each package is installed
//                           (exit 100 like apt when not, so the workflow's tcmalloc fallback runs for real)
//   sudo                    runs the command (the test is root already)
// Proven: the first run makes its baseline and says so without failing; with a baseline the candidate
// is worse than (a DOCTORED COPY of the first run's Runs: the region's RSS after the touch set to 16 MiB
// in every baseline repeat, as if base had touched a quarter of the memory) compare exits 1, the job
// fails, and the summary still holds the run's tables and compare's verdict; the interleaved job runs
// two checkouts of this package alternately and finds no regression between identical code.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { runJob, workflowFromMarkdown, type ActionStandIn, type JobResult, type Workflow } from '../helpers/github-actions.js';
import type { Run } from '../../src/run/schema.js';

const PKG = join(import.meta.dirname, '../..');
const DOC = join(PKG, 'docs/ci.md');
const MISSING = existsSync(join(PKG, 'dist/src/cli.js')) ? null : 'dist/src/cli.js is missing: run `npm run build` first';
const MiB = 1 << 20;
const SMALL = { EXPERIMENTS: 'madv-free --variant dontneed', REPEAT: '5' };

const root = mkdtempSync(join(tmpdir(), 'rsslab-ci-workflow-'));
const bin = join(root, 'bin');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function shim(name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

function makeShims(): void {
  mkdirSync(bin, { recursive: true });
  shim('sudo', '# stand-in: the test runs as root; sudo\'s own options are dropped\nwhile [ $# -gt 0 ]; do case "$1" in --) shift; break;; -*) shift;; *) break;; esac; done\nexec "$@"');
  shim(
    'apt-get',
    '# stand-in: no mirror is reachable; install checks that each package is installed\ncmd=$1; shift\ncase "$cmd" in\n  update) echo "apt-get update (stand-in: nothing fetched)"; exit 0;;\n  install) for p in "$@"; do case "$p" in -*) continue;; esac; dpkg -s "$p" >/dev/null 2>&1 || { echo "E: Unable to locate package $p" >&2; exit 100; }; done; exit 0;;\n  *) echo "apt-get stand-in: $cmd is not supported" >&2; exit 1;;\nesac',
  );
  const npm = execaSync('sh', ['-c', 'command -v npm']).stdout.trim();
  shim('npm', `# stand-in for npm ci: link the installed tree\nif [ "$1" = ci ]; then for d in node_modules build dist; do ln -sfn '${PKG}/'"$d" "$d"; done; exit 0; fi\nexec '${npm}' "$@"`);
}

/** The repository as the workflow would check it out: this package's tracked files, plus `state` (e.g. ci/). */
function actions(artifacts: string, state: string | null): Record<string, ActionStandIn> {
  const tracked = [...new Set(execaSync('git', ['ls-files'], { cwd: PKG }).stdout.split('\n').map((f) => f.split('/')[0]!))];
  return {
    'actions/checkout': ({ workspace, with: w }) => {
      const target = w.path ? join(workspace, w.path) : workspace;
      mkdirSync(target, { recursive: true });
      for (const name of tracked) if (name && !existsSync(join(target, name))) symlinkSync(join(PKG, name), join(target, name));
      if (state) cpSync(state, target, { recursive: true });
    },
    'actions/setup-node': ({ with: w }) => {
      const want = String(w['node-version']);
      if (process.versions.node.split('.')[0] !== want) throw new Error(`setup-node stand-in: the workflow asks for Node ${want}, PATH has ${process.versions.node}`);
    },
    'actions/upload-artifact': ({ workspace, with: w }) => {
      const from = join(workspace, w.path!);
      if (!existsSync(from)) return; // GitHub: "No files were found with the provided path" — a warning
      cpSync(from, join(artifacts, w.name!), { recursive: true, dereference: true });
    },
  };
}

async function runWorkflowJob(workflow: Workflow, job: string, name: string, eventName: string, state: string | null): Promise<{ job: JobResult; artifacts: string; workspace: string }> {
  const base = join(root, name);
  const workspace = join(base, 'workspace');
  const artifacts = join(base, 'artifacts');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  const result = await runJob(workflow, job, { workspace, runnerTemp: join(base, 'runner-temp'), eventName, actions: actions(artifacts, state), envOverrides: SMALL, pathPrefix: [bin], timeoutMs: 600_000 });
  return { job: result, artifacts, workspace };
}

const step = (job: JobResult, label: RegExp) => {
  const s = job.steps.find((x) => label.test(x.label));
  if (!s) throw new Error(`no step matching ${label}: ${job.steps.map((x) => x.label).join(' | ')}`);
  return s;
};

let workflow: Workflow;
let first: Awaited<ReturnType<typeof runWorkflowJob>>;

beforeAll(async () => {
  if (MISSING) return;
  makeShims();
  workflow = workflowFromMarkdown(DOC);
  first = await runWorkflowJob(workflow, 'baseline', 'first', 'push', null);
}, 600_000);

describe.skipIf(MISSING !== null)('docs/ci.md workflow, run as written (bash -e, stand-ins for actions)', () => {
  it('workflow - the page holds a baseline job and an interleaved job, and run scripts use no ${{ }}', () => {
    expect(Object.keys(workflow.jobs)).toEqual(['baseline', 'interleaved']);
    expect(workflow.env).toMatchObject({ EXPERIMENTS: '--all', REPEAT: 8 });
    const scripts = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ''));
    expect(scripts.filter((r) => r.includes('${{'))).toEqual([]);
  });

  it('workflow - the first run, with no baseline in the repository, makes one and says so, and the job passes', () => {
    const { job, artifacts } = first;
    expect(step(job, /^Run the experiments/)).toMatchObject({ outcome: 'success', exitCode: 0 });
    expect(step(job, /^Install the allocators/).outcome).toBe('success'); // tcmalloc: the t64 name fails here, the fallback installs
    const compare = step(job, /^Compare with the committed baseline/);
    expect(compare).toMatchObject({ outcome: 'success', outputs: { bootstrapped: 'true' } });
    expect(job.conclusion).toBe('success');
    expect(job.summary).toMatch(/No baseline in ci\/rsslab-baseline\/ yet: this run's Runs are the baseline now/);
    // the run's own summary is on the page too
    expect(job.summary).toContain(readFileSync(join(artifacts, 'rsslab-runs/summary.md'), 'utf8'));
    const made = JSON.parse(readFileSync(join(artifacts, 'rsslab-baseline/madv-free.json'), 'utf8')) as Run;
    expect(made.variants.map((v) => `${v.variant}#${v.repeat}:${v.status}`)).toEqual([0, 1, 2, 3, 4].map((i) => `dontneed#${i}:ok`));
    expect(step(job, /^Keep the new baseline/).skipped).toBe(false);
    expect(step(job, /^Fail if an expectation failed/).skipped).toBe(true);
  });

  it('workflow - a candidate worse than the committed baseline: compare exits 1, the job fails, and the summary keeps the run and the verdict', async () => {
    // the repository now holds a baseline: the first run's Runs, doctored (see the header)
    const state = join(root, 'repo-with-baseline');
    mkdirSync(join(state, 'ci/rsslab-baseline'), { recursive: true });
    const run = JSON.parse(readFileSync(join(first.artifacts, 'rsslab-baseline/madv-free.json'), 'utf8')) as Run;
    expect(run.variants.every((v) => v.metrics['region.main.rss@end:touch'] === 64 * MiB)).toBe(true);
    for (const v of run.variants) v.metrics['region.main.rss@end:touch'] = 16 * MiB;
    writeFileSync(join(state, 'ci/rsslab-baseline/madv-free.json'), JSON.stringify(run));

    const { job, artifacts } = await runWorkflowJob(workflow, 'baseline', 'second', 'push', state);
    expect(step(job, /^Run the experiments/).outcome).toBe('success');
    const compare = step(job, /^Compare with the committed baseline/);
    expect(compare).toMatchObject({ outcome: 'failure', exitCode: 1, outputs: {} });
    expect(job.conclusion).toBe('failure');
    // both the run's tables (written by the step after it, if: always()) and compare's Markdown survive
    expect(job.summary).toContain(readFileSync(join(artifacts, 'rsslab-runs/summary.md'), 'utf8'));
    expect(job.summary).toMatch(/\*\*❌ 1 regression beyond the thresholds/);
    expect(job.summary).toMatch(/\| madv-free\/dontneed \| region\.main\.rss@end:touch \| 16\.0 MiB \(n=5\) \| 64\.0 MiB \(n=5\) \| \+48\.0 MiB \(\+300\.0%\) \| 0\.004 → 0\.0\d\d \| \*\*✗ regression\*\* \|/);
    expect(job.summary).toMatch(/figures tested together, Holm–Bonferroni at α = 0\.05/);
    expect(job.summary).not.toMatch(/No baseline/);
    // the Runs are kept even though the job failed; the last step is skipped (GitHub's implicit success())
    expect(step(job, /^Keep the Runs and reports/).skipped).toBe(false);
    expect(existsSync(join(artifacts, 'rsslab-runs/madv-free.json'))).toBe(true);
    expect(step(job, /^Keep the new baseline/).skipped).toBe(true);
    expect(step(job, /^Fail if an expectation failed/).skipped).toBe(true);
  });

  it('workflow - the interleaved job runs only on pull requests', async () => {
    const { job } = await runWorkflowJob(workflow, 'interleaved', 'interleaved-push', 'push', null);
    expect(job).toMatchObject({ skipped: true, conclusion: 'skipped' });
  });

  it('workflow - the interleaved job measures base and head alternately on this machine; identical code, no regression', async () => {
    const { job, artifacts } = await runWorkflowJob(workflow, 'interleaved', 'interleaved', 'pull_request', null);
    const measure = step(job, /^Measure base and head alternately/);
    expect(measure.log).toMatch(/round 1\/5, baseline \(.*\/workspace\/base\)/);
    expect(measure.exitCode).toBe(0);
    expect(job.conclusion).toBe('success');
    expect(job.summary).toMatch(/✅ no regression/);
    expect(job.summary).toMatch(/interleaved on this machine: 5 rounds, order B C C B B C C B B C/);
    for (const side of ['baseline', 'candidate']) expect(readdirSync(join(artifacts, 'rsslab-interleaved', side)).sort()).toEqual(['1', '2', '3', '4', '5']);
  });
});
