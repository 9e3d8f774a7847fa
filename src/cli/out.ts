// The output folder: created if missing, refused with a clear message if it cannot be written.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../usage-error.js';

export function outputDir(dir: string): string {
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: true });
    if (!statSync(abs).isDirectory()) throw new Error('not a directory');
    accessSync(abs, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write to the output folder ${abs} (${code ?? (e as Error).message}): choose another with --out DIR`);
  }
  return abs;
}
