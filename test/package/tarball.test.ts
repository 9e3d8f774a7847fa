// The package the way a user gets it: `npm pack`, installed into an empty project whose PATH has
// node and npm but no compiler (no cc, c++, g++, gcc, make, python3), then `npx rsslab doctor` and
// `npx rsslab list` there. The addon must come from the prebuilt binary the tarball ships
// (prebuilds/linux-x64, node-gyp-build), built from the native sources as they are now.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs build script, no types
import { nativeSourcesHash } from '../../scripts/native-sources.mjs';

const ROOT = join(import.meta.dirname, '../..');
const PREBUILD = join(ROOT, 'prebuilds', 'linux-x64', 'rsslab.node');
const NPM_CLI = join(dirname(process.execPath), '../lib/node_modules/npm/bin');
const stale = !existsSync(PREBUILD)
  ? 'prebuilds/linux-x64/rsslab.node is missing'
  : readFileSync(join(ROOT, 'prebuilds', 'SOURCES.sha256'), 'utf8').trim() !== (nativeSourcesHash as (root: string) => string)(ROOT)
    ? 'prebuilds/ were built from other native sources than these'
    : null;
const canRun = process.arch === 'x64' && existsSync(join(NPM_CLI, 'npm-cli.js'));
if (!canRun) console.warn(`tarball test skipped: needs linux-x64 and npm beside node (${NPM_CLI})`);

let work = '';
let project = '';
let files: string[] = [];
let tarball = '';
let env: Record<string, string> = {};
let install: { exitCode: number | undefined; all: string } = { exitCode: undefined, all: '' };

describe.skipIf(!canRun)('the packed tarball, installed without a compiler', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rsslab-pack-'));
    // dist/ is fresh (pretest); --ignore-scripts: prepare would compile it again
    const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
    const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info!.files.map((f) => f.path);
    tarball = info!.filename;

    // a PATH with node, npm and npx (and sh, which npm runs install scripts with): no compiler, make or python
    const bin = join(work, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(join(NPM_CLI, 'npm-cli.js'), join(bin, 'npm'));
    symlinkSync(join(NPM_CLI, 'npx-cli.js'), join(bin, 'npx'));
    env = { PATH: bin, HOME: process.env.HOME ?? '/root', CI: 'true', npm_config_update_notifier: 'false' };

    project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', private: true, type: 'module' }));
    const r = await execa('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info!.filename)], { cwd: project, env, extendEnv: false, reject: false, all: true });
    install = { exitCode: r.exitCode, all: r.all ?? '' };
  }, 240_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('prebuilds - the shipped linux-x64 addon was built from the native sources as they are now', () => {
    expect(stale, `${stale}: run \`npm run build:prebuilds\``).toBeNull();
  });

  it('files - dist, native sources with binding.gyp, prebuilds, counterparts, docs, README, LICENSE; no tests, TypeScript sources or maps', () => {
    for (const f of ['dist/src/cli.js', 'dist/src/index.d.ts', 'dist/src/lab/child.js', 'dist/experiments/madv-free.js', 'dist/report-charts.js', 'binding.gyp', 'native/region.cc', 'prebuilds/linux-x64/rsslab.node', 'counterparts/rsslab.h', 'README.md', 'LICENSE', 'docs/ci.md', 'package.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|src|scripts|build|\.ci)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // the only pictures are the ones README shows
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const img of files.filter((f) => /\.(png|jpe?g|gif|svg)$/.test(f))) expect(readme, img).toContain(img);
  });

  it('install - no compiler on PATH, the install uses the prebuilt addon and builds nothing', () => {
    expect(install.exitCode, install.all).toBe(0);
    const pkg = join(project, 'node_modules', 'rsslab');
    expect(existsSync(join(pkg, 'prebuilds', 'linux-x64', 'rsslab.node'))).toBe(true);
    expect(existsSync(join(pkg, 'build', 'Release', 'rsslab.node'))).toBe(false);
    for (const tool of ['cc', 'c++', 'g++', 'gcc', 'make', 'python3']) expect(existsSync(join(env.PATH!, tool)), tool).toBe(false);
  });

  it('npx rsslab doctor - runs there and reports this kernel', async () => {
    const r = await execa('npx', ['--no-install', 'rsslab', 'doctor'], { cwd: project, env, extendEnv: false, reject: false, all: true });
    expect([0, 1], r.all).toContain(r.exitCode);
    expect(r.all).toMatch(/kernel +\d+\.\d+\S* \(x64\), \d+ CPUs/);
    expect(r.all).toMatch(/page sizes +4\.0 KiB pages/);
  }, 60_000);

  it('npx rsslab list - the five experiments; the library loads the addon from the prebuild and maps memory', async () => {
    const list = await execa('npx', ['--no-install', 'rsslab', 'list'], { cwd: project, env, extendEnv: false, reject: false, all: true });
    expect(list.exitCode, list.all).toBe(0);
    for (const id of ['thp-khugepaged', 'madv-free', 'faiss-cycles', 'runtime-heap', 'fragmentation']) expect(list.stdout).toContain(id);
    const script = "import { mapRegion } from 'rsslab'; const r = mapRegion(8 << 20); r.touch(); console.log(r.residency().residentPages); r.unmap();";
    const lib = await execa('node', ['--input-type=module', '-e', script], { cwd: project, env, extendEnv: false, reject: false, all: true });
    expect(lib.exitCode, lib.all).toBe(0);
    expect(Number(lib.stdout.trim())).toBe((8 << 20) / 4096);
  }, 60_000);

  it('rsslab/vitest - loads where vitest is not installed: an optional peer, never required at runtime', async () => {
    expect(existsSync(join(project, 'node_modules', 'vitest'))).toBe(false);
    const script = "import { memoryMatchers } from 'rsslab/vitest'; console.log(Object.keys(memoryMatchers).join(' '));";
    const r = await execa('node', ['--input-type=module', '-e', script], { cwd: project, env, extendEnv: false, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout.trim()).toBe('toHoldMemoryExpectations toSatisfyMemory toReturnMemory');
  }, 60_000);

  it("rsslab/vitest - a user's vitest test: expectMemory + the matchers pass on a program that unmaps 64 MiB and fail, explained, on one that keeps it; jest's expect too", async () => {
    const add = await execa('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', 'vitest@3.2', 'expect@30', 'typescript@5.9', '@types/node@20'], { cwd: project, env, extendEnv: false, reject: false, all: true });
    expect(add.exitCode, add.all).toBe(0);
    // the measured program: the package's own addon maps, touches and (or not) unmaps 64 MiB
    writeFileSync(join(project, 'alloc.mjs'), USER_PROGRAM);
    writeFileSync(join(project, 'returns.test.mjs'), userTest('unmap'));
    writeFileSync(join(project, 'keeps.test.mjs'), userTest('keep'));
    const report = join(work, 'vitest-report.json');
    const r = await execa('npx', ['--no-install', 'vitest', 'run', '--reporter=json', `--outputFile=${report}`], { cwd: project, env, extendEnv: false, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(1); // keeps.test.mjs fails, as it should
    const results = (JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ name: string; assertionResults: Array<{ status: string; failureMessages: string[] }> }> }).testResults;
    const byFile = Object.fromEntries(results.map((t) => [t.name.split('/').pop()!, t.assertionResults[0]!]));
    expect(byFile['returns.test.mjs']!.status, byFile['returns.test.mjs']!.failureMessages.join('\n')).toBe('passed');
    expect(byFile['keeps.test.mjs']!.status).toBe('failed');
    const message = byFile['keeps.test.mjs']!.failureMessages.join('\n');
    expect(message).toContain('memory expectation failed: rss@start:settled <= rss@start:load + 16MiB');
    expect(message).toMatch(/measured {2}rss@start:settled = [\d.]+ MiB, (?:4[4-9]|5\d)\.\d MiB over the limit/);
    expect(message).toMatch(/rss \(MiB\) around it/);

    // the matchers' types reach a TypeScript user through `expect` (and a wrong option is an error)
    writeFileSync(join(project, 'typed.ts'), TYPED_USE);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'] }, files: ['typed.ts'] }));
    const tsc = await execa('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], { cwd: project, env, extendEnv: false, reject: false, all: true });
    expect(tsc.exitCode, tsc.all).toBe(0);

    // jest's expect (the standalone `expect` package) takes the same matchers
    writeFileSync(join(project, 'jest-style.mjs'), JEST_STYLE);
    const j = await execa('node', ['jest-style.mjs'], { cwd: project, env, extendEnv: false, reject: false, all: true });
    expect(j.exitCode, j.all).toBe(0);
    expect(j.stdout).toMatch(/^held: true\nkept fails: expected the program's memory expectations to hold\n\nmemory expectation failed: rss@start:settled <= rss@start:load \+ 16MiB\n/);
  }, 300_000);
  it('--ignore-scripts - with no install script run at all (as an npm that holds scripts back), the prebuild still loads', async () => {
    const quiet = join(work, 'no-scripts');
    mkdirSync(quiet);
    writeFileSync(join(quiet, 'package.json'), JSON.stringify({ name: 'no-scripts', version: '1.0.0', private: true, type: 'module' }));
    const r = await execa('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], { cwd: quiet, env, extendEnv: false, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    const script = "import { mapRegion } from 'rsslab'; const r = mapRegion(8 << 20); r.touch(); console.log(r.residency().residentPages); r.unmap();";
    const lib = await execa('node', ['--input-type=module', '-e', script], { cwd: quiet, env, extendEnv: false, reject: false, all: true });
    expect(lib.exitCode, lib.all).toBe(0);
    expect(Number(lib.stdout.trim())).toBe((8 << 20) / 4096);
  }, 120_000);
});

// Each phase line is followed by a pause before the phase's work, as test/fixtures/ci/phases.c does: the
// parent samples a boundary when it reads the line, and without the pause that sample caught the first
// 8 MiB of the touch in a loaded CI run (rss@start:load 72.8 MiB instead of ~65).
const USER_PROGRAM = `import { mapRegion } from 'rsslab';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(200);
console.log('phase load');
await sleep(100);
const region = mapRegion(64 << 20);
region.touch();
await sleep(200);
console.log('phase free');
await sleep(100);
if (process.argv[2] === 'unmap') region.unmap();
await sleep(900);
`;

function userTest(mode: 'unmap' | 'keep'): string {
  return `import { test, expect } from 'vitest';
import { expectMemory } from 'rsslab';
import { memoryMatchers } from 'rsslab/vitest';
expect.extend(memoryMatchers);

test('the program gives its 64 MiB back', async () => {
  const result = await expectMemory({
    command: [process.execPath, './alloc.mjs', '${mode}'],
    markOnStdout: /^phase (\\w+)/,
    settleMs: 400,
    timeoutMs: 20_000,
    expect: ['rss@start:settled <= rss@start:load + 16MiB'],
  });
  expect(result).toSatisfyMemory('rss@max:load >= 64MiB');
  expect(result).toHoldMemoryExpectations();
  expect(result.run).toReturnMemory({ from: 'load', slack: '16MiB' });
}, 30_000);
`;
}

const TYPED_USE = `import { expect } from 'vitest';
import type { ExpectMemoryResult, Run } from 'rsslab';
import { memoryMatchers, type RsslabMatchers } from 'rsslab/vitest';
expect.extend(memoryMatchers);
export function check(result: ExpectMemoryResult, run: Run): RsslabMatchers<void> | null {
  expect(result).toHoldMemoryExpectations();
  expect(run).toReturnMemory({ from: 'load', at: 'settled', slack: '16MiB' });
  expect(result.run.variants[0]).not.toSatisfyMemory(['rss@max < 1MiB', 'rss@start:settled <= rss@start:load + 16MiB']);
  // @ts-expect-error -- slack is a size ("16MiB") or bytes, not a boolean
  expect(run).toReturnMemory({ slack: true });
  return null;
}
`;

const JEST_STYLE = `import { expect } from 'expect';
import { expectMemory } from 'rsslab';
import { memoryMatchers } from 'rsslab/vitest';
expect.extend(memoryMatchers);
const run = (mode) => expectMemory({ command: [process.execPath, './alloc.mjs', mode], markOnStdout: /^phase (\\w+)/, settleMs: 400, timeoutMs: 20_000, expect: ['rss@start:settled <= rss@start:load + 16MiB'], stdoutTo: process.stderr });
expect(await run('unmap')).toHoldMemoryExpectations();
console.log('held: true');
const kept = await run('keep');
expect(kept).not.toHoldMemoryExpectations();
try {
  expect(kept).toHoldMemoryExpectations();
} catch (e) {
  console.log('kept fails: ' + e.message);
}
`;
