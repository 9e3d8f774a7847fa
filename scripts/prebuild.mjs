// Builds the addon binaries the npm package ships (prebuilds/<platform>-<arch>/rsslab.node) with
// prebuildify, so that installing rsslab needs no compiler: linux-x64 natively, linux-arm64 with
// Debian's cross compiler when it is installed (apt-get install g++-aarch64-linux-gnu). Writes
// prebuilds/SOURCES.sha256, the hash of the native sources they were built from; `npm pack` refuses
// to pack binaries whose hash no longer matches (scripts/prebuild-check.mjs). prebuildify builds in
// build/, so the local build is made again afterwards; then every addon is loaded and used
// (scripts/check-prebuilds.mjs; linux-arm64 only where qemu-user can run it).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeSourcesHash, ROOT } from './native-sources.mjs';
import { arm64Emulation } from './check-prebuilds.mjs';

const run = (cmd, args, env = {}) => execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
const has = (tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

run('npx', ['prebuildify', '--napi', '--strip']);
if (process.arch === 'x64' && has('aarch64-linux-gnu-g++')) {
  run('npx', ['prebuildify', '--napi', '--strip', '--arch', 'arm64'], {
    CC: 'aarch64-linux-gnu-gcc',
    CXX: 'aarch64-linux-gnu-g++',
    LINK: 'aarch64-linux-gnu-g++',
    PREBUILD_STRIP_BIN: 'aarch64-linux-gnu-strip',
  });
} else {
  console.warn('prebuild: no aarch64-linux-gnu-g++ here; linux-arm64 not built (apt-get install g++-aarch64-linux-gnu)');
}
writeFileSync(join(ROOT, 'prebuilds', 'SOURCES.sha256'), nativeSourcesHash() + '\n');
run('npx', ['node-gyp', 'rebuild']);
const emulation = arm64Emulation();
if (emulation.missing) console.warn(`prebuild: linux-arm64 built but not loaded here (missing ${emulation.missing.join(', ')}); npm run check:prebuilds where it can`);
else run('node', ['scripts/check-prebuilds.mjs']);
