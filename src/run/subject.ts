// Which subject a variant run measured. Schema 1 files have no `subject`: every run in them is the
// replay. Statistics and tables keep replay and real apart by subjectKey, so a real run is never
// pooled with the replay's repeats.
import type { Subject, VariantRun } from './schema.js';

export function subjectOf(v: Pick<VariantRun, 'subject'>): Subject {
  return v.subject ?? { kind: 'replay' };
}

export function isReal(v: Pick<VariantRun, 'subject'>): boolean {
  return v.subject?.kind === 'real';
}

/** '' for the replay, 'real:<counterpart>' for a real one. */
export function subjectKey(v: Pick<VariantRun, 'subject'>): string {
  const s = subjectOf(v);
  return s.kind === 'real' ? `real:${s.counterpart}` : '';
}

/** "replay" or "real (<counterpart label>)", for tables and legends. */
export function subjectName(v: Pick<VariantRun, 'subject'>): string {
  const s = subjectOf(v);
  return s.kind === 'real' ? `real (${s.label})` : 'replay';
}
