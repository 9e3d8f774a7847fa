// Child process of the soak's "fuzz" area: runs <calls> fuzzed addon calls from <seed>, printing a
// progress line every 1000 calls (so a crash still tells how far it got) and the counts as the last line.
// With "nproc" it first drops to nobody (RLIMIT_NPROC does not bind root) and sets RLIMIT_NPROC to 1,
// so every pthread_create fails: a native thread the kernel refuses must be an error, never a hang.
//   node --expose-gc [--harmony-rab-gsab-transfer] dist/src/soak/fuzz-child.js <calls> <seed> [nproc]
import { execaSync } from 'execa';
import fc from 'fast-check';
import { features } from '../core/features.js';
import { Fuzzer, fuzzOp } from './fuzz-ops.js';

const calls = Number(process.argv[2] ?? 5000);
const seed = Number(process.argv[3] ?? 1);
if (process.argv[4] === 'nproc') {
  features(); // load the addon while its file is still readable to us
  if (process.getuid?.() === 0) {
    process.setgid?.(65534);
    process.setuid?.(65534);
  }
  execaSync('prlimit', ['--pid', String(process.pid), '--nproc=1:1']);
}
const fuzzer = new Fuzzer();
const gc = (globalThis as { gc?: () => void }).gc;
let nextReport = 1000;
// ops are drawn in batches: one op can make several calls (afterUnmap makes seven)
for (let batch = 0; fuzzer.counts.calls < calls; batch++) {
  for (const o of fc.sample(fuzzOp, { numRuns: 500, seed: seed + batch * 7919 })) {
    fuzzer.run(o);
    if (fuzzer.counts.calls >= nextReport) {
      process.stdout.write(JSON.stringify({ progress: fuzzer.counts.calls }) + '\n');
      nextReport += 1000;
      fuzzer.bound();
      gc?.();
    }
    if (fuzzer.counts.calls >= calls) break;
  }
}
fuzzer.finish();
process.stdout.write(JSON.stringify({ counts: fuzzer.counts }) + '\n');
