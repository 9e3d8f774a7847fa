// The bench's JSON file: every figure with the machine it was measured on and how loaded that
// machine was. Times in ms, sizes in bytes, rates in Hz (units in the field names).
import type { MachineFacts } from '../probe/machine.js';
import type { AddonFigures } from './addon-bench.js';
import type { LongReportFigures } from './long-report-bench.js';
import type { PageMapFigures } from './pagemap-bench.js';
import type { BenchName } from './profile.js';
import type { ReportFigures } from './report-bench.js';
import type { ReproduceFigures } from './reproduce-bench.js';
import type { SamplerFigures } from './sampler-bench.js';

export const BENCH_SCHEMA = 'rsslab-bench';
// v2: side-by-side references (sampler raw reads, page-map native/JS/raw, batched madvise) and the report size
// v3: the long report (an hour of watch samples through WatchSamples, the writer, and chromium's open time)
export const BENCH_SCHEMA_VERSION = 3;

export interface BenchResults {
  schema: typeof BENCH_SCHEMA;
  schemaVersion: typeof BENCH_SCHEMA_VERSION;
  rsslabVersion: string;
  profile: 'quick' | 'full';
  benches: BenchName[];
  startedAt: string;
  durationMs: number;
  command: string[];
  machine: MachineFacts & { cpuModel: string };
  /** 1, 5 and 15 minute load averages: the machine is shared, figures taken under load read high */
  loadAverage: { start: number[]; end: number[] };
  reproduce: ReproduceFigures[];
  sampler: SamplerFigures[];
  addon: { compiler: string | null; figures: AddonFigures[] };
  pageMap: PageMapFigures[];
  report: ReportFigures | null;
  /** null when the report bench did not run or failed */
  longReport: LongReportFigures | null;
  /** a bench that could not run here, and why */
  skipped: Array<{ bench: BenchName; reason: string }>;
  /** a bench that failed: the run goes on and exits 1 */
  errors: Array<{ bench: BenchName; what: string; message: string }>;
}
