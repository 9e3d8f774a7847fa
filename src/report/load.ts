// Reading saved Runs for `rsslab report`: files given by name, or every Run file in a folder (and
// its subfolders). Validation is the Run schema's own (src/run/validate.ts), so a corrupt, cut-short
// or future-version file is refused with its name, the first bad field and what to do.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRun } from '../run/validate.js';
import { RUN_SCHEMA, type Run } from '../run/schema.js';

export class RunLoadError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'RunLoadError';
  }
}

export interface LoadedRun {
  path: string;
  run: Run;
}

export interface LoadResult {
  runs: LoadedRun[];
  /** JSON files in a folder that are not Runs (baselines, package files): not an error, but said */
  ignored: string[];
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new RunLoadError(`${path}: cannot read it (${why(e)})`, path);
  }
}

function parse(text: string, path: string): Run {
  try {
    return parseRun(text, path);
  } catch (e) {
    throw new RunLoadError(why(e), path);
  }
}

/** JSON files under a folder, sorted; hidden folders and node_modules are not entered. */
async function jsonFilesUnder(dir: string, depth = 0): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth < 4 && !entry.name.startsWith('.') && entry.name !== 'node_modules') for (const f of await jsonFilesUnder(full, depth + 1)) files.push(f);
    } else if (entry.isFile() && entry.name.endsWith('.json') && !entry.name.startsWith('.')) files.push(full);
  }
  return files;
}

/** Whether a JSON text says it is a Run (before validating it as one). */
function claimsToBeRun(text: string): boolean | null {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && (json as { schema?: unknown }).schema === RUN_SCHEMA;
  } catch {
    return null; // not JSON at all: a Run cut short, most likely — let the validator say so
  }
}

export async function loadRuns(paths: string[]): Promise<LoadResult> {
  if (paths.length === 0) throw new RunLoadError('no Run files given: pass run JSON files or a folder holding them (e.g. rsslab report runs/)', '');
  const result: LoadResult = { runs: [], ignored: [] };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new RunLoadError(`${path}: no such file or folder`, path);
    }
    if (info.isDirectory()) {
      const found: LoadedRun[] = [];
      for (const file of await jsonFilesUnder(path)) {
        const text = await readText(file);
        if (claimsToBeRun(text) === false) {
          result.ignored.push(file);
          continue;
        }
        found.push({ path: file, run: parse(text, file) });
      }
      if (found.length === 0) {
        throw new RunLoadError(`${path}: no rsslab Run files in it (*.json with schema "${RUN_SCHEMA}") — run an experiment first (rsslab run <id>) or name the files`, path);
      }
      for (const f of found) result.runs.push(f);
    } else {
      result.runs.push({ path, run: parse(await readText(path), path) });
    }
  }
  return result;
}
