import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { allocatorEnv, findAllocators, findAllocatorsSync, mergeGlibcTunables, parseLdconfig, untrustedLibraryReason, type InstalledAllocator } from '../../src/system/allocators.js';
import { FIXTURES, removeTree, skipReason, tempStateDir } from './helpers.js';

const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) removeTree(dir);
});

describe('ldconfig parser (captured on this machine)', () => {
  it('parseLdconfig - one entry per library line, header and footer ignored', () => {
    const text = readFileSync(join(FIXTURES, 'ldconfig-p.txt'), 'utf8');
    const entries = parseLdconfig(text);
    expect(entries).toHaveLength(Number(/^(\d+) libs found/.exec(text)?.[1]));
    expect(entries.find((e) => e.soname === 'libjemalloc.so.2')).toEqual({
      soname: 'libjemalloc.so.2',
      flags: 'libc6,x86-64',
      path: '/lib/x86_64-linux-gnu/libjemalloc.so.2',
    });
    expect(entries.filter((e) => /^lib(jemalloc|mimalloc|tcmalloc_minimal)\.so\.\d$/.test(e.soname)).map((e) => e.soname).sort()).toEqual([
      'libjemalloc.so.2',
      'libmimalloc.so.2',
      'libtcmalloc_minimal.so.4',
    ]);
  });
});

const found = await findAllocators();
const byName = (name: string): InstalledAllocator | undefined => found.find((a) => a.name === name);
const allThree = ['jemalloc', 'mimalloc', 'tcmalloc'].every((n) => byName(n)?.found === true);
const missing = found.filter((a) => !a.found).map((a) => a.reason).join('; ');

describe('allocators on this machine', () => {
  it.skipIf(skipReason(!allThree, `not all allocators installed: ${missing}`))(
    'findAllocators - glibc, jemalloc, mimalloc and tcmalloc found, with package versions',
    () => {
      console.log(found.map((a) => `${a.name} ${a.version} (${a.versionSource}) ${a.library ?? ''}`).join('\n'));
      expect(found.map((a) => a.name)).toEqual(['glibc', 'jemalloc', 'mimalloc', 'tcmalloc']);
      expect(byName('glibc')).toMatchObject({ library: null, found: true, versionSource: 'runtime' });
      expect(byName('glibc')?.version).toMatch(/^2\.\d+$/);
      for (const name of ['jemalloc', 'mimalloc', 'tcmalloc']) {
        const info = byName(name);
        expect(info?.library).toMatch(new RegExp(`/lib${name === 'tcmalloc' ? 'tcmalloc_minimal' : name}\\.so\\.\\d`));
        expect(info?.version).toMatch(/^\d+\.\d+/);
      }
      // the Debian packages PHENOMENA.md names: libjemalloc2 5.3, libmimalloc2.0 2.0.9, libtcmalloc-minimal4 2.10
      if (byName('jemalloc')?.versionSource === 'dpkg') {
        expect(byName('jemalloc')?.version).toMatch(/^5\./);
        expect(byName('mimalloc')?.version).toMatch(/^2\./);
        expect(byName('tcmalloc')?.package).toMatch(/^libtcmalloc-minimal4 /);
      }
    },
  );

  it.skipIf(skipReason(byName('jemalloc')?.found !== true, `jemalloc missing: ${byName('jemalloc')?.reason}`))(
    'allocatorEnv jemalloc - LD_PRELOAD prepended, MALLOC_CONF merged; a child really runs on jemalloc and accepts the conf',
    async () => {
      const result = allocatorEnv(
        'jemalloc',
        { mallocConf: { dirty_decay_ms: 0, muzzy_decay_ms: 0 } },
        { allocators: found, baseEnv: { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libm.so.6', MALLOC_CONF: 'narenas:2' } },
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const library = byName('jemalloc')?.library ?? '';
      expect(result.env).toEqual({
        LD_PRELOAD: `${library}:/usr/lib/x86_64-linux-gnu/libm.so.6`,
        MALLOC_CONF: 'narenas:2,dirty_decay_ms:0,muzzy_decay_ms:0',
      });
      const child = await execa('node', ['-e', "process.stdout.write(require('fs').readFileSync('/proc/self/maps','utf8'))"], {
        env: result.env,
      });
      expect(child.stdout).toContain('libjemalloc.so.2');
      expect(child.stderr).not.toMatch(/<jemalloc>/); // jemalloc complains on stderr about any conf it rejects
    },
  );

  it('allocatorEnv glibc - GLIBC_TUNABLES merged with ":" (ours override), and ld.so reads them back', async () => {
    const result = allocatorEnv(
      'glibc',
      { glibcTunables: { 'glibc.malloc.arena_max': 2, 'glibc.malloc.trim_threshold': 131072 }, mallocArenaMax: 2 },
      { allocators: found, baseEnv: { GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.arena_max=8' } },
    );
    expect(result).toEqual({
      ok: true,
      name: 'glibc',
      library: null,
      version: byName('glibc')?.version,
      env: {
        MALLOC_ARENA_MAX: '2',
        GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=131072',
      },
    });
    if (!result.ok) return;
    // the dynamic loader's own view of the tunables (glibc >= 2.33)
    const listed = await execa('/lib64/ld-linux-x86-64.so.2', ['--list-tunables'], { env: result.env, reject: false });
    if (listed.exitCode !== 0) {
      console.warn(`ld.so --list-tunables unavailable (${listed.stderr}); tunables checked as text only`);
      return;
    }
    expect(listed.stdout).toMatch(/glibc\.malloc\.arena_max: 0x2 /);
    expect(listed.stdout).toMatch(/glibc\.malloc\.trim_threshold: 0x20000 /);
    expect(listed.stdout).toMatch(/glibc\.malloc\.tcache_count: 0x0 /);
  });

  it('allocatorEnv mimalloc/tcmalloc - MIMALLOC_* and TCMALLOC_* names from options', () => {
    const mi = allocatorEnv('mimalloc', { mimalloc: { purge_delay: 0 } }, { allocators: found, baseEnv: {} });
    const tc = allocatorEnv('tcmalloc', { tcmalloc: { release_rate: 10 } }, { allocators: found, baseEnv: {} });
    if (mi.ok) expect(mi.env).toEqual({ LD_PRELOAD: byName('mimalloc')?.library, MIMALLOC_PURGE_DELAY: '0' });
    else expect(mi.reason).toMatch(/not found/);
    if (tc.ok) expect(tc.env).toEqual({ LD_PRELOAD: byName('tcmalloc')?.library, TCMALLOC_RELEASE_RATE: '10' });
    else expect(tc.reason).toMatch(/not found/);
  });

  it('allocatorEnv - a missing library is a skip with the reason and the package to install', async () => {
    const empty = tempStateDir();
    cleanups.push(empty);
    const none = await findAllocators({ root: empty });
    expect(none.filter((a) => !a.found).map((a) => a.reason)).toEqual([
      'libjemalloc.so.2 not found: apt-get install libjemalloc2',
      'libmimalloc.so.2 not found: apt-get install libmimalloc2.0',
      'libtcmalloc_minimal.so.4 not found: apt-get install libtcmalloc-minimal4',
    ]);
    expect(allocatorEnv('jemalloc', {}, { allocators: none })).toEqual({
      ok: false,
      name: 'jemalloc',
      skipped: true,
      reason: 'libjemalloc.so.2 not found: apt-get install libjemalloc2',
    });
  });

  it('allocatorEnv - options for another allocator, bad names and bad values are TypeErrors', () => {
    expect(() => allocatorEnv('mimalloc', { mallocConf: 'narenas:1' }, { allocators: found })).toThrow(/mallocConf only applies to jemalloc, not to mimalloc/);
    expect(() => allocatorEnv('jemalloc', { mallocArenaMax: 2 }, { allocators: found })).toThrow(TypeError);
    expect(() => allocatorEnv('hoard' as never, {}, { allocators: found })).toThrow(/unknown allocator "hoard"/);
    expect(() => mergeGlibcTunables(undefined, { 'malloc.arena_max': 2 })).toThrow(/not a glibc tunable name/);
    expect(() => mergeGlibcTunables(undefined, { 'glibc.malloc.arena_max': '2:glibc.rtld.x=1' })).toThrow(TypeError);
    expect(() => allocatorEnv('jemalloc', { mallocConf: { narenas: '1,junk:true' } }, { allocators: found })).toThrow(TypeError);
    expect(() => allocatorEnv('glibc', { mallocArenaMax: 0 }, { allocators: found })).toThrow(RangeError);
  });
});

describe('what may be preloaded', () => {
  it('an `ldconfig` earlier on PATH does not choose the library (only /sbin/ldconfig is asked)', async () => {
    const bin = tempStateDir();
    const evil = tempStateDir();
    cleanups.push(bin, evil);
    writeFileSync(join(evil, 'libjemalloc.so.2'), 'not a library\n');
    writeFileSync(join(bin, 'ldconfig'), `#!/bin/sh\nprintf '1 libs found in cache\\n\\tlibjemalloc.so.2 (libc6,x86-64) => ${evil}/libjemalloc.so.2\\n'\n`, { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved ?? ''}`;
    try {
      const found = await findAllocators();
      expect(found.find((a) => a.name === 'jemalloc')?.library ?? '').not.toContain(evil);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('a library outside the system library directories, or in a directory others can write to, is not preloaded', () => {
    const dir = tempStateDir();
    cleanups.push(dir);
    writeFileSync(join(dir, 'libjemalloc.so.2'), 'x');
    expect(untrustedLibraryReason(join(dir, 'libjemalloc.so.2'))).toMatch(/is not in a system library directory/);
    const found = findAllocatorsSync({ ldconfig: [{ soname: 'libjemalloc.so.2', flags: 'libc6,x86-64', path: join(dir, 'libjemalloc.so.2') }] });
    const jemalloc = found.find((a) => a.name === 'jemalloc');
    expect(jemalloc?.library ?? '').not.toContain(dir);
    // the system's copy is found all the same (the cache's answer was only the first place to look)
    expect(jemalloc?.found).toBe(existsSync('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2'));
    // this machine's own copy (Debian's libjemalloc2) passes: root's, in /usr/lib/<triplet>, writable by nobody else
    if (jemalloc?.library) expect(untrustedLibraryReason(jemalloc.library)).toBeNull();
  });
});
