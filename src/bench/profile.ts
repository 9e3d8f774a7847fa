// What a bench run measures and how long it spends on each figure. 'full' is the run recorded in
// docs/performance.md (about 6 minutes here); 'quick' is the smoke test's: tiny sizes, few repeats.
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const BENCH_NAMES = ['reproduce', 'sampler', 'addon', 'pagemap', 'report'] as const;
export type BenchName = (typeof BENCH_NAMES)[number];

/** One child holding memory for the sampler and page-map benches. */
export interface HolderSpec {
  totalBytes: number;
  /** the memory is split into this many separate mappings (VMAs) */
  mappings: number;
  /** 'hugepage': MADV_HUGEPAGE before the touch, so THP backs it (THP enabled=madvise) */
  hint: 'none' | 'hugepage';
}

export interface BenchProfile {
  name: 'quick' | 'full';
  /** children for the sampler bench: sizes, then mapping counts */
  samplerHolders: HolderSpec[];
  /** back-to-back samples for at most this long (and at least minSamples) */
  backToBackMs: number;
  minSamples: number;
  /** each Sampler schedule (2 ms and 20 ms) runs this long */
  scheduleMs: number;
  /** children for the page-map bench (one mapping each) */
  pageMapHolders: HolderSpec[];
  pageMapRepeats: number;
  /** the seed-004 page-by-page madvise loop */
  addonRegionBytes: number;
  addonRepeats: number;
  /** experiments × variants timed to their effect */
  reproduce: Array<'thp-khugepaged' | 'madv-free' | 'faiss-cycles'>;
  /** samples fed to the long report (an hour at 20 ms is 180,000) and how many times chromium opens it */
  longReportSamples: number;
  longReportOpens: number;
}

const sizes = (list: number[], hint: HolderSpec['hint']): HolderSpec[] => list.map((totalBytes) => ({ totalBytes, mappings: 1, hint }));

export const PROFILES: Record<BenchProfile['name'], BenchProfile> = {
  full: {
    name: 'full',
    samplerHolders: [
      ...sizes([256 * MiB, 1 * GiB, 4 * GiB], 'none'),
      ...sizes([256 * MiB, 1 * GiB, 4 * GiB], 'hugepage'),
      ...[10, 100, 1000].map((mappings) => ({ totalBytes: 256 * MiB, mappings, hint: 'none' as const })),
    ],
    backToBackMs: 800,
    minSamples: 20,
    scheduleMs: 1000,
    pageMapHolders: [...sizes([256 * MiB, 1 * GiB, 4 * GiB], 'none'), ...sizes([256 * MiB, 1 * GiB, 4 * GiB], 'hugepage')],
    pageMapRepeats: 5,
    addonRegionBytes: 256 * MiB,
    addonRepeats: 7,
    reproduce: ['thp-khugepaged', 'madv-free', 'faiss-cycles'],
    longReportSamples: 180_000,
    longReportOpens: 5,
  },
  quick: {
    name: 'quick',
    samplerHolders: [
      { totalBytes: 16 * MiB, mappings: 1, hint: 'none' },
      { totalBytes: 16 * MiB, mappings: 10, hint: 'none' },
    ],
    backToBackMs: 100,
    minSamples: 5,
    scheduleMs: 100,
    pageMapHolders: [{ totalBytes: 16 * MiB, mappings: 1, hint: 'none' }],
    pageMapRepeats: 2,
    addonRegionBytes: 8 * MiB,
    addonRepeats: 2,
    reproduce: ['madv-free'],
    // six minutes at 20 ms: the downsample bounds the page the same way, the feed takes a tenth of the time
    longReportSamples: 18_000,
    longReportOpens: 1,
  },
};

/** Parses --only: a comma-separated list of bench names; throws with the valid names otherwise. */
export function parseOnly(value: string | undefined): BenchName[] {
  if (value === undefined) return [...BENCH_NAMES];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new RangeError(`--only needs at least one bench name: ${BENCH_NAMES.join(', ')}`);
  for (const n of names) {
    if (!(BENCH_NAMES as readonly string[]).includes(n)) throw new RangeError(`--only: unknown bench "${n}"; the benches are: ${BENCH_NAMES.join(', ')}`);
  }
  return BENCH_NAMES.filter((n) => names.includes(n));
}
