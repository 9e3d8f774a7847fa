// Writing reports: each file goes to a temporary name in the same folder, then is renamed over the
// target, so a reader (a browser reloading, a CI step uploading) never sees half a file and an
// interrupted write leaves the previous report intact.
import { isAbsolute, relative, resolve } from 'node:path';
import type { Run } from '../run/schema.js';
import { writeFileAtomic as writeFileAtomicSync } from '../run/io.js';
import { renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { checkTargetFile, prepareOutDir } from './out-target.js';
import { drawable } from './drawable.js';
import type { ExperimentMatrix } from './matrix-model.js';

export const REPORT_FORMATS = ['html', 'md', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const REPORT_FILES: Record<ReportFormat, string> = { html: 'report.html', md: 'summary.md', csv: 'samples.csv' };

/** Parse "html,md" into formats; throws naming the unknown one and the accepted ones. */
export function parseFormats(list: string): ReportFormat[] {
  const items = list
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .map((s) => (s === 'markdown' ? 'md' : s));
  if (items.length === 0) throw new RangeError(`no report format given: use one or more of ${REPORT_FORMATS.join(', ')}`);
  for (const f of items) {
    if (!(REPORT_FORMATS as readonly string[]).includes(f)) throw new RangeError(`unknown report format "${f}": use ${REPORT_FORMATS.join(', ')}`);
  }
  return [...new Set(items)] as ReportFormat[];
}

/** The path of `name` inside `dir`; refuses names that would land outside it (../, absolute paths). */
export function pathInside(dir: string, name: string): string {
  const base = resolve(dir);
  const target = resolve(base, name);
  const rel = relative(base, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new RangeError(`refusing to write "${name}": it is not inside ${base}`);
  return target;
}

/** Write `content` to dir/name atomically (src/run/io.ts: temp file in the same folder, then rename). */
export async function writeFileAtomic(dir: string, name: string, content: string): Promise<string> {
  const target = pathInside(dir, name);
  checkTargetFile(target);
  writeFileAtomicSync(target, content);
  return target;
}

/** A renderer failed on these Runs (not the folder): says which format and why. */
export class ReportRenderError extends Error {
  constructor(
    readonly format: ReportFormat,
    readonly reason: unknown,
  ) {
    super(`cannot draw the ${format} report: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'ReportRenderError';
  }
}

export interface WriteOptions {
  formats?: ReportFormat[];
  /** cross-machine comparisons for the HTML and Markdown reports (`rsslab report` over several machines' Runs) */
  matrices?: ExperimentMatrix[];
  /** false: HTML and Markdown hold the comparisons only, no section per Run */
  runSections?: boolean;
}

/** Render and write the chosen formats (all by default) into outDir; returns the paths written. */
export async function writeReports(runs: Run[], outDir: string, opts: WriteOptions = {}): Promise<string[]> {
  const formats = opts.formats ?? [...REPORT_FORMATS];
  // charts of a long Run are drawn from its bounded downsample; the CSV keeps every sample it holds
  const view = { matrices: opts.matrices ?? [], runSections: opts.runSections ?? true };
  const render: Record<ReportFormat, (r: Run[]) => string> = { html: (r) => renderHtml(r.map(drawable), view), md: (r) => renderMarkdown(r, view), csv: renderCsv };
  // everything is rendered before anything is written: a Run that cannot be drawn is its own error
  const rendered: Array<[ReportFormat, string]> = [];
  for (const f of formats) {
    try {
      rendered.push([f, render[f](runs)]);
    } catch (e) {
      throw new ReportRenderError(f, e);
    }
  }
  prepareOutDir(outDir);
  const written: string[] = [];
  for (const [f, text] of rendered) written.push(await writeFileAtomic(outDir, REPORT_FILES[f], text));
  return written;
}
