// Nothing on the machine changes without consent. --tune-system is consent given up front (tests,
// CI, scripts); on an interactive terminal we ask, listing the exact changes, and the default is no;
// anywhere else (pipes, CI without the flag) the answer is no, and the experiment runs what it can
// at the kernel's own pace.
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';

export { canTune, type CanTune } from './knobs.js';

export interface ConsentOptions {
  tuneSystem: boolean;
  /** the exact changes, one per line: "khugepaged/scan_sleep_millisecs: 10000 -> 100" */
  changes: string[];
  stdin?: Readable & { isTTY?: boolean };
  stdout?: Writable & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

export interface Consent {
  granted: boolean;
  reason: string;
}

export async function askConsent(options: ConsentOptions): Promise<Consent> {
  if (options.tuneSystem) return { granted: true, reason: '--tune-system was given' };
  if (options.changes.length === 0) return { granted: true, reason: 'nothing to change' };
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const env = options.env ?? process.env;
  if (stdin.isTTY !== true || stdout.isTTY !== true || (env.CI !== undefined && env.CI !== '' && env.CI !== 'false')) {
    return { granted: false, reason: 'no --tune-system and no terminal to ask' };
  }
  const rl = createInterface({ input: stdin, output: stdout });
  try {
    stdout.write('rsslab wants to change these machine-wide settings for the experiment (restored afterwards):\n');
    for (const change of options.changes) stdout.write(`  ${change}\n`);
    const answer = (await rl.question('Apply them? [y/N] ')).trim().toLowerCase();
    const granted = answer === 'y' || answer === 'yes';
    return { granted, reason: granted ? 'confirmed at the prompt' : 'declined at the prompt' };
  } finally {
    rl.close();
  }
}
