// The fallback a user gets when no prebuilt addon fits their machine (another architecture, or a libc
// too old for the prebuilds): the packed tarball with prebuilds/ taken out, installed into an empty
// project with the machine's compiler on PATH. node-gyp-build's install script finds no prebuild and
// runs node-gyp rebuild (npm's own node-gyp); the addon built there must load, work on the real kernel
// (scripts/addon-probe.cjs) and export exactly what the shipped prebuild exports. CI compiles no C++
// anywhere else: this is the test that the sources still build with a stock toolchain.
import { execa, execaSync } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script, no types
import * as check from '../../scripts/check-prebuilds.mjs';

interface ProbeResult {
  file: string;
  error?: string;
  exports: string[];
  adviceNames: string[];
}
const { probe, problems } = check as {
  probe(dir: string, arch?: string): ProbeResult;
  problems(r: ProbeResult, expected: { arch: string; file: string }): string[];
};

const ROOT = join(import.meta.dirname, '../..');
const missing = ['g++', 'make', 'python3'].filter((tool) => execaSync('sh', ['-c', `command -v ${tool}`], { reject: false }).exitCode !== 0);
if (missing.length) console.warn(`build-from-source test skipped: no ${missing.join(', ')} on PATH`);

let work = '';
let pkg = '';
let project = '';
let install: { exitCode: number | undefined; all: string; seconds: number } = { exitCode: undefined, all: '', seconds: 0 };
// JOBS: node-gyp compiles on every core (one job by default); the build itself is the user's
const env = { CI: 'true', npm_config_update_notifier: 'false', JOBS: 'max' };

describe.skipIf(missing.length > 0)('no prebuild fits: the packed tarball builds the addon from source at install', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rsslab-source-'));
    const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
    const [info] = JSON.parse(pack.stdout) as Array<{ filename: string }>;
    // the tarball as a user on an architecture without a prebuild effectively gets it
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    await execa('tar', ['xzf', join(work, info!.filename), '-C', unpacked]);
    rmSync(join(unpacked, 'package', 'prebuilds'), { recursive: true });
    const tarball = join(work, 'rsslab-no-prebuilds.tgz');
    await execa('tar', ['czf', tarball, '-C', unpacked, 'package']);

    project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'source-project', version: '1.0.0', private: true, type: 'module' }));
    const started = Date.now();
    const r = await execa('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball], { cwd: project, env, reject: false, all: true });
    install = { exitCode: r.exitCode, all: r.all ?? '', seconds: (Date.now() - started) / 1000 };
    console.log(`build-from-source: npm install with the addon compiled took ${install.seconds.toFixed(1)} s`);
    pkg = join(project, 'node_modules', 'rsslab');
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('install - without prebuilds/ the install script compiles build/Release/rsslab.node with node-gyp', () => {
    expect(install.exitCode, install.all).toBe(0);
    expect(existsSync(join(pkg, 'prebuilds'))).toBe(false);
    expect(existsSync(join(pkg, 'build', 'Release', 'rsslab.node')), install.all).toBe(true);
    expect(install.all).toMatch(/gyp info ok/);
  });

  it('load - node-gyp-build picks the built addon; it maps, touches, gives back and reads residency and VmRSS on the real kernel', () => {
    const built = probe(pkg);
    expect(problems(built, { arch: process.arch, file: join('build', 'Release', 'rsslab.node') }), JSON.stringify(built)).toEqual([]);
    expect(built.file).toBe(join(pkg, 'build', 'Release', 'rsslab.node'));
  });

  it.skipIf(!existsSync(join(ROOT, 'prebuilds', `linux-${process.arch}`, 'rsslab.node')))('agreement - the addon built from source exports the same functions and advice names as the shipped prebuild', () => {
    const built = probe(pkg);
    const shipped = probe(prebuildsOnly());
    expect(shipped.file).toMatch(new RegExp(`/prebuilds/linux-${process.arch}/rsslab\\.node$`));
    expect(built.exports).toEqual(shipped.exports);
    expect(built.adviceNames).toEqual(shipped.adviceNames);
  });

  it('npx rsslab doctor and the library - run on the addon built from source', async () => {
    const doctor = await execa('npx', ['--no-install', 'rsslab', 'doctor'], { cwd: project, env, reject: false, all: true });
    expect([0, 1], doctor.all).toContain(doctor.exitCode);
    expect(doctor.all).toMatch(/kernel +\d+\.\d+\S* \(\w+\), \d+ CPUs/);
    const script = "import { mapRegion } from 'rsslab'; const r = mapRegion(8 << 20); r.touch(); console.log(r.residency().residentPages); r.unmap();";
    const lib = await execa('node', ['--input-type=module', '-e', script], { cwd: project, env, reject: false, all: true });
    expect(lib.exitCode, lib.all).toBe(0);
    expect(Number(lib.stdout.trim())).toBe((8 << 20) / 4096);
  }, 60_000);
});

// a directory whose only content is a link to the repository's prebuilds/: node-gyp-build must pick a prebuild there
function prebuildsOnly(): string {
  const dir = join(work, 'prebuilds-only');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    symlinkSync(join(ROOT, 'prebuilds'), join(dir, 'prebuilds'));
  }
  return dir;
}
