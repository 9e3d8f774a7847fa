// Building real counterparts with the machine's own toolchain, and the cache rsslab executes from:
// built once and reused, rebuilt when a source changes, refused when the cache could be someone
// else's, and skipped with the exact apt-get line when the toolchain is missing.
import { chmodSync, cpSync, mkdtempSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { buildCounterpart } from '../../src/lab/counterpart-build.js';
import { findExecutable } from '../../src/lab/toolchain.js';
import type { CounterpartSpec, Params } from '../../src/lab/experiment.js';

const packageCounterparts = join(import.meta.dirname, '..', '..', 'counterparts');
const cc = findExecutable('cc', process.env.PATH);
const noCc = cc ? null : 'no cc on PATH (apt-get install gcc)';

const thpLoop: CounterpartSpec<Params> = {
  id: 'thp-loop',
  label: 'the seed loop',
  description: 'test',
  language: 'c',
  sources: ['thp_loop.c'],
  args: () => [],
};

function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `rsslab-${name}-`));
}

/** A copy of the package's counterparts/ the test may edit. */
function sourceCopy(): string {
  const root = tempDir('cp-src');
  cpSync(packageCounterparts, root, { recursive: true });
  return root;
}

describe('counterpart build and cache', () => {
  it.skipIf(noCc)('build - compiles with cc, and a second build of the same sources is a cache hit with the same binary', async () => {
    const cacheDir = join(tempDir('cache'), 'rsslab');
    const first = await buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: packageCounterparts, cacheDir });
    if (!first.ok) throw new Error(first.reason);
    expect(first.built.cached).toBe(false);
    expect(first.built.binary.startsWith(join(cacheDir, 'counterparts', first.built.hash))).toBe(true);
    expect(first.built.compiler).toMatch(/\S/);
    const st = statSync(first.built.binary);
    expect(st.mode & 0o022).toBe(0);
    expect(statSync(join(cacheDir, 'counterparts')).mode & 0o777).toBe(0o700);
    const second = await buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: packageCounterparts, cacheDir });
    if (!second.ok) throw new Error(second.reason);
    expect(second.built.cached).toBe(true);
    expect(second.built.hash).toBe(first.built.hash);
    expect(second.built.binarySha256).toBe(first.built.binarySha256);
    // the build record names what was hashed
    const record = JSON.parse(readFileSync(join(cacheDir, 'counterparts', first.built.hash, 'build.json'), 'utf8')) as { sources: Array<[string, string]> };
    expect(record.sources.map(([n]) => n)).toEqual(['thp_loop.c', 'rsslab.h']);
    // run by hand (no fd 3), the program speaks its protocol on stderr and finishes
    const r = await execa(first.built.binary, ['bytes=4194304', 'idle-ms=0'], { reject: false, stdin: 'ignore' });
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr).split('\n')).toEqual(expect.arrayContaining(['mark 1 map mmap 4 MiB on a 2 MiB boundary, hint hugepage', 'mark 6 end end', 'done']));
  });

  it.skipIf(noCc)('build - a changed source (or the shared rsslab.h) gives a new hash and a new binary', async () => {
    const cacheDir = join(tempDir('cache'), 'rsslab');
    const root = sourceCopy();
    const a = await buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: root, cacheDir });
    appendFileSync(join(root, 'thp-khugepaged', 'thp_loop.c'), '\n/* edited */ static int edited_ = 1;\nint rsslab_edited(void) { return edited_; }\n');
    const b = await buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: root, cacheDir });
    appendFileSync(join(root, 'rsslab.h'), '\n/* helper edited */\n');
    const c = await buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: root, cacheDir });
    if (!a.ok || !b.ok || !c.ok) throw new Error('build failed');
    expect(b.built.cached).toBe(false);
    expect(new Set([a.built.hash, b.built.hash, c.built.hash]).size).toBe(3);
    expect(b.built.binarySha256).not.toBe(a.built.binarySha256);
  });

  it.skipIf(noCc)('build - a compile error is a reason with the compiler\'s message, and nothing is left in the cache', async () => {
    const cacheDir = join(tempDir('cache'), 'rsslab');
    const root = sourceCopy();
    writeFileSync(join(root, 'thp-khugepaged', 'thp_loop.c'), 'int main(void) { return missing_symbol; }\n');
    const r = await buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: root, cacheDir });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/building counterpart thp-loop failed .*missing_symbol/s);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(cacheDir, 'counterparts'))).toEqual([]);
  });

  it.skipIf(!findExecutable('go', process.env.PATH))('build - a Go counterpart builds offline in GOPATH mode with the shared counterparts/rsslab.go linked in', async () => {
    const root = tempDir('go-src');
    mkdirSync(join(root, 'x'));
    writeFileSync(join(root, 'x', 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(helper()) }\n');
    writeFileSync(join(root, 'rsslab.go'), 'package main\n\nfunc helper() string { return "helper linked" }\n');
    const cacheDir = join(tempDir('cache'), 'rsslab');
    const spec: CounterpartSpec<Params> = { ...thpLoop, language: 'go', sources: ['main.go'] };
    const a = await buildCounterpart('x', spec, { sourceRoot: root, cacheDir });
    if (!a.ok) throw new Error(a.reason);
    expect(a.built.compiler).toMatch(/^go version go/);
    expect((await execa(a.built.binary)).stdout).toBe('helper linked');
    // Go's own build cache lives in ours, not in $HOME
    expect(statSync(join(cacheDir, 'counterparts', 'go-build')).isDirectory()).toBe(true);
    const b = await buildCounterpart('x', spec, { sourceRoot: root, cacheDir });
    expect(b.ok && b.built.cached).toBe(true);
  });

  it('cache - a group/world-writable cache directory is refused (rsslab would execute what others put there)', async () => {
    const cacheDir = join(tempDir('cache'), 'rsslab');
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    await expect(buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: packageCounterparts, cacheDir })).rejects.toThrow(/refusing rsslab cache directory .*mode 777 lets others write into it.*RSSLAB_CACHE_DIR/);
  });

  it('cache - a cache directory that is a symbolic link is refused', async () => {
    const base = tempDir('cache');
    mkdirSync(join(base, 'elsewhere'));
    symlinkSync(join(base, 'elsewhere'), join(base, 'rsslab'));
    await expect(buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: packageCounterparts, cacheDir: join(base, 'rsslab') })).rejects.toThrow(/refusing rsslab cache directory .*symbolic link/);
  });

  it.skipIf(noCc)('cache - a cached binary others could replace is refused, not executed', async () => {
    const cacheDir = join(tempDir('cache'), 'rsslab');
    const a = await buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: packageCounterparts, cacheDir });
    if (!a.ok) throw new Error(a.reason);
    chmodSync(a.built.binary, 0o777);
    await expect(buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: packageCounterparts, cacheDir })).rejects.toThrow(/refusing cached counterpart .*mode 777/);
  });

  it('toolchain - with a PATH lacking cc the counterpart is skipped with the exact apt-get line', async () => {
    const empty = tempDir('empty-path');
    const r = await buildCounterpart('thp-khugepaged', thpLoop, { sourceRoot: packageCounterparts, cacheDir: join(tempDir('cache'), 'rsslab'), env: { PATH: empty } });
    expect(r).toEqual({ ok: false, reason: 'counterpart thp-loop needs the c compiler `cc`, which is not on PATH: apt-get install gcc' });
  });

  it('toolchain - with a PATH lacking go a Go counterpart is skipped with apt-get install golang-go', async () => {
    const r = await buildCounterpart('x', { ...thpLoop, language: 'go', sources: ['main.go'] }, { sourceRoot: packageCounterparts, env: { PATH: tempDir('empty-path') } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/needs the go compiler `go`.*: apt-get install golang-go$/);
  });

  it.skipIf(noCc)('toolchain - a header the compiler cannot find skips the counterpart with its package in the apt-get line', async () => {
    const spec = { ...thpLoop, needs: { headers: ['rsslab-no-such/header.h'], apt: ['libno-such-dev'] } };
    const r = await buildCounterpart('thp-khugepaged', spec, { sourceRoot: packageCounterparts, cacheDir: join(tempDir('cache'), 'rsslab') });
    expect(r).toEqual({ ok: false, reason: 'counterpart thp-loop needs the header <rsslab-no-such/header.h>: apt-get install gcc libno-such-dev' });
  });

  it('sources - a source outside counterparts/<experiment>/ is refused before anything is read', async () => {
    const spec = { ...thpLoop, sources: ['../../etc/passwd'] };
    await expect(buildCounterpart('thp-khugepaged', spec, { sourceRoot: packageCounterparts, cacheDir: join(tempDir('cache'), 'rsslab'), env: { PATH: process.env.PATH ?? '' } })).rejects.toThrow(/must be a plain file name/);
  });
});
