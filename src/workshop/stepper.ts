// Step-through for a workshop: with stepping on, the run waits at every phase boundary (the runner's
// beforeAck hook, called while the child waits for its ack) until the presenter says "next" — from
// the page (POST /next) or the terminal (Enter). With stepping off every wait resolves at once.

export interface PauseInfo {
  experimentId: string;
  variant: string;
  phase: string;
  label: string;
  /** when the boundary was reached, in the child's time (ms since it was spawned) */
  tMs: number;
}

export type StepSource = 'page' | 'terminal';

export class Stepper {
  private pending: { info: PauseInfo; resolve: () => void } | null = null;
  private readonly listeners = new Set<(paused: PauseInfo | null, source: StepSource | null) => void>();
  private released = false;

  constructor(readonly enabled: boolean) {}

  /** The boundary the run waits at, or null while it flows. */
  get paused(): PauseInfo | null {
    return this.pending?.info ?? null;
  }

  /** Called with every pause (info) and every resume (null, and who resumed). */
  onChange(listener: (paused: PauseInfo | null, source: StepSource | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The runner's beforeAck hook: resolves when the presenter moves on (at once without stepping). */
  wait(info: PauseInfo): Promise<void> {
    if (!this.enabled || this.released) return Promise.resolve();
    // a boundary cannot arrive while another one waits (the child blocks on its ack), but if it
    // ever did the older one is let go rather than left hanging
    this.pending?.resolve();
    return new Promise<void>((resolve) => {
      this.pending = { info, resolve };
      this.emit(info, null);
    });
  }

  /** Move on from the current boundary; false when the run is not waiting. */
  next(source: StepSource): boolean {
    const p = this.pending;
    if (!p) return false;
    this.pending = null;
    p.resolve();
    this.emit(null, source);
    return true;
  }

  /** Stop stepping for good (the run is over or being torn down): the current wait and all later ones resolve. */
  release(): void {
    this.released = true;
    if (this.pending) this.next('terminal');
  }

  private emit(paused: PauseInfo | null, source: StepSource | null): void {
    for (const l of this.listeners) l(paused, source);
  }
}
