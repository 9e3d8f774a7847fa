// What differed between the machines (and the tuning) the two sides of a comparison ran under.
// A baseline made on another VM, months ago, under another kernel or allocator version, is not
// noise the permutation test can see: every repeat of one side shares the same environment, so the
// repeats separate completely and the test calls a machine difference a regression. `rsslab
// compare` therefore lists every difference it can read from the Runs — Node, kernel, CPU count,
// memory, the allocator libraries' versions, THP and khugepaged settings, whether rsslab could
// tune the machine, and which knobs each variant actually had — so a reader can tell a change in
// the code from a change of the runner. Reads Run JSON only; values are shown, never obeyed.
import type { Run, ThpSettings, VariantRun } from '../run/schema.js';

export interface EnvironmentMismatch {
  /** what differs: "Node", "kernel", "allocator jemalloc", "khugepaged scan_sleep_millisecs", "tuning" … */
  what: string;
  baseline: string;
  candidate: string;
  /** "experiment/variant" for a variant's own settings; null for the machine */
  scope: string | null;
}

const UNKNOWN = 'not recorded';

function values(runs: Run[], read: (r: Run) => string | null | undefined): string {
  const seen = [...new Set(runs.map((r) => read(r) ?? UNKNOWN))];
  return seen.sort().join(' / ');
}

const THP_FIELDS: Array<[string, (t: ThpSettings) => string | number | null]> = [
  ['THP enabled', (t) => t.enabled],
  ['THP defrag', (t) => t.defrag],
  ['khugepaged scan_sleep_millisecs', (t) => t.scanSleepMs],
  ['khugepaged pages_to_scan', (t) => t.pagesToScan],
  ['khugepaged max_ptes_none', (t) => t.maxPtesNone],
];

function str(v: string | number | boolean | null | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** Machine-wide facts: one row per field whose set of values differs between the sides. */
function machineMismatches(base: Run[], cand: Run[]): EnvironmentMismatch[] {
  const fields: Array<[string, (r: Run) => string | null]> = [
    ['Node', (r) => str(r.machine.node)],
    ['kernel', (r) => str(r.machine.kernel)],
    ['architecture', (r) => str(r.machine.arch)],
    ['CPUs', (r) => str(r.machine.cpus)],
    ['memory', (r) => (typeof r.machine.memTotalBytes === 'number' ? `${Math.round(r.machine.memTotalBytes / 2 ** 20)} MiB` : null)],
    ['page size', (r) => str(r.machine.pageSize)],
    ['root (can tune the machine)', (r) => str(r.machine.root)],
    ['cgroup version', (r) => str(r.machine.cgroup?.version)],
    ...THP_FIELDS.map(([name, read]): [string, (r: Run) => string | null] => [name, (r) => str(r.machine.thp ? read(r.machine.thp) : null)]),
  ];
  const out: EnvironmentMismatch[] = [];
  for (const [what, read] of fields) {
    const b = values(base, read);
    const c = values(cand, read);
    if (b !== c) out.push({ what, baseline: b, candidate: c, scope: null });
  }
  const names = new Set([...base, ...cand].flatMap((r) => (r.machine.allocators ?? []).map((a) => a.name)));
  for (const name of [...names].sort()) {
    const read = (r: Run): string | null => {
      const a = (r.machine.allocators ?? []).find((x) => x.name === name);
      return a ? (a.version ?? (a.library ? `${a.library} (version unknown)` : 'not found')) : 'not found';
    };
    const b = values(base, read);
    const c = values(cand, read);
    if (b !== c) out.push({ what: `allocator ${name}`, baseline: b, candidate: c, scope: null });
  }
  return out;
}

/** How one repeat of a variant was tuned: the knobs rsslab set, what it wanted and skipped, the allocator inside. */
function tuning(v: VariantRun): Array<[string, string]> {
  const s = v.settings;
  const knobs = (s?.knobs ?? []).map((k) => `${k.path.slice(k.path.lastIndexOf('/') + 1)}=${k.to}`).sort();
  const skipped = (s?.skippedSettings ?? []).map((k) => k.what).sort();
  const thp = s?.thp ? THP_FIELDS.map(([name, read]) => `${name.split(' ').pop()}=${read(s.thp) ?? '?'}`).join(' ') : UNKNOWN;
  return [
    ['knobs set', knobs.length ? knobs.join(', ') : 'none'],
    ['settings skipped', skipped.length ? skipped.join(', ') : 'none'],
    ['THP/khugepaged in force', thp],
    ['allocator in the child', s?.allocator ? `${s.allocator.name} ${s.allocator.version ?? '(version unknown)'}` : 'default'],
  ];
}

/** Per experiment × variant present on both sides: differences in the tuning the repeats ran under. */
function tuningMismatches(base: Run[], cand: Run[]): EnvironmentMismatch[] {
  const out: EnvironmentMismatch[] = [];
  const key = (r: Run, v: VariantRun): string => `${r.experiment.id}/${v.variant}`;
  const collect = (runs: Run[]): Map<string, Map<string, Set<string>>> => {
    const m = new Map<string, Map<string, Set<string>>>();
    for (const r of runs) {
      for (const v of r.variants) {
        if (v.status === 'skipped') continue;
        const k = key(r, v);
        if (!m.has(k)) m.set(k, new Map());
        for (const [what, value] of tuning(v)) {
          const per = m.get(k)!;
          if (!per.has(what)) per.set(what, new Set());
          per.get(what)!.add(value);
        }
      }
    }
    return m;
  };
  const b = collect(base);
  const c = collect(cand);
  for (const [scope, bw] of b) {
    const cw = c.get(scope);
    if (!cw) continue;
    for (const [what, bv] of bw) {
      const bs = [...bv].sort().join(' / ');
      const cs = [...(cw.get(what) ?? new Set([UNKNOWN]))].sort().join(' / ');
      if (bs !== cs) out.push({ what, baseline: bs, candidate: cs, scope });
    }
  }
  return out;
}

/** Every difference of machine and tuning between the baseline's and the candidate's Runs. */
export function environmentMismatches(base: Run[], cand: Run[]): EnvironmentMismatch[] {
  return [...machineMismatches(base, cand), ...tuningMismatches(base, cand)];
}

export function mismatchText(m: EnvironmentMismatch): string {
  return `${m.scope ? `${m.scope}: ` : ''}${m.what}: baseline ${m.baseline}, candidate ${m.candidate}`;
}
