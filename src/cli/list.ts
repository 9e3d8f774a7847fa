// `rsslab list`: every experiment, one line each, with its variants (defaults marked).
import { EXPERIMENT_IDS, loadExperiment } from '../../experiments/index.js';
import { COMPILERS } from '../lab/toolchain.js';

export async function listCommand(o: { json?: boolean }): Promise<number> {
  const defs = await Promise.all(EXPERIMENT_IDS.map((id) => loadExperiment(id)));
  if (o.json) {
    const data = defs.map((d) => ({
      id: d.id,
      title: d.title,
      seed: d.seed,
      summary: d.summary,
      params: Object.fromEntries(Object.entries(d.params).map(([k, s]) => [k, { ...s, quick: d.quick[k] }])),
      variants: d.variants.map((v) => ({ id: v.id, label: v.label, description: v.description, default: v.default ?? false, requires: v.requires ?? [] })),
      counterparts: (d.counterparts ?? []).map((c) => ({
        id: c.id,
        label: c.label,
        description: c.description,
        language: c.language,
        sources: c.sources.map((f) => `counterparts/${d.id}/${f}`),
        apt: [...new Set([COMPILERS[c.language].apt, ...(c.needs?.apt ?? [])])],
      })),
      validation: d.validation ?? null,
    }));
    process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    return 0;
  }
  for (const d of defs) {
    process.stdout.write(`${d.id.padEnd(16)} ${d.title}${d.seed ? ` (${d.seed})` : ''}\n`);
    for (const v of d.variants) {
      process.stdout.write(`  ${v.default ? '*' : ' '} ${v.id.padEnd(22)} ${v.label}\n`);
    }
    for (const c of d.counterparts ?? []) {
      process.stdout.write(`  real ${c.id.padEnd(20)} ${c.label} (${c.language}: counterparts/${d.id}/${c.sources.join(', ')})\n`);
    }
  }
  process.stdout.write('\n* = run by default; run any other with `rsslab run <experiment> --variant <id>` (or --all-variants).\n');
  process.stdout.write('real = a real program the replay stands for: `rsslab run <experiment> --real` runs it beside the replay, `rsslab validate` compares them.\n');
  return 0;
}
