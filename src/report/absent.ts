// Why an effect is absent, said next to the chart it is absent from. A run without consent
// (no --tune-system) or without root still draws its charts, and a reader who sees no regrowth
// must not have to open "System changes and restores" to learn that khugepaged ran at the
// machine's own pace. Collected from the Run alone: the runner's notes, variants not run,
// expectations skipped (grouped by reason, so each reason is said once) and settings not applied.
import type { Run } from '../run/schema.js';
import { escapeHtml } from './escape.js';

/** The runner's notes about this experiment ("<id>: …" lines of the system log), without the prefix. */
export function runNotes(run: Run): string[] {
  const prefix = `${run.experiment.id}: `;
  return [...new Set(run.systemLog.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)))];
}

export function absentItems(run: Run): string[] {
  const items: string[] = [...runNotes(run)];
  for (const s of run.skipped) items.push(`${s.variant} was not run: ${s.reason}`);
  const byReason = new Map<string, { variants: Set<string>; ids: Set<string> }>();
  for (const v of run.variants) {
    for (const x of v.expectations) {
      if (x.status !== 'skipped') continue;
      const reason = x.reason ?? 'no reason recorded';
      const g = byReason.get(reason) ?? { variants: new Set(), ids: new Set() };
      g.variants.add(v.variant);
      g.ids.add(x.id);
      byReason.set(reason, g);
    }
    for (const k of v.settings.skippedSettings) items.push(`${v.variant} ran without ${k.what}: ${k.reason}`);
  }
  for (const [reason, g] of byReason) {
    items.push(`not checked (${[...g.ids].join(', ')}) in ${[...g.variants].join(', ')}: ${reason}`);
  }
  const unique = [...new Set(items)];
  if (unique.some((i) => /--tune-system/.test(i)) && !run.command.includes('--tune-system')) {
    unique.push('Run again with --tune-system (as root) to let rsslab change these settings for the run; it restores them afterwards.');
  }
  return unique;
}

/** The box beside the main chart; empty when nothing is missing. */
export function absentNotes(run: Run): string {
  const items = absentItems(run);
  if (items.length === 0) return '';
  return `<div class="absent" role="note"><strong>Not shown here, and why</strong><ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul></div>`;
}
