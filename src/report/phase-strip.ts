// The phase labels under a phase-aligned chart, as HTML rather than chart text: each label has
// its own box over its band (boxes never overlap, long names wrap or turn vertical on a phone),
// says how long the phase really took, and can be checked in the DOM by a test.
import { escapeHtml as e } from './escape.js';
import type { PhaseSegment } from './phase-axis.js';
import { formatMs } from './units.js';

interface WithPhases {
  id: string;
  phases: PhaseSegment[] | null;
  option: { [k: string]: unknown };
}

function gridPx(option: { [k: string]: unknown }, side: 'left' | 'right'): number {
  const grid = option.grid as { left?: unknown; right?: unknown } | undefined;
  const v = grid?.[side];
  return typeof v === 'number' ? v : 60;
}

export function phaseStrip(spec: WithPhases): string {
  if (!spec.phases) return '';
  // +1: the chart box's border
  const style = `margin-left:${gridPx(spec.option, 'left') + 1}px;margin-right:${gridPx(spec.option, 'right') + 1}px`;
  const labels = spec.phases.map((s) => {
    const dur = formatMs(s.toMs - s.fromMs);
    return `<span class="phase-label" style="left:${s.x0}%;width:${(s.x1 - s.x0).toFixed(3)}%" title="${e(`${s.phase}: ${formatMs(s.fromMs)} → ${formatMs(s.toMs)} (${dur})`)}"><span class="phase-name">${e(s.phase)}</span><span class="phase-dur">${e(dur)}</span></span>`;
  });
  return `<div class="phase-strip" data-chart="${e(spec.id)}" style="${style}">${labels.join('')}</div>`;
}
