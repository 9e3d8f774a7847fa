// Every addon the package ships is loaded and used, not just present: prebuilds/linux-x64 natively and
// prebuilds/linux-arm64 by the official arm64 Node under qemu-user (Debian's qemu-user-static and the
// arm64 C/C++ runtime of libc6-arm64-cross + libstdc++6-arm64-cross, .ci/apt-packages.txt). Each is
// picked by node-gyp-build from a directory holding only prebuilds/, as an installed package picks
// it, then maps 64 MiB, touches it, gives half back with MADV_DONTNEED and reads residency and VmRSS
// (scripts/addon-probe.cjs). qemu-user passes those system calls to this kernel, so the figures are
// the kernel's, not an emulator's. `npm run check:prebuilds` is the same check as a command.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script, no types
import * as check from '../../scripts/check-prebuilds.mjs';

interface ProbeResult {
  arch: string;
  node: string;
  file: string;
  error?: string;
  exports: string[];
  adviceNames: string[];
  features: { pageSize: number };
  touched: { residentPages: number; pages: number; rssGrowth: number };
  dontneed: { residentPages: number; rssDrop: number };
  ms: number;
}
interface Check {
  results: Array<{ name: string; arch: string; result: ProbeResult; problems: string[] }>;
  agree: boolean;
  ok: boolean;
}
const { arm64Emulation, checkPrebuilds } = check as { arm64Emulation(): { missing?: string[] }; checkPrebuilds(): Check };

const ROOT = join(import.meta.dirname, '../..');
const emulation = process.arch === 'x64' ? arm64Emulation() : { missing: [`an x64 host (this is ${process.arch})`] };
if (emulation.missing) console.warn(`prebuilds test: linux-arm64 not loaded, missing ${emulation.missing.join(', ')}`);

// the newest symbol version each binary needs from glibc / libstdc++, read from its dynamic symbol table
function newestVersion(file: string, lib: 'GLIBC' | 'GLIBCXX'): string {
  const table = execFileSync('readelf', ['--dyn-syms', '--wide', file], { encoding: 'utf8' });
  const versions = [...table.matchAll(new RegExp(`@${lib}_([0-9.]+)`, 'g'))].map((m) => m[1]!);
  const key = (v: string) => v.split('.').map((n) => n.padStart(4, '0')).join('.');
  return versions.sort((a, b) => key(a).localeCompare(key(b))).pop() ?? 'none';
}

describe('the shipped prebuilt addons, loaded and used', () => {
  let run: Check | undefined;
  const result = (name: string) => {
    run ??= checkPrebuilds();
    const r = run.results.find((x) => x.name === name);
    expect(r, name).toBeDefined();
    return r!;
  };

  it.skipIf(process.arch !== 'x64')('prebuilds/linux-x64 - node-gyp-build picks it on x64; 64 MiB touched are resident and in VmRSS, half given back leaves', () => {
    const r = result('prebuilds/linux-x64');
    expect(r.problems, JSON.stringify(r.result)).toEqual([]);
    expect(r.result.file).toMatch(/\/prebuilds\/linux-x64\/rsslab\.node$/);
    expect(r.result.touched.residentPages).toBe((64 << 20) / r.result.features.pageSize);
  }, 240_000);

  it.skipIf(!!emulation.missing)('prebuilds/linux-arm64 - an arm64 node under qemu-user loads it through node-gyp-build and its system calls do what the kernel does', () => {
    const r = result('prebuilds/linux-arm64');
    expect(r.problems, JSON.stringify(r.result)).toEqual([]);
    expect(r.result.arch).toBe('arm64');
    expect(r.result.file).toMatch(/\/prebuilds\/linux-arm64\/rsslab\.node$/);
    expect(r.result.touched.rssGrowth).toBeGreaterThanOrEqual(0.9 * (64 << 20));
    expect(r.result.dontneed.residentPages).toBe(r.result.touched.pages / 2);
  }, 240_000);

  it('agreement - the local build and every prebuild that loaded export the same functions and advice names', () => {
    run ??= checkPrebuilds();
    const loaded = run.results.filter((x) => !x.result.error);
    expect(loaded.length).toBeGreaterThanOrEqual(existsSync(join(ROOT, 'build', 'Release', 'rsslab.node')) ? 2 : 1);
    expect(run.agree).toBe(true);
    for (const x of loaded) expect(x.result.exports, x.name).toEqual(loaded[0]!.result.exports);
    expect(loaded[0]!.result.exports).toEqual(expect.arrayContaining(['Region', 'BlockSet', 'FileLock', 'features', 'classifyPageMap']));
  }, 240_000);

  it('glibc floor - the prebuilds need at most glibc 2.34 and GLIBCXX_3.4.29 (GCC 11 libstdc++), as README says', () => {
    for (const tag of ['linux-x64', 'linux-arm64']) {
      const file = join(ROOT, 'prebuilds', tag, 'rsslab.node');
      expect(existsSync(file), file).toBe(true);
      expect([newestVersion(file, 'GLIBC'), newestVersion(file, 'GLIBCXX')], tag).toEqual(['2.34', '3.4.29']);
    }
  });
});
