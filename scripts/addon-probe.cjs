// Loads an rsslab addon the way the package does (node-gyp-build on a package directory: a local
// build/Release first, else prebuilds/<platform>-<arch>) and makes real system calls with it: maps a
// region, touches it, reads its residency (mincore) and the process's VmRSS, gives half back with
// MADV_DONTNEED and reads both again, allocates and frees C heap blocks, takes a flock. Prints one JSON
// object. CommonJS and dependency-free apart from node-gyp-build, so it runs under any Node, including
// an arm64 node under qemu-user (whose system calls are the host kernel's, so the figures are real).
//   node scripts/addon-probe.cjs <package-dir> [<node-gyp-build dir>]
'use strict';
const { readFileSync, mkdtempSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');

const dir = process.argv[2];
const gypBuild = require(process.argv[3] || 'node-gyp-build');
const MiB = 1 << 20;
const rss = () => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;

const out = { arch: process.arch, node: process.version, napi: Number(process.versions.napi) };
try {
  out.file = gypBuild.resolve(dir);
  const b = require(out.file);
  out.exports = Object.keys(b).sort();
  out.adviceNames = [...b.adviceNames];
  const f = b.features();
  out.features = { pageSize: f.pageSize, hugePageSize: f.hugePageSize, madvFree: f.madvFree };

  const size = 64 * MiB;
  const pages = size / f.pageSize;
  const region = new b.Region(size, false);
  const rssMapped = rss();
  region.touch(0, size, 1);
  const rssTouched = rss();
  out.touched = { residentPages: region.residency(0, size).residentPages, pages, checksum: region.checksum(0, size), rssGrowth: rssTouched - rssMapped };
  region.advise(0, size / 2, 'dontneed');
  out.dontneed = { residentPages: region.residency(0, size).residentPages, checksum: region.checksum(0, size), rssDrop: rssTouched - rss() };
  region.unmap();
  out.unmapped = region.mapped === false;

  const set = new b.BlockSet();
  set.allocate(10_000, 64, 4096, 7);
  out.heap = { liveCount: set.liveCount, liveBytes: set.liveBytes, freedAll: set.freeAll(), allocator: b.allocatorInfo().name };

  const lockDir = mkdtempSync(join(tmpdir(), 'rsslab-probe-'));
  try {
    const lock = new b.FileLock(join(lockDir, 'lock'));
    out.flock = lock.tryLock();
    lock.close();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
} catch (e) {
  out.error = String(e && e.message ? e.message : e);
}
process.stdout.write(JSON.stringify(out) + '\n');
