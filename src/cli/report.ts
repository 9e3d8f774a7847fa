// `rsslab report <paths…>`: redraw reports from saved Runs (renderers read Run JSON only).
import { reportCommand } from '../report/command.js';
import { parseFormats } from '../report/write.js';

export async function reportCli(paths: string[], o: { out?: string; format: string }): Promise<number> {
  return reportCommand(paths, { ...(o.out !== undefined ? { out: o.out } : {}), formats: parseFormats(o.format) });
}
