// One area of `npm run soak` (not part of `npm test`): kills at random moments of tuned runs, fuzzed
// addon calls, hostile Run files, many workshop clients. Each area runs on its own, returns its figures,
// and the soak's main prints one line per area and writes them to docs/reliability.md.

export interface SoakOptions {
  /** scale every count down (tests and quick checks); 1 = the full soak */
  scale: number;
  /** a seed for the area's random choices, printed so a failure can be replayed */
  seed: number;
  log: (line: string) => void;
}

export interface SoakAreaResult {
  /** short id: "kills", "fuzz", "hostile-runs", "workshop-load" */
  area: string;
  /** one line for the terminal and docs/reliability.md, with the figures */
  line: string;
  /** the figures by name (counts, ms, bytes) */
  figures: Record<string, number>;
  /** false when anything was not restored, crashed or hung */
  ok: boolean;
  /** what went wrong, one entry per failure, with what it takes to replay it */
  failures: string[];
}

export type SoakArea = (options: SoakOptions) => Promise<SoakAreaResult>;
