// Writing and reading Run files. Writes go to a temporary file in the same folder and are renamed
// into place, so an interrupted run never leaves a half-written file where a Run is expected.
import { mkdirSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Run } from './schema.js';
import { parseRun } from './validate.js';

export function writeFileAtomic(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw e;
  }
}

/** `<dir>/<experiment>.json`; the Run's own id is the experiment id. */
export function writeRunFile(run: Run, dir: string): string {
  const file = join(dir, `${run.experiment.id}.json`);
  writeFileAtomic(file, JSON.stringify(run) + '\n');
  return file;
}

export function readRunFile(path: string): Run {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RangeError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  return parseRun(text, path);
}
