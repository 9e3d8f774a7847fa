// What the page shows, kept in one place: the runner's events folded into a state (experiment,
// variants, current phase, pause) and the live charts, pushed to every open page. Samples arrive
// every 20 ms: they only mark the charts dirty, and a timer flushes at most every FLUSH_MS, sending
// only the charts whose spec changed. Phase changes and pauses go out at once.
import type { RunEvent } from '../lab/events.js';
import type { ExperimentDefinition, Params } from '../lab/experiment.js';
import type { ChartSpec } from '../report/html-charts.js';
import { LiveRun } from './live-run.js';
import { SseHub, type SseClient } from './sse.js';
import type { PauseInfo, Stepper } from './stepper.js';

export const FLUSH_MS = 150;
const MAX_NOTICES = 30;

export interface VariantState {
  id: string;
  label: string;
  description: string;
  status: 'waiting' | 'running' | 'ok' | 'failed' | 'skipped';
  reason: string | null;
}

export interface WorkshopState {
  step: boolean;
  /** every experiment of the session, in order, and which one runs */
  experiments: Array<{ id: string; title: string }>;
  experimentIndex: number;
  experiment: { id: string; title: string; seed: string | null; summary: string; story: Array<{ phase: string; title: string; text: string }> } | null;
  variants: VariantState[];
  current: { variant: string; label: string; phase: string; phaseLabel: string; tMs: number; rssBytes: number } | null;
  paused: PauseInfo | null;
  notices: string[];
  /** set when the session is over: where the Runs and reports are, or what went wrong */
  finished: { dir: string; files: string[]; exitCode: number } | null;
  error: string | null;
}

export class WorkshopHub {
  readonly sse: SseHub;
  private live: LiveRun | null = null;
  private chartJson = new Map<string, string>();
  private chartOrder: string[] = [];
  private dirty = false;
  private readonly timer: NodeJS.Timeout;
  readonly state: WorkshopState;

  constructor(
    experiments: Array<{ id: string; title: string }>,
    stepper: Stepper,
    private readonly quick: boolean,
  ) {
    this.state = { step: stepper.enabled, experiments, experimentIndex: -1, experiment: null, variants: [], current: null, paused: null, notices: [], finished: null, error: null };
    this.sse = new SseHub((client) => this.sendAll(client));
    stepper.onChange((paused) => {
      this.state.paused = paused;
      this.flush(true);
    });
    this.timer = setInterval(() => {
      if (this.dirty) this.flush(false);
    }, FLUSH_MS);
    this.timer.unref();
  }

  /** A new experiment starts: fresh charts, its story, its variants waiting. */
  beginExperiment(def: ExperimentDefinition<Params>, variantIds: string[]): void {
    const index = this.state.experimentIndex + 1;
    this.live = new LiveRun(def, index, this.quick);
    this.dirty = true;
    Object.assign(this.state, {
      experimentIndex: index,
      experiment: { id: def.id, title: def.title, seed: def.seed, summary: def.summary, story: def.story },
      variants: variantIds.map((id) => {
        const v = def.variants.find((x) => x.id === id);
        return { id, label: v?.label ?? id, description: v?.description ?? '', status: 'waiting', reason: null };
      }),
      current: null,
    });
    this.flush(true);
  }

  /** The runner's observer. */
  readonly observe = (e: RunEvent): void => {
    const changed = this.live?.apply(e) ?? false;
    if (changed) this.dirty = true;
    const s = this.state;
    const variant = (id: string): VariantState | undefined => s.variants.find((v) => v.id === id);
    switch (e.type) {
      case 'variant-start': {
        const v = variant(e.variant);
        if (v) v.status = 'running';
        s.current = { variant: e.variant, label: e.label, phase: '', phaseLabel: 'starting', tMs: 0, rssBytes: 0 };
        this.flush(true);
        break;
      }
      case 'phase':
        s.current = { variant: e.variant, label: s.current?.label ?? e.variant, phase: e.phase, phaseLabel: e.label, tMs: e.tMs, rssBytes: e.rssBytes };
        this.flush(true);
        break;
      case 'sample':
        if (s.current && s.current.variant === e.variant) Object.assign(s.current, { tMs: e.tMs, rssBytes: e.rssBytes });
        break;
      case 'variant-end': {
        const v = variant(e.result.variant);
        if (v) {
          v.status = e.result.status;
          v.reason = e.result.failure?.reason ?? null;
        }
        this.flush(true);
        break;
      }
      case 'variant-skipped': {
        const v = variant(e.variant);
        if (v) Object.assign(v, { status: 'skipped', reason: e.reason });
        this.flush(true);
        break;
      }
      case 'notice':
        this.notice(e.message);
        break;
      default:
        break;
    }
  };

  notice(message: string): void {
    this.state.notices = [...this.state.notices, message].slice(-MAX_NOTICES);
    this.flush(true);
  }

  finish(finished: WorkshopState['finished'], error: string | null = null): void {
    this.state.finished = finished;
    this.state.error = error;
    if (this.state.current && !error) this.state.current = { ...this.state.current, phase: 'end', phaseLabel: 'finished' };
    this.flush(true);
  }

  /** The first picture for a page that just connected (or missed updates). */
  sendAll(client: SseClient): void {
    client.markFresh();
    client.send('state', this.state);
    client.send('charts', { order: this.chartOrder, charts: this.chartOrder.map((id) => JSON.parse(this.chartJson.get(id)!) as ChartSpec) });
  }

  /** Recompute the charts and send what changed; the state always goes along (it is small). */
  private flush(stateChanged: boolean): void {
    const live = this.live;
    if (live && this.dirty) {
      this.dirty = false;
      const specs = live.charts();
      const changed: ChartSpec[] = [];
      const next = new Map<string, string>();
      for (const spec of specs) {
        const json = JSON.stringify(spec);
        next.set(spec.id, json);
        if (this.chartJson.get(spec.id) !== json) changed.push(spec);
      }
      const order = specs.map((c) => c.id);
      const orderChanged = order.join('\n') !== this.chartOrder.join('\n');
      this.chartJson = next;
      this.chartOrder = order;
      if (changed.length || orderChanged) this.sse.broadcast('charts', { order, charts: changed });
    }
    if (stateChanged || this.state.current) this.sse.broadcast('state', this.state);
  }

  close(): void {
    clearInterval(this.timer);
    this.sse.closeAll();
  }
}
