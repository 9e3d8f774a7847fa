// Shared by the system tests: fixture trees copied to a temp dir (tests write into them), a private
// state dir, children that report "ready", and a last-resort sweep for rsslab cgroups.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { removeCgroupDir } from '../../src/system/cgroup-remove.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '..', 'fixtures', 'system');
export const CHILDREN = join(here, '..', 'fixtures', 'children');
export const THP = '/sys/kernel/mm/transparent_hugepage';

export const isRoot = process.getuid?.() === 0;
export function skipReason(cond: boolean, why: string): boolean {
  if (cond) console.warn(`skipped: ${why}`);
  return cond;
}

/** A private copy of a fixture tree (tests write into it). */
export function fixtureTree(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rsslab-fixture-${name}-`));
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'rsslab-state-'));
}

export function journalFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('journal-'));
}

export function readKnob(relative: string, root = '/'): string {
  const text = readFileSync(join(root, THP.slice(1), relative), 'utf8');
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? text.trim();
}

export function removeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface ReadyChild<T> {
  child: ResultPromise;
  info: T;
}

/** Starts a fixture child and waits for its "ready <json>" line. */
export async function startChild<T>(script: string, args: string[], env: Record<string, string> = {}): Promise<ReadyChild<T>> {
  const child = execa('node', [join(CHILDREN, script), ...args], { env, reject: false, buffer: { stdout: false }, stdin: 'ignore' });
  const info = await new Promise<T>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const line = seen.split('\n').find((l) => l.startsWith('ready '));
      if (line !== undefined) resolve(JSON.parse(line.slice(6)) as T);
    });
    void child.then((result) => reject(new Error(`child exited before ready: ${result.stderr}`)));
  });
  return { child, info };
}

/** Last-resort cleanup: removes rsslab-<pid>-* cgroups below `parent` made by `pids`. */
export function sweepCgroups(parent: string, pids: number[]): void {
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (pids.some((pid) => name.startsWith(`rsslab-${pid}-`))) removeCgroupDir(join(parent, name), parent);
  }
}
