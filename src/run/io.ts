// Writing and reading Run files. Writes go to a temporary file in the same folder and are renamed
// into place, so an interrupted run never leaves a half-written file where a Run is expected.
import { closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Run } from './schema.js';
import { parseRun } from './validate.js';

/**
 * Creates `path` for writing only if nothing is there — not even a symlink (O_EXCL|O_NOFOLLOW): run as
 * root in a folder others can write to, a planted link at the temporary name must not make rsslab
 * write through it.
 */
export function createExclusive(path: string, mode = 0o644): number {
  return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
}

/** A temporary name beside `path` that nobody can predict. */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(12).toString('hex')}.tmp`);
}

export function writeFileAtomic(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = temporaryName(path);
  let fd = -1;
  try {
    fd = createExclusive(tmp);
    writeFileSync(fd, data);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      // only our own file: createExclusive failed before creating anything otherwise
      if (fd !== -1 || (e as NodeJS.ErrnoException).syscall !== 'open') unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw e;
  }
}

// An experiment id becomes a file name: a Run read from elsewhere (or a future experiment) must not
// be able to name "../../etc/x" and have rsslab, running as root, write outside the output folder.
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `<dir>/<experiment>.json`; the Run's own id is the experiment id (letters, digits, . _ - only). */
export function writeRunFile(run: Run, dir: string): string {
  const id = run.experiment.id;
  if (typeof id !== 'string' || !SAFE_ID.test(id) || id.includes('..')) {
    throw new RangeError(`refusing to write a Run whose experiment id ${JSON.stringify(id)} is not a plain name (letters, digits, '.', '_', '-'): it would choose a path outside ${dir}`);
  }
  const file = join(dir, `${id}.json`);
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
