// A workshop session: the server up first (so the class can open the page while the machine is
// prepared), then each experiment through the ordinary runner with the page as its observer and the
// stepper as its phase hook, then the same Run JSON and reports `rsslab run` writes. The server
// stays up afterwards, showing where the files are, until the caller closes it.
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type { RunObserver } from '../lab/events.js';
import type { ParamValue } from '../lab/experiment.js';
import { runDefinition, selectVariants } from '../lab/runner.js';
import { UsageError } from '../usage-error.js';
import { resolveExperiment } from '../experiment-source.js';
import type { Run } from '../run/schema.js';
import { writeRunFile } from '../run/io.js';
import { writeReports } from '../report/write.js';
import { WorkshopHub } from './hub.js';
import { renderWorkshopPage } from './page.js';
import { startWorkshopServer, type WorkshopServer } from './server.js';
import { Stepper, type PauseInfo } from './stepper.js';

/** With --step the child waits for people: its timeout must outlast a long explanation. */
export const STEP_TIMEOUT_MS = 6 * 60 * 60_000;

export interface WorkshopOptions {
  experiments: string[];
  variants?: string[];
  allVariants?: boolean;
  step?: boolean;
  host?: string;
  port?: number;
  quick?: boolean;
  params?: Record<string, ParamValue>;
  tuneSystem?: boolean;
  /** may ask for consent on the terminal */
  interactive?: boolean;
  /** folder for the Runs and reports (must exist and be writable) */
  outDir: string;
  /** also told every runner event (the terminal's progress lines) */
  observer?: RunObserver;
  /** told when the run stops at a boundary (the terminal's "press Enter") */
  onPause?: (info: PauseInfo) => void;
  command?: string[];
}

export interface WorkshopResult {
  runs: Run[];
  files: string[];
  /** 0: every expectation held; 1: an expectation or a child failed */
  exitCode: number;
}

export interface Workshop {
  url: string;
  /** the URL to open (carries the session token once; the page then holds a cookie) */
  openUrl: string;
  host: string;
  port: number;
  token: string;
  stepper: Stepper;
  hub: WorkshopHub;
  /** settles when every experiment ran and the files are written (the server stays up) */
  done: Promise<WorkshopResult>;
  /** stop serving: ends the event streams, lets a waiting run go on, closes the server */
  close(): Promise<void>;
}

export async function startWorkshop(o: WorkshopOptions): Promise<Workshop> {
  if (o.experiments.length === 0) throw new UsageError('name the experiment(s) to show, e.g. `rsslab workshop madv-free` (see `rsslab list`)');
  if (o.variants?.length && o.experiments.length > 1) throw new UsageError('--variant applies to one experiment; name exactly one');
  // bad names fail here, before a server starts
  const sources = await Promise.all(o.experiments.map((id) => resolveExperiment(id)));
  const defs = sources.map((s) => s.definition);
  const selected = defs.map((d) => selectVariants(d, o.variants, o.allVariants ?? false));

  const token = randomBytes(24).toString('hex');
  const stepper = new Stepper(o.step ?? false);
  const hub = new WorkshopHub(defs.map((d) => ({ id: d.id, title: d.title })), stepper, o.quick ?? false);
  const page = renderWorkshopPage(token);
  let server: WorkshopServer;
  try {
    server = await startWorkshopServer({
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 0,
      token,
      page: () => page,
      events: (res) => hub.sendAll(hub.sse.open(res)),
      next: () => stepper.next('page'),
    });
  } catch (e) {
    hub.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${o.port} is already in use: choose another with --port N (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') throw new UsageError(`cannot listen on ${o.host ?? '127.0.0.1'}:${o.port ?? 0} (${code}): check --host and --port`);
    throw e;
  }
  if (o.onPause) {
    const onPause = o.onPause;
    stepper.onChange((paused) => {
      if (paused) onPause(paused);
    });
  }

  const run = async (): Promise<WorkshopResult> => {
    const runs: Run[] = [];
    const files: string[] = [];
    for (const [i, def] of defs.entries()) {
      hub.beginExperiment(def, selected[i]!.map((v) => v.id));
      const result = await runDefinition(def, {
        module: sources[i]!.module,
        variants: selected[i]!.map((v) => v.id),
        quick: o.quick ?? false,
        params: o.params ?? {},
        tuneSystem: o.tuneSystem ?? false,
        interactive: o.interactive ?? false,
        ...(stepper.enabled ? { timeoutMs: STEP_TIMEOUT_MS } : {}),
        observer: (e) => {
          hub.observe(e);
          o.observer?.(e);
        },
        beforeAck: (mark) => stepper.wait(mark),
        command: o.command ?? ['rsslab', 'workshop', ...o.experiments],
      });
      runs.push(result);
      files.push(basename(writeRunFile(result, o.outDir)));
    }
    const written = await writeReports(runs, o.outDir);
    files.push(...written.map((f) => basename(f)));
    const failed = runs.some((r) => r.variants.some((v) => v.status === 'failed' || v.expectations.some((x) => x.status === 'failed')));
    const exitCode = failed ? 1 : 0;
    hub.finish({ dir: o.outDir, files, exitCode });
    return { runs, files, exitCode };
  };
  const done = run().catch((e: unknown) => {
    hub.finish(null, (e as Error).message);
    throw e;
  });
  // the caller awaits `done`; this only keeps an early failure from being "unhandled" meanwhile
  done.catch(() => {});

  let closed = false;
  return {
    url: server.url,
    openUrl: server.openUrl,
    host: server.host,
    port: server.port,
    token,
    stepper,
    hub,
    done,
    close: async () => {
      if (closed) return;
      closed = true;
      stepper.release();
      hub.close();
      await server.close();
    },
  };
}
