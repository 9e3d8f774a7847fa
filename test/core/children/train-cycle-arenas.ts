// Child for train-cycle.test.ts: `threads` long-lived threads each run one small faiss cycle (with an
// OpenMP stand-in helper); prints glibc's arena count before and after as JSON. Run in its own
// process so MALLOC_ARENA_MAX from the test's env is in force from the first malloc.
import { mallocInfo } from '../../../src/core/heap.js';
import { NativeThread } from '../../../src/core/workload.js';

const threads = Number(process.argv[2] ?? '2');
const before = mallocInfo().arenas.length;
const pool = Array.from({ length: threads }, () => new NativeThread());
const tids = pool.map((t, i) => t.trainCycle({ rows: 20_000, dim: 32, nlist: 16, team: 2, seed: i + 1 }).tid);
const after = mallocInfo().arenas.length;
for (const t of pool) t.stop();
console.log(JSON.stringify({ before, after, tids }));
