// A time axis that gives every phase room. The action of an experiment (touch, free, the first idle
// seconds) takes milliseconds, its idle phase seconds: on a linear axis the phases that matter are
// slivers and their labels pile up. Here phase k of the reference variant (the one with the most
// marks) gets a band of the axis whose width is half "its share of the time" and half "an equal
// share", and each variant is placed by its own marks, so every variant's free lines up with every
// other's free. Positions run from 0 to 100; the real time of each point travels with it.
import type { Mark, VariantRun } from '../run/schema.js';

export interface PhaseSegment {
  /** phase name as marked ("start" for the time before the first mark) */
  phase: string;
  /** band on the axis, 0–100 */
  x0: number;
  x1: number;
  /** the reference variant's time span of the phase, ms */
  fromMs: number;
  toMs: number;
}

export interface PhaseAxis {
  segments: PhaseSegment[];
}

type Timed = Pick<VariantRun, 'marks' | 'samples'>;

/** (phase, occurrence) keys, so a phase marked twice lines up with its own second occurrence. */
function keyed(marks: Mark[]): Array<{ key: string; phase: string; tMs: number }> {
  const seen = new Map<string, number>();
  return marks.map((m) => {
    const n = (seen.get(m.phase) ?? 0) + 1;
    seen.set(m.phase, n);
    return { key: `${m.phase}#${n}`, phase: m.phase, tMs: m.tMs };
  });
}

function lastMs(v: Timed): number {
  return Math.max(v.samples[v.samples.length - 1]?.tMs ?? 0, v.marks[v.marks.length - 1]?.tMs ?? 0);
}

/** The bands of the axis, or null when there are fewer than two phases to spread (a plain time axis reads better then). */
export function phaseAxis(variants: Timed[]): PhaseAxis | null {
  const ref = [...variants].sort((a, b) => b.marks.length - a.marks.length)[0];
  if (!ref || ref.marks.length < 2) return null;
  const marks = keyed(ref.marks);
  const spans: Array<{ phase: string; fromMs: number; toMs: number }> = [];
  if (marks[0]!.tMs > 0) spans.push({ phase: 'start', fromMs: 0, toMs: marks[0]!.tMs });
  const end = lastMs(ref);
  marks.forEach((m, i) => {
    const to = marks[i + 1]?.tMs ?? end;
    if (to > m.tMs || i < marks.length - 1) spans.push({ phase: m.phase, fromMs: m.tMs, toMs: to });
  });
  const total = Math.max(1, spans.reduce((s, p) => s + (p.toMs - p.fromMs), 0));
  const weights = spans.map((p) => 0.5 * ((p.toMs - p.fromMs) / total) + 0.5 / spans.length);
  const sum = weights.reduce((a, b) => a + b, 0);
  let x = 0;
  const segments = spans.map((p, i) => {
    const w = (weights[i]! / sum) * 100;
    const seg = { ...p, x0: round(x), x1: round(x + w) };
    x += w;
    return seg;
  });
  segments[segments.length - 1]!.x1 = 100;
  return { segments };
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * Where a variant's time t lands on the axis: inside the band of the phase it was in by the
 * variant's own marks. A phase the variant never marked has no width for it.
 */
export function placer(axis: PhaseAxis, v: Timed): (tMs: number) => number {
  const own = new Map(keyed(v.marks).map((m) => [m.key, m.tMs]));
  const counts = new Map<string, number>();
  const keys = axis.segments.map((s) => {
    if (s.phase === 'start' && s.fromMs === 0) return 'start';
    const n = (counts.get(s.phase) ?? 0) + 1;
    counts.set(s.phase, n);
    return `${s.phase}#${n}`;
  });
  // each band's start in this variant's own time; a missing phase starts where the next known one does
  const starts: number[] = new Array(keys.length);
  let next = lastMs(v);
  for (let i = keys.length - 1; i >= 0; i--) {
    const t = keys[i] === 'start' ? 0 : own.get(keys[i]!);
    starts[i] = t ?? next;
    next = starts[i]!;
  }
  const end = lastMs(v);
  return (tMs: number): number => {
    let k = 0;
    while (k + 1 < starts.length && tMs >= starts[k + 1]!) k++;
    const seg = axis.segments[k]!;
    const from = starts[k]!;
    const to = k + 1 < starts.length ? starts[k + 1]! : Math.max(end, from);
    const f = to > from ? Math.min(1, Math.max(0, (tMs - from) / (to - from))) : 0;
    return round(seg.x0 + f * (seg.x1 - seg.x0));
  };
}
