// One JSON convention for every command that prints data: `--json` puts exactly one JSON document
// on stdout (progress, the watched program's output and messages go to stderr), and the document
// names its shape first — `{ "schema": "rsslab.list/1", ... }` — so a script can check what it got
// before reading it. The number after the slash changes only when a field changes meaning or goes.
export type JsonSchema = 'rsslab.list/1' | 'rsslab.experiment/1' | 'rsslab.doctor/1' | 'rsslab.runs/1' | 'rsslab.watch/1' | 'rsslab.compare/1' | 'rsslab.restore/1' | 'rsslab.report/1';

/** Small documents are indented for a reader; Runs (thousands of samples) stay on one line. */
export function jsonDocument(schema: JsonSchema, body: object, pretty = true): string {
  return JSON.stringify({ schema, ...body }, null, pretty ? 2 : undefined) + '\n';
}

export function printJson(schema: JsonSchema, body: object, opts: { pretty?: boolean; out?: NodeJS.WritableStream } = {}): void {
  (opts.out ?? process.stdout).write(jsonDocument(schema, body, opts.pretty ?? true));
}
