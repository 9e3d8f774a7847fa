// What a reader must know before trusting a difference between the columns of a cross-machine
// comparison: Runs made by other rsslab versions (expectations added, renamed or re-tuned between
// them), other Run schema versions, other parameters or profiles (then a difference may come from
// the experiment, not the machine). Said, not refused: a CI matrix mid-upgrade is still worth reading.
import type { Run } from '../run/schema.js';
import { paramsText, shortValue } from '../check/setting-dimensions.js';

function byValue(values: string[], columns: string[]): string {
  const groups = new Map<string, string[]>();
  values.forEach((v, i) => groups.set(v, [...(groups.get(v) ?? []), columns[i]!]));
  return [...groups].map(([v, cols]) => `${shortValue(v)} in ${cols.join(', ')}`).join('; ');
}

function distinct(values: string[]): boolean {
  return new Set(values).size > 1;
}

export function matrixNotes(runs: Run[], columns: string[]): string[] {
  const notes: string[] = [];
  const versions = runs.map((r) => r.rsslabVersion);
  if (distinct(versions)) {
    notes.push(
      `These Runs were made by different rsslab versions (${byValue(versions, columns)}): an expectation may have been added, renamed or re-tuned between them ("not in this Run" marks one a version lacks). Compare Runs of one version where you can.`,
    );
  }
  const schemas = runs.map((r) => `schema ${r.schemaVersion}`);
  if (distinct(schemas)) notes.push(`These Runs have different Run schema versions (${byValue(schemas, columns)}); both are read, fields the older one lacks show as "—".`);
  const profiles = runs.map((r) => r.experiment.profile);
  const params = runs.map(paramsText);
  if (distinct(profiles) || distinct(params)) {
    const what = distinct(profiles) ? `profiles: ${byValue(profiles, columns)}` : `parameters: ${byValue(params, columns)}`;
    notes.push(`These Runs used different ${what} — a difference between them may come from the experiment's parameters, not the machine. Make every Run of a matrix with the same flags (--quick, --param).`);
  }
  const titles = runs.map((r) => r.experiment.title);
  if (distinct(titles)) notes.push(`The experiment's title differs between these Runs (${byValue(titles, columns)}): its definition changed, or one Run is of another experiment with the same id.`);
  return notes;
}
