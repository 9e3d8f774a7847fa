// What the runner tells whoever is watching (terminal progress, the workshop page): events only,
// plain data. Renderers implement RunObserver; the runner never formats anything itself.
import type { PageMap, Report, Run, Sample, VariantRun } from '../run/schema.js';

export type RunEvent =
  | { type: 'experiment-start'; experimentId: string; title: string; variants: string[]; repeat: number }
  | { type: 'variant-start'; experimentId: string; variant: string; label: string; repeat: number }
  | { type: 'phase'; experimentId: string; variant: string; phase: string; label: string; tMs: number; rssBytes: number }
  // `sample` is the whole sample (regions, cgroup, MemFree) for live charts; `rsslab watch` sends RSS only
  | { type: 'sample'; experimentId: string; variant: string; tMs: number; rssBytes: number; sample?: Sample }
  // what the child reported and the page maps taken, as they happen (the workshop page draws them live)
  | { type: 'report'; experimentId: string; variant: string; report: Report }
  | { type: 'page-map'; experimentId: string; variant: string; pageMap: PageMap }
  | { type: 'variant-end'; experimentId: string; result: VariantRun }
  | { type: 'variant-skipped'; experimentId: string; variant: string; reason: string }
  /**
   * system: a change to the machine or its undoing (knob set/restored, cgroup, stale journal restored);
   * warning: something the user should know (no speed-up, lock wait, --force); info: the child's own log.
   */
  | { type: 'notice'; message: string; level?: 'system' | 'warning' | 'info' }
  | { type: 'experiment-end'; run: Run };

export type RunObserver = (event: RunEvent) => void;
