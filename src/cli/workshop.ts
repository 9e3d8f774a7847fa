// `rsslab workshop`: run experiments while a live page shows them to a class. Prints the page's
// URL, forwards Enter on the terminal as "Next" (with --step), writes the same Runs and reports as
// `rsslab run`, and keeps serving the final picture until Enter or Ctrl-C. Ctrl-C mid-run ends the
// process: the child dies with us (execa's cleanup) and the runner's exit guard restores the machine.
import { parseParamArgs } from '../lab/params.js';
import { resolveExperiment } from '../experiment-source.js';
import { createProgress, defaultInteractive } from '../report/progress.js';
import { isLoopbackHost } from '../workshop/server.js';
import { startWorkshop, type Workshop } from '../workshop/session.js';
import { waitForEnter } from '../workshop/enter.js';
import { outputDir } from './out.js';

export interface WorkshopCliOptions {
  variant: string[];
  allVariants?: boolean;
  step?: boolean;
  port: number;
  host?: string;
  quick?: boolean;
  param: string[];
  tuneSystem?: boolean;
  out: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export async function workshopCommand(experiments: string[], o: WorkshopCliOptions): Promise<number> {
  // a misspelt name fails before a folder is created or a port opened
  for (const id of experiments) await resolveExperiment(id);
  const dir = outputDir(o.out);
  const params = parseParamArgs(o.param);
  const out = process.stdout;
  const say = (line: string): void => {
    out.write(line + '\n');
  };
  const progress = createProgress({ stream: out, interactive: false });
  let ws: Workshop | null = null;
  let finished = false;
  let exitCode = 0;

  // Registered before the runner's restore guards: they run after us and restore on 'exit'.
  const onSignal = (signal: (typeof SIGNALS)[number]): void => {
    say(finished ? `\n${signal}: closing the workshop page.` : `\n${signal}: stopping the run; the child is killed and every system change undone.`);
    const code = finished ? exitCode : SIGNAL_CODES[signal];
    void (ws?.close() ?? Promise.resolve()).finally(() => process.exit(code));
    // a stuck socket must not keep a Ctrl-C waiting
    setTimeout(() => process.exit(code), 2000).unref();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    ws = await startWorkshop({
      experiments,
      variants: o.variant,
      allVariants: o.allVariants ?? false,
      step: o.step ?? false,
      ...(o.host !== undefined ? { host: o.host } : {}),
      port: o.port,
      quick: o.quick ?? false,
      params,
      tuneSystem: o.tuneSystem ?? false,
      interactive: defaultInteractive(process.stdin) && defaultInteractive(out),
      outDir: dir,
      observer: progress,
      onPause: (p) => {
        say(`⏸  ${p.experimentId}/${p.variant}: before phase "${p.phase}"${p.label !== p.phase ? ` (${p.label})` : ''} — click Next on the page or press Enter here`);
        void waitForEnter(process.stdin, () => ws?.stepper.paused !== p).then((pressed) => {
          if (pressed) ws?.stepper.next('terminal');
        });
      },
      command: ['rsslab', ...process.argv.slice(2)],
    });
    say(`rsslab workshop: open ${ws.openUrl} on the projector${o.step ? ' (step-through: the run waits at every phase)' : ''}`);
    if (o.host !== undefined && !isLoopbackHost(ws.host)) {
      say(`warning: listening on ${ws.host}: the page and its Next button need the token in the URL above — anyone who has that URL can open the page and press Next; others who reach port ${ws.port} get 401, and the traffic is not encrypted.`);
    }
    const result = await ws.done;
    finished = true;
    exitCode = result.exitCode;
    say(`\nRuns and reports in ${dir}: ${result.files.join(', ')}`);
    say(`The page stays up at ${ws.url} — press Enter or Ctrl-C to close it.`);
    await waitForEnter(process.stdin, () => false);
    return exitCode;
  } finally {
    progress.close();
    await ws?.close();
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}
