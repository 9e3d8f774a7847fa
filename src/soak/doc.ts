// docs/reliability.md holds the soak's figures between two markers; the prose around them is
// written by hand and kept. One line per area; running some areas updates only their lines.
export const AREAS = ['kills', 'fuzz', 'hostile-runs', 'workshop-load'] as const;
export const BEGIN = '<!-- soak:begin (written by `npm run soak`) -->';
export const END = '<!-- soak:end -->';

/** Replaces the lines of the areas that ran inside the markers; keeps every other line and the prose. */
export function updateReliabilityDoc(text: string, results: Array<{ area: string; line: string }>): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const lines = new Map<string, string>();
  if (begin !== -1 && end > begin) {
    for (const l of text.slice(begin + BEGIN.length, end).split('\n')) {
      const m = /^- \*\*([a-z-]+)\*\*: /.exec(l);
      if (m) lines.set(m[1]!, l);
    }
  }
  for (const r of results) lines.set(r.area, `- **${r.area}**: ${r.line.replace(/^[a-z-]+: /, '')}`);
  const ordered = [...AREAS.filter((a) => lines.has(a)), ...[...lines.keys()].filter((a) => !(AREAS as readonly string[]).includes(a))];
  const block = `${BEGIN}\n${ordered.map((a) => lines.get(a)).join('\n')}\n${END}`;
  if (begin !== -1 && end > begin) return text.slice(0, begin) + block + text.slice(end + END.length);
  return `${text.trimEnd()}\n\n${block}\n`;
}

