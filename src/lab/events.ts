// What the runner tells whoever is watching (terminal progress, the workshop page): events only,
// plain data. Renderers implement RunObserver; the runner never formats anything itself.
import type { Run, VariantRun } from '../run/schema.js';

export type RunEvent =
  | { type: 'experiment-start'; experimentId: string; title: string; variants: string[]; repeat: number }
  | { type: 'variant-start'; experimentId: string; variant: string; label: string; repeat: number }
  | { type: 'phase'; experimentId: string; variant: string; phase: string; label: string; tMs: number; rssBytes: number }
  | { type: 'sample'; experimentId: string; variant: string; tMs: number; rssBytes: number }
  | { type: 'variant-end'; experimentId: string; result: VariantRun }
  | { type: 'variant-skipped'; experimentId: string; variant: string; reason: string }
  | { type: 'notice'; message: string } // system changes, consent, skipped speed-ups, stale journal restored
  | { type: 'experiment-end'; run: Run };

export type RunObserver = (event: RunEvent) => void;
