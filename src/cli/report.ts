// `rsslab report <paths…>`: redraw reports from saved Runs (renderers read Run JSON only).
import { reportCommand } from '../report/command.js';
import { parseFormats } from '../report/write.js';
import { printJson } from './json.js';

export async function reportCli(paths: string[], o: { out?: string; format: string; matrix?: string; json?: boolean }): Promise<number> {
  return reportCommand(paths, {
    ...(o.out !== undefined ? { out: o.out } : {}),
    ...(o.matrix !== undefined ? { matrix: o.matrix } : {}),
    formats: parseFormats(o.format),
    ...(o.json ? { onWritten: (result) => printJson('rsslab.report/1', result) } : {}),
  });
}
