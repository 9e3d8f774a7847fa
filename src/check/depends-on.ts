// Which recorded setting an effect depends on, across Runs from several machines. An outcome (held,
// failed, skipped…) per Run and a value per Run for each setting: a setting explains the effect when
// the outcome changes across the Runs and every Run with the same value of that setting has the same
// outcome. Settings that split the Runs the same way changed together (two machines that differ in
// kernel and THP mode cannot say which one mattered): they are named together, never one picked.
// Runs where the effect or the setting is unknown (the variant did not run there) are left out.

export interface SettingValues {
  id: string;
  label: string;
  /** per Run; null: not known there */
  values: Array<string | null>;
}

export interface Split {
  value: string;
  outcome: string;
  runs: number[];
}

export interface Explanation {
  /** settings that split the Runs identically, in the order given */
  settings: Array<{ id: string; label: string }>;
  /** per value of the first setting: the outcome and the Runs (indexes) with it */
  split: Split[];
}

/** Runs beyond which equal-settings pairs are not looked for. */
const MAX_TWIN_SEARCH = 256;

export type Dependence =
  /** fewer than two Runs know the outcome, or all agree */
  | { kind: 'same'; outcome: string | null }
  | { kind: 'explained'; best: Explanation[]; alsoConsistent: Explanation[] }
  /** no single setting explains it; `twins`: two Runs with every setting equal and different outcomes */
  | { kind: 'unexplained'; twins: [number, number] | null };

function explanationOf(outcomes: Array<string | null>, s: SettingValues): { key: string; split: Split[] } | null {
  const groups = new Map<string, Split>();
  const seen = new Set<string>();
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    const v = s.values[i];
    if (o === null || o === undefined || v === null || v === undefined) continue;
    seen.add(o);
    const g = groups.get(v);
    if (!g) groups.set(v, { value: v, outcome: o, runs: [i] });
    else if (g.outcome !== o) return null;
    else g.runs.push(i);
  }
  if (seen.size < 2) return null;
  const split = [...groups.values()];
  // the partition of the Runs, independent of the values' names: settings with equal keys changed together
  return { key: split.map((g) => g.runs.join(',')).sort().join('|'), split };
}

export function dependence(outcomes: Array<string | null>, settings: SettingValues[]): Dependence {
  const known = outcomes.filter((o): o is string => o !== null);
  if (new Set(known).size < 2) return { kind: 'same', outcome: known[0] ?? null };
  const byPartition = new Map<string, Explanation>();
  for (const s of settings) {
    const e = explanationOf(outcomes, s);
    if (!e) continue;
    const found = byPartition.get(e.key);
    if (found) found.settings.push({ id: s.id, label: s.label });
    else byPartition.set(e.key, { settings: [{ id: s.id, label: s.label }], split: e.split });
  }
  const all = [...byPartition.values()];
  if (all.length === 0) return { kind: 'unexplained', twins: twins(outcomes, settings) };
  // the coarsest split first: a setting with one value per Run "explains" anything, and says least
  const fewest = Math.min(...all.map((e) => e.split.length));
  return { kind: 'explained', best: all.filter((e) => e.split.length === fewest), alsoConsistent: all.filter((e) => e.split.length !== fewest) };
}

/** Two Runs recorded under the same settings whose outcomes differ: noise, a race, or something not recorded. */
function twins(outcomes: Array<string | null>, settings: SettingValues[]): [number, number] | null {
  // pairs grow with the square of the Runs: a crafted folder of thousands is not searched
  if (outcomes.length > MAX_TWIN_SEARCH) return null;
  for (let i = 0; i < outcomes.length; i++) {
    for (let j = i + 1; j < outcomes.length; j++) {
      if (outcomes[i] === null || outcomes[j] === null || outcomes[i] === outcomes[j]) continue;
      if (settings.every((s) => s.values[i] === s.values[j])) return [i, j];
    }
  }
  return null;
}
