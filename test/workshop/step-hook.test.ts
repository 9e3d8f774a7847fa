// The runner's beforeAck hook on a REAL quick run: the child really waits at the boundary. Held at
// the "free" mark, the child has touched the region but not yet returned it, so every sample taken
// during the hold still shows the whole region resident; let go, MADV_DONTNEED drops it at once.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/lab/events.js';
import { CHILD_MISSING } from '../report/real-run.js';

if (CHILD_MISSING) console.warn(`step hook test skipped: ${CHILD_MISSING}`);

const HOLD_MS = 600;

describe.skipIf(CHILD_MISSING !== null)('runner beforeAck hook', () => {
  it('beforeAck - the child stays at the phase boundary until the hook resolves', async () => {
    const { runExperiment } = await import('../../src/experiment-source.js');
    const seen: string[] = [];
    const events: RunEvent[] = [];
    const run = await runExperiment('madv-free', {
      quick: true,
      variants: ['dontneed'],
      tuneSystem: false,
      interactive: false,
      observer: (e) => events.push(e),
      beforeAck: async (mark) => {
        seen.push(`${mark.variant}:${mark.phase}`);
        if (mark.phase === 'free') await new Promise((r) => setTimeout(r, HOLD_MS));
      },
      command: ['vitest', 'test/workshop'],
    });
    const v = run.variants[0]!;
    expect(v.status).toBe('ok');
    // every mark the child sent went through the hook, in order, 'end' included
    expect(seen).toEqual(v.marks.map((m) => `dontneed:${m.phase}`));
    expect(seen.at(-1)).toBe('dontneed:end');

    const free = v.marks.find((m) => m.phase === 'free')!;
    const hold = v.marks.find((m) => m.phase === 'hold')!;
    const regionBytes = Number(run.experiment.params.regionBytes);
    // the next mark came only after the hook let go
    expect(hold.tMs - free.tMs).toBeGreaterThanOrEqual(HOLD_MS);
    const during = v.samples.filter((s) => s.tMs >= free.tMs && s.tMs < free.tMs + HOLD_MS - 50 && s.regions.main);
    const after = v.samples.filter((s) => s.tMs >= hold.tMs && s.regions.main);
    console.log(
      `held ${Math.round(hold.tMs - free.tMs)} ms at "free": ${during.length} samples, region RSS min ${Math.min(...during.map((s) => s.regions.main!.rssBytes))} of ${regionBytes}; after: ${after[0]?.regions.main?.rssBytes}`,
    );
    expect(during.length).toBeGreaterThan(5);
    for (const s of during) expect(s.regions.main!.rssBytes).toBeGreaterThanOrEqual(regionBytes * 0.95);
    expect(after[0]!.regions.main!.rssBytes).toBeLessThan(regionBytes * 0.05);
    // the live events carry what the page draws: whole samples, page maps
    expect(events.some((e) => e.type === 'sample' && e.sample?.regions.main !== undefined)).toBe(true);
    expect(events.filter((e) => e.type === 'page-map').length).toBe(v.pageMaps.length);
  });

  it('beforeAck - a hook that throws lets the child go on and says so', async () => {
    const { runExperiment } = await import('../../src/experiment-source.js');
    const notices: string[] = [];
    const run = await runExperiment('madv-free', {
      quick: true,
      variants: ['dontneed'],
      tuneSystem: false,
      interactive: false,
      observer: (e) => {
        if (e.type === 'notice') notices.push(e.message);
      },
      beforeAck: async (mark) => {
        if (mark.phase === 'touch') throw new Error('presenter left');
      },
    });
    expect(run.variants[0]!.status).toBe('ok');
    expect(run.variants[0]!.marks.map((m) => m.phase)).toContain('end');
    expect(notices.some((n) => n.includes('presenter left'))).toBe(true);
  });
});
