// One faiss IndexIVFFlat train/add/search/free cycle, replayed as its allocations (native/
// train-cycle.cc): faiss 1.7.3's block sizes, order and threads, every block freed before the call
// returns. Run it on the calling thread, or on a NativeThread (the long-lived cgo thread).
import type { NativeTrainCycleArgs } from '../native.js';
import { binding } from './binding.js';
import { outOfRange } from './errors.js';
import { checkInteger, checkOptions } from './validate.js';

export interface TrainCycleSpec {
  /** training vectors, also the vectors added */
  rows: number;
  /** floats per vector */
  dim: number;
  /** inverted lists (k-means centroids) */
  nlist: number;
  /** k-means iterations (faiss's IVF default: 10) */
  iterations?: number;
  /** k-means subsample; faiss takes 256 rows per centroid when there are more */
  sampleRows?: number;
  /** IndexIVF::add_with_ids adds in slices of this many rows (65536) */
  chunkRows?: number;
  /** exhaustive_L2sqr_blas's ip_block (4096 × 1024 floats = 16 MiB) */
  blockBytes?: number;
  /** OpenMP threads: the calling thread plus team − 1 helpers that live as long as it does */
  team?: number;
  queries?: number;
  nprobe?: number;
  /** which lists k-means merges and splits (uneven lists, as faiss leaves them on clustered data) */
  seed?: number;
}

export interface TrainCycleResult {
  /** the thread that allocated the cycle's blocks */
  tid: number;
  /** the thread that freed them */
  freeTid: number;
  /** the first OpenMP stand-in helper, 0 without one */
  helperTid: number;
  /** most bytes live at once */
  peakBytes: number;
  allocations: number;
}

/** native/train-cycle.h's limit */
export const MAX_TEAM = 16;

/** @internal validated positional arguments for the binding */
export function trainCycleArgs(spec: TrainCycleSpec): NativeTrainCycleArgs {
  checkOptions('spec', spec);
  const { rows, dim, nlist, iterations = 10, chunkRows = 65536, blockBytes = 4096 * 1024 * 4, team = 1, queries = 0, nprobe = 1, seed = 1 } = spec;
  checkInteger('spec.rows', rows, 1, 2 ** 28);
  checkInteger('spec.dim', dim, 1, 4096);
  checkInteger('spec.nlist', nlist, 1, 65536);
  const sampleRows = spec.sampleRows ?? Math.min(rows, 256 * nlist);
  checkInteger('spec.iterations', iterations, 0, 1000);
  checkInteger('spec.sampleRows', sampleRows, 1, 2 ** 28);
  checkInteger('spec.chunkRows', chunkRows, 1, 2 ** 28);
  checkInteger('spec.blockBytes', blockBytes, 1, 2 ** 30);
  checkInteger('spec.team', team, 1, MAX_TEAM);
  checkInteger('spec.queries', queries, 0, 1_000_000);
  checkInteger('spec.nprobe', nprobe, 1, 65536);
  checkInteger('spec.seed', seed, 0);
  if (rows * dim > 2 ** 34) throw outOfRange(`spec.rows * spec.dim must be at most 2^34 floats; got ${rows} * ${dim}`);
  return [rows, dim, nlist, iterations, sampleRows, chunkRows, blockBytes, team, queries, nprobe, seed];
}

/**
 * Run one cycle on the calling thread (the JS main thread: glibc's main arena). Blocks until done.
 * @throws RsslabSystemError ENOMEM (syscall 'malloc') or EAGAIN ('pthread_create' for a helper).
 */
export function trainCycle(spec: TrainCycleSpec): TrainCycleResult {
  return binding().trainCycle(...trainCycleArgs(spec));
}
