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
